"""What HuskyVoice's documentation page says, word for word: the sentences behind each
documented operation and error code, and the page's own examples (exported in OpenAPI)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from mockserver.core.routing import DocSource, Examples

PAGE = "HuskyVoice: Cancelling Appointments"

# An appointment as the page shows one (before it is cancelled).
SAMPLE: Mapping[str, object] = {
    "appointment_id": "appt_a1b2c3d4e5",
    "appointment_type": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    "branch_id": "branch_uuid_here",
    "date": "2026-06-15",
    "session": "Morning",
    "batch": "MA",
    "token": None,
    "patient_name": "Aadhi",
    "parent_phone": "+919840XXXXXX",
    "assigned_doctor": None,
    "status": "confirmed",
    "external_reference_id": None,
    "created_at": "2026-05-26T10:00:00.000Z",
    "updated_at": "2026-05-26T12:00:00.000Z",
}


def said(sentence: str) -> DocSource:
    return DocSource(PAGE, sentence)


CANCEL = said(
    "Cancel a confirmed appointment by setting its status to cancelled using "
    "PATCH /v1/appointments/{appointment_id}."
)
NO_CANCEL_ENDPOINT = said(
    "There is no dedicated cancel endpoint — cancellation is a status update."
)
PERMITTED = said(
    "Whether cancellation is permitted at all is controlled by the allow_cancellation and "
    "cancellation_notice_hours settings in your org configuration (see Appointments Overview)."
)
RIDE_ALONG = said("This means you can include other field updates in the same request.")
IDEMPOTENT = said(
    "Idempotency: Cancelling an already-cancelled appointment is safe — the API returns the "
    "current record without error."
)
NO_DELETION = said(
    "No deletion: Appointments are never deleted. A cancelled appointment remains visible in "
    "search results and can be retrieved by ID."
)
SLOT_FREED = said(
    "Slot capacity is freed: When an appointment is cancelled, that slot's filled count is "
    "decremented, making the capacity available for new bookings."
)
CONFIG = said(
    "Cancellation behaviour is governed by your org settings. Read GET /v1/appointment-config "
    "to check:"
)
SCOPE = said("Your API key requires the appointments:write scope.")
NOT_FOUND = said("404 NOT_FOUND Appointment not found")
INSUFFICIENT_SCOPE = said("403 INSUFFICIENT_SCOPE API key does not have the required scope")
POLICY = said("allow_cancellation — if false, the API will reject cancellation requests")
NOTICE = said(
    "cancellation_notice_hours — minimum hours of advance notice required before the "
    "appointment time"
)

# Error answers the page states; every other one is the mock's (x-mock-inferred).
DOCUMENTED_ERRORS: Mapping[tuple[str, int], DocSource] = {
    ("NOT_FOUND", 404): NOT_FOUND,
    ("INSUFFICIENT_SCOPE", 403): INSUFFICIENT_SCOPE,
}

# Every [doc] statement the mock serves, with its sentence (docs/providers.md lists them).
STATEMENTS: Mapping[str, DocSource] = {
    "PATCH with status cancelled cancels": CANCEL,
    "there is no cancel endpoint: cancelling is the status update": NO_CANCEL_ENDPOINT,
    "other fields may ride along a cancellation": RIDE_ALONG,
    "re-cancelling returns the current record without error": IDEMPOTENT,
    "nothing is deleted; cancelled ones are found by search and by id": NO_DELETION,
    "cancelling decrements the slot's filled count": SLOT_FREED,
    "GET /v1/appointment-config carries the cancellation settings": CONFIG,
    "cancelling needs the appointments:write scope": SCOPE,
    "the org's two settings decide whether a cancellation is permitted": PERMITTED,
    "allow_cancellation false refuses cancellations": POLICY,
    "cancellation_notice_hours is the notice a cancellation needs": NOTICE,
    "an unknown appointment is 404 NOT_FOUND": NOT_FOUND,
    "a key without the scope is 403 INSUFFICIENT_SCOPE": INSUFFICIENT_SCOPE,
}


# The page's curl request and its documented 200 answer.
CANCEL_EXAMPLES = Examples(
    requests={"the page's request": {"status": "cancelled"}},
    responses={
        200: {"the page's answer": {"success": True, "data": {**SAMPLE, "status": "cancelled"}}}
    },
)


# The appointment as the page's 200 answer shows it.
CANCELLED: Mapping[str, object] = {**SAMPLE, "status": "cancelled"}


def shown(field: str) -> DocSource:
    """A field the page's 200 answer shows: its line of the example, word for word."""
    return said(f'"{field}": {json.dumps(CANCELLED[field], ensure_ascii=False)}')


# Fields, by exported schema and property (`Component.field`), that the page speaks of; every
# other property is the mock's (x-mock-inferred). The page's request names `status`, its other
# fields "ride along" as the record's own; its answer shows the appointment's fields and the
# envelope; its constraints name the slot's filled count and two org settings.
DOCUMENTED_FIELDS: Mapping[str, DocSource] = {
    "UpdateAppointmentRequest.status": CANCEL,
    **{
        f"UpdateAppointmentRequest.{f}": RIDE_ALONG for f in ("assigned_doctor", "session", "batch")
    },
    "AppointmentResponse.success": said('"success": true'),
    "AppointmentResponse.data": said('"data": {'),
    **{f"Appointment.{field}": shown(field) for field in CANCELLED},
    "Slot.filled_slots": SLOT_FREED,
    "ConfigResponse.data.allow_cancellation": POLICY,
    "ConfigResponse.data.cancellation_notice_hours": NOTICE,
}
