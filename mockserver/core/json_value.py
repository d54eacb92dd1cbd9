"""A JSON value as the standard library parses it: the one recursive type for bodies that
are only carried, stored and written again (journal entries, rendered answers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

# Every value `json.loads` can give; a dict's keys are always strings.
JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]


def objects_in(node: object) -> Iterator[dict[str, object]]:
    """Every JSON object in `node`, itself included, at any depth (parents before children)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from objects_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects_in(value)


def all_distinct(items: list[object]) -> bool:
    """Whether no two items are equal as JSON Schema counts equality (`1` and `1.0` are equal,
    `true` and `1` are not; objects are equal whatever their keys' order), in linear time:
    each item becomes a hashable key once, where comparing every pair takes quadratic time."""
    return first_repeated(items) is None


def first_repeated(items: list[object]) -> int | None:
    """The index of the first item equal to one before it (as `all_distinct` counts equality),
    or None when they are all distinct."""
    seen: set[object] = set()
    for index, item in enumerate(items):
        key = _equality_key(item)
        if key in seen:
            return index
        seen.add(key)
    return None


def _equality_key(value: object) -> object:
    """Equal for JSON values that are equal, different otherwise."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)  # 1 == 1.0, and they hash alike
    if isinstance(value, list | tuple):
        return ("array", tuple(map(_equality_key, value)))
    if isinstance(value, dict):
        return ("object", frozenset((key, _equality_key(item)) for key, item in value.items()))
    if isinstance(value, str) or value is None:
        return value
    return ("other", id(value))  # no JSON value: equal only to itself


def ascii_digits(text: str) -> bool:
    """Whether `text` is a whole number in ASCII digits: `str.isdigit` also takes `²`, which
    `int` refuses, and `١٢`, which no client means as a number."""
    return text.isascii() and text.isdigit()


def value_at(value: object, parts: Iterable[str]) -> object:
    """The value a path of keys and list indexes names in `value`, or None where there is none."""
    for part in parts:
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and ascii_digits(part) and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value
