"""The journal: every exchange the mock answered, kept compact in a bounded ring.

An entry holds bytes and strings only (no nested dicts), so a full ring costs the garbage
collector next to nothing; it is turned back into JSON when someone reads it.
"""

from __future__ import annotations

import heapq
import itertools
import os
import time
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import msgspec

from mockserver.core.documents import InteractionNote, JournalEntry
from mockserver.core.exchange import (
    NOT_JSON,
    clip,
    deeper_than,
    dumps,
    loads,
    may_nest_deeper,
    query_pairs,
)
from mockserver.core.json_value import JSONValue
from mockserver.core.patterns import Observed, RequestPattern, observed_body
from mockserver.core.redaction import redacted
from mockserver.core.reply import NO_HEADERS, wire_headers
from mockserver.journal.budget import Account, JournalBudget
from mockserver.scenarios.interactions import Interaction

DEFAULT_JOURNAL_SIZE = 10_000
# The memory of a server's journals together, its sessions' included: past it, the oldest
# exchanges go first, from the journal holding most (serve --journal-max-bytes; see budget.py).
DEFAULT_JOURNAL_BYTES = 64 * 1024 * 1024
# What one exchange keeps of each body and of its request headers; the rest is clipped, and
# what was clipped is said where it was (a marker with the original size).
BODY_LIMIT = 64 * 1024
HEADERS_LIMIT = 16 * 1024
CLIPPED_HEADER = "(clipped)"
# What an exchange costs besides its bytes (the object, its strings' headers, the ring's slot).
ENTRY_OVERHEAD = 600
# Deeper bodies are shown as text: orjson writes at most 255 levels, the json module ~1000.
MAX_SHOWN_DEPTH = 128


class Exchange(msgspec.Struct, eq=False, gc=False):
    """One request and its answer, with the evidence a tester needs: when it arrived (wall
    clock and the mock's clock), how long the mock took, and what answered it. Made by
    `Exchange.of`, which clips what is kept and counts its size.

    A journal holds thousands: an entry is never tracked by the garbage collector (it holds
    strings, bytes, tuples and flat dicts, and nothing it holds points back at it, so it is in
    no reference cycle), which keeps the collector's full passes short on a full ring. It
    compares by identity, as a journal's entries are told apart.
    """

    at: str | None
    provider: str | None
    scenario: str | None
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes  # at most BODY_LIMIT of it
    body_size: int
    status: int
    response: bytes | None  # at most BODY_LIMIT of it
    response_size: int
    interaction: InteractionNote | None
    appointment: str | None
    received_at: float  # seconds since the epoch, by the wall clock
    duration_ms: float
    # The answer's headers, kept as parts and assembled when read: recording stays cheap.
    response_type: str
    response_length: int
    response_extra: Mapping[str, str]
    operation: str | None
    # The scripted interactions in force when the request came: the near-miss evidence.
    interactions: tuple[Interaction, ...]
    size: int  # what it costs the byte budget
    id: int = 0
    # Which stretch of state it belongs to: a reset or a scenario load starts another one.
    flow: int = 0
    broke_contract: bool = False
    session: str | None = None  # the session it belongs to; None for the default one
    client_disconnected: bool = False  # set if the client goes away before the answer

    @classmethod
    def of(
        cls,
        at: str | None,
        provider: str | None,
        scenario: str | None,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        status: int,
        response: bytes | None,
        interaction: InteractionNote | None,
        appointment: str | None = None,
        received_at: float = 0.0,
        duration_ms: float = 0.0,
        response_type: str = "application/json",
        response_length: int = 0,
        response_extra: Mapping[str, str] | None = None,
        operation: str | None = None,
        interactions: tuple[Interaction, ...] = (),
    ) -> Exchange:
        """The entry for an exchange: bodies clipped, headers bounded, its size counted. The
        engine passes every argument by position (matching 20 names costs each request)."""
        kept_headers, headers_size = _kept_headers(headers)
        kept_body = body[:BODY_LIMIT]
        # A copy of exact size: orjson's buffers carry kilobytes of slack a ring would keep.
        kept_response = None if response is None else bytes(memoryview(response)[:BODY_LIMIT])
        size = ENTRY_OVERHEAD + len(path) + len(query) + len(kept_body) + headers_size
        size += 0 if kept_response is None else len(kept_response)
        # Positional, in the fields' order: msgspec matches no names then (1.3 µs a request).
        return cls(
            at,
            provider,
            scenario,
            method,
            path,
            query,
            kept_headers,
            kept_body,
            len(body),
            status,
            kept_response,
            0 if response is None else len(response),
            interaction,
            appointment,
            received_at,
            duration_ms,
            response_type,
            response_length,
            response_extra or NO_HEADERS,  # shared: most answers have no headers of their own
            operation,
            interactions,
            size,
        )

    def seen_as(self) -> tuple[object, ...]:
        """What `observed` is made of: two entries equal here look the same to a pattern."""
        return (
            self.method,
            self.path,
            self.query,
            self.headers,
            self.body,
            self.provider,
            self.status,
            self.appointment,
        )

    def observed(self) -> Observed:
        """The exchange as a request pattern sees it (the body parsed again, on demand)."""
        body = _parsed(self.body)
        return Observed(
            method=self.method,
            path=self.path,
            query=dict(query_pairs(self.query)),
            headers=dict(self.headers),
            body=observed_body(body, body is not NOT_JSON),
            provider=self.provider,
            status=self.status,
            appointment=self.appointment,
        )

    def to_json(self, *, secrets: bool = False) -> JournalEntry:
        """The entry as served; credentials are shortened unless `secrets` (see SECRET_HEADERS)."""
        return {
            "id": self.id,
            "session": self.session,
            "at": self.at,
            "received_at": wall_clock_text(self.received_at),
            "duration_ms": round(self.duration_ms, 3),
            "provider": self.provider,
            "scenario": self.scenario,
            "method": self.method,
            "path": self.path,
            "appointment": self.appointment,
            "query": self.query,
            "headers": dict(self.headers) if secrets else redacted(self.headers),
            "body": _decoded(self.body, self.body_size),
            "body_text": self.body.decode("utf-8", "replace") if self.body else None,
            "body_size": self.body_size,
            "status": self.status,
            "response": None
            if self.response is None
            else _decoded(self.response, self.response_size),
            "response_headers": wire_headers(
                self.response_type, self.response_length, self.response_extra
            ),
            "operation": self.operation,
            "interaction": None if self.interaction is None else self.interaction.copy(),
            "broke_contract": self.broke_contract,
            "client_disconnected": self.client_disconnected,
        }


class Stopwatch:
    """When an exchange began, by the wall clock (for people) and a monotonic one (for its
    duration)."""

    __slots__ = ("monotonic", "wall")

    def __init__(self) -> None:
        self.wall = time.time()
        self.monotonic = time.perf_counter()

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.monotonic) * 1000


def wall_clock_text(seconds: float) -> str:
    """An epoch instant as ISO 8601 UTC with milliseconds: `2026-11-28T10:05:51.123Z`."""
    instant = datetime.fromtimestamp(seconds, timezone.utc)
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parsed(data: bytes) -> object:
    """The body as JSON; NOT_JSON when there is none or it is not JSON."""
    if not data:
        return NOT_JSON
    try:
        return loads(data)
    except (ValueError, UnicodeDecodeError):
        return NOT_JSON


def _decoded(data: bytes, size: int) -> JSONValue:
    """A body for people: JSON when it parses (and is shallow enough for any JSON encoder to
    write again), else its text; a clipped one is its first bytes and a marker of its size."""
    if not data:
        return None
    if size > len(data):
        text = data.decode("utf-8", "replace")
        return f"{text}… [clipped: {size} bytes, the first {len(data)} kept]"
    try:
        parsed: JSONValue = loads(data)
    except (ValueError, UnicodeDecodeError):
        return _as_text(data)
    # Counting brackets (in C) spares a usual body the walk of its every container.
    too_deep = may_nest_deeper(data, MAX_SHOWN_DEPTH) and deeper_than(parsed, MAX_SHOWN_DEPTH)
    return _as_text(data) if too_deep else parsed


def _as_text(data: bytes) -> str:
    return clip(data.decode("utf-8", "replace"), BODY_LIMIT)


def _kept_headers(headers: Mapping[str, str]) -> tuple[tuple[tuple[str, str], ...], int]:
    """The request's headers as the journal keeps them, with their size (names and values):
    all of them up to HEADERS_LIMIT bytes, then a marker header saying how many bytes they
    were."""
    size = sum(map(len, headers)) + sum(map(len, headers.values()))
    if size <= HEADERS_LIMIT:
        return tuple(headers.items()), size  # the usual case, measured in C
    kept: list[tuple[str, str]] = []
    room = HEADERS_LIMIT
    total = 0
    for name, value in headers.items():
        total += len(name) + len(value)
        if room > 0:
            kept.append((name[:room], value[: max(room - len(name), 0)]))
            room -= len(name) + len(value)
    if total > HEADERS_LIMIT:
        kept.append((CLIPPED_HEADER, f"{total} bytes of headers, the first {HEADERS_LIMIT} kept"))
    return tuple(kept), sum(map(len, itertools.chain.from_iterable(kept)))


def _open_append(file: Path) -> int:
    """The journal file for appending, readable by its owner only (it holds requests and,
    with --journal-secrets, credentials): created so, or made so if it existed."""
    fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class JournalQuery(msgspec.Struct, frozen=True):
    """Which exchanges to list, and how: a pattern, plus the filters and paging a person
    browsing the journal needs. Ids only grow, so an id is a stable cursor."""

    pattern: RequestPattern | None = None
    status_class: int | None = None  # 4 for 4xx
    since: float | None = None  # received at or after, wall clock, seconds since the epoch
    broke_contract: bool | None = None
    newest_first: bool = False
    cursor: int | None = None  # the last id of the previous page
    limit: int | None = None
    search: str | None = None  # a substring of the path, or the appointment's id
    counted: bool = False  # count every match (Page.matched), not only the page's

    def admits(self, entry: Exchange) -> bool:
        if self.cursor is not None and (
            entry.id >= self.cursor if self.newest_first else entry.id <= self.cursor
        ):
            return False
        return self.matches(entry)

    def matches(self, entry: Exchange) -> bool:
        """Whether the filters take the exchange, wherever the page is."""
        return (
            (self.search is None or _found(self.search, entry))
            and (self.status_class is None or entry.status // 100 == self.status_class)
            and (self.since is None or entry.received_at >= self.since)
            and (self.broke_contract is None or entry.broke_contract == self.broke_contract)
            and (self.pattern is None or self.pattern.matches(entry.observed()))
        )


def _found(search: str, entry: Exchange) -> bool:
    appointment = entry.appointment or ""
    # Leyr's appointments are `<emr>/<id>`: the id alone finds them too.
    return search in entry.path or search in (appointment, appointment.rpartition("/")[2])


class Page(msgspec.Struct, frozen=True):
    entries: list[JournalEntry]
    next_cursor: int | None  # pass as `cursor` for the next page; None on the last one
    matched: int | None = None  # every exchange the filters take, when the query counted them


class JournalSettings(msgspec.Struct, frozen=True):
    """How a journal keeps its exchanges: given once to the engine, handed whole to its recorder
    and, with another `session`, to each session it makes (sharing the one byte budget)."""

    size: int = DEFAULT_JOURNAL_SIZE
    file: Path | None = None  # one JSON line an exchange, appended
    secrets: bool = False
    session: str | None = None
    max_bytes: int = DEFAULT_JOURNAL_BYTES
    # The ledger shared by every journal of a server; by default, one of its own. It is shared
    # state, not a setting: settings alike are equal (and hash alike) whichever ledger they use.
    budget: JournalBudget | None = None

    def _compared(self) -> tuple[object, ...]:
        return (self.size, self.file, self.secrets, self.session, self.max_bytes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JournalSettings) and other.__class__ is self.__class__:
            return self._compared() == other._compared()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._compared())


class Journal:
    """The last `size` exchanges, oldest first, within the byte budget it shares with the
    server's other journals (see budget.py); `total` counts every one ever recorded.

    Clearing empties the listing but not the run's record (`run()`): the last `size` exchanges
    since the start (within the budget too), for a report that covers every test of a run. The
    listing is always the newest part of the run's record, so the bytes held are the record's.
    """

    def __init__(self, settings: JournalSettings | None = None) -> None:
        settings = settings or JournalSettings()
        file, self.size = settings.file, settings.size
        self.session = settings.session  # stamped on every entry: one file may hold several
        self.secrets = settings.secrets  # show credentials in full (serve --journal-secrets)
        self._entries: deque[Exchange] = deque()
        self._run: deque[Exchange] = deque()  # the same objects: no copy is kept
        self.account = Account()
        self.budget = settings.budget or JournalBudget(settings.max_bytes)
        self.budget.join(self)
        self._ids = itertools.count(1)
        self.total = 0
        self.flow = 0  # stamped on each entry; moved on where the state starts afresh
        # The full record, one JSON line an exchange, when a file is named.
        self._sink: int | None = _open_append(file) if file else None

    def record(self, entry: Exchange) -> Exchange:
        entry.id = next(self._ids)
        entry.session = self.session
        entry.flow = self.flow
        budget = self.budget
        with budget.lock:
            self._entries.append(entry)
            self._run.append(entry)
            if len(self._entries) > self.size:
                self._entries.popleft()
            grown = entry.size - (self._run.popleft().size if len(self._run) > self.size else 0)
            # budget.charge, inlined: this runs for every request.
            self.account.held += grown
            budget.total += grown
            if budget.total > budget.max_bytes or budget.released:
                budget.rebalance(self)
        self.total += 1
        if self._sink is not None:
            # One write call per line, before the answer leaves: once a client has its answer,
            # its line is with the operating system, so even a killed server has written it.
            _write_all(self._sink, dumps(entry.to_json(secrets=self.secrets)) + b"\n")
        return entry

    @property
    def held_bytes(self) -> int:
        """What its exchanges cost, as the byte budget counts them."""
        return self.account.held

    def give_up(self, wanted: int, keep_last: bool) -> int:
        """Drop the oldest exchanges until `wanted` bytes are freed or none is left (but the
        last one, when `keep_last`); the bytes freed. The budget calls it, holding its lock."""
        freed = 0
        while freed < wanted and len(self._run) > (1 if keep_last else 0):
            oldest = self._run.popleft()
            freed += oldest.size
            if self._entries and self._entries[0] is oldest:
                self._entries.popleft()
        return freed

    def mark(self, marker: str, details: Mapping[str, object]) -> None:
        """A line in the journal file between exchanges, for what changed the mock's world: a
        reset, a scenario switch, a clock move, a client gone before its answer."""
        if self._sink is not None:
            line: dict[str, object] = {"marker": marker}
            line.update(received_at=wall_clock_text(time.time()), session=self.session, **details)
            _write_all(self._sink, dumps(line) + b"\n")

    def close(self) -> None:
        if self._sink is not None:
            os.close(self._sink)
            self._sink = None

    def entries(self, pattern: RequestPattern | None = None) -> list[JournalEntry]:
        """The exchanges, oldest first; with a pattern, only those it matches."""
        return self.page(JournalQuery(pattern)).entries

    def page(self, query: JournalQuery, entries: list[Exchange] | None = None) -> Page:
        """One page of the exchanges `query` admits, in its order (of `entries` when given:
        a copy taken earlier, so a long search holds no lock)."""
        chosen_from = self.exchanges() if entries is None else entries
        ordered = reversed(chosen_from) if query.newest_first else iter(chosen_from)
        chosen: list[Exchange] = []
        more = False
        for entry in ordered:
            if not query.admits(entry):
                continue
            if len(chosen) == query.limit:  # one more exists: there is a next page
                more = True
                break
            chosen.append(entry)
        matched = sum(map(query.matches, chosen_from)) if query.counted else None
        shown = [e.to_json(secrets=self.secrets) for e in chosen]
        return Page(shown, chosen[-1].id if more else None, matched)

    def exchanges(self) -> list[Exchange]:
        return list(self._entries)

    def run(self) -> list[Exchange]:
        """The last `size` exchanges since the start, whatever was cleared since."""
        return list(self._run)

    def find(self, exchange_id: int) -> Exchange | None:
        """A recent exchange by id (newest first: the one asked for is usually the last)."""
        with self.budget.lock:  # another journal's record may make this one give up exchanges
            for entry in reversed(self._entries):
                if entry.id == exchange_id:
                    return entry
                if entry.id < exchange_id:
                    break
        return None

    def ranked(
        self, pattern: RequestPattern, limit: int, entries: list[Exchange] | None = None
    ) -> list[tuple[JournalEntry, list[str]]]:
        """The `limit` exchanges closest to `pattern`, each with how it differs from it. Each
        exchange's view is dropped once ranked: a search over a full ring keeps `limit`."""
        rank = pattern.ranker()
        pool = self.exchanges() if entries is None else entries
        # A journal repeats its requests (a test suite sends the same few again and again):
        # each distinct one is ranked once, its view and its pattern match made once.
        ranks: dict[tuple[object, ...], tuple[int, float]] = {}

        def ranked_once(entry: Exchange) -> tuple[int, float]:
            seen = entry.seen_as()
            found = ranks.get(seen)
            if found is None:
                found = ranks[seen] = rank(entry.observed())
            return found

        best = heapq.nsmallest(limit, pool, key=ranked_once)
        return [
            (
                entry.to_json(secrets=self.secrets),
                pattern.difference(entry.observed(), secrets=self.secrets),
            )
            for entry in best
        ]

    def clear(self) -> None:
        with self.budget.lock:
            self._entries.clear()


__all__ = [
    "DEFAULT_JOURNAL_BYTES",
    "DEFAULT_JOURNAL_SIZE",
    "NOT_JSON",
    "Exchange",
    "Journal",
    "JournalQuery",
    "JournalSettings",
    "Page",
    "Stopwatch",
]
