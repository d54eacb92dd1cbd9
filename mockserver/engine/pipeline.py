"""One request's straight way through a world: the provider that serves its path, the state it
acts on, a scripted or a provider's answer, the contract check, the journal and coverage.

Each stage hands a frozen value to the next (Reply, Answer, Outcome: see core/reply.py); no
stage writes into another's result, and nothing calls back into the provider to build an
answer already decided.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

from mockserver.core.contracts import Contracts, Problem
from mockserver.core.documents import InteractionNote
from mockserver.core.errors import MockError, error_document
from mockserver.core.exchange import NOT_JSON, ApiError, MockRequest, StubFault, clip
from mockserver.core.patterns import Observed, observed_body
from mockserver.core.recent import Recent
from mockserver.core.reply import Answer, Outcome, Reply, declared_body, unrecorded
from mockserver.core.surface import ADMIN_PREFIX, SCENARIO_HEADER
from mockserver.journal.coverage import Coverage
from mockserver.journal.recorder import Recorder
from mockserver.journal.ring import Exchange, Stopwatch
from mockserver.providers import AnyProvider
from mockserver.providers.base import ProviderState
from mockserver.scenarios.catalog import ScenarioCatalog, unknown_name_hint
from mockserver.scenarios.interactions import Scripted

# Conforming answers remembered (schema, bytes) so they are not checked again: this many at
# most, holding this many bytes at most, each at most this large (a larger one is checked every
# time). Bounded by bytes too: 4,096 distinct search pages of 200 appointments held ~330 MB.
CONFORMING_MEMORY = 4096
CONFORMING_BYTES = 8 * 1024 * 1024
CONFORMING_ANSWER_BYTES = 64 * 1024


def _payload_size(key: tuple[str, bytes]) -> int:
    return len(key[1])


# Answers known to conform, by schema and encoded bytes: validity depends on nothing else.
ConformingMemory = Recent[tuple[str, bytes], None]


def conforming_memory() -> ConformingMemory:
    """A server's memory of conforming answers, one for all its sessions (they share its
    contracts): each session's own, kept with its evidence once it ended, held 8 MiB apiece
    outside the journal's budget, and checked again what another session had checked."""
    return Recent(CONFORMING_MEMORY, max_weight=CONFORMING_BYTES, weigh=_payload_size)


class World(Protocol):
    """What a session's requests act on: kept by the engine, which swaps states and the
    catalog on a reset or a reload while requests wait on its lock."""

    @property
    def providers(self) -> Mapping[str, AnyProvider]: ...
    @property
    def catalog(self) -> ScenarioCatalog: ...
    @property
    def states(self) -> dict[str, ProviderState]: ...
    @property
    def side_states(self) -> dict[str, ProviderState]: ...


def observe(provider: str, request: MockRequest, appointment: str | None) -> Observed:
    """A live request as a request pattern sees it."""
    body = request.body_json
    return Observed(
        method=request.method,
        path=request.path,
        query=dict(request.query_items()),
        headers=request.headers,
        body=observed_body(body, body is not NOT_JSON),
        provider=provider,
        appointment=appointment,
    )


def _interaction_note(chosen: Scripted) -> InteractionNote:
    step = chosen.step
    return {
        "name": chosen.interaction.name,
        "key": chosen.key,
        "passthrough": step.passthrough,
        "fault": None if step.fault is None else step.fault.value,
        "violates_contract": chosen.interaction.violates_contract,
    }


# What `_checked` hands on: the reply that will be sent (a broken one replaced), its bytes,
# and the request's and the response's contract problems. A plain tuple: no call to build.
Checked = tuple[Reply, bytes, Sequence[Problem], Sequence[Problem]]


class RequestPipeline:
    """Answers, checks, journals and counts each request against a world, atomically."""

    def __init__(
        self,
        world: World,
        contracts: Contracts,
        recorder: Recorder,
        coverage: Coverage,
        lock: threading.RLock,
        conforming: ConformingMemory,
    ) -> None:
        self._world = world
        self._contracts = contracts
        self._recorder = recorder
        self._coverage = coverage
        self._lock = lock
        self._conforming = conforming

    def provider_for(self, path: str) -> AnyProvider | None:
        for provider in self._world.providers.values():
            if path == provider.prefix or path.startswith(provider.prefix + "/"):
                return provider
        return None

    def handle(self, request: MockRequest) -> Outcome:
        """Answer one request: the outcome carries its encoded bytes and its journal id."""
        started = Stopwatch()
        provider = self.provider_for(request.path)
        if provider is None:
            reply = self._unrouted(request)
            checked: Checked = (reply, reply.encoded(), (), ())
            return self._recorded(None, None, request, Answer(reply), checked, started)
        with self._lock:
            state, refused = self._state_for(provider, request)
            chosen = None
            if refused is not None:
                answer = Answer(refused, appointment=provider.appointment_of(request.path))
            else:
                try:
                    answer, chosen = self._answer(provider, state, request)
                except Exception as error:  # a bug of the mock's: say so, in the envelope
                    answer = self._failed(provider, state, request, error)
            checked = self._checked(provider, state, request, answer, chosen)
            outcome = self._recorded(provider, state, request, answer, checked, started, chosen)
            if outcome.operation is not None:
                said = provider.outcome(outcome.operation, outcome.reply)
                self._coverage.count(provider.name, outcome.operation, said, state.scenario.name)
        return outcome

    def refusal(self, request: MockRequest, error: ApiError) -> Outcome:
        """The answer to a request refused before any world handles it (headers too large, a
        body too slow, a session that cannot be had): in the envelope of the provider serving
        its path, else the admin API's. Neither journaled nor counted."""
        provider = self.provider_for(request.path)
        if provider is None:
            return unrecorded(Reply(error.http_status, error_document(error)))
        with self._lock:
            state = self._world.states[provider.name]
            return unrecorded(provider.error_reply(state, error, request))

    def client_went_away(self, outcome: Outcome) -> None:
        """The client gave up before `outcome` was sent (it timed out during a scripted delay):
        the journal marks the exchange, which the mock carried out all the same."""
        if outcome.exchange_id is not None:
            self._recorder.client_disconnected(outcome.exchange_id)

    # The stages -------------------------------------------------------------------------------

    def _state_for(
        self, provider: AnyProvider, request: MockRequest
    ) -> tuple[ProviderState, Reply | None]:
        """The active state, or another scenario's for a request with X-Mock-Scenario."""
        world = self._world
        active = world.states[provider.name]
        name = request.header(SCENARIO_HEADER)
        if not name:
            return active, None
        problem = None
        if name not in world.catalog:
            known = [s.name for s in world.catalog if s.provider == provider.name]
            problem = (
                f"{SCENARIO_HEADER}: unknown scenario {clip(name, 80)!r}"
                f"{unknown_name_hint(name[:200], known)}"
            )
        elif world.catalog.get(name).provider != provider.name:
            problem = f"{SCENARIO_HEADER}: {name!r} is not a {provider.name} scenario"
        if problem is not None:
            error = ApiError("UNKNOWN_SCENARIO", problem, status=400)
            return active, provider.error_reply(active, error, request)
        if name == active.scenario.name:
            return active, None
        state = world.side_states.get(name)
        if state is None:
            state = world.side_states[name] = provider.new_state(world.catalog.get(name))
        return state, None

    def _answer(
        self, provider: AnyProvider, state: ProviderState, request: MockRequest
    ) -> tuple[Answer, Scripted | None]:
        """A scripted interaction's answer if one matches, else the provider's."""
        chosen = None
        if state.script.interactions:
            appointment = provider.appointment_of(request.path)
            accepted = functools.cache(lambda: provider.accepts(state, request))
            chosen = state.script.choose(observe(provider.name, request, appointment), accepted)
            if chosen is not None and not chosen.step.passthrough:
                return Answer(
                    provider.scripted(state, request, chosen, appointment),
                    appointment=appointment,
                    # A scripted answer does not make a broken request right.
                    request_problems=provider.request_problems(state, request),
                ), chosen
        return provider.handle(state, request), chosen

    def _failed(
        self, provider: AnyProvider, state: ProviderState, request: MockRequest, error: Exception
    ) -> Answer:
        """A 500 in the provider's envelope for an unexpected failure, recorded as a response
        violation so a test run cannot miss it (it is the mock's fault, never the client's)."""
        message = (
            str(error)
            if isinstance(error, StubFault)
            else f"the mock failed: {type(error).__name__}: {clip(str(error), 200)}"
        )
        failed = ApiError("INTERNAL_ERROR", message, status=500)
        return Answer(
            provider.error_reply(state, failed, request),
            appointment=provider.appointment_of(request.path),
            failure=message,
        )

    def _checked(
        self,
        provider: AnyProvider,
        state: ProviderState,
        request: MockRequest,
        answer: Answer,
        chosen: Scripted | None,
    ) -> Checked:
        """The answer encoded and held to its schema, with the mock's own contract problems;
        one that breaks its schema is replaced by a 500 saying so."""
        reply = answer.reply
        payload = reply.encoded()
        if chosen is not None and chosen.interaction.violates_contract:
            return reply, payload, (), ()  # served off-contract on purpose
        schema = reply.schema
        if schema is None and answer.operation is not None:
            schema = answer.operation.responses.get(reply.status)
        problems = self._check_response(schema, reply, payload)
        if answer.failure is not None:
            problems = [*problems, Problem("", answer.failure, "")]
        elif problems:
            message = (
                f"the mock broke its own {schema or 'response'} contract "
                f"(status {reply.status}): {'; '.join(map(str, problems[:3]))}"
            )
            broken = ApiError("INTERNAL_ERROR", message, status=500)
            reply = provider.error_reply(state, broken, request)
            payload = reply.encoded()
        return reply, payload, answer.request_problems, problems

    def _check_response(self, schema: str | None, reply: Reply, payload: bytes) -> list[Problem]:
        if reply.raw is not None:
            return []
        if schema is None:
            return [Problem("", f"status {reply.status} is not declared for this operation", "")]
        # Validity depends only on the schema and the encoded bytes, so an answer sent before
        # (a re-cancel, a repeated read) is not walked again.
        key = (schema, payload)
        if key in self._conforming:
            return []
        problems = self._contracts.check(schema, reply.body, root="response")
        if not problems and len(payload) <= CONFORMING_ANSWER_BYTES:
            self._conforming.remember(key, None)
        return problems

    def _recorded(
        self,
        provider: AnyProvider | None,
        state: ProviderState | None,
        request: MockRequest,
        answer: Answer,
        checked: Checked,
        started: Stopwatch,
        chosen: Scripted | None = None,
    ) -> Outcome:
        """Journal the exchange and give its outcome; the journaled duration counts the mock's
        work and any scripted delay."""
        reply, payload, request_problems, response_problems = checked
        operation = answer.operation
        if operation is None and provider is not None:
            operation = provider.router.operation_for(request.method, request.path)
        delay, fault = 0.0, None
        if chosen is not None and state is not None:
            delay, fault = state.script.delay_seconds(chosen.step), chosen.step.fault
        recorded = self._recorder.record(
            Exchange.of(  # by position, in its parameters' order (see Exchange.of)
                None if state is None else state.clock.now_text(),
                None if provider is None else provider.name,
                None if state is None else state.scenario.name,
                request.method,
                request.path,
                request.query_string,
                request.headers,
                request.body,
                reply.status,
                payload,
                None if chosen is None else _interaction_note(chosen),
                answer.appointment,
                started.wall,
                started.elapsed_ms() + delay * 1000,
                reply.content_type,
                len(declared_body(payload, fault)),
                reply.headers,
                None if operation is None else operation.operation_id,
                () if state is None else state.script.interactions,
            ),
            request_problems,
            response_problems,
        )
        return Outcome(
            reply,
            payload,
            operation,
            answer.appointment,
            request_problems,
            response_problems,
            delay,
            fault,
            recorded.id,
        )

    def _unrouted(self, request: MockRequest) -> Reply:
        providers = self._world.providers.values()
        prefixes = ", ".join(f"{p.prefix}/… ({p.name})" for p in providers)
        message = (
            f"No route for {request.method} {clip(request.path, 120)}. "
            f"Served: {prefixes}, {ADMIN_PREFIX}/… (admin API)"
        )
        return Reply(404, error_document(MockError(message, code="NOT_FOUND", status=404)))
