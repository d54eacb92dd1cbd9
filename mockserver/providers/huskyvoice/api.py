"""HuskyVoice's operations: each one a pure function of state and a routed call."""

from __future__ import annotations

from datetime import date, timedelta

from mockserver.core.exchange import ApiError, clip
from mockserver.core.reply import Reply
from mockserver.core.routing import Call, Operation
from mockserver.providers.base import date_field, instant_field
from mockserver.providers.huskyvoice import rules, sources
from mockserver.providers.huskyvoice.bodies import CreateBody, UpdateBody
from mockserver.providers.huskyvoice.model import WEEKDAYS
from mockserver.providers.huskyvoice.seed import Record, new_appointment_id
from mockserver.providers.huskyvoice.state import HuskyVoiceState, window_json

READ = "appointments:read"
WRITE = "appointments:write"
SLOTS_READ = "slots:read"
SEARCH_FILTERS = ("date", "status", "appointment_type", "branch_id", "session", "batch")


def _one(record: Record) -> Reply:
    return Reply(200, {"success": True, "data": dict(record)})


def update_appointment(state: HuskyVoiceState, call: Call) -> Reply:
    record = rules.find(state, call.params["appointment_id"])
    changes: UpdateBody = call.body  # checked against its schema
    target = changes.get("status")
    # Re-cancelling is idempotent [doc]; fields riding along are still applied [mock], so
    # nothing a client sends is dropped without a word.
    again = target == "cancelled" and record["status"] == "cancelled"
    if again:
        return _one(_ride_along(state, record, changes))
    if target == "cancelled":
        rules.check_cancellable(state, record)
    elif target is not None:
        rules.check_transition(record, target)
    moves = "appointment_date" in changes or "session" in changes
    if moves and target != "cancelled":
        rules.reschedule(state, record, changes)
    elif moves:
        # Riding along a cancellation the new date is recorded; the slot freed is the one held.
        if "appointment_date" in changes:
            record["date"] = rules.local_date(state, changes["appointment_date"]).isoformat()
        record["session"] = changes.get("session", record["session"])
        state.moved()
    for name in ("assigned_doctor", "batch"):
        if name in changes:
            record[name] = changes[name]
    if "notes" in changes:
        state.notes[record["appointment_id"]] = changes["notes"]
    if target == "cancelled":
        rules.free_slot(state, record["appointment_id"])
    if target is not None:
        record["status"] = target
    record["updated_at"] = state.clock.now_text()
    return _one(record)


def _ride_along(state: HuskyVoiceState, record: Record, changes: UpdateBody) -> Record:
    """The fields sent with a re-cancel, on an appointment already cancelled: recorded as they
    are (its place was freed once, and is not freed again); `updated_at` moves only when
    something changed, so a plain re-cancel returns the record unchanged."""
    before = (dict(record), state.notes.get(record["appointment_id"]))
    if "appointment_date" in changes:
        record["date"] = rules.local_date(state, changes["appointment_date"]).isoformat()
    for name in ("session", "assigned_doctor", "batch"):
        if name in changes:
            record[name] = changes[name]
    if "notes" in changes:
        state.notes[record["appointment_id"]] = changes["notes"]
    if (dict(record), state.notes.get(record["appointment_id"])) != before:
        record["updated_at"] = state.clock.now_text()
        state.moved()
    return record


def get_appointment(state: HuskyVoiceState, call: Call) -> Reply:
    return _one(rules.find(state, call.params["appointment_id"]))


def search_appointments(state: HuskyVoiceState, call: Call) -> Reply:
    query = call.query
    limits = state.seed.model.search
    page = int(query.get("page", 1))
    limit = int(query.get("limit", limits.default_limit))
    if limit > limits.max_limit:
        raise ApiError(
            "VALIDATION_ERROR", f"query.limit: {limit} is over the maximum {limits.max_limit}"
        )
    wanted = {name: query[name] for name in SEARCH_FILTERS if name in query}
    if "date" in wanted:
        date_field(wanted["date"], "query.date", "VALIDATION_ERROR")
    if "appointment_type" in wanted:
        wanted["appointment_type"] = (
            rules.resolve_service(state, wanted["appointment_type"]) or wanted["appointment_type"]
        )
    found = state.ordered(wanted.pop("date", None))
    for name, value in wanted.items():
        found = [record for record in found if record.get(name) == value]
    start = (page - 1) * limit
    return Reply(
        200,
        {
            "success": True,
            "data": [dict(r) for r in found[start : start + limit]],
            "pagination": {"page": page, "limit": limit, "total": len(found)},
        },
    )


def create_appointment(state: HuskyVoiceState, call: Call) -> Reply:
    body: CreateBody = call.body  # checked against its schema
    service = rules.resolve_service(state, body["appointment_type"])
    if service is None:
        raise ApiError(
            "VALIDATION_ERROR",
            f"body.appointment_type: no service with id or name {clip(body['appointment_type'])!r}",
        )
    branch_id = _booking_branch(state, body.get("branch_id"))
    on = _booking_date(state, body["appointment_date"])
    _check_duplicate(state, body["parent_phone"], service, on)
    window, key = rules.reserve(state, branch_id, on, body["session"], service)
    state.change_filled(key, window, +1)
    stamp = state.clock.now_text()
    record: Record = {
        "appointment_id": new_appointment_id(state.rng, state.appointments),
        "appointment_type": service,
        "branch_id": branch_id,
        "date": on.isoformat(),
        "session": body["session"],
        "batch": window.batch,
        "token": state.filled[key],
        "patient_name": body["patient_name"],
        "parent_phone": body["parent_phone"],
        "assigned_doctor": None,
        "status": "confirmed",
        "external_reference_id": body.get("external_reference_id"),
        "created_at": stamp,
        "updated_at": stamp,
    }
    state.appointments[record["appointment_id"]] = record
    state.moved()
    state.slot_of[record["appointment_id"]] = key
    created = {
        "success": True,
        "appointment_id": record["appointment_id"],
        "token": record["token"],
        "data": dict(record),
    }
    return Reply(201, created)


def _booking_date(state: HuskyVoiceState, instant: str) -> date:
    """The local date of a booking, checked against the org's notice and horizon."""
    starts = instant_field(instant, "body.appointment_date", "VALIDATION_ERROR")
    now = state.clock.now()
    org = state.org
    if starts - now < timedelta(hours=float(org.minimum_notice_hours)):
        raise ApiError(
            "OUTSIDE_AVAILABILITY", f"Bookings need {org.minimum_notice_hours:g} hours' notice"
        )
    if starts - now > timedelta(days=org.max_advance_booking_days):
        raise ApiError(
            "OUTSIDE_AVAILABILITY",
            f"Bookings open {org.max_advance_booking_days} days ahead at most",
        )
    return starts.astimezone(state.seed.zone).date()


def _check_duplicate(state: HuskyVoiceState, phone: str, service: str, on: date) -> None:
    if state.org.allow_duplicate_booking:
        return
    for other in state.appointments.values():
        if (
            other["status"] != "cancelled"
            and other["parent_phone"] == phone
            and other["date"] == on.isoformat()
            and other["appointment_type"] == service
        ):
            raise ApiError(
                "DUPLICATE_BOOKING",
                f"{other['appointment_id']} already books this service for this phone "
                f"on {on.isoformat()}",
            )


def _booking_branch(state: HuskyVoiceState, branch_id: str | None) -> str:
    branches = state.seed.branches
    if branch_id is None:
        if len(branches) == 1:
            return branches[0]
        raise ApiError(
            "VALIDATION_ERROR",
            f"body.branch_id is required: this organisation has {len(branches)} branches",
        )
    if branch_id not in branches:
        raise ApiError("VALIDATION_ERROR", f"body.branch_id: unknown branch {clip(branch_id)!r}")
    return branch_id


def get_config(state: HuskyVoiceState, call: Call) -> Reply:
    return Reply(200, {"success": True, "data": state.org.to_json()})


def availability(state: HuskyVoiceState, call: Call) -> Reply:
    on_text = call.query["date"]
    on = date_field(on_text, "query.date", "VALIDATION_ERROR")
    slots = []
    for window in state.seed.windows:
        if window.day != WEEKDAYS[on.weekday()]:
            continue
        if call.query.get("branch_id", window.branch_id) != window.branch_id:
            continue
        if call.query.get("session", window.session) != window.session:
            continue
        filled = state.filled_on(window, on_text)
        slots.append(
            {
                "slot_id": f"{window.calendar_id}||{on_text}",
                **window_json(window),
                "filled_slots": filled,
                "available_slots": max(0, window.ai_slots - filled),
                "status": window.status,
                "created_at": window.created_at,
                "updated_at": state.slot_updated.get(
                    (window.calendar_id, on_text), window.updated_at
                ),
            }
        )
    return Reply(200, {"success": True, "date": on_text, "slots": slots})


# The operation table: routing, validation and the OpenAPI document all read it --------------

# Every operation may also meet a fault a scenario scripts (huskyvoice/flaky answers 503).
_AUTH_ERRORS = ("UNAUTHORIZED", "INSUFFICIENT_SCOPE", "RATE_LIMIT_EXCEEDED", "SERVICE_UNAVAILABLE")
_BODY_ERRORS = ("VALIDATION_ERROR", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE")
_ONE = "huskyvoice/appointment.response"


def operations() -> tuple[Operation, ...]:
    """Built on each call, so the table always names the functions as they are now."""
    return (
        Operation(
            "updateAppointment",
            "PATCH",
            "/v1/appointments/{appointment_id}",
            "Update an appointment; status cancelled cancels it",
            update_appointment,
            {200: _ONE},
            request_schema="huskyvoice/update-appointment.request",
            scope=WRITE,
            errors=(
                *_AUTH_ERRORS,
                *_BODY_ERRORS,
                "NOT_FOUND",
                "CANCELLATION_NOT_ALLOWED",
                "CANCELLATION_NOTICE_PERIOD",
                "INVALID_STATUS_TRANSITION",
                "RESCHEDULING_NOT_ALLOWED",
                "SLOT_FULL",
                "OUTSIDE_AVAILABILITY",
            ),
            source=sources.CANCEL,
            examples=sources.CANCEL_EXAMPLES,
        ),
        Operation(
            "getAppointment",
            "GET",
            "/v1/appointments/{appointment_id}",
            "Retrieve one appointment, cancelled ones included",
            get_appointment,
            {200: _ONE},
            scope=READ,
            errors=(*_AUTH_ERRORS, "NOT_FOUND"),
            source=sources.NO_DELETION,
        ),
        Operation(
            "searchAppointments",
            "GET",
            "/v1/appointments",
            "Search appointments, sorted by date ascending",
            search_appointments,
            {200: "huskyvoice/appointment-list.response"},
            query_schema="huskyvoice/search-appointments.query",
            scope=READ,
            errors=(*_AUTH_ERRORS, "VALIDATION_ERROR"),
            source=sources.NO_DELETION,
        ),
        Operation(
            "createAppointment",
            "POST",
            "/v1/appointments",
            "Book an appointment against availability and capacity",
            create_appointment,
            {201: "huskyvoice/appointment-created.response"},
            request_schema="huskyvoice/create-appointment.request",
            scope=WRITE,
            errors=(
                *_AUTH_ERRORS,
                *_BODY_ERRORS,
                "SLOT_FULL",
                "DUPLICATE_BOOKING",
                "OUTSIDE_AVAILABILITY",
            ),
            source=sources.SLOT_FREED,
        ),
        Operation(
            "getAppointmentConfig",
            "GET",
            "/v1/appointment-config",
            "The org's appointment configuration",
            get_config,
            {200: "huskyvoice/config.response"},
            scope=READ,
            errors=_AUTH_ERRORS,
            source=sources.CONFIG,
        ),
        Operation(
            "getSlotAvailability",
            "GET",
            "/v1/appointment-slots/availability",
            "Slot windows on one date with filled and available counts",
            availability,
            {200: "huskyvoice/availability.response"},
            query_schema="huskyvoice/availability.query",
            scope=SLOTS_READ,
            errors=(*_AUTH_ERRORS, "VALIDATION_ERROR"),
            source=sources.SLOT_FREED,
        ),
    )
