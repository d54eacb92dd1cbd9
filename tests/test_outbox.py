"""The outbox: what a two-step cancellation sends, on each channel, read through the admin API."""

from __future__ import annotations

LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
BASE = "/api/emrs/mailsystems/care-units/M1/appointments"
BY_EMAIL = {
    "extends": "leyr/two-step",
    "two_step": {"expiry_seconds": 900},
    "emrs": [
        {
            "id": "mailsystems",
            "name": "Mail Systems",
            "two_step": True,
            "channel": "email",
            "care_units": [{"id": "M1", "name": "Oslo"}],
        }
    ],
    "patients": [
        {
            "id": "patient-1",
            "name": "Kari Nordmann",
            "phone": "+4791234567",
            "email": "kari@example.no",
        }
    ],
    "appointments": [
        {
            "id": "3001",
            "emr": "mailsystems",
            "care_unit_id": "M1",
            "start": "2026-06-15T09:00:00+02:00",
            "end": "2026-06-15T09:30:00+02:00",
            "patient_id": "patient-1",
        }
    ],
}


def test_an_email_emr_sends_the_code_to_the_patients_address(mock):
    loaded = mock.http.put("/__admin/scenario", json={"scenario": BY_EMAIL})
    assert loaded.status_code == 200, loaded.text
    pending = mock.http.patch(f"{BASE}/3001", json={"status": "cancelled"}, headers=LEYR).json()
    assert pending["status"] == "awaiting_confirmation"
    [message] = mock.http.get("/__admin/messages").json()["messages"]
    assert {
        k: message[k] for k in ("channel", "recipient", "patient_id", "emr", "care_unit_id")
    } == {
        "channel": "email",
        "recipient": "kari@example.no",
        "patient_id": "patient-1",
        "emr": "mailsystems",
        "care_unit_id": "M1",
    }
    assert (message["original_id"], message["new_id"]) == ("3001", pending["id"])
    assert (message["sent_at"], message["expires_at"]) == (
        "2026-06-01T08:00:00.000Z",
        "2026-06-01T08:15:00.000Z",
    )
    assert message["code"] in message["text"]
