"""Every request is held to its operation's contract whatever answers it: a refused key, a
scripted interaction, a fault. Missing or malformed credentials break the declared security;
a wrong key does not (the client must handle it at run time). The journal's `broke_contract`
and the violations list agree on every exchange."""

from __future__ import annotations

from typing import Any

import pytest

from answer_probes import all_probes, send
from conftest import SEED_ID, Mock, in_process_client
from mockserver import MockEngine
from scenario_replay import replay_all

HV_ONE = f"/v1/appointments/{SEED_ID}"
LEYR_ONE = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"
LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
BEARER_FIX = "send `Authorization: Bearer <key>`"
LEYR_FIX = "send `x-leyr-client-id` and `x-leyr-client-secret`"


def messages(mock: Mock) -> list[str]:
    return [p["message"] for v in mock.engine.violations() for p in v["problems"]]


def last_entry(mock: Mock) -> dict[str, Any]:
    return dict(mock.engine.requests()[-1])


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (HV_ONE, {"Authorization": "Bearer wrong"}),
        (LEYR_ONE, {**LEYR, "x-leyr-client-id": "nobody"}),
    ],
    ids=["huskyvoice", "leyr"],
)
def test_a_broken_body_sent_with_a_wrong_key_is_refused_and_recorded(mock, path, headers):
    reply = mock.http.patch(path, json={"status": "cancelled", "nope": 1}, headers=headers)
    assert reply.status_code == 401  # the caller comes first
    [violation] = mock.engine.violations()
    assert violation["kind"] == "request" and "nope" in violation["problems"][0]["message"]
    assert last_entry(mock)["broke_contract"] is True


def test_a_wrong_content_type_with_a_wrong_key_is_recorded(mock):
    reply = mock.http.patch(
        HV_ONE,
        content=b"status=cancelled",
        headers={"Authorization": "Bearer wrong", "Content-Type": "text/plain"},
    )
    assert reply.status_code == 401
    assert any("text/plain" in m for m in messages(mock))


def test_a_broken_body_answered_by_a_scripted_fault_is_recorded(mock):
    # A fault written for every request (not accepted_only, as huskyvoice/flaky's is).
    fault = {
        "name": "every cancel fails",
        "match": {"method": "PATCH", "path": "/v1/appointments/{appointment_id}"},
        "respond": {"status": 503, "error": {"code": "SERVICE_UNAVAILABLE"}},
    }
    assert mock.http.post("/__admin/interactions", json=fault).status_code == 200
    reply = mock.http.patch(
        HV_ONE, json={"status": "canceled"}, headers={"Authorization": "Bearer YOUR_API_KEY"}
    )
    assert reply.status_code == 503  # the scripted answer still answers
    assert last_entry(mock)["interaction"]["name"] == "every cancel fails"
    assert any('"canceled"' in m for m in messages(mock))
    assert last_entry(mock)["broke_contract"] is True


def test_a_broken_body_answered_by_a_stub_is_recorded(mock):
    stub = {
        "name": "ok",
        "match": {"method": "PATCH", "path": "/v1/appointments/{appointment_id}"},
        "respond": {
            "status": 200,
            "body": {"success": True, "data": {**mock.appointment()}},
        },
    }
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    reply = mock.http.patch(
        HV_ONE, json={"stauts": "cancelled"}, headers={"Authorization": "Bearer YOUR_API_KEY"}
    )
    assert reply.status_code == 200
    assert any("stauts" in m for m in messages(mock))


def test_a_connection_dropped_by_a_fault_still_checks_the_request(mock_for):
    mock = mock_for("leyr/direct-cancel")
    drop = {  # for every request (leyr/connection-drop's own is accepted_only)
        "match": {"method": "PATCH", "path": LEYR_ONE},
        "respond": {"passthrough": True, "fault": "connection_drop"},
    }
    assert mock.http.post("/__admin/interactions", json=drop).status_code == 200
    with pytest.raises(Exception):  # noqa: B017  (the transport's own error type)
        mock.http.patch(LEYR_ONE, json={"status": "cancelled", "extra": True}, headers=LEYR)
    assert any("extra" in m for m in messages(mock))


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({}, "no Authorization header"),
        ({"Authorization": "Basic dXNlcg=="}, "a malformed Authorization header"),
        ({"Authorization": "Bearer "}, "a malformed Authorization header"),
    ],
)
def test_huskyvoice_without_a_bearer_key_breaks_the_declared_security(mock, headers, said):
    reply = mock.http.get(HV_ONE, headers=headers)
    assert reply.status_code == 401
    assert BEARER_FIX in reply.json()["error"]["message"]
    [message] = messages(mock)
    assert message == f"{said}; {BEARER_FIX}"
    assert last_entry(mock)["broke_contract"] is True


@pytest.mark.parametrize("missing", ["x-leyr-client-id", "x-leyr-client-secret"])
def test_leyr_without_both_client_headers_breaks_the_declared_security(mock, missing):
    headers = {name: value for name, value in LEYR.items() if name != missing}
    reply = mock.http.get(LEYR_ONE, headers=headers)
    assert reply.status_code == 401
    [message] = messages(mock)
    assert message == f"no {missing} header; {LEYR_FIX}"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (HV_ONE, {"Authorization": "Bearer wrong"}),
        (LEYR_ONE, {**LEYR, "x-leyr-client-secret": "wrong"}),
        (LEYR_ONE, {**LEYR, "x-leyr-client-id": "nobody"}),
    ],
)
def test_a_wrong_key_is_no_contract_break(mock, path, headers):
    assert mock.http.get(path, headers=headers).status_code == 401
    assert mock.engine.violations() == []
    assert last_entry(mock)["broke_contract"] is False


def test_missing_credentials_answered_by_a_stub_are_recorded(mock):
    stub = {
        "name": "config",
        "match": {"method": "GET", "path": "/v1/appointment-config"},
        "respond": {
            "status": 200,
            "body": {
                "success": True,
                "data": {"allow_cancellation": True, "cancellation_notice_hours": 24},
            },
        },
    }
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    assert mock.http.get("/v1/appointment-config").status_code == 200
    assert messages(mock) == [f"no Authorization header; {BEARER_FIX}"]


def agree(engine: MockEngine) -> list[str]:
    """Exchanges whose `broke_contract` and the violations list disagree."""
    violated = {v["request_id"] for v in engine.violations()}
    return [
        f"#{e['id']} {e['method']} {e['path'][:60]} -> {e['status']}"
        for e in engine.requests()
        if e["broke_contract"] != (e["id"] in violated)
    ]


def test_broke_contract_and_the_violations_agree_over_the_scenario_table_and_probes():
    engine = MockEngine()
    journals = replay_all(engine)
    assert journals and agree(engine) == []
    disagreements = []
    for probe in all_probes(engine):
        send(engine, probe)
        disagreements += agree(engine)
    assert disagreements == []
    with in_process_client(engine) as client:  # and the off-contract kinds
        client.get("/v1/appointment")
        client.patch(HV_ONE, content=b"{", headers={"Content-Type": "application/json"})
        client.request("BREW", LEYR_ONE, headers=LEYR)
    assert len(engine.violations()) >= 3 and agree(engine) == []
