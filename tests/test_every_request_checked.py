"""Every request is held to its operation's contract whatever answers it: a refused key, a
scripted interaction, a fault. Missing or malformed credentials break the declared security;
a wrong key does not (the client must handle it at run time). The journal's `broke_contract`
and the violations list agree on every exchange."""

from __future__ import annotations

from typing import Any

import pytest

from answer_probes import all_probes, send
from conftest import AUTH, SEED_ID, Mock, in_process_client
from mockserver import MockEngine
from openapi_judge import judge, request_problems
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


@pytest.mark.parametrize(
    ("path", "headers", "said"),
    [
        (f"{HV_ONE}?x=1", AUTH, "takes no query parameters; got 'x'"),
        ("/v1/appointments?limit=1&limit=2", AUTH, "'limit' given more than once"),
        (f"{LEYR_ONE}?x=1", LEYR, "takes no query parameters; got 'x'"),
        ("/v1/appointments?x=1", AUTH, "unknown field(s) 'x'"),
    ],
    ids=["none-declared", "repeated", "leyr-none-declared", "undeclared"],
)
def test_an_undeclared_or_repeated_query_parameter_breaks_the_contract(mock, path, headers, said):
    reply = mock.http.get(path, headers=headers)
    assert reply.status_code == 400
    assert any(said in message for message in messages(mock)), messages(mock)
    assert last_entry(mock)["broke_contract"] is True


def test_openapi_core_and_the_violations_agree_on_every_request_of_the_table_and_probes():
    """openapi-core, judging each request against the export, finds it broken exactly when the
    mock records a violation, but for two kinds the export cannot say: a body over the byte
    limit (the mock refuses to read it, so it judges nothing in it) and a query parameter the
    operation does not declare or one given twice (OpenAPI cannot forbid either; openapi-core
    ignores them, the mock refuses them), and a rule of the page's that only the state shows
    broken (a confirmation sent to the original id while the new one awaits it)."""
    engine = MockEngine(journal_secrets=True)
    openapi = {provider: judge(engine, provider) for provider in engine.provider_names}
    entries = [e for journal in replay_all(engine).values() for e in journal]
    for probe in all_probes(engine):
        send(engine, probe)
        entries.append(engine.requests()[-1])
    judged, disagree = 0, []
    for entry in entries:
        if entry["operation"] is None:  # off any route: openapi-core has no operation to judge
            continue
        judged += 1
        broken = bool(request_problems(openapi[str(entry["provider"])], entry))
        if broken == entry["broke_contract"]:
            continue
        unread = entry["status"] == 413 and not entry["broke_contract"]
        # the replay resets between scenarios, so the answer tells what was refused
        query_only = (
            entry["broke_contract"] and bool(entry["query"]) and "query" in str(entry["response"])
        )
        on_original = entry["broke_contract"] and "this is the original id" in str(
            entry["response"]
        )
        if not (unread or query_only or on_original):
            disagree.append(f"{entry['method']} {entry['path'][:60]}?{entry['query'][:40]}")
    assert judged > 150 and disagree == []
