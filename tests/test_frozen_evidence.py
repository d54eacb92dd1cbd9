"""Evidence is frozen at request time: a near miss and a coverage count keep the scenario and
the scripted interactions in force when the request came. Later switches, resets and stub
deletions never change them."""

from __future__ import annotations

from typing import Any

from conftest import AUTH, SEED_ID, in_process_client
from mockserver import MockEngine

HV_ONE = f"/v1/appointments/{SEED_ID}"
CONFIG = "/v1/appointment-config"
ONCE = {
    "name": "config once",
    "match": {"method": "GET", "path": CONFIG},
    "times": 1,
    "respond": {"passthrough": True},
}


def near_misses(client: Any) -> list[dict[str, Any]]:
    reply = client.get("/__admin/near-misses")
    assert reply.status_code == 200
    return list(reply.json()["near_misses"])


def test_a_near_miss_outlives_the_deletion_of_its_stub():
    with in_process_client(MockEngine()) as client:
        assert client.post("/__admin/interactions", json=ONCE).status_code == 200
        assert client.get(CONFIG, headers=AUTH).status_code == 200  # answered by the stub
        assert client.get(CONFIG, headers=AUTH).status_code == 200  # the stub is used up
        [before] = near_misses(client)
        assert before["closest_interaction"]["name"] == "config once"
        assert client.delete("/__admin/interactions").status_code in (200, 204)
        assert near_misses(client) == [before]


def test_a_scenario_switched_to_later_adds_no_near_miss_to_earlier_requests():
    engine = MockEngine()
    with in_process_client(engine) as client:
        reply = client.patch(HV_ONE, json={"status": "cancelled"}, headers=AUTH)
        assert reply.status_code == 200  # direct-cancel: no interaction was in force
        assert near_misses(client) == []
        # huskyvoice/flaky scripts every PATCH; the earlier one was not meant for it
        switched = client.put("/__admin/scenario", json={"name": "huskyvoice/flaky"})
        assert switched.status_code == 200
        assert near_misses(client) == []
        assert engine.requests()[-1]["scenario"] == "huskyvoice/direct-cancel"


def outcomes(engine: MockEngine, label: str) -> dict[str, Any]:
    [entry] = [e for e in engine.coverage()["huskyvoice"]["operations"] if e["operation"] == label]
    return entry


def test_a_coverage_count_keeps_the_scenario_it_was_made_under():
    engine = MockEngine()
    label = "PATCH /v1/appointments/{appointment_id}"
    with in_process_client(engine) as client:
        client.patch(HV_ONE, json={"status": "cancelled"}, headers=AUTH)
        engine.load("huskyvoice/not-found")
        client.patch(HV_ONE, json={"status": "cancelled"}, headers=AUTH)
        counted = outcomes(engine, label)
        assert counted["outcomes"]["200"] == 1 and counted["outcomes"]["404 NOT_FOUND"] == 1
        assert counted["scenarios"] == {
            "200": ["huskyvoice/direct-cancel"],
            "404 NOT_FOUND": ["huskyvoice/not-found"],
        }
        client.post("/__admin/interactions", json={**ONCE, "match": {"method": "PATCH"}})
        client.delete("/__admin/interactions")
        engine.load("huskyvoice/flaky")
        assert client.post("/__admin/reset", json={}).status_code == 200
        assert outcomes(engine, label) == counted
