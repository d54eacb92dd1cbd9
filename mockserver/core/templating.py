"""Placeholders in scripted responses: `{{body.status}}`, `{{appointment.date}}`, `{{now}}`.

A fixed set of values and an allow-list of faker calls: nothing in a scenario file can run
code, and an unknown placeholder is found when the file loads, not when a request arrives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import msgspec

from mockserver.core.exchange import json_size
from mockserver.core.json_value import value_at

# The largest body a scripted answer may render to (serve --response-max-bytes).
RESPONSE_LIMIT = 1024 * 1024
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
ROOTS = ("request", "path", "query", "header", "body", "appointment", "now", "state", "faker")
REQUEST_FIELDS = ("method", "path", "query_string")
FAKER_CALLS = (
    "name",
    "first_name",
    "last_name",
    "phone_number",
    "email",
    "uuid4",
    "sentence",
    "word",
    "city",
    "company",
    "random_int",
)
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_Taken = TypeVar("_Taken")


class Context(msgspec.Struct, frozen=True):
    """What a placeholder may read while one request is answered."""

    method: str
    path: str
    query_string: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: object
    appointment: Mapping[str, object] | None
    now: str
    state: str
    fake: Callable[[str], object] | None


def placeholders(template: object) -> Iterable[str]:
    """Every placeholder expression in a template (nested dicts, lists, strings)."""
    if isinstance(template, str):
        yield from PLACEHOLDER.findall(template)
    elif isinstance(template, Mapping):
        for key, value in template.items():
            yield from placeholders(key)
            yield from placeholders(value)
    elif isinstance(template, list):
        for value in template:
            yield from placeholders(value)


def problem(
    expression: str, path_params: Iterable[str], appointment_fields: Iterable[str]
) -> str | None:
    """Why `expression` is not a known placeholder, or None when it is."""
    root, _, rest = expression.partition(".")
    if root not in ROOTS:
        return f"unknown placeholder {{{{{expression}}}}}; it starts with one of {', '.join(ROOTS)}"
    if root in {"now", "state"}:
        return None if not rest else f"{{{{{root}}}}} takes no field"
    if not rest or not _NAME.match(rest):
        return f"{{{{{expression}}}}} needs a field, e.g. {{{{{root}.name}}}}"
    if root == "request" and rest not in REQUEST_FIELDS:
        return f"{{{{{expression}}}}}: request fields are {', '.join(REQUEST_FIELDS)}"
    if root == "path" and rest not in set(path_params):
        known = ", ".join(path_params) or "none (match a path template such as /v1/x/{id})"
        return f"{{{{{expression}}}}}: path parameters are {known}"
    if root == "appointment" and rest not in set(appointment_fields):
        return f"{{{{{expression}}}}}: appointment fields are {', '.join(appointment_fields)}"
    if root == "faker" and rest not in FAKER_CALLS:
        return f"{{{{{expression}}}}}: faker calls allowed are {', '.join(FAKER_CALLS)}"
    return None


def _dig(value: object, dotted: str) -> object:
    return value_at(value, dotted.split("."))


def evaluate(expression: str, context: Context) -> object:
    root, _, rest = expression.partition(".")
    if root == "now":
        return context.now
    if root == "state":
        return context.state
    if root == "request":
        return getattr(context, rest)
    if root == "faker":
        return context.fake(rest) if context.fake else None
    if root == "header":
        return context.headers.get(rest.lower())
    source = {
        "path": context.params,
        "query": context.query,
        "body": context.body,
        "appointment": context.appointment,
    }[root]
    return _dig(source, rest)


class RenderTooLarge(ValueError):
    """A template whose answer would pass the response limit; nothing larger was built."""


class Budget:
    """What is left of the response limit while one answer renders."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise RenderTooLarge(f"renders a body of more than {self.limit} bytes")

    def take(self, value: _Taken) -> _Taken:
        """`value` as rendered, its estimated size spent (a placeholder may give a whole
        request body, placed many times)."""
        if isinstance(value, str):
            self.spend(len(value) + 3)
        elif isinstance(value, (dict, list)):
            self.spend(json_size(value, self.left))
        else:
            self.spend(8)
        return value


def render(template: object, context: Context, budget: Budget | None = None) -> object:
    """Fill a template. A string that is one placeholder keeps the value's JSON type. With a
    budget, rendering stops (RenderTooLarge) as soon as the answer would pass it."""
    spent = budget or Budget(RESPONSE_LIMIT)
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole:
            return spent.take(evaluate(whole.group(1), context))

        def text(found: re.Match[str]) -> str:
            return str(spent.take(_text(evaluate(found.group(1), context))))

        spent.spend(len(template))
        return PLACEHOLDER.sub(text, template)
    if isinstance(template, Mapping):
        spent.spend(2 + 2 * len(template))
        return {
            render(key, context, spent): render(value, context, spent)
            for key, value in template.items()
        }
    if isinstance(template, list):
        spent.spend(2 + len(template))
        return [render(value, context, spent) for value in template]
    return spent.take(template)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
