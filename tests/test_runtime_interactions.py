"""Interactions added at run time (stubs): over the admin API and through the pytest handle."""

from __future__ import annotations

import pytest

from conftest import AUTH, SEED_ID
from mockserver.core.commands import CommandError
from mockserver.scenarios.problems import ScenarioError

PATCH = f"/v1/appointments/{SEED_ID}"
FLAKY = {
    "name": "busy twice",
    "match": {"method": "PATCH", "path": "/v1/appointments/{appointment_id}"},
    "sequence": [
        {"status": 503, "headers": {"Retry-After": "1"}, "error": {"code": "SERVICE_UNAVAILABLE"}},
        {"status": 503, "error": {"code": "SERVICE_UNAVAILABLE"}},
    ],
}


def test_an_added_interaction_answers_first_and_is_listed_with_its_counters(mock):
    added = mock.http.post("/__admin/interactions", json=FLAKY)
    assert added.status_code == 200, added.text
    assert added.json()["added"]["provider"] == "huskyvoice"  # from the path
    statuses = [mock.cancel().status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    [listed] = [
        i for i in mock.http.get("/__admin/interactions").json()["interactions"] if i["added"]
    ]
    assert (listed["name"], listed["counters"]) == ("busy twice", {SEED_ID: 2})
    assert mock.http.delete("/__admin/interactions/busy%20twice").status_code == 204
    assert mock.http.delete("/__admin/interactions/busy%20twice").status_code == 404


def test_added_interactions_are_checked_like_a_file_and_go_with_a_reset(mock):
    broken = dict(FLAKY, sequence=[{"status": 200, "body": {"success": True, "data": {"nope": 1}}}])
    refused = mock.http.post("/__admin/interactions", json=broken)
    assert refused.status_code == 400
    assert "breaks huskyvoice/appointment.response" in refused.json()["error"]["message"]
    nowhere = mock.http.post(
        "/__admin/interactions", json={"match": {}, "respond": {"passthrough": True}}
    )
    assert nowhere.status_code == 400  # no provider named, none to infer
    assert mock.http.post("/__admin/interactions", json=FLAKY).status_code == 200
    assert mock.http.post("/__admin/interactions", json=FLAKY).status_code == 400  # same name
    mock.http.post("/__admin/reset")
    assert mock.cancel().status_code == 200
    assert not [
        i for i in mock.http.get("/__admin/interactions").json()["interactions"] if i["added"]
    ]


def test_a_leyr_stub_by_provider(mock):
    stub = {
        "provider": "leyr",
        "match": {"method": "GET"},
        "respond": {"error": {"code": "SERVICE_UNAVAILABLE", "status": 503}},
    }
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    reply = mock.http.get(
        "/api/emrs/webdoc/care-units/wd-oslo-1/appointments",
        headers={
            "x-leyr-client-id": "test-client-id",
            "x-leyr-client-secret": "test-client-secret",
        },
    )
    assert (reply.status_code, reply.json()["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert mock.http.get(PATCH, headers=AUTH).status_code == 200  # HuskyVoice untouched


def test_an_admin_body_nested_too_deep_is_refused_before_it_can_answer(mock):
    deep = "[" * 900 + "]" * 900
    head = (
        '{"violates_contract": true, "match": {"method": "GET", "path": "/v1/appointment-config"},'
    )
    stub = head + ' "respond": {"status": 200, "body": ' + deep + "}}"
    reply = mock.http.post(
        "/__admin/interactions", content=stub, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert "nests more than 64 levels" in reply.json()["error"]["message"]
    assert mock.get("/v1/appointment-config").status_code == 200


def test_a_stub_naming_its_provider_wrongly_is_refused_and_adds_nothing(mock):
    stub = {"match": {"method": "GET"}, "respond": {"passthrough": True}}
    for provider, status, code in ((7, 400, "BAD_REQUEST"), ("nowhere", 404, "UNKNOWN_PROVIDER")):
        reply = mock.http.post("/__admin/interactions", json={**stub, "provider": provider})
        error = reply.json()["error"]
        assert (reply.status_code, error["code"]) == (status, code), reply.text
        assert "provider" in error["message"]
    listed = mock.http.get("/__admin/interactions").json()["interactions"]
    assert not [i for i in listed if i["added"]]


BUSY = {"status": 503, "body": {"success": False, "error": {"code": "BUSY", "message": "Later"}}}


def test_stubs_added_without_a_name_each_get_their_own(mock):
    """Unnamed stubs are numbered as they come, skipping a number a named one took; each can be
    removed by its name."""
    first = {"provider": "huskyvoice", "match": {"appointment": SEED_ID}, "respond": BUSY}
    named = {"provider": "huskyvoice", "name": "interaction 2", "match": {"method": "POST"}}
    second = {"provider": "huskyvoice", "match": {"method": "GET"}, "respond": BUSY}
    names = []
    for stub in (first, {**named, "respond": BUSY}, second):
        added = mock.http.post("/__admin/interactions", json=stub)
        assert added.status_code == 200, added.text
        names.append(added.json()["added"]["name"])
    assert names == ["interaction 1", "interaction 2", "interaction 3"]
    again = mock.http.post("/__admin/interactions", json={**named, "respond": BUSY})
    assert again.status_code == 400 and "already added" in again.text
    assert mock.get(f"/v1/appointments/{SEED_ID}").status_code == 503
    assert mock.http.delete("/__admin/interactions/interaction%201").status_code == 204
    assert mock.http.delete("/__admin/interactions/interaction%203").status_code == 204
    assert mock.get(f"/v1/appointments/{SEED_ID}").status_code == 200


CONFIG = "/v1/appointment-config"


def _config_answer_with(mock, value):
    answer = mock.http.get(CONFIG, headers=AUTH).json()
    answer["data"]["cancellation_notice_hours"] = value
    return answer


def test_a_stub_or_inline_scenario_answering_a_number_json_cannot_write_is_refused(mock):
    """NaN passes `{"type": "number", "minimum": 0}` in Python but is sent as `null`, which
    breaks the contract unseen: given in process (over HTTP no JSON parser admits it), it is
    refused by field, like `.nan` in a scenario file, and nothing is added."""
    for value in (float("nan"), float("inf"), -float("inf")):
        body = _config_answer_with(mock, value)
        stub = {"match": {"method": "GET", "path": CONFIG}, "respond": {"body": body}}
        with pytest.raises(CommandError, match=r"data\.cancellation_notice_hours: is not a finite"):
            mock.engine.add_interaction(stub)
        inline = {"extends": "huskyvoice/direct-cancel", "interactions": [stub]}
        with pytest.raises(ScenarioError, match="cancellation_notice_hours: is not a finite"):
            mock.engine.load(inline)
        listed = [[1.5, value]]  # in a list too, found by its index
        stub = {"match": {"method": "GET", "path": CONFIG}, "respond": {"body": {"x": listed}}}
        with pytest.raises(CommandError, match=r"body\.x\.0\.1: is not a finite"):
            mock.engine.add_interaction(stub)
    assert mock.engine.interactions() == [] or all(
        not i["added"] for i in mock.engine.interactions()
    )
    answer = mock.http.get(CONFIG, headers=AUTH)
    assert answer.json()["data"]["cancellation_notice_hours"] is not None


def test_a_fixture_stub_answering_nan_is_refused(pytester):
    pytester.makepyfile(
        test_nan="""
import pytest
from mockserver import ControlError

def test_nan(mockserver):
    answer = {"success": True, "data": {"cancellation_notice_hours": float("nan")}}
    with pytest.raises(ControlError, match="is not a finite number"):
        mockserver.stub("GET", "/v1/appointment-config", respond={"body": answer})
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-n0")
    result.assert_outcomes(passed=1)


def test_a_refused_stub_names_its_fields_from_within_itself(mock):
    """A stub is one interaction, not a scenario's list of them: its fields are named from
    within it, as the schema's problems are (`respond.delay_ms`, not `interactions.0…`)."""
    refusals = {
        "respond.delay_ms: the range's low end is above its high end": {
            "match": {"method": "GET", "path": CONFIG},
            "respond": {"passthrough": True, "delay_ms": [5, 1]},
        },
        "give exactly one of respond or sequence": {"match": {"method": "GET", "path": CONFIG}},
    }
    for expected, stub in refusals.items():
        refused = mock.http.post("/__admin/interactions", json=stub)
        assert refused.status_code == 400
        message = refused.json()["error"]["message"]
        assert message == f"the interaction is not usable: {expected}", message
