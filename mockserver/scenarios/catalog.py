"""Scenario files: read with line numbers, checked against their schema, found by name.

A scenario's problems (`problems`) and the listing of its files (`core.resources`) are named
here too, where their users look for them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import msgspec

from mockserver.core.clock import checked_instant, parse_instant
from mockserver.core.contracts import MAX_WALK_STEPS, Contracts, default_contracts
from mockserver.core.documents import ScenarioSummary
from mockserver.core.errors import MockError
from mockserver.core.resources import read_bounded, scenarios_dir
from mockserver.core.resources import scenario_files as scenario_files
from mockserver.scenarios.model import ScenarioModel, common_fields, section
from mockserver.scenarios.prepared import prepared_document
from mockserver.scenarios.problems import FieldPath as FieldPath
from mockserver.scenarios.problems import Lines, field_name
from mockserver.scenarios.problems import ScenarioError as ScenarioError
from mockserver.scenarios.problems import ScenarioProblem as ScenarioProblem


class ScenarioReader(Protocol):
    """What turns a provider's schema-checked document into its typed model (a provider)."""

    def read(
        self, data: Mapping[str, object]
    ) -> tuple[ScenarioModel, list[tuple[FieldPath, str]]]: ...


Readers = Mapping[str, ScenarioReader]


# How alike a name must be to a known one to be offered as the one meant (a typo, not a
# different scenario of the same provider).
CLOSE_ENOUGH = 0.8
OWN_FILES_HINT = (
    "; it is not built in: a scenario file of your own is found with --scenarios-dir DIR "
    "(pytest: --mockserver-scenarios-dir DIR)"
)


def unknown_name_hint(name: str, known: Iterable[str]) -> str:
    """`; did you mean 'leyr/two-step'?` for a typo of a known name, else where own files go."""
    import difflib  # here: only a mistaken name needs it (1.4 ms at start-up)

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


# Bounds on what one scenario file may be: a small file can expand hugely through YAML aliases.
MAX_FILE_BYTES = 4 * 1024 * 1024
# How far jsonschema may walk a scenario file to word its problems (about 10 µs a step): a file
# is the operator's own, and one of 829 appointments with one mistake takes some 30,000 steps,
# past the bound on what a client sends (MAX_WALK_STEPS: inline scenarios and added stubs).
FILE_WALK_STEPS = 500_000


class _Source(msgspec.Struct):
    """One scenario file as read: its document and where each field stands."""

    file: str
    label: str
    data: dict[str, object]
    positions: Lines
    # One of the package's own files: trusted (its tests check it) and read from its prepared
    # copy. Never told by its label: a user's file may be named `builtin`.
    builtin: bool = False

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
                (n for n in range(len(path) + 1) if path[:n] in source.positions.known), default=0
            )
            if known > depth:
                best, depth = source, known
        return best.file, best.positions.line(path)

    def problem(self, path: FieldPath, field: str, message: str) -> ScenarioProblem:
        file, line = self.locate(path)
        return ScenarioProblem(file, line, field, message)


def _read(text: str, file: str, label: str, *, builtin: bool = False) -> _Source:
    from mockserver.scenarios.yaml_source import read_yaml  # here: PyYAML costs 15 ms to load

    document = read_yaml(text, file)
    data, positions = document.data, Lines(document.lines)
    problems = [
        ScenarioProblem(file, positions.line(path), field_name(path[:-1]), message)
        for path, message in document.duplicates
    ]
    if not isinstance(data, dict):
        problems.append(ScenarioProblem(file, 1, "", "a scenario is a mapping of fields"))
    elif not problems:
        return _Source(file, label, data, positions, builtin)
    raise ScenarioError(problems)


def read_document(text: str, file: str) -> dict[str, object]:
    """One scenario file's document, as a scenario is built from it; ScenarioError when the file
    is no YAML, holds a duplicated key or is no mapping."""
    return _read(text, file, file).data


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
    *,
    walk_steps: int = FILE_WALK_STEPS,
) -> Scenario:
    """Validate a source merged over its ancestors (`chain`, child first) into a Scenario;
    `walk_steps` bounds the wording of its schema problems (Contracts.check)."""
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
    trusted = all(source.builtin for source in chain)
    problems = [] if trusted else _schema_problems(data, layers, contracts, walk_steps)
    if problems:
        raise ScenarioError(problems)
    problems += _common_checks(data, layers)
    if problems:
        raise ScenarioError(problems)
    # Both are text: the schema (or, built in, the project's tests) saw to it.
    provider, description = str(data["provider"]), str(data["description"])
    reader = readers.get(provider)
    model, found = reader.read(data) if reader else (ScenarioModel(**common_fields(data)), [])
    problems += [layers.problem(path, field_name(path), message) for path, message in found]
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
    data: Mapping[str, object], layers: _Layers, contracts: Contracts, walk_steps: int
) -> list[ScenarioProblem]:
    schema = contracts.documents["scenario.schema"]
    provider = data.get("provider")
    if provider not in schema["properties"]["provider"]["enum"]:
        known = ", ".join(schema["properties"]["provider"]["enum"])
        return [layers.problem(("provider",), "provider", f"{provider!r} is not one of {known}")]
    problems = [
        layers.problem(p.path, p.location, p.message)
        for p in contracts.check("scenario.schema", data, walk_steps=walk_steps)
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


def folder_label(path: Path, directories: Sequence[Path]) -> str:
    """A file as the admin API shows it: `<folder>/<path in it>`, never an absolute path."""
    for directory in directories:
        if path.is_relative_to(directory):
            return f"{directory.name}/{path.relative_to(directory).as_posix()}"
    return path.name


def _read_file(
    path: Path, label: str, providers: Collection[str], *, builtin: bool = False
) -> _Source:
    try:
        data = read_bounded(path, MAX_FILE_BYTES)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(
            [ScenarioProblem(str(path), None, "", f"cannot read: {error}")]
        ) from None
    except ValueError as refusal:  # no regular file, or too large
        raise ScenarioError([ScenarioProblem(str(path), None, "", str(refusal))]) from None
    prepared = _prepared_source(path, data, text, label) if builtin else None
    source = prepared or _read(text, str(path), label, builtin=builtin)
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


def _prepared_source(path: Path, data: bytes, text: str, label: str) -> _Source | None:
    """A built-in file from its prepared copy, while that copy is of this very text."""
    document = prepared_document(path, data)
    if document is None:
        return None
    file = str(path)

    def lines() -> Mapping[FieldPath, int]:
        return _read(text, file, label).positions.known

    return _Source(file, label, document, Lines(later=lines), builtin=True)


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
            builtin = isinstance(earlier, Path) or earlier.builtin
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
            entry = table[name] = _read_file(entry, "builtin", self.readers, builtin=True)
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
            if not isinstance(parent_name, str):
                raise _extends_problem(current, "must be a scenario name")
            table = self.shadowed if parent_name == current.name else self.final
            if parent_name not in table:
                raise _extends_problem(current, f"unknown scenario {parent_name!r}")
            parent = self._source(table, parent_name)
            if any(parent.file == seen.file for seen in chain):
                cycle = " -> ".join([*(s.name for s in chain), parent.name])
                raise _extends_problem(source, f"extends cycle: {cycle}")
            chain.append(parent)
            current = parent
        return chain


def _extends_problem(source: _Source, message: str) -> ScenarioError:
    """A problem with the `extends` of `source`, at its line (looked up only now: a built-in
    file read from its prepared copy finds its lines by parsing its YAML)."""
    line = source.positions.line(("extends",))
    return ScenarioError([ScenarioProblem(source.file, line, "extends", message)])


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
        child = _Source(INLINE, INLINE, given, Lines())
        chain = [child]
        parent_name = data.get("extends")
        if parent_name is not None:
            if not isinstance(parent_name, str) or parent_name not in self._files.final:
                raise ScenarioError(
                    [ScenarioProblem(INLINE, None, "extends", f"unknown scenario {parent_name!r}")]
                )
            parent = self.get(parent_name)
            chain.append(_Source(parent.source, parent.source, dict(parent.data), Lines()))
        if chain[0].provider is None:
            raise ScenarioError(
                [ScenarioProblem(INLINE, None, "provider", "'provider' is required")]
            )
        return _build(chain, contracts or default_contracts(), readers, walk_steps=MAX_WALK_STEPS)

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
