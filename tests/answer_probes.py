"""Probes: one request for each answer an operation declares that the scenario table does not
reach, on a built-in scenario (a fault, which the logic never gives, by a stub; a rule no
built-in shows, by a built-in with one thing changed, given as data)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from conftest import SEED_ID, in_process_client
from mockserver import MockEngine
from scenario_replay import DEFAULT_HEADERS

HV_ONE = f"/v1/appointments/{SEED_ID}"
UNIT = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
TWO_STEP_UNIT = "/api/emrs/anitasystems/care-units/L0_1/appointments"
HUGE = "x" * (1 << 20)
# Answers the provider's own logic never gives: a scripted fault is how a client meets them.
FAULTS = {
    "huskyvoice": {"SERVICE_UNAVAILABLE": 503},
    "leyr": {"SERVICE_UNAVAILABLE": 503, "EMR_ERROR": 502},
}
# Keys of huskyvoice/insufficient-scope lacking each scope.
WITHOUT_SCOPE = {
    "appointments:write": "YOUR_API_KEY",
    "slots:read": "WRITE_KEY",
    "appointments:read": "SLOTS_KEY",
}
FOREIGN = {"x-leyr-client-id": "webdoc-only-client", "x-leyr-client-secret": "webdoc-only-secret"}
# Scenarios given as data (built-ins with one thing changed), for the rules no built-in shows.
COMPLETED = {
    "extends": "leyr/direct-cancel",
    "appointments": [
        {
            "id": "1001",
            "emr": "webdoc",
            "care_unit_id": "wd-oslo-1",
            "status": "completed",
            "start": "2026-06-15T09:00:00+02:00",
            "end": "2026-06-15T09:20:00+02:00",
        }
    ],
}
NO_RESCHEDULING = {"extends": "huskyvoice/direct-cancel", "org": {"allow_rescheduling": False}}
BOOKING = {
    "appointment_type": "General Consultation",
    "appointment_date": "2026-06-15T03:30:00Z",
    "patient_name": "Meera",
    "parent_phone": "+919800000001",
    "session": "Morning",
}
MOVE = "/v1/appointments/appt_9a8b7c6d5e"


@dataclass(frozen=True)
class Probe:
    """A request (a str body is sent as text/plain) and the outcome it must have."""

    scenario: str | dict[str, Any]
    method: str
    path: str
    body: Any
    expect: str
    headers: dict[str, str] = field(default_factory=dict)
    before: tuple[tuple[str, str, Any], ...] = ()
    stub: dict[str, Any] | None = None

    @property
    def provider(self) -> str:
        return "leyr" if self.path.startswith("/api") else "huskyvoice"


D, L = "huskyvoice/direct-cancel", "leyr/direct-cancel"
PROBES = [
    Probe(D, "PATCH", HV_ONE, {"status": "cancelled", "nope": 1}, "400 VALIDATION_ERROR"),
    Probe(D, "PATCH", HV_ONE, {"status": "cancelled", "notes": HUGE}, "413 PAYLOAD_TOO_LARGE"),
    Probe(D, "PATCH", HV_ONE, "status=cancelled", "415 UNSUPPORTED_MEDIA_TYPE"),
    Probe(
        "huskyvoice/already-cancelled",
        "PATCH",
        HV_ONE,
        {"status": "confirmed"},
        "409 INVALID_STATUS_TRANSITION",
    ),
    Probe(NO_RESCHEDULING, "PATCH", HV_ONE, {"session": "Evening"}, "403 RESCHEDULING_NOT_ALLOWED"),
    Probe(
        "huskyvoice/slot-freed",
        "PATCH",
        MOVE,
        {"session": "Morning"},
        "409 SLOT_FULL",
        before=(("PATCH", MOVE, {"session": "Evening"}), ("POST", "/v1/appointments", BOOKING)),
    ),
    Probe(
        D, "PATCH", HV_ONE, {"appointment_date": "2026-06-16T03:30:00Z"}, "422 OUTSIDE_AVAILABILITY"
    ),
    Probe(D, "GET", "/v1/appointments?limit=x", None, "400 VALIDATION_ERROR"),
    Probe(D, "POST", "/v1/appointments", {"session": "Morning"}, "400 VALIDATION_ERROR"),
    Probe(
        D, "POST", "/v1/appointments", {**BOOKING, "patient_name": HUGE}, "413 PAYLOAD_TOO_LARGE"
    ),
    Probe(D, "POST", "/v1/appointments", "session=Morning", "415 UNSUPPORTED_MEDIA_TYPE"),
    Probe(
        D,
        "POST",
        "/v1/appointments",
        {**BOOKING, "parent_phone": "+919840XXXXXX"},
        "409 DUPLICATE_BOOKING",
    ),
    Probe(
        D,
        "POST",
        "/v1/appointments",
        {**BOOKING, "appointment_date": "2026-09-15T03:30:00Z"},
        "422 OUTSIDE_AVAILABILITY",
    ),
    Probe(
        D, "GET", "/v1/appointment-slots/availability?date=2026-02-30", None, "400 VALIDATION_ERROR"
    ),
    Probe(L, "PATCH", f"{UNIT}/1001", {"status": "booked"}, "400 BAD_INPUT"),
    Probe(
        L,
        "PATCH",
        f"{UNIT}/1001",
        {"status": "cancelled", "comment": HUGE},
        "413 PAYLOAD_TOO_LARGE",
    ),
    Probe(L, "PATCH", f"{UNIT}/1001", "status=cancelled", "415 UNSUPPORTED_MEDIA_TYPE"),
    Probe(L, "PATCH", f"{UNIT}/1001", {}, "400 MISSING_REQUIRED_FIELD"),
    Probe(
        L,
        "PATCH",
        f"{UNIT}/1001",
        {"status": "cancelled", "comment": "x" * 1001},
        "400 INVALID_COMMENT_LENGTH",
    ),
    Probe(COMPLETED, "PATCH", f"{UNIT}/1001", {"status": "cancelled"}, "400 NOT_SUPPORTED"),
    Probe(L, "PATCH", f"{UNIT}/other:1", {"status": "cancelled"}, "400 INVALID_APPOINTMENT_ID"),
    Probe(L, "PATCH", UNIT, {"ids": [], "status": "cancelled"}, "400 BAD_INPUT"),
    Probe(
        L,
        "PATCH",
        UNIT,
        {"ids": ["1001"], "status": "cancelled", "comment": HUGE},
        "413 PAYLOAD_TOO_LARGE",
    ),
    Probe(L, "PATCH", UNIT, "ids=1001", "415 UNSUPPORTED_MEDIA_TYPE"),
    Probe(
        L, "PATCH", UNIT, {"ids": ["other:1"], "status": "cancelled"}, "400 INVALID_APPOINTMENT_ID"
    ),
    Probe(
        L,
        "PATCH",
        UNIT,
        {"ids": [str(n) for n in range(51)], "status": "cancelled"},
        "400 MAX_ITEMS_EXCEEDED",
    ),
    Probe(
        L,
        "PATCH",
        UNIT,
        {"ids": ["1001"], "status": "cancelled", "comment": "x" * 1001},
        "400 INVALID_COMMENT_LENGTH",
    ),
    Probe(COMPLETED, "PATCH", UNIT, {"ids": ["1001"], "status": "cancelled"}, "400 NOT_SUPPORTED"),
    Probe(L, "GET", f"{UNIT}/other:1", None, "400 INVALID_APPOINTMENT_ID"),
    Probe(L, "GET", f"{UNIT}/9999", None, "404 INVALID_APPOINTMENT_ID"),
    Probe(L, "GET", UNIT, None, "200"),
    Probe(L, "GET", f"{UNIT}?nope=1", None, "400 BAD_INPUT"),
]
# A request each HuskyVoice operation accepts, for the probes every operation gets.
HUSKYVOICE_SAMPLES = {
    "updateAppointment": {"status": "cancelled"},
    "createAppointment": BOOKING,
    "getSlotAvailability": "?date=2026-06-15",
}


def fault(provider: str, method: str, template: str, code: str, status: int) -> dict[str, Any]:
    return {
        "name": "fault",
        "match": {"method": method, "path": template},
        "respond": {"error": {"code": code, "status": status}},
    }


def every_operation_probes(engine: MockEngine) -> Iterator[Probe]:
    """Per operation: a wrong key, a missing scope or a foreign client, the rate limit, an
    unknown care unit, and each fault (by a stub)."""
    for op in engine.providers["huskyvoice"].router.operations:
        sample = HUSKYVOICE_SAMPLES.get(op.operation_id)
        path = op.path.replace("{appointment_id}", SEED_ID) + (
            sample if isinstance(sample, str) else ""
        )
        body = None if isinstance(sample, str) else sample
        yield Probe(D, op.method, path, body, "401 UNAUTHORIZED", {"Authorization": "Bearer nope"})
        key = WITHOUT_SCOPE[str(op.scope)]
        yield Probe(
            "huskyvoice/insufficient-scope",
            op.method,
            path,
            body,
            "403 INSUFFICIENT_SCOPE",
            {"Authorization": f"Bearer {key}"},
        )
        yield Probe(
            "huskyvoice/rate-limited",
            op.method,
            path,
            body,
            "429 RATE_LIMIT_EXCEEDED",
            before=(("GET", "/v1/appointment-config", None),) * 60,
        )
        for code, status in FAULTS["huskyvoice"].items():
            yield Probe(
                D,
                op.method,
                path,
                body,
                f"{status} {code}",
                stub=fault("huskyvoice", op.method, op.path, code, status),
            )
    for op in engine.providers["leyr"].router.operations:
        one = op.path.endswith("{appointment_id}")
        path = f"{TWO_STEP_UNIT}/2001" if one else TWO_STEP_UNIT
        body = (
            None
            if op.method == "GET"
            else {"status": "cancelled", **({} if one else {"ids": ["2001"]})}
        )
        yield Probe(L, op.method, path, body, "401 UNAUTHORIZED", {"x-leyr-client-id": "nobody"})
        yield Probe("leyr/forbidden", op.method, path, body, "403 FORBIDDEN", FOREIGN)
        yield Probe(
            "leyr/two-step",
            op.method,
            path.replace("/L0_1/", "/NOPE/"),
            body,
            "404 INVALID_CARE_UNIT_ID",
        )
        for code, status in FAULTS["leyr"].items():
            yield Probe(
                "leyr/two-step",
                op.method,
                path,
                body,
                f"{status} {code}",
                stub=fault("leyr", op.method, op.path, code, status),
            )


def _request(client: Any, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    if isinstance(body, str):
        return client.request(
            method, path, content=body, headers={**headers, "content-type": "text/plain"}
        )
    content = None if body is None else json.dumps(body)
    return client.request(
        method, path, content=content, headers={**headers, "content-type": "application/json"}
    )


def send(engine: MockEngine, probe: Probe) -> Any:
    engine.activate()
    engine.load(probe.scenario)
    if probe.stub is not None:
        engine.add_interaction(probe.stub, probe.provider)
    headers = {**DEFAULT_HEADERS[probe.provider], **probe.headers}
    with in_process_client(engine) as client:
        for method, path, body in probe.before:
            _request(client, method, path, body, headers)
        return _request(client, probe.method, probe.path, probe.body, headers)


def all_probes(engine: MockEngine) -> list[Probe]:
    return PROBES + list(every_operation_probes(engine))
