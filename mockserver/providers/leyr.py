"""Leyr: single, bulk and two-step (patient code) cancellation on EMRs, as pure functions."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from mockserver.clock import Clock, format_instant, parse_instant
from mockserver.contracts import Problem
from mockserver.exchange import ApiError, MockRequest, Reply, clip
from mockserver.providers.base import Provider, ProviderState
from mockserver.routing import Call, Operation
from mockserver.scenarios import FieldPath, Scenario

PROBLEM_TYPE = "application/problem+json"
ERROR_DOCS = "https://docs.leyr.io/api/error-handling"
UNKNOWN_CLIENT = "Application with the provided client ID was not found."
DEFAULTS: Mapping[str, int] = {
    "max_attempts": 3,
    "expiry_seconds": 600,
    "max_bulk_ids": 50,
    "max_comment_length": 1000,
}
# Top-level problem code and title for each status; the specific cause is in errors[].error_code.
TOP_LEVEL: Mapping[int, tuple[str, str]] = {
    400: ("BAD_REQUEST", "Bad Request"),
    401: ("UNAUTHORIZED", "Unauthorized"),
    403: ("FORBIDDEN", "Forbidden"),
    404: ("NOT_FOUND", "Not Found"),
    405: ("METHOD_NOT_ALLOWED", "Method Not Allowed"),
    409: ("CONFLICT", "Conflict"),
    413: ("PAYLOAD_TOO_LARGE", "Payload Too Large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"),
    422: ("UNPROCESSABLE_ENTITY", "Unprocessable Entity"),
    429: ("TOO_MANY_REQUESTS", "Too Many Requests"),
    500: ("UNKNOWN_ERROR", "Internal Server Error"),
    502: ("EMR_ERROR", "Bad Gateway"),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable"),
}
BASE = "/api/emrs/{emr}/care-units/{care_unit_id}/appointments"
ID_TYPES = ("emr_id",)


@dataclass(frozen=True)
class Client:
    secret: str
    emrs: frozenset[str] | None
    care_units: frozenset[str] | None


@dataclass(frozen=True)
class Emr:
    id: str
    two_step: bool
    channel: str
    care_units: tuple[str, ...]


@dataclass
class Pending:
    """A cancellation waiting for the patient's code, under its new appointment id."""

    emr: str
    care_unit_id: str
    original_id: str
    new_id: str
    code: str
    sent_at: datetime
    attempts: int = 0
    void: str | None = None  # why it can no longer be confirmed


@dataclass(frozen=True)
class Seed:
    scenario: Scenario
    clients: Mapping[str, Client]
    emrs: Mapping[str, Emr]
    contacts: Mapping[str, Mapping[str, str]]
    appointments: tuple[tuple[str, dict[str, Any]], ...]
    two_step: Mapping[tuple[str, str], bool]  # per-appointment exceptions to the EMR's rule
    settings: Mapping[str, Any]
    behaviour: Mapping[str, Any] = field(default_factory=dict)


class LeyrState(ProviderState):
    seed: Seed

    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self.scenario = seed.scenario
        self.clock = Clock(parse_instant(seed.scenario.now), frozen=seed.scenario.frozen)
        self.appointments: dict[tuple[str, str], dict[str, Any]] = {
            (emr, record["id"]): dict(record) for emr, record in seed.appointments
        }
        self.pending: dict[tuple[str, str], Pending] = {}
        self.pending_for: dict[tuple[str, str], str] = {}  # (emr, original id) -> new id
        self.sent: list[dict[str, Any]] = []
        self.rng = random.Random(seed.scenario.seed)

    def setting(self, name: str) -> Any:
        """A two-step setting (`two_step:` in the scenario), else the mock's default."""
        return self.seed.settings.get(name, DEFAULTS.get(name))

    def limit(self, name: str) -> int:
        """A request limit (`behaviour:` in the scenario), else the mock's default."""
        return int(self.seed.behaviour.get(name, DEFAULTS[name]))

    def outbox(self) -> list[dict[str, Any]]:
        return [dict(message) for message in self.sent]

    def seeded(self) -> dict[str, Any]:
        return {
            "clients": [
                {
                    "client_id": client_id,
                    "client_secret": client.secret,
                    "emrs": sorted(client.emrs) if client.emrs is not None else "all",
                    "care_units": sorted(client.care_units) if client.care_units else "all",
                }
                for client_id, client in self.seed.clients.items()
            ],
            "emrs": [
                {
                    "id": e.id,
                    "two_step": e.two_step,
                    "channel": e.channel,
                    "care_units": list(e.care_units),
                }
                for e in self.seed.emrs.values()
            ],
            "patients": [{"id": pid, **contact} for pid, contact in self.seed.contacts.items()],
            "two_step": {
                "code": self.seed.settings.get("code", "drawn from the scenario seed"),
                "max_attempts": self.setting("max_attempts"),
                "expiry_seconds": self.setting("expiry_seconds"),
            },
            "appointments": [
                {"emr": emr, **record} for (emr, _), record in list(self.appointments.items())[:200]
            ],
            "appointment_count": len(self.appointments),
        }


# Seeding and scenario checks ------------------------------------------------------------------


def prepare(scenario: Scenario) -> Seed:
    data = scenario.data
    rng = random.Random(scenario.seed)
    clients = {
        c["client_id"]: Client(
            c["client_secret"],
            frozenset(c["emrs"]) if "emrs" in c else None,
            frozenset(c["care_units"]) if "care_units" in c else None,
        )
        for c in data.get("clients", [])
    }
    emrs = {
        e["id"]: Emr(
            e["id"],
            e.get("two_step", False),
            e.get("channel", "sms"),
            tuple(u["id"] for u in e["care_units"]),
        )
        for e in data.get("emrs", [])
    }
    contacts = {
        p["id"]: {k: p[k] for k in ("name", "phone", "email") if k in p}
        for p in data.get("patients", [])
    }
    for raw in data.get("appointments", []):
        patient = raw.get("patient_id")
        if patient and "phone" not in contacts.setdefault(patient, {}):
            contacts[patient] = {**contacts[patient], "phone": f"+4740{rng.randrange(10**6):06d}"}
    appointments = tuple(
        (
            raw["emr"],
            {
                "id": raw["id"],
                "status": raw.get("status", "booked"),
                "care_unit_id": raw["care_unit_id"],
                "start": raw["start"],
                "end": raw["end"],
                "patient_id": raw.get("patient_id"),
                "resource_id": raw.get("resource_id"),
                "healthcare_service_id": raw.get("healthcare_service_id"),
                "comment": raw.get("comment"),
            },
        )
        for raw in data.get("appointments", [])
    )
    return Seed(
        scenario=scenario,
        clients=clients,
        emrs=emrs,
        contacts=contacts,
        appointments=appointments,
        two_step={
            (raw["emr"], raw["id"]): raw["two_step"]
            for raw in data.get("appointments", [])
            if "two_step" in raw
        },
        settings=data.get("two_step", {}),
        behaviour=data.get("behaviour", {}),
    )


def check_scenario(data: Mapping[str, Any]) -> Iterable[tuple[FieldPath, str]]:
    emrs = {e["id"]: {u["id"] for u in e["care_units"]} for e in data.get("emrs", [])}
    seen: set[str] = set()
    for index, emr in enumerate(data.get("emrs", [])):
        if emr["id"] in seen:
            yield ("emrs", index, "id"), f"duplicate EMR {emr['id']!r}"
        seen.add(emr["id"])
    clients: set[str] = set()
    for index, client in enumerate(data.get("clients", [])):
        if client["client_id"] in clients:
            yield ("clients", index, "client_id"), f"duplicate client_id {client['client_id']!r}"
        clients.add(client["client_id"])
        for name in client.get("emrs", []):
            if name not in emrs:
                yield ("clients", index, "emrs"), f"{name!r} is not one of the scenario's EMRs"
    patients = {p["id"] for p in data.get("patients", [])}
    ids: set[tuple[str, str]] = set()
    for index, raw in enumerate(data.get("appointments", [])):
        if raw["emr"] not in emrs:
            yield (
                ("appointments", index, "emr"),
                f"{raw['emr']!r} is not one of the scenario's EMRs",
            )
        elif raw["care_unit_id"] not in emrs[raw["emr"]]:
            yield (
                ("appointments", index, "care_unit_id"),
                (f"{raw['care_unit_id']!r} is not a care unit of {raw['emr']}"),
            )
        if (raw["emr"], raw["id"]) in ids:
            yield ("appointments", index, "id"), f"duplicate id {raw['id']!r} in {raw['emr']}"
        ids.add((raw["emr"], raw["id"]))
        if patients and raw.get("patient_id") and raw["patient_id"] not in patients:
            yield (
                ("appointments", index, "patient_id"),
                f"{raw['patient_id']!r} is not a declared patient",
            )
        try:
            if parse_instant(raw["end"]) < parse_instant(raw["start"]):
                yield ("appointments", index, "end"), "ends before it starts"
        except ValueError as error:
            yield ("appointments", index, "start"), str(error)


# Helpers over state ----------------------------------------------------------------------------


def _bare_id(value: str, path: str = "appointment_id") -> str:
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


def _find(state: LeyrState, call: Call, appointment_id: str) -> dict[str, Any]:
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


def _check_comment(state: LeyrState, body: Mapping[str, Any]) -> None:
    limit = state.limit("max_comment_length")
    comment = body.get("comment")
    if comment is not None and len(comment) > limit:
        raise ApiError(
            "INVALID_COMMENT_LENGTH",
            f"comment is {len(comment)} characters; at most {limit} are allowed",
            extra={"path": "comment"},
        )


def _check_cancellable(record: Mapping[str, Any]) -> None:
    if record["status"] == "completed":
        raise ApiError(
            "NOT_SUPPORTED",
            f"Appointment {record['id']!r} is completed and cannot be cancelled",
            extra={"path": "status"},
        )


def _new_id(state: LeyrState, emr: str) -> str:
    while True:
        candidate = str(state.rng.randrange(10**8, 10**9))
        if (emr, candidate) not in state.appointments:
            return candidate


def _code(state: LeyrState) -> str:
    fixed = state.seed.settings.get("code")
    drawn = f"{state.rng.randrange(10**6):06d}"  # drawn either way, so ids do not shift
    return fixed or drawn


def _cancel(
    state: LeyrState, emr: Emr, record: dict[str, Any], body: Mapping[str, Any]
) -> dict[str, Any]:
    """Cancel one checked appointment: at once, or by opening a two-step confirmation."""
    key = (emr.id, record["id"])
    if record["status"] == "cancelled":
        return record
    waiting = state.pending_for.get(key)
    if waiting is not None:
        return state.appointments[(emr.id, waiting)]
    if record["status"] == "awaiting_confirmation":
        return record
    for name in ("start", "end", "resource_id"):
        if name in body:
            record[name] = body[name]
    if "comment" in body:
        record["comment"] = body["comment"]
    if not state.seed.two_step.get(key, emr.two_step):
        record["status"] = "cancelled"
        return record
    new_id = _new_id(state, emr.id)
    pending = Pending(
        emr.id, record["care_unit_id"], record["id"], new_id, _code(state), state.clock.now()
    )
    awaiting = {**record, "id": new_id, "status": "awaiting_confirmation"}
    state.appointments[(emr.id, new_id)] = awaiting
    state.pending[(emr.id, new_id)] = pending
    state.pending_for[key] = new_id
    _send_code(state, emr, record, pending)
    return awaiting


def _send_code(state: LeyrState, emr: Emr, record: Mapping[str, Any], pending: Pending) -> None:
    contact = state.seed.contacts.get(record.get("patient_id") or "", {})
    recipient = contact.get("email" if emr.channel == "email" else "phone")
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
            "expires_at": format_instant(
                pending.sent_at + timedelta(seconds=state.setting("expiry_seconds"))
            ),
            "text": f"Your code to confirm the cancellation is {pending.code}",
        }
    )


def _void(state: LeyrState, pending: Pending, reason: str) -> None:
    """The pending cancellation can no longer be confirmed: its new id is gone, the appointment
    stays booked under its original id, and a new cancellation starts over with a new code."""
    pending.void = reason
    state.pending_for.pop((pending.emr, pending.original_id), None)
    state.appointments.pop((pending.emr, pending.new_id), None)


def _confirm(state: LeyrState, call: Call, appointment_id: str, code: str) -> dict[str, Any]:
    emr = call.params["emr"]
    pending = state.pending.get((emr, appointment_id))
    if pending is None or pending.care_unit_id != call.params["care_unit_id"]:
        record = _find(state, call, appointment_id)
        if record["status"] == "cancelled":
            return record  # confirming a cancelled appointment again changes nothing
        waiting = state.pending_for.get((emr, appointment_id))
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
        )
    if pending.void is not None:
        raise ApiError(
            pending.void, _void_message(pending.void), extra={"path": "confirmation.code"}
        )
    record = state.appointments[(emr, appointment_id)]
    if record["status"] == "cancelled":
        return record
    expiry = timedelta(seconds=state.setting("expiry_seconds"))
    if state.clock.now() - pending.sent_at > expiry:
        _void(state, pending, "CONFIRMATION_CODE_EXPIRED")
        raise ApiError(
            "CONFIRMATION_CODE_EXPIRED",
            _void_message("CONFIRMATION_CODE_EXPIRED"),
            extra={"path": "confirmation.code"},
        )
    if code != pending.code:
        pending.attempts += 1
        left = state.setting("max_attempts") - pending.attempts
        if left <= 0:
            _void(state, pending, "CONFIRMATION_ATTEMPTS_EXCEEDED")
            raise ApiError(
                "CONFIRMATION_ATTEMPTS_EXCEEDED",
                _void_message("CONFIRMATION_ATTEMPTS_EXCEEDED"),
                extra={"path": "confirmation.code"},
            )
        raise ApiError(
            "INVALID_CONFIRMATION_CODE",
            f"The confirmation code is wrong; {left} attempt{'s' if left != 1 else ''} left",
            extra={"path": "confirmation.code"},
        )
    record["status"] = "cancelled"
    state.appointments[(emr, pending.original_id)]["status"] = "cancelled"
    state.pending_for.pop((emr, pending.original_id), None)
    return record


def _void_message(reason: str) -> str:
    return {
        "CONFIRMATION_CODE_EXPIRED": "The confirmation code has expired; the appointment is still "
        "booked. Cancel again to get a new code.",
        "CONFIRMATION_ATTEMPTS_EXCEEDED": "Too many wrong confirmation codes; the cancellation is "
        "void and the appointment is still booked. Cancel again to get a new code.",
    }[reason]


# Operations --------------------------------------------------------------------------------------


def update_appointment(state: LeyrState, call: Call) -> Reply:
    body: Mapping[str, Any] = call.body
    appointment_id = _bare_id(call.params["appointment_id"])
    has_status, has_code = "status" in body, "confirmation" in body
    if has_status == has_code:
        raise ApiError(
            "MISSING_REQUIRED_FIELD" if not has_status else "BAD_INPUT",
            "send either status: cancelled or a confirmation with its code, not "
            + ("neither" if not has_status else "both"),
            extra={"path": "status" if not has_status else "confirmation"},
        )
    if has_code:
        extra = sorted(set(body) - {"confirmation"})
        if extra:
            raise ApiError(
                "BAD_INPUT",
                f"a confirmation takes no other fields: {', '.join(extra)}",
                extra={"path": extra[0]},
            )
        return Reply(200, dict(_confirm(state, call, appointment_id, body["confirmation"]["code"])))
    _check_comment(state, body)
    record = _find(state, call, appointment_id)
    _check_cancellable(record)
    emr = state.seed.emrs[call.params["emr"]]
    return Reply(200, dict(_cancel(state, emr, record, body)))


def bulk_cancel(state: LeyrState, call: Call) -> Reply:
    body: Mapping[str, Any] = call.body
    ids = body["ids"]
    limit = state.limit("max_bulk_ids")
    if not ids:
        raise ApiError("BAD_INPUT", "ids must name at least one appointment", extra={"path": "ids"})
    if len(ids) > limit:
        raise ApiError(
            "MAX_ITEMS_EXCEEDED",
            f"ids holds {len(ids)} items; at most {limit} are allowed",
            extra={"path": "ids"},
        )
    bare = [_bare_id(value, f"ids[{index}]") for index, value in enumerate(ids)]
    repeated = sorted({value for value in bare if bare.count(value) > 1})
    if repeated:
        raise ApiError(
            "BAD_INPUT", f"ids repeats {', '.join(map(repr, repeated))}", extra={"path": "ids"}
        )
    _check_comment(state, body)
    emr, unit = call.params["emr"], call.params["care_unit_id"]
    unknown = [
        (index, value)
        for index, value in enumerate(bare)
        if (record := state.appointments.get((emr, value))) is None
        or record["care_unit_id"] != unit
    ]
    if unknown:
        raise ApiError(
            "INVALID_APPOINTMENT_ID",
            f"{len(unknown)} of the ids were not found in care unit {clip(unit, 60)!r}; "
            "nothing was cancelled",
            status=404,
            extra={
                "errors": [
                    (
                        f"Appointment {clip(value, 60)!r} was not found",
                        f"ids[{index}]",
                        "INVALID_APPOINTMENT_ID",
                    )
                    for index, value in unknown
                ]
            },
        )
    records = [state.appointments[(emr, value)] for value in bare]
    for record in records:  # all-or-nothing: check every one before changing any
        _check_cancellable(record)
    choice = state.seed.emrs[emr]
    return Reply(200, [dict(_cancel(state, choice, record, body)) for record in records])


def get_appointment(state: LeyrState, call: Call) -> Reply:
    return Reply(200, dict(_find(state, call, _bare_id(call.params["appointment_id"]))))


def list_appointments(state: LeyrState, call: Call) -> Reply:
    emr, unit = call.params["emr"], call.params["care_unit_id"]
    wanted = dict(call.query)
    found = [
        dict(record)
        for (record_emr, _), record in state.appointments.items()
        if record_emr == emr
        and record["care_unit_id"] == unit
        and all(record.get(name) == value for name, value in wanted.items())
    ]
    return Reply(200, found)


# The provider ----------------------------------------------------------------------------------


class Leyr(Provider):
    name = "leyr"
    title = "Leyr EHR integration API"
    prefix = "/api"
    error_schema = "leyr/problem"
    error_content_type = PROBLEM_TYPE
    validation_code = "BAD_INPUT"
    appointment_schema = "leyr/appointment"
    sample_appointment: ClassVar[Mapping[str, Any]] = {
        "id": "2001",
        "status": "booked",
        "care_unit_id": "L0_1",
        "start": "2026-06-15T09:00:00+02:00",
        "end": "2026-06-15T09:30:00+02:00",
        "patient_id": "patient-1",
        "resource_id": "practitioner-3",
        "healthcare_service_id": "general-consultation",
        "comment": None,
    }
    error_statuses: ClassVar[Mapping[str, int]] = {
        "BAD_INPUT": 400,
        "MISSING_REQUIRED_FIELD": 400,
        "INVALID_COMMENT_LENGTH": 400,
        "MAX_ITEMS_EXCEEDED": 400,
        "NOT_SUPPORTED": 400,
        "INVALID_CONFIRMATION_CODE": 400,
        "CONFIRMATION_ATTEMPTS_EXCEEDED": 400,
        "CONFIRMATION_CODE_EXPIRED": 400,
        "INVALID_APPOINTMENT_ID": 400,
        "UNAUTHORIZED": 401,
        "FORBIDDEN": 403,
        "INVALID_CARE_UNIT_ID": 404,
        "NOT_FOUND": 404,
        "METHOD_NOT_ALLOWED": 405,
        "PAYLOAD_TOO_LARGE": 413,
        "UNSUPPORTED_MEDIA_TYPE": 415,
        "INTERNAL_ERROR": 500,
        "EMR_ERROR": 502,
        "SERVICE_UNAVAILABLE": 503,
    }

    def operations(self) -> Iterable[Operation]:
        auth = ("UNAUTHORIZED", "FORBIDDEN", "INVALID_CARE_UNIT_ID")
        body = ("BAD_INPUT", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE")
        return (
            Operation(
                "updateAppointment",
                "PATCH",
                BASE + "/{appointment_id}",
                "Cancel one appointment, or confirm a two-step cancellation on its new id",
                update_appointment,
                {200: "leyr/appointment.response"},
                request_schema="leyr/update-appointment.request",
                errors=(
                    *auth,
                    *body,
                    "INVALID_APPOINTMENT_ID",
                    "MISSING_REQUIRED_FIELD",
                    "INVALID_COMMENT_LENGTH",
                    "NOT_SUPPORTED",
                    "INVALID_CONFIRMATION_CODE",
                    "CONFIRMATION_ATTEMPTS_EXCEEDED",
                    "CONFIRMATION_CODE_EXPIRED",
                ),
            ),
            Operation(
                "bulkCancelAppointments",
                "PATCH",
                BASE,
                "Cancel several appointments; results in the order of ids",
                bulk_cancel,
                {200: "leyr/appointment-list.response"},
                request_schema="leyr/bulk-update.request",
                errors=(
                    *auth,
                    *body,
                    "INVALID_APPOINTMENT_ID",
                    "MAX_ITEMS_EXCEEDED",
                    "INVALID_COMMENT_LENGTH",
                    "NOT_SUPPORTED",
                ),
            ),
            Operation(
                "getAppointment",
                "GET",
                BASE + "/{appointment_id}",
                "Read one appointment",
                get_appointment,
                {200: "leyr/appointment.response"},
                errors=(*auth, "INVALID_APPOINTMENT_ID"),
            ),
            Operation(
                "listAppointments",
                "GET",
                BASE,
                "A care unit's appointments, optionally one patient's",
                list_appointments,
                {200: "leyr/appointment-list.response"},
                query_schema="leyr/list-appointments.query",
                errors=(*auth, "BAD_INPUT"),
            ),
        )

    def prepare(self, scenario: Scenario) -> Seed:
        return prepare(scenario)

    def fresh_state(self, seed: Seed) -> LeyrState:
        return LeyrState(seed)

    def check_scenario(self, data: Mapping[str, Any]) -> Iterable[tuple[FieldPath, str]]:
        return check_scenario(data)

    def authorize(
        self,
        state: LeyrState,
        request: MockRequest,
        operation: Operation,
        params: Mapping[str, str],
    ) -> str:
        client_id = request.header("x-leyr-client-id") or ""
        client = state.seed.clients.get(client_id)
        if client is None:
            raise ApiError("UNAUTHORIZED", UNKNOWN_CLIENT)
        if request.header("x-leyr-client-secret") != client.secret:
            raise ApiError("UNAUTHORIZED", "The client secret does not match the client ID.")
        emr, unit = params["emr"], params["care_unit_id"]
        known = state.seed.emrs.get(emr)
        if known is None or unit not in known.care_units:
            what = f"EMR {clip(emr, 60)!r}" if known is None else f"care unit {clip(unit, 60)!r}"
            raise ApiError(
                "INVALID_CARE_UNIT_ID", f"Unknown {what}", extra={"path": "care_unit_id"}
            )
        if (client.emrs is not None and emr not in client.emrs) or (
            client.care_units is not None and unit not in client.care_units
        ):
            raise ApiError(
                "FORBIDDEN",
                f"Client {clip(client_id, 60)!r} may not access care unit {unit!r} of {emr}",
            )
        return client_id

    def validation_error(self, problems: list[Problem]) -> ApiError:
        entries = [
            (f"{p.location}: {p.message}" if p.location else p.message, _field(p), _error_code(p))
            for p in problems
        ]
        first = entries[0]
        return ApiError(
            first[2],
            "; ".join(e[0] for e in entries[:5]),
            extra={"errors": [(details, path, code) for details, path, code in entries]},
        )

    def appointment_key(self, params: Mapping[str, str]) -> str | None:
        """`<emr>/<id>`: ids are unique within an EMR, and `emr_id:1001` is `1001`."""
        if "appointment_id" not in params:
            return None
        kind, sep, rest = params["appointment_id"].partition(":")
        bare = rest if sep and kind in ID_TYPES and rest else params["appointment_id"]
        return f"{params['emr']}/{bare}"

    def appointment_record(self, state: LeyrState, key: str | None) -> Mapping[str, Any] | None:
        emr, _, bare = (key or "").partition("/")
        return state.appointments.get((emr, bare))

    def error_body(
        self, code: str, message: str, status: int, error: ApiError, request: MockRequest
    ) -> Any:
        top, title = TOP_LEVEL.get(status, ("UNKNOWN_ERROR", "Error"))
        if code in {
            "UNAUTHORIZED",
            "FORBIDDEN",
            "NOT_FOUND",
            "METHOD_NOT_ALLOWED",
            "PAYLOAD_TOO_LARGE",
            "UNSUPPORTED_MEDIA_TYPE",
            "EMR_ERROR",
            "SERVICE_UNAVAILABLE",
        }:
            top = code
        listed = error.extra.get("errors") or [(message, error.extra.get("path"), code)]
        emr_error = error.extra.get("emr_error")
        errors = [_entry(details, path, c, emr_error) for details, path, c in listed]
        return {
            "code": top,
            "type": f"{ERROR_DOCS}#{top.lower().replace('_', '-')}",
            "title": title,
            "status": status,
            "detail": message,
            "instance": request.path,
            "errors": errors,
        }


def _entry(details: str, path: str | None, code: str, emr_error: Any = None) -> dict[str, Any]:
    return {"details": details, "emr_error": emr_error, "error_code": code, "path": path}


def _field(problem: Problem) -> str | None:
    text = ".".join(str(p) for p in problem.path)
    return text or None


def _error_code(problem: Problem) -> str:
    if problem.schema_path.endswith("required"):
        return "MISSING_REQUIRED_FIELD"
    return "BAD_INPUT"
