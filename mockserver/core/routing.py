"""Path templates to operations, with no web framework underneath."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import msgspec

from mockserver.core.exchange import ApiError, MockRequest, clip
from mockserver.core.reply import Reply

_PARAM = re.compile(r"{([a-z_]+)}")


class Call(msgspec.Struct, frozen=True):
    """A routed request: its path parameters, parsed JSON body and query."""

    request: MockRequest
    params: Mapping[str, str]
    body: Any = None
    query: Mapping[str, str] = msgspec.field(default_factory=dict)
    principal: object = None  # what the provider's authorization gave; passed through


class DocSource(msgspec.Struct, frozen=True):
    """Where a provider's documentation states a behaviour: the page's title and the sentence,
    word for word (exported as `x-doc-source`)."""

    page: str
    sentence: str

    def to_json(self) -> dict[str, str]:
        return {"page": self.page, "sentence": self.sentence}


class Examples(msgspec.Struct, frozen=True):
    """The documentation's own examples of an operation, by name (exported as OpenAPI
    `examples`): request bodies, and answers by status."""

    requests: Mapping[str, object] = msgspec.field(default_factory=dict)
    responses: Mapping[int, Mapping[str, object]] = msgspec.field(default_factory=dict)


class Operation(msgspec.Struct, frozen=True):
    """One endpoint of a provider, described once for routing, validation and OpenAPI."""

    operation_id: str
    method: str
    path: str
    summary: str
    handler: Callable[[Any, Call], Reply]
    responses: Mapping[int, str]
    request_schema: str | None = None
    query_schema: str | None = None
    # The form of its path parameters, where a rule about them is one a schema can say.
    path_schema: str | None = None
    scope: str | None = None
    # Error codes it may answer; a (code, status) pair where the code's usual status differs.
    errors: tuple[str | tuple[str, int], ...] = ()
    # The provider's documentation does not describe this operation: the mock infers it.
    inferred: bool = False
    # Where the documentation describes it, and its examples.
    source: DocSource | None = None
    examples: Examples = msgspec.field(default_factory=Examples)
    # OpenAPI links from a success answer to the operation that follows it, by status.
    links: Mapping[int, Mapping[str, object]] = msgspec.field(default_factory=dict)

    def error_statuses(self, defaults: Mapping[str, int]) -> Iterator[tuple[str, int]]:
        for entry in self.errors:
            yield entry if isinstance(entry, tuple) else (entry, defaults.get(entry, 400))

    def pattern(self) -> PathTemplate:
        return compile_template(self.path)


def template_params(template: str) -> list[str]:
    """The parameter names of a path template, in order."""
    return _PARAM.findall(template)


class TemplateError(ValueError):
    """A path template that cannot be used; the message says why, in one line."""


class _Segment(msgspec.Struct, frozen=True):
    """One '/'-separated part of a template: a literal, or `prefix{name}suffix`."""

    prefix: str
    name: str | None = None
    suffix: str = ""


class PathTemplate:
    """`/v1/appointments/{appointment_id}` as a matcher over '/'-separated segments.

    Each segment is compared once, by string operations: no regex, so no path and no template
    can make matching backtrack. A segment holds at most one parameter (two side by side,
    `{a}{b}`, could split a value in many ways), and a parameter's value is never empty.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self._segments = tuple(_segment(part) for part in template.split("/"))
        # The same segments, sorted for matching: literals first (most paths fail on one of
        # them), then each parameter's place with its fixed text around it.
        self._literals = tuple(
            (index, s.prefix) for index, s in enumerate(self._segments) if s.name is None
        )
        self._params = tuple(
            (index, s.name, s.prefix, s.suffix)
            for index, s in enumerate(self._segments)
            if s.name is not None
        )
        names = [s.name for s in self._segments if s.name is not None]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise TemplateError(f"names the parameter {{{repeated[0]}}} more than once")

    @property
    def pattern(self) -> str:
        return self.template

    @property
    def length(self) -> int:
        """How many '/'-separated parts a path of this shape has."""
        return len(self._segments)

    def match(self, path: str) -> dict[str, str] | None:
        """The parameters `path` gives the template, or None when it is not of its shape."""
        if path.count("/") != len(self._segments) - 1:
            return None
        return self.match_parts(path.split("/"))

    def match_parts(self, parts: list[str]) -> dict[str, str] | None:
        """`match` for a path already split at '/' (one split serves every template)."""
        if len(parts) != len(self._segments):
            return None
        for index, literal in self._literals:
            if parts[index] != literal:
                return None
        params: dict[str, str] = {}
        for index, name, prefix, suffix in self._params:
            part = parts[index]
            if len(part) <= len(prefix) + len(suffix):
                return None  # a parameter's value is never empty
            if prefix or suffix:
                if not (part.startswith(prefix) and part.endswith(suffix)):
                    return None
                part = part[len(prefix) : len(part) - len(suffix)]
            params[name] = part
        return params

    search = match  # a template matches whole paths only, like a regex anchored at both ends


def _segment(part: str) -> _Segment:
    found = list(_PARAM.finditer(part))
    if not found:
        return _Segment(part)
    if len(found) > 1:
        raise TemplateError(f"puts more than one parameter in the segment {clip(part, 60)!r}")
    return _Segment(part[: found[0].start()], found[0].group(1), part[found[0].end() :])


def compile_template(template: str) -> PathTemplate:
    """`/v1/appointments/{appointment_id}` -> a matcher giving one value per parameter.

    A test's assertions name the same few templates again and again: those of usual length
    are compiled once (a PathTemplate never changes once made)."""
    if len(template) > _REMEMBERED_PATH_LENGTH:
        return PathTemplate(template)
    return _remembered_template(template)


@functools.lru_cache(maxsize=512)
def _remembered_template(template: str) -> PathTemplate:
    return PathTemplate(template)


# Templates of usual length are compiled once (see compile_template).
_REMEMBERED_PATH_LENGTH = 256

Resolution = tuple[tuple[Operation, Mapping[str, str]], ...]
# A path length's distinct templates, and its operations in declaration order, each with the
# index of its template.
_SameLength = tuple[tuple[PathTemplate, ...], tuple[tuple[int, Operation], ...]]


class Router:
    """Matches method and path against a provider's operations.

    Everything goes through `resolve`: the operations whose template matches a path, with
    their parameters, in declaration order. One request asks about its path several times
    (routing, the response's schema, a scripted answer's checks), so the last path's answer is
    remembered. Only the last: a table of many paths filled with every new Leyr id, and freed
    all at once when full, stalled a busy server for milliseconds and kept the collector busy.
    """

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations = tuple(operations)
        # Templates by their number of segments: a path is matched only against those of its
        # own length (a Leyr path with a new id each time is never tried on the list route).
        # Each distinct template is matched once a path (a GET and a PATCH on one path share
        # theirs); its operations are then taken in declaration order.
        grouped: dict[int, tuple[dict[str, int], list[PathTemplate], list[tuple[int, Operation]]]]
        grouped = {}
        for op in self.operations:
            template = op.pattern()
            index, templates, entries = grouped.setdefault(template.length, ({}, [], []))
            if op.path not in index:
                index[op.path] = len(templates)
                templates.append(template)
            entries.append((index[op.path], op))
        self._by_length: dict[int, _SameLength] = {
            length: (tuple(templates), tuple(entries))
            for length, (_, templates, entries) in grouped.items()
        }
        # One tuple, replaced whole: threads sharing a router never see a path with another's
        # answer.
        self._last: tuple[str, Resolution] = ("", ())

    def resolve(self, path: str) -> Resolution:
        """The operations whose template matches `path`, each with the parameters it gives."""
        last = self._last
        if last[0] == path:
            return last[1]
        parts = path.split("/")
        same = self._by_length.get(len(parts))
        found: Resolution = ()
        if same is not None:
            templates, entries = same
            matched = [template.match_parts(parts) for template in templates]
            found = tuple((op, params) for at, op in entries if (params := matched[at]) is not None)
        self._last = (path, found)
        return found

    def find(self, method: str | None, path: str | None) -> Iterator[Operation]:
        """Operations with this method (any when None) whose template is, or matches, `path`."""
        if path is None:
            yield from (op for op in self.operations if method in (None, op.method))
            return
        matching = {id(op) for op, _ in self.resolve(path)}
        for op in self.operations:
            if method in (None, op.method) and (path == op.path or id(op) in matching):
                yield op

    def operation_for(self, method: str, path: str) -> Operation | None:
        for op, _ in self.resolve(path):
            if op.method == method:
                return op
        return None

    def params_for(self, path: str) -> dict[str, str]:
        """The path parameters of the first operation whose template matches `path`, any method."""
        for _, params in self.resolve(path):
            return dict(params)
        return {}

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        allowed: list[str] = []
        for op, found in self.resolve(path):
            if op.method == method:
                return op, dict(found)
            allowed.append(op.method)
        if allowed:
            methods = ", ".join(sorted(set(allowed)))
            raise ApiError(
                "METHOD_NOT_ALLOWED",
                f"{method} is not allowed on {clip(path, 120)}; allowed: {methods}",
                status=405,
                headers={"Allow": methods},
                off_contract=f"no operation {method} {clip(path, 120)}; the path has {methods}",
            )
        closest = self.closest(method, path)
        raise ApiError(
            "NOT_FOUND",
            f"No route for {method} {clip(path, 120)}. Routes: {self.describe()}",
            status=404,
            off_contract=f"no operation {method} {clip(path, 120)}; "
            f"did you mean {closest.method} {closest.path}?",
        )

    def closest(self, method: str, path: str) -> Operation:
        """The documented operation most like `method path`: the likest path, then the method."""
        from difflib import SequenceMatcher  # here: difflib costs 1.4 ms of every start

        def likeness(op: Operation) -> tuple[float, bool]:
            shape = _PARAM.sub("x", op.path)
            return (SequenceMatcher(None, shape, path).ratio(), op.method == method)

        return max(self.operations, key=likeness)

    def describe(self) -> str:
        return "; ".join(f"{op.method} {op.path}" for op in self.operations)
