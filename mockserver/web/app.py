"""The ASGI app: admin API under /__admin, every other path answered by the engine."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from enum import Enum
from functools import cached_property
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from msgspec.structs import replace

from mockserver.core.errors import MockError, error_document
from mockserver.core.exchange import ApiError, MockRequest, dumps
from mockserver.core.json_value import ascii_digits
from mockserver.core.reply import Outcome
from mockserver.core.surface import ADMIN_PREFIX, SESSION_HEADER, SESSION_PREFIX, is_admin_path
from mockserver.engine.facade import MockEngine
from mockserver.engine.sessions import Sessions
from mockserver.web.direct import (
    DirectTarget,
    SessionBinding,
    body_timeout,
    request_headers,
    response_headers,
)
from mockserver.web.guard import IN_PROCESS
from mockserver.web.overdue import Overdue
from mockserver.web.session_address import session_address

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from mockserver.report.target import ReportTarget
    from mockserver.web.guard import AdminPolicy

# The transport reads at most this much of a body; the provider decides what is too large.
READ_LIMIT_BYTES = 8 * 1024 * 1024
# A request whose header names and values add up to more is refused (431) before it is read.
HEADERS_LIMIT_BYTES = 64 * 1024
# A body that has not arrived whole by then is refused (408): a slow client holds no slot.
BODY_TIMEOUT_SECONDS = 30.0
# A request target (path and query, as sent) past this is refused (414) while it arrives: the
# HTTP parser's reading of a URL keeps its offsets in 16 bits, and past them it answered its
# own plain-text 400. In process, the same limit and the same answer.
URL_LIMIT_BYTES = 65_535

# Refusals made before any provider or route is known (the connection's own limits).
REFUSAL_REASONS = {
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    503: "Busy",
}


def refusal_body(status: int, message: str) -> bytes:
    """The JSON body of such a refusal: `{"error": {"code": "URI_TOO_LONG", "message": …}}`."""
    code = REFUSAL_REASONS[status].upper().replace(" ", "_")
    return dumps(error_document(MockError(message, code=code, status=status)))


def url_too_long(target: bytes) -> str | None:
    """Why a request target is refused for its length, or None."""
    if len(target) <= URL_LIMIT_BYTES:
        return None
    return f"the request's URL passes {URL_LIMIT_BYTES} bytes"


def headers_size(headers: Iterable[tuple[bytes, bytes]]) -> int:
    return sum(map(len, chain.from_iterable(headers)))  # counted in C


def _headers_of(scope: Scope) -> dict[str, str]:
    return request_headers(scope["headers"])


def _request_of(
    scope: Scope,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    oversized: bool = False,
) -> MockRequest:
    """The request as the core sees it: its head, and its body once read."""
    return MockRequest(
        scope["method"],
        scope["path"],
        scope["query_string"].decode("latin-1"),
        _headers_of(scope) if headers is None else headers,
        body,
        oversized,
    )


class ProviderEndpoint:
    """A plain ASGI endpoint: no per-request framework objects on the providers' hot path."""

    def __init__(self, engine: MockEngine) -> None:
        self.engine = engine

    async def refuse_head(self, scope: Scope, send: Send) -> None:
        """A request whose headers pass the limit: refused (431) in the provider's envelope
        before anything of it is stored. MockApp checks the size once, for every path."""
        message = f"the request's headers pass {HEADERS_LIMIT_BYTES} bytes"
        error = ApiError("REQUEST_HEADER_FIELDS_TOO_LARGE", message, status=431)
        await send_reply(send, self.engine.refusal(_request_of(scope), error))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers_of(scope)
        try:
            timeout = None if IN_PROCESS in scope.get("extensions", {}) else BODY_TIMEOUT_SECONDS
            read = await _read_body(receive, headers, timeout)
        except ApiError as refused:  # the transport's own: a body too slow
            # What is left of the body has no end to wait for: the connection ends with the
            # answer, as a direct answer's does (web/direct.py, refuse_slow_body).
            await send_reply(send, self.engine.refusal(_request_of(scope), refused), close=True)
            return
        if read is None:
            return  # the client left before its body was whole: nothing was asked
        request = _request_of(scope, headers, *read)
        outcome = self.engine.handle(request)
        if outcome.delay:
            # The in-process sync transport waits by blocking its caller (honouring the
            # client's timeout), so provider traffic needs no event loop there.
            wait = scope.get("extensions", {}).get(IN_PROCESS, {}).get("wait")
            if wait is not None:
                wait_out(self.engine, outcome, wait)
            else:
                try:
                    left = await _client_leaves_within(receive, outcome.delay)
                except BaseException:  # its task was cancelled
                    left = True
                    raise
                finally:
                    if left:  # what it asked for was done all the same: the journal says so
                        self.engine.client_went_away(outcome)
                if left:
                    return
        await send_reply(send, outcome)


def wait_out(engine: MockEngine, outcome: Outcome, wait: Callable[[float], None]) -> None:
    """A scripted delay waited out by blocking the caller (the in-process sync transport); a
    client that gives up meanwhile (its timeout) is marked gone in the journal, as over HTTP,
    for what it asked for was done all the same."""
    try:
        wait(outcome.delay)
    except BaseException:
        engine.client_went_away(outcome)
        raise


def past_read_limit(headers: Mapping[str, str], size: int = 0) -> bool:
    """Whether a request's body, `size` bytes or as long as it declares, is past what the
    transport reads (its `oversized` flag: the provider refuses it)."""
    declared = headers.get("content-length", "")
    return size > READ_LIMIT_BYTES or (ascii_digits(declared) and int(declared) > READ_LIMIT_BYTES)


async def _client_leaves_within(receive: Receive, seconds: float) -> bool:
    """Wait out a scripted delay (outside the engine's lock: others go on); True when the
    client goes away meanwhile, as one that times out does."""
    import asyncio  # here: an in-process sync suite never needs an event loop

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass  # what is left of an oversized body the provider did not read

    watcher = asyncio.ensure_future(gone())
    try:
        done, _ = await asyncio.wait({watcher}, timeout=seconds)
    finally:
        watcher.cancel()
    return bool(done)


async def _read_body(
    receive: Receive, headers: Mapping[str, str], timeout: float | None
) -> tuple[bytes, bool] | None:
    """The body, and whether it is over what the transport reads (then the rest stays unread);
    None when the client leaves first. Refused (an ApiError, 408) when it has not arrived
    whole within `timeout` seconds."""
    if past_read_limit(headers):
        return b"", True
    if timeout is None or _bodiless(headers):
        # In process the body is there already (and no event loop may run); a request that
        # declares no body has none to wait for: the server hands it over with the head.
        return await _read_chunks(receive)
    import asyncio  # here: an in-process sync suite never needs an event loop

    read = _TimedRead(asyncio.current_task())
    overdue = Overdue.of(asyncio.get_running_loop())
    overdue.watch(read, timeout, read.expire)
    try:
        return await _read_chunks(receive)
    except BaseException:
        if read.expired:
            raise body_timeout(timeout) from None
        raise
    finally:
        overdue.done(read)
        read.forget()


def _bodiless(headers: Mapping[str, str]) -> bool:
    return headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers


async def _read_chunks(receive: Receive) -> tuple[bytes, bool] | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > READ_LIMIT_BYTES:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


class _TimedRead:
    """A body being read against its deadline: past it, the reading task is cancelled."""

    __slots__ = ("expired", "task")

    def __init__(self, task: Any) -> None:
        self.task = task
        self.expired = False

    def expire(self) -> None:
        self.expired = True
        self.task.cancel()

    def forget(self) -> None:
        uncancel = getattr(self.task, "uncancel", None)  # Python 3.11+: keep the count right
        if self.expired and uncancel is not None:
            uncancel()


# Set while a scripted fault leaves an answer unfinished on purpose: the server's complaint
# about the unfinished answer is then expected, not news (see server.py's log filter). uvicorn
# logs it in the task that ran the app, so the value set here is the one it sees.
SCRIPTED_FAULT: ContextVar[bool] = ContextVar("mockserver_scripted_fault", default=False)


async def send_reply(send: Send, outcome: Outcome, *, close: bool = False) -> None:
    """Send `outcome`; with `close`, the server ends the connection after it."""
    payload = outcome.declared_body()
    raw_headers = response_headers(outcome, payload)
    if close:
        raw_headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": outcome.status, "headers": raw_headers})
    fault = outcome.fault
    if fault is not None and fault.unfinished:
        # Returning without finishing the body makes the server close the connection, which a
        # client sees as a dropped connection (nothing after the headers) or a truncated body.
        SCRIPTED_FAULT.set(True)
        sent = fault.sent(payload)
        if sent:
            await send({"type": "http.response.body", "body": sent, "more_body": True})
        return
    await send({"type": "http.response.body", "body": payload})


class Way(Enum):
    """Which way an HTTP request goes through the app (and whether it may be answered directly)."""

    TOO_LARGE = "a head over the limit"
    FAVICON = "the mock's icon"
    SESSION = "a session"
    PROVIDER = "a provider"
    ADMIN = "the admin API and dashboard"


class MockApp:
    """Provider traffic goes straight to the engine; the admin API (and lifespan) to Starlette.

    The split keeps framework routing and middleware off the path every mocked call takes. The
    server's app also dispatches `/__session/{id}/…` (or `X-Mock-Session: {id}`) to that
    session's own app, the path given to it without the prefix.
    """

    def __init__(
        self,
        engine: MockEngine,
        admin_policy: AdminPolicy | None = None,
        report: ReportTarget | None = None,
        *,
        sessions: Sessions | None = None,
    ) -> None:
        self.engine = engine
        self.providers = ProviderEndpoint(engine)
        self.admin_policy = admin_policy
        self.report = report  # where POST /__admin/report writes (serve --report-dir)
        self.sessions = Sessions(engine) if sessions is None else sessions
        # Only the server's own app hands out sessions; a session's app serves its own world.
        self.owns_sessions = self.sessions.default is engine
        self._session_apps: dict[str, MockApp] = {}
        if self.owns_sessions:
            self.sessions.on_end(self._forget_session)

    @cached_property
    def admin(self) -> Any:
        """The admin API, built (and Starlette imported) on its first request: a test session
        driving the engine in process never pays for it."""
        from starlette.applications import Starlette
        from starlette.routing import Mount

        from mockserver.web.admin import admin_routes, error_handlers, guarded
        from mockserver.web.dashboard_routes import dashboard_routes
        from mockserver.web.guard import AdminPolicy

        routes = admin_routes(self.engine) + dashboard_routes(self.engine)
        app = Starlette(
            routes=[Mount(ADMIN_PREFIX, routes=routes)],
            exception_handlers=error_handlers(),
        )
        app.state.engine = self.engine
        app.state.sessions = self.sessions
        app.state.report = self.report
        return guarded(app, self.admin_policy or AdminPolicy())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        way = Way.ADMIN
        if scope["type"] == "http":
            raw = scope["headers"]
            named = _SESSION_HEADER_BYTES in map(itemgetter(0), raw)
            way = self.way(scope.get("path", ""), headers_size(raw), named)
        if way is Way.TOO_LARGE:
            await self.providers.refuse_head(scope, send)
        elif way is Way.FAVICON:
            await _favicon(scope, send)  # the mock's own: never journaled, never a near miss
        elif way is Way.SESSION:
            await self._in_session(scope, receive, send)
        elif way is Way.PROVIDER:
            await self.providers(scope, receive, send)
        else:
            await self.admin(scope, receive, send)

    def way(self, path: str, headers_size: int, session_header: bool) -> Way:
        """Which way an HTTP request goes, for the ASGI app and the direct answers alike:
        by its path, its headers' size (names and values) and whether it names a session."""
        if headers_size > HEADERS_LIMIT_BYTES:
            return Way.TOO_LARGE
        if path == FAVICON:
            return Way.FAVICON
        if self.owns_sessions and (session_header or path.startswith(SESSION_PREFIX)):
            return Way.SESSION
        return Way.ADMIN if is_admin_path(path) else Way.PROVIDER

    def _session_report(self, session_id: str) -> ReportTarget | None:
        """Where `POST /__session/{id}/__admin/report` writes: the session's own report in
        `sessions/{id}/` of the server's report directory (the server's report, written at its
        end, covers every session)."""
        if self.report is None or self.report.directory is None:
            return self.report
        return replace(self.report, directory=self.report.directory / "sessions" / session_id)

    def direct_target(
        self,
        path: str,
        raw_path: bytes,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        decoded: Mapping[str, str],
        size: int,
    ) -> DirectTarget | None:
        """The engine that answers this request straight from the connection (web/direct.py),
        with the path and query it sees, and for a session's request how to take its engine
        again when the request is answered; None when the request goes through this app: the
        admin API, the favicon, a head over the limit, a session that cannot be had (this app
        answers why). `headers` are the raw pairs, names in lower case, `decoded` the same as
        text, and `size` their names' and values' length."""
        way = self.way(path, size, SESSION_HEADER in decoded)
        if way is Way.PROVIDER:
            return self.engine, path, query, None
        if way is not Way.SESSION:
            return None
        scope = {"path": path, "raw_path": raw_path, "query_string": query, "headers": headers}
        address = session_address(scope)
        if address.path == FAVICON or is_admin_path(address.path):
            return None
        sessions = self.sessions

        def take() -> MockEngine:  # now, and again when the request is answered
            return sessions.get(address.session_id, address.scenarios, create=True)

        try:
            engine = take()
        except MockError:
            return None
        binding = SessionBinding(take, self.engine)
        return engine, address.path, address.scope["query_string"], binding

    def _forget_session(self, session_id: str) -> None:
        self._session_apps.pop(session_id, None)

    async def _in_session(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = session_address(scope)
        # Ending a session that is not live finds nothing to end, and must not make one.
        ends = scope["method"] == "DELETE" and address.path == END_SESSION_PATH
        try:
            engine = self.sessions.get(address.session_id, address.scenarios, create=not ends)
        except MockError as error:  # a bad id, an unknown scenario, no room
            refused = self.engine.refusal(
                MockRequest(scope["method"], address.path),
                ApiError(error.code, error.message, status=error.status),
            )
            await send_reply(send, refused)
            return
        app = self._session_apps.get(address.session_id)
        if app is None or app.engine is not engine:
            report = self._session_report(address.session_id)
            app = self._session_apps[address.session_id] = MockApp(
                engine, self.admin_policy, report, sessions=self.sessions
            )
        await app(address.scope, receive, send)


END_SESSION_PATH = f"{ADMIN_PREFIX}/session"
# Browsers ask every server for it; no provider serves it.
FAVICON = "/favicon.ico"


async def _favicon(scope: Scope, send: Send) -> None:
    if scope["method"] not in ("GET", "HEAD"):
        headers = [(b"allow", b"GET, HEAD"), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 405, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    from importlib.resources import files  # here: 1 ms of every start, for a browser's icon

    icon = files("mockserver.web").joinpath("static").joinpath("favicon.svg").read_bytes()
    headers = [
        (b"content-type", b"image/svg+xml"),
        (b"content-length", str(len(icon)).encode()),
        (b"cache-control", b"max-age=86400"),
        (b"x-content-type-options", b"nosniff"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else icon})


_SESSION_HEADER_BYTES = SESSION_HEADER.encode()


def create_app(
    engine: MockEngine | None = None,
    *,
    admin_policy: AdminPolicy | None = None,
    sessions: Sessions | None = None,
    report: ReportTarget | None = None,
    **engine_options: Any,
) -> MockApp:
    """The mock as an ASGI app; pass an engine to share its state with other surfaces, and
    `sessions` (made on that engine) to set their limits."""
    return MockApp(engine or MockEngine(**engine_options), admin_policy, report, sessions=sessions)
