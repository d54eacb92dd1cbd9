"""From a typed Leyr scenario to the data every reset copies, and its consistency checks."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from typing import TypedDict

import msgspec

from mockserver.core.clock import parse_instant
from mockserver.providers.leyr.model import ClientSpec, EmrSpec, LeyrModel
from mockserver.scenarios.catalog import FieldPath, Scenario


class Record(TypedDict):
    """An appointment as the API serves it [doc: Leyr's appointment object]."""

    id: str
    status: str
    care_unit_id: str
    start: str
    end: str
    patient_id: str | None
    resource_id: str | None
    healthcare_service_id: str | None
    comment: str | None


Key = tuple[str, str]  # (emr, appointment id)


class Seed(msgspec.Struct, frozen=True):
    scenario: Scenario
    model: LeyrModel
    clients: Mapping[str, ClientSpec]
    emrs: Mapping[str, EmrSpec]
    contacts: Mapping[str, Mapping[str, str]]
    appointments: tuple[tuple[str, Record], ...]
    two_step: Mapping[Key, bool]  # per-appointment exceptions to the EMR's rule


def prepare(scenario: Scenario, model: LeyrModel) -> Seed:
    rng = random.Random(model.seed)
    contacts: dict[str, dict[str, str]] = {
        p.id: {k: v for k, v in (("name", p.name), ("phone", p.phone), ("email", p.email)) if v}
        for p in model.patients
    }
    for spec in model.appointments:
        # A patient without a phone gets one made up from the seed, so a code can be sent.
        if spec.patient_id and "phone" not in contacts.setdefault(spec.patient_id, {}):
            contacts[spec.patient_id]["phone"] = f"+4740{rng.randrange(10**6):06d}"
    appointments = tuple(
        (
            spec.emr,
            Record(
                id=spec.id,
                status=spec.status,
                care_unit_id=spec.care_unit_id,
                start=spec.start,
                end=spec.end,
                patient_id=spec.patient_id,
                resource_id=spec.resource_id,
                healthcare_service_id=spec.healthcare_service_id,
                comment=spec.comment,
            ),
        )
        for spec in model.appointments
    )
    return Seed(
        scenario=scenario,
        model=model,
        clients={c.client_id: c for c in model.clients},
        emrs={e.id: e for e in model.emrs},
        contacts=contacts,
        appointments=appointments,
        two_step={
            (spec.emr, spec.id): spec.two_step
            for spec in model.appointments
            if spec.two_step is not None
        },
    )


def check(model: LeyrModel) -> Iterable[tuple[FieldPath, str]]:
    emrs = {e.id: set(e.care_unit_ids) for e in model.emrs}
    seen: set[str] = set()
    for index, emr in enumerate(model.emrs):
        if emr.id in seen:
            yield ("emrs", index, "id"), f"duplicate EMR {emr.id!r}"
        seen.add(emr.id)
    clients: set[str] = set()
    for index, client in enumerate(model.clients):
        if client.client_id in clients:
            yield ("clients", index, "client_id"), f"duplicate client_id {client.client_id!r}"
        clients.add(client.client_id)
        for name in sorted(client.emrs or ()):
            if name not in emrs:
                yield ("clients", index, "emrs"), f"{name!r} is not one of the scenario's EMRs"
    yield from _check_appointments(model, emrs)
    yield from _check_channels(model)


def _check_channels(model: LeyrModel) -> Iterable[tuple[FieldPath, str]]:
    """A code sent by e-mail needs the patient's e-mail address."""
    email = {e.id for e in model.emrs if e.channel == "email"}
    addresses = {p.id for p in model.patients if p.email}
    for index, spec in enumerate(model.appointments):
        if spec.emr in email and spec.patient_id not in addresses:
            yield (
                ("appointments", index, "patient_id"),
                f"{spec.emr} sends codes by e-mail, but patient {spec.patient_id!r} has no email",
            )


def _check_appointments(
    model: LeyrModel, emrs: Mapping[str, set[str]]
) -> Iterable[tuple[FieldPath, str]]:
    patients = {p.id for p in model.patients}
    ids: set[tuple[str, str]] = set()
    for index, spec in enumerate(model.appointments):
        where: FieldPath = ("appointments", index)
        if spec.emr not in emrs:
            yield (*where, "emr"), f"{spec.emr!r} is not one of the scenario's EMRs"
        elif spec.care_unit_id not in emrs[spec.emr]:
            yield (
                (*where, "care_unit_id"),
                f"{spec.care_unit_id!r} is not a care unit of {spec.emr}",
            )
        if (spec.emr, spec.id) in ids:
            yield (*where, "id"), f"duplicate id {spec.id!r} in {spec.emr}"
        ids.add((spec.emr, spec.id))
        if patients and spec.patient_id and spec.patient_id not in patients:
            yield (*where, "patient_id"), f"{spec.patient_id!r} is not a declared patient"
        try:
            if parse_instant(spec.end) < parse_instant(spec.start):
                yield (*where, "end"), "ends before it starts"
        except (ValueError, OverflowError) as error:
            yield (*where, "start"), str(error)
