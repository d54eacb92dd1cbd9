"""A JSON value as the standard library parses it: the one recursive type for bodies that
are only carried, stored and written again (journal entries, rendered answers)."""

from __future__ import annotations

from collections.abc import Iterator

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
