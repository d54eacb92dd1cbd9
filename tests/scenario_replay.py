"""The scenario table (`scenario_table.yaml`) replayed through HTTP: each built-in scenario's
steps, as requests with the status and fields each must get.

A step's expected fields are a request pattern's body matched against the answer, so the table
speaks the same matcher language as scenario files and journal assertions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from conftest import SEED_KEY, Mock, in_process_client
from mockserver import MockEngine
from mockserver.core.documents import JournalEntry
from mockserver.core.patterns import Observed, parse_pattern
from mockserver.core.templating import Context, render

TABLE: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).parent / "scenario_table.yaml").read_text()
)
DEFAULT_HEADERS = {
    "huskyvoice": {"Authorization": f"Bearer {SEED_KEY}"},
    "leyr": {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"},
}


def _message_context(mock: Mock) -> Context:
    """`{{message.…}}` reads the newest outbox message (as `{{body.…}}` reads a body)."""
    messages = mock.engine.messages()
    latest = messages[-1] if messages else {}
    return Context("", "", "", {}, {}, {}, latest, None, "", "", None)


def _fill(template: Any, mock: Mock) -> Any:
    text = yaml.safe_dump(template)
    return yaml.safe_load(render(text.replace("{{message.", "{{body."), _message_context(mock)))


def _send(mock: Mock, provider: str, request: dict[str, Any]) -> httpx.Response:
    headers = {**DEFAULT_HEADERS[provider], **request.get("headers", {})}
    return mock.http.request(
        request["method"], request["path"], json=request.get("body"), headers=headers
    )


def _check(mock: Mock, reply: httpx.Response, expect: dict[str, Any], where: str) -> None:
    assert reply.status_code == expect["status"], f"{where}: {reply.text[:300]}"
    if "body" in expect:
        seen = Observed(reply.request.method, reply.request.url.path, body=reply.json())
        differences = parse_pattern({"body": expect["body"]}).difference(seen)
        assert not differences, f"{where}: {differences}"
    for name, value in expect.get("headers", {}).items():
        assert reply.headers.get(name) == value, f"{where}: header {name}"
    if "interaction" in expect:
        last = mock.engine.requests()[-1]
        assert (last["interaction"] or {}).get("name") == expect["interaction"], where
    # A step breaks the contract on purpose only when its expectation says so.
    last = mock.engine.requests()[-1]
    assert last["broke_contract"] == expect.get("breaks_contract", False), where


def run_step(mock: Mock, provider: str, step: dict[str, Any], where: str) -> None:
    if "clock" in step:
        mock.clock(**step["clock"])
    if "messages" in step:
        assert len(mock.engine.messages()) == step["messages"], where
        return
    request = _fill(step["request"], mock)
    expect = _fill(step["expect"], mock)
    for _ in range(step.get("repeat", 1)):
        if expect.get("dropped"):
            with pytest.raises(httpx.RemoteProtocolError):
                _send(mock, provider, request)
            continue
        _check(mock, _send(mock, provider, request), expect, where)


def replay(mock: Mock, name: str) -> None:
    """Every step of one scenario's row, on the scenario the mock has active."""
    provider = name.split("/")[0]
    for number, step in enumerate(TABLE[name], 1):
        run_step(mock, provider, step, f"{name} step {number}")


def replay_all(engine: MockEngine) -> dict[str, list[JournalEntry]]:
    """Every row of the table on one engine, each scenario started clean: each row's journal.
    The engine's contract coverage is then that of all of them."""
    journals: dict[str, list[JournalEntry]] = {}
    with in_process_client(engine) as client:
        mock = Mock(engine, client)
        for name in sorted(TABLE):
            engine.activate([name])
            replay(mock, name)
            journals[name] = engine.requests()
    return journals
