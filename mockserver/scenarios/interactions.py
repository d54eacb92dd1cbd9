"""Scripted interactions: request matchers and canned (or faulty) responses from scenario YAML.

They take priority over the provider logic. Counters (`times`, `sequence`) and states
(`when_state` / `set_state`) are kept per appointment, the one the request's path names,
so tests on different appointments never share them.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import msgspec
from msgspec.structs import replace

from mockserver.core.contracts import Problem
from mockserver.core.exchange import (
    JSON_TYPE,
    StubFault,
    header_problem,
    larger_than,
    non_finite_at,
)
from mockserver.core.patterns import Observed, PatternError, RequestPattern, parse_pattern
from mockserver.core.reply import Fault, Reply
from mockserver.core.routing import template_params
from mockserver.core.templating import (
    Budget,
    Context,
    RenderTooLarge,
    placeholders,
    problem,
    render,
)
from mockserver.scenarios.catalog import FieldPath

if TYPE_CHECKING:
    from faker import Faker

INITIAL_STATE = "started"
# Appointments whose counters and states are kept; past it, the least recently used one's go
# (it starts again from its first answer and INITIAL_STATE).
MAX_TRACKED_APPOINTMENTS = 1_000


class _ErrorCode(TypedDict):
    code: str


class ErrorDoc(_ErrorCode, total=False):
    """A step's `error`, as the scenario schema admits it: an answer in the provider's envelope."""

    message: str
    status: int
    emr_error: object


class StepDoc(TypedDict, total=False):
    """A `respond` or `sequence` item, as the scenario schema admits it."""

    status: int
    headers: Mapping[str, str | int | float]
    body: object
    raw_body: str
    error: ErrorDoc
    passthrough: bool
    delay_ms: int | list[int]  # or [low, high]
    fault: str


class MatchDoc(TypedDict, total=False):
    """An interaction's `match`, as the scenario schema admits it (see core.patterns)."""

    method: str
    path: str
    path_regex: str
    query: Mapping[str, object]
    headers: Mapping[str, object]
    body: Mapping[str, object]
    appointment: str


class Step(msgspec.Struct, frozen=True):
    """One scripted answer: a response, an error in the provider's envelope, or passthrough."""

    status: int = 200
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    body: object = None  # a template, rendered for each answer
    has_body: bool = False
    error: ErrorDoc | None = None
    passthrough: bool = False
    delay_ms: tuple[int, int] = (0, 0)
    fault: Fault | None = None
    raw_body: str | None = None
    uses_faker: bool = False


class Interaction(msgspec.Struct, frozen=True):
    index: int
    name: str
    pattern: RequestPattern
    steps: tuple[Step, ...]
    repeat_last: bool
    times: int | None
    when_state: str | None
    set_state: str | None
    violates_contract: bool
    # Answer only requests the provider would take on (authorised, valid): a fault is then spent
    # by the request it is for, and a wrong key or a bad body gets the provider's own answer.
    accepted_only: bool = False


def _step(raw: StepDoc) -> Step:
    delay = raw.get("delay_ms", 0)
    low, high = (delay, delay) if isinstance(delay, int) else (delay[0], delay[1])
    error = raw.get("error")
    return Step(
        status=step_status(raw),
        headers={str(k): str(v) for k, v in raw.get("headers", {}).items()},
        body=raw.get("body"),
        has_body="body" in raw,
        error=error,
        passthrough=raw.get("passthrough", False),
        delay_ms=(low, high),
        fault=None if raw.get("fault") is None else Fault(raw["fault"]),
        raw_body=raw.get("raw_body"),
        uses_faker=any(p.startswith("faker.") for p in placeholders([raw.get("body"), error])),
    )


def step_status(raw: StepDoc) -> int:
    """The one rule for a step's status: the step's own `status`, else its error's, else 200
    (an error without either takes the provider's status for its code, 0 here)."""
    error = raw.get("error")
    if "status" in raw:
        return int(raw["status"])
    if error is not None:
        return int(error.get("status", 0))
    return 200


def _compile(index: int, raw: Mapping[str, Any]) -> Interaction:
    steps = tuple(
        _step(s) for s in raw.get("sequence", [raw["respond"]] if "respond" in raw else [])
    )
    return Interaction(
        index=index,
        name=raw.get("name", f"interaction {index + 1}"),
        pattern=parse_pattern(raw.get("match", {})),
        steps=steps,
        repeat_last="respond" in raw,
        times=raw.get("times"),
        when_state=raw.get("when_state"),
        set_state=raw.get("set_state"),
        violates_contract=raw.get("violates_contract", False),
        accepted_only=raw.get("accepted_only", False),
    )


# Load-time checks -----------------------------------------------------------------------------

# (method, path template or None, status) -> the schema its body must satisfy, or None if none.
SchemaFor = Callable[[str | None, str | None, int], str | None]
# A candidate response body -> problems against a schema.
Check = Callable[[str, object], list[Problem]]


def check_interactions(
    raw_list: Sequence[Mapping[str, Any]],
    *,
    schema_for: SchemaFor,
    check: Check,
    appointment_fields: Sequence[str],
    sample: Context,
    body_limit: int,
) -> Iterable[tuple[FieldPath, str]]:
    """Everything wrong with a scenario's interactions that its schema cannot express."""
    for index, raw in enumerate(raw_list):
        base: FieldPath = ("interactions", index)
        has_respond, has_sequence = "respond" in raw, "sequence" in raw
        if has_respond == has_sequence:
            yield base, "give exactly one of respond or sequence"
            continue
        # The scenario schema has checked every interaction before it is read here.
        match: MatchDoc = raw.get("match", {})
        try:
            parse_pattern(match)
        except PatternError as error:
            yield (*base, *error.field.split(".")), error.reason
            continue
        params = template_params(match.get("path", ""))
        steps: list[StepDoc] = raw["sequence"] if has_sequence else [raw["respond"]]
        for number, step in enumerate(steps):
            where: FieldPath = (*base, "sequence", number) if has_sequence else (*base, "respond")
            yield from _check_step(
                step,
                where,
                match,
                params,
                raw.get("violates_contract", False),
                schema_for=schema_for,
                check=check,
                appointment_fields=appointment_fields,
                sample=sample,
                body_limit=body_limit,
            )


def _check_step(
    step: StepDoc,
    where: FieldPath,
    match: MatchDoc,
    params: Sequence[str],
    violates: bool,
    *,
    schema_for: SchemaFor,
    check: Check,
    appointment_fields: Sequence[str],
    sample: Context,
    body_limit: int,
) -> Iterable[tuple[FieldPath, str]]:
    forms = [key for key in ("body", "error", "passthrough", "raw_body") if key in step]
    if len(forms) > 1:
        yield where, f"give one of body, error, passthrough or raw_body, not {' and '.join(forms)}"
        return
    for part in ("body", "raw_body", "error"):
        # Measured before anything renders or walks it: aliases can make a small file huge.
        if part in step and larger_than(step[part], body_limit):
            yield (
                (*where, part),
                (
                    f"is larger than the response limit of {body_limit} bytes "
                    "(serve --response-max-bytes)"
                ),
            )
            return
        found = non_finite_at(step.get(part))
        if found is not None:
            yield (*where, part, *found), "is not a finite number: JSON has no form for it"
            return
    delay = step.get("delay_ms")
    if isinstance(delay, list) and delay[0] > delay[1]:
        yield (*where, "delay_ms"), "the range's low end is above its high end"
    yield from _check_error_status(step, where)
    if "raw_body" in step and not violates:
        yield (
            (*where, "raw_body"),
            "raw bytes are never checked against the provider's contract; "
            "say violates_contract: true to mean them",
        )
    for part in ("body", "error"):
        for expression in placeholders(step.get(part)):
            reason = problem(expression, params, appointment_fields)
            if reason:
                yield (*where, part), reason
                return
    yield from _check_headers(step.get("headers", {}), where, params, appointment_fields)
    if violates or any(form in step for form in ("error", "passthrough", "raw_body")):
        return
    yield from _check_body(step, where, match, schema_for, check, sample, body_limit)


def _check_headers(
    headers: Mapping[str, object],
    where: FieldPath,
    params: Sequence[str],
    appointment_fields: Sequence[str],
) -> Iterable[tuple[FieldPath, str]]:
    """A stub's headers as HTTP carries them: token names, latin-1 values on one line, and
    none of the headers that frame the message (the server sets those)."""
    for name, value in headers.items():
        at: FieldPath = (*where, "headers", name)
        reason = header_problem(str(name), str(value))
        if reason:
            yield at, reason
            continue
        for expression in placeholders(value):
            reason = problem(expression, params, appointment_fields)
            if reason:
                yield at, reason


def _check_body(
    step: StepDoc,
    where: FieldPath,
    match: MatchDoc,
    schema_for: SchemaFor,
    check: Check,
    sample: Context,
    body_limit: int,
) -> Iterable[tuple[FieldPath, str]]:
    """The step's body against the schema of its operation and status; a step without one
    where that schema needs one is refused too."""
    status = step.get("status", 200)
    schema = schema_for(match.get("method"), match.get("path"), status)
    if "body" not in step:
        if schema is not None and check(schema, None):
            yield (
                (*where, "body"),
                f"{schema} needs a body for status {status}; give one, "
                "or say violates_contract: true",
            )
        return
    if schema is None:
        target = f"{match.get('method', 'any-method')} {match.get('path', '(any path)')}"
        yield (
            (*where, "body"),
            f"no {target} operation declares status {status}, so this body cannot be checked; "
            "match a provider path and method, or say violates_contract: true",
        )
        return
    try:
        candidate = render(step["body"], sample, Budget(body_limit))
    except RenderTooLarge as error:
        yield (*where, "body"), f"{error} (the response limit, serve --response-max-bytes)"
        return
    for found in check(schema, candidate)[:3]:
        yield (*where, "body", *found.path), f"breaks {schema}: {found.message}"


def _check_error_status(step: StepDoc, where: FieldPath) -> Iterable[tuple[FieldPath, str]]:
    error = step.get("error")
    if error is None:
        return
    if "status" in step and "status" in error and step["status"] != error["status"]:
        yield (
            (*where, "error", "status"),
            f"{error['status']} differs from the step's status {step['status']}; give one",
        )
    elif step_status(step) not in (0, *range(400, 600)):
        yield (*where, "status"), "an error answers with a 4xx or 5xx status"


def compile_interactions(raw_list: Sequence[Mapping[str, Any]]) -> tuple[Interaction, ...]:
    return tuple(_compile(index, raw) for index, raw in enumerate(raw_list))


# Runtime ------------------------------------------------------------------------------------------


class Scripted(msgspec.Struct):
    """The answer an interaction chose for one request."""

    interaction: Interaction
    step: Step
    params: dict[str, str]
    key: str
    state: str


class ScriptRuntime:
    """Counters and states of one scenario's interactions, from its last reset."""

    def __init__(self, interactions: Sequence[Interaction], seed: int) -> None:
        # A tuple, replaced (never changed) when stubs come and go: the journal keeps the one
        # in force at each request as its evidence, at no cost.
        self.interactions: tuple[Interaction, ...] = tuple(interactions)
        # Added at run time (stubs), newest first; they win over the scenario's own.
        self.added: list[Interaction] = []
        # Per appointment key, least recently used first: each interaction's answer count.
        self.hits: dict[str, dict[int, int]] = {}
        self.states: dict[str, str] = {}
        self._seed = seed
        self._next_index = 1_000_000
        self._faker: Faker | None = None
        if any(step.uses_faker for i in interactions for step in i.steps):
            self._faker = _shared_faker()
            self._faker.seed_instance(seed)

    @functools.cached_property
    def rng(self) -> random.Random:
        """Draws for delay ranges, made on first use (see HuskyVoiceState.rng)."""
        return random.Random(self._seed)

    def add(self, interaction: Interaction) -> Interaction:
        """A run-time interaction, tried before every other; its index is unique in this run."""
        self._next_index += 1  # scenario interactions count from 0; these from a million
        added = replace(interaction, index=self._next_index)
        self.added.insert(0, added)
        self.interactions = (added, *self.interactions)
        if self._faker is None and any(step.uses_faker for step in added.steps):
            self._faker = _shared_faker()
            self._faker.seed_instance(self._seed)
        return added

    def remove(self, name: str | None = None) -> int:
        """Drop the run-time interactions named `name` (all when None); how many went."""
        gone = [i for i in self.added if name is None or i.name == name]
        self.added = [i for i in self.added if i not in gone]
        self.interactions = tuple(i for i in self.interactions if i not in gone)
        return len(gone)

    def counters(self, interaction: Interaction) -> dict[str, int]:
        """How often an interaction answered, per appointment key."""
        return {
            key: counts[interaction.index]
            for key, counts in self.hits.items()
            if interaction.index in counts
        }

    def fake(self, call: str) -> object:
        return getattr(self._faker, call)() if self._faker is not None else None

    def choose(
        self, seen: Observed, accepted: Callable[[], bool] = lambda: True
    ) -> Scripted | None:
        """The first interaction that matches and has an answer left for this appointment;
        `accepted()` says whether the provider would take the request on (asked only for an
        interaction marked `accepted_only`)."""
        key = seen.appointment or "*"
        for interaction in self.interactions:
            params = interaction.pattern.match(seen)
            if params is None:
                continue
            if interaction.accepted_only and not accepted():
                continue
            state = self.states.get(key, INITIAL_STATE)
            if interaction.when_state is not None and interaction.when_state != state:
                continue
            hits = self.hits.get(key, {}).get(interaction.index, 0)
            if interaction.times is not None and hits >= interaction.times:
                continue
            if hits >= len(interaction.steps) and not interaction.repeat_last:
                continue
            step = interaction.steps[min(hits, len(interaction.steps) - 1)]
            self._counts(key)[interaction.index] = hits + 1
            if interaction.set_state is not None:
                self.states[key] = interaction.set_state
            return Scripted(interaction, step, params, key, state)
        return None

    def _counts(self, key: str) -> dict[int, int]:
        """The counters of `key`, now the most recently used; the least recently used
        appointment's counters and state go when too many are kept."""
        counts = self.hits.pop(key, None)
        if counts is None:
            counts = {}
            if len(self.hits) >= MAX_TRACKED_APPOINTMENTS:
                oldest = next(iter(self.hits))
                del self.hits[oldest]
                self.states.pop(oldest, None)
        self.hits[key] = counts
        return counts

    def delay_seconds(self, step: Step) -> float:
        low, high = step.delay_ms
        return (low if low == high else self.rng.randint(low, high)) / 1000


_FAKER: Faker | None = None


def _shared_faker() -> Faker:
    """One Faker per process, made when a scenario first needs it (never on the request path)."""
    global _FAKER
    if _FAKER is None:
        from faker import Faker

        _FAKER = Faker()
    return _FAKER


class _Anything(dict[str, str]):
    """Stands for request data at load time: every field reads as a string."""

    def get(self, key: object, default: object = None) -> str:
        return "sample"

    def __contains__(self, key: object) -> bool:
        return True


def sample_context(appointment: Mapping[str, object]) -> Context:
    """What templates are rendered with when a scenario loads, to check them against schemas."""
    return Context(
        method="GET",
        path="/sample",
        query_string="",
        params=_Anything(),
        query=_Anything(),
        headers=_Anything(),
        body=_Anything(),
        appointment=appointment,
        now="2026-01-01T00:00:00.000Z",
        state=INITIAL_STATE,
        fake=lambda call: 1 if call == "random_int" else "sample",
    )


def scripted_reply(
    scripted: Scripted, context: Context, budget: Budget, schema: str | None
) -> Reply:
    """A literal or templated response, held to `schema` (error replies are built by the
    provider)."""
    step = scripted.step
    headers = {name: str(render(value, context, budget)) for name, value in step.headers.items()}
    for name, value in headers.items():
        reason = header_problem(name, value)
        if reason:  # a value taken from the request (`{{body.x}}`) may hold a line break
            raise StubFault(
                f"the interaction {scripted.interaction.name!r}: header {name}: {reason}"
            )
    content_type = next(
        (headers.pop(name) for name in list(headers) if name.lower() == "content-type"), JSON_TYPE
    )
    if step.raw_body is not None:
        raw = step.raw_body.encode()
        return Reply(step.status, None, headers, content_type, schema, raw)
    body = render(step.body, context, budget) if step.has_body else None
    return Reply(step.status, body, headers, content_type, schema)
