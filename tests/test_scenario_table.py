"""Every built-in scenario replayed from one table (`scenario_table.yaml`), through HTTP.

A step's expected fields are a request pattern's body matched against the answer, so the table
speaks the same matcher language as scenario files and journal assertions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from conftest import SEED_KEY, Mock
from mockserver.core.patterns import Observed, parse_pattern
from mockserver.core.resources import scenarios_dir
from mockserver.core.templating import Context, render

TABLE: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).parent / "scenario_table.yaml").read_text()
)
DEFAULT_HEADERS = {
    "huskyvoice": {"Authorization": f"Bearer {SEED_KEY}"},
    "leyr": {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"},
}


def test_the_table_covers_every_builtin_scenario():
    builtins = {f"{path.parent.name}/{path.stem}" for path in scenarios_dir().glob("*/*.yaml")}
    assert set(TABLE) == builtins


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


def _run_step(mock: Mock, provider: str, step: dict[str, Any], where: str) -> None:
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


@pytest.mark.parametrize("name", sorted(TABLE))
def test_builtin_scenario_behaves_as_its_table_says(mock_for, name):
    mock = mock_for(name)
    provider = name.split("/")[0]
    for number, step in enumerate(TABLE[name], 1):
        _run_step(mock, provider, step, f"{name} step {number}")
    assert mock.engine.violations() == [], name  # the table's requests keep to the contract
