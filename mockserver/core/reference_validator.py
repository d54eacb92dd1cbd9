"""jsonschema, the reference implementation, as the contracts use it: it words every problem and
judges what the compiled validators do not pass. Three of its keywords are replaced so that a
broken body costs it what the contract allows, not what was sent, and so that it reads patterns
as JSON Schema (ECMA-262) does: `items` stops at `maxItems`, `uniqueItems` runs in linear time,
`pattern` is read as the compiled validators read it (core/ecma_regex.py). jsonschema is
imported on first use: a run whose traffic keeps to the contract never loads it.

Its walk can also be given a budget of steps (`bounded_walk`): every keyword it applies is one,
and past the budget the walk stops with `WalkTooLong`. A large document with one mistake is
otherwise walked whole, at tens of microseconds a value where a recursive schema tries each
value against several forms: a 22 KB stub took 1.3 s of CPU to word its one problem.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from mockserver.core import ecma_regex
from mockserver.core.exchange import clip
from mockserver.core.json_value import first_repeated

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


class ReferenceValidator(Protocol):
    """The part of jsonschema's validator the contracts use."""

    def iter_errors(self, instance: object) -> Iterable[ValidationError]: ...


DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def as_reference_schema(document: Mapping[str, Any]) -> dict[str, Any]:
    """`document` as the extended validator is given it: a Draft 2020-12 document without its
    `$schema`. jsonschema follows a `$ref` into a document that names its dialect with the stock
    validator of that dialect, which has neither the replaced keywords nor the step budget: a
    date with a final newline passed, inside a referenced document, the pattern it breaks.
    A document of another dialect keeps its `$schema`, and that dialect's own validator."""
    if document.get("$schema") != DRAFT_2020_12:
        return dict(document)
    return {key: value for key, value in document.items() if key != "$schema"}


class WalkTooLong(Exception):
    """A walk used up its budget of steps before it ended: the document is too large to word in
    full."""


# The steps left to the walk running on this thread; absent or None: no budget.
_budget = threading.local()


@contextlib.contextmanager
def bounded_walk(steps: int) -> Iterator[None]:
    """Within this block, a walk on this thread that applies more than `steps` keywords raises
    WalkTooLong."""
    before = getattr(_budget, "left", None)
    _budget.left = steps
    try:
        yield
    finally:
        _budget.left = before  # a walk within a walk leaves the outer budget as it found it


Keyword = Callable[[Any, Any, object, Any], Any]


def _counted(keyword: Keyword) -> Keyword:
    """`keyword`, counted against the walk's budget as it is applied."""

    def counted(validator: Any, value: Any, instance: object, schema: Any) -> Any:
        left = getattr(_budget, "left", None)
        if left is not None:
            if left <= 0:
                raise WalkTooLong
            _budget.left = left - 1
        return keyword(validator, value, instance, schema)

    return counted


@functools.cache
def reference_class() -> Callable[..., ReferenceValidator]:
    """jsonschema's Draft 2020-12 validator with the three keywords the module names replaced,
    and every keyword counted against a walk's budget (`bounded_walk`)."""
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

    keywords: dict[str, Keyword] = {
        **Draft202012Validator.VALIDATORS,
        "uniqueItems": _unique_items,
        "items": items_within_limit,
        "pattern": _ecma_pattern,
    }
    extended: Callable[..., ReferenceValidator] = validators.extend(
        Draft202012Validator, {name: _counted(keyword) for name, keyword in keywords.items()}
    )
    return extended


def _ecma_pattern(
    validator: Any, pattern: str, instance: object, schema: object
) -> Iterator[ValidationError]:
    """jsonschema's `pattern`, read as the compiled validators read it, ECMA-262's way
    (core/ecma_regex.py): a trailing newline, another script's digits or letters break a
    pattern, and no pattern takes exponential time."""
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and not ecma_regex.matches(pattern, instance):
        yield ValidationError(f"{clip(repr(instance), 200)} does not match {pattern!r}")


def _unique_items(
    validator: Any, unique: object, instance: object, schema: object
) -> Iterator[ValidationError]:
    """jsonschema's `uniqueItems`, in linear time: its own compares every pair of items that
    cannot be sorted (objects), and a 40 KB body of 4,000 distinct objects took 41 s of CPU.
    The message names the first item repeated, as JSON (jsonschema's quoted the whole array as
    Python writes it)."""
    from jsonschema.exceptions import ValidationError

    if not unique or not isinstance(instance, list):
        return
    index = first_repeated(instance)
    if index is not None:
        shown = clip(json.dumps(instance[index], default=str), 200)
        yield ValidationError(f"{shown} appears more than once (item {index}): items are unique")
