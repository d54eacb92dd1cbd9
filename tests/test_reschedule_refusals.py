"""Rescheduling refused: each refusal names its cause, through HTTP, and moves no place."""

from __future__ import annotations

from conftest import AUTH, SEED_ID, Mock

APPOINTMENT = f"/v1/appointments/{SEED_ID}"


def _evening(mock: Mock):
    return mock.http.patch(APPOINTMENT, json={"session": "Evening"}, headers=AUTH)


def _places(mock: Mock) -> tuple[int, int]:
    return mock.slot()["filled_slots"], mock.slot(calendar_id="cal_evening_ea")["filled_slots"]


def test_a_cancelled_appointment_cannot_be_rescheduled(mock):
    assert mock.cancel().status_code == 200
    before = _places(mock)
    reply = _evening(mock)
    assert reply.status_code == 409
    assert reply.json()["error"] == {
        "code": "INVALID_STATUS_TRANSITION",
        "message": "A cancelled appointment cannot be rescheduled",
    }
    assert _places(mock) == before
    assert mock.appointment()["session"] == "Morning"


def test_rescheduling_disabled_for_the_organisation_is_refused(mock):
    inline = {"extends": "huskyvoice/direct-cancel", "org": {"allow_rescheduling": False}}
    loaded = mock.http.put("/__admin/scenario", json={"scenario": inline})
    assert loaded.status_code == 200, loaded.text
    before = _places(mock)
    reply = _evening(mock)
    assert reply.status_code == 403
    assert reply.json()["error"] == {
        "code": "RESCHEDULING_NOT_ALLOWED",
        "message": "Rescheduling is disabled for this organisation (allow_rescheduling is false)",
    }
    assert _places(mock) == before


def test_an_impossible_date_names_its_field(mock):
    reply = mock.http.patch(
        APPOINTMENT, json={"appointment_date": "2026-02-29T10:00:00Z"}, headers=AUTH
    )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"].startswith("body.appointment_date: '2026-02-29T10:00:00Z'")
