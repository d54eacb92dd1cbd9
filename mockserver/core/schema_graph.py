"""Where a schema's `$ref`s lead: whether following them can come back to where they started
(a recursive schema, whose validation goes as deep as its instance)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urljoin

from mockserver.core.json_value import objects_in, value_at


def refs(node: object) -> Iterable[str]:
    for found in objects_in(node):
        ref = found.get("$ref")
        if isinstance(ref, str):
            yield ref


def recursive(documents: Mapping[str, object], start: str) -> bool:
    """Whether following `$ref`s from the document whose `$id` is `start` can come back to a
    schema already being followed: a schema that can recurse, as deep as its instance. Where a
    reference cannot be followed here (to another server, a nested `$id`, a dynamic reference),
    the schema counts as recursive: the answer errs towards the depth guard that contracts.py
    puts on a recursive schema's compiled validator."""
    following: set[tuple[str, str]] = set()
    finished: set[tuple[str, str]] = set()

    def reaches_back(base: str, pointer: str) -> bool:
        where = (base, pointer)
        if where in finished:
            return False
        if where in following:
            return True
        root = documents.get(base)
        target = _pointed(root, pointer)
        if target is None:
            return True
        for node in objects_in(target):
            if (
                "$dynamicRef" in node
                or "$recursiveRef" in node
                or (node is not root and "$id" in node)
            ):
                return True
        following.add(where)
        for ref in refs(target):
            document, _, fragment = urljoin(base, ref).partition("#")
            if reaches_back(document, unquote(fragment)):
                return True
        following.discard(where)
        finished.add(where)
        return False

    try:
        return reaches_back(start, "")
    except RecursionError:  # a chain of references too long to follow: treat it as one that loops
        return True


def _pointed(document: object, pointer: str) -> dict[str, object] | None:
    """The schema a JSON pointer names in `document`, or None where there is none."""
    parts = pointer.split("/")[1:] if pointer else []
    node = value_at(document, (part.replace("~1", "/").replace("~0", "~") for part in parts))
    return node if isinstance(node, dict) else None


# JSON Schema keywords whose value is a schema, a list of schemas, or a map of names to schemas.
# Only these are walked: a map's keys are property names, never keywords, so a property called
# `title` (Leyr's problem details) or `pattern` is never taken for the keyword.
ONE_SCHEMA = frozenset(
    {
        "items",
        "additionalProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
    }
)
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})


def subschemas(keyword: str, value: object) -> list[object]:
    """The schemas a keyword's value holds (none for a keyword whose value is no schema)."""
    if keyword in ONE_SCHEMA:
        return [value]
    if keyword in SCHEMA_LISTS and isinstance(value, list):
        return value
    if keyword in SCHEMA_MAPS and isinstance(value, dict):
        return list(value.values())
    return []
