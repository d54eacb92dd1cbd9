"""The mock's clock: frozen at a scenario's instant unless told to run."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from mockserver.core.documents import ClockDocument


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive one is taken as UTC. The UTC designator may be `Z` or
    `z` (RFC 3339 allows both): every surface that reads an instant reads it here."""
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


# The mock's clocks stay well inside the calendar, so every date sum they feed stays valid.
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


def checked_instant(value: datetime) -> datetime:
    """`value`, if a mock clock may stand there; ValueError otherwise."""
    if not EARLIEST <= value < LATEST:
        raise ValueError(
            f"{format_instant(value)} is outside the mock's range "
            f"{format_instant(EARLIEST)} to {format_instant(LATEST)}"
        )
    return value


def format_instant(value: datetime) -> str:
    """ISO UTC with milliseconds, the providers' timestamp format: 2026-05-26T10:00:00.000Z."""
    # isoformat, not strftime: faster, and its year always has four digits.
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


class Clock:
    """Mock time. Frozen clocks move only when set or advanced, so responses are repeatable."""

    def __init__(self, start: datetime, *, frozen: bool = True) -> None:
        self._base = start
        self._frozen = frozen
        self._anchor = time.monotonic()
        self._text: str | None = None

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self) -> datetime:
        if self._frozen:
            return self._base
        return self._base + timedelta(seconds=time.monotonic() - self._anchor)

    def now_text(self) -> str:
        """now() in the providers' format; a frozen clock formats once per change."""
        if not self._frozen:
            return format_instant(self.now())
        if self._text is None:
            self._text = format_instant(self._base)
        return self._text

    def set(self, instant: datetime) -> None:
        self._base = instant
        self._anchor = time.monotonic()
        self._text = None

    def advance(self, seconds: float) -> None:
        self.set(self.now() + timedelta(seconds=seconds))

    def to_json(self) -> ClockDocument:
        return {"now": format_instant(self.now()), "frozen": self._frozen}
