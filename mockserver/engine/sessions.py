"""Sessions: isolated worlds on one server, each a whole engine of its own.

A session has its own active scenarios, state, clocks, journal, violations, outbox, stubs and
coverage; it shares only what is read-only (schemas, providers, the scenario catalog), so making
one reads no file. The server's own engine is the default session. Sessions end when asked, or
after `ttl_seconds` without a request (on the wall clock); at most `max_sessions` live at once,
and a live one is never evicted to make room.

Expired sessions are swept whenever any session is reached or listed, and by `sweep()`, which
the server calls every `sweep_seconds` so that a server nobody calls frees their memory too.
The live sessions are kept least recently used first, so a sweep looks only at the ones it
ends and one more: O(1) amortised.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TypedDict

import msgspec

from mockserver.core.errors import MockError
from mockserver.engine.facade import MockEngine
from mockserver.journal.ring import wall_clock_text

SESSION_ID_RULE = "[A-Za-z0-9._-]{1,64}"
_SESSION_ID = re.compile(SESSION_ID_RULE)
# The name of the server's own engine, when addressed like a session.
DEFAULT_SESSION = "default"
DEFAULT_TTL_SECONDS = 30 * 60
DEFAULT_MAX_SESSIONS = 64
# How often the server sweeps expired sessions when nobody calls it (see `sweep`).
DEFAULT_SWEEP_SECONDS = 30.0


class SessionSummary(TypedDict):
    id: str
    created: str  # wall clock, ISO 8601 UTC
    idle_seconds: float
    requests: int
    violations: int
    scenarios: dict[str, str]  # provider -> active scenario
    journal_bytes: int  # what its journal holds of the server's journal budget


class JournalUse(TypedDict):
    """The server's journals against their shared budget (serve --journal-max-bytes)."""

    bytes: int  # every journal's: the default session's, live sessions' and ended ones' kept
    max_bytes: int
    default_session_bytes: int


class SessionReport(TypedDict):
    id: str
    verdict: str  # "pass" or "fail": whether any exchange broke the contract
    violations: int
    requests: int
    coverage: dict[str, CoverageSummary]


class CoverageSummary(TypedDict):
    covered: int
    total: int
    percent: float


class _Session(msgspec.Struct):
    engine: MockEngine
    created: float
    last_used: float


# Dot segments: every URL normaliser (browsers, curl, httpx, a load balancer's $uri) removes
# them, so `/__session/../v1/…` would reach another session than the one it names.
_DOT_SEGMENTS = (".", "..")


def check_session_id(session_id: str) -> str:
    """`session_id` when it is a session's id; else `400 INVALID_SESSION_ID` naming the rule."""
    if not _SESSION_ID.fullmatch(session_id) or session_id in _DOT_SEGMENTS:
        shown = session_id if len(session_id) <= 80 else session_id[:80] + "…"
        raise MockError(
            f"session id {shown!r} must match {SESSION_ID_RULE} (letters, digits, '.', '_', "
            f"'-'), other than '.' and '..'",
            code="INVALID_SESSION_ID",
            status=400,
        )
    return session_id


class Sessions:
    """The sessions of one server, beside its default engine."""

    def __init__(
        self,
        default: MockEngine,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        wall_clock: Callable[[], float] = time.time,
        sweep_seconds: float | None = None,
    ) -> None:
        self.default = default
        self.ttl_seconds = ttl_seconds
        self.max_sessions = max_sessions
        # The server's period between two sweeps: a session outlives its TTL by at most this.
        self.sweep_seconds = sweep_seconds or min(DEFAULT_SWEEP_SECONDS, max(ttl_seconds, 1.0))
        self._now = wall_clock
        # Least recently used first: the ones a sweep ends are at the front.
        self._live: OrderedDict[str, _Session] = OrderedDict()
        self._lock = threading.Lock()
        # Told the id of each session that ends (asked or expired), to drop what they keep for it.
        self._on_end: list[Callable[[str], None]] = []

    def on_end(self, listener: Callable[[str], None]) -> None:
        self._on_end.append(listener)

    def get(
        self, session_id: str, scenarios: Sequence[str] = (), *, create: bool = True
    ) -> MockEngine:
        """The session's engine, made on first use (on `scenarios`, else the server's defaults);
        with `create=False`, only a live one (else `404 UNKNOWN_SESSION`).

        Raises MockError for a bad id, an unknown scenario name, or a full server.
        """
        if session_id == DEFAULT_SESSION:
            return self.default
        check_session_id(session_id)
        now = self._now()
        with self._lock:
            self._expire(now)
            found = self._live.get(session_id)
            if found is None and not create:
                raise MockError(
                    f"no live session {session_id!r}", code="UNKNOWN_SESSION", status=404
                )
            if found is None:
                found = self._live[session_id] = _Session(
                    self._spawn(session_id, scenarios), now, now
                )
            found.last_used = now
            self._live.move_to_end(session_id)
            return found.engine

    def _spawn(self, session_id: str, scenarios: Sequence[str]) -> MockEngine:
        if len(self._live) >= self.max_sessions:
            raise MockError(
                f"{len(self._live)} sessions are live, the most this server keeps "
                f"(--max-sessions {self.max_sessions}); end one with "
                f"DELETE /__session/<id>/__admin/session or start the server with a higher "
                f"--max-sessions",
                code="SESSION_LIMIT",
                status=503,
            )
        try:
            return self.default.spawn(session_id, scenarios)
        except LookupError as error:  # a name the catalog lacks
            raise MockError(str(error).strip("'\""), code="UNKNOWN_SCENARIO", status=400) from None
        except ValueError as error:  # two scenarios named for one provider
            raise MockError(str(error), code="INVALID_SCENARIOS", status=400) from None

    def end(self, session_id: str) -> bool:
        """End a session (its journal file lines stay); False if there was none."""
        with self._lock:
            found = self._live.pop(session_id, None)
        if found is not None:
            self._closed(session_id, found)
        return found is not None

    def sweep(self) -> int:
        """End the sessions idle past the TTL; how many ended."""
        now = self._now()
        with self._lock:
            return self._expire(now)

    def _expire(self, now: float) -> int:
        ended = 0
        while self._live:
            session_id, oldest = next(iter(self._live.items()))
            if now - oldest.last_used <= self.ttl_seconds:
                break  # every later one was used more recently
            del self._live[session_id]
            self._closed(session_id, oldest)
            ended += 1
        return ended

    def _closed(self, session_id: str, session: _Session) -> None:
        session.engine.close()
        for listener in self._on_end:
            listener(session_id)

    def summaries(self) -> list[SessionSummary]:
        now = self._now()
        with self._lock:
            self._expire(now)
            live = sorted(self._live.items())
        return [_summary(sid, s, now) for sid, s in live]

    def report(self, session_id: str) -> SessionReport | None:
        engine = self.default if session_id == DEFAULT_SESSION else None
        if engine is None:
            with self._lock:
                found = self._live.get(session_id)
            engine = found.engine if found else None
        if engine is None:
            return None
        violations = len(engine.violations())
        return {
            "id": session_id,
            "verdict": "fail" if violations else "pass",
            "violations": violations,
            "requests": engine.requests_seen,
            "coverage": {
                provider: {
                    "covered": part["covered"],
                    "total": part["total"],
                    "percent": part["percent"],
                }
                for provider, part in engine.coverage().items()
            },
        }

    def journal_use(self) -> JournalUse:
        budget = self.default.journal_budget
        return {
            "bytes": budget.held(),
            "max_bytes": budget.max_bytes,
            "default_session_bytes": self.default.journal_bytes,
        }

    def __len__(self) -> int:
        return len(self._live)


class Sweeper:
    """Sweeps a server's expired sessions every `sweep_seconds` from a daemon thread: a server
    nobody calls frees their memory too (otherwise a sweep needs a request to a session)."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mockserver-sweep", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.sessions.sweep_seconds):
            self.sessions.sweep()


def _summary(session_id: str, session: _Session, now: float) -> SessionSummary:
    engine = session.engine
    return {
        "id": session_id,
        "created": wall_clock_text(session.created),
        "idle_seconds": round(now - session.last_used, 3),
        "requests": engine.requests_seen,
        "violations": len(engine.violations()),
        "scenarios": {provider: s.name for provider, s in engine.active().items()},
        "journal_bytes": engine.journal_bytes,
    }
