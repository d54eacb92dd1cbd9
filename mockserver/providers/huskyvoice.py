"""HuskyVoice: appointments, org policy, slot capacity and scopes, as pure functions over state."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property, lru_cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mockserver.clock import Clock, format_instant, parse_instant
from mockserver.exchange import ApiError, MockRequest, Reply, clip
from mockserver.providers.base import Provider, ProviderState
from mockserver.routing import Call, Operation
from mockserver.scenarios import FieldPath, Scenario

READ = "appointments:read"
WRITE = "appointments:write"
SLOTS_READ = "slots:read"

DEFAULT_ORG: Mapping[str, Any] = {
    "allow_cancellation": True,
    "cancellation_notice_hours": 24,
    "allow_rescheduling": True,
    "allow_duplicate_booking": False,
    "minimum_notice_hours": 2,
    "max_advance_booking_days": 10,
    "buffer_minutes": 0,
    "timezone": "Asia/Kolkata",
}
DEFAULT_SESSION_STARTS: Mapping[str, str] = {
    "Morning": "09:00",
    "Afternoon": "13:00",
    "Evening": "17:00",
}
SESSION_ORDER = {"Morning": 0, "Afternoon": 1, "Evening": 2}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SEARCH_FILTERS = ("date", "status", "appointment_type", "branch_id", "session", "batch")
# Status changes a PATCH may make; anything else is INVALID_STATUS_TRANSITION.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "confirmed": frozenset({"confirmed", "completed", "cancelled"}),
    "rescheduled": frozenset({"confirmed", "completed", "cancelled"}),
    "completed": frozenset({"completed"}),
    "cancelled": frozenset({"cancelled"}),
}

SlotKey = tuple[str, str]  # (calendar_id, ISO date)


@dataclass(frozen=True)
class SlotWindow:
    """A recurring weekly window of capacity for one service at one branch."""

    calendar_id: str
    branch_id: str
    day: str
    session: str
    batch: str | None
    start_time: str
    end_time: str
    appointment_type: str
    max_slots: int
    ai_slots: int
    status: str
    created_at: str
    updated_at: str
    filled_default: int = 0
    filled_by_date: Mapping[str, int] = field(default_factory=dict)

    def serves(self, branch_id: str, on: date, session: str, service: str) -> bool:
        return (
            self.status == "active"
            and self.branch_id == branch_id
            and self.day == WEEKDAYS[on.weekday()]
            and self.session == session
            and self.appointment_type == service
        )


@dataclass(frozen=True)
class Seed:
    """A scenario prepared once, so that a reset only copies plain data."""

    scenario: Scenario
    org: Mapping[str, Any]
    zone: ZoneInfo
    keys: Mapping[str, frozenset[str]]
    services: tuple[Mapping[str, str], ...]
    branches: tuple[str, ...]
    windows: tuple[SlotWindow, ...]
    appointments: tuple[dict[str, Any], ...]
    slot_of: Mapping[str, SlotKey | None]
    filled: Mapping[SlotKey, int]
    behaviour: Mapping[str, Any]

    @cached_property
    def window_by_id(self) -> Mapping[str, SlotWindow]:
        return {window.calendar_id: window for window in self.windows}


class HuskyVoiceState(ProviderState):
    seed: Seed

    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self.scenario = seed.scenario
        self.clock = Clock(parse_instant(seed.scenario.now), frozen=seed.scenario.frozen)
        self.appointments: dict[str, dict[str, Any]] = {
            record["appointment_id"]: dict(record) for record in seed.appointments
        }
        self.notes: dict[str, str | None] = {}
        self.slot_of: dict[str, SlotKey | None] = dict(seed.slot_of)
        self.filled: dict[SlotKey, int] = dict(seed.filled)
        self.slot_updated: dict[SlotKey, str] = {}
        self.requests_by_key: dict[str, deque[datetime]] = {}
        self.rng = random.Random(seed.scenario.seed)
        self._order: tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]] | None = None

    def moved(self) -> None:
        """An appointment was added or changed date or session: the search order is stale."""
        self._order = None

    def ordered(self, on: str | None = None) -> list[dict[str, Any]]:
        """Appointments in search order (date, session, creation), all or on one date.

        Sorted once and indexed by date until something moves; a cancel changes neither.
        """
        if self._order is None:
            everything = sorted(self.appointments.values(), key=_search_order)
            by_date: dict[str, list[dict[str, Any]]] = {}
            for record in everything:
                by_date.setdefault(record["date"], []).append(record)
            self._order = (everything, by_date)
        everything, by_date = self._order
        return everything if on is None else by_date.get(on, [])

    @property
    def org(self) -> Mapping[str, Any]:
        return self.seed.org

    def filled_on(self, window: SlotWindow, on: str) -> int:
        key = (window.calendar_id, on)
        if key in self.filled:
            return self.filled[key]
        return window.filled_by_date.get(on, window.filled_default)

    def change_filled(self, key: SlotKey, window: SlotWindow, delta: int) -> None:
        self.filled[key] = max(0, self.filled_on(window, key[1]) + delta)
        self.slot_updated[key] = self.clock.now_text()

    def window(self, calendar_id: str) -> SlotWindow:
        return self.seed.window_by_id[calendar_id]

    def seeded(self) -> dict[str, Any]:
        listed = list(self.appointments.values())
        return {
            "api_keys": [
                {"key": key, "scopes": sorted(scopes)} for key, scopes in self.seed.keys.items()
            ],
            "org": dict(self.org),
            "services": [dict(s) for s in self.seed.services],
            "branches": list(self.seed.branches),
            "slot_windows": [_window_json(w) for w in self.seed.windows],
            "appointment_count": len(listed),
            "appointments": listed[:200],
        }


def _search_order(record: Mapping[str, Any]) -> tuple[str, int, str]:
    return (record["date"], SESSION_ORDER[record["session"]], record["created_at"])


def _window_json(window: SlotWindow) -> dict[str, Any]:
    return {
        "calendar_id": window.calendar_id,
        "branch_id": window.branch_id,
        "day": window.day,
        "session": window.session,
        "batch": window.batch,
        "start_time": window.start_time,
        "end_time": window.end_time,
        "appointment_type": window.appointment_type,
        "max_slots": window.max_slots,
        "ai_slots": window.ai_slots,
    }


# Seeding --------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _windows(data: Mapping[str, Any], stamp: str) -> tuple[SlotWindow, ...]:
    windows = []
    for raw in data.get("slots", []):
        filled = raw.get("filled_slots", 0)
        windows.append(
            SlotWindow(
                calendar_id=raw["calendar_id"],
                branch_id=raw["branch_id"],
                day=raw["day"],
                session=raw["session"],
                batch=raw.get("batch"),
                start_time=raw["start_time"],
                end_time=raw["end_time"],
                appointment_type=raw["appointment_type"],
                max_slots=raw["max_slots"],
                ai_slots=raw["ai_slots"],
                status=raw.get("status", "active"),
                created_at=raw.get("created_at", stamp),
                updated_at=raw.get("updated_at", stamp),
                filled_default=filled if isinstance(filled, int) else 0,
                filled_by_date=filled if isinstance(filled, dict) else {},
            )
        )
    return tuple(windows)


def _match_window(
    windows: Iterable[SlotWindow], branch_id: str, on: date, session: str, service: str
) -> SlotWindow | None:
    return next((w for w in windows if w.serves(branch_id, on, session, service)), None)


def _new_id(rng: random.Random, taken: Mapping[str, Any]) -> str:
    while True:
        candidate = f"appt_{rng.getrandbits(40):010x}"
        if candidate not in taken:
            return candidate


def _fake_phone(rng: random.Random) -> str:
    return f"+9198{rng.randrange(10**8):08d}"


def prepare(scenario: Scenario) -> Seed:
    data = scenario.data
    org = {**DEFAULT_ORG, **data.get("org", {})}
    zone = _zone(org["timezone"]) or ZoneInfo("UTC")
    stamp = format_instant(parse_instant(scenario.now))
    windows = _windows(data, stamp)
    services = tuple({"id": s["id"], "name": s["name"]} for s in data.get("services", []))
    branches = tuple(b["id"] for b in data.get("branches", [])) or tuple(
        dict.fromkeys(w.branch_id for w in windows)
    )
    rng = random.Random(scenario.seed)
    appointments: list[dict[str, Any]] = []
    slot_of: dict[str, SlotKey | None] = {}
    missing_people = [raw for raw in data.get("appointments", []) if "patient_name" not in raw]
    generated = data.get("generate", {}).get("appointments", 0)
    names = _fake_names(scenario.seed, len(missing_people) + generated)
    for raw in data.get("appointments", []):
        record = {
            "appointment_id": raw["appointment_id"],
            "appointment_type": raw["appointment_type"],
            "branch_id": raw["branch_id"],
            "date": raw["date"],
            "session": raw["session"],
            "batch": raw.get("batch"),
            "token": raw.get("token"),
            "patient_name": raw.get("patient_name") or next(names),
            "parent_phone": raw.get("parent_phone") or _fake_phone(rng),
            "assigned_doctor": raw.get("assigned_doctor"),
            "status": raw.get("status", "confirmed"),
            "external_reference_id": raw.get("external_reference_id"),
            "created_at": raw.get("created_at", stamp),
            "updated_at": raw.get("updated_at", raw.get("created_at", stamp)),
        }
        window = _match_window(
            windows,
            record["branch_id"],
            date.fromisoformat(record["date"]),
            record["session"],
            record["appointment_type"],
        )
        if window is not None and record["batch"] is None:
            record["batch"] = window.batch
        slot_of[record["appointment_id"]] = (window.calendar_id, record["date"]) if window else None
        appointments.append(record)
    filled: dict[SlotKey, int] = {}
    if generated:
        taken = {r["appointment_id"]: True for r in appointments}
        today = parse_instant(scenario.now).astimezone(zone).date()
        horizon = max(1, int(org["max_advance_booking_days"]))
        for _ in range(generated):
            window = windows[rng.randrange(len(windows))]
            on = _next_weekday(today + timedelta(days=rng.randrange(horizon)), window.day)
            record = {
                "appointment_id": _new_id(rng, taken),
                "appointment_type": window.appointment_type,
                "branch_id": window.branch_id,
                "date": on.isoformat(),
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
            taken[record["appointment_id"]] = True
            key = (window.calendar_id, record["date"])
            slot_of[record["appointment_id"]] = key
            base = window.filled_by_date.get(key[1], window.filled_default)
            filled[key] = filled.get(key, base) + 1
            appointments.append(record)
    return Seed(
        scenario=scenario,
        org=org,
        zone=zone,
        keys={k["key"]: frozenset(k["scopes"]) for k in data.get("api_keys", [])},
        services=services,
        branches=branches,
        windows=windows,
        appointments=tuple(appointments),
        slot_of=slot_of,
        filled=filled,
        behaviour=data.get("behaviour", {}),
    )


def _next_weekday(start: date, day: str) -> date:
    return start + timedelta(days=(WEEKDAYS.index(day) - start.weekday()) % 7)


def _fake_names(seed: int, count: int) -> Iterator[str]:
    """Patient names from faker, imported only when a scenario leaves names out."""
    if count == 0:
        return iter(())
    from faker import Faker

    fake = Faker("en_IN")
    fake.seed_instance(seed)
    return iter([fake.first_name() for _ in range(count)])


# Checks of a scenario document beyond its schema ------------------------------------------


def check_scenario(data: Mapping[str, Any]) -> Iterable[tuple[FieldPath, str]]:
    timezone_name = data.get("org", {}).get("timezone")
    if timezone_name is not None and _zone(timezone_name) is None:
        yield ("org", "timezone"), f"unknown IANA time zone {timezone_name!r}"
    yield from _unique(data, "api_keys", "key")
    yield from _unique(data, "services", "id")
    yield from _unique(data, "branches", "id")
    yield from _unique(data, "slots", "calendar_id")
    yield from _unique(data, "appointments", "appointment_id")
    services = {s["id"] for s in data.get("services", [])}
    branches = {b["id"] for b in data.get("branches", [])}
    for kind in ("slots", "appointments"):
        for index, item in enumerate(data.get(kind, [])):
            if services and item["appointment_type"] not in services:
                yield (
                    (kind, index, "appointment_type"),
                    (f"{item['appointment_type']!r} is not one of the scenario's services"),
                )
            if branches and item["branch_id"] not in branches:
                yield (kind, index, "branch_id"), f"{item['branch_id']!r} is not a declared branch"
    for index, slot in enumerate(data.get("slots", [])):
        if slot["ai_slots"] > slot["max_slots"]:
            yield ("slots", index, "ai_slots"), "ai_slots cannot exceed max_slots"
    yield from _check_filled(data)
    if data.get("generate", {}).get("appointments") and not data.get("slots"):
        yield ("generate", "appointments"), "generating appointments needs at least one slot window"


def _unique(data: Mapping[str, Any], kind: str, key: str) -> Iterable[tuple[FieldPath, str]]:
    seen: set[str] = set()
    for index, item in enumerate(data.get(kind, [])):
        if item[key] in seen:
            yield (kind, index, key), f"duplicate {key} {item[key]!r}"
        seen.add(item[key])


def _check_filled(data: Mapping[str, Any]) -> Iterable[tuple[FieldPath, str]]:
    """Seeded filled_slots must count at least the active appointments seeded in that window."""
    windows = _windows(data, "2000-01-01T00:00:00.000Z")
    held: dict[SlotKey, int] = {}
    for raw in data.get("appointments", []):
        if raw.get("status", "confirmed") in {"cancelled", "completed"}:
            continue
        window = _match_window(
            windows,
            raw["branch_id"],
            date.fromisoformat(raw["date"]),
            raw["session"],
            raw["appointment_type"],
        )
        if window is not None:
            key = (window.calendar_id, raw["date"])
            held[key] = held.get(key, 0) + 1
    for index, window in enumerate(windows):
        for (calendar_id, on), count in held.items():
            seeded = window.filled_by_date.get(on, window.filled_default)
            if calendar_id == window.calendar_id and seeded < count:
                yield (
                    ("slots", index, "filled_slots"),
                    (f"{seeded} on {on}, but {count} active appointment(s) are seeded here"),
                )


# Helpers over state ------------------------------------------------------------------------


def _one(record: Mapping[str, Any]) -> Reply:
    return Reply(200, {"success": True, "data": dict(record)})


def _find(state: HuskyVoiceState, appointment_id: str) -> dict[str, Any]:
    record = state.appointments.get(appointment_id)
    if record is None:
        raise ApiError("NOT_FOUND", f"Appointment not found: {clip(appointment_id, 60)!r}")
    return record


def _starts_at(state: HuskyVoiceState, record: Mapping[str, Any]) -> datetime:
    """The appointment's start: its date at its session window's start time, in the org's zone."""
    key = state.slot_of.get(record["appointment_id"])
    if key is not None:
        clock_time = state.window(key[0]).start_time
    else:
        starts = {**DEFAULT_SESSION_STARTS, **state.seed.behaviour.get("session_start_times", {})}
        clock_time = starts[record["session"]]
    return _local_instant(record["date"], clock_time, state.seed.zone)


@lru_cache(maxsize=4096)
def _local_instant(on: str, clock_time: str, zone: ZoneInfo) -> datetime:
    """A wall-clock date and time in `zone`, as UTC (cached: a load cancels on few dates)."""
    local = datetime.combine(date.fromisoformat(on), time.fromisoformat(clock_time), zone)
    return local.astimezone(timezone.utc)


def _check_cancellable(state: HuskyVoiceState, record: Mapping[str, Any]) -> None:
    if record["status"] == "completed":
        raise ApiError("INVALID_STATUS_TRANSITION", "A completed appointment cannot be cancelled")
    if not state.org["allow_cancellation"]:
        raise ApiError(
            "CANCELLATION_NOT_ALLOWED",
            "Cancellation is disabled for this organisation (allow_cancellation is false)",
        )
    notice = float(state.org["cancellation_notice_hours"])
    starts = _starts_at(state, record)
    left = starts - state.clock.now()
    if left < timedelta(hours=notice):
        raise ApiError(
            "CANCELLATION_NOTICE_PERIOD",
            f"Cancellation needs {notice:g} hours' notice; the appointment starts at "
            f"{format_instant(starts)}, {max(left.total_seconds(), 0) / 3600:.1f} hours from now",
        )


def _free_slot(state: HuskyVoiceState, appointment_id: str) -> None:
    key = state.slot_of.get(appointment_id)
    if key is not None:
        state.change_filled(key, state.window(key[0]), -1)


def _resolve_service(state: HuskyVoiceState, value: str) -> str | None:
    lowered = value.lower()
    for service in state.seed.services:
        if service["id"].lower() == lowered or service["name"].lower() == lowered:
            return service["id"]
    if not state.seed.services and any(w.appointment_type == value for w in state.seed.windows):
        return value
    return None


def _reserve(
    state: HuskyVoiceState, branch_id: str, on: date, session: str, service: str
) -> tuple[SlotWindow, SlotKey]:
    """Find the window that serves a booking and check its capacity; raise when it cannot."""
    window = _match_window(state.seed.windows, branch_id, on, session, service)
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


# Operations --------------------------------------------------------------------------------


def update_appointment(state: HuskyVoiceState, call: Call) -> Reply:
    record = _find(state, call.params["appointment_id"])
    changes: dict[str, Any] = call.body
    target = changes.get("status")
    now = state.clock.now_text()
    if target == "cancelled":
        if record["status"] == "cancelled":
            return _one(record)  # idempotent: the current record, unchanged
        _check_cancellable(state, record)
    elif target is not None and target not in TRANSITIONS[record["status"]]:
        raise ApiError(
            "INVALID_STATUS_TRANSITION",
            f"Cannot change status from {record['status']!r} to {target!r}",
        )
    moves = "appointment_date" in changes or "session" in changes
    if moves and target != "cancelled":
        _reschedule(state, record, changes)
    elif moves:
        # Riding along a cancellation the new date is recorded; the slot freed is the one held.
        if "appointment_date" in changes:
            record["date"] = _local_date(state, changes["appointment_date"]).isoformat()
        record["session"] = changes.get("session", record["session"])
        state.moved()
    for name in ("assigned_doctor", "batch"):
        if name in changes:
            record[name] = changes[name]
    if "notes" in changes:
        state.notes[record["appointment_id"]] = changes["notes"]
    if target == "cancelled":
        _free_slot(state, record["appointment_id"])
        record["status"] = "cancelled"
    elif target is not None:
        record["status"] = target
    record["updated_at"] = now
    return _one(record)


def _local_date(state: HuskyVoiceState, instant: str) -> date:
    return parse_instant(instant).astimezone(state.seed.zone).date()


def _reschedule(state: HuskyVoiceState, record: dict[str, Any], changes: Mapping[str, Any]) -> None:
    if record["status"] in {"cancelled", "completed"}:
        raise ApiError(
            "INVALID_STATUS_TRANSITION", f"A {record['status']} appointment cannot be rescheduled"
        )
    if not state.org["allow_rescheduling"]:
        raise ApiError(
            "RESCHEDULING_NOT_ALLOWED",
            "Rescheduling is disabled for this organisation (allow_rescheduling is false)",
        )
    on = (
        _local_date(state, changes["appointment_date"])
        if "appointment_date" in changes
        else date.fromisoformat(record["date"])
    )
    session = changes.get("session", record["session"])
    if on.isoformat() == record["date"] and session == record["session"]:
        return
    window, key = _reserve(state, record["branch_id"], on, session, record["appointment_type"])
    _free_slot(state, record["appointment_id"])
    state.change_filled(key, window, +1)
    state.slot_of[record["appointment_id"]] = key
    record.update(date=on.isoformat(), session=session, batch=window.batch, status="rescheduled")
    state.moved()


def get_appointment(state: HuskyVoiceState, call: Call) -> Reply:
    return _one(_find(state, call.params["appointment_id"]))


def search_appointments(state: HuskyVoiceState, call: Call) -> Reply:
    query = call.query
    limits = {"default_limit": 50, "max_limit": 200, **state.seed.behaviour.get("search", {})}
    page = int(query.get("page", 1))
    limit = int(query.get("limit", limits["default_limit"]))
    if limit > limits["max_limit"]:
        raise ApiError(
            "VALIDATION_ERROR", f"query.limit: {limit} is over the maximum {limits['max_limit']}"
        )
    wanted = {name: query[name] for name in SEARCH_FILTERS if name in query}
    if "appointment_type" in wanted:
        wanted["appointment_type"] = (
            _resolve_service(state, wanted["appointment_type"]) or wanted["appointment_type"]
        )
    found = state.ordered(wanted.pop("date", None))
    for name, value in wanted.items():
        found = [record for record in found if record[name] == value]
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
    body = call.body
    service = _resolve_service(state, body["appointment_type"])
    if service is None:
        raise ApiError(
            "VALIDATION_ERROR",
            f"body.appointment_type: no service with id or name {clip(body['appointment_type'])!r}",
        )
    branch_id = _booking_branch(state, body.get("branch_id"))
    starts = parse_instant(body["appointment_date"])
    now = state.clock.now()
    org = state.org
    if starts - now < timedelta(hours=float(org["minimum_notice_hours"])):
        raise ApiError(
            "OUTSIDE_AVAILABILITY",
            f"Bookings need {org['minimum_notice_hours']:g} hours' notice",
        )
    if starts - now > timedelta(days=int(org["max_advance_booking_days"])):
        raise ApiError(
            "OUTSIDE_AVAILABILITY",
            f"Bookings open {org['max_advance_booking_days']} days ahead at most",
        )
    on = starts.astimezone(state.seed.zone).date()
    if not org["allow_duplicate_booking"]:
        for other in state.appointments.values():
            if (
                other["status"] != "cancelled"
                and other["parent_phone"] == body["parent_phone"]
                and other["date"] == on.isoformat()
                and other["appointment_type"] == service
            ):
                raise ApiError(
                    "DUPLICATE_BOOKING",
                    f"{other['appointment_id']} already books this service for this phone "
                    f"on {on.isoformat()}",
                )
    window, key = _reserve(state, branch_id, on, body["session"], service)
    state.change_filled(key, window, +1)
    stamp = format_instant(now)
    record = {
        "appointment_id": _new_id(state.rng, state.appointments),
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
    body_out = {
        "success": True,
        "appointment_id": record["appointment_id"],
        "token": record["token"],
        "data": dict(record),
    }
    return Reply(201, body_out)


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
    return Reply(200, {"success": True, "data": dict(state.org)})


def availability(state: HuskyVoiceState, call: Call) -> Reply:
    on_text = call.query["date"]
    try:
        on = date.fromisoformat(on_text)
    except ValueError:
        raise ApiError("VALIDATION_ERROR", f"query.date: {on_text!r} is not a date") from None
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
                **_window_json(window),
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


# The provider -------------------------------------------------------------------------------

_APPOINTMENT_ERRORS = ("UNAUTHORIZED", "INSUFFICIENT_SCOPE", "RATE_LIMIT_EXCEEDED")


class HuskyVoice(Provider):
    name = "huskyvoice"
    title = "HuskyVoice appointments API"
    prefix = "/v1"
    error_schema = "huskyvoice/error"
    appointment_schema = "huskyvoice/appointment"
    sample_appointment: ClassVar[Mapping[str, Any]] = {
        "appointment_id": "appt_a1b2c3d4e5",
        "appointment_type": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        "branch_id": "branch_uuid_here",
        "date": "2026-06-15",
        "session": "Morning",
        "batch": "MA",
        "token": None,
        "patient_name": "Aadhi",
        "parent_phone": "+919840XXXXXX",
        "assigned_doctor": None,
        "status": "confirmed",
        "external_reference_id": None,
        "created_at": "2026-05-26T10:00:00.000Z",
        "updated_at": "2026-05-26T12:00:00.000Z",
    }
    error_statuses: ClassVar[Mapping[str, int]] = {
        "VALIDATION_ERROR": 400,
        "UNAUTHORIZED": 401,
        "INSUFFICIENT_SCOPE": 403,
        "CANCELLATION_NOT_ALLOWED": 403,
        "RESCHEDULING_NOT_ALLOWED": 403,
        "NOT_FOUND": 404,
        "METHOD_NOT_ALLOWED": 405,
        "INVALID_STATUS_TRANSITION": 409,
        "SLOT_FULL": 409,
        "DUPLICATE_BOOKING": 409,
        "PAYLOAD_TOO_LARGE": 413,
        "UNSUPPORTED_MEDIA_TYPE": 415,
        "CANCELLATION_NOTICE_PERIOD": 422,
        "OUTSIDE_AVAILABILITY": 422,
        "RATE_LIMIT_EXCEEDED": 429,
        "INTERNAL_ERROR": 500,
    }

    def operations(self) -> Iterable[Operation]:
        base = (*_APPOINTMENT_ERRORS, "VALIDATION_ERROR")
        one = "huskyvoice/appointment.response"
        return (
            Operation(
                "updateAppointment",
                "PATCH",
                "/v1/appointments/{appointment_id}",
                "Update an appointment; status cancelled cancels it",
                update_appointment,
                {200: one},
                request_schema="huskyvoice/update-appointment.request",
                scope=WRITE,
                errors=(
                    *base,
                    "NOT_FOUND",
                    "CANCELLATION_NOT_ALLOWED",
                    "CANCELLATION_NOTICE_PERIOD",
                    "INVALID_STATUS_TRANSITION",
                    "RESCHEDULING_NOT_ALLOWED",
                    "SLOT_FULL",
                    "OUTSIDE_AVAILABILITY",
                    "PAYLOAD_TOO_LARGE",
                    "UNSUPPORTED_MEDIA_TYPE",
                ),
            ),
            Operation(
                "getAppointment",
                "GET",
                "/v1/appointments/{appointment_id}",
                "Retrieve one appointment, cancelled ones included",
                get_appointment,
                {200: one},
                scope=READ,
                errors=(*_APPOINTMENT_ERRORS, "NOT_FOUND"),
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
                errors=base,
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
                    *base,
                    "SLOT_FULL",
                    "DUPLICATE_BOOKING",
                    "OUTSIDE_AVAILABILITY",
                    "PAYLOAD_TOO_LARGE",
                    "UNSUPPORTED_MEDIA_TYPE",
                ),
            ),
            Operation(
                "getAppointmentConfig",
                "GET",
                "/v1/appointment-config",
                "The org's appointment configuration",
                get_config,
                {200: "huskyvoice/config.response"},
                scope=READ,
                errors=_APPOINTMENT_ERRORS,
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
                errors=base,
            ),
        )

    def prepare(self, scenario: Scenario) -> Seed:
        return prepare(scenario)

    def fresh_state(self, seed: Seed) -> HuskyVoiceState:
        return HuskyVoiceState(seed)

    def check_scenario(self, data: Mapping[str, Any]) -> Iterable[tuple[FieldPath, str]]:
        return check_scenario(data)

    def authorize(
        self,
        state: HuskyVoiceState,
        request: MockRequest,
        operation: Operation,
        params: Mapping[str, str],
    ) -> str:
        header = request.header("authorization") or ""
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(
                "UNAUTHORIZED",
                "Missing or malformed Authorization header; send 'Authorization: Bearer <api key>'",
            )
        key = key.strip()
        scopes = state.seed.keys.get(key)
        if scopes is None:
            raise ApiError("UNAUTHORIZED", "Invalid API key")
        self._count_request(state, key)
        if operation.scope and operation.scope not in scopes:
            raise ApiError(
                "INSUFFICIENT_SCOPE",
                f"API key does not have the required scope: {operation.scope}",
            )
        return key

    def _count_request(self, state: HuskyVoiceState, key: str) -> None:
        """Sliding one-minute window per key, on the mock's clock."""
        limit = {
            "enabled": False,
            "requests_per_minute": 60,
            **state.seed.behaviour.get("rate_limit", {}),
        }
        if not limit["enabled"]:
            return
        now = state.clock.now()
        window = state.requests_by_key.setdefault(key, deque())
        while window and now - window[0] >= timedelta(minutes=1):
            window.popleft()
        if len(window) >= limit["requests_per_minute"]:
            retry = 60 - (now - window[0]).total_seconds()
            seconds = max(1, int(retry) + (retry % 1 > 0))
            raise ApiError(
                "RATE_LIMIT_EXCEEDED",
                f"Rate limit of {limit['requests_per_minute']} requests per minute exceeded; "
                f"retry in {seconds} seconds",
                headers={"Retry-After": str(seconds)},
            )
        window.append(now)

    def error_schema_for(self, code: str) -> str:
        return "huskyvoice/rate-limit-error" if code == "RATE_LIMIT_EXCEEDED" else self.error_schema

    def error_schema_for_status(self, status: int) -> str:
        return "huskyvoice/rate-limit-error" if status == 429 else self.error_schema

    def appointment_record(
        self, state: HuskyVoiceState, key: str | None
    ) -> Mapping[str, Any] | None:
        return state.appointments.get(key or "")

    def error_body(
        self, code: str, message: str, status: int, error: ApiError, request: MockRequest
    ) -> Any:
        if error.code == "RATE_LIMIT_EXCEEDED":
            return {"error": {"code": code, "message": message}}
        return {"success": False, "error": {"code": code, "message": message}}
