"""A scenario file's YAML read safely: its document, the line of every field, and its refusals.

PyYAML is imported here alone: it costs about 15 ms, and a process that reads only built-in
scenarios (their prepared copies) never needs it.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
import yaml

from mockserver.core.surface import MAX_BODY_DEPTH
from mockserver.scenarios.problems import FieldPath, ScenarioError, ScenarioProblem, field_name

# Bounds on what one scenario file may be: a small file can expand hugely through YAML aliases.
MAX_NODES = 200_000
# Parser events a file may hold: a value is one, a list or map two (its start and end).
MAX_EVENTS = 100_000
MAX_NUMBER_DIGITS = 40
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
)


_TEXT_TAG = "tag:yaml.org,2002:str"


def _not_finite(text: str) -> bool:
    """Whether a YAML float (`.nan`, `.inf`, `1e999`) is no finite number."""
    cleaned = text.replace("_", "").lower()
    if cleaned.lstrip("+-") in {".nan", ".inf"}:
        return True
    try:
        return not math.isfinite(float(cleaned))
    except ValueError:
        return False


class _Walk:
    """Line numbers of every node of a YAML document, by field path.

    Walking the composed document first also refuses, with its line, what a scenario must
    not hold before anything is built from it: non-name keys, explicit tags (`!!binary`),
    numbers too long to be numbers, nesting too deep, and alias expansions too large.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[FieldPath, int] = {}
        self.duplicates: list[tuple[FieldPath, str]] = []
        self.visited = 0

    def _refuse(self, node: yaml.Node, path: FieldPath, message: str) -> ScenarioError:
        line = node.start_mark.line + 1
        return ScenarioError([ScenarioProblem(self.file, line, field_name(path), message)])

    def _check(self, node: yaml.Node, path: FieldPath) -> None:
        self.visited += 1
        if self.visited > MAX_NODES:
            message = f"expands to more than {MAX_NODES} values (YAML aliases?); refused"
            raise self._refuse(node, path, message)
        if len(path) > MAX_BODY_DEPTH:
            raise self._refuse(node, path, f"nests more than {MAX_BODY_DEPTH} levels deep")
        if node.tag not in _PLAIN_TAGS:
            raise self._refuse(node, path, f"the tag {node.tag!r} is not allowed here")
        if node.tag.endswith((":int", ":float")) and len(str(node.value)) > MAX_NUMBER_DIGITS:
            raise self._refuse(node, path, f"a number of more than {MAX_NUMBER_DIGITS} digits")
        if node.tag.endswith(":float") and _not_finite(str(node.value)):
            raise self._refuse(node, path, f"{node.value} is not a finite number")

    def walk(self, node: yaml.Node, path: FieldPath = ()) -> None:
        self._check(node, path)
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    raise self._refuse(key, path, "a key must be a plain name, not a list or map")
                if key.tag != _TEXT_TAG:
                    # JSON keys are text: `1:` or `true:` would answer a 500 once sent.
                    message = f"a key must be text, not {key.value!r} (quote it: '{key.value}')"
                    raise self._refuse(key, path, message)
                self._check(key, path)
                name = key.value
                if name in seen:
                    where = (*path, name, "#dup")
                    self.lines[where] = key.start_mark.line + 1
                    self.duplicates.append((where, f"duplicate key {name!r}"))
                seen.add(name)
                self.lines.setdefault((*path, name), key.start_mark.line + 1)
                self.walk(value, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.walk(item, (*path, index))


# libyaml's parser when PyYAML has it (ten times faster); both keep line marks and refuse tags.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SAFE_LOADER):  # type: ignore[misc]
    """The safe loader, except that an unquoted instant stays the text it is: every instant
    a scenario holds is read as text, with its zone, by the mock itself."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if not tag.endswith(":timestamp")]
    for first, resolvers in _SAFE_LOADER.yaml_implicit_resolvers.items()
}


def _count_events(text: str, file: str) -> None:
    """Refuse a document of too many values while it is parsed, before a tree of it is built
    (two million list items would take seconds and hundreds of megabytes to compose)."""
    # Every event starts at one of these characters or a line's start, or ends a collection
    # opened by one: a text with few of them cannot hold too many, and is not parsed twice.
    if 2 * sum(text.count(c) for c in ",\n:[{-?") + 16 <= MAX_EVENTS:
        return
    for count, event in enumerate(yaml.parse(text, Loader=_Loader)):
        if count > MAX_EVENTS:
            line = event.start_mark.line + 1 if event.start_mark else None
            message = f"holds more than {MAX_EVENTS} values (lists and maps count twice); refused"
            raise ScenarioError([ScenarioProblem(file, line, "", message)])


class YamlDocument(msgspec.Struct, frozen=True):
    """One YAML document as read: its data, each field's line, and its duplicated keys."""

    data: object
    lines: dict[FieldPath, int]
    duplicates: list[tuple[FieldPath, str]]


def read_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document safely, keeping each field's line; raise ScenarioError if broken."""
    positions = _Walk(file)
    loader = _Loader(text)
    try:
        _count_events(text, file)
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([ScenarioProblem(file, 1, "", "the file is empty")])
        positions.walk(node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(filter(None, [error.context, error.problem]))
        hint = _indentation_hint(text, line, message)
        raise ScenarioError(
            [ScenarioProblem(file, line, "", f"not valid YAML: {message}{hint}")]
        ) from None
    except yaml.YAMLError as error:
        raise ScenarioError([ScenarioProblem(file, None, "", f"not valid YAML: {error}")]) from None
    finally:
        loader.dispose()
    return YamlDocument(data, positions.lines, positions.duplicates)


# What PyYAML says when a line is indented wrongly.
_INDENTATION_PROBLEMS = (
    "mapping values are not allowed",
    "did not find expected key",
    "expected <block end>",
    "did not find expected '-' indicator",
)


def _indentation_hint(text: str, line: int | None, message: str) -> str:
    """For a mistake of indentation, which line and how it sits against the line before it."""
    if line is None or not any(problem in message for problem in _INDENTATION_PROBLEMS):
        return ""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    before = next(
        (t for t in reversed(lines[: line - 1]) if t.strip() and not t.lstrip().startswith("#")),
        None,
    )
    if before is not None and _indent(before) == _indent(lines[line - 1]):
        return ""  # lined up with the line before: something else is wrong (a stray colon)
    shown = f"{_indent(lines[line - 1])} spaces"
    if before is not None:
        shown += f"; the line before it has {_indent(before)}"
    return (
        f"; line {line} is indented wrongly ({shown}): the keys of one block line up, "
        "a nested block goes further in"
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
