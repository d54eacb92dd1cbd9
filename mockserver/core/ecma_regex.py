"""JSON Schema's `pattern` read as ECMA-262 reads it, by both of the contracts' validators.

JSON Schema patterns are ECMA-262 regular expressions. The contracts judge an instance twice
when it is not valid at first sight: the compiled validator (jsonschema-rs) says whether it is
valid, and jsonschema, the reference, words what is wrong. Where the two read a pattern
otherwise, an instance the first refuses the second can find nothing wrong with, and the mock
lets it pass unreported. So jsonschema is given this module's reading of `pattern`, which asks
jsonschema-rs itself, pattern by pattern, and both are given the pattern in a form that leaves
their engines nothing to read otherwise than ECMA-262 (`ecma_exact`).

jsonschema-rs reads ECMA's classes as ECMA does (`\\d` and `\\w` are ASCII, `\\s` is ECMA's white
space, `$` is the end of the text, not before a final newline), and in bounded time: the linear
`regex` crate, or `fancy-regex` with a limit on backtracking for look-around and
back-references. Python's `re` took exponential time on `^(a|a)*(?!b)$`, where that limit
answers within milliseconds. Two pieces it reads otherwise are rewritten: `.` took a carriage
return and the Unicode line separators, which ECMA's does not, and `\\b` and `\\B` counted
letters such as `é` as word characters, where ECMA's word characters are `[A-Za-z0-9_]`.

Where jsonschema-rs cannot read a pattern, or a text (one with a lone surrogate cannot cross
into it), Python's `re` reads it, rewritten to the same meaning and with `re.ASCII`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping

import jsonschema_rs

from mockserver.core.schema_graph import ONE_SCHEMA, SCHEMA_LISTS, SCHEMA_MAPS

# ECMA-262's WhiteSpace and LineTerminator: what its `\s` matches, as a class's contents.
# Python's `\s` also takes \x1c-\x1f and leaves out U+FEFF; re.ASCII's takes neither set.
ECMA_SPACE = (
    "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
# What ECMA's `.` matches (without the `s` flag, which JSON Schema patterns do not have).
_ANY_BUT_LINE_END = "[^\\n\\r\\u2028\\u2029]"
# ECMA's word boundaries, on its ASCII word characters.
_WORD = "[A-Za-z0-9_]"
_BOUNDARY = f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))"
_NOT_BOUNDARY = f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))"

# Pieces outside a class, and inside one, as each engine is given them.
_EXACT = {".": _ANY_BUT_LINE_END, "\\b": _BOUNDARY, "\\B": _NOT_BOUNDARY}
_PYTHON = {
    ".": _ANY_BUT_LINE_END,
    "$": r"\Z",
    "\\s": f"[{ECMA_SPACE}]",
    "\\S": f"[^{ECMA_SPACE}]",
}
_PYTHON_IN_CLASS = {"\\s": ECMA_SPACE}  # a `\S` inside a class keeps re.ASCII's reading


def _rewritten(
    pattern: str, outside: Mapping[str, str], inside: Mapping[str, str] | None = None
) -> str:
    """`pattern` with each piece (an escape, `.` or `$`) that `outside` names replaced outside
    a character class, and each that `inside` names replaced within one."""
    inside = inside or {}
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            piece = pattern[index : index + 2]
            out.append((inside if in_class else outside).get(piece, piece))
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith("]", index + 1) or pattern.startswith("^]", index + 1):
                # A `]` first in a class is a literal: copy it past the class's start.
                width = 2 if pattern[index + 1] == "]" else 3
                out.append(pattern[index : index + width])
                index += width
                continue
        else:
            char = outside.get(char, char)
        out.append(char)
        index += 1
    return "".join(out)


def ecma_exact(pattern: str) -> str:
    """`pattern` in the form the compiled validators read as ECMA-262 does (see the module)."""
    return _rewritten(pattern, _EXACT)


def ecma_to_python(pattern: str) -> str:
    """`pattern` rewritten for `re.search` with `re.ASCII` to match what ECMA-262 matches.

    re.ASCII reads `\\d`, `\\w` and `\\b` and their negations as ECMA does, in a class too;
    `\\s`, `\\S` and `.` are spelled out, and `$` is the end of the text only."""
    return _rewritten(pattern, _PYTHON, _PYTHON_IN_CLASS)


@functools.lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    """Python's ECMA reading of `pattern`, compiled once (a contract names a few patterns often)."""
    return re.compile(ecma_to_python(pattern), re.ASCII)


@functools.lru_cache(maxsize=512)
def _compiled_reading(pattern: str) -> jsonschema_rs.Validator | None:
    """jsonschema-rs's reading of `pattern` alone, compiled once; None where it cannot read it."""
    try:
        return jsonschema_rs.validator_for({"pattern": ecma_exact(pattern)})
    except (jsonschema_rs.ValidationError, ValueError):
        return None


def matches(pattern: str, text: str) -> bool:
    """Whether `pattern` is found in `text`, as the compiled validators find it."""
    reading = _compiled_reading(pattern)
    if reading is not None:
        try:
            return reading.is_valid(text)
        except ValueError:  # a lone surrogate is no UTF-8: Python reads that text
            pass
    return compiled(pattern).search(text) is not None


def exact_patterns(schema: Mapping[str, object]) -> dict[str, object]:
    """A copy of `schema` with every `pattern`, and every name in `patternProperties`, in
    `ecma_exact` form, for the compiled validators. Only schema keywords are rewritten: a
    property named `pattern`, or a `const` holding one, is kept as it is."""
    return _with_patterns(schema, ecma_exact)


def unreadable_patterns(schema: Mapping[str, object]) -> list[str]:
    """The patterns of `schema` that neither validator's engine can read."""
    found: list[str] = []

    def look(pattern: str) -> str:
        if _compiled_reading(pattern) is None:
            try:
                compiled(pattern)
            except re.error:
                found.append(pattern)
        return pattern

    _with_patterns(schema, look)
    return found


def _with_patterns(schema: Mapping[str, object], change: Callable[[str], str]) -> dict[str, object]:
    """A copy of `schema` with `change` made to every pattern its keywords hold."""

    def within(subschema: object) -> object:
        return _with_patterns(subschema, change) if isinstance(subschema, dict) else subschema

    copy: dict[str, object] = {}
    for keyword, value in schema.items():
        if keyword == "pattern" and isinstance(value, str):
            value = change(value)
        elif keyword in SCHEMA_MAPS and isinstance(value, dict):
            name_changed = change if keyword == "patternProperties" else str
            value = {name_changed(name): within(each) for name, each in value.items()}
        elif keyword in SCHEMA_LISTS and isinstance(value, list):
            value = [within(each) for each in value]
        elif keyword in ONE_SCHEMA:
            value = within(value)
        copy[keyword] = value
    return copy
