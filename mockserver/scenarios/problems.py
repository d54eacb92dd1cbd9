"""What is wrong with a scenario, and where: field paths, their lines, problems and the error."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypedDict

import msgspec

from mockserver.core.errors import MockError

FieldPath = tuple[str | int, ...]


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


def field_name(path: FieldPath) -> str:
    """A field path as a scenario's author writes it: `appointments[0].status`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class Lines:
    """The line each field of a document starts on, by field path.

    A document given as data has none. A built-in file read from its prepared copy finds them
    only when a problem needs one (`later`): its YAML is parsed then, and never otherwise.
    """

    def __init__(
        self,
        known: Mapping[FieldPath, int] | None = None,
        *,
        later: Callable[[], Mapping[FieldPath, int]] | None = None,
    ) -> None:
        self._known = known
        self._later = later

    @property
    def known(self) -> Mapping[FieldPath, int]:
        if self._known is None:
            self._known = self._later() if self._later else {}
        return self._known

    def line(self, path: FieldPath) -> int | None:
        """The line of `path`, or of the nearest field that holds it."""
        known = self.known
        for cut in range(len(path), -1, -1):
            if path[:cut] in known:
                return known[path[:cut]]
        return None
