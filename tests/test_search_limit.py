"""HuskyVoice's search `limit`: what a scenario may allow is what the exported contract says,
so a client built from `mockserver openapi huskyvoice` never meets a limit it was told is
refused, and the mock never journals a request it accepted as a contract breach."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import AUTH
from mockserver.core.resources import schemas_dir


def _scenario_maximum(field: str) -> int:
    schema = json.loads((schemas_dir() / "scenario.schema.json").read_text())
    found: list[int] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            search = node.get("search")
            if isinstance(search, dict) and field in search.get("properties", {}):
                found.append(search["properties"][field]["maximum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    [maximum] = found
    return maximum


def test_the_scenarios_largest_limit_is_the_exported_documents():
    exported = subprocess.run(
        [sys.executable, "-m", "mockserver", "openapi", "huskyvoice"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    parameters = json.loads(exported)["paths"]["/v1/appointments"]["get"]["parameters"]
    [limit] = [p["schema"] for p in parameters if p["name"] == "limit"]
    accepts = lambda n: re.fullmatch(limit["pattern"], str(n)) is not None  # noqa: E731
    for field in ("max_limit", "default_limit"):
        maximum = _scenario_maximum(field)
        assert all(accepts(n) for n in range(1, maximum + 1)), field
        assert not accepts(maximum + 1), field


@pytest.mark.parametrize(
    ("search", "needle"),
    [
        ({"max_limit": 201}, "max_limit"),
        ({"max_limit": 10_000}, "max_limit"),
        ({"default_limit": 201}, "default_limit"),
        ({"default_limit": 100, "max_limit": 50}, "default_limit cannot exceed max_limit"),
    ],
    ids=["one-over", "old-maximum", "default-over", "default-over-max"],
)
def test_a_scenario_allowing_more_than_the_contract_is_a_400(mock, search, needle):
    before = mock.http.get("/__admin/scenario").json()
    scenario = {"extends": "huskyvoice/direct-cancel", "behaviour": {"search": search}}
    reply = mock.http.put("/__admin/scenario", json={"scenario": scenario})
    assert reply.status_code == 400, reply.text[:300]
    assert needle in reply.text
    assert mock.http.get("/__admin/scenario").json() == before


def test_the_largest_limit_allowed_is_answered_and_on_contract(mock):
    scenario = {"extends": "huskyvoice/direct-cancel", "behaviour": {"search": {"max_limit": 200}}}
    assert mock.http.put("/__admin/scenario", json={"scenario": scenario}).status_code == 200
    answered = mock.http.get("/v1/appointments", params={"limit": 200}, headers=AUTH)
    assert answered.status_code == 200, answered.text[:300]
    assert answered.json()["pagination"]["limit"] == 200
    assert mock.http.get("/__admin/violations").json()["violations"] == []
