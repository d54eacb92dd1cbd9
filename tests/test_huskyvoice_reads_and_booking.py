"""Search, retrieval, booking, availability and org config: what a client reads back."""

from __future__ import annotations

from conftest import AUTH, SEED_ID

SERVICE = "f47ac10b-58cc-4372-a567-0e02b2c3d479"


def book(mock, **overrides):
    body = {
        "appointment_type": SERVICE,
        "appointment_date": "2026-06-15T03:30:00Z",
        "patient_name": "Nila",
        "parent_phone": "+919843000000",
        "branch_id": "branch_uuid_here",
        "session": "Morning",
        **overrides,
    }
    return mock.http.post("/v1/appointments", json=body, headers=AUTH)


def test_get_one_appointment(mock):
    reply = mock.get(f"/v1/appointments/{SEED_ID}")
    assert reply.status_code == 200
    assert reply.json()["data"]["status"] == "confirmed"


def test_search_filters_sorting_and_pagination(mock):
    assert book(mock, session="Evening").status_code == 201
    everything = mock.get("/v1/appointments").json()
    assert everything["pagination"] == {"page": 1, "limit": 50, "total": 3}
    sessions = [(a["date"], a["session"]) for a in everything["data"]]
    assert sessions == sorted(sessions, key=lambda p: (p[0], ["Morning", "Evening"].index(p[1])))
    evening = mock.get("/v1/appointments", session="Evening").json()["data"]
    assert [a["patient_name"] for a in evening] == ["Nila"]
    page_two = mock.get("/v1/appointments", limit=2, page=2).json()
    assert page_two["pagination"] == {"page": 2, "limit": 2, "total": 3}
    assert len(page_two["data"]) == 1
    by_name = mock.get("/v1/appointments", appointment_type="general consultation").json()
    assert by_name["pagination"]["total"] == 3
    assert mock.get("/v1/appointments", date="2026-06-16").json()["data"] == []
    assert (
        mock.get("/v1/appointments", batch="MA", status="confirmed").json()["pagination"]["total"]
        == 2
    )


def test_search_limit_rules(mock):
    over = mock.get("/v1/appointments", limit=201)
    assert over.status_code == 400
    assert over.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "limit" in over.json()["error"]["message"]
    assert mock.get("/v1/appointments", limit="ten").status_code == 400
    assert mock.get("/v1/appointments", limit=200).status_code == 200


def test_config_has_policy_and_booking_rules(mock):
    data = mock.get("/v1/appointment-config").json()["data"]
    assert data["allow_cancellation"] is True
    assert data["cancellation_notice_hours"] == 24
    assert data["timezone"] == "Asia/Kolkata"
    assert {"minimum_notice_hours", "max_advance_booking_days", "allow_rescheduling"} <= set(data)


def test_availability_counts(mock):
    reply = mock.get("/v1/appointment-slots/availability", date="2026-06-15")
    body = reply.json()
    assert set(body) == {"success", "date", "slots"}
    morning = mock.slot()
    assert morning["slot_id"] == "cal_morning_ma||2026-06-15"
    assert (morning["max_slots"], morning["ai_slots"], morning["filled_slots"]) == (10, 8, 3)
    assert morning["available_slots"] == 5
    assert mock.get("/v1/appointment-slots/availability", date="2026-06-16").json()["slots"] == []
    only_evening = mock.get(
        "/v1/appointment-slots/availability", date="2026-06-15", session="Evening"
    )
    assert [s["session"] for s in only_evening.json()["slots"]] == ["Evening"]
    assert mock.get("/v1/appointment-slots/availability").status_code == 400


def test_booking_fills_a_place_and_is_found(mock):
    reply = book(mock)
    assert reply.status_code == 201
    body = reply.json()
    assert body["success"] is True
    assert body["appointment_id"] == body["data"]["appointment_id"]
    assert body["appointment_id"].startswith("appt_") and len(body["appointment_id"]) == 15
    assert body["token"] == 4
    assert body["data"]["batch"] == "MA"
    assert mock.slot()["filled_slots"] == 4
    assert mock.appointment(body["appointment_id"])["patient_name"] == "Nila"


def test_booking_is_deterministic_per_scenario_seed(mock_for):
    first = book(mock_for("huskyvoice/direct-cancel")).json()["appointment_id"]
    second = book(mock_for("huskyvoice/direct-cancel")).json()["appointment_id"]
    assert first == second


def test_duplicate_booking(mock):
    assert book(mock).status_code == 201
    again = book(mock)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "DUPLICATE_BOOKING"


def test_booking_outside_availability(mock):
    tuesday = book(mock, appointment_date="2026-06-16T03:30:00Z")
    assert tuesday.status_code == 422
    assert tuesday.json()["error"]["code"] == "OUTSIDE_AVAILABILITY"
    too_soon = book(mock, appointment_date="2026-05-26T13:00:00Z")
    assert too_soon.json()["error"]["code"] == "OUTSIDE_AVAILABILITY"
    too_far = book(mock, appointment_date="2026-08-03T03:30:00Z")
    assert too_far.json()["error"]["code"] == "OUTSIDE_AVAILABILITY"


def test_booking_needs_a_known_service_and_branch(mock):
    assert book(mock, appointment_type="Dentistry").status_code == 400
    assert book(mock, branch_id="elsewhere").status_code == 400
    by_name = book(mock, appointment_type="GENERAL consultation")
    assert by_name.status_code == 201
    assert by_name.json()["data"]["appointment_type"] == SERVICE


def test_slot_freed_scenario_end_to_end(mock_for):
    mock = mock_for("huskyvoice/slot-freed")
    slot = mock.slot()
    assert (slot["filled_slots"], slot["available_slots"]) == (3, 0)
    full = book(mock)
    assert full.status_code == 409
    assert full.json()["error"]["code"] == "SLOT_FULL"
    assert mock.cancel().status_code == 200
    slot = mock.slot()
    assert (slot["filled_slots"], slot["available_slots"]) == (2, 1)
    assert book(mock).status_code == 201
    assert mock.slot()["available_slots"] == 0
    assert mock.cancel().status_code == 200
    assert mock.slot()["filled_slots"] == 3


def test_reschedule_moves_the_place(mock):
    reply = mock.http.patch(
        f"/v1/appointments/{SEED_ID}", json={"session": "Evening"}, headers=AUTH
    )
    assert reply.status_code == 200
    data = reply.json()["data"]
    assert (data["session"], data["batch"], data["status"]) == ("Evening", "EA", "rescheduled")
    assert mock.slot()["filled_slots"] == 2
    assert mock.slot(calendar_id="cal_evening_ea")["filled_slots"] == 1
    assert mock.cancel().status_code == 200
    assert mock.slot(calendar_id="cal_evening_ea")["filled_slots"] == 0


def test_reschedule_outside_availability_changes_nothing(mock):
    reply = mock.http.patch(
        f"/v1/appointments/{SEED_ID}",
        json={"appointment_date": "2026-06-16T03:30:00Z"},
        headers=AUTH,
    )
    assert reply.status_code == 422
    assert mock.appointment()["date"] == "2026-06-15"
    assert mock.slot()["filled_slots"] == 3


def test_rate_limited_scenario(mock_for):
    mock = mock_for("huskyvoice/rate-limited")
    statuses = [mock.get(f"/v1/appointments/{SEED_ID}").status_code for _ in range(60)]
    assert statuses == [200] * 60
    limited = mock.get(f"/v1/appointments/{SEED_ID}")
    assert limited.status_code == 429
    assert limited.json() == {
        "error": {
            "code": "RATE_LIMIT_EXCEEDED",
            "message": "Rate limit of 60 requests per minute exceeded; retry in 60 seconds",
        }
    }
    assert limited.headers["retry-after"] == "60"
    mock.clock(advance_seconds=45)
    assert mock.get(f"/v1/appointments/{SEED_ID}").headers["retry-after"] == "15"
    mock.clock(advance_seconds=15)
    assert mock.get(f"/v1/appointments/{SEED_ID}").status_code == 200
    assert mock.engine.violations() == []


def test_rate_limit_is_off_by_default(mock):
    assert {mock.get("/v1/appointment-config").status_code for _ in range(70)} == {200}


def test_search_sees_bookings_and_moves_made_after_an_earlier_search(mock):
    assert mock.get("/v1/appointments", date="2026-06-15").json()["pagination"]["total"] == 2
    booked = book(mock, session="Evening").json()["appointment_id"]
    on_the_day = mock.get("/v1/appointments", date="2026-06-15").json()["data"]
    assert [a["appointment_id"] for a in on_the_day][-1] == booked
    moved = mock.http.patch(
        f"/v1/appointments/{SEED_ID}",
        json={"appointment_date": "2026-06-22T03:30:00Z"},
        headers=AUTH,
    )
    assert moved.status_code == 200
    later = mock.get("/v1/appointments", date="2026-06-22").json()["data"]
    assert [a["appointment_id"] for a in later] == [SEED_ID]
    assert mock.get("/v1/appointments", date="2026-06-15").json()["pagination"]["total"] == 2
    mock.cancel()
    assert (
        mock.get("/v1/appointments", date="2026-06-22", status="cancelled").json()["pagination"][
            "total"
        ]
        == 1
    )
