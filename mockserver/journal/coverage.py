"""Contract coverage: which outcome of which documented operation a client's suite has exercised.

An outcome is a status (`200`), a status with its error code (`404 NOT_FOUND`), or, where one
operation answers several ways with one status, the status with what it says (Leyr's
`200 awaiting_confirmation`). Counts survive resets: they describe a whole test run.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping

from mockserver.core.documents import CoverageReport, OperationCoverage, ProviderCoverage
from mockserver.core.routing import Operation

Key = tuple[str, str, str]  # (provider, "METHOD /path/template", outcome)


def operation_label(op: Operation) -> str:
    return _label(op.method, op.path)


def _label(method: str, path: str) -> str:
    return f"{method} {path}"


def outcomes(op: Operation, defaults: Mapping[str, int], details: Iterable[str]) -> list[str]:
    """Every outcome an operation can have, as the table declares it."""
    found = [
        f"{status} {detail}".strip()
        for status in op.responses
        for detail in (list(details) or [""])
    ]
    found += [f"{status} {code}" for code, status in op.error_statuses(defaults)]
    return list(dict.fromkeys(found))


class Coverage:
    """Counts of exercised outcomes, behind their own lock (read while requests go on)."""

    def __init__(self) -> None:
        # By (provider, method, path template, outcome): counting runs for every request, so
        # the operation's label is made when the counts are read, not each time one is added.
        self._counts: dict[tuple[str, str, str, str], int] = {}
        self._scenarios: dict[tuple[str, str, str, str], set[str]] = {}
        self._lock = threading.Lock()

    def count(self, provider: str, op: Operation, outcome: str, scenario: str) -> None:
        """One exchange's outcome, with the scenario in force when it came (kept as it was:
        later switches and resets do not touch what was counted)."""
        key = (provider, op.method, op.path, outcome)
        with self._lock:
            counts = self._counts
            counts[key] = counts.get(key, 0) + 1
            seen = self._scenarios.get(key)
            if seen is None:
                self._scenarios[key] = {scenario}
            else:
                seen.add(scenario)

    def counts(self) -> dict[Key, int]:
        with self._lock:
            return {_labelled(key): n for key, n in self._counts.items()}

    def scenarios(self) -> dict[Key, list[str]]:
        with self._lock:
            return {_labelled(key): sorted(names) for key, names in self._scenarios.items()}


def _labelled(key: tuple[str, str, str, str]) -> Key:
    provider, method, path, outcome = key
    return provider, _label(method, path), outcome


def report(
    universe: Mapping[str, Mapping[str, list[str]]],
    counts: Mapping[Key, int],
    scenarios: Mapping[Key, list[str]] | None = None,
) -> CoverageReport:
    """Per provider, every operation's outcomes with how often each was seen, and the share of
    them seen at least once. An outcome the operation does not declare is listed apart, under
    `undeclared`: the export promised no such answer, so it must not count towards coverage.
    `scenarios` names, per outcome seen, the scenarios it was seen under."""
    scenarios = scenarios or {}
    document: CoverageReport = {}
    for provider, operations in universe.items():
        listed = []
        covered = total = 0
        for label, known in operations.items():
            seen = {outcome: counts.get((provider, label, outcome), 0) for outcome in known}
            covered += sum(1 for n in seen.values() if n)
            total += len(seen)
            entry: OperationCoverage = {"operation": label, "outcomes": seen}
            extra = {
                outcome: n
                for (where, op, outcome), n in counts.items()
                if (where, op) == (provider, label) and outcome not in seen
            }
            if extra:
                entry["undeclared"] = extra
            under = {
                outcome: scenarios[(provider, label, outcome)]
                for outcome in [*seen, *extra]
                if (provider, label, outcome) in scenarios
            }
            if under:
                entry["scenarios"] = under
            listed.append(entry)
        percent = round(100 * covered / total, 1) if total else 100.0
        document[provider] = {
            "operations": listed,
            "covered": covered,
            "total": total,
            "percent": percent,
        }
    return document


def combine(reports: Iterable[Mapping[str, ProviderCoverage]]) -> CoverageReport:
    """Reports of several runs (xdist workers) over the same table, added up."""
    reports = list(reports)
    if not reports:
        return {}
    counts: Counter[Key] = Counter()
    under: dict[Key, set[str]] = {}
    universe: dict[str, dict[str, list[str]]] = {}
    for part in reports:
        for provider, section in part.items():
            for entry in section["operations"]:
                universe.setdefault(provider, {})[entry["operation"]] = list(entry["outcomes"])
                seen = {**entry["outcomes"], **entry.get("undeclared", {})}
                for outcome, n in seen.items():
                    counts[(provider, entry["operation"], outcome)] += n
                for outcome, names in entry.get("scenarios", {}).items():
                    under.setdefault((provider, entry["operation"], outcome), set()).update(names)
    return report(universe, counts, {key: sorted(names) for key, names in under.items()})


def provider_line(provider: str, section: ProviderCoverage) -> str:
    """A provider's coverage in one line: `leyr: 4/32 outcomes (12.5%)`."""
    return f"{provider}: {section['covered']}/{section['total']} outcomes ({section['percent']}%)"


def text(document: Mapping[str, ProviderCoverage]) -> list[str]:
    """The report for a terminal: one line per operation, then a total per provider."""
    lines: list[str] = []
    for provider, section in document.items():
        lines.append(provider_line(provider, section))
        for entry in section["operations"]:
            seen = sum(1 for n in entry["outcomes"].values() if n)
            missing = [o for o, n in entry["outcomes"].items() if not n]
            undeclared = list(entry.get("undeclared", {}))
            lines.append(
                f"  {entry['operation']}: {seen}/{len(entry['outcomes'])}"
                + (f"; never: {', '.join(missing)}" if missing else "")
                + (f"; undeclared: {', '.join(undeclared)}" if undeclared else "")
            )
    return lines


def percent(document: Mapping[str, ProviderCoverage]) -> float:
    covered = sum(section["covered"] for section in document.values())
    total = sum(section["total"] for section in document.values())
    return round(100 * covered / total, 1) if total else 100.0
