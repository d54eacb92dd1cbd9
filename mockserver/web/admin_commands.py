"""The admin API's commands, one table: what each is called, its method and path under /__admin,
the parameters it takes and the engine call that carries it out.

The table drives every surface that drives the mock: the admin routes (`admin.py`), the
in-process control and the control over HTTP (`testing/control.py`); the admin reference
(docs/admin-api.md) is written from it. A new admin capability is one entry here. Nothing here
imports a web framework: a test session driving the engine in process never loads one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

import msgspec

from mockserver.core.commands import LoadScenario, Reset, SetClock, provider_name
from mockserver.core.errors import MockError
from mockserver.core.exchange import clip, dumps
from mockserver.core.patterns import parse_pattern, pattern_from_query
from mockserver.core.resources import package_version
from mockserver.engine.provider_states import apply_state
from mockserver.journal.har import har_log
from mockserver.journal.params import MAX_PAGE, parse_listing, whole_param

if TYPE_CHECKING:
    from mockserver.engine.facade import MockEngine
    from mockserver.engine.sessions import Sessions
    from mockserver.report.target import ReportTarget

Body = Literal["none", "optional", "required"]


_NO_PATH: Mapping[str, str] = MappingProxyType({})


class Call(msgspec.Struct, frozen=True):
    """One admin call as any surface hands it over: its body (a JSON object already read and
    checked, None when there is none), its query parameters in order (a name may repeat), its
    path parameters, its request headers, the address the client reached the server at, and
    the server's sessions and report target (None in process, where there are none)."""

    body: Mapping[str, object] | None = None
    query: Sequence[tuple[str, str]] = ()
    path: Mapping[str, str] = msgspec.field(default_factory=lambda: _NO_PATH)
    headers: Mapping[str, str] = msgspec.field(default_factory=lambda: _NO_PATH)
    server: str = "http://127.0.0.1"
    sessions: Sessions | None = None
    report: ReportTarget | None = None

    @property
    def data(self) -> dict[str, object]:
        """The body as a fresh dict ({} when there is none): a command may take fields out."""
        return dict(self.body or {})

    def single(self, ignore: frozenset[str] = frozenset()) -> dict[str, str]:
        """The query string's parameters, each given once."""
        items = [(k, v) for k, v in self.query if k not in ignore]
        names = [name for name, _ in items]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise MockError(f"query: {', '.join(repeated)} given more than once")
        return dict(items)


class Raw(msgspec.Struct, frozen=True):
    """An answer that is not a JSON document (JSON lines)."""

    content: bytes
    media_type: str


# A JSON document, raw bytes, or None for "done, nothing to say" (204).
Result = Mapping[str, object] | Raw | None
Run = Callable[["MockEngine", Call], Result]


class Command(msgspec.Struct, frozen=True):
    """One row of the table. `body`: whether the call takes a JSON object; `offload`: a long
    read (a journal search) the web surface runs off its event loop."""

    name: str
    method: str
    path: str
    run: Run
    body: Body = "none"
    offload: bool = False

    def url(self, path: Mapping[str, str] | None = None) -> str:
        """The path under /__admin with its parameters filled in, each encoded whole."""
        url = self.path
        for name, value in (path or {}).items():
            for pattern in (f"{{{name}}}", f"{{{name}:path}}"):
                url = url.replace(pattern, quote(value, safe=""))
        return url


def execute(engine: MockEngine, command: Command, call: Call) -> Result:
    """Carry out a command; every refusal is a MockError with its status, code and message."""
    if command.body == "required" and call.body is None:
        raise MockError("a JSON object body is required")
    return command.run(engine, call)


def health(engine: MockEngine, call: Call) -> Result:
    """`{"status": "ok", "active": {provider: scenario}, "reload": {"ok", "error", "at"}}`:
    the active scenario per provider, and how the last hot reload (`serve --watch`) went. While
    the files on disk are broken, `reload.ok` is false and `reload.error` lists each problem as
    `folder/file:line: field: message`; the last good scenarios keep serving, so `status` stays
    `ok`. `at` is when the reload was tried (wall clock, UTC), `null` before the first."""
    return {
        "status": "ok",
        "active": {p: s.name for p, s in engine.active().items()},
        "reload": engine.reload_status(),
    }


def scenarios(engine: MockEngine, call: Call) -> Result:
    """Every loadable scenario: name, provider, description, source (`builtin`, or
    `<folder>/<file>` for yours: no absolute paths), active."""
    return {"scenarios": engine.scenario_summaries()}


def scenario(engine: MockEngine, call: Call) -> Result:
    """Per provider: the active scenario, its clock and its seeded data."""
    return engine.seeded()


def load_scenario(engine: MockEngine, call: Call) -> Result:
    """`{"name": "huskyvoice/slot-freed"}` loads one, with fresh state for its provider; the other
    provider is untouched. `{"scenario": {"extends": "huskyvoice/direct-cancel", "org":
    {"cancellation_notice_hours": 48}}}` loads one given as data, checked like a file (`400
    BROKEN_SCENARIO` naming the field), active as `<provider>/inline`. An unknown name is `404
    UNKNOWN_SCENARIO`."""
    loaded = engine.load(LoadScenario.parse(call.data).name)  # UnknownScenarioError: a 404
    return {"loaded": loaded.summary()}


def reset(engine: MockEngine, call: Call) -> Result:
    """Fresh state from the active scenarios; empties the journal and violations. Optionally
    `{"provider": "huskyvoice"}`, or `{"scenarios": ["leyr/two-step"]}` to start clean on those."""
    return engine.apply_reset(Reset.parse(call.data, engine.provider_names))


def requests(engine: MockEngine, call: Call) -> Result:
    """The journal, oldest first: each exchange's request (headers, body), the appointment it
    names, its status, response and response headers (`Retry-After` included), `at` (the mock's
    clock), `received_at` (the wall clock, ISO 8601 UTC), `duration_ms` (the mock's time to
    answer, a scripted delay included), `operation` (the documented operation's id, or `null`),
    `interaction` (the scripted interaction that answered, or `null`) and `broke_contract`; and
    `total_seen`, every request since the start. A path no provider serves is journaled too, with
    `provider: null` [mock]. Credentials (`Authorization`, `Cookie`, `x-leyr-client-secret`) are
    shown by their last four characters (`Bearer …_KEY`) unless `serve --journal-secrets`
    (`MockEngine(journal_secrets=True)`); patterns still match their full values. Filters: a
    request pattern (`method`, `path` (exact or template), `path_regex`, `provider`, `status`,
    `appointment` as they are; `query`, `headers` and `body` as JSON, e.g.
    `?method=PATCH&body={"status":"cancelled"}`: `curl -g` keeps the braces), `status=4xx` (a
    status class), `since=2026-11-28T10:00:00Z` (wall clock), `broke_contract=true`. Paging:
    `order=newest`, `limit=1..1000`, and `cursor=` the `next_cursor` of the previous page (`null`
    on the last). `q=` a substring of the path or an appointment id. `format=har` answers the
    same selection as a HAR 1.2 document, for a browser's developer tools (Network → Import
    HAR); `format=jsonl` as JSON lines, one exchange a line (as `serve --journal-file` writes
    them)."""
    params = call.single()
    query, form = parse_listing(params)
    page = engine.journal_page(query)
    if form == "har":
        return har_log(page.entries, call.server, package_version())
    if form == "pact":
        return _pact(engine, params["consumer"], {entry["id"] for entry in page.entries})
    if form == "jsonl":
        return Raw(b"".join(dumps(entry) + b"\n" for entry in page.entries), "application/x-ndjson")
    return {
        "requests": page.entries,
        "next_cursor": page.next_cursor,
        "total_seen": engine.requests_seen,
    }


def _pact(engine: MockEngine, consumer: str, selected: set[int]) -> Result:
    """The selected exchanges as one provider's Pact; each replays the journal before it."""
    from mockserver.report.pact import check_consumer, pacts  # here: few runs export a pact

    try:
        check_consumer(consumer)
    except ValueError as error:
        raise MockError(str(error), field="consumer") from None
    entries, flows = engine.journal_with_flows()
    documents = pacts(consumer, entries, flows, package_version(), selected)
    if not documents:
        raise MockError(
            "the selection holds no exchange on a documented route",
            code="NO_INTERACTIONS",
            status=404,
        )
    if len(documents) > 1:
        raise MockError(
            f"the selection spans {' and '.join(sorted(documents))}: add provider=NAME "
            "(a pact is between one consumer and one provider)"
        )
    return next(iter(documents.values()))


def provider_states(engine: MockEngine, call: Call) -> Result:
    """A Pact verifier's state-change request: the mock in the state an interaction needs."""
    return apply_state(engine, call.data, dict(call.headers))


def _limit(call: Call, default: int) -> int:
    limit = whole_param(dict(call.query), "limit", 1, MAX_PAGE)
    return default if limit is None else limit


def closest_requests(engine: MockEngine, call: Call) -> Result:
    """`?…&limit=10`: the journaled requests nearest to a pattern, closest first, each with its
    `differences`."""
    limit = _limit(call, 10)
    params = call.single(ignore=frozenset({"limit"}))
    pattern = pattern_from_query(params) if params else parse_pattern({})
    found = engine.closest_requests(pattern, limit)
    return {"closest": [{"request": e, "differences": d} for e, d in found]}


def near_misses(engine: MockEngine, call: Call) -> Result:
    """`?limit=50`: recent requests nothing answered as their client meant, newest first: those that
    named no documented operation, broke the contract, or missed every scripted interaction
    written for their method and path. Each has its `reasons`, contract `problems`, and the
    `closest_operation` and `closest_interaction` with the field-by-field `differences` (the
    wording of the fixture's failed assertions; an interaction that matched but was used up or
    waited for another state says so)."""
    unknown = sorted({name for name, _ in call.query} - {"limit"})
    if unknown:
        raise MockError(f"query: {unknown[0]} is not known; known: limit", field=unknown[0])
    return {"near_misses": engine.near_misses(_limit(call, 50))}


def clear_requests(engine: MockEngine, call: Call) -> Result:
    """Empties the journal (204)."""
    engine.clear_requests()
    return None


def messages(engine: MockEngine, call: Call) -> Result:
    """The outbox of SMS / e-mail codes sent to patients (Leyr)."""
    return {"messages": engine.messages()}


def clock(engine: MockEngine, call: Call) -> Result:
    """The mock's clock per provider; frozen unless the scenario says `frozen: false`."""
    return engine.clocks()


def set_clock(engine: MockEngine, call: Call) -> Result:
    """`{"now": "…"}` or `{"advance_seconds": 60}`, optionally with `"provider"`: moves the
    mock's clock. It stays between 1900 and 9000 and moves at most a century a call; a move it
    refuses moves no clock."""
    return engine.set_clock(SetClock.parse(call.data, engine.provider_names))


def violations(engine: MockEngine, call: Call) -> Result:
    """Contract violations: `kind` (`request` or `response`), the request, and each problem's
    location, message and schema path."""
    return {"violations": engine.violations()}


def clear_violations(engine: MockEngine, call: Call) -> Result:
    """Empties the violations (204)."""
    engine.clear_violations()
    return None


def interactions(engine: MockEngine, call: Call) -> Result:
    """Every interaction in force, the scenario's and those added, with their counters (per
    appointment) and states."""
    return {"interactions": engine.interactions()}


def add_interaction(engine: MockEngine, call: Call) -> Result:
    """Adds an interaction at run time (a stub), in the scenario-file language (`match`,
    `respond`/`sequence`, `times`, `when_state`, `set_state`, `violates_contract`, `name`;
    `provider` when the path does not say): checked at once exactly like a file's, tried before
    every other, kept until the provider's next reset or scenario switch. Without a `name`, it
    is `interaction N`, the first number no added one has [mock]."""
    data = call.data
    provider = provider_name(data.pop("provider", None), engine.provider_names)
    return {"added": engine.add_interaction(data, provider)}


def remove_interaction(engine: MockEngine, call: Call) -> Result:
    """Removes the added interactions of that name (204; `404 UNKNOWN_INTERACTION` when none)."""
    name = call.path["name"]
    if not engine.remove_interactions(name):
        raise MockError(
            f"no added interaction is named {name!r}", code="UNKNOWN_INTERACTION", status=404
        )
    return None


def remove_interactions(engine: MockEngine, call: Call) -> Result:
    """Removes every added interaction (204)."""
    engine.remove_interactions()
    return None


def coverage(engine: MockEngine, call: Call) -> Result:
    """Every outcome of every documented operation, with how often it was exercised since the
    server started (resets do not clear it)."""
    return engine.coverage()


def report(engine: MockEngine, call: Call) -> Result:
    """Write the run's report now (serve --report-dir) and answer its verdict; addressed to a
    session (`/__session/{id}/__admin/report`), that session's own, in `sessions/{id}/` of the
    report directory."""
    target = call.report
    if target is None or target.directory is None:
        raise MockError(
            "this server writes no report: start it with --report-dir DIR",
            code="NO_REPORT_DIR",
            status=409,
        )
    record = engine.run_record()
    verdict = target.judge(record)
    try:
        written = target.write(record, verdict, call.server)
    except OSError as error:  # the machine's fault, not the client's: said, and nothing changed
        raise MockError(
            f"the report could not be written: {error.strerror}",
            code="REPORT_NOT_WRITTEN",
            status=500,
        ) from None
    return {
        "written": sorted(str(path.relative_to(target.directory)) for path in written),
        "verdict": {"passed": verdict.passed, "summary": verdict.headline()},
    }


def openapi(engine: MockEngine, call: Call) -> Result:
    """The provider's OpenAPI 3.1 document, assembled from `schemas/`, with this server in
    `servers`."""
    return engine.openapi(call.path["provider"], call.server)


def _sessions(call: Call) -> Sessions:
    if call.sessions is None:
        raise MockError(
            "sessions live on a server; this mock has none", code="NO_SESSIONS", status=404
        )
    return call.sessions


def list_sessions(engine: MockEngine, call: Call) -> Result:
    """The live sessions (isolated worlds on this server, addressed by `/__session/{id}/…` or
    `X-Mock-Session: {id}`): each one's `id`, `created` (wall clock), `idle_seconds`,
    `requests`, `violations`, active `scenarios` and `journal_bytes`; and `journal`, what the
    server's journals hold together (`bytes`, of which `default_session_bytes` are the default
    session's) against `max_bytes`, the budget they share (`--journal-max-bytes`)."""
    sessions = _sessions(call)
    return {"sessions": sessions.summaries(), "journal": dict(sessions.journal_use())}


def session_report(engine: MockEngine, call: Call) -> Result:
    """A session's verdict: `pass`, or `fail` when any exchange broke the contract; its
    `violations`, `requests` and contract coverage per provider. `default` is the server's own
    session; an id with no live session is `404 UNKNOWN_SESSION`."""
    session_id = call.path["session_id"]
    found = _sessions(call).report(session_id)
    if found is None:
        raise MockError(
            f"no live session {clip(session_id, 80)!r}", code="UNKNOWN_SESSION", status=404
        )
    return dict(found)


def end_session(engine: MockEngine, call: Call) -> Result:
    """Ends the session it is addressed to (`/__session/{id}/__admin/session`); the server's
    default session cannot be ended (`400 DEFAULT_SESSION`), and an id with no live session
    (never used, ended or expired) is `404 UNKNOWN_SESSION`: no session is made to be ended."""
    session_id = engine.session
    if session_id is None:
        raise MockError(
            "the server's default session cannot be ended; address a session with "
            "/__session/<id>/__admin/session",
            code="DEFAULT_SESSION",
            status=400,
        )
    _sessions(call).end(session_id)
    return {"ended": session_id}


# The admin API, one row a command, in the order of its reference page.
COMMANDS: tuple[Command, ...] = (
    Command("health", "GET", "/health", health),
    Command("scenarios", "GET", "/scenarios", scenarios),
    Command("scenario", "GET", "/scenario", scenario),
    Command("load_scenario", "PUT", "/scenario", load_scenario, body="required"),
    Command("reset", "POST", "/reset", reset, body="optional"),
    Command("requests", "GET", "/requests", requests, offload=True),
    Command("clear_requests", "DELETE", "/requests", clear_requests),
    Command("closest_requests", "GET", "/requests/closest", closest_requests, offload=True),
    Command("near_misses", "GET", "/near-misses", near_misses, offload=True),
    Command("messages", "GET", "/messages", messages),
    Command("clock", "GET", "/clock", clock),
    Command("set_clock", "PUT", "/clock", set_clock, body="required"),
    Command("violations", "GET", "/violations", violations),
    Command("clear_violations", "DELETE", "/violations", clear_violations),
    Command("interactions", "GET", "/interactions", interactions),
    Command("add_interaction", "POST", "/interactions", add_interaction, body="required"),
    Command("remove_interactions", "DELETE", "/interactions", remove_interactions),
    # `path`: a name holding "/" is deletable too, by its encoded name (a%2Fb).
    Command("remove_interaction", "DELETE", "/interactions/{name:path}", remove_interaction),
    Command("coverage", "GET", "/coverage", coverage),
    Command("report", "POST", "/report", report),
    Command(
        "provider_states",
        "POST",
        "/provider-states",
        provider_states,
        body="required",
        offload=True,
    ),
    Command("openapi", "GET", "/openapi/{provider}", openapi),
    Command("list_sessions", "GET", "/sessions", list_sessions),
    Command("session_report", "GET", "/sessions/{session_id}/report", session_report),
    Command("end_session", "DELETE", "/session", end_session),
)


def find(name: str) -> Command:
    """The command of that name (read from the table at each call: the table is the truth)."""
    for command in COMMANDS:
        if command.name == name:
            return command
    raise KeyError(f"no admin command {name!r}; known: {', '.join(c.name for c in COMMANDS)}")
