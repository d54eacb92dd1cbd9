"""Provider requests answered together, once the event loop has read every one that is ready.

A busy server reads many connections in one turn of its event loop. Answering each request
the moment its body is whole interleaves the engine's work with the parsing of the next
request: each engine call then finds its code and data gone from the processor's caches, and
costs about half as much again as the same call made back to back (measured: 74-77 µs a
HuskyVoice cancel in a serving server against 43-48 µs in a loop; the garbage collector was
not the cause). So the connection hands a request whose body is whole to its loop's batch,
and the batch answers all it holds once the turn's reads are done, at the end of the same turn:
no request waits for another turn, and a turn with one request answers it as before.

The batch holds at most one request a connection (a connection's next request waits until
its answer is out, see web/direct.py), so the connection cap bounds it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # only the server's protocol runs this on a loop
    import asyncio

    from mockserver.web.direct import DirectExchange

Answer = Callable[["DirectExchange"], None]


class AnswerBatch:
    """The requests of one event loop's turn that wait to be answered, in the order they came."""

    _by_loop: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AnswerBatch]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # The loop itself is not kept: the registry's values must not keep their keys alive.
        self._waiting: list[tuple[Answer, DirectExchange]] = []

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> AnswerBatch:
        found = cls._by_loop.get(loop)
        if found is None:
            found = cls._by_loop[loop] = cls(loop)
        return found

    def add(
        self, loop: asyncio.AbstractEventLoop, answer: Answer, exchange: DirectExchange
    ) -> None:
        """Have `answer(exchange)` called at the end of this turn of `loop`, the batch's own."""
        if not self._waiting:
            self._schedule(loop)
        self._waiting.append((answer, exchange))

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        # call_soon runs after the callbacks of this turn's reads: every request read in the
        # turn is in the batch by then.
        loop.call_soon(self._answer_all, loop)

    def _answer_all(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting, self._waiting = self._waiting, []
        for answer, exchange in waiting:
            try:
                answer(exchange)
            except Exception as error:  # one connection's failure must not leave the others
                loop.call_exception_handler(
                    {"message": "answering a request failed", "exception": error}
                )
