"""jsonschema, the reference implementation, as the contracts use it: it words every problem and
judges what the compiled validators do not pass. Three of its keywords are replaced so that a
broken body costs it what the contract allows, not what was sent, and so that it reads patterns
as JSON Schema (ECMA-262) does: `items` stops at `maxItems`, `uniqueItems` runs in linear time,
`pattern` reads `$` and `\\d` as ECMA-262 does (core/ecma_regex.py). jsonschema is imported on
first use: a run whose traffic keeps to the contract never loads it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from mockserver.core import ecma_regex
from mockserver.core.exchange import clip
from mockserver.core.json_value import all_distinct

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


class ReferenceValidator(Protocol):
    """The part of jsonschema's validator the contracts use."""

    def iter_errors(self, instance: object) -> Iterable[ValidationError]: ...


@functools.cache
def reference_class() -> Callable[..., ReferenceValidator]:
    """jsonschema's Draft 2020-12 validator with the three keywords the module names replaced."""
    from jsonschema import Draft202012Validator, validators

    walk_items = Draft202012Validator.VALIDATORS["items"]

    def items_within_limit(
        validator: Any, items: object, instance: object, schema: Mapping[str, object]
    ) -> Iterator[ValidationError]:
        # An array past its maxItems is refused for its length: its items past the limit are
        # not walked (50,000 ids took 2.8 s of CPU to walk, one $ref an item).
        limit = schema.get("maxItems")
        if isinstance(limit, int) and isinstance(instance, list) and len(instance) > limit:
            instance = instance[:limit]
        yield from walk_items(validator, items, instance, schema)

    extended: Callable[..., ReferenceValidator] = validators.extend(
        Draft202012Validator,
        {"uniqueItems": _unique_items, "items": items_within_limit, "pattern": _ecma_pattern},
    )
    return extended


def _ecma_pattern(
    validator: Any, pattern: str, instance: object, schema: object
) -> Iterator[ValidationError]:
    """jsonschema's `pattern`, read as ECMA-262 reads it (core/ecma_regex.py), as the compiled
    validators read it: a trailing newline or another script's digits break a pattern."""
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and not ecma_regex.compiled(pattern).search(instance):
        yield ValidationError(f"{clip(repr(instance), 200)} does not match {pattern!r}")


def _unique_items(
    validator: Any, unique: object, instance: object, schema: object
) -> Iterator[ValidationError]:
    """jsonschema's `uniqueItems`, in linear time: its own compares every pair of items that
    cannot be sorted (objects), and a 40 KB body of 4,000 distinct objects took 41 s of CPU.
    The message is its own, the array's text clipped."""
    from jsonschema.exceptions import ValidationError

    if unique and isinstance(instance, list) and not all_distinct(instance):
        yield ValidationError(f"{clip(repr(instance), 200)} has non-unique elements")
