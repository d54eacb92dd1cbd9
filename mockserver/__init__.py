"""Contract-checked, stateful mock of the HuskyVoice and Leyr appointment-cancellation APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.core.exchange import MockRequest, Reply
from mockserver.engine.facade import MockEngine
from mockserver.scenarios.catalog import (
    Scenario,
    ScenarioCatalog,
    ScenarioError,
    UnknownScenarioError,
)
from mockserver.web.app import create_app
from mockserver.web.server import MockServer

if TYPE_CHECKING:
    from mockserver.journal.recorded import RecordedExchange
    from mockserver.testing.handle import MockServerHandle
    from mockserver.testing.session import MockSession

# Imported on first use: they need httpx, which only test suites install.
_LAZY = {
    "MockServerHandle": "mockserver.testing.handle",
    "MockSession": "mockserver.testing.session",
    "RecordedExchange": "mockserver.journal.recorded",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        try:
            module = importlib.import_module(_LAZY[name])
        except ModuleNotFoundError as error:
            if error.name != "httpx":
                raise
            raise ModuleNotFoundError(
                f"mockserver.{name} needs httpx: "
                "pip install 'appointment-cancellation-mockserver[pytest]'",
                name="httpx",
            ) from None
        return getattr(module, name)
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")


__all__ = [
    "MockEngine",
    "MockRequest",
    "MockServer",
    "MockServerHandle",
    "MockSession",
    "RecordedExchange",
    "Reply",
    "Scenario",
    "ScenarioCatalog",
    "ScenarioError",
    "UnknownScenarioError",
    "create_app",
]
