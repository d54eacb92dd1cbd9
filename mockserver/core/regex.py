"""Regular expressions a user gives (stub paths, body, header and query patterns, journal
searches), compiled for RE2: a linear-time engine, so no pattern and no input can make a match
take longer than the input is long.

Python's `re` backtracks (`^/v1/(a+)+$` against 27 characters takes seconds, holding the server),
so user patterns never reach it. What RE2 cannot compile (lookaround, backreferences) is refused
when the pattern is registered, with RE2's own reason.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Protocol, cast

# Longer patterns are refused before RE2 sees them: no real path or field needs one.
MAX_REGEX_LENGTH = 2_000
# Deeper group nesting is refused: a person writes a handful, a hostile client thousands.
MAX_REGEX_DEPTH = 32
# RE2's memory for one compiled pattern; past it, compiling fails instead of growing.
MAX_REGEX_MEMORY = 8 * 1024 * 1024


class RegexError(ValueError):
    """A pattern that is refused: the message says why, in one line."""


class Match(Protocol):
    def groupdict(self) -> dict[str, str | None]: ...


class Regex(Protocol):
    """The part of a compiled pattern the mock uses (Python's `re.Pattern` has it too)."""

    @property
    def pattern(self) -> str: ...

    def search(self, text: str) -> Match | None: ...


@functools.cache
def _re2() -> tuple[Any, object]:
    """RE2 and its options (untyped: only ever handed back to `re2.compile`), loaded when the
    first pattern is compiled: it costs 3 ms of a start that may compile none."""
    import re2  # type: ignore[import-untyped]

    options = re2.Options()
    options.log_errors = False  # RE2 prints refusals on stderr by default; ours are messages
    options.max_mem = MAX_REGEX_MEMORY
    return re2, options


def nesting(text: str) -> int:
    """How deep groups nest in `text` (escapes and character classes skipped)."""
    depth = deepest = 0
    escaped = in_class = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(depth - 1, 0)
    return deepest


def compile_regex(text: str) -> Regex:
    """`text` compiled for RE2, or RegexError saying why it cannot be used."""
    if nesting(text) > MAX_REGEX_DEPTH:
        raise RegexError(f"nests groups more than {MAX_REGEX_DEPTH} deep")
    if len(text) > MAX_REGEX_LENGTH:
        raise RegexError(f"is longer than {MAX_REGEX_LENGTH} characters")
    re2, options = _re2()
    try:
        return cast(Regex, re2.compile(text, options))
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(
            f"does not compile for the linear-time engine (RE2): {reason}; "
            "lookaround and backreferences are not supported"
        ) from None


def captured(found: Match) -> Mapping[str, str]:
    return {k: v for k, v in found.groupdict().items() if v is not None}
