"""Provider requests answered by the connection itself, without an ASGI cycle.

Under uvicorn every request is a task, a scope, a receive and two sends, and each send is a
write to the socket: for a mock whose answer is ready the moment the body is in, that is most
of the cost of a request. The server's protocol hands a plain provider request (HTTP/1.1, a
body of known length, nothing to negotiate) to the engine once its body is complete (at the
end of the event loop's turn, with the other requests the turn read: web/batch.py) and writes
the whole answer, head and body, in one write. Everything else (the admin API, the dashboard,
chunked bodies, `Expect: 100-continue`, HEAD, HTTP/1.0, a request pipelined behind one whose
answer a scripted delay holds, a connection whose writes are backed up) goes the ASGI way, and
both ways answer the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from mockserver.core.errors import MockError
from mockserver.core.exchange import ApiError, MockRequest
from mockserver.core.reply import Outcome, wire_headers

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mockserver.engine.facade import MockEngine

RawHeaders = list[tuple[bytes, bytes]]


class SessionBinding(NamedTuple):
    """How a session's request takes its engine again when it is answered (`take`, which
    raises MockError when the session cannot be had), and the server's engine, which words
    that refusal as the app words it for a session it cannot have."""

    take: Callable[[], MockEngine]
    server: MockEngine


# Who answers a request directly: the engine, the path and query it sees, and for a session's
# request its binding (None outside a session).
DirectTarget = tuple["MockEngine", str, bytes, "SessionBinding | None"]

# What a server answers when the mock itself fails: the same words as uvicorn's own.
INTERNAL_ERROR = (
    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 21\r\nconnection: close\r\n\r\nInternal Server Error"
)


def body_timeout(seconds: float) -> ApiError:
    """The refusal of a body that has not arrived whole within `seconds`."""
    return ApiError("REQUEST_TIMEOUT", f"the body did not arrive within {seconds:g} s", status=408)


def request_headers(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """A request's headers as the core reads them: names in lower case, latin-1 text."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


def response_headers(outcome: Outcome, payload: bytes) -> RawHeaders:
    """An answer's headers as written: its content type and length, then its own."""
    content_type = outcome.content_type
    if not outcome.headers:
        return [
            (b"content-type", content_type.encode("latin-1")),
            (b"content-length", b"%d" % len(payload)),
        ]
    return [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in wire_headers(content_type, len(payload), outcome.headers).items()
    ]


def wire_answer(
    outcome: Outcome,
    status_line: bytes,
    default_headers: Sequence[tuple[bytes, bytes]],
    keep_alive: bool,
) -> tuple[bytes, bool]:
    """The answer's bytes as one write, and whether the connection ends after them (asked
    for, or a scripted fault that leaves the answer unfinished)."""
    payload = outcome.declared_body()
    fault = outcome.fault
    defaults, defaults_close = _written_defaults(default_headers)
    if keep_alive and not defaults_close and fault is None and not outcome.headers:
        # The usual answer, in one formatting: most answers are JSON, kept alive, unscripted.
        return b"%s%scontent-type: %s\r\ncontent-length: %d\r\n\r\n%s" % (
            status_line,
            defaults,
            outcome.content_type.encode("latin-1"),
            len(payload),
            payload,
        ), False
    parts = [status_line, defaults]
    for name, value in response_headers(outcome, payload):
        if name == b"connection" and value.lower() == b"close":
            keep_alive = False
        parts += (name, b": ", value, b"\r\n")
    if not keep_alive or defaults_close:
        keep_alive = False
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    if fault is not None and fault.unfinished:
        parts.append(fault.sent(payload))
        return b"".join(parts), True
    parts.append(payload)
    return b"".join(parts), not keep_alive


# The server's default headers as last written, with whether they close the connection. The
# server replaces its list (a new `date` each second), so the list itself is the key.
_written: tuple[Sequence[tuple[bytes, bytes]], bytes, bool] = ((), b"", False)


def _written_defaults(default_headers: Sequence[tuple[bytes, bytes]]) -> tuple[bytes, bool]:
    global _written
    seen, written, closes = _written
    if seen is not default_headers:
        written = b"".join(b"%s: %s\r\n" % pair for pair in default_headers)
        closes = any(
            name == b"connection" and value.lower() == b"close" for name, value in default_headers
        )
        _written = (default_headers, written, closes)
    return written, closes


class _NoEvent:
    """uvicorn wakes a cycle's reader through its event; a direct exchange has no reader."""

    __slots__ = ()

    def set(self) -> None:
        pass


class DirectExchange:
    """One provider request answered directly. It stands in the protocol's `cycle` slot while
    it is in flight, with the fields uvicorn's connection bookkeeping reads and writes
    (`response_complete`, `disconnected`, `keep_alive`, `message_event`), so a request
    pipelined behind it waits its turn the usual way."""

    __slots__ = (
        "batched",
        "chunks",
        "disconnected",
        "engine",
        "headers",
        "keep_alive",
        "method",
        "outcome",
        "path",
        "query",
        "response_complete",
        "session",
        "waiting",
    )
    message_event = _NoEvent()

    def __init__(
        self,
        engine: MockEngine,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        keep_alive: bool,
        session: SessionBinding | None = None,
    ) -> None:
        self.engine = engine
        self.session = session
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.keep_alive = keep_alive
        self.chunks: list[bytes] = []  # joined once whole: a body in many reads is copied once
        self.response_complete = False
        self.disconnected = False
        self.outcome: Outcome | None = None  # set while a scripted delay holds the answer
        self.waiting: object | None = None  # the task that waits the delay out
        self.batched = False  # waiting in its event loop's batch (web/batch.py)

    def request(self, *, with_body: bool = True) -> MockRequest:
        body = b"".join(self.chunks) if with_body else b""
        return MockRequest(self.method, self.path, self.query, self.headers, body)

    def answer(self) -> Outcome:
        """What the engine answers the whole request."""
        request = self.request()
        session = self.session
        if session is not None:
            # A session's engine is taken again now: the session may have ended since the
            # head came (ended by a request answered meanwhile, or idle past its time to live),
            # and a request to an ended session starts it anew, as it would arriving now.
            try:
                self.engine = session.take()
            except MockError as error:  # it cannot be started again (the server is full)
                refused = ApiError(error.code, error.message, status=error.status)
                return session.server.refusal(MockRequest(self.method, self.path), refused)
        return self.engine.handle(request)

    def refuse_slow_body(self, seconds: float) -> Outcome:
        """The engine's refusal of a body still incomplete after `seconds` (as the ASGI way
        records it: the head, no body)."""
        self.keep_alive = False
        return self.engine.refusal(self.request(with_body=False), body_timeout(seconds))
