"""HuskyVoice's request bodies, as their schemas admit them (a handler only sees a checked body)."""

# No `from __future__ import annotations` here: TypedDict compiles every string annotation
# into a ForwardRef, which made importing a module of TypedDicts three times slower.

from typing import TypedDict


class UpdateBody(TypedDict, total=False):
    """PATCH /v1/appointments/{appointment_id}: a status change (a cancel), a move, or fields
    riding along."""

    status: str
    appointment_date: str
    assigned_doctor: str | None
    notes: str | None
    session: str
    batch: str


class _Booking(TypedDict):
    appointment_type: str
    appointment_date: str
    patient_name: str
    parent_phone: str
    session: str


class CreateBody(_Booking, total=False):
    """POST /v1/appointments: a booking."""

    branch_id: str
    external_reference_id: str | None
