"""Contract-checked, stateful mock of the HuskyVoice and Leyr appointment-cancellation APIs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockserver.core.documents import (
    JournalEntry,
    NearMiss,
    OutboxMessage,
    ProblemDocument,
    Violation,
)
from mockserver.core.exchange import MockRequest
from mockserver.core.reply import Outcome, Reply
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
    from mockserver.testing.control import (
        ClockControl,
        ControlError,
        Criteria,
        Outbox,
        RequestLog,
        Stub,
    )
    from mockserver.testing.handle import MockServerHandle
    from mockserver.testing.session import MockSession

# Imported on first use: they need httpx, which only test suites install.
_LAZY = {
    "MockServerHandle": "mockserver.testing.handle",
    "MockSession": "mockserver.testing.session",
    "RecordedExchange": "mockserver.journal.recorded",
    "ClockControl": "mockserver.testing.control",
    "ControlError": "mockserver.testing.control",
    "Criteria": "mockserver.testing.control",
    "Outbox": "mockserver.testing.control",
    "RequestLog": "mockserver.testing.control",
    "Stub": "mockserver.testing.control",
}


def __getattr__(name: str) -> object:
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
    "ClockControl",
    "ControlError",
    "Criteria",
    "JournalEntry",
    "MockEngine",
    "MockRequest",
    "MockServer",
    "MockServerHandle",
    "MockSession",
    "NearMiss",
    "Outbox",
    "OutboxMessage",
    "Outcome",
    "ProblemDocument",
    "RecordedExchange",
    "Reply",
    "RequestLog",
    "Scenario",
    "ScenarioCatalog",
    "ScenarioError",
    "Stub",
    "UnknownScenarioError",
    "Violation",
    "create_app",
]
