"""What a test leaves unexplained when it ends: the pytest plugin's teardown check.

A test's contract violations that it did not declare fail it. In strict mode, so does every
request it made that none of its assertions matched and none of its own stubs answered (a call
the code under test makes that the test never looked at), and a stub with `times` that was
not used up; a stub given `expect=True` is checked in any mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from mockserver.core.documents import Violation
from mockserver.journal.recorded import RecordedExchange
from mockserver.testing.control import MockControl


class Audit(msgspec.Struct, frozen=True):
    """What a finished test left unexplained."""

    violations: list[Violation] = msgspec.field(default_factory=list)
    unaccounted: list[RecordedExchange] = msgspec.field(default_factory=list)
    unmet_stubs: list[str] = msgspec.field(default_factory=list)

    @property
    def failures(self) -> str:
        """The strict-mode and stub findings as a failure message ("" when there are none)."""
        lines: list[str] = []
        if self.unaccounted:
            lines.append(
                f"{len(self.unaccounted)} request(s) that no assertion of the test matched and "
                "none of its stubs answered (strict mode):"
            )
            lines += [f"  {describe_exchange(entry)}" for entry in self.unaccounted]
            lines.append(
                "  assert them (mockserver.requests.assert_called, filter, last), "
                "or answer them with a stub"
            )
        lines += self.unmet_stubs
        return "\n".join(lines)


def describe_exchange(entry: RecordedExchange) -> str:
    where = entry.operation and f"{entry.provider} operation {entry.operation}"
    return (
        f"#{entry.id} {entry.method} {entry.path} -> {entry.status} "
        f"({where or 'no documented operation'})"
    )


def audit(control: MockControl, forgiven: set[int], *, strict: bool) -> Audit:
    """Check a test's requests, violations and stubs as it ends; `forgiven` are the request ids
    of violations it declared with `expect_violation`."""
    violations = [v for v in control.violations if v["request_id"] not in forgiven]
    unaccounted: list[RecordedExchange] = []
    if strict:
        broke = {v["request_id"] for v in violations}
        known = control.requests.matched | forgiven | broke
        unaccounted = _unaccounted(control.requests.all(), known, {s.name for s in control.stubs})
    unmet = [found for stub in control.stubs if (found := stub.unmet(strict)) is not None]
    return Audit(violations, unaccounted, unmet)


def _unaccounted(
    entries: Sequence[RecordedExchange], known: set[int], stubs: set[str]
) -> list[RecordedExchange]:
    return [
        entry
        for entry in entries
        if entry.id not in known
        and (entry.interaction is None or entry.interaction["name"] not in stubs)
    ]
