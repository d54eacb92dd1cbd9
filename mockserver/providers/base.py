"""What every provider shares: the request pipeline from route to reply, and error mapping."""

from __future__ import annotations

import functools
import random
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import ClassVar, Generic, TypeVar

import msgspec
from msgspec.structs import replace

from mockserver.core.clock import Clock, checked_instant, parse_instant
from mockserver.core.commands import CommandError
from mockserver.core.contracts import Contracts, Problem
from mockserver.core.documents import OutboxMessage
from mockserver.core.exchange import (
    JSON_TYPE,
    NOT_JSON,
    ApiError,
    MockRequest,
    StubFault,
    clip,
    deeper_than,
    loads,
    may_nest_deeper,
    sent_json_problem,
)
from mockserver.core.reply import Answer, Reply
from mockserver.core.routing import Call, DocSource, Operation, Router
from mockserver.core.surface import MAX_BODY_DEPTH
from mockserver.core.templating import RESPONSE_LIMIT, Budget, Context, RenderTooLarge, render
from mockserver.journal.coverage import operation_label, outcomes
from mockserver.providers.spec import ProviderSpec
from mockserver.scenarios.catalog import FieldPath, Scenario
from mockserver.scenarios.interactions import (
    Interaction,
    Scripted,
    ScriptRuntime,
    check_interactions,
    compile_interactions,
    sample_context,
    scripted_reply,
)
from mockserver.scenarios.model import ErrorOverride, ScenarioModel, items

NO_OVERRIDE = ErrorOverride()
# The fields of a ProviderSpec every provider class carries as its own attributes.
DECLARED = (
    "name",
    "title",
    "prefix",
    "error_statuses",
    "error_schema",
    "validation_code",
    "error_content_type",
    "appointment_schema",
    "sample_appointment",
    "security_schemes",
    "documented_errors",
    "documented_fields",
)


class Inspection(msgspec.Struct, frozen=True):
    """A request read against its operation, before anyone answers it."""

    body: object = None  # the parsed JSON, as the operation's schema checks it
    query: Mapping[str, str] = msgspec.field(default_factory=dict)
    error: ApiError | None = None  # the answer its form calls for, once the caller is let in
    problems: list[Problem] = msgspec.field(default_factory=list)  # how it breaks the contract


def _off_contract(error: ApiError) -> list[Problem]:
    return (
        []
        if error.off_contract is None
        else [Problem("request", error.off_contract, "off-contract")]
    )


SeedT = TypeVar("SeedT")
StateT = TypeVar("StateT", bound="ProviderState")
ScenarioProblems = list[tuple[FieldPath, str]]


class ProviderState(ABC):
    """A provider's in-memory world for one scenario; rebuilt from the scenario on reset."""

    scenario: Scenario
    clock: Clock
    script: ScriptRuntime

    @property
    def model(self) -> ScenarioModel:
        return self.scenario.model

    @functools.cached_property
    def rng(self) -> random.Random:
        """The scenario's seeded draws, made on first use: most tests never draw (seeding one
        costs more than the rest of a reset), and the draws are the same either way."""
        return random.Random(self.model.seed)

    @abstractmethod
    def seeded(self) -> dict[str, object]:
        """The seeded data a tester needs to drive the scenario by hand (keys, ids, config)."""

    def outbox(self) -> list[OutboxMessage]:
        return []


class Provider(ABC, Generic[SeedT, StateT]):
    """One provider: its declaration (`spec`, a ProviderSpec) and a short core of hooks.

    Every provider writes `parse_model`, `prepare`, `fresh_state` (its scenarios and state),
    `authorize` (its credentials), `error_body` (its error envelope) and `appointment_record`
    (what placeholders name); it may override `check_model`, `credential_problems`,
    `appointment_key`, `error_schema_for_status`, `validation_error`, `error_code_of` and
    `success_details`. The pipeline from route to reply is the same for all.

    `SeedT` is what a scenario is prepared into once; `StateT` the world a reset copies from it.
    """

    spec: ClassVar[ProviderSpec]
    # The declaration's fields, as class attributes (set from `spec` for each subclass).
    name: ClassVar[str]
    title: ClassVar[str]
    prefix: ClassVar[str]
    error_statuses: ClassVar[Mapping[str, int]]
    error_schema: ClassVar[str]
    validation_code: ClassVar[str]
    error_content_type: ClassVar[str]
    appointment_schema: ClassVar[str]
    sample_appointment: ClassVar[Mapping[str, object]]
    security_schemes: ClassVar[Mapping[str, object]]
    documented_errors: ClassVar[Mapping[tuple[str, int], DocSource]]
    documented_fields: ClassVar[Mapping[str, DocSource]]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if isinstance(spec, ProviderSpec):
            for name in DECLARED:
                setattr(cls, name, getattr(spec, name))

    def __init__(self, contracts: Contracts) -> None:
        self.contracts = contracts
        self.router = Router(self.operations())
        # The largest body a scripted answer may have (the engine's response_max_bytes).
        self.response_limit = RESPONSE_LIMIT
        # Prepared seeds by scenario name; a reloaded scenario (a new object) replaces its entry.
        self._seeds: dict[str, tuple[Scenario, SeedT]] = {}

    def operations(self) -> Iterable[Operation]:
        return self.spec.operations()

    # Scenarios ------------------------------------------------------------------------------

    @abstractmethod
    def parse_model(self, data: Mapping[str, object]) -> ScenarioModel:
        """The typed scenario of a schema-checked document."""

    def check_model(self, model: ScenarioModel) -> Iterable[tuple[FieldPath, str]]:
        """Problems of a typed scenario that its schema cannot express."""
        return ()

    def read(self, data: Mapping[str, object]) -> tuple[ScenarioModel, ScenarioProblems]:
        """Parse a schema-checked document once; its model and every problem beyond the schema
        (the provider's own checks, then each scripted interaction's, contracts included)."""
        model = self.parse_model(data)
        raw_interactions = items(data, "interactions")
        problems = list(self.check_model(model))
        problems += self._interaction_problems(raw_interactions)
        if problems:
            return model, problems
        return replace(model, interactions=compile_interactions(raw_interactions)), []

    def _interaction_problems(self, raw: Sequence[Mapping[str, object]]) -> ScenarioProblems:
        return list(
            check_interactions(
                raw,
                schema_for=self.schema_for,
                check=self.contracts.check,
                appointment_fields=list(
                    self.contracts.documents[self.appointment_schema]["properties"]
                ),
                sample=sample_context(self.sample_appointment),
                body_limit=self.response_limit,
            )
        )

    def interaction(self, raw: Mapping[str, object]) -> Interaction:
        """One interaction given at run time (a stub), checked exactly like a scenario file's:
        CommandError listing every problem, by field."""
        document = {"provider": self.name, "description": "stub", "interactions": [raw]}
        found = [(p.location, p.message) for p in self.contracts.check("scenario.schema", document)]
        if not found:
            found = [
                # Named from within the interaction, as the schema's problems are below.
                (".".join(map(str, path[2:])), message)
                for path, message in self._interaction_problems([raw])
            ]
        if found:
            worded = "; ".join(
                ": ".join(
                    filter(None, (where.removeprefix("interactions[0]").lstrip("."), message))
                )
                for where, message in found[:5]
            )
            raise CommandError(f"the interaction is not usable: {worded}")
        return compile_interactions([raw])[0]

    @abstractmethod
    def prepare(self, scenario: Scenario) -> SeedT:
        """Turn a scenario into the data every reset starts from (done once per scenario)."""

    @abstractmethod
    def fresh_state(self, seed: SeedT) -> StateT: ...

    def new_state(self, scenario: Scenario) -> StateT:
        prepared = self._seeds.get(scenario.name)
        if prepared is None or prepared[0] is not scenario:
            prepared = self._seeds[scenario.name] = (scenario, self.prepare(scenario))
        state = self.fresh_state(prepared[1])
        state.script = ScriptRuntime(scenario.model.interactions, scenario.model.seed)
        return state

    @abstractmethod
    def authorize(
        self,
        state: StateT,
        request: MockRequest,
        operation: Operation,
        params: Mapping[str, str],
        *,
        count: bool = True,
    ) -> object:
        """Return the caller's principal or raise ApiError (401/403/429); `count=False` asks
        without counting the request towards a rate limit."""

    @abstractmethod
    def error_body(
        self, code: str, message: str, status: int, error: ApiError, request: MockRequest
    ) -> object:
        """The provider's error envelope, as JSON-able data."""

    # Scripted interactions ----------------------------------------------------------------

    def appointment_key(self, params: Mapping[str, str]) -> str | None:
        """The appointment a request's path parameters name, as one string; None for none.

        Per-appointment script state, the journal and request patterns all use this key, so
        two spellings of one appointment are one appointment.
        """
        return params.get("appointment_id")

    def appointment_of(self, path: str) -> str | None:
        return self.appointment_key(self.router.params_for(path))

    @abstractmethod
    def appointment_record(self, state: StateT, key: str | None) -> Mapping[str, object] | None:
        """The appointment under `key`, for `{{appointment.…}}` placeholders."""

    def schema_for(self, method: str | None, path: str | None, status: int) -> str | None:
        """The schema a response of `status` to `method path` must satisfy, if one is known."""
        for op in self.router.find(method, path):
            if status in op.responses:
                return op.responses[status]
        return self.error_schema_for_status(status) if status >= 400 else None

    def error_schema_for_status(self, status: int) -> str:
        """The one hook for error shapes: the schema an error answer of `status` keeps to."""
        return self.error_schema

    def scripted(
        self, state: StateT, request: MockRequest, chosen: Scripted, appointment: str | None
    ) -> Reply:
        context = Context(
            method=request.method,
            path=request.path,
            query_string=request.query_string,
            params=chosen.params,
            query=dict(request.query_items()),
            headers=request.headers,
            body=request.json_or_none(),
            appointment=self.appointment_record(state, appointment),
            now=state.clock.now_text(),
            state=chosen.state,
            fake=state.script.fake,
        )
        try:
            return self._scripted(state, request, chosen, context)
        except RenderTooLarge as error:
            raise StubFault(
                f"the interaction {chosen.interaction.name!r} {error} "
                "(the response limit, serve --response-max-bytes)"
            ) from None

    def _scripted(
        self, state: StateT, request: MockRequest, chosen: Scripted, context: Context
    ) -> Reply:
        step = chosen.step
        budget = Budget(self.response_limit)
        if step.error is not None:
            error = ApiError(
                str(step.error["code"]),
                str(render(step.error.get("message", step.error["code"]), context, budget)),
                status=step.status or None,
                headers=step.headers,
                extra={"emr_error": render(step.error.get("emr_error"), context, budget)},
            )
            return self.error_reply(state, error, request)
        schema = self.schema_for(request.method, request.path, step.status)
        return scripted_reply(chosen, context, budget, schema)

    # The pipeline -----------------------------------------------------------------------

    def handle(self, state: StateT, request: MockRequest) -> Answer:
        try:
            operation, params = self.router.match(request.method, request.path)
        except ApiError as error:
            return Answer(
                self.error_reply(state, error, request),
                appointment=self.appointment_of(request.path),  # a wrong method may name one
                request_problems=_off_contract(error),
            )
        # The request is held to the contract before anything answers it, so a broken body
        # sent with a wrong key is a violation too; the answer still puts the caller first.
        seen = self.inspect(state, request, operation, params)
        problems = seen.problems
        try:
            principal = self.authorize(state, request, operation, params)
            if seen.error is not None:
                raise seen.error
            reply = operation.handler(
                state, Call(request, params, seen.body, seen.query, principal)
            )
        except ApiError as error:
            reply = self.error_reply(state, error, request)
            if error is not seen.error:  # a rule the state shows broken (its form's are in)
                problems = [*problems, *_off_contract(error)]
        return Answer(reply, operation, self.appointment_key(params), problems)

    def inspect(
        self,
        state: StateT,
        request: MockRequest,
        operation: Operation,
        params: Mapping[str, str],
    ) -> Inspection:
        """The request read as `operation` takes it: its body and query, the error its form
        calls for (if any), and every way it breaks the contract (credentials included)."""
        missing = self.credential_problems(request)
        try:
            body = self._parse_body(state, request, operation)
            query = self._parse_query(request, operation)
        except ApiError as error:
            return Inspection(error=error, problems=[*_off_contract(error), *missing])
        found = self._check_request(operation, body, query, params)
        refusal = self.validation_error(found) if found else None
        return Inspection(body, query, refusal, [*found, *missing])

    def request_problems(self, state: StateT, request: MockRequest) -> list[Problem]:
        """How a request breaks the contract, whatever answers it (a scripted interaction, a
        fault): the same checks the provider's own answer makes."""
        try:
            operation, params = self.router.match(request.method, request.path)
        except ApiError as error:
            return _off_contract(error)
        return self.inspect(state, request, operation, params).problems

    def credential_problems(self, request: MockRequest) -> list[Problem]:
        """Credentials missing or malformed against the operations' declared security (a wrong
        key is no contract break: it is a condition the client must handle)."""
        return []

    def accepts(self, state: StateT, request: MockRequest) -> bool:
        """Whether the pipeline would take the request on (routed, authorised, a valid body and
        query), asked without counting or changing anything."""
        try:
            operation, params = self.router.match(request.method, request.path)
            self.authorize(state, request, operation, params, count=False)
            body = self._parse_body(state, request, operation)
            query = self._parse_query(request, operation)
        except ApiError:
            return False
        return not self._check_request(operation, body, query, params)

    def error_reply(self, state: StateT, error: ApiError, request: MockRequest) -> Reply:
        override = state.model.errors.get(error.code, NO_OVERRIDE)
        status = override.status or error.status or self.error_statuses.get(error.code, 400)
        code = override.code or error.code
        message = override.message or error.message
        body = self.error_body(code, message, status, error, request)
        return Reply(
            status,
            body,
            headers=dict(error.headers),
            content_type=self.error_content_type,
            schema=self.error_schema_for_status(status),
        )

    def validation_error(self, problems: list[Problem]) -> ApiError:
        return ApiError(self.validation_code, "; ".join(map(str, problems[:5])))

    def _parse_body(self, state: StateT, request: MockRequest, operation: Operation) -> object:
        if operation.request_schema is None:
            return None
        limit = state.model.max_body_bytes
        if request.oversized or len(request.body) > limit:
            raise ApiError(
                "PAYLOAD_TOO_LARGE",
                f"the request body is over the limit of {limit} bytes",
                status=413,
            )
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != JSON_TYPE and not content_type.endswith("+json"):
            sent = f"as {content_type!r}" if content_type else "with no Content-Type"
            raise ApiError(
                "UNSUPPORTED_MEDIA_TYPE",
                f"Content-Type must be application/json, got {content_type or 'none'!r}",
                status=415,
                off_contract=f"the body was sent {sent}; {operation.method} {operation.path} "
                "takes application/json",
            )
        if not request.body.strip():
            raise ApiError(
                self.validation_code,
                "body: a JSON object is required",
                off_contract=f"{operation.method} {operation.path} takes a JSON body; none came",
            )
        parsed = request.body_json
        if parsed is not NOT_JSON:
            if may_nest_deeper(request.body, MAX_BODY_DEPTH) and deeper_than(
                parsed, MAX_BODY_DEPTH
            ):
                raise ApiError(
                    self.validation_code, f"body: nested more than {MAX_BODY_DEPTH} levels deep"
                )
            unsent = sent_json_problem(request.body, parsed)
            if unsent is not None:
                raise ApiError(self.validation_code, f"body: {unsent}", off_contract=unsent)
            return parsed
        try:
            return loads(request.body)  # again, for the message
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(
                self.validation_code,
                f"body: malformed JSON: {error}",
                off_contract=f"the body is not JSON: {error}",
            ) from None

    def _parse_query(self, request: MockRequest, operation: Operation) -> dict[str, str]:
        """The query as one value a name. A name given twice, or any name where the operation
        declares none, is off the contract as an unknown name is where it declares some (the
        query schema's `additionalProperties`): the export lists every parameter it takes."""
        query: dict[str, str] = {}
        where = f"{operation.method} {operation.path}"
        for key, value in request.query_items():
            if key in query:
                raise ApiError(
                    self.validation_code,
                    f"query.{key}: given more than once",
                    off_contract=f"query parameter {clip(key, 60)!r} given more than once; "
                    f"{where} takes each once",
                )
            query[key] = value
        if operation.query_schema is None and query:
            names = clip(", ".join(map(repr, query)), 200)
            raise ApiError(
                self.validation_code,
                f"query: unknown parameter(s) {names}",
                off_contract=f"{where} takes no query parameters; got {names}",
            )
        return query

    def _check_request(
        self,
        operation: Operation,
        body: object,
        query: Mapping[str, str],
        params: Mapping[str, str],
    ) -> list[Problem]:
        problems: list[Problem] = []
        if operation.path_schema is not None:
            problems += self.contracts.check(operation.path_schema, dict(params), root="path")
        if operation.query_schema is not None:
            problems += self.contracts.check(operation.query_schema, dict(query), root="query")
        if operation.request_schema is not None:
            problems += self.contracts.check(operation.request_schema, body, root="body")
        return problems

    # OpenAPI ------------------------------------------------------------------------------

    # Contract coverage ---------------------------------------------------------------------

    def error_code_of(self, body: object) -> str | None:
        """The error code an error answer carries (for coverage)."""
        return None

    def success_details(self, op: Operation) -> tuple[str, ...]:
        """The ways one success status of `op` can differ that coverage should tell apart."""
        return ()

    def outcome(self, op: Operation, reply: Reply) -> str:
        if reply.status >= 400:
            code = self.error_code_of(reply.body)
            return f"{reply.status} {code}" if code else str(reply.status)
        details = self.success_details(op)
        said = reply.body.get("status") if details and isinstance(reply.body, dict) else None
        return f"{reply.status} {said}" if said in details else str(reply.status)

    def coverage_universe(self) -> dict[str, list[str]]:
        return {
            operation_label(op): outcomes(op, self.error_statuses, self.success_details(op))
            for op in self.router.operations
        }

    def openapi(self, server_url: str = "http://127.0.0.1:8080") -> dict[str, object]:
        from mockserver.core.openapi import document

        return document(self, server_url)


def instant_field(text: str, field: str, code: str) -> datetime:
    """A request's instant, or ApiError(code) naming the field when it matches the pattern
    but is no instant (`2026-02-30T10:00`, `…T24:00Z`, `…+99:99`, off the calendar)."""
    try:
        return checked_instant(parse_instant(text))
    except (ValueError, OverflowError) as error:
        raise ApiError(
            code, f"{field}: {clip(text, 40)!r} is not a valid instant: {error}"
        ) from None


def date_field(text: str, field: str, code: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(code, f"{field}: {clip(text, 40)!r} is not a date (YYYY-MM-DD)") from None
