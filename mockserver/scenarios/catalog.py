"""Scenario files: YAML read with line numbers, checked against their schema, found by name."""

from __future__ import annotations

import difflib
import math
import os
import stat
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypedDict

import msgspec
import yaml

from mockserver.core.clock import checked_instant, parse_instant
from mockserver.core.contracts import Contracts, default_contracts
from mockserver.core.documents import ScenarioSummary
from mockserver.core.errors import MockError
from mockserver.core.resources import scenarios_dir
from mockserver.core.surface import MAX_BODY_DEPTH
from mockserver.scenarios.model import ScenarioModel, common_fields, section

FieldPath = tuple[str | int, ...]


class ScenarioReader(Protocol):
    """What turns a provider's schema-checked document into its typed model (a provider)."""

    def read(
        self, data: Mapping[str, object]
    ) -> tuple[ScenarioModel, list[tuple[FieldPath, str]]]: ...


Readers = Mapping[str, ScenarioReader]


class ProblemDocument(TypedDict):
    """A scenario problem as JSON."""

    file: str
    line: int | None
    field: str
    message: str


class ScenarioProblem(msgspec.Struct, frozen=True):
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )

    def to_json(self) -> ProblemDocument:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class ScenarioError(MockError):
    """One or more scenario files are broken; nothing from them was loaded."""

    code = "BROKEN_SCENARIO"

    def __init__(self, problems: Sequence[ScenarioProblem]) -> None:
        self.problems = list(problems)  # every one, for `validate` to list
        shown = list(map(str, self.problems[:MAX_PROBLEMS_SAID]))
        if len(self.problems) > MAX_PROBLEMS_SAID:
            shown.append(f"… and {len(self.problems) - MAX_PROBLEMS_SAID} more problem(s)")
        super().__init__("\n".join(shown))


# A refusal's message (an admin API answer, a log line) says this many problems, then counts the
# rest: 3,000 broken matchers in a 27 KB inline scenario once answered 287 KB.
MAX_PROBLEMS_SAID = 50


# How alike a name must be to a known one to be offered as the one meant (a typo, not a
# different scenario of the same provider).
CLOSE_ENOUGH = 0.8
OWN_FILES_HINT = (
    "; it is not built in: a scenario file of your own is found with --scenarios-dir DIR "
    "(pytest: --mockserver-scenarios-dir DIR)"
)


def unknown_name_hint(name: str, known: Iterable[str]) -> str:
    """`; did you mean 'leyr/two-step'?` for a typo of a known name, else where own files go."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=CLOSE_ENOUGH)
    return f"; did you mean {close[0]!r}?" if close else OWN_FILES_HINT


class UnknownScenarioError(MockError, LookupError):
    """A scenario name the catalog lacks; the message offers the name meant, if close."""

    code = "UNKNOWN_SCENARIO"
    status = 404

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        hint = unknown_name_hint(name, self.known)
        end = " " if hint.endswith("?") else ". "
        super().__init__(f"unknown scenario {name!r}{hint}{end}Known: {', '.join(self.known)}")


class Scenario(msgspec.Struct, frozen=True):
    """A loaded scenario: its typed model, and the merged document it was parsed from."""

    name: str
    provider: str
    description: str
    source: str
    model: ScenarioModel
    data: Mapping[str, object]

    def __repr__(self) -> str:
        # Without the model and the document: a scenario shows as its name and where it is
        # from, not as the whole of its contents (a record's repr would show every field).
        return (
            f"{type(self).__qualname__}(name={self.name!r}, provider={self.provider!r}, "
            f"description={self.description!r}, source={self.source!r})"
        )

    def summary(self) -> ScenarioSummary:
        return {
            "name": self.name,
            "provider": self.provider,
            "description": self.description,
            "source": self.source,
        }


def _field_name(path: FieldPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# Bounds on what one scenario file may be: a small file can expand hugely through YAML aliases.
MAX_FILE_BYTES = 4 * 1024 * 1024
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


class _Positions:
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
        return ScenarioError([ScenarioProblem(self.file, line, _field_name(path), message)])

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

    def line(self, path: FieldPath) -> int | None:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return None


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


def read_yaml(text: str, file: str) -> tuple[object, _Positions]:
    """Parse one YAML document safely, keeping each field's line; raise ScenarioError if broken."""
    positions = _Positions(file)
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
    return data, positions


class _Source(msgspec.Struct):
    """One scenario file as read: its document and where each field stands."""

    file: str
    label: str
    data: dict[str, object]
    positions: _Positions

    @property
    def provider(self) -> str | None:
        provider = self.data.get("provider")
        if isinstance(provider, str):
            return provider
        parent = self.data.get("extends")
        return parent.split("/", 1)[0] if isinstance(parent, str) and "/" in parent else None

    @property
    def name(self) -> str:
        return f"{self.provider}/{Path(self.file).stem}"


class _Layers:
    """Where a field of a merged (extended) document comes from: the child first."""

    def __init__(self, sources: Sequence[_Source]) -> None:
        self.sources = sources

    def locate(self, path: FieldPath) -> tuple[str, int | None]:
        best, depth = self.sources[0], -1
        for source in self.sources:
            known = max(
                (n for n in range(len(path) + 1) if path[:n] in source.positions.lines), default=0
            )
            if known > depth:
                best, depth = source, known
        return best.file, best.positions.line(path)

    def problem(self, path: FieldPath, field: str, message: str) -> ScenarioProblem:
        file, line = self.locate(path)
        return ScenarioProblem(file, line, field, message)


def _read(text: str, file: str, label: str) -> _Source:
    data, positions = read_yaml(text, file)
    problems = [
        ScenarioProblem(file, positions.line(path), _field_name(path[:-1]), message)
        for path, message in positions.duplicates
    ]
    if not isinstance(data, dict):
        problems.append(ScenarioProblem(file, 1, "", "a scenario is a mapping of fields"))
    elif not problems:
        return _Source(file, label, data, positions)
    raise ScenarioError(problems)


def _merge(parent: Mapping[str, object], child: Mapping[str, object]) -> dict[str, object]:
    """Mappings merge key by key; anything else (lists included) the child replaces."""
    merged = dict(parent)
    for key, value in child.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            merged[key] = _merge(current, value)
        else:
            merged[key] = value
    return merged


def _build(
    chain: Sequence[_Source],
    contracts: Contracts,
    readers: Readers,
) -> Scenario:
    """Validate a source merged over its ancestors (`chain`, child first) into a Scenario."""
    data: dict[str, object] = {}
    for source in reversed(chain):
        data = _merge(data, source.data)
    data.pop("extends", None)
    data.pop("overrides", None)
    child = chain[0]
    if "extends" in child.data:
        # A description says what this file changes: never its parent's. One it lacks is its
        # own problem, reported at its own file (not at the parent's description).
        data.pop("description", None)
        if "description" in child.data:
            data["description"] = child.data["description"]
    layers = _Layers(chain)
    # The built-in files are schema-checked by the project's own tests, and the schema check
    # is most of a start-up; files a user wrote (or extends) are always checked.
    trusted = all(source.label == "builtin" for source in chain)
    problems = [] if trusted else _schema_problems(data, layers, contracts)
    if problems:
        raise ScenarioError(problems)
    problems += _common_checks(data, layers)
    if problems:
        raise ScenarioError(problems)
    # Both are text: the schema (or, built in, the project's tests) saw to it.
    provider, description = str(data["provider"]), str(data["description"])
    reader = readers.get(provider)
    model, found = reader.read(data) if reader else (ScenarioModel(**common_fields(data)), [])
    problems += [layers.problem(path, _field_name(path), message) for path, message in found]
    if problems:
        raise ScenarioError(problems)
    return Scenario(
        name=f"{provider}/{Path(child.file).stem}",
        provider=provider,
        description=description.strip(),
        source=child.label,
        model=model,
        data=data,
    )


def parse_scenario(
    text: str,
    *,
    file: str,
    contracts: Contracts | None = None,
    readers: Readers,
    source: str | None = None,
) -> Scenario:
    """Build a Scenario from one file's YAML, or raise ScenarioError listing every problem.

    A file that `extends` another needs the others: load it through a ScenarioCatalog.
    """
    read = _read(text, file, source or file)
    if "extends" in read.data:
        raise ScenarioError(
            [
                ScenarioProblem(
                    file,
                    read.positions.line(("extends",)),
                    "extends",
                    "a scenario that extends another is loaded with its catalog",
                )
            ]
        )
    return _build([read], contracts or default_contracts(), readers)


def _schema_problems(
    data: Mapping[str, object], layers: _Layers, contracts: Contracts
) -> list[ScenarioProblem]:
    schema = contracts.documents["scenario.schema"]
    provider = data.get("provider")
    if provider not in schema["properties"]["provider"]["enum"]:
        known = ", ".join(schema["properties"]["provider"]["enum"])
        return [layers.problem(("provider",), "provider", f"{provider!r} is not one of {known}")]
    problems = [
        layers.problem(p.path, p.location, p.message)
        for p in contracts.check("scenario.schema", data)
        # A failing provider section leaves its fields "unevaluated"; unknown top-level
        # fields are reported below, against the provider's own list.
        if not (p.schema_path == "unevaluatedProperties" and not p.path)
    ]
    allowed = set(schema["properties"]) | set(schema["$defs"][provider]["properties"])
    for key in sorted(set(data) - allowed, key=str):
        problems.append(
            layers.problem(
                (key,), str(key), f"unknown field; allowed: {', '.join(sorted(allowed))}"
            )
        )
    return problems


def _common_checks(data: Mapping[str, object], layers: _Layers) -> list[ScenarioProblem]:
    now = section(data, "clock").get("now")
    if now is not None:
        try:
            checked_instant(parse_instant(now))
        except (ValueError, OverflowError) as error:
            return [layers.problem(("clock", "now"), "clock.now", str(error))]
    return []


def scenario_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


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


def folder_label(path: Path, directories: Sequence[Path]) -> str:
    """A file as the admin API shows it: `<folder>/<path in it>`, never an absolute path."""
    for directory in directories:
        if path.is_relative_to(directory):
            return f"{directory.name}/{path.relative_to(directory).as_posix()}"
    return path.name


def _read_file(path: Path, label: str, providers: Collection[str]) -> _Source:
    def refused(message: str) -> ScenarioError:
        return ScenarioError([ScenarioProblem(str(path), None, "", message)])

    try:
        # Checked before opening: a device (/dev/zero) never ends, a FIFO blocks on open.
        if not stat.S_ISREG(path.stat().st_mode):
            raise refused("not a regular file; refused")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise refused(f"over {MAX_FILE_BYTES} bytes; refused")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # a file that grew meanwhile stops here
        if len(data) > MAX_FILE_BYTES:
            raise refused(f"over {MAX_FILE_BYTES} bytes; refused")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(
            [ScenarioProblem(str(path), None, "", f"cannot read: {error}")]
        ) from None
    source = _read(text, str(path), label)
    folder = path.parent.name
    if folder in providers and source.provider not in (None, folder):
        raise ScenarioError(
            [
                ScenarioProblem(
                    str(path),
                    source.positions.line(("provider",)),
                    "provider",
                    f"{source.provider!r} in a {folder}/ folder",
                )
            ]
        )
    return source


def builtin_name(path: Path) -> str:
    """A built-in file's scenario name, known without reading it: `<provider folder>/<stem>`
    (a test holds every built-in file to it)."""
    return f"{path.parent.name}/{path.stem}"


# A file named for its scenario but not read yet: a built-in one, read when first needed.
_Entry = _Source | Path


class _Files:
    """The files a set of scenarios is built from, by scenario name: the user's read and
    checked at once, the built-in ones read the first time a scenario needs them.

    A user file may take a built-in's name only with `overrides: true`; then `extends` of its
    own name means the built-in it replaces (kept in `shadowed`).
    """

    def __init__(
        self,
        builtin: Sequence[Path],
        user: Sequence[Path],
        readers: Readers,
        labels: Mapping[Path, str],
    ) -> None:
        self.readers = readers
        self.problems: list[ScenarioProblem] = []
        self.final: dict[str, _Entry] = {builtin_name(path): path for path in builtin}
        self.shadowed: dict[str, _Entry] = {}
        self.user: list[str] = []
        for path in user:
            try:
                source = _read_file(path, labels.get(path, str(path)), readers)
            except ScenarioError as error:
                self.problems += error.problems
                continue
            if self._admit(source):
                self.user.append(source.name)

    def _admit(self, source: _Source) -> bool:
        if source.provider is None:
            self.problems.append(
                ScenarioProblem(source.file, 1, "provider", "'provider' is required")
            )
            return False
        earlier = self.final.get(source.name)
        if earlier is not None:
            label = _label(earlier)
            builtin = label == "builtin"
            if not (builtin and source.data.get("overrides") is True):
                hint = " (say overrides: true to replace it)" if builtin else ""
                message = f"scenario {source.name!r} is already defined by {label}{hint}"
                self.problems.append(ScenarioProblem(source.file, 1, "", message))
                return False
            self.shadowed[source.name] = earlier
        self.final[source.name] = source
        return True

    def _source(self, table: dict[str, _Entry], name: str) -> _Source:
        """The file of `name` in `table` (`final` or `shadowed`), read once if built in."""
        entry = table[name]
        if isinstance(entry, Path):
            entry = table[name] = _read_file(entry, "builtin", self.readers)
        return entry

    def build(self, name: str, contracts: Contracts) -> Scenario:
        """The scenario `name`: its file merged over its ancestors and checked."""
        return _build(self._ancestry(self._source(self.final, name)), contracts, self.readers)

    def _ancestry(self, source: _Source) -> list[_Source]:
        """The source, its parent, its parent's parent…; unknown parents and cycles are errors."""
        chain = [source]
        current = source
        while "extends" in current.data:
            parent_name = current.data["extends"]
            line = current.positions.line(("extends",))
            if not isinstance(parent_name, str):
                raise ScenarioError(
                    [ScenarioProblem(current.file, line, "extends", "must be a scenario name")]
                )
            table = self.shadowed if parent_name == current.name else self.final
            if parent_name not in table:
                raise ScenarioError(
                    [
                        ScenarioProblem(
                            current.file, line, "extends", f"unknown scenario {parent_name!r}"
                        )
                    ]
                )
            parent = self._source(table, parent_name)
            if any(parent.file == seen.file for seen in chain):
                cycle = " -> ".join([*(s.name for s in chain), parent.name])
                start = source.positions.line(("extends",))
                raise ScenarioError(
                    [ScenarioProblem(source.file, start, "extends", f"extends cycle: {cycle}")]
                )
            chain.append(parent)
            current = parent
        return chain


def _label(entry: _Entry) -> str:
    return "builtin" if isinstance(entry, Path) else entry.label


def load_scenarios(
    builtin: Sequence[Path],
    user: Sequence[Path],
    *,
    contracts: Contracts | None = None,
    readers: Readers,
    labels: Mapping[Path, str] | None = None,
) -> tuple[dict[str, Scenario], list[ScenarioProblem]]:
    """Read, extend and check scenario files, every one of them now: built-in ones first, then
    the user's (each shown as its `labels` entry, else its path)."""
    contracts = contracts or default_contracts()
    files = _Files(builtin, user, readers, labels or {})
    problems = list(files.problems)
    scenarios: dict[str, Scenario] = {}
    for name in files.final:
        try:
            scenarios[name] = files.build(name, contracts)
        except ScenarioError as error:
            problems += error.problems
    return scenarios, problems


# The name (and "file") of a scenario given as data: `<provider>/inline`.
INLINE = "inline"


class ScenarioCatalog:
    """Every scenario the server can load: the built-in ones, then the user's directories.

    The user's files are read and checked up front; one broken file refuses the whole
    catalog, so a server never starts with half its scenarios. A built-in file is read the
    first time a scenario needs it: the package's own tests check every one, and reading
    all twenty was a fifth of a test suite's start.
    """

    def __init__(
        self,
        user_dirs: Sequence[Path] = (),
        *,
        contracts: Contracts | None = None,
        readers: Readers,
        include_builtin: bool = True,
    ) -> None:
        self.user_dirs = [Path(d) for d in user_dirs]
        problems: list[ScenarioProblem] = []
        user_files: list[Path] = []
        # Shown by `GET /__admin/scenarios` as `<folder>/<path in it>`: no absolute paths.
        labels: dict[Path, str] = {}
        for directory in self.user_dirs:
            if not directory.is_dir():
                problems.append(ScenarioProblem(str(directory), None, "", "not a directory"))
            elif not os.access(directory, os.R_OK | os.X_OK):
                # Never taken for an empty folder: its scenarios would silently be missing.
                problems.append(ScenarioProblem(str(directory), None, "", "cannot be read"))
            else:
                here = scenario_files(directory)
                labels.update((path, folder_label(path, [directory])) for path in here)
                user_files += here
        builtin = scenario_files(scenarios_dir()) if include_builtin else []
        self._contracts = contracts or default_contracts()
        self._files = _Files(builtin, user_files, readers, labels)
        self._scenarios: dict[str, Scenario] = {}
        # Built from more than one thread (a server's and a test's): each scenario once.
        self._lock = threading.Lock()
        problems += self._files.problems
        for name in self._files.user:
            try:
                self._scenarios[name] = self._files.build(name, self._contracts)
            except ScenarioError as error:
                problems += error.problems
        if problems:
            raise ScenarioError(problems)

    def inline(
        self,
        data: Mapping[str, object],
        *,
        contracts: Contracts | None = None,
        readers: Readers,
    ) -> Scenario:
        """A scenario given as data rather than a file (usually `extends` and a few fields), named
        `<provider>/inline`; checked like a file, its problems named by field."""
        given = {"description": f"given as data, from {data.get('extends', 'nothing')}", **data}
        child = _Source(INLINE, INLINE, given, _Positions(INLINE))
        chain = [child]
        parent_name = data.get("extends")
        if parent_name is not None:
            if not isinstance(parent_name, str) or parent_name not in self._files.final:
                raise ScenarioError(
                    [ScenarioProblem(INLINE, None, "extends", f"unknown scenario {parent_name!r}")]
                )
            parent = self.get(parent_name)
            chain.append(_Source(parent.source, parent.source, dict(parent.data), _Positions("")))
        if chain[0].provider is None:
            raise ScenarioError(
                [ScenarioProblem(INLINE, None, "provider", "'provider' is required")]
            )
        return _build(chain, contracts or default_contracts(), readers)

    def names(self) -> list[str]:
        return sorted(self._files.final)

    def get(self, name: str) -> Scenario:
        found = self._scenarios.get(name)
        if found is not None:
            return found
        if name not in self._files.final:
            raise UnknownScenarioError(name, self._files.final)
        with self._lock:
            found = self._scenarios.get(name)
            if found is None:
                found = self._scenarios[name] = self._files.build(name, self._contracts)
        return found

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.get(name) for name in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._files.final
