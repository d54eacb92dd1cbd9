"""Provider requests answered together, once the event loop has read every one that is ready.

A busy server reads many connections in one turn of its event loop. Answering each request
the moment its body was whole put the engine's work between the parsing of one request and
the reading of the next, and each answer's write to its socket between two engine calls: the
kernel's network code and the parser then evicted the engine's code and data from the
processor's caches, and an engine call cost about half as much again as the same call made
back to back (74-77 µs a HuskyVoice cancel in a serving server against 43-48 µs in a loop;
the garbage collector was not the cause).

So a connection hands each request whose body is whole to its loop's batch, and at the end
of the turn, once the turn's reads are done, the batch works in two passes: every request's
answer from the engine, one after the other; then every answer's delivery (its write). No
request waits for another turn, and a turn that read one request answers it as before. At
32 connections this took the server's CPU a request from 65 to 42 µs (HuskyVoice cancels) and
from 79 to 48 µs (Leyr's two steps), level with a bare Starlette route's 43-47 µs (see
docs/performance.md).

A connection takes its request back out of the batch and answers it at once when anything
else is about to happen on it before the turn's end (web/protocol.py): its next request
begins (pipelined), the client half-closes, or the connection refuses what came next (a
malformed request, a head too large). Its answer then goes out first, as it did when every
request was answered at once. So the batch holds at most one request a connection, and the
connection cap bounds it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # only the server's protocol runs this on a loop
    import asyncio

    from mockserver.core.reply import Outcome
    from mockserver.web.direct import DirectExchange

# How a connection delivers what the engine answered its request: the outcome, or the error
# the mock failed with.
Deliver = Callable[["DirectExchange", "Outcome | Exception"], None]


def answered(exchange: DirectExchange) -> Outcome | Exception:
    """What the engine answers `exchange`, or the error the mock failed with."""
    try:
        return exchange.answer()
    except Exception as error:  # the mock failed: its connection says so
        return error


class AnswerBatch:
    """The requests of one event loop's turn that wait to be answered, in the order they came."""

    _by_loop: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AnswerBatch]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self) -> None:
        # The loop itself is not kept: the registry's values must not keep their keys alive.
        self._waiting: list[tuple[DirectExchange, Deliver]] = []

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> AnswerBatch:
        found = cls._by_loop.get(loop)
        if found is None:
            found = cls._by_loop[loop] = cls()
        return found

    def add(
        self, loop: asyncio.AbstractEventLoop, exchange: DirectExchange, deliver: Deliver
    ) -> None:
        """Answer `exchange` and have `deliver` send it, at the end of this turn of `loop`, the
        batch's own."""
        if not self._waiting:
            self._schedule(loop)
        exchange.batched = True
        self._waiting.append((exchange, deliver))

    @staticmethod
    def withdraw(exchange: DirectExchange) -> bool:
        """Take `exchange` back, to be answered by its connection now; False if the batch has
        answered it already (or never held it)."""
        held, exchange.batched = exchange.batched, False
        return held

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        # call_soon runs after the callbacks of this turn's reads: every request read in the
        # turn is in the batch by then.
        loop.call_soon(self._answer_all, loop)

    def _answer_all(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting = [entry for entry in self._waiting if self.withdraw(entry[0])]
        self._waiting = []
        outcomes = [answered(exchange) for exchange, _ in waiting]
        for (exchange, deliver), outcome in zip(waiting, outcomes, strict=True):
            try:
                deliver(exchange, outcome)
            except Exception as error:  # one connection's failure must not leave the others
                loop.call_exception_handler(
                    {"message": "delivering an answer failed", "exception": error}
                )
