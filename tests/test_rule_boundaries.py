"""Each rule at its exact boundary, through HTTP: the value on the line and the one just past it.

A rule tested only well inside or well outside its limit lets an off-by-one through; these pin
the comparison itself (`<` against `<=`, rounding up against down, a floor at zero).
"""

from __future__ import annotations

import pytest

from conftest import AUTH, SEED_ID, Mock, in_process_client, write_scenario
from mockserver import MockEngine, ScenarioError
from mockserver.core.resources import scenarios_dir

SERVICE = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
# The seed's Monday Morning window opens at 09:00 Asia/Kolkata: 03:30 UTC.
MONDAY_MORNING = "2026-06-15T03:30:00Z"
LEYR_CLIENT = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
WEBDOC_1001 = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"


def book(mock, when: str = MONDAY_MORNING):
    body = {
        "appointment_type": SERVICE,
        "appointment_date": when,
        "patient_name": "Nila",
        "parent_phone": "+919843000000",
        "branch_id": "branch_uuid_here",
        "session": "Morning",
    }
    return mock.http.post("/v1/appointments", json=body, headers=AUTH)


@pytest.mark.parametrize(
    ("clock", "status"),
    [
        ("2026-05-16T03:30:00Z", 201),  # exactly max_advance_booking_days (30) ahead: open
        ("2026-05-16T03:29:59Z", 422),  # a second further: closed
    ],
)
def test_booking_horizon_is_inclusive(mock, clock, status):
    mock.clock(now=clock)
    reply = book(mock)
    assert reply.status_code == status, reply.text
    if status != 201:
        assert reply.json()["error"]["code"] == "OUTSIDE_AVAILABILITY"


@pytest.mark.parametrize(
    ("clock", "status"),
    [
        ("2026-06-15T01:30:00Z", 201),  # exactly minimum_notice_hours (2) ahead: enough notice
        ("2026-06-15T01:30:01Z", 422),  # a second less: not enough
    ],
)
def test_minimum_booking_notice_is_inclusive(mock, clock, status):
    mock.clock(now=clock)
    reply = book(mock)
    assert reply.status_code == status, reply.text


def test_retry_after_rounds_a_part_second_up(mock_for):
    mock = mock_for("huskyvoice/rate-limited")
    for _ in range(60):
        assert mock.get(f"/v1/appointments/{SEED_ID}").status_code == 200
    mock.clock(advance_seconds=44.5)
    limited = mock.get(f"/v1/appointments/{SEED_ID}")
    # 15.5 seconds are left in the window: a client that waits 15 would be refused again.
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "16")
    assert limited.json()["error"]["message"].endswith("retry in 16 seconds")


def test_rescheduling_to_the_same_date_and_session_changes_nothing(mock):
    before = mock.appointment()
    reply = mock.http.patch(
        f"/v1/appointments/{SEED_ID}",
        json={"appointment_date": MONDAY_MORNING, "session": "Morning"},
        headers=AUTH,
    )
    assert reply.status_code == 200, reply.text
    place = ("status", "date", "session", "batch")
    assert [reply.json()["data"][k] for k in place] == [before[k] for k in place]
    assert before["status"] == "confirmed"  # never "rescheduled" for a move to where it is
    assert mock.slot()["filled_slots"] == 3


def test_available_slots_never_go_below_zero(mock, tmp_path):
    # 9 of the window's 10 places are taken (by the clinic's own bookings): the 8 the AI may
    # book are all gone, and the answer says 0, never -1.
    text = (scenarios_dir() / "huskyvoice" / "direct-cancel.yaml").read_text()
    write_scenario(
        tmp_path,
        "huskyvoice",
        "nearly-full",
        text.replace('filled_slots: {"2026-06-15": 3}', 'filled_slots: {"2026-06-15": 9}'),
    )
    engine = MockEngine(scenarios_dirs=[tmp_path])
    engine.activate(["huskyvoice/nearly-full"])
    with in_process_client(engine) as client:
        full = Mock(engine, client)
        slot = full.slot()
        assert (slot["filled_slots"], slot["available_slots"]) == (9, 0)
        assert book(full).json()["error"]["code"] == "SLOT_FULL"


@pytest.mark.parametrize(
    ("filled", "message"),
    [
        ('{"2026-06-15": 11}', "11 on 2026-06-15 is more than max_slots (10)"),
        ("11", "slots[0].filled_slots: 11 is more than max_slots (10)"),
    ],
)
def test_a_seed_with_more_filled_places_than_the_window_holds_is_refused(tmp_path, filled, message):
    text = (scenarios_dir() / "huskyvoice" / "direct-cancel.yaml").read_text()
    write_scenario(
        tmp_path,
        "huskyvoice",
        "overfull",
        text.replace('filled_slots: {"2026-06-15": 3}', f"filled_slots: {filled}"),
    )
    with pytest.raises(ScenarioError) as refused:
        MockEngine(scenarios_dirs=[tmp_path])
    assert message in str(refused.value)


def test_leyr_end_equal_to_start_is_refused(mock_for):
    mock = mock_for("leyr/direct-cancel")
    instant = "2026-06-15T09:00:00+02:00"
    body = {"status": "cancelled", "start": instant, "end": instant}
    reply = mock.http.patch(WEBDOC_1001, json=body, headers=LEYR_CLIENT)
    assert reply.status_code == 400, reply.text
    assert reply.json()["errors"][0]["path"] == "end"
    assert mock.http.get(WEBDOC_1001, headers=LEYR_CLIENT).json()["status"] == "booked"


def test_an_answer_that_breaks_its_own_schema_marks_its_journal_entry(monkeypatch):
    from mockserver.core.exchange import MockRequest
    from mockserver.core.reply import Reply
    from mockserver.providers.huskyvoice import api

    def broken(state, call):
        return Reply(200, {"success": True, "data": {"allow_cancellation": "yes"}})

    monkeypatch.setattr(api, "get_config", broken)
    engine = MockEngine()
    engine.handle(
        MockRequest(
            "GET", "/v1/appointment-config", headers={"authorization": AUTH["Authorization"]}
        )
    )
    [entry] = engine.requests()
    [violation] = engine.violations()
    # Only the answer broke the contract (the request was fine): the entry still says so.
    assert (entry["broke_contract"], violation["kind"]) == (True, "response")


def test_one_rule_for_instants_on_every_admin_surface(mock):
    # RFC 3339 lets the UTC designator be lower case; the clock and the journal agree on it.
    assert mock.http.put("/__admin/clock", json={"now": "2026-06-01T08:00:00z"}).status_code == 200
    assert mock.http.get("/__admin/clock").json()["huskyvoice"]["now"] == "2026-06-01T08:00:00.000Z"
    listed = mock.http.get("/__admin/requests", params={"since": "2026-06-01T08:00:00z"})
    assert listed.status_code == 200
    for bad in ("2026-06-01T08:00:00x", "2026-13-45T08:00:00z", "z", ""):
        assert mock.http.put("/__admin/clock", json={"now": bad}).status_code == 400
        assert mock.http.get("/__admin/requests", params={"since": bad}).status_code == 400
    # A lone surrogate can only come as a JSON escape (a query string is bytes).
    surrogate = b'{"now": "2026-06-01T08:00:00\\ud800"}'
    headers = {"content-type": "application/json"}
    assert mock.http.put("/__admin/clock", content=surrogate, headers=headers).status_code == 400
