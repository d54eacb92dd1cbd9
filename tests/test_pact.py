"""Pact export, judged by the real Pact verifier (pact-python, on pact_ffi): a client's flows
recorded on one mock are exported as V4 pacts and verified against a fresh mock, whose
`POST /__admin/provider-states` replays each interaction's state; a pact altered to expect
another status fails."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import pytest

from conftest import AUTH, SEED_ID
from mockserver import MockEngine, MockServer

pact = pytest.importorskip("pact", reason="pact-python is not installed")

LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
ANITA = "/api/emrs/anitasystems/care-units/L0_1/appointments"
CREDENTIALS = {"huskyvoice": AUTH, "leyr": LEYR}


def _huskyvoice_flows(http: httpx.Client) -> None:
    assert (
        http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"}).status_code == 200
    )
    assert http.get(f"/v1/appointments/{SEED_ID}").json()["data"]["status"] == "cancelled"
    again = http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"})
    assert again.status_code == 200  # re-cancelling is idempotent
    http.post("/__admin/reset", json={"scenarios": ["huskyvoice/not-found"]})
    assert (
        http.patch("/v1/appointments/appt_ffffffffff", json={"status": "cancelled"}).status_code
        == 404
    )


def _leyr_two_step(http: httpx.Client) -> None:
    http.post("/__admin/reset", json={"scenarios": ["leyr/two-step"]})
    pending = http.patch(f"{ANITA}/2001", json={"status": "cancelled"}, headers=LEYR)
    assert pending.json()["status"] == "awaiting_confirmation"
    new_id = pending.json()["id"]
    code = http.get("/__admin/messages").json()["messages"][-1]["code"]
    wrong = http.patch(f"{ANITA}/{new_id}", json={"confirmation": {"code": "000000"}}, headers=LEYR)
    assert wrong.status_code == 400
    done = http.patch(f"{ANITA}/{new_id}", json={"confirmation": {"code": code}}, headers=LEYR)
    assert done.json()["status"] == "cancelled"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict[str, dict]:
    """The pacts of a client's run, from its report: the HuskyVoice flows (a reset between) and
    the full Leyr two-step."""
    from mockserver.report.target import ReportTarget

    folder = tmp_path_factory.mktemp("report")
    target = ReportTarget(folder, pact_consumer="web")
    with (
        MockServer(MockEngine(), report=target) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as http,
    ):
        _huskyvoice_flows(http)
        _leyr_two_step(http)
        assert http.post("/__admin/report").status_code == 200
    return {
        provider: json.loads((folder / "pacts" / f"web-{provider}.json").read_text())
        for provider in ("huskyvoice", "leyr")
    }


def _verify(document: dict, provider: str, tmp_path: Path, monkeypatch) -> tuple[bool, dict]:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    source = tmp_path / f"web-{provider}.json"
    source.write_text(json.dumps(document))
    with MockServer(MockEngine()) as fresh:
        verifier = (
            pact.Verifier(provider, host="127.0.0.1")
            .add_transport(url=fresh.base_url)
            .add_source(str(source))
            .state_handler(f"{fresh.base_url}/__admin/provider-states", teardown=True, body=True)
            .add_custom_headers(CREDENTIALS[provider])
            .set_request_timeout(10_000)
        )
        try:
            verifier.verify()
            passed = True
        except RuntimeError:
            passed = False
        return passed, verifier.results


def test_the_export_is_a_v4_pact_with_states_and_placeholder_credentials(recorded):
    husky = recorded["huskyvoice"]
    assert husky["consumer"] == {"name": "web"} and husky["provider"] == {"name": "huskyvoice"}
    assert husky["metadata"]["pactSpecification"]["version"] == "4.0"
    statuses = [i["response"]["status"] for i in husky["interactions"]]
    assert statuses == [200, 200, 200, 404]
    reread = husky["interactions"][1]
    assert reread["providerStates"][0]["params"]["replay"][0]["method"] == "PATCH"
    assert reread["request"]["headers"]["Authorization"] == ["Bearer PLACEHOLDER"]
    text = json.dumps(recorded)
    assert "YOUR_API_KEY" not in text and "test-client-secret" not in text
    leyr = recorded["leyr"]["interactions"]
    assert [i["response"]["status"] for i in leyr] == [200, 400, 200]
    assert len(leyr[2]["providerStates"][0]["params"]["replay"]) == 2


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_exported_pacts_verify_against_a_fresh_mock(recorded, provider, tmp_path, monkeypatch):
    passed, results = _verify(recorded[provider], provider, tmp_path, monkeypatch)
    assert passed, json.dumps(results, indent=1)[:4000]
    assert results["result"] is True and len(results["interactionResults"]) == len(
        recorded[provider]["interactions"]
    )


def test_a_pact_expecting_another_status_fails_verification(recorded, tmp_path, monkeypatch):
    altered = copy.deepcopy(recorded["leyr"])
    altered["interactions"][-1]["response"]["status"] = 202
    passed, results = _verify(altered, "leyr", tmp_path, monkeypatch)
    assert not passed
    mismatches = json.dumps(results["errors"])
    assert "expected 202 but was 200" in mismatches


def test_provider_states_refuse_bad_bodies_and_teardown_changes_nothing():
    engine = MockEngine()
    with MockServer(engine) as server, httpx.Client(base_url=server.base_url) as http:
        url = "/__admin/provider-states"
        for body in (
            {"state": "x", "action": "destroy"},
            {"state": "x", "params": {"provider": "nope", "scenario": "leyr/two-step"}},
            {"state": "x", "params": {"provider": "leyr", "scenario": "huskyvoice/not-found"}},
            {
                "state": "x",
                "params": {"provider": "leyr", "scenario": "leyr/two-step", "replay": "all"},
            },
            {
                "state": "x",
                "params": {
                    "provider": "leyr",
                    "scenario": "leyr/two-step",
                    "replay": [{"path": 5}],
                },
            },
            {"state": "x", "bogus": 1},
        ):
            answer = http.post(url, json=body)
            assert answer.status_code == 400, (body, answer.text)
        assert engine.active()["leyr"].name == "leyr/direct-cancel"  # nothing changed
        assert (
            http.post(url, json={"state": "", "params": {}, "action": "setup"}).status_code == 200
        )
        teardown = {
            "state": "s",
            "params": {"provider": "leyr", "scenario": "leyr/two-step"},
            "action": "teardown",
        }
        assert http.post(url, json=teardown).json()["replayed"] == 0
        assert engine.active()["leyr"].name == "leyr/direct-cancel"
        unreproducible = {
            "state": "s",
            "params": {
                "provider": "huskyvoice",
                "scenario": "huskyvoice/direct-cancel",
                "replay": [
                    {
                        "method": "PATCH",
                        "path": f"/v1/appointments/{SEED_ID}",
                        "query": "",
                        "headers": {"content-type": "application/json"},
                        "body": '{"status": "cancelled"}',
                        "at": None,
                        "status": 200,
                    }
                ],
            },
        }
        refused = http.post(url, json=unreproducible)  # no credentials: answered 401, not 200
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "STATE_NOT_REPRODUCED"
        assert http.post(url, json=unreproducible, headers=AUTH).json()["replayed"] == 1


def test_pact_listing_parameters_are_checked():
    engine = MockEngine()
    with MockServer(engine) as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"})
        http.get(f"{ANITA}/2001", headers=LEYR)
        exported = http.get(
            "/__admin/requests?format=pact&consumer=web&provider=huskyvoice&method=PATCH"
        ).json()
        assert [i["request"]["method"] for i in exported["interactions"]] == ["PATCH"]
        cases = {
            "format=pact": 400,  # no consumer
            "consumer=web": 400,  # consumer without format=pact
            "format=pact&consumer=a/b": 400,
            "format=pact&consumer=web": 400,  # two providers
            "format=pact&consumer=web&provider=huskyvoice&status=500": 404,
            "format=pact&consumer=web&provider=huskyvoice": 200,
        }
        for query, status in cases.items():
            assert http.get(f"/__admin/requests?{query}").status_code == status, query


def test_the_report_holds_a_pact_per_provider(tmp_path):
    from mockserver.report.target import ReportTarget

    engine = MockEngine()
    with MockServer(engine) as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"})
    record = engine.run_record()
    target = ReportTarget(tmp_path, pact_consumer="web")
    target.write(record, target.judge(record))
    assert [p.name for p in (tmp_path / "pacts").iterdir()] == ["web-huskyvoice.json"]


def test_a_long_flow_gives_a_bounded_pact_that_says_what_it_left_out():
    """Each provider state replays its flow's earlier writes: past MAX_REPLAY of them an
    exchange is left out and counted in the metadata, so a flow of n writes never makes a
    pact of n² steps (2,000 writes took 61 s and 770 MB)."""
    from mockserver.report.pact import MAX_REPLAY
    from mockserver.testing.session import MockSession

    session = MockSession(MockEngine())
    try:
        http = session.client
        for _ in range(MAX_REPLAY + 5):
            cancel = http.patch(
                f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"}, headers=AUTH
            )
            assert cancel.status_code == 200
        answer = http.get("/__admin/requests", params={"format": "pact", "consumer": "web"})
        assert answer.status_code == 200
        document = answer.json()
    finally:
        session.close()
    interactions = document["interactions"]
    assert len(interactions) == MAX_REPLAY + 1  # the states replaying 0 to MAX_REPLAY writes
    longest = max(len(i["providerStates"][0]["params"]["replay"]) for i in interactions)
    assert longest == MAX_REPLAY
    note = document["metadata"]["appointment-cancellation-mockserver"]["left out"]
    assert note.startswith(
        f"4 exchange(s) whose provider state would replay more than {MAX_REPLAY}"
    )
