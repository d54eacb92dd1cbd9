"""The HTTP protocol under uvicorn, with the limits a hostile client meets before the app does.

uvicorn keeps every connection as long as its client likes and buffers a request's head
whole, however large: thousands of connections that never finish their headers exhaust the
file descriptors, and 19 MB of headers sit in memory. Here a connection past the cap is
refused at once, a head that does not arrive whole within a deadline is dropped with a 408,
and a head past a hard size is refused with a 431 while it is read (the app refuses smaller
ones, from 64 KiB, in the provider's envelope).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote, unquote

import httptools
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from mockserver.core.json_value import ascii_digits
from mockserver.core.reply import Outcome
from mockserver.web import app as web_app
from mockserver.web.app import (
    READ_LIMIT_BYTES,
    REFUSAL_REASONS,
    MockApp,
    refusal_body,
    url_too_long,
)
from mockserver.web.batch import AnswerBatch, answered
from mockserver.web.direct import INTERNAL_ERROR, DirectExchange, wire_answer
from mockserver.web.overdue import Overdue

# Open connections at once; one more is answered 503 and closed.
MAX_CONNECTIONS = 1_000
# Seconds from the first byte of a request (or the connection) to the end of its headers.
HEAD_TIMEOUT_SECONDS = 10.0
# A request line and headers past this are refused while they arrive.
HEAD_LIMIT_BYTES = 1024 * 1024

# What a connection awaits, each with its own deadline (one at a time: see Overdue.attend).
_NOTHING, _HEAD, _BODY, _IDLE = range(4)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a connection cap, a head deadline and a head size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused = False
        self._head_bytes = 0
        self._overdue = Overdue.of(self.loop)
        self._batch = AnswerBatch.of(self.loop)
        self._time = self.loop.time
        # What the connection awaits and by when (loop time; 0.0 for no deadline). An idle
        # keep-alive connection is watched like a late head, not with a timer of its own: a
        # timer set and cancelled for every request costs more than the request's parsing.
        self._awaits = _NOTHING
        self.due = 0.0
        # The provider request whose body is being read, to be answered directly; and the one
        # whose answer a scripted delay holds.
        self._direct: DirectExchange | None = None
        self._delayed: DirectExchange | None = None
        # The whole request waiting in the loop's batch to be answered (see web/batch.py).
        self._batched: DirectExchange | None = None
        # A refusal (it writes and closes) that waits for the answer still on its way.
        self._refusal: Callable[[], None] | None = None
        # The ASGI way's requests received whole whose answers are not out yet, oldest first
        # (a connection's answers go out in order; the direct way's are answered in turn: see
        # _answer_now and _delayed).
        self._owing: deque[RequestResponseCycle] = deque()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > MAX_CONNECTIONS:
            self._refuse(503, f"more than {MAX_CONNECTIONS} connections are open")
            return
        shortest = min(HEAD_TIMEOUT_SECONDS, web_app.BODY_TIMEOUT_SECONDS, self.timeout_keep_alive)
        self._overdue.attend(self, shortest)
        self._awaits, self.due = _HEAD, self._time() + HEAD_TIMEOUT_SECONDS

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        delayed = self._delayed
        if delayed is not None and not delayed.response_complete:
            self._client_went_away(delayed)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def eof_received(self) -> None:
        """The client's end of stream: a half-close, or a client that gave up; the two look
        alike. What it sent whole and the batch holds is answered now; the connection then
        closes, as under uvicorn: an answer a scripted delay holds, or the ASGI way's, is not
        sent (a scripted delay's entry marks its client gone)."""
        self._answer_now()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's answer to a request it cannot parse, after the answers to those before it.
        self._answer_now()
        self._refused = True  # the parser is past use: nothing more is read
        self._after_the_answer(partial(HttpToolsProtocol.send_400_response, self, msg))

    def on_message_begin(self) -> None:
        if self._refused:
            return
        self._answer_now()  # a pipelined request: the one before it is answered first
        self._head_bytes = 0
        self._awaits, self.due = _HEAD, self._time() + HEAD_TIMEOUT_SECONDS
        # What uvicorn's on_message_begin sets but its ASGI scope, built only for a request
        # that goes the ASGI way (see _begin_asgi): a direct answer never reads it.
        self.url = b""
        self.expect_100_continue = False
        self.headers = []

    def on_url(self, url: bytes) -> None:
        if self._counted(len(url)):
            self.url += url
            if (too_long := url_too_long(self.url)) is not None:
                self._refuse(414, too_long)

    def on_header(self, name: bytes, value: bytes) -> None:
        # uvicorn's on_header with the head's size counted (_counted, inlined): it runs for
        # every header of every request.
        if self._refused:
            return
        self._head_bytes += len(name) + len(value)
        if self._head_bytes > HEAD_LIMIT_BYTES:
            self._refuse_large_head()
            return
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._awaits, self.due = _NOTHING, 0.0
        if self._refused:
            return
        exchange = self._direct_exchange()
        if exchange is None:
            self._begin_asgi()
            super().on_headers_complete()
            return
        self.cycle = self._direct = exchange  # type: ignore[assignment]
        if exchange.headers.get("content-length", "0") != "0":
            self._awaits, self.due = _BODY, self._time() + web_app.BODY_TIMEOUT_SECONDS

    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        if self._direct is not None:
            self._direct.chunks.append(body)  # at most READ_LIMIT_BYTES: its length was declared
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        exchange = self._direct
        if exchange is None:
            cycle = self.cycle
            if (
                cycle is not None
                and not cycle.response_complete
                and not self.parser.should_upgrade()
            ):
                self._owing.append(cycle)
            super().on_message_complete()
            return
        self._direct = None
        self._awaits, self.due = _NOTHING, 0.0
        self._batched = exchange
        self._batch.add(self.loop, exchange, self._deliver)  # at the end of this turn

    def _begin_asgi(self) -> None:
        """uvicorn's own start of a request (its ASGI scope), keeping the head read so far."""
        url, headers, expects = self.url, self.headers, self.expect_100_continue
        super().on_message_begin()
        self.url, self.expect_100_continue = url, expects
        self.headers.extend(headers)  # the list the new scope holds

    def on_response_complete(self) -> None:
        """uvicorn's, with the keep-alive deadline watched instead of timed (see __init__), and
        a refusal that waited for this answer sent after it."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._paid()
        self.flow.resume_reading()
        if self.pipeline:  # the requests pipelined behind it, then any refusal or close
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        if self._refusal is not None:
            if not self._answer_on_its_way():  # the last answer owed is out
                refusal, self._refusal = self._refusal, None
                refusal()
        elif self._awaits != _HEAD:  # a head begun behind the answer keeps its own deadline
            self._awaits, self.due = _IDLE, self._time() + self.timeout_keep_alive

    def handle_websocket_upgrade(self) -> None:
        # The connection passes to uvicorn's WebSocket protocol: this one hears no more of it,
        # its connection_lost included, so it leaves the watch now.
        self._stop_watching()
        super().handle_websocket_upgrade()

    def _stop_watching(self) -> None:
        self._overdue.leave(self)
        self._awaits, self.due = _NOTHING, 0.0

    def _unset_keepalive_if_required(self) -> None:
        if self._awaits == _IDLE:
            self._awaits, self.due = _NOTHING, 0.0

    def overdue(self) -> None:
        """What the connection awaited is past its deadline (Overdue calls this)."""
        awaited, self._awaits = self._awaits, _NOTHING
        if awaited == _HEAD:
            self._head_overdue()
        elif awaited == _BODY:
            self._body_overdue()
        elif awaited == _IDLE:
            self.timeout_keep_alive_handler()

    # Provider requests answered directly (see web/direct.py) -----------------------------

    def _direct_exchange(self) -> DirectExchange | None:
        """The request as a direct exchange, or None when it goes the ASGI way."""
        app = self.app
        parser = self.parser
        if (
            self.expect_100_continue
            or self.flow.write_paused  # the ASGI way waits for the client to read
            or (self.cycle is not None and not self.cycle.response_complete)
            or not isinstance(app, MockApp)
            or parser.get_http_version() != "1.1"
            or parser.should_upgrade()
        ):
            return None
        method = parser.get_method().decode("ascii")
        if method == "HEAD":
            return None
        url = httptools.parse_url(self.url)
        path = url.path.decode("ascii")
        if "%" in path:
            path = unquote(path)
        raw = self.headers
        # Names are in lower case already (on_header), so decoding is all that is left.
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
        size = self._head_bytes - len(self.url)  # the names' and values' bytes, counted
        target = app.direct_target(path, url.path, url.query or b"", raw, headers, size)
        if target is None:
            return None
        length = headers.get("content-length", "0")
        framed = "transfer-encoding" not in headers and ascii_digits(length)
        if not framed or int(length) > READ_LIMIT_BYTES:
            return None
        engine, path, query, session = target
        keep_alive = self.parser.should_keep_alive()
        return DirectExchange(
            engine, method, path, query.decode("latin-1"), headers, keep_alive, session
        )

    def _answer_now(self) -> None:
        """Answer the request waiting in the batch now: something else is about to happen on
        this connection, and its answer must come first."""
        exchange = self._batched
        if exchange is None or not self._batch.withdraw(exchange):
            return
        self._deliver(exchange, answered(exchange))

    def _deliver(self, exchange: DirectExchange, outcome: Outcome | Exception) -> None:
        """Send what the engine answered (web/batch.py), or a 500 if the mock failed."""
        if exchange is self._batched:
            self._batched = None
        if isinstance(outcome, Exception):
            self.logger.error("Exception in ASGI application\n", exc_info=outcome)
            self._write(exchange, INTERNAL_ERROR, ends=True)
            return
        if exchange.disconnected:  # the client left while its request waited for its turn
            exchange.engine.client_went_away(outcome)
            return
        if outcome.delay:
            exchange.outcome = outcome
            self._delayed = exchange
            task = self.loop.create_task(self._answer_later(exchange, outcome.delay))
            self.tasks.add(task)  # a graceful shutdown waits for it, as for an ASGI task
            task.add_done_callback(self.tasks.discard)
            exchange.waiting = task
            return
        self._send(exchange, outcome)

    async def _answer_later(self, exchange: DirectExchange, delay: float) -> None:
        await asyncio.sleep(delay)
        self._delayed = None
        if not exchange.disconnected and exchange.outcome is not None:
            self._send(exchange, exchange.outcome)

    def _client_went_away(self, exchange: DirectExchange) -> None:
        """The client left while a scripted delay held its answer: what it asked for was done
        all the same, and the journal says so."""
        exchange.disconnected = True
        self._delayed = None
        waiting = exchange.waiting
        if isinstance(waiting, asyncio.Task):
            waiting.cancel()
        if exchange.outcome is not None:
            exchange.engine.client_went_away(exchange.outcome)

    def _send(self, exchange: DirectExchange, outcome: Outcome) -> None:
        status = outcome.status
        data, ends = wire_answer(
            outcome, STATUS_LINE[status], self.server_state.default_headers, exchange.keep_alive
        )
        self._write(exchange, data, ends)
        if self.access_log:  # uvicorn's line, as its cycle writes it
            target = quote(exchange.path) + (f"?{exchange.query}" if exchange.query else "")
            client = f"{self.client[0]}:{self.client[1]}" if self.client else ""
            self.access_logger.info(
                '%s - "%s %s HTTP/%s" %d', client, exchange.method, target, "1.1", status
            )

    def _write(self, exchange: DirectExchange, data: bytes, ends: bool) -> None:
        exchange.response_complete = True
        if self.transport.is_closing():
            return
        self.transport.write(data)
        if ends:
            self.transport.close()
        self.on_response_complete()  # keep-alive, the next pipelined request, reading resumed

    def _body_overdue(self) -> None:
        exchange = self._direct
        if exchange is None:
            return
        self._direct = None
        self._refused = True  # whatever of the body still comes is not read
        self._send(exchange, exchange.refuse_slow_body(web_app.BODY_TIMEOUT_SECONDS))

    def _counted(self, size: int) -> bool:
        """Whether the head may go on after `size` more bytes (refused once past the limit)."""
        if self._refused:
            return False
        self._head_bytes += size
        if self._head_bytes > HEAD_LIMIT_BYTES:
            self._refuse_large_head()
            return False
        return True

    def _refuse_large_head(self) -> None:
        self._refuse(431, f"the request's head passes {HEAD_LIMIT_BYTES} bytes")

    def _head_overdue(self) -> None:
        # A late head that came behind an answer still on its way is refused once that answer
        # is out (_refuse waits for it).
        self._refuse(408, f"the request's headers did not arrive in {HEAD_TIMEOUT_SECONDS:g} s")

    def _refuse(self, status: int, message: str) -> None:
        """Answer `status` with a JSON error, close, and read nothing more: after the answers
        to the requests before it."""
        self._answer_now()
        self._refused = True
        self._awaits, self.due = _NOTHING, 0.0
        self._after_the_answer(partial(self._write_refusal, status, message))

    def _after_the_answer(self, refuse: Callable[[], None]) -> None:
        """Refuse now, or once the answer still on its way on this connection is out (the ASGI
        way's, or one a scripted delay holds): a refusal never takes the place of the answer
        to a request sent whole before it."""
        pipeline = self.pipeline
        while pipeline and pipeline[0][0].more_body:  # the refused request itself, never whole
            pipeline.popleft()
        if self._answer_on_its_way() or pipeline:
            self._refusal = refuse  # on_response_complete sends it, after the last answer
            return
        refuse()

    def _answer_on_its_way(self) -> bool:
        """Whether the answer to a request this connection received whole is still to come:
        one a scripted delay holds, or the ASGI way's. A request whose body was still arriving
        was never whole: what broke it is refused at once."""
        delayed = self._delayed
        if delayed is not None and not delayed.response_complete:
            return True
        self._paid()
        return bool(self._owing)

    def _paid(self) -> None:
        """Forget the answers owed that are out: the oldest first, as they go out."""
        owing = self._owing
        while owing and owing[0].response_complete:
            owing.popleft()

    def _write_refusal(self, status: int, message: str) -> None:
        if self.transport.is_closing():
            return
        body = refusal_body(status, message)
        reason = REFUSAL_REASONS[status].encode("ascii")
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.transport.close()
