"""httpx transports that call the mock's ASGI app in-process: no socket, same state and journal."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, TypedDict, TypeVar
from urllib.parse import unquote

import httpx

from mockserver.core.exchange import MockRequest
from mockserver.core.surface import SESSION_HEADER, SESSION_PREFIX, is_admin_path
from mockserver.web.app import (
    MockApp,
    Way,
    headers_size,
    past_read_limit,
    refusal_body,
    url_too_long,
    wait_out,
)
from mockserver.web.direct import request_headers, response_headers
from mockserver.web.guard import IN_PROCESS

if TYPE_CHECKING:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from starlette.types import ASGIApp, Message, Scope

T = TypeVar("T")
# A coroutine as an event loop drives it: sent None each step, its result returned at the end.
Driven = Coroutine[object, None, T]


class InProcess(TypedDict, total=False):
    """The scope extension that marks an in-process call (`web.guard.IN_PROCESS`)."""

    wait: Callable[[float], None]  # a scripted delay, done as the client's socket would


def _path_of(url: httpx.URL) -> tuple[bytes, str]:
    """A request's path as sent (without its query) and as the app reads it (unescaped)."""
    raw_path = url.raw_path.split(b"?")[0]
    return raw_path, unquote(raw_path.decode("ascii"))


def _scope(request: httpx.Request, in_process: InProcess) -> Scope:
    url = request.url
    raw_path, path = _path_of(url)
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": path,
        "raw_path": raw_path,
        "root_path": "",
        "query_string": url.query,
        "headers": _raw_headers(request),
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        "client": ("127.0.0.1", 0),
        # No browser can reach an in-process app: the admin API's Host and Origin checks,
        # which guard sockets, do not apply.
        "extensions": {IN_PROCESS: in_process},
    }


def _raw_headers(request: httpx.Request) -> list[tuple[bytes, bytes]]:
    return [(k.lower(), v) for k, v in request.headers.raw]


def _refused_url(request: httpx.Request) -> httpx.Response | None:
    """The 414 the server's connection answers a URL too long for its parser (closing it),
    or None: the same limit and the same answer in process."""
    too_long = url_too_long(request.url.raw_path)
    if too_long is None:
        return None
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    return httpx.Response(
        414, headers=headers, content=refusal_body(414, too_long), request=request
    )


def _unfinished(request: httpx.Request) -> httpx.RemoteProtocolError:
    """What a socket client sees when the server closes mid-answer."""
    return httpx.RemoteProtocolError(
        "peer closed connection without sending complete message body", request=request
    )


def _answered_directly(app: MockApp, request: httpx.Request, body: bytes) -> httpx.Response | None:
    """A provider request answered by the engine at once, as the server's connection answers
    one (web/direct.py): no ASGI scope, receive or send, the same request, journal and bytes.
    None when it goes the app's way (a session, a head over the limit, the favicon)."""
    url = request.url
    _, path = _path_of(url)
    raw = _raw_headers(request)
    headers = request_headers(raw)
    if app.way(path, headers_size(raw), SESSION_HEADER in headers) is not Way.PROVIDER:
        return None
    oversized = past_read_limit(headers, len(body))
    query = url.query.decode("latin-1")
    engine = app.engine
    outcome = engine.handle(
        MockRequest(request.method, path, query, headers, b"" if oversized else body, oversized)
    )
    if outcome.delay:
        wait_out(engine, outcome, _blocking_wait(request))
    fault = outcome.fault
    if fault is not None and fault.unfinished:
        raise _unfinished(request)
    payload = outcome.declared_body()
    answer_headers = response_headers(outcome, payload)
    return httpx.Response(outcome.status, headers=answer_headers, content=payload, request=request)


async def _call(
    app: ASGIApp, request: httpx.Request, body: bytes, in_process: InProcess | None = None
) -> httpx.Response:
    sent = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    answered: asyncio.Event | None = None  # made only if the app listens for a disconnect

    async def receive() -> Message:
        nonlocal sent, answered
        if sent:
            # As a socket's client does: still there until its answer is complete.
            import asyncio

            answered = answered or asyncio.Event()
            if not complete:
                await answered.wait()
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    complete = False

    async def send(message: Message) -> None:
        nonlocal status, headers, complete
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            complete = not message.get("more_body", False)
            if complete and answered is not None:
                answered.set()

    await app(_scope(request, in_process or {}), receive, send)
    if not complete:
        raise _unfinished(request)
    return httpx.Response(status, headers=headers, content=b"".join(chunks), request=request)


async def _timed(answer: Driven[httpx.Response], request: httpx.Request) -> httpx.Response:
    """The client's read timeout, as a socket would enforce it: a slow scripted answer
    (`delay_ms`) times out in process exactly as it does over HTTP."""
    import asyncio

    timeout = request.extensions.get("timeout", {}).get("read")
    if timeout is None:
        return await answer
    try:
        return await asyncio.wait_for(answer, timeout)
    except asyncio.TimeoutError:
        raise httpx.ReadTimeout(
            "timed out waiting for the mock's answer", request=request
        ) from None


def _is_admin(path: str) -> bool:
    """An admin path, a session's (`/__session/{id}/__admin/…`) included: admin routes may
    suspend, so they go through an event loop."""
    if path.startswith(SESSION_PREFIX):
        path = "/" + path[len(SESSION_PREFIX) :].partition("/")[2]
    return is_admin_path(path)


def _blocking_wait(request: httpx.Request) -> Callable[[float], None]:
    """A scripted delay for a sync client: wait, or time out as its socket would."""
    timeout = request.extensions.get("timeout", {}).get("read")

    def wait(seconds: float) -> None:
        if timeout is not None and seconds > timeout:
            time.sleep(timeout)
            raise httpx.ReadTimeout("timed out waiting for the mock's answer", request=request)
        time.sleep(seconds)

    return wait


def _run_eagerly(coroutine: Driven[T]) -> T:
    """Run a coroutine that never suspends, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("the mock's provider route suspended; it must run to its end at once")


class ASGITransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """One transport for `httpx.Client` and `httpx.AsyncClient` over an ASGI app.

    The sync side keeps a private event loop; called from a thread that already runs a
    loop (a sync client inside an async test), it runs the request on a helper thread.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._helper: ThreadPoolExecutor | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        refused = _refused_url(request)
        if refused is not None:
            return refused
        if not _is_admin(request.url.path):
            app = self.app
            if isinstance(app, MockApp):
                answered = _answered_directly(app, request, body)
                if answered is not None:
                    return answered
            # Provider traffic never suspends once a scripted delay blocks (see `_blocking_wait`):
            # it runs to its end in one step, with no event loop to go through.
            answer = _call(self.app, request, body, {"wait": _blocking_wait(request)})
            return _run_eagerly(answer)
        return self._run(_timed(_call(self.app, request, body), request))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        refused = _refused_url(request)
        if refused is not None:
            return refused
        return await _timed(_call(self.app, request, body), request)

    def _run(self, coroutine: Driven[T]) -> T:
        import asyncio  # admin calls only: provider traffic runs without an event loop

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            with self._lock:
                if self._loop is None:
                    self._loop = asyncio.new_event_loop()
                return self._loop.run_until_complete(coroutine)
        if self._helper is None:
            from concurrent.futures import ThreadPoolExecutor  # only inside an async test

            self._helper = ThreadPoolExecutor(1, thread_name_prefix="mockserver-transport")
        return self._helper.submit(asyncio.run, coroutine).result()

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        if self._helper is not None:
            self._helper.shutdown()
            self._helper = None

    async def aclose(self) -> None:
        self.close()


class ForwardingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Plain HTTP to a mock running elsewhere, whatever host a client's base URL names.

    With it, `httpx.Client(transport=…, base_url="http://mock")` reaches the same server as an
    in-process transport would reach the same app, so a suite can switch between the two.
    """

    def __init__(self, server_url: str) -> None:
        self._server = httpx.URL(server_url)
        # A session's address (`…/__session/{id}`) is put in front of paths that lack it.
        self._prefix = self._server.raw_path.split(b"?")[0].rstrip(b"/")
        self._sync = httpx.HTTPTransport()
        # No pooled connections: an async client may outlive the event loop that opened one.
        self._async = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    def _forward(self, request: httpx.Request) -> None:
        url = request.url.copy_with(
            scheme=self._server.scheme, host=self._server.host, port=self._server.port
        )
        if self._prefix and not url.raw_path.startswith(self._prefix + b"/"):
            url = url.copy_with(raw_path=self._prefix + url.raw_path)
        request.url = url
        request.headers["Host"] = url.netloc.decode("ascii")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._forward(request)
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._forward(request)
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()
