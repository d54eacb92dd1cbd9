"""The HTTP protocol under uvicorn, with the limits a hostile client meets before the app does.

uvicorn keeps every connection as long as its client likes and buffers a request's head
whole, however large: thousands of connections that never finish their headers exhaust the
file descriptors, and 19 MB of headers sit in memory. Here a connection past the cap is
refused at once, a head that does not arrive whole within a deadline is dropped with a 408,
and a head past a hard size is refused with a 431 while it is read (the app refuses smaller
ones, from 64 KiB, in the provider's envelope).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockserver.web.overdue import Overdue

if TYPE_CHECKING:
    import asyncio

# Open connections at once; one more is answered 503 and closed.
MAX_CONNECTIONS = 1_000
# Seconds from the first byte of a request (or the connection) to the end of its headers.
HEAD_TIMEOUT_SECONDS = 10.0
# A request line and headers past this are refused while they arrive.
HEAD_LIMIT_BYTES = 1024 * 1024

_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large", 503: b"Busy"}


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a connection cap, a head deadline and a head size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused = False
        self._head_bytes = 0
        self._overdue = Overdue.of(self.loop)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > MAX_CONNECTIONS:
            self._refuse(503, f"more than {MAX_CONNECTIONS} connections are open")
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def on_message_begin(self) -> None:
        if self._refused:
            return
        self._head_bytes = 0
        self._arm()
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        if self._counted(len(url)):
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._counted(len(name) + len(value)):
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm()
        if not self._refused:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def _counted(self, size: int) -> bool:
        """Whether the head may go on after `size` more bytes (refused once past the limit)."""
        if self._refused:
            return False
        self._head_bytes += size
        if self._head_bytes > HEAD_LIMIT_BYTES:
            self._refuse(431, f"the request's head passes {HEAD_LIMIT_BYTES} bytes")
            return False
        return True

    def _arm(self) -> None:
        self._overdue.watch(self, HEAD_TIMEOUT_SECONDS, self._head_overdue)

    def _disarm(self) -> None:
        self._overdue.done(self)

    def _head_overdue(self) -> None:
        if self.cycle is None or self.cycle.response_complete:  # waiting for a head
            self._refuse(408, f"the request's headers did not arrive in {HEAD_TIMEOUT_SECONDS:g} s")

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` with a JSON error, close, and read nothing more."""
        self._refused = True
        self._disarm()
        if self.transport.is_closing():
            return
        body = (
            b'{"error":{"code":"' + _REASONS[status].upper().replace(b" ", b"_") + b'",'
            b'"message":"' + message.encode() + b'"}}'
        )
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, _REASONS[status], len(body), body)
        )
        self.transport.close()
