"""HuskyVoice rules that mutation testing found unpinned, each through HTTP and the admin API.

Every test here fails on a mutant of `mockserver/providers/huskyvoice/` that the rest of the
suite let through: where an appointment's start is read from, which date an instant names in
the organisation's zone, what a clinic without declared services accepts, and which statuses
can still move.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import AUTH, SEED_ID, Mock

SERVICE = "f47ac10b-58cc-4372-a567-0e02b2c3d479"


def load(mock: Mock, **changes: Any) -> None:
    """The documented scenario with `changes`, loaded as data through the admin API."""
    scenario = {"extends": "huskyvoice/direct-cancel", **changes}
    reply = mock.http.put("/__admin/scenario", json={"scenario": scenario})
    assert reply.status_code == 200, reply.text


def patch(mock: Mock, appointment_id: str = SEED_ID, **body: Any):
    return mock.http.patch(f"/v1/appointments/{appointment_id}", json=body, headers=AUTH)


def book(mock: Mock, appointment_type: str):
    body = {
        "appointment_type": appointment_type,
        "appointment_date": "2026-06-15T03:30:00Z",  # Monday 09:00 in Asia/Kolkata
        "patient_name": "Nila",
        "parent_phone": "+919843000000",
        "branch_id": "branch_uuid_here",
        "session": "Morning",
    }
    return mock.http.post("/v1/appointments", json=body, headers=AUTH)


def error_code(reply) -> str:
    assert reply.status_code >= 400, reply.text
    return reply.json()["error"]["code"]


def test_the_notice_counts_from_the_window_start_not_the_session_default(mock):
    # The Morning window opens at 09:00 (03:30Z); the scenario says a Morning session starts at
    # 07:00. At 03:00Z the day before, 24.5 h are left before the window: notice enough.
    load(mock, behaviour={"session_start_times": {"Morning": "07:00"}})
    mock.clock(now="2026-06-14T03:00:00Z")
    reply = patch(mock, status="cancelled")
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["status"] == "cancelled"


def test_an_appointment_outside_every_window_starts_at_its_sessions_time(mock):
    # No window opens on Tuesdays: the appointment starts at the scenario's Morning time,
    # 10:00 in Asia/Kolkata (04:30Z), and the refusal names that instant.
    tuesday = {
        "appointment_id": "appt_tuesday01",
        "appointment_type": SERVICE,
        "branch_id": "branch_uuid_here",
        "date": "2026-06-16",
        "session": "Morning",
        "patient_name": "Kavya",
        "parent_phone": "+919842000000",
    }
    load(
        mock,
        behaviour={"session_start_times": {"Morning": "10:00"}},
        appointments=[tuesday],
    )
    mock.clock(now="2026-06-15T12:00:00Z")
    refused = patch(mock, "appt_tuesday01", status="cancelled")
    assert error_code(refused) == "CANCELLATION_NOTICE_PERIOD"
    assert "it starts at 2026-06-16T04:30:00" in refused.json()["error"]["message"]
    assert "16 h 30 min before the appointment" in refused.json()["error"]["message"]
    mock.clock(now="2026-06-15T04:30:00Z")  # exactly 24 h ahead: just in time
    assert patch(mock, "appt_tuesday01", status="cancelled").status_code == 200


def test_a_date_riding_along_a_cancellation_is_the_organisations_local_date(mock):
    # 20:00Z on Monday 15 June is 01:30 on Tuesday 16 June in Asia/Kolkata.
    reply = patch(mock, status="cancelled", appointment_date="2026-06-15T20:00:00Z")
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"]["date"] == "2026-06-16"
    assert mock.appointment()["date"] == "2026-06-16"


def test_a_completed_appointment_cannot_be_rescheduled(mock):
    assert patch(mock, status="completed").status_code == 200
    before = mock.appointment()
    moved = patch(mock, appointment_date="2026-06-15T11:30:00Z", session="Evening")
    assert error_code(moved) == "INVALID_STATUS_TRANSITION"
    assert "completed appointment cannot be rescheduled" in moved.json()["error"]["message"]
    assert mock.appointment() == before
    assert mock.slot(calendar_id="cal_evening_ea")["filled_slots"] == 0


@pytest.fixture
def no_services(mock: Mock) -> Mock:
    """A clinic that declares no services: its windows' appointment types are the services."""
    load(mock, services=[])
    return mock


def test_without_declared_services_a_windows_type_can_be_booked(no_services):
    reply = book(no_services, SERVICE)
    assert reply.status_code == 201, reply.text
    assert no_services.slot()["filled_slots"] == 4


def test_without_declared_services_an_unknown_type_is_refused(no_services):
    reply = book(no_services, "dental-checkup")
    assert error_code(reply) == "VALIDATION_ERROR"
    assert "no service with id or name 'dental-checkup'" in reply.json()["error"]["message"]
    assert no_services.slot()["filled_slots"] == 3


def spend(mock: Mock, count: int, key: str = "YOUR_API_KEY") -> None:
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(count):
        reply = mock.http.get(f"/v1/appointments/{SEED_ID}", headers=headers)
        assert reply.status_code == 200, reply.text


def limited(mock: Mock, key: str = "YOUR_API_KEY") -> str:
    """The Retry-After of a request the rate limit refuses."""
    reply = mock.http.get(f"/v1/appointments/{SEED_ID}", headers={"Authorization": f"Bearer {key}"})
    assert error_code(reply) == "RATE_LIMIT_EXCEEDED"
    return reply.headers["retry-after"]


def test_each_key_has_a_window_of_its_own(mock):
    scopes = ["appointments:read", "appointments:write", "slots:read"]
    keys = [{"key": "YOUR_API_KEY", "scopes": scopes}, {"key": "SECOND_KEY", "scopes": scopes}]
    scenario = {"extends": "huskyvoice/rate-limited", "api_keys": keys}
    assert mock.http.put("/__admin/scenario", json={"scenario": scenario}).status_code == 200
    spend(mock, 60)
    assert limited(mock) == "60"
    spend(mock, 60, key="SECOND_KEY")
    assert limited(mock, key="SECOND_KEY") == "60"


def test_retry_after_counts_from_the_oldest_request_in_the_window(mock_for):
    mock = mock_for("huskyvoice/rate-limited")
    spend(mock, 1)
    mock.clock(advance_seconds=10)
    spend(mock, 59)
    assert limited(mock) == "50"  # the first request leaves the window 50 s from now
    mock.clock(advance_seconds=50)
    spend(mock, 1)  # it has left: one place is free again
    assert limited(mock) == "10"


def test_retry_after_is_one_second_when_less_than_one_is_left(mock_for):
    mock = mock_for("huskyvoice/rate-limited")
    spend(mock, 60)
    mock.clock(advance_seconds=59.5)
    assert limited(mock) == "1"
