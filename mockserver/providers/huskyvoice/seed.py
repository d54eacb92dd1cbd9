"""From a typed HuskyVoice scenario to the data every reset copies, and its consistency checks."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, time, timedelta
from functools import cached_property
from typing import TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec.structs import replace

from mockserver.core.clock import checked_instant, format_instant, parse_instant
from mockserver.providers.huskyvoice.model import (
    WEEKDAYS,
    AppointmentSpec,
    HuskyVoiceModel,
    Org,
    SlotWindowSpec,
)
from mockserver.scenarios.catalog import FieldPath, Scenario

SlotKey = tuple[str, str]  # (calendar_id, ISO date)


class Record(TypedDict):
    """An appointment as the API serves it [doc: the cancellation page's example]."""

    appointment_id: str
    appointment_type: str
    branch_id: str
    date: str
    session: str
    batch: str | None
    token: str | int | None
    patient_name: str
    parent_phone: str
    assigned_doctor: str | None
    status: str
    external_reference_id: str | None
    created_at: str
    updated_at: str


SESSION_ORDER = {"Morning": 0, "Afternoon": 1, "Evening": 2}


def search_key(record: Record) -> tuple[str, int, str]:
    """Where a search lists an appointment: by date, then session, then creation."""
    return (record["date"], SESSION_ORDER[record["session"]], record["created_at"])


class Seed(msgspec.Struct, frozen=True, dict=True):
    """A scenario prepared once, so that a reset only copies plain data."""

    # dict=True: the cached_property values below are kept in the instance's __dict__.

    scenario: Scenario
    model: HuskyVoiceModel
    zone: ZoneInfo
    branches: tuple[str, ...]
    windows: tuple[SlotWindowSpec, ...]
    appointments: tuple[Record, ...]
    notes: Mapping[str, str]
    slot_of: Mapping[str, SlotKey | None]
    filled: Mapping[SlotKey, int]

    @cached_property
    def search_index(self) -> tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]:
        """The seeded appointments' ids in search order, all and by date: sorted once a
        scenario, so the first search after every reset does not sort them all again."""
        ordered = sorted(self.appointments, key=search_key)
        by_date: dict[str, list[str]] = {}
        for record in ordered:
            by_date.setdefault(record["date"], []).append(record["appointment_id"])
        ids = tuple(record["appointment_id"] for record in ordered)
        return ids, {on: tuple(group) for on, group in by_date.items()}

    @property
    def org(self) -> Org:
        return self.model.org

    @cached_property
    def keys(self) -> Mapping[str, frozenset[str]]:
        return {key.key: key.scopes for key in self.model.api_keys}

    @cached_property
    def window_by_id(self) -> Mapping[str, SlotWindowSpec]:
        return {window.calendar_id: window for window in self.windows}


def zone_named(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def match_window(
    windows: Iterable[SlotWindowSpec], branch_id: str, on: date, session: str, service: str
) -> SlotWindowSpec | None:
    return next((w for w in windows if w.serves(branch_id, on, session, service)), None)


def new_appointment_id(rng: random.Random, taken: Mapping[str, object]) -> str:
    while True:
        candidate = f"appt_{rng.getrandbits(40):010x}"
        if candidate not in taken:
            return candidate


def _fake_phone(rng: random.Random) -> str:
    return f"+9198{rng.randrange(10**8):08d}"


def _fake_names(seed: int, count: int) -> Iterator[str]:
    """Patient names from faker, imported only when a scenario leaves names out."""
    if count == 0:
        return iter(())
    from faker import Faker

    fake = Faker("en_IN")
    fake.seed_instance(seed)
    return iter([fake.first_name() for _ in range(count)])


def _next_weekday(start: date, day: str) -> date:
    return start + timedelta(days=(WEEKDAYS.index(day) - start.weekday()) % 7)


def prepare(scenario: Scenario, model: HuskyVoiceModel) -> Seed:
    zone = zone_named(model.org.timezone) or ZoneInfo("UTC")
    stamp = format_instant(model.now)
    windows = tuple(
        replace(w, created_at=w.created_at or stamp, updated_at=w.updated_at or stamp)
        for w in model.slots
    )
    branches = tuple(b.id for b in model.branches) or tuple(
        dict.fromkeys(w.branch_id for w in windows)
    )
    rng = random.Random(model.seed)
    missing = sum(1 for spec in model.appointments if spec.patient_name is None)
    names = _fake_names(model.seed, missing + model.generate_appointments)
    appointments: list[Record] = []
    slot_of: dict[str, SlotKey | None] = {}
    for spec in model.appointments:
        record = _seeded_record(spec, stamp, names, rng)
        window = match_window(
            windows,
            spec.branch_id,
            date.fromisoformat(spec.date),
            spec.session,
            spec.appointment_type,
        )
        if window is not None and record["batch"] is None:
            record["batch"] = window.batch
        slot_of[spec.appointment_id] = (window.calendar_id, spec.date) if window else None
        appointments.append(record)
    filled = _generate(model, zone, windows, stamp, rng, names, appointments, slot_of)
    return Seed(
        scenario=scenario,
        model=model,
        zone=zone,
        branches=branches,
        windows=windows,
        appointments=tuple(appointments),
        notes={s.appointment_id: s.notes for s in model.appointments if s.notes is not None},
        slot_of=slot_of,
        filled=filled,
    )


def _seeded_record(
    spec: AppointmentSpec, stamp: str, names: Iterator[str], rng: random.Random
) -> Record:
    return {
        "appointment_id": spec.appointment_id,
        "appointment_type": spec.appointment_type,
        "branch_id": spec.branch_id,
        "date": spec.date,
        "session": spec.session,
        "batch": spec.batch,
        "token": spec.token,
        "patient_name": spec.patient_name or next(names),
        "parent_phone": spec.parent_phone or _fake_phone(rng),
        "assigned_doctor": spec.assigned_doctor,
        "status": spec.status,
        "external_reference_id": spec.external_reference_id,
        "created_at": spec.created_at or stamp,
        "updated_at": spec.updated_at or spec.created_at or stamp,
    }


def _generate(
    model: HuskyVoiceModel,
    zone: ZoneInfo,
    windows: Sequence[SlotWindowSpec],
    stamp: str,
    rng: random.Random,
    names: Iterator[str],
    appointments: list[Record],
    slot_of: dict[str, SlotKey | None],
) -> dict[SlotKey, int]:
    """`generate.appointments` made-up confirmed appointments, spread over the windows ahead;
    each takes a place, so the counts it returns are the filled places they add."""
    filled: dict[SlotKey, int] = {}
    if not model.generate_appointments:
        return filled
    taken = {r["appointment_id"]: True for r in appointments}
    today = model.now.astimezone(zone).date()
    horizon = max(1, model.org.max_advance_booking_days)
    for _ in range(model.generate_appointments):
        window = windows[rng.randrange(len(windows))]
        on = _next_weekday(today + timedelta(days=rng.randrange(horizon)), window.day).isoformat()
        appointment_id = new_appointment_id(rng, taken)
        record: Record = {
            "appointment_id": appointment_id,
            "appointment_type": window.appointment_type,
            "branch_id": window.branch_id,
            "date": on,
            "session": window.session,
            "batch": window.batch,
            "token": None,
            "patient_name": next(names),
            "parent_phone": _fake_phone(rng),
            "assigned_doctor": None,
            "status": "confirmed",
            "external_reference_id": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        taken[appointment_id] = True
        key = (window.calendar_id, on)
        slot_of[appointment_id] = key
        filled[key] = filled.get(key, window.filled_on(on)) + 1
        appointments.append(record)
    return filled


# Checks of a scenario beyond its schema ---------------------------------------------------


def check(model: HuskyVoiceModel) -> Iterable[tuple[FieldPath, str]]:
    calendar = list(_check_calendar(model))
    yield from calendar
    if calendar:
        return  # the checks below read these dates and times
    if zone_named(model.org.timezone) is None:
        yield ("org", "timezone"), f"unknown IANA time zone {model.org.timezone!r}"
    yield from _unique("api_keys", "key", [k.key for k in model.api_keys])
    yield from _unique("services", "id", [s.id for s in model.services])
    yield from _unique("branches", "id", [b.id for b in model.branches])
    yield from _unique("slots", "calendar_id", [w.calendar_id for w in model.slots])
    yield from _unique(
        "appointments", "appointment_id", [a.appointment_id for a in model.appointments]
    )
    yield from _check_references(model)
    for index, window in enumerate(model.slots):
        if window.ai_slots > window.max_slots:
            yield ("slots", index, "ai_slots"), "ai_slots cannot exceed max_slots"
    yield from _check_filled(model)
    if model.search.default_limit > model.search.max_limit:
        # Else every search that names no limit would be refused as over the maximum.
        yield ("behaviour", "search", "default_limit"), "default_limit cannot exceed max_limit"
    if model.generate_appointments and not model.slots:
        yield ("generate", "appointments"), "generating appointments needs at least one slot window"


def _check_calendar(model: HuskyVoiceModel) -> Iterable[tuple[FieldPath, str]]:
    """Dates, times and instants that match their pattern but are not on the calendar."""
    for index, window in enumerate(model.slots):
        try:
            starts, ends = (
                time.fromisoformat(window.start_time),
                time.fromisoformat(window.end_time),
            )
        except ValueError as error:
            yield ("slots", index, "start_time"), f"not a time of day: {error}"
            continue
        if ends <= starts:
            yield (
                ("slots", index, "end_time"),
                f"{window.end_time} is not after {window.start_time}",
            )
        for on in window.filled_by_date:
            yield from _bad_date(on, ("slots", index, "filled_slots", on))
        yield from _check_capacity(window, ("slots", index, "filled_slots"))
    for index, spec in enumerate(model.appointments):
        yield from _bad_date(spec.date, ("appointments", index, "date"))
    stamped: list[tuple[FieldPath, str | None]] = [
        (("slots", i, name), getattr(w, name))
        for i, w in enumerate(model.slots)
        for name in ("created_at", "updated_at")
    ]
    stamped += [
        (("appointments", i, name), getattr(a, name))
        for i, a in enumerate(model.appointments)
        for name in ("created_at", "updated_at")
    ]
    for where, text in stamped:
        if text is not None:
            try:
                checked_instant(parse_instant(text))
            except (ValueError, OverflowError) as error:
                yield where, f"not an instant: {error}"


def _check_capacity(window: SlotWindowSpec, where: FieldPath) -> Iterable[tuple[FieldPath, str]]:
    """No date may start with more places taken than the window has."""
    if window.filled_default > window.max_slots:
        yield where, f"{window.filled_default} is more than max_slots ({window.max_slots})"
    for on, filled in window.filled_by_date.items():
        if filled > window.max_slots:
            yield (
                (*where, on),
                f"{filled} on {on} is more than max_slots ({window.max_slots})",
            )


def _bad_date(text: str, where: FieldPath) -> Iterable[tuple[FieldPath, str]]:
    try:
        date.fromisoformat(text)
    except ValueError as error:
        yield where, f"{text!r} is not a date: {error}"


def _check_references(model: HuskyVoiceModel) -> Iterable[tuple[FieldPath, str]]:
    services = {s.id for s in model.services}
    branches = {b.id for b in model.branches}
    kinds: tuple[tuple[str, Sequence[SlotWindowSpec | AppointmentSpec]], ...] = (
        ("slots", model.slots),
        ("appointments", model.appointments),
    )
    for kind, found in kinds:
        for index, item in enumerate(found):
            if services and item.appointment_type not in services:
                yield (
                    (kind, index, "appointment_type"),
                    f"{item.appointment_type!r} is not one of the scenario's services",
                )
            if branches and item.branch_id not in branches:
                yield (kind, index, "branch_id"), f"{item.branch_id!r} is not a declared branch"


def _unique(kind: str, key: str, values: Sequence[str]) -> Iterable[tuple[FieldPath, str]]:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield (kind, index, key), f"duplicate {key} {value!r}"
        seen.add(value)


def _check_filled(model: HuskyVoiceModel) -> Iterable[tuple[FieldPath, str]]:
    """Seeded filled_slots must count at least the active appointments seeded in that window."""
    held: dict[SlotKey, int] = {}
    for spec in model.appointments:
        if spec.status in {"cancelled", "completed"}:
            continue
        day = date.fromisoformat(spec.date)
        window = match_window(model.slots, spec.branch_id, day, spec.session, spec.appointment_type)
        if window is not None:
            key = (window.calendar_id, spec.date)
            held[key] = held.get(key, 0) + 1
    for index, window in enumerate(model.slots):
        for (calendar_id, on), count in held.items():
            seeded = window.filled_on(on)
            if calendar_id == window.calendar_id and seeded < count:
                yield (
                    ("slots", index, "filled_slots"),
                    f"{seeded} on {on}, but {count} active appointment(s) are seeded here",
                )
