"""Leyr's rules over its state: ids, finding an appointment in a care unit, what may change."""

from __future__ import annotations

from mockserver.core.exchange import ApiError, clip
from mockserver.core.routing import Call
from mockserver.providers.base import instant_field
from mockserver.providers.leyr.bodies import CancelChanges, Commented
from mockserver.providers.leyr.seed import Record
from mockserver.providers.leyr.state import LeyrState

ID_TYPES = ("emr_id",)


def bare_id(value: str, path: str = "appointment_id") -> str:
    """`emr_id:123` and `123` name the same appointment; other id types are not supported."""
    kind, sep, rest = value.partition(":")
    if not sep:
        return value
    if kind in ID_TYPES and rest:
        return rest
    raise ApiError(
        "INVALID_APPOINTMENT_ID",
        f"unsupported appointment id {clip(value, 60)!r}: use a bare id or emr_id:<id>",
        status=400,
        extra={"path": path},
    )


def lenient_bare_id(value: str) -> str:
    """The bare id when `value` is a supported typed id, else `value` as it is (never raises)."""
    kind, sep, rest = value.partition(":")
    return rest if sep and kind in ID_TYPES and rest else value


def find(state: LeyrState, call: Call, appointment_id: str) -> Record:
    emr, unit = call.params["emr"], call.params["care_unit_id"]
    record = state.appointments.get((emr, appointment_id))
    if record is None or record["care_unit_id"] != unit:
        raise ApiError(
            "INVALID_APPOINTMENT_ID",
            f"Appointment {clip(appointment_id, 60)!r} was not found "
            f"in care unit {clip(unit, 60)!r}",
            status=404,
            extra={"path": "appointment_id"},
        )
    return record


def check_comment(state: LeyrState, body: Commented) -> None:
    limit = state.settings.max_comment_length
    comment = body.get("comment")
    if comment is not None and len(comment) > limit:
        raise ApiError(
            "INVALID_COMMENT_LENGTH",
            f"comment is {len(comment)} characters; at most {limit} are allowed",
            extra={"path": "comment"},
        )


def check_times(body: CancelChanges, record: Record) -> None:
    """`start` and `end` sent with a cancel must be instants, the end after the start."""
    if "start" not in body and "end" not in body:
        return
    times = {}
    for name in ("start", "end"):
        text = body[name] if name in body else record[name]
        try:
            times[name] = instant_field(text, name, "BAD_INPUT")
        except ApiError as error:
            raise ApiError(error.code, error.message, extra={"path": name}) from None
    if times["end"] <= times["start"]:
        raise ApiError(
            "BAD_INPUT",
            f"end {clip(body.get('end', record['end']), 40)!r} is not after start "
            f"{clip(body.get('start', record['start']), 40)!r}",
            extra={"path": "end" if "end" in body else "start"},
        )


def check_cancellable(record: Record) -> None:
    if record["status"] == "completed":
        raise ApiError(
            "NOT_SUPPORTED",
            f"Appointment {record['id']!r} is completed and cannot be cancelled",
            extra={"path": "status"},
        )
