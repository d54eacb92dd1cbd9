"""One pattern language: the same pattern values mean the same on every surface that takes
them. One table of cases drives a stub, a scenario file's interaction, the admin journal query
and the pytest handle's assertions; the status cases drive the two that see answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from conftest import in_process_client
from mockserver import MockEngine
from mockserver.testing.control import EngineBackend, MockControl

BULK = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
SENT = {"ids": ["1001", "1002"], "status": "cancelled", "comment": "Patient is travelling"}
OUTAGE = {"status": 503, "error": {"code": "SERVICE_UNAVAILABLE"}}

# (a body pattern, whether it matches SENT)
BODY_CASES = [
    ({"ids": ["1002"]}, True),  # a list matches by subset
    ({"ids": ["1002", "1001"]}, True),  # in any order
    ({"ids": []}, True),
    ({"ids": ["1003"]}, False),
    ({"ids": ["1001", "1001"]}, False),  # each expected item needs an item of its own
    ({"ids": {"equals": ["1001", "1002"]}}, True),  # exactly this list
    ({"ids": {"equals": ["1001"]}}, False),
    ({"ids": {"equals": ["1002", "1001"]}}, False),
    ({"ids.0": "1001"}, True),
    ({"comment": {"regex": "^Patient"}}, True),
    ({"comment": {"present": False}}, False),
    ({"status": "cancelled", "ids": ["1001"]}, True),
    ({"status": "booked"}, False),
]
# (a status pattern, whether it matches the 200 the bulk cancel gets)
STATUS_CASES = [(200, True), ("2xx", True), ("2XX", True), ("4xx", False), (404, False)]


def _send(engine: MockEngine) -> httpx.Response:
    with in_process_client(engine) as client:
        return client.patch(BULK, json=SENT, headers=LEYR)


def by_stub(pattern: dict[str, Any], tmp_path: Path) -> bool:
    engine = MockEngine()
    MockControl(EngineBackend(engine)).stub("PATCH", BULK, match={"body": pattern}, respond=OUTAGE)
    return _send(engine).status_code == 503


def by_scenario_file(pattern: dict[str, Any], tmp_path: Path) -> bool:
    scenario = {
        "provider": "leyr",
        "extends": "leyr/direct-cancel",
        "description": "the pattern table's case",
        "interactions": [
            {
                "name": "table",
                "match": {"method": "PATCH", "path": BULK, "body": pattern},
                "respond": OUTAGE,
            }
        ],
    }
    (tmp_path / "leyr").mkdir()
    (tmp_path / "leyr" / "table.yaml").write_text(yaml.safe_dump(scenario))
    engine = MockEngine(["leyr/table"], [tmp_path])
    return _send(engine).status_code == 503


def by_admin_query(pattern: dict[str, Any], tmp_path: Path, field: str = "body") -> bool:
    engine = MockEngine()
    assert _send(engine).status_code == 200
    value = json.dumps(pattern) if field == "body" else str(pattern)
    with in_process_client(engine) as client:
        reply = client.get("/__admin/requests", params={"method": "PATCH", field: value})
    assert reply.status_code == 200, reply.text
    return len(reply.json()["requests"]) == 1


def by_assertion(pattern: Any, tmp_path: Path, field: str = "body") -> bool:
    engine = MockEngine()
    assert _send(engine).status_code == 200
    found = MockControl(EngineBackend(engine)).requests.filter("PATCH", BULK, **{field: pattern})
    return len(found) == 1


SURFACES: list[Callable[..., bool]] = [by_stub, by_scenario_file, by_admin_query, by_assertion]


@pytest.mark.parametrize("surface", SURFACES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("pattern", "matches"), BODY_CASES, ids=json.dumps)
def test_a_body_pattern_means_the_same_on_every_surface(surface, pattern, matches, tmp_path):
    assert surface(pattern, tmp_path) is matches


@pytest.mark.parametrize("surface", [by_admin_query, by_assertion], ids=lambda f: f.__name__)
@pytest.mark.parametrize(("status", "matches"), STATUS_CASES, ids=str)
def test_a_status_or_a_status_class_means_the_same_on_the_journal_surfaces(
    surface, status, matches, tmp_path
):
    assert surface(status, tmp_path, field="status") is matches


@pytest.mark.parametrize("bad", ["4xxx", "6xx", "xx", "abc", True, 99.5])
def test_a_malformed_status_is_refused_on_both_journal_surfaces(bad):
    engine = MockEngine()
    with in_process_client(engine) as client:
        reply = client.get("/__admin/requests", params={"status": str(bad).lower()})
    assert reply.status_code == 400 and "status" in reply.text
    from mockserver.testing.control import ControlError

    with pytest.raises(ControlError, match="status"):
        MockControl(EngineBackend(engine)).requests.filter(status=bad)
