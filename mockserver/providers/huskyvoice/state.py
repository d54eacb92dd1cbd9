"""HuskyVoice's world for one scenario: appointments, filled places, notes, request windows."""

from __future__ import annotations

from collections import deque
from datetime import datetime

from mockserver.core.clock import Clock
from mockserver.providers.base import ProviderState
from mockserver.providers.huskyvoice.model import Org, SlotWindowSpec
from mockserver.providers.huskyvoice.seed import Record, Seed, SlotKey, search_key


class HuskyVoiceState(ProviderState):
    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self.scenario = seed.scenario
        self.clock = Clock(seed.model.now, frozen=seed.model.frozen)
        self.appointments: dict[str, Record] = {
            record["appointment_id"]: record.copy() for record in seed.appointments
        }
        self.notes: dict[str, str | None] = dict(seed.notes)
        self.slot_of: dict[str, SlotKey | None] = dict(seed.slot_of)
        self.filled: dict[SlotKey, int] = dict(seed.filled)
        self.slot_updated: dict[SlotKey, str] = {}
        self.requests_by_key: dict[str, deque[datetime]] = {}
        # Search lists by date (None: all of them), in search order, until something moves.
        self._listed: dict[str | None, list[Record]] = {}
        self._as_seeded = True  # nothing added or moved: the seed's search order holds

    def moved(self) -> None:
        """An appointment was added or changed date or session: the search order is stale."""
        self._listed.clear()
        self._as_seeded = False

    def ordered(self, on: str | None = None) -> list[Record]:
        """Appointments in search order (date, session, creation), all or on one date; kept
        until something moves (a cancel changes neither)."""
        found = self._listed.get(on)
        if found is None:
            found = self._listed[on] = self._search_list(on)
        return found

    def _search_list(self, on: str | None) -> list[Record]:
        if self._as_seeded:  # only the part asked for is built, from the seed's order
            ids, by_date = self.seed.search_index
            return [self.appointments[i] for i in (ids if on is None else by_date.get(on, ()))]
        everything = sorted(self.appointments.values(), key=search_key)
        for record in everything:
            self._listed.setdefault(record["date"], []).append(record)
        self._listed[None] = everything
        return everything if on is None else self._listed.get(on, [])

    @property
    def org(self) -> Org:
        return self.seed.org

    def filled_on(self, window: SlotWindowSpec, on: str) -> int:
        key = (window.calendar_id, on)
        if key in self.filled:
            return self.filled[key]
        return window.filled_on(on)

    def change_filled(self, key: SlotKey, window: SlotWindowSpec, delta: int) -> None:
        self.filled[key] = max(0, self.filled_on(window, key[1]) + delta)
        self.slot_updated[key] = self.clock.now_text()

    def window(self, calendar_id: str) -> SlotWindowSpec:
        return self.seed.window_by_id[calendar_id]

    def seeded(self) -> dict[str, object]:
        listed = list(self.appointments.values())
        model = self.seed.model
        return {
            "api_keys": [{"key": k.key, "scopes": sorted(k.scopes)} for k in model.api_keys],
            "org": self.org.to_json(),
            "services": [{"id": s.id, "name": s.name} for s in model.services],
            "branches": list(self.seed.branches),
            "branch_names": {b.id: b.name for b in model.branches if b.name},
            "slot_windows": [window_json(w) for w in self.seed.windows],
            "appointment_count": len(listed),
            "appointments": listed[:200],
            "notes": {k: v for k, v in list(self.notes.items())[:200] if v is not None},
        }


def window_json(window: SlotWindowSpec) -> dict[str, object]:
    return {
        "calendar_id": window.calendar_id,
        "branch_id": window.branch_id,
        "day": window.day,
        "session": window.session,
        "batch": window.batch,
        "start_time": window.start_time,
        "end_time": window.end_time,
        "appointment_type": window.appointment_type,
        "max_slots": window.max_slots,
        "ai_slots": window.ai_slots,
    }
