"""The core's request type and the JSON, text and header rules every surface shares."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, Final, NoReturn, TypedDict
from urllib.parse import parse_qsl

import msgspec
import orjson

from mockserver.core.errors import MockError
from mockserver.core.recent import Recent

JSON_TYPE = "application/json"


class _NotJson:
    """The type of NOT_JSON: a body that is empty or no JSON."""

    def __repr__(self) -> str:
        return "NOT_JSON"


NOT_JSON: Final = _NotJson()
_UNREAD = object()


class MockRequest(msgspec.Struct, frozen=True, dict=True):
    """One HTTP request as the core sees it. Header names are lower-case."""

    # dict=True: `body_json` keeps the parsed body in the instance's __dict__.

    method: str
    path: str
    query_string: str = ""
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    body: bytes = b""
    # The body was larger than the transport reads; `body` holds what was read, if anything.
    oversized: bool = False

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def body_json(self) -> object:
        """The body parsed as JSON once for every reader; NOT_JSON when empty or malformed."""
        # Kept in the instance by hand: functools.cached_property takes a lock on every first
        # read before Python 3.12, and every request is a first read.
        known = self.__dict__.get("_body_json", _UNREAD)
        if known is not _UNREAD:
            return known
        value: object = NOT_JSON
        if self.body:
            try:
                value = loads(self.body)
            except (ValueError, UnicodeDecodeError):
                value = NOT_JSON
        self.__dict__["_body_json"] = value
        return value

    def json_or_none(self) -> object:
        value = self.body_json
        return None if value is NOT_JSON else value

    def query_items(self) -> list[tuple[str, str]]:
        return list(query_pairs(self.query_string))


# Query strings up to this length are parsed once and remembered, this many at a time: a
# client repeats its queries (a search page after page), and parsing is a search's main cost.
_REMEMBERED_QUERY_LENGTH = 512
_REMEMBERED_QUERIES = 1024
_parsed_queries: Recent[str, tuple[tuple[str, str], ...]] = Recent(_REMEMBERED_QUERIES)


def query_pairs(query_string: str) -> tuple[tuple[str, str], ...]:
    """A query string's (name, value) pairs in order, blank values kept."""
    if not query_string:
        return ()
    found = _parsed_queries.get(query_string)
    if found is None:
        found = tuple(parse_qsl(query_string, keep_blank_values=True))
        if len(query_string) <= _REMEMBERED_QUERY_LENGTH:
            _parsed_queries.remember(query_string, found)
    return found


class StubFault(Exception):
    """A scripted answer that cannot be given as written: the scenario's or stub's fault, and
    the message names it."""


class ErrorExtra(TypedDict, total=False):
    """What an error carries for its provider's envelope beyond code and message."""

    path: str  # the field at fault
    errors: list[tuple[str, str | None, str]]  # each cause: details, field, code
    emr_error: object  # a scripted error's upstream detail, as the scenario wrote it


class ApiError(MockError):
    """A provider error. `code` names it; the provider maps it to a status and an envelope.

    `status` is only given where the code alone does not decide it; scenarios can remap both.
    """

    status: int | None = None

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        extra: ErrorExtra | None = None,
        off_contract: str | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status)
        # Set when the request itself is outside the provider's documented contract (a route,
        # method or body no operation has): the mock records it as a violation.
        self.off_contract = off_contract
        self.headers = dict(headers or {})
        self.extra: ErrorExtra = extra.copy() if extra else {}


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {clip(text, 20)} is too large to hold")
    return number


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


# Any, as both parsers give it: each reader holds the result as the type it keeps (the
# journal a JSONValue, the admin API a dict of objects, a provider an object to check).
def loads(data: bytes) -> Any:
    """JSON to Python: orjson's speed, the standard library's range for integers of any size.

    ValueError for anything that is not JSON: NaN and Infinity, a number too large for a float
    (1e999), a document nested too deeply. None of them ever reaches a listing or an answer.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(data, parse_float=_finite, parse_constant=_no_constant)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None
        # orjson refuses lone surrogates ("\ud800"); they are not text, so neither do we.
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a string holds a lone surrogate escape, which is not text") from None
        return value


_BYTE_ORDER_MARK = b"\xef\xbb\xbf"


def _repeated_name(pairs: list[tuple[str, object]]) -> str | None:
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            return name
        seen.add(name)
    return None


def sent_json_problem(data: bytes, parsed: object = NOT_JSON) -> str | None:
    """How a JSON body that parses breaks RFC 8259 as sent between systems, or None: a byte
    order mark (§8.1: senders MUST NOT add one), an encoding other than UTF-8 (§8.1: MUST be
    UTF-8), or a member name twice in one object (§4: SHOULD be unique, and parsers then
    disagree on which one counts: a provider may read the other). `parsed`, the body as parsed
    already, spares most bodies a second parse (see `_may_repeat_a_name`)."""
    if data.startswith(_BYTE_ORDER_MARK):
        return "the body starts with a byte order mark, which JSON sent between systems must not"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"the body is not UTF-8, which JSON sent between systems must be: {error}"
    if "\x00" in text:  # no JSON text holds a raw NUL: UTF-16 or UTF-32, which parsers guess
        return "the body is not UTF-8, which JSON sent between systems must be: it holds NUL bytes"
    if not _may_repeat_a_name(data, parsed):
        return None
    repeated: list[str] = []

    def unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
        found = dict(pairs)
        if len(found) < len(pairs):
            repeated.append(_repeated_name(pairs) or "")
        return found

    try:
        json.loads(text, object_pairs_hook=unique)
    except (ValueError, RecursionError):
        return None  # what the caller's parser accepted, this one need not judge again
    if not repeated:
        return None
    return (
        f"the body names {clip(repeated[0], 60)!r} twice in one object; "
        "JSON parsers disagree on which one counts"
    )


def _may_repeat_a_name(data: bytes, parsed: object) -> bool:
    """Whether the body can name a member twice in one object, judged without parsing it again
    (a parse that watches every object costs 5-7 µs a request). Every member sent has its
    colon, and a repeated name leaves the parsed objects one member short of the members sent:
    where the parsed objects hold as many members as the body has colons, none is repeated.
    Colons inside strings (a time of day) only send the body to the full check."""
    colons = data.count(b":")
    if colons < 2:
        return False  # two members at least
    if parsed is NOT_JSON:
        return True
    return _members(parsed, colons) < colons


def _members(value: object, enough: int) -> int:
    """How many members the objects within `value` hold together, counted up to `enough`."""
    children: Iterable[object]
    if isinstance(value, dict):
        found = len(value)
        children = value.values()
    elif isinstance(value, list):
        found = 0
        children = value
    else:
        return 0
    for child in children:
        if found >= enough:
            break
        if isinstance(child, (dict, list)):
            found += _members(child, enough - found)
    return found


def dumps(value: object) -> bytes:
    """Compact UTF-8 JSON, as the providers send it; integers of any size written exactly
    (orjson stops at 64 bits; the standard library takes over for those)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
            "utf-8"
        )


def clip(text: str, limit: int = 80) -> str:
    """Shorten user-supplied text before echoing it in an error message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def may_nest_deeper(body: bytes, limit: int) -> bool:
    """False when the body has too few brackets to nest past `limit` (a count in C, so a
    usual body skips the walk)."""
    return body.count(b"{") + body.count(b"[") > limit


def deeper_than(value: object, limit: int) -> bool:
    """Whether containers nest more than `limit` levels (walked level by level, no recursion)."""
    level: list[object] = [value]
    for _ in range(limit + 1):
        level = [
            child
            for item in level
            if isinstance(item, (dict, list))
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return True


def larger_than(value: object, limit: int) -> bool:
    """Whether `value` takes more than `limit` bytes as JSON (see json_size)."""
    return json_size(value, limit) > limit


def json_size(value: object, limit: int) -> int:
    """About how many bytes `value` takes as JSON, estimated without encoding it; counting
    stops once past `limit`, so a structure that repeats one large part many times (YAML
    aliases) costs no more than the limit to measure."""
    total = 0
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item) + 3
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            total += 2 + len(item)
            pending.extend(item)
        else:
            total += 8  # a number, true, false or null; a huge number is caught when encoded
        if total > limit:
            break
    return total


def non_finite_at(value: object) -> tuple[str | int, ...] | None:
    """Where `value` holds a float JSON has no form for (NaN, an infinity), or None. A body
    built in Python may hold one (no JSON parser gives one): encoded, it becomes `null`, so the
    answer sent is not the one its schema was checked against. Walks what json_size measured."""
    pending: list[tuple[tuple[str | int, ...], object]] = [((), value)]
    while pending:
        at, item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return at
        if isinstance(item, dict):
            pending.extend(((*at, str(key)), inner) for key, inner in item.items())
        elif isinstance(item, list):
            pending.extend(((*at, index), inner) for index, inner in enumerate(item))
    return None


# What a header name may hold (RFC 9110's token characters).
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# Headers that frame the message: the server writes them from the body it sends, so one set
# by hand would cut the answer short or make the client wait for more.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "upgrade"})


def header_problem(name: str, value: str) -> str | None:
    """Why `name: value` cannot be sent as a response header, or None when it can."""
    if not name or not set(name) <= _TOKEN:
        return f"{clip(name, 40)!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
    if name.lower() in FRAMING_HEADERS:
        return f"{name} frames the message; the server sets it"
    if "\r" in value or "\n" in value or "\x00" in value:
        return "a header value is one line: no CR, LF or NUL"
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return "a header value is latin-1 text; this one is not (percent-encode it)"
    return None
