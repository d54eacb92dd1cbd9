"""JSON Schema's `pattern` read as ECMA-262 reads it, on Python's `re`.

JSON Schema patterns are ECMA-262 regular expressions. Python's `re` reads two of their pieces
otherwise: `$` also matches before a final newline (`"NOT_FOUND\\n"` matches `^[A-Z_]+$`), and
`\\d` matches any script's digits (`"٢٠٢٦"` matches `^\\d{4}$`). The compiled validators
(jsonschema-rs) read them as ECMA does; jsonschema, which words the problems and judges what they
refuse, is given the pattern rewritten so that it reads them alike: `$` as the end of the text
only, `\\d` as `[0-9]` and `\\D` as `[^0-9]`, inside a character class too. The rest is Python's
syntax already, or reads the same for the patterns a contract uses.
"""

from __future__ import annotations

import functools
import re

_CLASS_ESCAPES = {"d": "0-9"}
_ESCAPES = {"d": "[0-9]", "D": "[^0-9]"}


def ecma_to_python(pattern: str) -> str:
    """`pattern` rewritten for `re.search` to match what ECMA-262 matches (see the module)."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            table = _CLASS_ESCAPES if in_class else _ESCAPES
            out.append(table.get(escaped, char + escaped))
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
        elif char == "$":
            char = r"\Z"
        out.append(char)
        index += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    """The ECMA reading of `pattern`, compiled once (a contract names a few patterns often)."""
    return re.compile(ecma_to_python(pattern))
