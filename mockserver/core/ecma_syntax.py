"""ECMA-262's grammar of regular expressions under the `u` flag, which JSON Schema 2020-12 asks
patterns to be read with, and the lexical pieces the mock's readings of a pattern share
(core/ecma_regex.py): an escape's extent, the capturing groups and their names.

Python's `re` and the Rust engines read more than the grammar allows: `(?i)`, `\\Z`, `a{`, a lone
`]`, `\\-` outside a class, `[\\w-a]`, `\\01`. A contract holding one is no JSON Schema another
validator could read alike, so a provider's schema with one is refused (core/contracts.py).
"""

from __future__ import annotations

import re

GROUP_NAME = re.compile(r"<([^\W\d]\w*)>")
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def piece_at(pattern: str, index: int) -> str:
    """The escape that starts at `index`: `\\u{…}`, `\\uXXXX` (with the low half of a
    surrogate pair after it), `\\cX`, `\\k<name>`, or a backslash and one character."""
    letter = pattern[index + 2 : index + 3]
    if pattern.startswith("\\c", index) and letter.isascii() and letter.isalpha():
        return pattern[index : index + 3]
    if pattern.startswith("\\k", index):
        name = GROUP_NAME.match(pattern, index + 2)
        if name is not None:
            return pattern[index : name.end()]
    if pattern.startswith("\\u{", index):
        end = pattern.find("}", index)
        if end > 0:
            return pattern[index : end + 1]
    if pattern.startswith("\\u", index) and HEX_DIGITS.issuperset(pattern[index + 2 : index + 6]):
        high = pattern[index : index + 6]
        low = pattern[index + 6 : index + 12]
        if (
            len(high) == len(low) == 6
            and low.startswith("\\u")
            and HEX_DIGITS.issuperset(low[2:])
            and 0xD800 <= int(high[2:], 16) <= 0xDBFF
            and 0xDC00 <= int(low[2:], 16) <= 0xDFFF
        ):
            return high + low
        return high
    return pattern[index : index + 2]


def paired(high: int, low: int) -> int:
    """The one code point a surrogate pair (`\\uD83D\\uDE00`) stands for under the `u` flag."""
    return 0x10000 + ((high - 0xD800) << 10) + low - 0xDC00


# The grammar's own pieces.
_SYNTAX_CHARACTERS = frozenset("^$\\.*+?()[]{}|")
_CONTROL_ESCAPES = {"f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_PROPERTY = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:=[A-Za-z0-9_]+)?\}")
_QUANTIFIER = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")
_DIGITS_RUN = re.compile("[0-9]+")
_LOOK_AROUND = ("(?=", "(?!", "(?<=", "(?<!")
# A class escape (`\d`) where a class range wants one character.
_SET = -1


class _Syntax:
    """One pass over a pattern by ECMA-262's grammar; ValueError at the first error."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.index = 0
        self.names = group_names(pattern)

    def refuse(self, why: str) -> ValueError:
        return ValueError(f"{why} at {self.index}")

    def peek(self, text: str) -> bool:
        return self.pattern.startswith(text, self.index)

    def disjunction(self) -> None:
        while self.index < len(self.pattern) and not self.peek(")"):
            if self.peek("|"):
                self.index += 1
            else:
                self.term()

    def term(self) -> None:
        char = self.pattern[self.index]
        if char in "^$" or self.peek("\\b") or self.peek("\\B"):
            self.index += 1 if char in "^$" else 2
            self.unquantified()
            return
        look = next((each for each in _LOOK_AROUND if self.peek(each)), None)
        if look is not None:
            self.group(len(look))
            self.unquantified()
        elif char == "(":
            self.group(self.group_opening())
        elif char == "[":
            self.character_class()
        elif char == "\\":
            self.atom_escape()
        elif char in "*+?{}]|":
            raise self.refuse(f"nothing to repeat or a lone {char!r}")
        else:
            self.index += 1
        if look is None:
            self.quantifier()

    def unquantified(self) -> None:
        if self.index < len(self.pattern) and self.pattern[self.index] in "*+?{":
            raise self.refuse("an assertion cannot be repeated")

    def group_opening(self) -> int:
        if self.peek("(?:"):
            return 3
        if self.peek("(?<"):
            name = GROUP_NAME.match(self.pattern, self.index + 2)
            if name is None:
                raise self.refuse("an invalid group name")
            return name.end() - self.index
        if self.peek("(?"):
            raise self.refuse("an invalid group")
        return 1

    def group(self, opening: int) -> None:
        self.index += opening
        self.disjunction()
        if not self.peek(")"):
            raise self.refuse("an unterminated group")
        self.index += 1

    def quantifier(self) -> None:
        if self.index >= len(self.pattern):
            return
        char = self.pattern[self.index]
        if char == "{":
            bounds = _QUANTIFIER.match(self.pattern, self.index)
            if bounds is None:
                raise self.refuse("an incomplete quantifier")
            low, _, high = bounds.groups()
            if high and int(high) < int(low):
                raise self.refuse("numbers out of order in a quantifier")
            self.index = bounds.end()
        elif char in "*+?":
            self.index += 1
        else:
            return
        if self.peek("?"):
            self.index += 1
        if self.index < len(self.pattern) and self.pattern[self.index] in "*+?{":
            raise self.refuse("nothing to repeat")

    def atom_escape(self) -> None:
        self.index += 1
        char = self.pattern[self.index : self.index + 1]
        if char in set("123456789"):
            digits = _DIGITS_RUN.match(self.pattern, self.index)
            number = digits.group() if digits else ""
            if int(number) > len(self.names):
                raise self.refuse("a back-reference to no group")
            self.index += len(number)
        elif char == "k":
            name = GROUP_NAME.match(self.pattern, self.index + 1)
            if name is None or name.group(1) not in self.names:
                raise self.refuse("a named back-reference to no group")
            self.index = name.end()
        else:
            self.index -= 1
            self.escape(in_class=False)

    def escape(self, *, in_class: bool) -> int:
        """The escape at the backslash `index` is on, read past: the code point it stands for,
        or `_SET` for a class escape."""
        self.index += 2
        char = self.pattern[self.index - 1 : self.index]
        if char in set("dDsSwW"):
            return _SET
        if char in "pP" and char:
            prop = _PROPERTY.match(self.pattern, self.index)
            if prop is None:
                raise self.refuse("an invalid property name")
            self.index = prop.end()
            return _SET
        if char in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[char]
        if char == "c" and self.pattern[self.index : self.index + 1].isascii():
            letter = self.pattern[self.index : self.index + 1]
            if letter.isalpha():
                self.index += 1
                return ord(letter) % 32
        if char == "0" and not self.pattern[self.index : self.index + 1].isdigit():
            return 0
        if char in ("x", "u"):
            return self.hex_escape(char)
        if char and (char in _SYNTAX_CHARACTERS or char == "/"):
            return ord(char)
        if in_class and char in ("b", "-"):
            return 0x08 if char == "b" else ord("-")
        raise self.refuse(f"an invalid escape \\{char}")

    def hex_escape(self, char: str) -> int:
        if char == "u" and self.peek("{"):
            end = self.pattern.find("}", self.index)
            digits = self.pattern[self.index + 1 : end] if end > 0 else ""
            if not digits or not HEX_DIGITS.issuperset(digits) or int(digits, 16) > 0x10FFFF:
                raise self.refuse("an invalid code point escape")
            self.index = end + 1
            return int(digits, 16)
        width = 2 if char == "x" else 4
        digits = self.pattern[self.index : self.index + width]
        if len(digits) < width or not HEX_DIGITS.issuperset(digits):
            raise self.refuse(f"an invalid \\{char} escape")
        self.index += width
        value = int(digits, 16)
        pair = piece_at(self.pattern, self.index - 6) if char == "u" else ""
        if len(pair) == 12:  # a surrogate pair: one code point
            self.index += 6
            return paired(value, int(pair[8:], 16))
        return value

    def character_class(self) -> None:
        self.index += 2 if self.peek("[^") else 1
        while not self.peek("]"):
            low = self.class_atom()
            if self.peek("-") and not self.peek("-]"):
                self.index += 1
                high = self.class_atom()
                if _SET in (low, high):
                    raise self.refuse("a class escape as the end of a range")
                if low > high:
                    raise self.refuse("a range out of order")
        self.index += 1

    def class_atom(self) -> int:
        if self.index >= len(self.pattern):
            raise self.refuse("an unterminated character class")
        if self.peek("\\"):
            return self.escape(in_class=True)
        self.index += 1
        return ord(self.pattern[self.index - 1])


def group_names(pattern: str) -> list[str | None]:
    """Every capturing group of `pattern` in order: its name, or None."""
    groups: list[str | None] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(" and not pattern.startswith("(?", index):
            groups.append(None)
        elif char == "(":
            name = GROUP_NAME.match(pattern, index + 2)
            if name is not None:
                groups.append(name.group(1))
        index += 1
    return groups


def ecma_syntax_error(pattern: str) -> str | None:
    """Why ECMA-262 refuses `pattern` under the `u` flag, or None where it reads it.

    `\\p{…}` is checked for its form, not for the names of properties and scripts."""
    syntax = _Syntax(pattern)
    try:
        syntax.disjunction()
        if syntax.index < len(pattern):
            raise syntax.refuse("a lone ')'")
        names = [name for name in syntax.names if name is not None]
        if len(names) != len(set(names)):
            raise ValueError("a group name given twice")
    except ValueError as refused:
        return str(refused)
    except RecursionError:  # groups within groups, thousands deep
        return "groups nested too deeply to read"
    return None
