"""The /__admin API: scenarios, seeded data, reset, journal, clock, violations, OpenAPI."""

from __future__ import annotations

import json

import pytest

from conftest import AUTH, SEED_ID


def test_health_names_the_active_scenarios(mock):
    reply = mock.http.get("/__admin/health")
    assert reply.json() == {
        "status": "ok",
        "active": {"huskyvoice": "huskyvoice/direct-cancel", "leyr": "leyr/direct-cancel"},
        "reload": {"ok": True, "error": None, "at": None},
    }


def test_scenarios_lists_every_builtin_with_its_description(mock):
    listed = mock.http.get("/__admin/scenarios").json()["scenarios"]
    names = {s["name"] for s in listed}
    assert {
        "huskyvoice/direct-cancel",
        "huskyvoice/already-cancelled",
        "huskyvoice/insufficient-scope",
        "huskyvoice/not-found",
        "huskyvoice/cancellation-disabled",
        "huskyvoice/notice-period",
        "huskyvoice/slot-freed",
        "huskyvoice/rate-limited",
    } <= names
    assert all(s["description"] and s["source"] == "builtin" for s in listed)
    assert [s["name"] for s in listed if s["active"]] == [
        "huskyvoice/direct-cancel",
        "leyr/direct-cancel",
    ]


def test_scenario_shows_the_seeded_data(mock):
    active = mock.http.get("/__admin/scenario").json()["huskyvoice"]
    assert active["name"] == "huskyvoice/direct-cancel"
    assert active["clock"] == {"now": "2026-05-26T12:00:00.000Z", "frozen": True}
    seeded = active["seeded"]
    assert seeded["api_keys"][0]["key"] == "YOUR_API_KEY"
    assert SEED_ID in [a["appointment_id"] for a in seeded["appointments"]]
    assert seeded["org"]["allow_cancellation"] is True


def test_put_scenario_loads_and_resets_that_provider(mock):
    mock.cancel()
    reply = mock.http.put("/__admin/scenario", json={"name": "huskyvoice/cancellation-disabled"})
    assert reply.status_code == 200
    assert reply.json()["loaded"]["name"] == "huskyvoice/cancellation-disabled"
    assert mock.appointment()["status"] == "confirmed"
    assert mock.cancel().status_code == 403


def test_put_scenario_errors(mock):
    unknown = mock.http.put("/__admin/scenario", json={"name": "huskyvoice/nope"})
    assert unknown.status_code == 404
    assert "huskyvoice/direct-cancel" in unknown.json()["error"]["message"]
    for bad in (b"{", b"[]", b"{}", b'{"name": 3}', b'{"name": "x", "extra": 1}'):
        reply = mock.http.put("/__admin/scenario", content=bad)
        assert reply.status_code == 400, bad
        assert reply.json()["error"]["code"] == "BAD_REQUEST"
    assert (
        mock.http.get("/__admin/health").json()["active"]["huskyvoice"]
        == "huskyvoice/direct-cancel"
    )


def test_reset_restores_seeded_state_and_empties_the_journal(mock):
    mock.cancel()
    assert mock.http.get("/__admin/requests").json()["requests"]
    assert mock.http.post("/__admin/reset").json() == {"reset": ["huskyvoice", "leyr"]}
    assert mock.http.get("/__admin/requests").json()["requests"] == []
    assert mock.appointment()["status"] == "confirmed"
    assert mock.http.post("/__admin/reset", json={"provider": "huskyvoice"}).status_code == 200
    assert mock.http.post("/__admin/reset", json={"provider": "acme"}).status_code == 404


def test_journal_records_and_filters(mock):
    mock.cancel()
    mock.get(f"/v1/appointments/{SEED_ID}")
    journal = mock.http.get("/__admin/requests").json()
    entries = journal["requests"]
    assert [e["method"] for e in entries] == ["PATCH", "GET"]
    patch = entries[0]
    assert patch["body"] == {"status": "cancelled"}
    assert patch["status"] == 200
    assert patch["headers"]["authorization"] == "Bearer …_KEY"  # credentials shortened
    assert patch["response"]["data"]["status"] == "cancelled"
    assert patch["at"] == "2026-05-26T12:00:00.000Z"
    only = mock.http.get("/__admin/requests", params={"method": "patch"}).json()["requests"]
    assert len(only) == 1
    assert mock.http.get("/__admin/requests", params={"colour": "x"}).status_code == 400
    assert mock.http.delete("/__admin/requests").status_code == 204
    assert mock.http.get("/__admin/requests").json()["requests"] == []


def test_journal_is_a_bounded_ring():
    from mockserver.journal.ring import Exchange, Journal, JournalSettings

    journal = Journal(JournalSettings(size=3))
    for index in range(5):
        journal.record(
            Exchange.of(
                at="t",
                provider="p",
                scenario="s",
                method="GET",
                path=f"/{index}",
                query="",
                headers={},
                body=b"",
                status=200,
                response=b'{"ok":true}',
                interaction=None,
            )
        )
    assert [e["path"] for e in journal.entries()] == ["/2", "/3", "/4"]
    assert journal.entries()[0]["response"] == {"ok": True}
    assert journal.total == 5


def test_clock_set_and_advance(mock):
    assert mock.http.get("/__admin/clock").json()["huskyvoice"]["now"] == "2026-05-26T12:00:00.000Z"
    moved = mock.http.put("/__admin/clock", json={"advance_seconds": 90})
    assert moved.json()["huskyvoice"]["now"] == "2026-05-26T12:01:30.000Z"
    mock.http.put("/__admin/clock", json={"now": "2026-06-01T00:00:00Z"})
    assert mock.cancel().json()["data"]["updated_at"] == "2026-06-01T00:00:00.000Z"
    for bad in (
        {},
        {"now": "soon"},
        {"advance_seconds": "1"},
        {"now": "2026-06-01T00:00:00Z", "advance_seconds": 1},
    ):
        assert mock.http.put("/__admin/clock", json=bad).status_code == 400, bad


def test_violations_list_and_clear(mock):
    mock.http.patch(
        f"/v1/appointments/{SEED_ID}",
        json={"status": "gone"},
        headers={"Authorization": "Bearer YOUR_API_KEY"},
    )
    violations = mock.http.get("/__admin/violations").json()["violations"]
    assert violations[0]["kind"] == "request"
    assert violations[0]["problems"][0]["location"] == "body.status"
    assert mock.http.delete("/__admin/violations").status_code == 204
    assert mock.http.get("/__admin/violations").json() == {"violations": []}


def test_messages_outbox_is_empty_for_huskyvoice(mock):
    mock.cancel()
    assert mock.http.get("/__admin/messages").json() == {"messages": []}


def test_openapi_document(mock):
    from openapi_spec_validator import validate

    document = mock.http.get("/__admin/openapi/huskyvoice").json()
    validate(document)
    patch = document["paths"]["/v1/appointments/{appointment_id}"]["patch"]
    assert patch["x-required-scope"] == "appointments:write"
    assert {"200", "400", "401", "403", "404", "409", "422", "429"} <= set(patch["responses"])
    assert mock.http.get("/__admin/openapi/acme").status_code == 404


def test_unknown_admin_route_lists_the_routes(mock):
    reply = mock.http.get("/__admin/nothing")
    assert reply.status_code == 404
    assert "GET /__admin/health" in reply.json()["error"]["message"]
    assert mock.http.delete("/__admin/health").status_code == 405


@pytest.mark.parametrize(
    "body",
    [
        b'{"advance_seconds": 1e12}',
        b'{"advance_seconds": 1e308}',
        b'{"advance_seconds": -1e308}',
        b'{"advance_seconds": NaN}',
        b'{"advance_seconds": Infinity}',
        b'{"advance_seconds": true}',
        b'{"advance_seconds": "60"}',
        b'{"now": "0001-01-01T00:00+01:00"}',
        b'{"now": "9999-12-31T23:59-01:00"}',
        b'{"now": "2026-02-30T10:00Z"}',
        b'{"now": 5}',
        b'{"now": "2026-06-01T00:00Z", "provider": ["huskyvoice"]}',
        b'{"now": "2026-06-01T00:00Z", "provider": {}}',
        b'{"now": "2026-06-01T00:00Z", "advance_seconds": 1}',
    ],
)
def test_clock_refuses_what_it_cannot_do_and_changes_nothing(mock, body):
    before = mock.http.get("/__admin/clock").json()
    reply = mock.http.put("/__admin/clock", content=body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "BAD_REQUEST"
    assert mock.http.get("/__admin/clock").json() == before
    assert mock.cancel().status_code == 200  # and the mock still answers


def test_clock_steps_that_would_leave_its_range_move_no_clock(mock):
    far = mock.http.put("/__admin/clock", json={"now": "8999-12-31T00:00:00Z", "provider": "leyr"})
    assert far.status_code == 200
    before = mock.http.get("/__admin/clock").json()
    reply = mock.http.put("/__admin/clock", json={"advance_seconds": 3 * 86400})
    assert reply.status_code == 400
    assert "range" in reply.json()["error"]["message"]
    assert mock.http.get("/__admin/clock").json() == before  # HuskyVoice's did not move alone


@pytest.mark.parametrize(
    "body",
    [
        b'{"provider": ["x"]}',
        b'{"provider": {}}',
        b'{"provider": 1}',
        b'{"scenarios": "leyr/two-step"}',
    ],
)
def test_reset_refuses_a_provider_that_is_not_a_name(mock, body):
    reply = mock.http.post("/__admin/reset", content=body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "BAD_REQUEST"


def test_journal_shortens_credentials_but_still_matches_them(mock):
    leyr = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
    mock.http.get("/api/emrs/webdoc/care-units/wd-oslo-1/appointments", headers=leyr)
    mock.http.get("/v1/appointment-config", headers={**AUTH, "Cookie": "session=abcdefghij"})
    entries = mock.http.get("/__admin/requests").json()["requests"]
    assert entries[0]["headers"]["x-leyr-client-secret"] == "…cret"
    assert entries[0]["headers"]["x-leyr-client-id"] == "test-client-id"
    assert entries[1]["headers"]["cookie"] == "…ghij"
    wanted = json.dumps({"authorization": "Bearer YOUR_API_KEY"})
    found = mock.http.get("/__admin/requests", params={"headers": wanted}).json()["requests"]
    assert [e["path"] for e in found] == ["/v1/appointment-config"]


def test_journal_secrets_can_be_kept():
    from conftest import in_process_client
    from mockserver import MockEngine

    engine = MockEngine(journal_secrets=True)
    with in_process_client(engine) as http:
        http.get("/v1/appointment-config", headers=AUTH)
        entry = http.get("/__admin/requests").json()["requests"][0]
    assert entry["headers"]["authorization"] == "Bearer YOUR_API_KEY"


def test_put_scenario_takes_a_scenario_as_data(mock):
    data = {"extends": "huskyvoice/direct-cancel", "org": {"allow_cancellation": False}}
    reply = mock.http.put("/__admin/scenario", json={"scenario": data})
    assert reply.status_code == 200, reply.text
    assert reply.json()["loaded"]["name"] == "huskyvoice/inline"
    assert mock.cancel().json()["error"]["code"] == "CANCELLATION_NOT_ALLOWED"
    broken = mock.http.put(
        "/__admin/scenario",
        json={
            "scenario": {"extends": "huskyvoice/direct-cancel", "org": {"timezone": "Mars/Base"}}
        },
    )
    assert broken.status_code == 400
    assert "org.timezone" in broken.json()["error"]["message"]
    for body in (
        {"scenario": "x"},
        {"name": "a/b", "scenario": {}},
        {"scenario": {"extends": "nope/x"}},
    ):
        assert mock.http.put("/__admin/scenario", json=body).status_code == 400
    assert mock.http.get("/__admin/health").json()["active"]["huskyvoice"] == "huskyvoice/inline"
