"""What a tester may ask of the mock, parsed and checked once for every surface.

The admin API (JSON over HTTP) and the in-process control (a pytest handle) turn their input
into these commands; the engine only ever receives checked ones. A command that cannot be
carried out raises CommandError with the status and code the admin API answers.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

import msgspec

from mockserver.core.clock import checked_instant, parse_instant
from mockserver.core.errors import MockError
from mockserver.core.exchange import clip

# The longest step the clock takes in one call: a century either way.
MAX_ADVANCE_SECONDS = 100 * 366 * 24 * 3600


class CommandError(MockError, ValueError):
    """A command that cannot be carried out: 400 BAD_REQUEST unless it says otherwise."""


def _only(data: Mapping[str, object], allowed: Collection[str]) -> None:
    unknown = sorted(set(data) - set(allowed), key=str)
    if unknown:
        listed = ", ".join(map(str, unknown))
        raise CommandError(f"unknown field(s) {listed}; allowed: {', '.join(sorted(allowed))}")


def provider_name(value: object, known: Collection[str]) -> str | None:
    """A provider named in a command: absent (all of them) or one the mock serves."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise CommandError(f"provider: a provider name ({', '.join(known)}), got {_show(value)}")
    if value not in known:
        raise CommandError(
            f"unknown provider {clip(value, 60)!r}; known: {', '.join(known)}",
            status=404,
            code="UNKNOWN_PROVIDER",
        )
    return value


def _show(value: object) -> str:
    return clip(repr(value), 60)


class LoadScenario(msgspec.Struct, frozen=True):
    """Make one scenario active for its provider, with fresh state: a catalog name, or a
    scenario given as data in the scenario-file language."""

    name: str | Mapping[str, object]

    @classmethod
    def parse(cls, data: Mapping[str, object]) -> LoadScenario:
        _only(data, {"name", "scenario"})
        if ("name" in data) == ("scenario" in data):
            raise CommandError(
                "give 'name' (a scenario's name, provider/name) or 'scenario' "
                '(one as data, e.g. {"extends": …, "org": {…}}), not both'
            )
        if "scenario" in data:
            if not isinstance(data["scenario"], dict):
                raise CommandError("'scenario' is a scenario as a JSON object")
            return cls(data["scenario"])
        name = data["name"]
        if not isinstance(name, str) or not name:
            raise CommandError("'name' (a scenario's name, provider/name) is required")
        return cls(name)


class Reset(msgspec.Struct, frozen=True):
    """Fresh state: for every provider, one, or by starting clean on named scenarios."""

    provider: str | None = None
    scenarios: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, data: Mapping[str, object], providers: Collection[str]) -> Reset:
        _only(data, {"provider", "scenarios"})
        if "scenarios" not in data:
            return cls(provider=provider_name(data.get("provider"), providers))
        names = data["scenarios"]
        if "provider" in data or not (
            isinstance(names, list) and all(isinstance(n, str) for n in names)
        ):
            raise CommandError("'scenarios' is a list of scenario names, alone")
        return cls(scenarios=tuple(names))


class SetClock(msgspec.Struct, frozen=True):
    """Set the mock's clock to an instant, or move it, for one provider or all."""

    now: datetime | None = None
    advance: timedelta | None = None
    provider: str | None = None

    @classmethod
    def parse(cls, data: Mapping[str, object], providers: Collection[str]) -> SetClock:
        _only(data, {"now", "advance_seconds", "provider"})
        now, advance = data.get("now"), data.get("advance_seconds")
        if (now is None) == (advance is None):
            raise CommandError("give exactly one of 'now' (ISO instant) or 'advance_seconds'")
        provider = provider_name(data.get("provider"), providers)
        if now is not None:
            return cls(now=_instant(now), provider=provider)
        return cls(advance=_advance(advance), provider=provider)

    def moved(self, current: datetime) -> datetime:
        """Where a clock now at `current` goes; CommandError if that is off the calendar."""
        if self.now is not None:
            return self.now
        assert self.advance is not None
        try:
            return checked_instant(current + self.advance)
        except (OverflowError, ValueError) as error:
            raise CommandError(
                f"advance_seconds: the clock would leave its range: {error}"
            ) from None


def _instant(value: object) -> datetime:
    if not isinstance(value, str):
        raise CommandError(f"'now' must be an ISO 8601 instant, got {_show(value)}")
    try:
        return checked_instant(parse_instant(value))
    except (ValueError, OverflowError) as error:
        raise CommandError(
            f"'now' must be an ISO 8601 instant, got {_show(value)}: {error}"
        ) from None


def _advance(value: object) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CommandError(f"'advance_seconds' must be a number, got {_show(value)}")
    if not math.isfinite(value) or abs(value) > MAX_ADVANCE_SECONDS:
        raise CommandError(
            f"'advance_seconds' must be a finite number of at most {MAX_ADVANCE_SECONDS} "
            f"seconds either way, got {_show(value)}"
        )
    return timedelta(seconds=value)
