"""Leyr's request bodies, as their schemas admit them (a handler only sees a checked body)."""

# No `from __future__ import annotations` here: TypedDict compiles every string annotation
# into a ForwardRef, which made importing a module of TypedDicts three times slower.

from typing import TypedDict, final


class Commented(TypedDict, total=False):
    """A body that may carry a comment (a cancel, single or bulk)."""

    comment: str


class CancelChanges(Commented, total=False):
    """What a cancel may carry to the appointment (`two_step.CARRIED`)."""

    start: str
    end: str
    resource_id: str


class _Status(TypedDict):
    status: str


@final
class CancelBody(_Status, CancelChanges):
    """PATCH …/appointments/{appointment_id}, a cancellation."""


class Confirmation(TypedDict):
    code: str


@final
class ConfirmBody(TypedDict):
    """PATCH …/appointments/{appointment_id}, step 2 of a two-step cancellation."""

    confirmation: Confirmation


class _Ids(TypedDict):
    ids: list[str]
    status: str


class BulkBody(_Ids, Commented):
    """PATCH …/appointments, a bulk cancellation."""
