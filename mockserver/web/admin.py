"""The mock's own API under /__admin: scenarios, state, journal, outbox, clock, contracts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.core.commands import CommandError, LoadScenario, Reset, SetClock
from mockserver.core.exchange import clip, deeper_than, dumps, loads, may_nest_deeper
from mockserver.core.patterns import PatternError, RequestPattern, parse_pattern, pattern_from_query
from mockserver.core.resources import package_version
from mockserver.core.surface import MAX_BODY_DEPTH
from mockserver.engine.facade import MockEngine
from mockserver.engine.provider_states import apply_state
from mockserver.journal.har import har_log
from mockserver.journal.params import MAX_PAGE, ListingError, parse_listing, whole_param
from mockserver.report.pact import check_consumer, pacts
from mockserver.report.target import ReportTarget
from mockserver.scenarios.catalog import ScenarioError, UnknownScenarioError
from mockserver.web.dashboard_routes import LOCKED, is_page_shell
from mockserver.web.guard import IN_PROCESS, AdminPolicy, refusal
from mockserver.web.offload import off_loop

ADMIN_BODY_LIMIT = 64 * 1024


def guarded(app: ASGIApp, policy: AdminPolicy) -> ASGIApp:
    """The admin app behind `refusal`, for requests that came over a socket."""

    async def guard(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and IN_PROCESS not in scope.get("extensions", {}):
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            server = scope.get("server")
            bound = server[0] if server else None
            refused = refusal(scope["method"], headers, bound, policy)
            if refused is not None and _page_without_token(scope, headers, bound, policy):
                # The dashboard's page and assets hold no data: they load, locked, and ask for it.
                scope = {**scope, "extensions": {**scope.get("extensions", {}), LOCKED: True}}
                refused = None
            if refused is not None:
                await _error(*refused)(scope, receive, send)
                return
        await app(scope, receive, send)

    return guard


def _page_without_token(
    scope: Scope, headers: dict[str, str], bound: str | None, policy: AdminPolicy
) -> bool:
    """A request for the dashboard's page shell that only lacks the token."""
    if policy.token is None or not is_page_shell(scope["method"], scope["path"]):
        return False
    return refusal(scope["method"], headers, bound, replace(policy, token=None)) is None


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _body(request: Request) -> bytes:
    """The body, read no further than the admin limit (a huge one is refused, not buffered)."""
    declared = request.headers.get("content-length", "")
    too_large = AdminError(
        413, "PAYLOAD_TOO_LARGE", f"admin bodies are limited to {ADMIN_BODY_LIMIT} bytes"
    )
    if declared.isdigit() and int(declared) > ADMIN_BODY_LIMIT:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > ADMIN_BODY_LIMIT:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    body = await _body(request)
    if not body.strip():
        if optional:
            return {}
        raise AdminError(400, "BAD_REQUEST", "a JSON object body is required")
    try:
        data = loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise AdminError(400, "BAD_REQUEST", f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise AdminError(400, "BAD_REQUEST", "the body must be a JSON object")
    # As deep as a scenario file may nest: a stub's body must encode again when it answers.
    if may_nest_deeper(body, MAX_BODY_DEPTH) and deeper_than(data, MAX_BODY_DEPTH):
        raise AdminError(400, "BAD_REQUEST", f"the body nests more than {MAX_BODY_DEPTH} levels")
    return data


def _single_params(
    request: Request, ignore: frozenset[str] | set[str] = frozenset()
) -> dict[str, str]:
    """The query string's parameters, each given once."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in ignore]
    names = [name for name, _ in items]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise AdminError(400, "BAD_REQUEST", f"query: {', '.join(repeated)} given more than once")
    return dict(items)


def _pattern(
    request: Request, ignore: frozenset[str] | set[str] = frozenset()
) -> RequestPattern | None:
    """A request pattern from the query string: GET /__admin/requests?method=PATCH&body=…"""
    params = _single_params(request, ignore)
    if not params:
        return None
    try:
        return pattern_from_query(params)
    except PatternError as error:
        raise AdminError(400, "BAD_REQUEST", str(error)) from None


Result = dict[str, Any] | Response


async def health(engine: MockEngine, request: Request) -> Result:
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


async def scenarios(engine: MockEngine, request: Request) -> Result:
    """Every loadable scenario: name, provider, description, source (`builtin`, or
    `<folder>/<file>` for yours: no absolute paths), active."""
    return {"scenarios": engine.scenario_summaries()}


async def scenario(engine: MockEngine, request: Request) -> Result:
    """Per provider: the active scenario, its clock and its seeded data."""
    return engine.seeded()


async def load_scenario(engine: MockEngine, request: Request) -> Result:
    """`{"name": "huskyvoice/slot-freed"}` loads one, with fresh state for its provider; the other
    provider is untouched. `{"scenario": {"extends": "huskyvoice/direct-cancel", "org":
    {"cancellation_notice_hours": 48}}}` loads one given as data, checked like a file (`400
    BROKEN_SCENARIO` naming the field), active as `<provider>/inline`. An unknown name is `404
    UNKNOWN_SCENARIO`."""
    command = LoadScenario.parse(await _json_object(request))
    try:
        loaded = engine.load(command.name)
    except UnknownScenarioError as error:
        raise AdminError(404, "UNKNOWN_SCENARIO", str(error)) from None
    except ScenarioError as error:
        raise AdminError(400, "BROKEN_SCENARIO", str(error)) from None
    return {"loaded": loaded.summary()}


async def reset(engine: MockEngine, request: Request) -> Result:
    """Fresh state from the active scenarios; empties the journal and violations. Optionally
    `{"provider": "huskyvoice"}`, or `{"scenarios": ["leyr/two-step"]}` to start clean on those."""
    data = await _json_object(request, optional=True)
    return engine.apply_reset(Reset.parse(data, engine.provider_names))


async def requests(engine: MockEngine, request: Request) -> Result:
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
    params = _single_params(request)
    try:
        query, form = parse_listing(params)
    except ListingError as error:
        raise AdminError(400, "BAD_REQUEST", str(error)) from None
    # Searches walk the whole journal: off the event loop, so health and others go on meanwhile.
    page = await off_loop(engine.journal_page, query)
    if form == "har":
        server = f"{request.url.scheme}://{request.url.netloc}"
        return har_log(page.entries, server, package_version())
    if form == "pact":
        return _pact(engine, params["consumer"], {entry["id"] for entry in page.entries})
    if form == "jsonl":
        lines = b"".join(dumps(entry) + b"\n" for entry in page.entries)
        return Response(lines, media_type="application/x-ndjson")
    return {
        "requests": page.entries,
        "next_cursor": page.next_cursor,
        "total_seen": engine.requests_seen,
    }


def _pact(engine: MockEngine, consumer: str, selected: set[int]) -> Result:
    """The selected exchanges as one provider's Pact; each replays the journal before it."""
    try:
        check_consumer(consumer)
    except ValueError as error:
        raise AdminError(400, "BAD_REQUEST", str(error)) from None
    entries, flows = engine.journal_with_flows()
    documents = pacts(consumer, entries, flows, package_version(), selected)
    if not documents:
        raise AdminError(
            404, "NO_INTERACTIONS", "the selection holds no exchange on a documented route"
        )
    if len(documents) > 1:
        raise AdminError(
            400,
            "BAD_REQUEST",
            f"the selection spans {' and '.join(sorted(documents))}: add provider=NAME "
            "(a pact is between one consumer and one provider)",
        )
    return next(iter(documents.values()))


async def provider_states(engine: MockEngine, request: Request) -> Result:
    """A Pact verifier's state-change request: the mock in the state an interaction needs."""
    data = await _json_object(request)
    return await off_loop(apply_state, engine, data, dict(request.headers))


def _limit(request: Request, default: int) -> int:
    try:
        limit = whole_param(request.query_params, "limit", 1, MAX_PAGE)
    except ListingError as error:
        raise AdminError(400, "BAD_REQUEST", str(error)) from None
    return default if limit is None else limit


async def closest_requests(engine: MockEngine, request: Request) -> Result:
    """`?…&limit=10`: the journaled requests nearest to a pattern, closest first, each with its
    `differences`."""
    limit = _limit(request, 10)
    pattern = _pattern(request, ignore={"limit"}) or parse_pattern({})
    found = await off_loop(engine.closest_requests, pattern, limit)
    return {"closest": [{"request": e, "differences": d} for e, d in found]}


async def near_misses(engine: MockEngine, request: Request) -> Result:
    """`?limit=50`: recent requests nothing answered as their client meant, newest first: those that
    named no documented operation, broke the contract, or missed every scripted interaction
    written for their method and path. Each has its `reasons`, contract `problems`, and the
    `closest_operation` and `closest_interaction` with the field-by-field `differences` (the
    wording of the fixture's failed assertions; an interaction that matched but was used up or
    waited for another state says so)."""
    unknown = sorted(set(request.query_params) - {"limit"})
    if unknown:
        raise AdminError(400, "BAD_REQUEST", f"query: {unknown[0]} is not known; known: limit")
    return {"near_misses": await off_loop(engine.near_misses, _limit(request, 50))}


async def clear_requests(engine: MockEngine, request: Request) -> Result:
    """Empties the journal (204)."""
    engine.clear_requests()
    return Response(status_code=204)


async def messages(engine: MockEngine, request: Request) -> Result:
    """The outbox of SMS / e-mail codes sent to patients (Leyr)."""
    return {"messages": engine.messages()}


async def clock(engine: MockEngine, request: Request) -> Result:
    """The mock's clock per provider; frozen unless the scenario says `frozen: false`."""
    return engine.clocks()


async def set_clock(engine: MockEngine, request: Request) -> Result:
    """`{"now": "…"}` or `{"advance_seconds": 60}`, optionally with `"provider"`: moves the
    mock's clock. It stays between 1900 and 9000 and moves at most a century a call; a move it
    refuses moves no clock."""
    data = await _json_object(request)
    return engine.set_clock(SetClock.parse(data, engine.provider_names))


async def violations(engine: MockEngine, request: Request) -> Result:
    """Contract violations: `kind` (`request` or `response`), the request, and each problem's
    location, message and schema path."""
    return {"violations": engine.violations()}


async def clear_violations(engine: MockEngine, request: Request) -> Result:
    """Empties the violations (204)."""
    engine.clear_violations()
    return Response(status_code=204)


async def interactions(engine: MockEngine, request: Request) -> Result:
    """Every interaction in force, the scenario's and those added, with their counters (per
    appointment) and states."""
    return {"interactions": engine.interactions()}


async def add_interaction(engine: MockEngine, request: Request) -> Result:
    """Adds an interaction at run time (a stub), in the scenario-file language (`match`,
    `respond`/`sequence`, `times`, `when_state`, `set_state`, `violates_contract`, `name`;
    `provider` when the path does not say): checked at once exactly like a file's, tried before
    every other, kept until the provider's next reset or scenario switch."""
    data = await _json_object(request)
    provider = data.pop("provider", None)
    return {"added": engine.add_interaction(data, provider)}


async def remove_interaction(engine: MockEngine, request: Request) -> Result:
    """Removes the added interactions of that name (204; `404 UNKNOWN_INTERACTION` when none)."""
    name = request.path_params["name"]
    if not engine.remove_interactions(name):
        raise AdminError(404, "UNKNOWN_INTERACTION", f"no added interaction is named {name!r}")
    return Response(status_code=204)


async def remove_interactions(engine: MockEngine, request: Request) -> Result:
    """Removes every added interaction (204)."""
    engine.remove_interactions()
    return Response(status_code=204)


async def coverage(engine: MockEngine, request: Request) -> Result:
    """Every outcome of every documented operation, with how often it was exercised since the
    server started (resets do not clear it)."""
    return engine.coverage()


async def report(engine: MockEngine, request: Request) -> Result:
    """Write the run's report now (serve --report-dir) and answer its verdict."""
    target: ReportTarget | None = request.app.state.report
    if target is None or target.directory is None:
        raise AdminError(
            409, "NO_REPORT_DIR", "this server writes no report: start it with --report-dir DIR"
        )
    record = engine.run_record()
    verdict = target.judge(record)
    server = f"{request.url.scheme}://{request.url.netloc}"
    try:
        written = target.write(record, verdict, server)
    except OSError as error:  # the machine's fault, not the client's: said, and nothing changed
        raise AdminError(
            500, "REPORT_NOT_WRITTEN", f"the report could not be written: {error.strerror}"
        ) from None
    return {
        "written": sorted(str(path.relative_to(target.directory)) for path in written),
        "verdict": {"passed": verdict.passed, "summary": verdict.headline()},
    }


async def openapi(engine: MockEngine, request: Request) -> Result:
    """The provider's OpenAPI 3.1 document, assembled from `schemas/`, with this server in
    `servers`."""
    server = f"{request.url.scheme}://{request.url.netloc}"  # this server, as the client reached it
    return engine.openapi(request.path_params["provider"], server)


async def list_sessions(engine: MockEngine, request: Request) -> Result:
    """The live sessions (isolated worlds on this server, addressed by `/__session/{id}/…` or
    `X-Mock-Session: {id}`): each one's `id`, `created` (wall clock), `idle_seconds`,
    `requests`, `violations` and active `scenarios`."""
    return {"sessions": request.app.state.sessions.summaries()}


async def session_report(engine: MockEngine, request: Request) -> Result:
    """A session's verdict: `pass`, or `fail` when any exchange broke the contract; its
    `violations`, `requests` and contract coverage per provider. `default` is the server's own
    session; an id with no live session is `404 UNKNOWN_SESSION`."""
    session_id = request.path_params["session_id"]
    report = request.app.state.sessions.report(session_id)
    if report is None:
        raise AdminError(404, "UNKNOWN_SESSION", f"no live session {clip(session_id, 80)!r}")
    return dict(report)


async def end_session(engine: MockEngine, request: Request) -> Result:
    """Ends the session it is addressed to (`/__session/{id}/__admin/session`); the server's
    default session cannot be ended (`400 DEFAULT_SESSION`)."""
    session_id = engine.session
    if session_id is None:
        raise AdminError(
            400,
            "DEFAULT_SESSION",
            "the server's default session cannot be ended; address a session with "
            "/__session/<id>/__admin/session",
        )
    request.app.state.sessions.end(session_id)
    return {"ended": session_id}


Handler = Callable[[MockEngine, Request], Awaitable[Result]]
# The admin API, one row a route: its path under /__admin, its method and its handler.
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("/health", "GET", health),
    ("/scenarios", "GET", scenarios),
    ("/scenario", "GET", scenario),
    ("/scenario", "PUT", load_scenario),
    ("/reset", "POST", reset),
    ("/requests", "GET", requests),
    ("/requests", "DELETE", clear_requests),
    ("/requests/closest", "GET", closest_requests),
    ("/near-misses", "GET", near_misses),
    ("/messages", "GET", messages),
    ("/clock", "GET", clock),
    ("/clock", "PUT", set_clock),
    ("/violations", "GET", violations),
    ("/violations", "DELETE", clear_violations),
    ("/interactions", "GET", interactions),
    ("/interactions", "POST", add_interaction),
    ("/interactions", "DELETE", remove_interactions),
    # `path`: a name holding "/" is deletable too, by its encoded name (a%2Fb).
    ("/interactions/{name:path}", "DELETE", remove_interaction),
    ("/coverage", "GET", coverage),
    ("/report", "POST", report),
    ("/provider-states", "POST", provider_states),
    ("/openapi/{provider}", "GET", openapi),
    ("/sessions", "GET", list_sessions),
    ("/sessions/{session_id}/report", "GET", session_report),
    ("/session", "DELETE", end_session),
)


def admin_routes(engine: MockEngine) -> list[BaseRoute]:
    def bound(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                result = await handler(engine, request)
            except (AdminError, CommandError) as error:
                return _error(error.status, error.code, error.message)
            return result if isinstance(result, Response) else JSONResponse(result)

        return endpoint

    return [Route(path, bound(handler), methods=[method]) for path, method, handler in ROUTES]


def describe_routes() -> str:
    return "; ".join(f"{method} /__admin{path}" for path, method, _ in ROUTES)


def error_handlers() -> dict[Any, Callable[..., Any]]:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            routes = describe_routes()
            message = f"No admin route {request.method} {request.url.path}. Admin routes: {routes}"
            return _error(404, "NOT_FOUND", message)
        if exc.status_code == 405:
            return _error(
                405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.url.path}"
            )
        return _error(exc.status_code, "HTTP_ERROR", str(exc.detail))

    return {HTTPException: http_error}
