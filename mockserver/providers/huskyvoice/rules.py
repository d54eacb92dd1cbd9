"""HuskyVoice's rules over its state: finding, policy, notice, capacity, moving places."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from mockserver.core.clock import format_instant
from mockserver.core.exchange import ApiError, clip
from mockserver.providers.base import instant_field
from mockserver.providers.huskyvoice.bodies import UpdateBody
from mockserver.providers.huskyvoice.model import WEEKDAYS, SlotWindowSpec
from mockserver.providers.huskyvoice.seed import Record, SlotKey, match_window
from mockserver.providers.huskyvoice.state import HuskyVoiceState

# Status changes a PATCH may make; anything else is INVALID_STATUS_TRANSITION.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "confirmed": frozenset({"confirmed", "completed", "cancelled"}),
    "rescheduled": frozenset({"confirmed", "completed", "cancelled"}),
    "completed": frozenset({"completed"}),
    "cancelled": frozenset({"cancelled"}),
}


def find(state: HuskyVoiceState, appointment_id: str) -> Record:
    record = state.appointments.get(appointment_id)
    if record is None:
        raise ApiError("NOT_FOUND", f"Appointment not found: {clip(appointment_id, 60)!r}")
    return record


def starts_at(state: HuskyVoiceState, record: Record) -> datetime:
    """The appointment's start: its date at its session window's start time, in the org's zone."""
    key = state.slot_of.get(record["appointment_id"])
    if key is not None:
        clock_time = state.window(key[0]).start_time
    else:
        clock_time = state.seed.model.session_start_times[record["session"]]
    return _local_instant(record["date"], clock_time, state.seed.zone)


@lru_cache(maxsize=4096)
def _local_instant(on: str, clock_time: str, zone: ZoneInfo) -> datetime:
    """A wall-clock date and time in `zone`, as UTC (cached: a load cancels on few dates)."""
    local = datetime.combine(date.fromisoformat(on), time.fromisoformat(clock_time), zone)
    return local.astimezone(timezone.utc)


def check_cancellable(state: HuskyVoiceState, record: Record) -> None:
    if record["status"] == "completed":
        raise ApiError("INVALID_STATUS_TRANSITION", "A completed appointment cannot be cancelled")
    if not state.org.allow_cancellation:
        raise ApiError(
            "CANCELLATION_NOT_ALLOWED",
            "Cancellation is disabled for this organisation (allow_cancellation is false)",
        )
    notice = float(state.org.cancellation_notice_hours)
    starts = starts_at(state, record)
    left = starts - state.clock.now()
    if left < timedelta(hours=notice):
        when = (
            f"{_span(left)} before the appointment"
            if left >= timedelta(0)
            else f"{_span(-left)} after the appointment began"
        )
        raise ApiError(
            "CANCELLATION_NOTICE_PERIOD",
            f"Too late to cancel: {when} (it starts at {format_instant(starts)}); this "
            f"organisation needs {notice:g} h",
        )


def _span(length: timedelta) -> str:
    """A length of time in whole hours and minutes, rounded down: `5 h 59 min`, so it never
    reads as the notice it falls short of."""
    minutes = int(length.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def check_transition(record: Record, target: str) -> None:
    if target not in TRANSITIONS[record["status"]]:
        raise ApiError(
            "INVALID_STATUS_TRANSITION",
            f"Cannot change status from {record['status']!r} to {target!r}",
        )


def free_slot(state: HuskyVoiceState, appointment_id: str) -> None:
    key = state.slot_of.get(appointment_id)
    if key is not None:
        state.change_filled(key, state.window(key[0]), -1)


def resolve_service(state: HuskyVoiceState, value: str) -> str | None:
    """A service by id or name, case-insensitive; without declared services, a window's id."""
    lowered = value.lower()
    for service in state.seed.model.services:
        if service.id.lower() == lowered or service.name.lower() == lowered:
            return service.id
    if not state.seed.model.services and any(
        w.appointment_type == value for w in state.seed.windows
    ):
        return value
    return None


def reserve(
    state: HuskyVoiceState, branch_id: str, on: date, session: str, service: str
) -> tuple[SlotWindowSpec, SlotKey]:
    """Find the window that serves a booking and check its capacity; raise when it cannot."""
    window = match_window(state.seed.windows, branch_id, on, session, service)
    if window is None:
        raise ApiError(
            "OUTSIDE_AVAILABILITY",
            f"No {session} availability for this service at branch {clip(branch_id, 60)!r} "
            f"on {WEEKDAYS[on.weekday()]} {on.isoformat()}",
        )
    key = (window.calendar_id, on.isoformat())
    if state.filled_on(window, key[1]) >= window.ai_slots:
        raise ApiError(
            "SLOT_FULL",
            f"The {session} slot on {on.isoformat()} is full ({window.ai_slots} booked)",
        )
    return window, key


def local_date(state: HuskyVoiceState, instant: str) -> date:
    """The org-local date of a request's `appointment_date` (400 when it is no instant)."""
    starts = instant_field(instant, "body.appointment_date", "VALIDATION_ERROR")
    return starts.astimezone(state.seed.zone).date()


def reschedule(state: HuskyVoiceState, record: Record, changes: UpdateBody) -> None:
    """Move an appointment's place to another window (same service and branch)."""
    if record["status"] in {"cancelled", "completed"}:
        raise ApiError(
            "INVALID_STATUS_TRANSITION", f"A {record['status']} appointment cannot be rescheduled"
        )
    if not state.org.allow_rescheduling:
        raise ApiError(
            "RESCHEDULING_NOT_ALLOWED",
            "Rescheduling is disabled for this organisation (allow_rescheduling is false)",
        )
    on = (
        local_date(state, changes["appointment_date"])
        if "appointment_date" in changes
        else date.fromisoformat(record["date"])
    )
    session = changes.get("session", record["session"])
    if on.isoformat() == record["date"] and session == record["session"]:
        return
    window, key = reserve(state, record["branch_id"], on, session, record["appointment_type"])
    free_slot(state, record["appointment_id"])
    state.change_filled(key, window, +1)
    state.slot_of[record["appointment_id"]] = key
    record["date"], record["session"] = on.isoformat(), session
    record["batch"], record["status"] = window.batch, "rescheduled"
    state.moved()
