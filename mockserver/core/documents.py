"""The JSON documents the mock hands its users: journal entries, outbox messages, violations.

The admin API serves them as they are, and the pytest handle returns them typed.
"""

# No `from __future__ import annotations` here: TypedDict compiles every string annotation
# into a ForwardRef, which made importing a module of TypedDicts three times slower.

from typing import TypedDict

from mockserver.core.json_value import JSONValue


class InteractionNote(TypedDict):
    """Which scripted interaction answered an exchange."""

    name: str
    key: str
    passthrough: bool
    fault: str | None
    violates_contract: bool


class ReloadDocument(TypedDict):
    """How the last hot reload of the scenario files went (`GET /__admin/health`)."""

    ok: bool  # False while the files on disk are broken and the last good ones still serve
    error: str | None  # every problem, one `file:line: field: message` a line
    at: str | None  # when it was tried, wall clock ISO 8601 UTC; None before the first


class JournalEntry(TypedDict):
    """One exchange: the request as received and the answer as sent."""

    id: int
    session: str | None  # the session it belongs to (None: the server's default session)
    at: str | None  # the mock's clock (None for a path no provider serves)
    received_at: str  # the wall clock, ISO 8601 UTC
    duration_ms: float  # the mock's time to answer, a scripted delay included
    provider: str | None  # None for a path no provider serves
    scenario: str | None
    method: str
    path: str
    appointment: str | None  # as the provider resolves the path: appt_…, or <emr>/<id>
    query: str
    headers: dict[str, str]
    body: JSONValue  # parsed, as patterns match it (its text when it is not JSON)
    body_text: str | None  # the bytes as sent, as text (UTF-8; None for no body)
    body_size: int  # bytes sent (the Content-Length), even when the journal keeps fewer
    status: int
    response: JSONValue  # parsed, or its text when it is not JSON
    response_headers: dict[str, str]
    operation: str | None  # the documented operation's id, when the request named one
    interaction: InteractionNote | None
    broke_contract: bool  # the request or the answer broke the provider's contract
    client_disconnected: bool  # the client went away before the answer (a timeout)


class OutboxMessage(TypedDict):
    """A code sent to a patient (Leyr's two-step cancellation)."""

    channel: str
    recipient: str | None
    patient_id: str | None
    code: str
    emr: str
    care_unit_id: str
    original_id: str
    new_id: str
    sent_at: str
    expires_at: str
    text: str
    # Where the cancellation it confirms stands now: pending, confirmed, voided (attempts used
    # up) or expired (on the mock's clock, whether or not anyone tried the code since).
    state: str


class ProblemDocument(TypedDict):
    location: str
    message: str
    schema_path: str


class Violation(TypedDict):
    """A request that broke a provider's contract, or an answer of the mock's that would have."""

    kind: str  # "request" or "response"
    provider: str
    request_id: int
    at: str
    method: str
    path: str
    status: int
    problems: list[ProblemDocument]


class ClosestOperation(TypedDict):
    """The documented operation a near miss came closest to, and how it differs from it."""

    operation: str
    method: str
    path: str
    differences: list[str]


class ClosestInteraction(TypedDict):
    """The scripted interaction a near miss came closest to, and why it did not answer."""

    name: str
    match: str
    differences: list[str]


class NearMiss(TypedDict):
    """A request nothing answered as the client meant (GET /__admin/near-misses)."""

    request: JournalEntry
    reasons: list[str]
    problems: list[ProblemDocument]
    closest_operation: ClosestOperation | None
    closest_interaction: ClosestInteraction | None


class ClockDocument(TypedDict):
    """A provider's clock (`GET /__admin/clock`, per provider)."""

    now: str  # ISO 8601, UTC, milliseconds
    frozen: bool


class ScenarioSummary(TypedDict):
    """A scenario as the catalog lists it."""

    name: str
    provider: str
    description: str
    source: str  # `builtin`, or `<folder>/<file>` for a user's (never an absolute path)


class ListedScenario(ScenarioSummary):
    """`GET /__admin/scenarios`: every loadable scenario, and whether it is active."""

    active: bool


class ActiveScenario(ScenarioSummary):
    """`GET /__admin/scenario`, per provider: the active scenario, its clock and its data."""

    clock: ClockDocument
    seeded: dict[str, object]  # the provider's own: keys, organisations, slots, appointments


class InteractionDocument(TypedDict):
    """A scripted interaction in force (`GET /__admin/interactions`, a stub added)."""

    provider: str
    name: str
    added: bool  # added at run time (a stub), not the scenario's
    match: str  # its request pattern, described
    times: int | None
    counters: dict[str, int]  # how often it answered, per appointment key
    states: dict[str, str]  # the scenario state per appointment key


class _OperationCoverage(TypedDict):
    operation: str  # `METHOD /path`
    outcomes: dict[str, int]  # each declared outcome, how often seen


class OperationCoverage(_OperationCoverage, total=False):
    undeclared: dict[str, int]  # outcomes seen that the operation does not declare
    scenarios: dict[str, list[str]]  # per outcome seen, the scenarios it was seen under


class ProviderCoverage(TypedDict):
    """One provider's contract coverage (`GET /__admin/coverage`, per provider)."""

    operations: list[OperationCoverage]
    covered: int
    total: int
    percent: float


CoverageReport = dict[str, ProviderCoverage]
