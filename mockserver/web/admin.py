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
from mockserver.core.exchange import clip, deeper_than, loads, may_nest_deeper
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
    return {"status": "ok", "active": {p: s.name for p, s in engine.active().items()}}


async def scenarios(engine: MockEngine, request: Request) -> Result:
    return {"scenarios": engine.scenario_summaries()}


async def scenario(engine: MockEngine, request: Request) -> Result:
    return engine.seeded()


async def load_scenario(engine: MockEngine, request: Request) -> Result:
    command = LoadScenario.parse(await _json_object(request))
    try:
        loaded = engine.load(command.name)
    except UnknownScenarioError as error:
        raise AdminError(404, "UNKNOWN_SCENARIO", str(error)) from None
    except ScenarioError as error:
        raise AdminError(400, "BROKEN_SCENARIO", str(error)) from None
    return {"loaded": loaded.summary()}


async def reset(engine: MockEngine, request: Request) -> Result:
    data = await _json_object(request, optional=True)
    return engine.apply_reset(Reset.parse(data, engine.provider_names))


async def requests(engine: MockEngine, request: Request) -> Result:
    """The journal, filtered and paged; `format=har` for browsers' developer tools."""
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
    limit = _limit(request, 10)
    pattern = _pattern(request, ignore={"limit"}) or parse_pattern({})
    found = await off_loop(engine.closest_requests, pattern, limit)
    return {"closest": [{"request": e, "differences": d} for e, d in found]}


async def near_misses(engine: MockEngine, request: Request) -> Result:
    unknown = sorted(set(request.query_params) - {"limit"})
    if unknown:
        raise AdminError(400, "BAD_REQUEST", f"query: {unknown[0]} is not known; known: limit")
    return {"near_misses": await off_loop(engine.near_misses, _limit(request, 50))}


async def clear_requests(engine: MockEngine, request: Request) -> Result:
    engine.clear_requests()
    return Response(status_code=204)


async def messages(engine: MockEngine, request: Request) -> Result:
    return {"messages": engine.messages()}


async def clock(engine: MockEngine, request: Request) -> Result:
    return engine.clocks()


async def set_clock(engine: MockEngine, request: Request) -> Result:
    data = await _json_object(request)
    return engine.set_clock(SetClock.parse(data, engine.provider_names))


async def violations(engine: MockEngine, request: Request) -> Result:
    return {"violations": engine.violations()}


async def clear_violations(engine: MockEngine, request: Request) -> Result:
    engine.clear_violations()
    return Response(status_code=204)


async def interactions(engine: MockEngine, request: Request) -> Result:
    return {"interactions": engine.interactions()}


async def add_interaction(engine: MockEngine, request: Request) -> Result:
    data = await _json_object(request)
    provider = data.pop("provider", None)
    return {"added": engine.add_interaction(data, provider)}


async def remove_interaction(engine: MockEngine, request: Request) -> Result:
    name = request.path_params["name"]
    if not engine.remove_interactions(name):
        raise AdminError(404, "UNKNOWN_INTERACTION", f"no added interaction is named {name!r}")
    return Response(status_code=204)


async def remove_interactions(engine: MockEngine, request: Request) -> Result:
    engine.remove_interactions()
    return Response(status_code=204)


async def coverage(engine: MockEngine, request: Request) -> Result:
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
    server = f"{request.url.scheme}://{request.url.netloc}"  # this server, as the client reached it
    return engine.openapi(request.path_params["provider"], server)


async def list_sessions(engine: MockEngine, request: Request) -> Result:
    return {"sessions": request.app.state.sessions.summaries()}


async def session_report(engine: MockEngine, request: Request) -> Result:
    session_id = request.path_params["session_id"]
    report = request.app.state.sessions.report(session_id)
    if report is None:
        raise AdminError(404, "UNKNOWN_SESSION", f"no live session {clip(session_id, 80)!r}")
    return dict(report)


async def end_session(engine: MockEngine, request: Request) -> Result:
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
    ("/interactions/{name}", "DELETE", remove_interaction),
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
