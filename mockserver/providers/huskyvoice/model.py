"""A HuskyVoice scenario, typed: org policy, keys, services, slot windows, appointments."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import msgspec

from mockserver.scenarios.model import (
    ScenarioModel,
    common_fields,
    each,
    items,
    known_fields,
    section,
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Session starts for appointments outside every slot window [mock].
DEFAULT_SESSION_STARTS: Mapping[str, str] = {
    "Morning": "09:00",
    "Afternoon": "13:00",
    "Evening": "17:00",
}


class Org(msgspec.Struct, frozen=True):
    """`org`: the appointment configuration GET /v1/appointment-config shows."""

    allow_cancellation: bool = True
    cancellation_notice_hours: float = 24
    allow_rescheduling: bool = True
    allow_duplicate_booking: bool = False
    minimum_notice_hours: float = 2
    max_advance_booking_days: int = 10
    buffer_minutes: int = 0
    timezone: str = "Asia/Kolkata"

    def to_json(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__struct_fields__}


class ApiKey(msgspec.Struct, frozen=True):
    key: str
    scopes: frozenset[str]


class Service(msgspec.Struct, frozen=True):
    id: str
    name: str


class Branch(msgspec.Struct, frozen=True):
    id: str
    name: str | None = None


class SlotWindowSpec(msgspec.Struct, frozen=True):
    """`slots[]`: a weekly window of capacity; `filled_slots` per date or one number for all."""

    calendar_id: str
    branch_id: str
    day: str
    session: str
    start_time: str
    end_time: str
    appointment_type: str
    max_slots: int
    ai_slots: int
    batch: str | None = None
    status: str = "active"
    filled_default: int = 0
    filled_by_date: Mapping[str, int] = msgspec.field(default_factory=dict)
    created_at: str | None = None
    updated_at: str | None = None

    def serves(self, branch_id: str, on: date, session: str, service: str) -> bool:
        return (
            self.status == "active"
            and self.branch_id == branch_id
            and self.day == WEEKDAYS[on.weekday()]
            and self.session == session
            and self.appointment_type == service
        )

    def filled_on(self, on: str) -> int:
        """The seeded count of places taken on a date."""
        return self.filled_by_date.get(on, self.filled_default)


class AppointmentSpec(msgspec.Struct, frozen=True):
    """`appointments[]`; a name or phone left out is made up from the seed."""

    appointment_id: str
    appointment_type: str
    branch_id: str
    date: str
    session: str
    batch: str | None = None
    token: str | int | None = None
    patient_name: str | None = None
    parent_phone: str | None = None
    assigned_doctor: str | None = None
    status: str = "confirmed"
    external_reference_id: str | None = None
    notes: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class RateLimit(msgspec.Struct, frozen=True):
    enabled: bool = False
    requests_per_minute: int = 60


class Search(msgspec.Struct, frozen=True):
    default_limit: int = 50
    max_limit: int = 200


class HuskyVoiceModel(ScenarioModel, frozen=True):
    org: Org = msgspec.field(default_factory=Org)
    api_keys: tuple[ApiKey, ...] = ()
    services: tuple[Service, ...] = ()
    branches: tuple[Branch, ...] = ()
    slots: tuple[SlotWindowSpec, ...] = ()
    appointments: tuple[AppointmentSpec, ...] = ()
    generate_appointments: int = 0
    rate_limit: RateLimit = msgspec.field(default_factory=RateLimit)
    search: Search = msgspec.field(default_factory=Search)
    session_start_times: Mapping[str, str] = msgspec.field(
        default_factory=lambda: dict(DEFAULT_SESSION_STARTS)
    )


def _window(raw: Mapping[str, object]) -> SlotWindowSpec:
    filled = raw.get("filled_slots", 0)
    fields = known_fields(SlotWindowSpec, raw)
    return SlotWindowSpec(
        **fields,
        filled_default=filled if isinstance(filled, int) else 0,
        filled_by_date=dict(filled) if isinstance(filled, Mapping) else {},
    )


def parse(data: Mapping[str, object]) -> HuskyVoiceModel:
    """The typed scenario of a schema-checked HuskyVoice document."""
    behaviour = section(data, "behaviour")
    return HuskyVoiceModel(
        **common_fields(data),
        org=Org(**known_fields(Org, section(data, "org"))),
        api_keys=tuple(
            ApiKey(raw["key"], frozenset(raw["scopes"])) for raw in items(data, "api_keys")
        ),
        services=tuple(Service(raw["id"], raw["name"]) for raw in items(data, "services")),
        branches=tuple(Branch(raw["id"], raw.get("name")) for raw in items(data, "branches")),
        slots=tuple(_window(raw) for raw in items(data, "slots")),
        appointments=each(AppointmentSpec, data, "appointments"),
        generate_appointments=int(section(data, "generate").get("appointments", 0)),
        rate_limit=RateLimit(**known_fields(RateLimit, section(behaviour, "rate_limit"))),
        search=Search(**known_fields(Search, section(behaviour, "search"))),
        session_start_times={
            **DEFAULT_SESSION_STARTS,
            **section(behaviour, "session_start_times"),
        },
    )
