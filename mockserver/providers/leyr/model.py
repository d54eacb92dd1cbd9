"""A Leyr scenario, typed: clients, EMRs and care units, patients, appointments, two-step."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import msgspec

from mockserver.scenarios.model import (
    ScenarioModel,
    common_fields,
    declared_defaults,
    each,
    items,
    known_fields,
    section,
)


class ClientSpec(msgspec.Struct, frozen=True):
    """An application; `emrs` / `care_units` limit it (None: all)."""

    client_id: str
    client_secret: str
    emrs: frozenset[str] | None = None
    care_units: frozenset[str] | None = None


class CareUnit(msgspec.Struct, frozen=True):
    id: str
    name: str | None = None


class EmrSpec(msgspec.Struct, frozen=True, dict=True):
    # dict=True: `care_unit_ids`, a cached_property, is kept in the instance's __dict__.
    id: str
    care_units: tuple[CareUnit, ...]
    name: str | None = None
    two_step: bool = False
    channel: str = "sms"

    @cached_property
    def care_unit_ids(self) -> tuple[str, ...]:
        return tuple(unit.id for unit in self.care_units)


class PatientSpec(msgspec.Struct, frozen=True):
    id: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None


class AppointmentSpec(msgspec.Struct, frozen=True):
    id: str
    emr: str
    care_unit_id: str
    start: str
    end: str
    status: str = "booked"
    patient_id: str | None = None
    resource_id: str | None = None
    healthcare_service_id: str | None = None
    comment: str | None = None
    # Overrides the EMR's two_step for this one appointment [mock].
    two_step: bool | None = None


class TwoStep(msgspec.Struct, frozen=True):
    """`two_step`: how codes are made and how long and how often they may be tried."""

    code: str | None = None  # fixed; else drawn from the seed
    max_attempts: int = 3
    expiry_seconds: int = 600


class LeyrModel(ScenarioModel, frozen=True):
    clients: tuple[ClientSpec, ...] = ()
    emrs: tuple[EmrSpec, ...] = ()
    patients: tuple[PatientSpec, ...] = ()
    appointments: tuple[AppointmentSpec, ...] = ()
    two_step: TwoStep = msgspec.field(default_factory=TwoStep)
    max_bulk_ids: int = 50
    max_comment_length: int = 1000


def _client(raw: Mapping[str, Any]) -> ClientSpec:
    return ClientSpec(
        raw["client_id"],
        raw["client_secret"],
        frozenset(raw["emrs"]) if "emrs" in raw else None,
        frozenset(raw["care_units"]) if "care_units" in raw else None,
    )


def _emr(raw: Mapping[str, Any]) -> EmrSpec:
    fields = known_fields(EmrSpec, raw)
    fields["care_units"] = tuple(CareUnit(u["id"], u.get("name")) for u in raw["care_units"])
    return EmrSpec(**fields)


def parse(data: Mapping[str, object]) -> LeyrModel:
    """The typed scenario of a schema-checked Leyr document."""
    behaviour = section(data, "behaviour")
    defaults = declared_defaults(LeyrModel)
    return LeyrModel(
        **common_fields(data),
        clients=tuple(_client(raw) for raw in items(data, "clients")),
        emrs=tuple(_emr(raw) for raw in items(data, "emrs")),
        patients=each(PatientSpec, data, "patients"),
        appointments=each(AppointmentSpec, data, "appointments"),
        two_step=TwoStep(**known_fields(TwoStep, section(data, "two_step"))),
        max_bulk_ids=int(behaviour.get("max_bulk_ids", defaults["max_bulk_ids"])),
        max_comment_length=int(behaviour.get("max_comment_length", defaults["max_comment_length"])),
    )
