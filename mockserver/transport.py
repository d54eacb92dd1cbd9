"""httpx transports that call the mock's ASGI app in-process: no socket, same state and journal."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message

T = TypeVar("T")


def _scope(request: httpx.Request) -> dict[str, Any]:
    url = request.url
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": httpx.URL(url.raw_path.split(b"?")[0].decode("ascii")).path,
        "raw_path": url.raw_path.split(b"?")[0],
        "root_path": "",
        "query_string": url.query,
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        "client": ("127.0.0.1", 0),
        # No browser can reach an in-process app: the admin API's Host and Origin checks,
        # which guard sockets, do not apply.
        "extensions": {"mockserver.in_process": {}},
    }


async def _call(app: ASGIApp, request: httpx.Request, body: bytes) -> httpx.Response:
    sent = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
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

    await app(_scope(request), receive, send)
    if not complete:
        # What a socket client sees when the server closes mid-answer.
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body", request=request
        )
    return httpx.Response(status, headers=headers, content=b"".join(chunks), request=request)


async def _timed(
    answer: Coroutine[Any, Any, httpx.Response], request: httpx.Request
) -> httpx.Response:
    """The client's read timeout, as a socket would enforce it: a slow scripted answer
    (`delay_ms`) times out in process exactly as it does over HTTP."""
    timeout = request.extensions.get("timeout", {}).get("read")
    if timeout is None:
        return await answer
    try:
        return await asyncio.wait_for(answer, timeout)
    except asyncio.TimeoutError:
        raise httpx.ReadTimeout(
            "timed out waiting for the mock's answer", request=request
        ) from None


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
        return self._run(_timed(_call(self.app, request, body), request))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return await _timed(_call(self.app, request, body), request)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            with self._lock:
                if self._loop is None:
                    self._loop = asyncio.new_event_loop()
                return self._loop.run_until_complete(coroutine)
        if self._helper is None:
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
        self._sync = httpx.HTTPTransport()
        # No pooled connections: an async client may outlive the event loop that opened one.
        self._async = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    def _forward(self, request: httpx.Request) -> None:
        url = request.url.copy_with(
            scheme=self._server.scheme, host=self._server.host, port=self._server.port
        )
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
