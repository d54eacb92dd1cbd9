"""Scenario files: YAML read with line numbers, checked against their schema, found by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mockserver.clock import parse_instant
from mockserver.contracts import Contracts, default_contracts
from mockserver.resources import scenarios_dir

FieldPath = tuple[str | int, ...]
# A provider's own consistency checks over a schema-valid document: (field path, message) pairs.
SemanticCheck = Callable[[Mapping[str, Any]], Iterable[tuple[FieldPath, str]]]

DEFAULT_NOW = "2026-05-26T12:00:00.000Z"


@dataclass(frozen=True)
class ScenarioProblem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class ScenarioError(Exception):
    """One or more scenario files are broken; nothing from them was loaded."""

    def __init__(self, problems: Sequence[ScenarioProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))


class UnknownScenarioError(LookupError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown scenario {name!r}; known: {', '.join(self.known)}")


@dataclass(frozen=True)
class Scenario:
    name: str
    provider: str
    description: str
    source: str
    data: Mapping[str, Any] = field(repr=False)

    @property
    def seed(self) -> int:
        return int(self.data.get("seed", 0))

    @property
    def now(self) -> str:
        return str(self.data.get("clock", {}).get("now", DEFAULT_NOW))

    @property
    def frozen(self) -> bool:
        return bool(self.data.get("clock", {}).get("frozen", True))

    def summary(self) -> dict[str, Any]:
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


class _Positions:
    """Line numbers of every node of a YAML document, by field path."""

    def __init__(self) -> None:
        self.lines: dict[FieldPath, int] = {}
        self.duplicates: list[tuple[FieldPath, str]] = []

    def walk(self, node: yaml.Node, path: FieldPath = ()) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key, value in node.value:
                name = key.value
                if name in seen:
                    self.lines[(*path, name, "#dup")] = key.start_mark.line + 1
                    self.duplicates.append(((*path, name, "#dup"), f"duplicate key {name!r}"))
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


def read_yaml(text: str, file: str) -> tuple[Any, _Positions]:
    """Parse one YAML document safely, keeping each field's line; raise ScenarioError if broken."""
    positions = _Positions()
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([ScenarioProblem(file, 1, "", "the file is empty")])
        positions.walk(node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(filter(None, [error.context, error.problem]))
        raise ScenarioError(
            [ScenarioProblem(file, line, "", f"not valid YAML: {message}")]
        ) from None
    except yaml.YAMLError as error:
        raise ScenarioError([ScenarioProblem(file, None, "", f"not valid YAML: {error}")]) from None
    finally:
        loader.dispose()
    return data, positions


def parse_scenario(
    text: str,
    *,
    file: str,
    name_hint: str | None = None,
    contracts: Contracts | None = None,
    checks: Mapping[str, SemanticCheck] | None = None,
    source: str | None = None,
) -> Scenario:
    """Build a Scenario from YAML text, or raise ScenarioError listing every problem found."""
    contracts = contracts or default_contracts()
    data, positions = read_yaml(text, file)
    problems = [
        ScenarioProblem(file, positions.line(path), _field_name(path[:-1]), message)
        for path, message in positions.duplicates
    ]
    if not isinstance(data, dict):
        problems.append(ScenarioProblem(file, 1, "", "a scenario is a mapping of fields"))
        raise ScenarioError(problems)
    problems += _schema_problems(data, file, positions, contracts)
    if not problems:
        problems.extend(_common_checks(data, file, positions))
        check = (checks or {}).get(data["provider"])
        for path, message in check(data) if check else ():
            problems.append(ScenarioProblem(file, positions.line(path), _field_name(path), message))
    if problems:
        raise ScenarioError(problems)
    provider = data["provider"]
    stem = name_hint or Path(file).stem
    return Scenario(
        name=f"{provider}/{stem}",
        provider=provider,
        description=data["description"].strip(),
        source=source or file,
        data=data,
    )


def _schema_problems(
    data: Mapping[str, Any], file: str, positions: _Positions, contracts: Contracts
) -> list[ScenarioProblem]:
    schema = contracts.documents["scenario.schema"]
    provider = data.get("provider")
    if provider not in schema["properties"]["provider"]["enum"]:
        known = ", ".join(schema["properties"]["provider"]["enum"])
        return [
            ScenarioProblem(
                file,
                positions.line(("provider",)),
                "provider",
                f"{provider!r} is not one of {known}",
            )
        ]
    problems = [
        ScenarioProblem(file, positions.line(p.path), p.location, p.message)
        for p in contracts.check("scenario.schema", data)
        # A failing provider section leaves its fields "unevaluated"; unknown top-level
        # fields are reported below, against the provider's own list.
        if not (p.schema_path == "unevaluatedProperties" and not p.path)
    ]
    allowed = set(schema["properties"]) | set(schema["$defs"][provider]["properties"])
    for key in sorted(set(data) - allowed, key=str):
        problems.append(
            ScenarioProblem(
                file,
                positions.line((key,)),
                str(key),
                f"unknown field; allowed: {', '.join(sorted(allowed))}",
            )
        )
    return problems


def _common_checks(
    data: Mapping[str, Any], file: str, positions: _Positions
) -> list[ScenarioProblem]:
    problems = []
    now = data.get("clock", {}).get("now")
    if now is not None:
        try:
            parse_instant(now)
        except ValueError as error:
            path: FieldPath = ("clock", "now")
            problems.append(ScenarioProblem(file, positions.line(path), "clock.now", str(error)))
    return problems


def load_scenario_file(
    path: Path,
    *,
    contracts: Contracts | None = None,
    checks: Mapping[str, SemanticCheck] | None = None,
    source: str | None = None,
) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(
            [ScenarioProblem(str(path), None, "", f"cannot read: {error}")]
        ) from None
    scenario = parse_scenario(
        text, file=str(path), contracts=contracts, checks=checks, source=source
    )
    folder = path.parent.name
    if folder in {"huskyvoice", "leyr"} and folder != scenario.provider:
        raise ScenarioError(
            [
                ScenarioProblem(
                    str(path), 1, "provider", f"{scenario.provider!r} in a {folder}/ folder"
                )
            ]
        )
    return scenario


def scenario_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


class ScenarioCatalog:
    """Every scenario the server can load: the built-in ones, then the user's directories.

    All files are read and checked up front; one broken file refuses the whole catalog,
    so a server never starts with half its scenarios.
    """

    def __init__(
        self,
        user_dirs: Sequence[Path] = (),
        *,
        contracts: Contracts | None = None,
        checks: Mapping[str, SemanticCheck] | None = None,
        include_builtin: bool = True,
    ) -> None:
        self.user_dirs = [Path(d) for d in user_dirs]
        self._scenarios: dict[str, Scenario] = {}
        problems: list[ScenarioProblem] = []
        sources = [(scenarios_dir(), "builtin")] if include_builtin else []
        for directory in self.user_dirs:
            if not directory.is_dir():
                problems.append(ScenarioProblem(str(directory), None, "", "not a directory"))
                continue
            sources.append((directory, "user"))
        for directory, kind in sources:
            for path in scenario_files(directory):
                label = "builtin" if kind == "builtin" else str(path)
                try:
                    scenario = load_scenario_file(
                        path, contracts=contracts, checks=checks, source=label
                    )
                except ScenarioError as error:
                    problems.extend(error.problems)
                    continue
                earlier = self._scenarios.get(scenario.name)
                if earlier is not None:
                    problems.append(
                        ScenarioProblem(
                            str(path),
                            1,
                            "",
                            f"scenario {scenario.name!r} is already defined by {earlier.source}",
                        )
                    )
                    continue
                self._scenarios[scenario.name] = scenario
        if problems:
            raise ScenarioError(problems)

    def names(self) -> list[str]:
        return sorted(self._scenarios)

    def get(self, name: str) -> Scenario:
        try:
            return self._scenarios[name]
        except KeyError:
            raise UnknownScenarioError(name, self._scenarios) from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._scenarios[name] for name in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._scenarios
