"""One request pattern for every question asked about a request.

Scripted interactions choose their answer with it, the journal is searched with it (over the
admin API too) and the pytest handle asserts with it, so "matches" means one thing everywhere.
A pattern that does not match says why, field by field (`difference`), which is what near-miss
reports and failed assertions print.
"""

from __future__ import annotations

import json
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping
from typing import Protocol

import msgspec

from mockserver.core.errors import MockError
from mockserver.core.exchange import clip, loads
from mockserver.core.json_value import ascii_digits
from mockserver.core.redaction import SECRET_HEADERS, shortened
from mockserver.core.regex import Regex, RegexError, captured, compile_regex
from mockserver.core.routing import TemplateError, compile_template
from mockserver.core.surface import MAX_BODY_DEPTH

OPERATORS = frozenset({"equals", "regex", "present"})
# The keys a pattern may have, and what each one matches.
FIELDS = (
    "method",
    "path",
    "path_regex",
    "query",
    "headers",
    "body",
    "provider",
    "status",
    "appointment",
)
_ABSENT = object()
# How much of a method and path `rank` compares.
RANKED_LENGTH = 200


class PatternError(MockError, ValueError):
    """A pattern that cannot be used; `field` names where (`body.status.regex`), `reason` what
    is wrong there (the message says both)."""

    field: str

    def __init__(self, field: str, message: str) -> None:
        field = field.lstrip(".")  # a pattern parsed with where="" names its fields bare
        super().__init__(f"{field}: {message}", field=field)
        self.reason = message


class Observed(msgspec.Struct, frozen=True):
    """What a pattern looks at: a request, and for a journal entry also its answer.

    `body` is the parsed JSON body, or `_ABSENT` when there is none or it is not JSON;
    `appointment` is the appointment the path names, as its provider resolves it.
    """

    method: str
    path: str
    query: Mapping[str, str] = msgspec.field(default_factory=dict)
    headers: Mapping[str, str] = msgspec.field(default_factory=dict)
    body: object = _ABSENT
    provider: str | None = None
    status: int | None = None
    appointment: str | None = None


def observed_body(value: object, present: bool) -> object:
    """The body as a pattern sees it: `value` when the request had a JSON body, else absent."""
    return value if present else _ABSENT


class _AbstractRecord(msgspec.StructMeta, ABCMeta):
    """A record type that may have abstract methods: `Value` is both a record and an ABC."""


class Value(msgspec.Struct, frozen=True, metaclass=_AbstractRecord):
    """One expectation about one value: equals, regex, present, "is a mapping" (`{}`), an
    object with these fields (a nested subset), or a list holding these items (a subset, each
    expected item matched by a different actual one, in any order)."""

    @abstractmethod
    def accepts(self, value: object) -> bool: ...

    @abstractmethod
    def describe(self) -> str: ...


class Equals(Value, frozen=True):
    expected: object

    def accepts(self, value: object) -> bool:
        if value is _ABSENT:
            return False
        if isinstance(self.expected, (int, float)) and isinstance(value, str):
            return value == _text(self.expected)  # query and header values are strings
        if isinstance(self.expected, bool) or isinstance(value, bool):
            return value is self.expected  # True is not 1
        return bool(value == self.expected)

    def describe(self) -> str:
        return _show(self.expected)


class Present(Value, frozen=True):
    expected: bool

    def accepts(self, value: object) -> bool:
        return (value is not _ABSENT) == self.expected

    def describe(self) -> str:
        return "present" if self.expected else "absent"


class Matching(Value, frozen=True):
    regex: Regex

    def accepts(self, value: object) -> bool:
        return isinstance(value, (str, int, float)) and bool(self.regex.search(str(value)))

    def describe(self) -> str:
        return f"matching /{self.regex.pattern}/"


class AnObject(Value, frozen=True):
    def accepts(self, value: object) -> bool:
        return isinstance(value, Mapping)

    def describe(self) -> str:
        return "an object"


class WithFields(Value, frozen=True):
    fields: Mapping[tuple[str, ...], Value]
    shown: object  # the pattern as written, for messages

    def accepts(self, value: object) -> bool:
        return isinstance(value, Mapping) and all(
            v.accepts(_lookup(value, p)) for p, v in self.fields.items()
        )

    def describe(self) -> str:
        return f"an object with {_show(self.shown)}"


class Holding(Value, frozen=True):
    items: tuple[Value, ...]
    shown: object  # the pattern as written, for messages

    def accepts(self, value: object) -> bool:
        return isinstance(value, list) and _holds(value, self.items)

    def describe(self) -> str:
        return f"a list holding {_show(self.shown)}"


def _described_header(name: str, value: Value) -> str:
    """An expected header as a description shows it: a credential shortened."""
    if name in SECRET_HEADERS and isinstance(value, Equals):
        return _show(shortened(str(value.expected)))
    return value.describe()


def _holds(actual: list[object], wanted: tuple[Value, ...]) -> bool:
    """Each wanted item matches a different actual item (first free match, in order)."""
    free = list(range(len(actual)))
    for value in wanted:
        index = next((i for i in free if value.accepts(actual[i])), None)
        if index is None:
            return False
        free.remove(index)
    return True


def _text(value: object) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _show(value: object) -> str:
    if value is _ABSENT:
        return "absent"
    return clip(json.dumps(value, ensure_ascii=False, default=str), 60)


def _value(raw: object, where: str) -> Value:
    """A plain value means equals; `{equals|regex|present: …}` is an operator."""
    if isinstance(raw, Mapping) and len(raw) == 1 and next(iter(raw)) in OPERATORS:
        ((kind, expected),) = raw.items()
        if kind == "regex":
            if not isinstance(expected, str):
                raise PatternError(f"{where}.regex", "takes a string")
            try:
                return Matching(compile_regex(expected))
            except RegexError as error:
                raise PatternError(f"{where}.regex", str(error)) from None
        if kind == "present":
            if not isinstance(expected, bool):
                raise PatternError(f"{where}.present", "takes true or false")
            return Present(expected)
        return Equals(expected)
    return Equals(raw)


def _body(
    raw: object, where: str, prefix: tuple[str, ...] = (), depth: int = 0
) -> dict[tuple[str, ...], Value]:
    """Body expectations by JSON path. Keys may be dotted (`confirmation.code`) or nested
    (`{confirmation: {code: …}}`): both mean the same subset of the body. A list expects a
    list holding those items (`{"equals": [...]}` for exactly that list)."""
    if not isinstance(raw, Mapping):
        raise PatternError(where, "is an object of fields to expect")
    if depth + len(prefix) > MAX_BODY_DEPTH:
        raise PatternError(where, f"nests more than {MAX_BODY_DEPTH} levels")
    found: dict[tuple[str, ...], Value] = {}
    for key, value in raw.items():
        path = (*prefix, *str(key).split("."))
        found.update(_expectation(value, f"{where}.{key}", path, depth))
    return found


def _expectation(
    value: object, at: str, path: tuple[str, ...], depth: int
) -> dict[tuple[str, ...], Value]:
    if _is_operator(value):
        return {path: _value(value, at)}
    if isinstance(value, Mapping):
        return _body(value, at, path, depth) if value else {path: AnObject()}
    if isinstance(value, list):
        return {path: _items(value, at, depth + len(path))}
    return {path: _value(value, at)}


def _is_operator(value: object) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in OPERATORS


def _items(raw: list[object], where: str, depth: int) -> Value:
    """A list pattern: each item a value, an operator, an object subset or a list again."""
    if depth > MAX_BODY_DEPTH:
        raise PatternError(where, f"nests more than {MAX_BODY_DEPTH} levels")
    wanted: list[Value] = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        if _is_operator(item):
            wanted.append(_value(item, at))
        elif isinstance(item, Mapping):
            fields = _body(item, at, (), depth + 1)
            wanted.append(WithFields(fields, item) if fields else AnObject())
        elif isinstance(item, list):
            wanted.append(_items(item, at, depth + 1))
        else:
            wanted.append(Equals(item))
    return Holding(tuple(wanted), raw)


def _lookup(body: object, path: tuple[str, ...]) -> object:
    value = body
    for part in path:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and ascii_digits(part) and int(part) < len(value):
            value = value[int(part)]
        else:
            return _ABSENT
    return value


def _named(raw: object, where: str, *, lower: bool = False) -> dict[str, Value]:
    if not isinstance(raw, Mapping):
        raise PatternError(where, "is an object of names to expected values")
    return {
        (str(k).lower() if lower else str(k)): _value(v, f"{where}.{k}") for k, v in raw.items()
    }


class PathMatcher(Protocol):
    """A path template or a path regex: the parameters it captures, or None."""

    def search(self, path: str) -> Mapping[str, str] | None: ...


class _RegexPath(msgspec.Struct, frozen=True):
    regex: Regex

    def search(self, path: str) -> Mapping[str, str] | None:
        found = self.regex.search(path)
        return None if found is None else captured(found)


class RequestPattern(msgspec.Struct, frozen=True):
    """Every field is optional; an empty pattern matches every request."""

    method: str | None = None
    path: PathMatcher | None = None
    path_text: str | None = None
    query: Mapping[str, Value] = msgspec.field(default_factory=dict)
    headers: Mapping[str, Value] = msgspec.field(default_factory=dict)
    body: Mapping[tuple[str, ...], Value] = msgspec.field(default_factory=dict)
    provider: str | None = None
    status: int | None = None
    status_class: int | None = None  # 4 for "4xx"
    appointment: str | None = None

    def match(self, seen: Observed) -> dict[str, str] | None:
        """The path parameters the pattern's template captured, or None when it does not match."""
        if self.method is not None and seen.method != self.method:
            return None
        params: dict[str, str] = {}
        if self.path is not None:
            found = self.path.search(seen.path)
            if found is None:
                return None
            params = dict(found)
        if self._fields_differ(seen):
            return None
        return params

    def _fields_differ(self, seen: Observed) -> bool:
        return (
            (self.provider is not None and seen.provider != self.provider)
            or (self.status is not None and seen.status != self.status)
            or (self.status_class is not None and _class_of(seen.status) != self.status_class)
            or (self.appointment is not None and seen.appointment != self.appointment)
            or any(not v.accepts(seen.query.get(k, _ABSENT)) for k, v in self.query.items())
            or any(not v.accepts(seen.headers.get(k, _ABSENT)) for k, v in self.headers.items())
            or any(not v.accepts(_lookup(seen.body, p)) for p, v in self.body.items())
        )

    def matches(self, seen: Observed) -> bool:
        return self.match(seen) is not None

    def difference(self, seen: Observed, *, secrets: bool = False) -> list[str]:
        """Each way `seen` misses the pattern, worded for a person; [] when it matches.
        Credentials (expected and got) are shortened unless `secrets`."""
        out: list[str] = []

        def expect(name: str, wanted: object, got: object) -> None:
            if wanted is not None and wanted != got:
                out.append(f"{name}: expected {_show(wanted)}, got {_show(got)}")

        expect("method", self.method, seen.method)
        if self.path is not None and self.path.search(seen.path) is None:
            out.append(f"path: expected {self.path_text}, got {clip(seen.path, 120)}")
        expect("provider", self.provider, seen.provider)
        expect("status", self.status, seen.status)
        if self.status_class is not None and _class_of(seen.status) != self.status_class:
            out.append(f"status: expected {self.status_class}xx, got {_show(seen.status)}")
        expect("appointment", self.appointment, seen.appointment)
        for kind, expected, actual in (
            ("query", self.query, seen.query),
            ("header", self.headers, seen.headers),
        ):
            for name, value in expected.items():
                got = actual.get(name, _ABSENT)
                if value.accepts(got):
                    continue
                wanted, shown_got = value.describe(), _show(got)
                if kind == "header" and not secrets and name in SECRET_HEADERS:
                    wanted = (
                        _show(shortened(str(value.expected)))
                        if isinstance(value, Equals)
                        else wanted
                    )
                    shown_got = _show(shortened(got)) if isinstance(got, str) else shown_got
                out.append(f"{kind} {name}: expected {wanted}, got {shown_got}")
        for path, value in self.body.items():
            got = _lookup(seen.body, path)
            if not value.accepts(got):
                out.append(f"body.{'.'.join(path)}: expected {value.describe()}, got {_show(got)}")
        return out

    def rank(self, seen: Observed) -> tuple[int, float]:
        """Sort key, closest first: fewest differences, then the most alike method and path."""
        return self.ranker()(seen)

    def ranker(self) -> Callable[[Observed], tuple[int, float]]:
        """`rank` for many requests in a row: the pattern's side of the likeness is indexed
        once, and each distinct method and path compared once."""
        # Clipped: likeness of two long texts costs their product, and the start tells enough.
        target = clip(f"{self.method or ''} {self.path_text or ''}", RANKED_LENGTH)
        import difflib  # here: difflib costs 1.4 ms of every start, and few runs rank

        matcher = difflib.SequenceMatcher(None, b=target)  # b is the side it indexes
        likeness: dict[str, float] = {}

        def rank(seen: Observed) -> tuple[int, float]:
            text = f"{seen.method} {clip(seen.path, RANKED_LENGTH)}"
            if text not in likeness:
                matcher.set_seq1(text)
                likeness[text] = matcher.ratio()
            return (len(self.difference(seen)), -likeness[text])

        return rank

    def describe(self) -> str:
        """The pattern in one line, as a failure message names it."""
        parts = [self.method or "any method", self.path_text or "any path"]
        extra = [
            f"{name}={value!r}"
            for name, value in (
                ("provider", self.provider),
                ("status", self.status),
                ("status", self.status_class and f"{self.status_class}xx"),
                ("appointment", self.appointment),
            )
            if value is not None
        ]
        extra += [f"query {k} {v.describe()}" for k, v in self.query.items()]
        extra += [f"header {k} {_described_header(k, v)}" for k, v in self.headers.items()]
        extra += [f"body.{'.'.join(p)} {v.describe()}" for p, v in self.body.items()]
        return " ".join(parts) + (f" ({', '.join(extra)})" if extra else "")


def parse_pattern(raw: Mapping[str, object], *, where: str = "match") -> RequestPattern:
    """A pattern from its JSON form (a scenario's `match`, an admin query, a fixture call)."""
    unknown = sorted(set(raw) - set(FIELDS), key=str)
    if unknown:
        raise PatternError(f"{where}.{unknown[0]}", f"unknown field; known: {', '.join(FIELDS)}")
    path_text, path = _path(raw, where)
    method = _string(raw, "method", where, "is an HTTP method name")
    status, status_class = _status(raw.get("status"), where)
    provider = _string(raw, "provider", where)
    appointment = _string(raw, "appointment", where)
    return RequestPattern(
        method=method.upper() if method else None,
        path=path,
        path_text=path_text,
        query=_named(raw.get("query", {}), f"{where}.query"),
        headers=_named(raw.get("headers", {}), f"{where}.headers", lower=True),
        body=_body(raw.get("body", {}), f"{where}.body"),
        provider=provider,
        status=status,
        status_class=status_class,
        appointment=appointment,
    )


def _string(
    raw: Mapping[str, object], name: str, where: str, meaning: str = "is a string"
) -> str | None:
    """A field that, when given, is a string."""
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise PatternError(f"{where}.{name}", meaning)
    return value


def _status_class(text: str) -> int | None:
    """The class a text such as `4xx` names (4), or None."""
    if len(text) == 3 and text[0] in "12345" and text[1:].lower() == "xx":
        return int(text[0])
    return None


def _status(raw: object, where: str) -> tuple[int | None, int | None]:
    """A status code (`404`) or a class of them (`"4xx"`): (code, class)."""
    if raw is None:
        return None, None
    if isinstance(raw, str) and _status_class(raw) is not None:
        return None, _status_class(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise PatternError(
            f"{where}.status", "is an HTTP status code (a whole number) or a class such as 4xx"
        )
    return raw, None


def _class_of(status: int | None) -> int | None:
    return None if status is None else status // 100


def _path(raw: Mapping[str, object], where: str) -> tuple[str | None, PathMatcher | None]:
    """`path` is exact or a template (`/v1/appointments/{id}`); `path_regex` a regex."""
    if "path" in raw and "path_regex" in raw:
        raise PatternError(where, "give path or path_regex, not both")
    path = _string(raw, "path", where)
    if path is not None:
        try:
            return path, compile_template(path)
        except TemplateError as error:
            raise PatternError(f"{where}.path", str(error)) from None
    text = _string(raw, "path_regex", where)
    if text is not None:
        try:
            return f"/{text}/", _RegexPath(compile_regex(text))
        except RegexError as error:
            raise PatternError(f"{where}.path_regex", str(error)) from None
    return None, None


# A pattern in a URL's query string (GET /__admin/requests?…): plain fields as they are,
# query, headers and body as JSON.
_JSON_FIELDS = ("query", "headers", "body")


def pattern_to_query(raw: Mapping[str, object]) -> dict[str, str]:
    return {
        name: json.dumps(value) if name in _JSON_FIELDS else str(value)
        for name, value in raw.items()
        if value is not None
    }


def pattern_from_query(params: Mapping[str, str]) -> RequestPattern:
    raw: dict[str, object] = {}
    for name, text in params.items():
        if name in _JSON_FIELDS:
            try:
                raw[name] = loads(text.encode())
            except ValueError as error:
                raise PatternError(name, f"is JSON: {error}") from None
        elif name == "status":
            if _status_class(text) is not None:
                raw[name] = text
            elif ascii_digits(text):
                raw[name] = int(text)
            else:
                raise PatternError(
                    name, f"is an HTTP status code or a class such as 4xx, got {clip(text, 40)!r}"
                )
        else:
            raw[name] = text
    return parse_pattern(raw, where="")
