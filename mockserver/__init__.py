"""Contract-checked, stateful mock of the HuskyVoice and Leyr appointment-cancellation APIs."""

from __future__ import annotations

from mockserver.app import create_app
from mockserver.engine import MockEngine
from mockserver.exchange import MockRequest, Reply
from mockserver.scenarios import Scenario, ScenarioCatalog, ScenarioError, UnknownScenarioError
from mockserver.server import MockServer

__all__ = [
    "MockEngine",
    "MockRequest",
    "MockServer",
    "Reply",
    "Scenario",
    "ScenarioCatalog",
    "ScenarioError",
    "UnknownScenarioError",
    "create_app",
]
