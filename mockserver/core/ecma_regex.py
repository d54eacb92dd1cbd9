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
answers within milliseconds. What it reads otherwise is rewritten: `.` took a carriage
return and the Unicode line separators, which ECMA's does not; `\\b` and `\\B` counted
letters such as `é` as word characters, where ECMA's word characters are `[A-Za-z0-9_]`; in a
pattern with look-around or a back-reference (`fancy-regex`), `\\d`, `\\w` and `\\s` were
Unicode's, and are spelled out there; within a class, `[`, `&&`, `~~` and `||` began a nested
class or a set operation, where ECMA reads them as literals; ECMA's `[]` (nothing) and `[^]`
(any character) were unread, and a surrogate pair written as two escapes (`\\uD83D\\uDE00`),
one code point under the `u` flag JSON Schema asks for, was read as two.

Where jsonschema-rs cannot read a pattern, or a text (one with a lone surrogate cannot cross
into it), Python's `re` reads it, rewritten to the same meaning and with `re.ASCII`. A lone
surrogate (no text: the HTTP layer refuses it) under a pattern only jsonschema-rs reads
(`\\p{L}`) is [mock] not found: the instance is refused, not passed.

Both engines read more than ECMA-262 does (`(?i)`, `\\Z`, `a{`, a lone `]`, `\\-` outside a
class): `ecma_syntax_error` reads a pattern by ECMA's grammar under the `u` flag, and a schema
holding one it refuses is refused (`pattern_problems`).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable, Mapping, Sequence

import jsonschema_rs
import msgspec

from mockserver.core.ecma_syntax import (
    GROUP_NAME,
    HEX_DIGITS,
    ecma_syntax_error,
    group_names,
    paired,
    piece_at,
)
from mockserver.core.schema_graph import ONE_SCHEMA, SCHEMA_LISTS, SCHEMA_MAPS

# ECMA's white space (`\s`), digits (`\d`) and word characters (`\w`), as code point ranges.
_SPACES = (
    (0x09, 0x0D),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
    (0xFEFF, 0xFEFF),
)
_DIGITS = ((0x30, 0x39),)
_WORDS = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))


def _spelled(ranges: tuple[tuple[int, int], ...]) -> str:
    """`ranges` as a class's contents, every code point escaped (`\\U` reads in both engines)."""
    return "".join(
        f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges
    )


def _others(ranges: tuple[tuple[int, int], ...]) -> str:
    """Every code point outside `ranges` (sorted), as a class's contents: a negated class
    escape (`\\S`) within a class, where no `[^…]` can be written."""
    outside, start = [], 0
    for low, high in ranges:
        if low > start:
            outside.append((start, low - 1))
        start = high + 1
    return _spelled((*outside, (start, 0x10FFFF)))


# What ECMA's `\s`, `\d` and `\w` match, as a class's contents. ECMA's `\s` is its WhiteSpace
# and LineTerminator: Python's also takes \x1c-\x1f and leaves out U+FEFF; re.ASCII's neither.
ECMA_SPACE = _spelled(_SPACES)
_DIGIT_CHARS = "0-9"  # _DIGITS, and _WORDS below, written as a person reads them
_WORD_CHARS = "A-Za-z0-9_"

# What ECMA's `.` matches (without the `s` flag, which JSON Schema patterns do not have).
_ANY_BUT_LINE_END = "[^\\n\\r\\u2028\\u2029]"
# ECMA's word boundaries, on its ASCII word characters.
_WORD = f"[{_WORD_CHARS}]"
_BOUNDARY = f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))"
_NOT_BOUNDARY = f"(?:(?<={_WORD})(?={_WORD})|(?<!{_WORD})(?!{_WORD}))"


class _Dialect(msgspec.Struct, frozen=True):
    """How one engine is given ECMA's pieces: those outside a character class, those within
    one, and the code points ECMA writes `\\u{…}` or as a pair of surrogate escapes."""

    outside: Mapping[str, str]
    inside: Mapping[str, str]
    code_point: Callable[[int], str]
    named_group: str = "(?<"  # how a named group opens: Python's `re` writes `(?P<name>…)`
    # What a lone surrogate escape (`\\uD83D`) outside a class stands for, where the engine
    # reads none: jsonschema-rs is given no text that holds one, so nothing.
    lone_surrogate: str = ""


def _code_point(value: int) -> str:
    return f"\\U{value:08x}"


# Characters literal in an ECMA class that begin a nested class or a set operation in the
# engines' classes (`[[a]`, `[a&&b]`, `[a~~b]`, `[a||b]`): escaped, they are literal there too.
_LITERAL_IN_CLASS = {"[": "\\[", "&": "\\&", "~": "\\~", "|": "\\|"}
_EXACT = _Dialect(
    outside={".": _ANY_BUT_LINE_END, "\\b": _BOUNDARY, "\\B": _NOT_BOUNDARY},
    inside=_LITERAL_IN_CLASS,
    code_point=_code_point,
    lone_surrogate="[^\\s\\S]",
)
# jsonschema-rs reads `\d`, `\w` and `\s` as ECMA does only in patterns without look-around or
# back-references: with them (`fancy-regex`), `(?!\d)\w+` took `é` and `(?=.*\d)` an Arabic
# digit. In those patterns (and in those that get look-around for `\b`), they are spelled out,
# in a class too.
_EXACT_SPELLED = _Dialect(
    outside={
        **_EXACT.outside,
        "\\d": f"[{_DIGIT_CHARS}]",
        "\\D": f"[^{_DIGIT_CHARS}]",
        "\\w": _WORD,
        "\\W": f"[^{_WORD_CHARS}]",
        "\\s": f"[{ECMA_SPACE}]",
        "\\S": f"[^{ECMA_SPACE}]",
    },
    inside={
        **_EXACT.inside,
        "\\d": _DIGIT_CHARS,
        "\\D": _others(_DIGITS),
        "\\w": _WORD_CHARS,
        "\\W": _others(_WORDS),
        "\\s": ECMA_SPACE,
        "\\S": _others(_SPACES),
    },
    code_point=_code_point,
    lone_surrogate=_EXACT.lone_surrogate,
)
# What may send a pattern to fancy-regex: look-around, a boundary, a back-reference (a
# backslash before `b` may be escaped itself: spelling out where not needed changes nothing).
_FANCY = re.compile(r"\(\?<?[=!]|\\[bBk1-9]")
# re.ASCII reads `\d`, `\w` and their negations as ECMA does, in a class too.
_PYTHON = _Dialect(
    outside={
        ".": _ANY_BUT_LINE_END,
        "$": r"\Z",
        "\\s": f"[{ECMA_SPACE}]",
        "\\S": f"[^{ECMA_SPACE}]",
    },
    inside={"\\s": ECMA_SPACE, "\\S": _others(_SPACES), **_LITERAL_IN_CLASS},
    code_point=_code_point,
    named_group="(?P<",
)
# `[]` or `[^]` with no `]` after it (with one, Python and Rust read a `]` first in a class as a
# literal; ECMA under the `u` flag refuses that lone `]`).
_EMPTY_CLASS = re.compile(r"\[\^?\](?!.*\])", re.DOTALL)


def _escape(piece: str, in_class: bool, dialect: _Dialect, groups: Sequence[str | None]) -> str:
    """`piece` (an escape) as `dialect` is given it: the engines read neither `\\cJ` nor a
    named back-reference, jsonschema-rs no `\\0`. `groups`: the pattern's capturing groups."""
    table = dialect.inside if in_class else dialect.outside
    if piece in table:
        return table[piece]
    digits = piece[2:] if piece.startswith("\\u") else ""
    surrogate = (
        len(digits) == 4 and HEX_DIGITS.issuperset(digits) and 0xD800 <= int(digits, 16) < 0xE000
    )
    if surrogate and not in_class and dialect.lone_surrogate:
        return dialect.lone_surrogate
    if piece == "\\0":
        return "\\x00"
    if len(piece) == 3 and piece.startswith("\\c"):
        return f"\\x{ord(piece[2]) % 32:02x}"
    if piece.startswith("\\k<") and piece[3:-1] in groups:
        return f"(?:\\{groups.index(piece[3:-1]) + 1})"
    digits = piece[3:-1] if piece.startswith("\\u{") else piece[2:].replace("\\u", "")
    pair = len(piece) == 12
    if (
        (pair or piece.startswith("\\u{"))
        and HEX_DIGITS.issuperset(digits)
        and 0 < len(digits) <= 8
    ):
        value = int(digits, 16)
        if pair:  # a surrogate pair: the one code point it stands for under the `u` flag
            value = paired(int(digits[:4], 16), int(digits[4:], 16))
        if value <= 0x10FFFF:
            return dialect.code_point(value)
    return piece


def _rewritten(pattern: str, dialect: _Dialect) -> str:
    """`pattern` with each piece (an escape, `.` or `$`) that `dialect` names replaced,
    outside a character class and within one."""
    out: list[str] = []
    in_class = False
    groups = group_names(pattern)
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            piece = piece_at(pattern, index)
            out.append(_escape(piece, in_class, dialect, groups))
            index += len(piece)
            continue
        if (
            not in_class
            and pattern.startswith("(?<", index)
            and GROUP_NAME.match(pattern, index + 2)
        ):
            out.append(dialect.named_group)
            index += 3
            continue
        if in_class:
            in_class = char != "]"
            char = dialect.inside.get(char, char) if in_class else char
        elif char == "[":
            in_class = True
            empty = _EMPTY_CLASS.match(pattern, index)
            if empty:  # ECMA's `[]` matches nothing, its `[^]` any character
                out.append("[\\s\\S]" if empty.group() == "[^]" else "[^\\s\\S]")
                in_class = False
                index = empty.end()
                continue
            if pattern.startswith("]", index + 1) or pattern.startswith("^]", index + 1):
                # A `]` first in a class is a literal: copy it past the class's start.
                width = 2 if pattern[index + 1] == "]" else 3
                out.append(pattern[index : index + width])
                index += width
                continue
        else:
            char = dialect.outside.get(char, char)
        out.append(char)
        index += 1
    return "".join(out)


def ecma_exact(pattern: str) -> str:
    """`pattern` in the form the compiled validators read as ECMA-262 does (see the module)."""
    return _rewritten(pattern, _EXACT_SPELLED if _FANCY.search(pattern) else _EXACT)


def ecma_to_python(pattern: str) -> str:
    """`pattern` rewritten for `re.search` with `re.ASCII` to match what ECMA-262 matches.

    re.ASCII reads `\\d`, `\\w` and `\\b` and their negations as ECMA does, in a class too;
    `\\s`, `\\S` and `.` are spelled out, and `$` is the end of the text only."""
    return _rewritten(pattern, _PYTHON)


@functools.lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    """Python's ECMA reading of `pattern`, compiled once (a contract names a few patterns often)."""
    with warnings.catch_warnings():
        # `[+--]` is ECMA's range from + to -; Python reads it so, warning of a set operation.
        warnings.simplefilter("ignore", FutureWarning)
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
    try:
        python = compiled(pattern)
    except re.error:
        # A pattern only jsonschema-rs reads (`\\p{L}`), and a text it cannot take (a lone
        # surrogate, which is no text): [mock] not found, so the instance is refused, not passed.
        return False
    return python.search(text) is not None


def exact_patterns(schema: Mapping[str, object]) -> dict[str, object]:
    """A copy of `schema` with every `pattern`, and every name in `patternProperties`, in
    `ecma_exact` form, for the compiled validators. Only schema keywords are rewritten: a
    property named `pattern`, or a `const` holding one, is kept as it is."""
    return _with_patterns(schema, ecma_exact)


def pattern_problems(schema: Mapping[str, object]) -> list[tuple[str, str]]:
    """The patterns of `schema` the mock cannot take, each with why: ECMA-262 refuses it under
    the `u` flag (`ecma_syntax_error`), or neither validator's engine can read it."""
    found: list[tuple[str, str]] = []

    def look(pattern: str) -> str:
        refused = ecma_syntax_error(pattern)
        if refused is not None:
            found.append((pattern, f"ECMA-262 (with the u flag) refuses it: {refused}"))
        elif _compiled_reading(pattern) is None:
            try:
                compiled(pattern)
            except re.error:
                found.append((pattern, "neither of the mock's regex engines reads it"))
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
