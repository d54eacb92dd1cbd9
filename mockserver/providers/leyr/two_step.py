"""Two-step cancellation: a cancel that waits for the patient's code, as a state machine.

    booked --cancel--> pending (new id, code sent) --right code--> cancelled (both ids)
                          |--wrong code (attempts left)--> pending
                          |--last wrong code / expired--> void (new id gone; still booked)

A void cancellation answers its reason to any later code; a new cancel starts over.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final, overload

from mockserver.core.clock import format_instant
from mockserver.core.exchange import ApiError, clip
from mockserver.core.routing import Call
from mockserver.providers.leyr import rules
from mockserver.providers.leyr.bodies import CancelChanges
from mockserver.providers.leyr.model import EmrSpec
from mockserver.providers.leyr.seed import Record
from mockserver.providers.leyr.state import LeyrState, Pending

VOID_MESSAGES = {
    "CONFIRMATION_CODE_EXPIRED": "The confirmation code has expired; the appointment is still "
    "booked. Cancel again to get a new code.",
    "CONFIRMATION_ATTEMPTS_EXCEEDED": "Too many wrong confirmation codes; the cancellation is "
    "void and the appointment is still booked. Cancel again to get a new code.",
}


def _new_id(state: LeyrState, emr: str) -> str:
    while True:
        candidate = str(state.rng.randrange(10**8, 10**9))
        if (emr, candidate) not in state.appointments:
            return candidate


def _code(state: LeyrState) -> str:
    drawn = f"{state.rng.randrange(10**6):06d}"  # drawn either way, so ids do not shift
    return state.settings.two_step.code or drawn


def cancel(state: LeyrState, emr: EmrSpec, record: Record, body: CancelChanges) -> Record:
    """Cancel one checked appointment: at once, or by opening a two-step confirmation."""
    key = (emr.id, record["id"])
    changes = _carried(body)
    if record["status"] == "cancelled":
        _apply(record, changes)  # idempotent; what rides along is still applied [mock]
        return record
    waiting = state.pending_for.get(key)
    if waiting is None and record["status"] == "awaiting_confirmation":
        waiting = record["id"]  # sent on the new id itself
    if waiting is not None:  # the same pending cancellation, no new code; it carries more
        awaiting = state.appointments[(emr.id, waiting)]
        _apply(awaiting, changes)
        pending = state.pending.get((emr.id, waiting))
        if pending is not None:
            pending.changes = _merged(pending.changes, changes)
        return awaiting
    if not state.seed.two_step.get(key, emr.two_step):
        _apply(record, changes)
        record["status"] = "cancelled"
        return record
    return _open(state, emr, record, changes)


# What a cancel may carry to the appointment; under two-step, only once the code is confirmed.
CARRIED: Final = ("start", "end", "resource_id", "comment")


# A comment "will be added to the appointment in the EHR" [doc]: added after the one it has.
COMMENT_SEPARATOR: Final = "\n"


@overload
def added_comment(current: str, comment: str | None) -> str: ...
@overload
def added_comment(current: str | None, comment: str | None) -> str | None: ...
def added_comment(current: str | None, comment: str | None) -> str | None:
    """`comment` added to `current`; a retry of the last comment added adds nothing [mock]."""
    if not comment:
        return current
    if not current or current.rsplit(COMMENT_SEPARATOR, 1)[-1] == comment:
        return current or comment
    return current + COMMENT_SEPARATOR + comment


def _carried(body: CancelChanges) -> CancelChanges:
    """The fields of a cancel's body it carries to the appointment."""
    changes: CancelChanges = {}
    for name in CARRIED:
        if name in body:
            changes[name] = body[name]
    return changes


def _apply(record: Record, changes: CancelChanges) -> None:
    for name in CARRIED:
        if name == "comment" and name in changes:
            record["comment"] = added_comment(record["comment"], changes["comment"])
        elif name in changes:
            record[name] = changes[name]


def _merged(earlier: CancelChanges, later: CancelChanges) -> CancelChanges:
    """What a pending cancellation carries after another cancel of it: comments add up."""
    merged: CancelChanges = {**earlier, **later}
    if "comment" in earlier and "comment" in later:
        merged["comment"] = added_comment(earlier["comment"], later["comment"])
    return merged


def _open(state: LeyrState, emr: EmrSpec, record: Record, changes: CancelChanges) -> Record:
    """Step 1: the original stays as it is; the new id shows the cancellation asked for."""
    new_id = _new_id(state, emr.id)
    pending = Pending(
        emr.id,
        record["care_unit_id"],
        record["id"],
        new_id,
        _code(state),
        state.clock.now(),
        changes=changes.copy(),
    )
    awaiting = record.copy()
    _apply(awaiting, changes)
    awaiting["id"], awaiting["status"] = new_id, "awaiting_confirmation"
    state.appointments[(emr.id, new_id)] = awaiting
    state.pending[(emr.id, new_id)] = pending
    state.pending_for[(emr.id, record["id"])] = new_id
    _send_code(state, emr, record, pending)
    return awaiting


def _send_code(state: LeyrState, emr: EmrSpec, record: Record, pending: Pending) -> None:
    contact = state.seed.contacts.get(record.get("patient_id") or "", {})
    recipient = contact.get("email" if emr.channel == "email" else "phone")
    expiry = timedelta(seconds=state.settings.two_step.expiry_seconds)
    state.sent.append(
        {
            "channel": emr.channel,
            "recipient": recipient,
            "patient_id": record.get("patient_id"),
            "code": pending.code,
            "emr": emr.id,
            "care_unit_id": record["care_unit_id"],
            "original_id": pending.original_id,
            "new_id": pending.new_id,
            "sent_at": format_instant(pending.sent_at),
            "expires_at": format_instant(pending.sent_at + expiry),
            "text": f"Your code to confirm the cancellation is {pending.code}",
            "state": "pending",
        }
    )


def _void(state: LeyrState, pending: Pending, reason: str) -> ApiError:
    """The pending cancellation can no longer be confirmed: its new id is gone, the appointment
    stays booked under its original id, and a new cancellation starts over with a new code."""
    pending.void = reason
    state.pending_for.pop((pending.emr, pending.original_id), None)
    state.appointments.pop((pending.emr, pending.new_id), None)
    return ApiError(reason, VOID_MESSAGES[reason], extra={"path": "confirmation.code"})


def confirm(state: LeyrState, call: Call, appointment_id: str, code: str) -> Record:
    """Step 2: the patient's code, sent on the new id."""
    emr = call.params["emr"]
    pending = state.pending.get((emr, appointment_id))
    if pending is None or pending.care_unit_id != call.params["care_unit_id"]:
        return _not_pending(state, call, appointment_id)
    if pending.void is not None:
        raise ApiError(
            pending.void, VOID_MESSAGES[pending.void], extra={"path": "confirmation.code"}
        )
    record = state.appointments[(emr, appointment_id)]
    if record["status"] == "cancelled":
        return record
    expiry = timedelta(seconds=state.settings.two_step.expiry_seconds)
    if state.clock.now() - pending.sent_at > expiry:
        raise _void(state, pending, "CONFIRMATION_CODE_EXPIRED")
    if code != pending.code:
        pending.attempts += 1
        left = state.settings.two_step.max_attempts - pending.attempts
        if left <= 0:
            raise _void(state, pending, "CONFIRMATION_ATTEMPTS_EXCEEDED")
        raise ApiError(
            "INVALID_CONFIRMATION_CODE",
            f"The confirmation code is wrong; {left} attempt{'s' if left != 1 else ''} left",
            extra={"path": "confirmation.code"},
        )
    record["status"] = "cancelled"
    original = state.appointments[(emr, pending.original_id)]
    _apply(original, pending.changes)
    original["status"] = "cancelled"
    state.pending_for.pop((emr, pending.original_id), None)
    return record


def _not_pending(state: LeyrState, call: Call, appointment_id: str) -> Record:
    """A code for an id with no pending cancellation: fine if already cancelled, else why not."""
    record = rules.find(state, call, appointment_id)
    if record["status"] == "cancelled":
        return record  # confirming a cancelled appointment again changes nothing
    waiting = state.pending_for.get((call.params["emr"], appointment_id))
    hint = (
        f"this is the original id; confirm on the new id {waiting!r} from the "
        "awaiting_confirmation response"
        if waiting
        else "no cancellation of this appointment awaits confirmation"
    )
    raise ApiError(
        "INVALID_APPOINTMENT_ID",
        f"Cannot confirm {clip(appointment_id, 60)!r}: {hint}",
        extra={"path": "appointment_id"},
        # [doc] "You must use this new id — not the original one — when submitting the
        # confirmation code": knowing the new id, the mock tells a client that broke it.
        off_contract=(
            f"a confirmation sent to the original id {clip(appointment_id, 60)!r}; the page says "
            f"to use the new id {waiting!r} from the awaiting_confirmation response"
            if waiting
            else None
        ),
    )
