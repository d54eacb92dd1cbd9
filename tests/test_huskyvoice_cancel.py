"""PATCH /v1/appointments/{id} with status cancelled: every documented and [mock] rule."""

from __future__ import annotations

from conftest import AUTH, SEED_ID, documented_cancel_response, in_process_client
from mockserver import MockEngine
from mockserver.core.resources import scenarios_dir


def test_seed_example_gives_the_documented_response(mock):
    reply = mock.http.patch(
        f"/v1/appointments/{SEED_ID}",
        headers={**AUTH, "Content-Type": "application/json"},
        content=b'{"status": "cancelled"}',
    )
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == documented_cancel_response()
    assert mock.engine.violations() == []


def test_cancel_frees_one_place_in_the_slot(mock):
    assert mock.slot()["filled_slots"] == 3
    mock.cancel()
    slot = mock.slot()
    assert slot["filled_slots"] == 2
    assert slot["available_slots"] == slot["ai_slots"] - 2
    assert slot["updated_at"] == "2026-05-26T12:00:00.000Z"


def test_recancel_returns_the_current_record_and_frees_nothing_more(mock):
    first = mock.cancel().json()
    mock.clock(advance_seconds=3600)
    again = mock.cancel()
    assert again.status_code == 200
    assert again.json() == first
    assert mock.slot()["filled_slots"] == 2


def test_cancelled_appointment_is_never_deleted(mock):
    mock.cancel()
    assert mock.appointment()["status"] == "cancelled"
    found = mock.get("/v1/appointments", status="cancelled").json()
    assert [a["appointment_id"] for a in found["data"]] == [SEED_ID]
    everything = mock.get("/v1/appointments").json()
    assert everything["pagination"]["total"] == 2


def test_other_fields_ride_along_with_the_cancellation(mock):
    reply = mock.cancel(assigned_doctor="Dr. Rao", notes="patient called", batch="MB")
    data = reply.json()["data"]
    assert (data["status"], data["assigned_doctor"], data["batch"]) == (
        "cancelled",
        "Dr. Rao",
        "MB",
    )
    assert mock.slot()["filled_slots"] == 2


def test_unknown_id_is_404_not_found(mock):
    reply = mock.cancel("appt_ffffffffff")
    assert reply.status_code == 404
    assert reply.json() == {
        "success": False,
        "error": {"code": "NOT_FOUND", "message": "Appointment not found: 'appt_ffffffffff'"},
    }


def test_missing_or_unknown_key_is_401(mock):
    no_auth = mock.http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"})
    assert no_auth.status_code == 401
    assert no_auth.json()["error"]["code"] == "UNAUTHORIZED"
    wrong = mock.cancel(key="not-a-key")
    assert wrong.status_code == 401
    basic = mock.http.patch(
        f"/v1/appointments/{SEED_ID}",
        json={"status": "cancelled"},
        headers={"Authorization": "Basic x"},
    )
    assert basic.status_code == 401
    assert mock.appointment()["status"] == "confirmed"


def test_notice_period_on_the_mock_clock(mock_for):
    mock = mock_for("huskyvoice/notice-period")
    reply = mock.cancel()
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "CANCELLATION_NOTICE_PERIOD"
    assert "2026-06-15T03:30:00.000Z" in error["message"]
    # Exactly 24 hours before 09:00 Asia/Kolkata the notice is met.
    mock.clock(now="2026-06-14T03:30:00Z")
    assert mock.cancel().status_code == 200


def test_notice_boundary_one_second_short(mock_for):
    mock = mock_for("huskyvoice/notice-period")
    mock.clock(now="2026-06-14T03:30:01Z")
    assert mock.cancel().status_code == 422


def test_completed_appointment_cannot_be_cancelled(mock):
    completed = mock.http.patch(
        f"/v1/appointments/{SEED_ID}", json={"status": "completed"}, headers=AUTH
    )
    assert completed.status_code == 200
    reply = mock.cancel()
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "INVALID_STATUS_TRANSITION"


def test_a_cancelled_appointment_cannot_be_revived(mock):
    mock.cancel()
    reply = mock.http.patch(
        f"/v1/appointments/{SEED_ID}", json={"status": "confirmed"}, headers=AUTH
    )
    assert reply.status_code == 409
    assert mock.slot()["filled_slots"] == 2


def test_concurrent_cancels_free_the_slot_once(mock):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: mock.cancel().status_code, range(16)))
    assert statuses == [200] * 16
    assert mock.slot()["filled_slots"] == 2


def test_error_overrides_from_the_scenario(tmp_path):
    folder = tmp_path / "huskyvoice"
    folder.mkdir()
    text = (
        (scenarios_dir() / "huskyvoice" / "direct-cancel.yaml")
        .read_text()
        .replace("  allow_cancellation: true", "  allow_cancellation: false")
        .replace(
            "appointments:\n  - appointment_id: appt_a1b2c3d4e5",
            "behaviour:\n  errors:\n    CANCELLATION_NOT_ALLOWED: {status: 409, code: POLICY}\n"
            "appointments:\n  - appointment_id: appt_a1b2c3d4e5",
        )
    )
    (folder / "strict.yaml").write_text(text)
    engine = MockEngine(["huskyvoice/strict"], [tmp_path])
    with in_process_client(engine) as client:
        reply = client.patch(
            f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"}, headers=AUTH
        )
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "POLICY"


def test_a_new_date_riding_along_a_cancel_is_recorded_and_frees_the_place_held(mock):
    assert mock.get("/v1/appointments", date="2026-06-22").json()["data"] == []  # sorted once
    reply = mock.cancel(appointment_date="2026-06-22T03:30:00Z", session="Evening")
    data = reply.json()["data"]
    assert (data["status"], data["date"], data["session"]) == ("cancelled", "2026-06-22", "Evening")
    assert mock.slot()["filled_slots"] == 2  # the Morning place it held on the 15th
    evening = mock.slot("2026-06-22", "cal_evening_ea")
    assert evening["filled_slots"] == 0  # nothing is reserved for a cancelled appointment
    moved = mock.get("/v1/appointments", date="2026-06-22").json()["data"]
    assert [a["appointment_id"] for a in moved] == [SEED_ID]
    assert SEED_ID not in [
        a["appointment_id"] for a in mock.get("/v1/appointments", date="2026-06-15").json()["data"]
    ]
