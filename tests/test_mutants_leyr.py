"""Leyr's two-step machine and rules where mutation testing found them unpinned, through HTTP.

Every test here fails on a mutant of `mockserver/providers/leyr/` that the rest of the suite
let through: the field each two-step refusal names, what a code sent after the cancellation is
confirmed answers, and how comments gather on a pending cancellation.
"""

from __future__ import annotations

import pytest

from test_leyr import ANITA, WEBDOC, Leyr, assert_problem


@pytest.fixture
def leyr_for(mock_for):
    return lambda name: Leyr(mock_for(name))


def opened(leyr, appointment_id: str = "2001", **extra) -> str:
    """Cancel on the two-step EMR: the new id, awaiting the patient's code."""
    reply = leyr.cancel(ANITA, appointment_id, **extra)
    assert reply.json()["status"] == "awaiting_confirmation", reply.text
    return reply.json()["id"]


def refused_on(reply, status: int, error_code: str, path: str) -> dict:
    body = assert_problem(reply, status, error_code)
    assert [e["path"] for e in body["errors"]] == [path]
    return body


def test_every_refused_code_names_the_code_field(leyr_for):
    leyr = leyr_for("leyr/two-step-wrong-code")
    new_id = opened(leyr)
    for wrong in ("000000", "111111"):
        refused_on(
            leyr.confirm(ANITA, new_id, wrong),
            400,
            "INVALID_CONFIRMATION_CODE",
            "confirmation.code",
        )
    refused_on(
        leyr.confirm(ANITA, new_id, "222222"),
        400,
        "CONFIRMATION_ATTEMPTS_EXCEEDED",
        "confirmation.code",
    )
    # Void: the right code now gets the same reason, naming the same field.
    refused_on(
        leyr.confirm(ANITA, new_id, "482913"),
        400,
        "CONFIRMATION_ATTEMPTS_EXCEEDED",
        "confirmation.code",
    )


def test_an_expired_code_names_the_code_field_then_and_after(leyr_for):
    leyr = leyr_for("leyr/two-step-expired")
    new_id = opened(leyr)
    code = leyr.code_for(new_id)
    leyr.http.put("/__admin/clock", json={"advance_seconds": 601, "provider": "leyr"})
    for _ in range(2):
        refused_on(
            leyr.confirm(ANITA, new_id, code), 400, "CONFIRMATION_CODE_EXPIRED", "confirmation.code"
        )
    assert leyr.status(ANITA, "2001") == "booked"


def test_a_code_after_the_confirmation_changes_nothing_whatever_it_is(leyr_for):
    leyr = leyr_for("leyr/two-step-wrong-code")
    new_id = opened(leyr)
    done = leyr.confirm(ANITA, new_id, "482913")
    assert done.json()["status"] == "cancelled", done.text
    # Later, a wrong code on the new id, past the code's expiry too: still the cancelled record.
    leyr.http.put("/__admin/clock", json={"advance_seconds": 3600, "provider": "leyr"})
    for wrong in ("000000", "111111", "222222", "333333"):
        again = leyr.confirm(ANITA, new_id, wrong)
        assert (again.status_code, again.json()) == (200, done.json()), again.text
    # And on the original id, which never had a pending cancellation of its own.
    original = leyr.confirm(ANITA, "2001", "000000")
    assert (original.status_code, original.json()["status"]) == (200, "cancelled"), original.text
    assert original.json()["id"] == "2001"
    assert len(leyr.messages()) == 1


def test_a_code_with_nothing_to_confirm_names_the_appointment_id(leyr_for):
    leyr = leyr_for("leyr/two-step")
    never_pending = leyr.confirm(ANITA, "2002", "123456")
    refused_on(never_pending, 400, "INVALID_APPOINTMENT_ID", "appointment_id")
    new_id = opened(leyr)
    on_original = leyr.confirm(ANITA, "2001", leyr.code_for(new_id))
    body = refused_on(on_original, 400, "INVALID_APPOINTMENT_ID", "appointment_id")
    assert body["detail"] == (
        f"Cannot confirm '2001': this is the original id; confirm on the new id {new_id!r} "
        "from the awaiting_confirmation response"
    )


def test_an_unknown_appointment_names_the_appointment_id(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    missing = leyr.cancel(WEBDOC, "999999")
    refused_on(missing, 404, "INVALID_APPOINTMENT_ID", "appointment_id")
    assert leyr.get(f"{WEBDOC}/999999").json()["errors"][0]["path"] == "appointment_id"


def test_a_comment_sent_only_with_the_second_cancel_rides_to_the_confirmation(leyr_for):
    leyr = leyr_for("leyr/two-step")
    new_id = opened(leyr)
    again = leyr.cancel(ANITA, "2001", comment="Patient is travelling")
    assert (again.status_code, again.json()["id"]) == (200, new_id), again.text
    assert leyr.confirm(ANITA, new_id, leyr.code_for(new_id)).status_code == 200
    original = leyr.get(f"{ANITA}/2001").json()
    assert (original["status"], original["comment"]) == ("cancelled", "Patient is travelling")


def test_a_comment_sent_only_with_the_first_cancel_is_kept_by_the_second(leyr_for):
    leyr = leyr_for("leyr/two-step")
    new_id = opened(leyr, comment="Sick")
    leyr.cancel(ANITA, "2001", resource_id="practitioner-9")
    assert leyr.confirm(ANITA, new_id, leyr.code_for(new_id)).status_code == 200
    original = leyr.get(f"{ANITA}/2001").json()
    assert (original["comment"], original["resource_id"]) == ("Sick", "practitioner-9")


def test_the_code_message_says_who_what_and_until_when(leyr_for):
    leyr = leyr_for("leyr/two-step")
    new_id = opened(leyr)
    [message] = leyr.messages()
    code = message["code"]
    assert message == {
        "channel": "sms",
        "recipient": "+4791234567",
        "patient_id": "patient-1",
        "code": code,
        "emr": "anitasystems",
        "care_unit_id": "L0_1",
        "original_id": "2001",
        "new_id": new_id,
        "sent_at": "2026-06-01T08:00:00.000Z",
        "expires_at": "2026-06-01T08:10:00.000Z",
        "text": f"Your code to confirm the cancellation is {code}",
        "state": "pending",
    }
    assert len(new_id) == 9 and new_id.isdigit() and not new_id.startswith("0")


def load_two_step(leyr, **changes) -> None:
    """leyr/two-step with `changes`, loaded as data through the admin API."""
    scenario = {"extends": "leyr/two-step", **changes}
    reply = leyr.http.put("/__admin/scenario", json={"scenario": scenario})
    assert reply.status_code == 200, reply.text


def test_an_email_emr_sends_the_code_to_the_patients_address(leyr_for):
    leyr = leyr_for("leyr/two-step")
    emr = {
        "id": "anitasystems",
        "name": "Anita Systems",
        "two_step": True,
        "channel": "email",
        "care_units": [{"id": "L0_1", "name": "Tromsø"}, {"id": "L0_2", "name": "Bodø"}],
    }
    patients = [
        {
            "id": "patient-1",
            "name": "Kari Nordmann",
            "phone": "+4791234567",
            "email": "kari@example.no",
        },
        {
            "id": "patient-2",
            "name": "Ola Nordmann",
            "phone": "+4798765432",
            "email": "ola@example.no",
        },
    ]
    load_two_step(leyr, emrs=[emr], patients=patients)
    new_id = opened(leyr)
    [message] = leyr.messages()
    assert (message["channel"], message["recipient"]) == ("email", "kari@example.no")
    assert leyr.confirm(ANITA, new_id, message["code"]).json()["status"] == "cancelled"


def test_an_appointment_without_a_patient_still_gets_its_code_sent_to_no_one(leyr_for):
    leyr = leyr_for("leyr/two-step")
    anonymous = {
        "id": "2001",
        "emr": "anitasystems",
        "care_unit_id": "L0_1",
        "start": "2026-06-15T09:00:00+02:00",
        "end": "2026-06-15T09:30:00+02:00",
    }
    load_two_step(leyr, appointments=[anonymous])
    new_id = opened(leyr)
    [message] = leyr.messages()
    assert (message["patient_id"], message["recipient"]) == (None, None)
    assert leyr.confirm(ANITA, new_id, message["code"]).json()["status"] == "cancelled"


def test_a_start_sent_alone_is_checked_against_the_end_it_keeps(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    garbled = leyr.cancel(WEBDOC, "1001", start="not a time")
    body = refused_on(garbled, 400, "BAD_INPUT", "start")
    assert body["detail"] and "start" in body["detail"]
    late = leyr.cancel(WEBDOC, "1001", start="2026-06-15T10:00:00+02:00")
    body = refused_on(late, 400, "BAD_INPUT", "start")
    assert body["detail"] == (
        "end '2026-06-15T09:20:00+02:00' is not after start '2026-06-15T10:00:00+02:00'"
    )
    early_end = leyr.cancel(WEBDOC, "1001", end="2026-06-15T08:00:00+02:00")
    body = refused_on(early_end, 400, "BAD_INPUT", "end")
    assert body["detail"] == (
        "end '2026-06-15T08:00:00+02:00' is not after start '2026-06-15T09:00:00+02:00'"
    )
    assert leyr.status(WEBDOC, "1001") == "booked"


def test_a_completed_appointment_is_not_cancelled_and_the_refusal_names_status(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    done = {
        "id": "1001",
        "emr": "webdoc",
        "care_unit_id": "wd-oslo-1",
        "start": "2026-06-15T09:00:00+02:00",
        "end": "2026-06-15T09:20:00+02:00",
        "status": "completed",
    }
    reply = leyr.http.put(
        "/__admin/scenario",
        json={"scenario": {"extends": "leyr/direct-cancel", "appointments": [done]}},
    )
    assert reply.status_code == 200, reply.text
    body = refused_on(leyr.cancel(WEBDOC, "1001"), 400, "NOT_SUPPORTED", "status")
    assert body["detail"] == "Appointment '1001' is completed and cannot be cancelled"
    assert leyr.status(WEBDOC, "1001") == "completed"


def test_only_the_first_colon_of_an_id_names_its_type(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    # `emr_id:1001:x` is the emr_id `1001:x`: not found, rather than an unsupported type.
    refused_on(leyr.get(f"{WEBDOC}/emr_id:1001:x"), 404, "INVALID_APPOINTMENT_ID", "appointment_id")
    refused_on(leyr.get(f"{WEBDOC}/mrn:1001"), 400, "INVALID_APPOINTMENT_ID", "appointment_id")
    named = [
        entry["appointment"]
        for entry in leyr.http.get("/__admin/requests", params={"provider": "leyr"}).json()[
            "requests"
        ]
    ]
    # The journal names an appointment as its EMR and bare id, a type it does not know as sent.
    assert named[-2:] == ["webdoc/1001:x", "webdoc/mrn:1001"]


def test_a_retry_of_the_last_of_several_comments_adds_nothing(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    for comment in ("First", "Second", "Third", "Third"):
        assert leyr.cancel(WEBDOC, "1001", comment=comment).status_code == 200
    assert leyr.get(f"{WEBDOC}/1001").json()["comment"] == "First\nSecond\nThird"
