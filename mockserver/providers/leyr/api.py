"""Leyr's operations: single, bulk and two-step cancellation, and reading appointments back."""

from __future__ import annotations

from collections.abc import Sequence

from mockserver.core.exchange import ApiError, clip
from mockserver.core.reply import Reply
from mockserver.core.routing import Call, Operation
from mockserver.providers.leyr import rules, sources, two_step
from mockserver.providers.leyr.bodies import BulkBody, CancelBody, CancelChanges, ConfirmBody
from mockserver.providers.leyr.state import LeyrState

BASE = "/api/emrs/{emr}/care-units/{care_unit_id}/appointments"
# An appointment id in the path is bare or typed `emr_id:<id>`: a schema says so, so a client
# sending another id type breaks the contract, and the export tells generated clients.
APPOINTMENT_PATH = "leyr/appointment.path"


def update_appointment(state: LeyrState, call: Call) -> Reply:
    body: CancelBody | ConfirmBody = call.body  # checked against its schema
    appointment_id = rules.bare_id(call.params["appointment_id"])
    # The schema's oneOf has made it one body or the other: a confirmation comes alone.
    if "confirmation" in body:
        code = body["confirmation"]["code"]
        return Reply(200, dict(two_step.confirm(state, call, appointment_id, code)))
    rules.check_comment(state, body)
    record = rules.find(state, call, appointment_id)
    rules.check_cancellable(record)
    rules.check_times(body, record)
    emr = state.seed.emrs[call.params["emr"]]
    return Reply(200, dict(two_step.cancel(state, emr, record, body)))


def bulk_cancel(state: LeyrState, call: Call) -> Reply:
    body: BulkBody = call.body  # checked against its schema
    bare = _bulk_ids(state, body["ids"])
    rules.check_comment(state, body)
    emr, unit = call.params["emr"], call.params["care_unit_id"]
    unknown = [
        (index, value)
        for index, value in enumerate(bare)
        if (record := state.appointments.get((emr, value))) is None
        or record["care_unit_id"] != unit
    ]
    if unknown:
        raise ApiError(
            "INVALID_APPOINTMENT_ID",
            f"{len(unknown)} of the ids were not found in care unit {clip(unit, 60)!r}; "
            "nothing was cancelled",
            status=404,
            extra={
                "errors": [
                    (
                        f"Appointment {clip(value, 60)!r} was not found",
                        f"ids[{index}]",
                        "INVALID_APPOINTMENT_ID",
                    )
                    for index, value in unknown
                ]
            },
        )
    # A bulk cancel carries its comment alone (its schema admits no start, end or resource).
    carried: CancelChanges = {"comment": body["comment"]} if "comment" in body else {}
    records = [state.appointments[(emr, value)] for value in bare]
    for record in records:  # all-or-nothing: check every one before changing any
        rules.check_cancellable(record)
        rules.check_times(carried, record)
    choice = state.seed.emrs[emr]
    return Reply(200, [dict(two_step.cancel(state, choice, record, carried)) for record in records])


def _bulk_ids(state: LeyrState, ids: Sequence[str]) -> list[str]:
    """The bare ids of a bulk request: at least one, within the limit, none twice."""
    limit = state.settings.max_bulk_ids
    if not ids:
        raise ApiError("BAD_INPUT", "ids must name at least one appointment", extra={"path": "ids"})
    if len(ids) > limit:
        raise ApiError(
            "MAX_ITEMS_EXCEEDED",
            f"ids holds {len(ids)} items; at most {limit} are allowed",
            extra={"path": "ids"},
        )
    bare = [rules.bare_id(value, f"ids[{index}]") for index, value in enumerate(ids)]
    repeated = sorted({value for value in bare if bare.count(value) > 1})
    if repeated:
        # The strings differ (the schema's uniqueItems let them by), yet `emr_id:1001` is
        # `1001` [doc]: the same appointment named twice breaks the uniqueness all the same.
        names = ", ".join(map(repr, repeated))
        raise ApiError(
            "BAD_INPUT",
            f"ids repeats {names}",
            extra={"path": "ids"},
            off_contract=f"body.ids names {names} twice, bare and typed: items are unique",
        )
    return bare


def get_appointment(state: LeyrState, call: Call) -> Reply:
    return Reply(200, dict(rules.find(state, call, rules.bare_id(call.params["appointment_id"]))))


def list_appointments(state: LeyrState, call: Call) -> Reply:
    emr, unit = call.params["emr"], call.params["care_unit_id"]
    wanted = dict(call.query)
    found = [
        dict(record)
        for (record_emr, _), record in state.appointments.items()
        if record_emr == emr
        and record["care_unit_id"] == unit
        and all(record.get(name) == value for name, value in wanted.items())
    ]
    return Reply(200, found)


# The operation table: routing, validation and the OpenAPI document all read it --------------

# Every operation may also meet the EHR's or Leyr's own failure (leyr/emr-error, leyr/service-
# unavailable); an unknown appointment is a 404 although its code's usual status is 400.
_AUTH_ERRORS = (
    "UNAUTHORIZED",
    "FORBIDDEN",
    "INVALID_CARE_UNIT_ID",
    "EMR_ERROR",
    "SERVICE_UNAVAILABLE",
)
_NOT_FOUND = ("INVALID_APPOINTMENT_ID", 404)
_BODY_ERRORS = ("BAD_INPUT", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE")


def operations() -> tuple[Operation, ...]:
    """Built on each call, so the table always names the functions as they are now."""
    return (
        Operation(
            "updateAppointment",
            "PATCH",
            BASE + "/{appointment_id}",
            "Cancel one appointment, or confirm a two-step cancellation on its new id",
            update_appointment,
            {200: "leyr/appointment.response"},
            request_schema="leyr/update-appointment.request",
            path_schema=APPOINTMENT_PATH,
            errors=(
                *_AUTH_ERRORS,
                *_BODY_ERRORS,
                "INVALID_APPOINTMENT_ID",
                _NOT_FOUND,
                "MISSING_REQUIRED_FIELD",
                "INVALID_COMMENT_LENGTH",
                "NOT_SUPPORTED",
                "INVALID_CONFIRMATION_CODE",
                "CONFIRMATION_ATTEMPTS_EXCEEDED",
                "CONFIRMATION_CODE_EXPIRED",
            ),
            source=sources.SINGLE,
            examples=sources.SINGLE_EXAMPLES,
            links={200: sources.CONFIRM_LINK},
        ),
        Operation(
            "bulkCancelAppointments",
            "PATCH",
            BASE,
            "Cancel several appointments; results in the order of ids",
            bulk_cancel,
            {200: "leyr/appointment-list.response"},
            request_schema="leyr/bulk-update.request",
            errors=(
                *_AUTH_ERRORS,
                *_BODY_ERRORS,
                "INVALID_APPOINTMENT_ID",
                _NOT_FOUND,
                "MAX_ITEMS_EXCEEDED",
                "INVALID_COMMENT_LENGTH",
                "NOT_SUPPORTED",
            ),
            source=sources.BULK,
            examples=sources.BULK_EXAMPLES,
        ),
        Operation(
            "getAppointment",
            "GET",
            BASE + "/{appointment_id}",
            "Read one appointment",
            get_appointment,
            {200: "leyr/appointment.response"},
            path_schema=APPOINTMENT_PATH,
            errors=(*_AUTH_ERRORS, "INVALID_APPOINTMENT_ID", _NOT_FOUND),
            inferred=True,
        ),
        Operation(
            "listAppointments",
            "GET",
            BASE,
            "A care unit's appointments, optionally one patient's",
            list_appointments,
            {200: "leyr/appointment-list.response"},
            query_schema="leyr/list-appointments.query",
            errors=(*_AUTH_ERRORS, "BAD_INPUT"),
            inferred=True,
        ),
    )
