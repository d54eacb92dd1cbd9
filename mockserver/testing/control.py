"""Driving a running mock from a test: scenarios, journal, outbox, clock and violations.

`MockControl` works the same over an engine in this process and over a standalone server's
admin API, so a test suite can switch between them with one option.
"""

from __future__ import annotations

import contextlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar, cast

import httpx
import msgspec

from mockserver.core.clock import format_instant, parse_instant
from mockserver.core.documents import (
    ActiveScenario,
    ClockDocument,
    CoverageReport,
    InteractionDocument,
    JournalEntry,
    NearMiss,
    OutboxMessage,
    Violation,
)
from mockserver.core.errors import MockError
from mockserver.core.patterns import PatternError, RequestPattern, parse_pattern, pattern_to_query
from mockserver.core.surface import ADMIN_PREFIX
from mockserver.engine.facade import MockEngine
from mockserver.journal.recorded import RecordedExchange
from mockserver.journal.ring import JournalQuery
from mockserver.web.admin_commands import Call, Command, Raw, execute, find

if TYPE_CHECKING:
    from typing_extensions import Unpack

T = TypeVar("T")


class Criteria(TypedDict, total=False):
    """What a journal assertion may ask of an exchange besides its method and path, so a
    misspelt keyword is a type error."""

    path_regex: str
    provider: str
    status: int | str  # a code, or a class such as "4xx"
    appointment: str
    query: Mapping[str, object]
    headers: Mapping[str, object]
    body: object


class StubFields(TypedDict, total=False):
    """An interaction's fields in the scenario-file language (the scenario schema's
    `interaction`, and `provider` when the path does not say), so a misspelt one is a type
    error."""

    name: str
    provider: str
    match: Mapping[str, object]
    respond: Mapping[str, object]
    sequence: Sequence[Mapping[str, object]]
    times: int
    when_state: str
    set_state: str
    violates_contract: bool
    accepted_only: bool


class ControlError(MockError, RuntimeError):
    """The mock refused an admin call (unknown scenario, bad clock value, no answer): the
    admin API's code, message and status, in process and over HTTP alike."""


class Backend(ABC):
    """What a control needs from a mock: the admin API's commands (`admin_commands.COMMANDS`),
    carried in process or over HTTP. The typed calls below are written once for both."""

    def call(
        self,
        name: str,
        body: Mapping[str, object] | None = None,
        query: Mapping[str, str] | None = None,
        path: Mapping[str, str] | None = None,
    ) -> dict[str, object]:
        """Carry out the command of that name; its JSON answer ({} for none). A refusal is a
        ControlError with the admin API's message."""
        call = Call(body=body, query=tuple((query or {}).items()), path=path or {})
        return self._carry(find(name), call)

    @abstractmethod
    def _carry(self, command: Command, call: Call) -> dict[str, object]: ...

    def _list(self, name: str, key: str, query: Mapping[str, str] | None = None) -> list[Any]:
        """The answer's list under `key`. Its items are the documents the command is documented
        to answer (`core.documents`), as the mock wrote them: taken on trust, not re-checked."""
        found = self.call(name, query=query).get(key)
        if not isinstance(found, list):
            raise ControlError(f"the mock's {name} answer has no {key!r} list")
        return found

    def _map(self, name: str, key: str, body: Mapping[str, object]) -> dict[object, object]:
        found = self.call(name, body).get(key)
        if not isinstance(found, dict):
            raise ControlError(f"the mock's {name} answer has no {key!r} map")
        return found

    def health(self) -> dict[str, object]:
        return self.call("health")

    def activate(self, names: Sequence[str]) -> dict[str, str]:
        active = self._map("reset", "active", {"scenarios": list(names)})
        return {str(provider): str(name) for provider, name in active.items()}

    def load(self, name: str | Mapping[str, object]) -> str:
        body = {"name": name} if isinstance(name, str) else {"scenario": dict(name)}
        return str(self._map("load_scenario", "loaded", body)["provider"])

    def add_interaction(self, raw: Mapping[str, object]) -> InteractionDocument:
        return cast(InteractionDocument, self.call("add_interaction", dict(raw))["added"])

    def coverage(self) -> CoverageReport:
        return cast(CoverageReport, self.call("coverage"))

    def seeded(self) -> dict[str, ActiveScenario]:
        return cast("dict[str, ActiveScenario]", self.call("scenario"))

    def requests(self, pattern: Mapping[str, object]) -> list[JournalEntry]:
        return self._list("requests", "requests", _query(pattern))

    def closest(self, pattern: Mapping[str, object], limit: int) -> list[Near]:
        query = {**_query(pattern), "limit": str(limit)}
        found = self._list("closest_requests", "closest", query)
        return [Near(item["request"], item["differences"]) for item in found]

    def clear_requests(self) -> None:
        self.call("clear_requests")

    def messages(self) -> list[OutboxMessage]:
        return self._list("messages", "messages")

    def clocks(self) -> dict[str, ClockDocument]:
        return cast("dict[str, ClockDocument]", self.call("clock"))

    def set_clock(self, body: Mapping[str, object]) -> dict[str, ClockDocument]:
        return cast("dict[str, ClockDocument]", self.call("set_clock", dict(body)))

    def violations(self) -> list[Violation]:
        return self._list("violations", "violations")

    def near_misses(self, limit: int) -> list[NearMiss]:
        return self._list("near_misses", "near_misses", {"limit": str(limit)})


class EngineBackend(Backend):
    """An engine in this process: each command run on it directly, as its route would."""

    def __init__(self, engine: MockEngine) -> None:
        self.engine = engine

    def requests(self, pattern: Mapping[str, object]) -> list[JournalEntry]:
        # The one command not carried through the table in process: the listing would turn
        # the pattern into its query-string form and read it back, a third of what an
        # assertion costs; the selection is the same (a parity test holds both to it).
        parsed = _parsed(pattern) if pattern else None
        return self.engine.journal_page(JournalQuery(pattern=parsed)).entries

    def _carry(self, command: Command, call: Call) -> dict[str, object]:
        try:
            result = execute(self.engine, command, call)
        except MockError as error:
            raise ControlError(error.message, code=error.code, status=error.http_status) from None
        if isinstance(result, Raw):
            raise ControlError(f"the mock answered {command.name} with {result.media_type}")
        return {} if result is None else dict(result)


class HttpBackend(Backend):
    """The admin API of a server started elsewhere (`mockserver serve`)."""

    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/") + ADMIN_PREFIX, timeout=timeout)

    def _carry(self, command: Command, call: Call) -> dict[str, object]:
        url = command.url(call.path)
        body = call.body
        try:
            reply = self.http.request(command.method, url, json=body, params=list(call.query))
        except httpx.HTTPError as error:
            raise ControlError(
                f"the mock server at {self.http.base_url} did not answer: {error}",
                code="NO_ANSWER",
            ) from None
        if reply.status_code >= 400:
            raise _refused(reply)
        try:
            data = reply.json() if reply.content else {}
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ControlError(
                f"the mock answered {command.method} {url} with {reply.text[:200]!r}"
            )
        return data

    def end_session(self) -> None:
        """End the session this backend addresses; its server may already have let it expire."""
        with contextlib.suppress(ControlError):
            self.call("end_session")

    def close(self) -> None:
        self.http.close()


def _refused(reply: httpx.Response) -> ControlError:
    """The admin API's error body as a ControlError (its code, message and status)."""
    try:
        error = reply.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "HTTP_ERROR", reply.text[:200]
    return ControlError(message, code=code, status=reply.status_code)


def _describe(entry: JournalEntry) -> str:
    body = "" if entry.get("body") is None else " " + json.dumps(entry["body"])[:120]
    query = f"?{entry['query']}" if entry.get("query") else ""
    return f"{entry['method']} {entry['path']}{query}{body} -> {entry['status']}"


def _query(pattern: Mapping[str, object]) -> dict[str, str]:
    """A pattern's query-string form, refused here when it is not one (a name the listing
    would read as its own parameter, such as `limit`)."""
    _parsed(pattern)
    return pattern_to_query(pattern)


def _parsed(pattern: Mapping[str, object]) -> RequestPattern:
    try:
        return parse_pattern(pattern, where="")
    except PatternError as error:
        raise ControlError(f"bad request pattern: {error}") from None


class Near(msgspec.Struct, frozen=True):
    """A journaled exchange and each way it differs from a pattern."""

    request: JournalEntry
    differences: list[str]


class _Records(Generic[T]):
    """A list the mock keeps, read afresh on every use."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def all(self) -> list[T]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[T]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self.all())


class RequestLog(_Records[RecordedExchange]):
    """The journal of requests the mock received, oldest first, searched on the mock's side.

    `matched` holds the ids of the exchanges an assertion (`filter`, `last`, `assert_called`)
    returned since the test started: strict mode's record of what the test looked at."""

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self.matched: set[int] = set()

    def all(self) -> list[RecordedExchange]:
        return [RecordedExchange(entry) for entry in self._backend.requests({})]

    def filter(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        path_regex: str | None = None,
        provider: str | None = None,
        status: int | str | None = None,
        appointment: str | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, object] | None = None,
        body: object = None,
    ) -> list[RecordedExchange]:
        """Exchanges matching every criterion given: `path` exact or a template
        (`/v1/appointments/{id}`); `status` a code or a class (`"4xx"`); `query`, `headers`
        and `body` map fields (dotted or nested) to a value or to `{"regex": …}`,
        `{"present": bool}`, `{"equals": …}` (a list matches by subset)."""
        criteria = {
            "method": method,
            "path": path,
            "path_regex": path_regex,
            "provider": provider,
            "status": status,
            "appointment": appointment,
            "query": query,
            "headers": headers,
            "body": body,
        }
        found = [RecordedExchange(entry) for entry in self._backend.requests(_pattern(criteria))]
        self.matched.update(entry.id for entry in found)
        return found

    def last(
        self, method: str | None = None, path: str | None = None, **criteria: Unpack[Criteria]
    ) -> RecordedExchange:
        found = self.filter(method, path, **criteria)
        if not found:
            raise AssertionError(self._explain(method, path, criteria, "at least 1", found))
        return found[-1]

    def assert_called(
        self, method: str, path: str, *, times: int = 1, **criteria: Unpack[Criteria]
    ) -> list[RecordedExchange]:
        """Assert `method path` (with the criteria) was received exactly `times` times."""
        found = self.filter(method, path, **criteria)
        if len(found) != times:
            raise AssertionError(self._explain(method, path, criteria, str(times), found))
        return found

    def assert_not_called(self, method: str, path: str, **criteria: Unpack[Criteria]) -> None:
        self.assert_called(method, path, times=0, **criteria)

    def clear(self) -> None:
        self._backend.clear_requests()

    def _explain(
        self,
        method: str | None,
        path: str | None,
        criteria: Mapping[str, object],
        wanted: str,
        found: list[RecordedExchange],
    ) -> str:
        raw = _pattern({"method": method, "path": path, **criteria})
        lines = [
            f"expected {_parsed(raw).describe()} {wanted} time(s); "
            f"it was received {len(found)} time(s)."
        ]
        seen = len(self.all())
        if not seen:
            lines.append("The mock received no requests.")
            return "\n".join(lines)
        lines.append(f"Requests received ({seen}), closest first:")
        for near in self._backend.closest(raw, CLOSEST_SHOWN):
            lines.append(f"  {_describe(near.request)}")
            lines += [f"      {difference}" for difference in near.differences]
        if seen > CLOSEST_SHOWN:
            lines.append(f"  … and {seen - CLOSEST_SHOWN} more")
        return "\n".join(lines)


CLOSEST_SHOWN = 10


def _pattern(given: Mapping[str, object]) -> dict[str, object]:
    """Keyword criteria as a request pattern's JSON form (criteria left at None dropped)."""
    return {name: value for name, value in given.items() if value is not None}


class Outbox(_Records[OutboxMessage]):
    """Messages (SMS, e-mail) the mock sent to patients, oldest first."""

    def all(self) -> list[OutboxMessage]:
        return self._backend.messages()

    def latest(self, appointment_id: str | None = None) -> OutboxMessage:
        """The newest message, or the newest about an appointment (its original or new id)."""
        messages = self.all()
        wanted = [m for m in messages if appointment_id in (None, m["original_id"], m["new_id"])]
        if wanted:
            return wanted[-1]
        about = f" about appointment {appointment_id!r}" if appointment_id else ""
        sent = ", ".join(f"{m['original_id']}->{m['new_id']}" for m in messages) or "none"
        raise AssertionError(f"no message was sent{about}; messages sent: {sent}")

    def latest_code(self, appointment_id: str | None = None) -> str:
        return str(self.latest(appointment_id)["code"])


class ClockControl:
    """The mock's clock, per provider; frozen unless the scenario lets it run."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def now(self, provider: str | None = None) -> datetime:
        clocks = self._backend.clocks()
        if provider is None:
            instants = {clock["now"] for clock in clocks.values()}
            if len(instants) > 1:
                raise ValueError(f"the providers' clocks differ ({clocks}); name a provider")
            return parse_instant(instants.pop())
        return parse_instant(clocks[provider]["now"])

    def set(self, instant: datetime | str, provider: str | None = None) -> None:
        text = instant if isinstance(instant, str) else format_instant(instant)
        self._backend.set_clock({"now": text, **({"provider": provider} if provider else {})})

    def advance(
        self,
        seconds: float = 0,
        *,
        minutes: float = 0,
        hours: float = 0,
        provider: str | None = None,
    ) -> None:
        total = seconds + 60 * minutes + 3600 * hours
        self._backend.set_clock(
            {"advance_seconds": total, **({"provider": provider} if provider else {})}
        )


def _provider_of(scenario: str | Mapping[str, object]) -> str:
    if isinstance(scenario, str):
        return scenario.split("/", 1)[0]
    named = scenario.get("provider") or str(scenario.get("extends", "")).split("/", 1)[0]
    return str(named)


class Stub:
    """An interaction a test added; `calls` are the exchanges it answered, oldest first.

    `expect=True` makes it an expectation checked when the test ends: used at least once, or
    with `times=N` exactly N times for each appointment it answered (in strict mode `times`
    alone is one too; `expect=False` opts out)."""

    def __init__(
        self, name: str, requests: RequestLog, *, expect: bool | None, times: int | None
    ) -> None:
        self.name = name
        self.expect = expect
        self.times = times
        self._requests = requests

    def __repr__(self) -> str:
        return f"<Stub {self.name!r}>"

    def unmet(self, strict: bool) -> str | None:
        """How the stub missed its expectation, or None when it met it (or had none)."""
        if not (self.expect or (strict and self.times is not None and self.expect is None)):
            return None
        calls = self.calls
        if not calls:
            return f"stub {self.name!r} was never called"
        if self.times is None:
            return None
        counts: dict[str | None, int] = {}
        for call in calls:
            counts[call.appointment] = counts.get(call.appointment, 0) + 1
        short = {who: n for who, n in counts.items() if n != self.times}
        if not short:
            return None
        told = ", ".join(f"{who or 'its path'}: {n}" for who, n in short.items())
        return f"stub {self.name!r} expected {self.times} call(s) per appointment, got {told}"

    @property
    def calls(self) -> list[RecordedExchange]:
        return [
            entry
            for entry in self._requests.all()
            if entry.interaction is not None and entry.interaction["name"] == self.name
        ]


class MockControl:
    """One handle on a mock: what a test reads and changes between its requests."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.requests = RequestLog(backend)
        self.messages = Outbox(backend)
        self.clock = ClockControl(backend)
        self.active: dict[str, str] = {}
        self.stubs: list[Stub] = []  # added since the last start
        self._stubs = 0
        # Scenarios the mock's own catalog lacks (a suite's folder, against a server started
        # elsewhere), by name: sent to it as data whenever they are named.
        self.local: dict[str, Mapping[str, object]] = {}

    def start(self, *names: str) -> dict[str, str]:
        """Start clean on these scenarios (one per provider; others their direct-cancel)."""
        self.active = self.backend.activate([n for n in names if n not in self.local])
        for name in names:
            if name in self.local:
                self.active[self.backend.load(self.local[name])] = name
        self.stubs = []
        self.requests.matched.clear()
        return dict(self.active)

    def load(self, *names: str | Mapping[str, object]) -> dict[str, str]:
        """Switch the named providers to these scenarios, with fresh state for them; the other
        providers keep theirs, as `PUT /__admin/scenario` does. A scenario may be given as
        data (`{"extends": "huskyvoice/direct-cancel", "org": {…}}`)."""
        providers = [_provider_of(name) for name in names]
        repeated = sorted({p for p in providers if providers.count(p) > 1})
        if repeated:
            raise ControlError(f"name at most one scenario per provider; {repeated[0]} has more")
        for name in names:
            provider = self.backend.load(
                self.local.get(name, name) if isinstance(name, str) else name
            )
            self.active[provider] = name if isinstance(name, str) else f"{provider}/inline"
        return dict(self.active)

    def stub(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        expect: bool | None = None,
        **interaction: Unpack[StubFields],
    ) -> Stub:
        """Add an interaction, in the scenario-file language (`match`, `respond`, `sequence`,
        `times`, `when_state`, `set_state`, `violates_contract`, `name`, `provider`), before
        every other; `method` and `path` are shorthands for its `match`. Checked at once,
        exactly as in a file. It lasts until the provider's next reset. `expect`: see `Stub`."""
        match = dict(interaction.pop("match", {}))
        match.update({k: v for k, v in (("method", method), ("path", path)) if v is not None})
        self._stubs += 1
        raw = {"name": f"stub {self._stubs}", **interaction, "match": match}
        name = self.backend.add_interaction(raw)["name"]
        times = interaction.get("times")
        stub = Stub(
            name, self.requests, expect=expect, times=times if isinstance(times, int) else None
        )
        self.stubs.append(stub)
        return stub

    def reset(self) -> None:
        """Fresh state in the active scenarios; empty journal, outbox and violations."""
        self.start(*self.active.values())

    @property
    def scenario(self) -> dict[str, ActiveScenario]:
        """Per provider: the active scenario, its clock and its seeded data."""
        return self.backend.seeded()

    def seeded(self, provider: str) -> dict[str, Any]:
        return self.scenario[provider]["seeded"]

    @property
    def violations(self) -> list[Violation]:
        return self.backend.violations()


def describe_violations(violations: Sequence[Violation]) -> str:
    """Contract violations as a readable failure message."""
    lines = []
    for violation in violations:
        who = "your client's request" if violation["kind"] == "request" else "the mock's response"
        lines.append(
            f"{who} broke the {violation['provider']} contract: "
            f"{violation['method']} {violation['path']} -> {violation['status']}"
        )
        for problem in violation["problems"]:
            where = problem["location"] or "(root)"
            lines.append(f"  {where}: {problem['message']}  [schema: {problem['schema_path']}]")
    return "\n".join(lines)
