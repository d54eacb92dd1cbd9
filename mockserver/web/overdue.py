"""Deadlines that are almost never reached, watched cheaply: one check per event loop.

A request's head and body must arrive within their timeouts, but they almost always arrive
at once. A timer a request (or a wait_for task a request) cost a sizeable share of the
mock's own time for that; here being watched is a dictionary entry, and a single check, run
only while something is watched, expires what is past its deadline a few times a timeout
(so at most a quarter of the timeout late).

A connection, which awaits one thing at a time (a head, a body, the next request), is
cheaper still: it joins the watch once and keeps its own deadline in a slot (`Attended`),
so each request only writes a number where a watch would add and remove an entry.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:  # only the server's protocol runs this on a loop; an in-process suite has none
    import asyncio


class Attended(Protocol):
    """Something with a deadline slot, watched for as long as it is attended."""

    # The loop time past which what it awaits is late; 0.0 while it awaits nothing.
    due: float

    def overdue(self) -> None:
        """Called once `due` passes, with `due` set back to 0.0 first."""


class Overdue:
    """What is watched on one event loop, each with its deadline and what to do when past."""

    _by_loop: ClassVar[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Overdue]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weakly: the registry's values must not keep their keys (the loops) alive.
        self._loop_ref = weakref.ref(loop)
        self._watched: dict[Hashable, tuple[float, Callable[[], None]]] = {}
        self._attended: set[Attended] = set()
        self._period: float | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> Overdue:
        found = cls._by_loop.get(loop)
        if found is None:
            found = cls._by_loop[loop] = cls(loop)
        return found

    def watch(self, key: Hashable, seconds: float, expire: Callable[[], None]) -> None:
        """Call `expire` once `seconds` pass, unless `done(key)` comes first."""
        loop = self._loop_ref()
        if loop is None:
            return  # no loop runs this any more: nothing can be late
        self._watched[key] = (loop.time() + seconds, expire)
        self._checked_within(loop, seconds)

    def done(self, key: Hashable) -> None:
        self._watched.pop(key, None)

    def attend(self, attended: Attended, shortest: float) -> None:
        """Watch `attended`'s own deadline slot until `leave`; `shortest` is the shortest
        time it will ever set its deadline ahead by (the check keeps pace with it)."""
        loop = self._loop_ref()
        if loop is None:
            return
        self._attended.add(attended)
        self._checked_within(loop, shortest)

    def leave(self, attended: Attended) -> None:
        self._attended.discard(attended)

    def _checked_within(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        period = min(1.0, seconds / 4)
        if self._period is None or period < self._period:
            self._period = period
            loop.call_later(period, self._check, loop, period)

    def _check(self, loop: asyncio.AbstractEventLoop, period: float) -> None:
        if period != self._period:
            return  # a shorter period took over
        now = loop.time()
        past = [key for key, (deadline, _) in self._watched.items() if deadline <= now]
        expiring = [self._watched.pop(key)[1] for key in past]
        for attended in [a for a in self._attended if 0.0 < a.due <= now]:
            attended.due = 0.0
            expiring.append(attended.overdue)
        # Scheduled before anything expires: one failing expiry must not end the watch.
        if self._watched or self._attended:
            loop.call_later(period, self._check, loop, period)
        else:
            self._period = None
        for expire in expiring:
            try:
                expire()
            except Exception as error:  # reported as the loop reports a failed callback
                loop.call_exception_handler(
                    {"message": "a deadline's expiry failed", "exception": error}
                )
