"""What Leyr's documentation page says, word for word: the sentences behind each documented
operation, and the page's own request and response examples (exported in OpenAPI)."""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.core.routing import DocSource, Examples

PAGE = "Leyr: Cancel Appointment(s)"

# An appointment as the page shows one (before it is cancelled).
SAMPLE: Mapping[str, object] = {
    "id": "2001",
    "status": "booked",
    "care_unit_id": "L0_1",
    "start": "2026-06-15T09:00:00+02:00",
    "end": "2026-06-15T09:30:00+02:00",
    "patient_id": "patient-1",
    "resource_id": "practitioner-3",
    "healthcare_service_id": "general-consultation",
    "comment": None,
}


def said(sentence: str) -> DocSource:
    return DocSource(PAGE, sentence)


PATCH_ONLY = said("Cancelling is done via our PATCH Appointments endpoints.")
SINGLE = said(
    "If you want to cancel a single appointment, use the PATCH Appointment endpoint, passing "
    'appointment_id as the path parameter, and including "status": "cancelled" in the JSON '
    "body payload:"
)
OPTIONAL = said(
    "You don't have to provide other optional fields (like start, end or resource_id), but you "
    "can provide comment that will be added to the appointment in the EHR."
)
BULK = said(
    "If you want to cancel multiple appointments at once, use the PATCH Appointments bulk endpoint."
)
BULK_PATH = said("In that case you no longer pass appointment_id in the path.")
BULK_BODY = said(
    'Instead, pass ids as an array in the JSON body, together with "status": "cancelled":'
)
SOME_EHRS = said(
    "Some EHRs require the patient to confirm their cancellation via an SMS code before the "
    "appointment is actually removed."
)
TWO_STEP = said(
    'Whenever you send a cancellation request and receive "status": "awaiting_confirmation" '
    "back in the response, it means two-step cancellation is required:"
)
NEW_ID = said(
    "Important: The id returned in this response is a new appointment ID. You must use this "
    "new id — not the original one — when submitting the confirmation code in step 2."
)
STEP_2 = said(
    "Once the patient has received and entered the SMS code, submit it using the new id from "
    "the step 1 response:"
)
CONFIRMED = said(
    'If the code is correct, you will receive the appointment back with "status": "cancelled":'
)
DONE = said("That's when you know the appointment has been successfully cancelled in the EHR.")
DIRECT = said(
    'If you receive "status": "cancelled" when sending a cancellation request (no '
    "awaiting_confirmation), two-step cancellation is not required for this EHR — the "
    "appointment is cancelled directly."
)
SMS = said(
    "Leyr has already triggered an SMS with a cancellation code to the patient at this point."
)

# The page states no error answer: every Leyr error is the mock's (x-mock-inferred).
DOCUMENTED_ERRORS: Mapping[tuple[str, int], DocSource] = {}

STATEMENTS: Mapping[str, DocSource] = {
    "cancelling is a PATCH on the appointments endpoints": PATCH_ONLY,
    "PATCH one appointment with status cancelled cancels it": SINGLE,
    "start, end and resource_id are optional; a comment is added to the appointment": OPTIONAL,
    "the bulk endpoint cancels several": BULK,
    "the bulk endpoint's path names no appointment": BULK_PATH,
    "bulk takes ids with status cancelled": BULK_BODY,
    "two-step is the EHR's: some need the patient's SMS code before cancelling": SOME_EHRS,
    "awaiting_confirmation means two-step cancellation": TWO_STEP,
    "a code goes to the patient by SMS": SMS,
    "the code is sent on the new id": NEW_ID,
    "the code is submitted on the new id from step 1": STEP_2,
    "the right code answers status cancelled": CONFIRMED,
    "that answer means the appointment is cancelled in the EHR": DONE,
    "status cancelled at once means the EHR cancels directly": DIRECT,
}


# The page's single cancel, its two-step cancel and confirmation, and their answers (its `...`
# filled from the sample appointment; its `{sms_code}` a code of six digits).
SINGLE_EXAMPLES = Examples(
    requests={
        "cancel": {"status": "cancelled", "comment": "{comment}"},
        "two-step cancel": {"status": "cancelled"},
        "confirm": {"confirmation": {"code": "123456"}},
    },
    responses={
        200: {
            "two-step: awaiting confirmation": {
                **SAMPLE,
                "id": "<new_appointment_id>",
                "status": "awaiting_confirmation",
            },
            "cancelled": {**SAMPLE, "status": "cancelled"},
        }
    },
)
_IDS = ["appointment_id_1", "appointment_id_2", "appointment_id_3"]
BULK_EXAMPLES = Examples(
    requests={"bulk cancel": {"ids": _IDS, "status": "cancelled", "comment": "{comment}"}},
    responses={200: {"cancelled": [{**SAMPLE, "id": i, "status": "cancelled"} for i in _IDS]}},
)


# Step 1's answer names the id step 2 is sent to [doc].
CONFIRM_LINK: Mapping[str, object] = {
    "confirmTwoStepCancellation": {
        "operationId": "updateAppointment",
        "description": "Step 2 of a two-step cancellation: the patient's code, sent to the new "
        'id of the awaiting_confirmation answer (body {"confirmation": {"code": …}}).',
        "parameters": {
            "emr": "$request.path.emr",
            "care_unit_id": "$request.path.care_unit_id",
            "appointment_id": "$response.body#/id",
        },
    }
}


STEP_2 = said(
    "Once the patient has received and entered the SMS code, submit it using the new id from "
    "the step 1 response:"
)

# Fields, by exported schema and property (`Component.field`), that the page speaks of; every
# other property is the mock's (x-mock-inferred). The page's answers show only `id` and
# `status` (the rest is `...`); its problem details are not on the page at all.
DOCUMENTED_FIELDS: Mapping[str, DocSource] = {
    "UpdateAppointmentRequestCancel.status": SINGLE,
    **{
        f"UpdateAppointmentRequestCancel.{field}": OPTIONAL
        for field in ("comment", "start", "end", "resource_id")
    },
    "UpdateAppointmentRequestConfirm.confirmation": STEP_2,
    "UpdateAppointmentRequestConfirm.confirmation.code": STEP_2,
    "BulkUpdateRequest.ids": BULK_BODY,
    "BulkUpdateRequest.status": BULK_BODY,
    "BulkUpdateRequest.comment": said('"comment": "{comment}"'),
    "Appointment.id": NEW_ID,
    "Appointment.status": TWO_STEP,
}
