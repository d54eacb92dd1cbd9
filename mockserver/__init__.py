"""Contract-checked, stateful mock of the HuskyVoice and Leyr appointment-cancellation APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.app import create_app
from mockserver.engine import MockEngine
from mockserver.exchange import MockRequest, Reply
from mockserver.scenarios import Scenario, ScenarioCatalog, ScenarioError, UnknownScenarioError
from mockserver.server import MockServer

if TYPE_CHECKING:
    from mockserver.handle import MockServerHandle
    from mockserver.recorded import RecordedExchange
    from mockserver.session import MockSession

# Imported on first use: they need httpx, which only test suites install.
_LAZY = {
    "MockServerHandle": "mockserver.handle",
    "MockSession": "mockserver.session",
    "RecordedExchange": "mockserver.recorded",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
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
