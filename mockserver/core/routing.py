"""Path templates to operations, with no web framework underneath."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from mockserver.core.exchange import ApiError, MockRequest, Reply, clip

_PARAM = re.compile(r"{([a-z_]+)}")


@dataclass(frozen=True)
class Call:
    """A routed request: its path parameters, parsed JSON body and query."""

    request: MockRequest
    params: Mapping[str, str]
    body: Any = None
    query: Mapping[str, str] = field(default_factory=dict)
    principal: Any = None


@dataclass(frozen=True)
class Operation:
    """One endpoint of a provider, described once for routing, validation and OpenAPI."""

    operation_id: str
    method: str
    path: str
    summary: str
    handler: Callable[[Any, Call], Reply]
    responses: Mapping[int, str]
    request_schema: str | None = None
    query_schema: str | None = None
    scope: str | None = None
    # Error codes it may answer; a (code, status) pair where the code's usual status differs.
    errors: tuple[str | tuple[str, int], ...] = ()
    # The provider's documentation does not describe this operation: the mock infers it.
    inferred: bool = False

    def error_statuses(self, defaults: Mapping[str, int]) -> Iterator[tuple[str, int]]:
        for entry in self.errors:
            yield entry if isinstance(entry, tuple) else (entry, defaults.get(entry, 400))

    def pattern(self) -> re.Pattern[str]:
        return compile_template(self.path)


def template_params(template: str) -> list[str]:
    """The parameter names of a path template, in order."""
    return _PARAM.findall(template)


def compile_template(template: str) -> re.Pattern[str]:
    """`/v1/appointments/{appointment_id}` -> a regex with one named group per parameter."""
    parts, position = [], 0
    for found in _PARAM.finditer(template):
        parts.append(re.escape(template[position : found.start()]))
        parts.append(f"(?P<{found.group(1)}>[^/]+)")
        position = found.end()
    parts.append(re.escape(template[position:]))
    return re.compile("^" + "".join(parts) + "$")


class Router:
    """Matches method and path against a provider's operations."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations = tuple(operations)
        self._compiled = [(op.pattern(), op) for op in self.operations]

    def find(self, method: str | None, path: str | None) -> Iterator[Operation]:
        """Operations with this method (any when None) whose template is, or matches, `path`."""
        for pattern, op in self._compiled:
            if method not in (None, op.method):
                continue
            if path is None or path == op.path or pattern.match(path):
                yield op

    def operation_for(self, method: str, path: str) -> Operation | None:
        for pattern, op in self._compiled:
            if op.method == method and pattern.match(path):
                return op
        return None

    def params_for(self, path: str) -> dict[str, str]:
        """The path parameters of the first operation whose template matches `path`, any method."""
        for pattern, _ in self._compiled:
            found = pattern.match(path)
            if found is not None:
                return found.groupdict()
        return {}

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        allowed: list[str] = []
        for pattern, op in self._compiled:
            found = pattern.match(path)
            if found is None:
                continue
            if op.method == method:
                return op, found.groupdict()
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

        def likeness(op: Operation) -> tuple[float, bool]:
            shape = _PARAM.sub("x", op.path)
            return (SequenceMatcher(None, shape, path).ratio(), op.method == method)

        return max(self.operations, key=likeness)

    def describe(self) -> str:
        return "; ".join(f"{op.method} {op.path}" for op in self.operations)
