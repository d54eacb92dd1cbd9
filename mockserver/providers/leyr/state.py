"""Leyr's world for one scenario: appointments per EMR, pending confirmations, the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from mockserver.core.clock import Clock
from mockserver.core.documents import OutboxMessage
from mockserver.providers.base import ProviderState
from mockserver.providers.leyr.bodies import CancelChanges
from mockserver.providers.leyr.model import LeyrModel
from mockserver.providers.leyr.seed import Key, Record, Seed


class Pending(msgspec.Struct):
    """A cancellation waiting for the patient's code, under its new appointment id."""

    emr: str
    care_unit_id: str
    original_id: str
    new_id: str
    code: str
    sent_at: datetime
    attempts: int = 0
    void: str | None = None  # why it can no longer be confirmed
    # The comment, start, end or resource the cancel carried: applied when the code is confirmed.
    changes: CancelChanges = msgspec.field(default_factory=CancelChanges)


class LeyrState(ProviderState):
    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self.scenario = seed.scenario
        self.clock = Clock(seed.model.now, frozen=seed.model.frozen)
        self.appointments: dict[Key, Record] = {
            (emr, record["id"]): record.copy() for emr, record in seed.appointments
        }
        self.pending: dict[Key, Pending] = {}
        self.pending_for: dict[Key, str] = {}  # (emr, original id) -> new id
        self.sent: list[OutboxMessage] = []

    @property
    def settings(self) -> LeyrModel:
        return self.seed.model

    def outbox(self) -> list[OutboxMessage]:
        return [{**message, "state": self._message_state(message)} for message in self.sent]

    def _message_state(self, message: OutboxMessage) -> str:
        pending = self.pending.get((message["emr"], message["new_id"]))
        if pending is None:  # every code sent has its pending cancellation: never reached
            return "voided"
        if pending.void is not None:
            return "expired" if pending.void == "CONFIRMATION_CODE_EXPIRED" else "voided"
        record = self.appointments.get((pending.emr, pending.new_id))
        if record is not None and record["status"] == "cancelled":
            return "confirmed"
        expiry = timedelta(seconds=self.settings.two_step.expiry_seconds)
        return "expired" if self.clock.now() - pending.sent_at > expiry else "pending"

    def seeded(self) -> dict[str, object]:
        model = self.seed.model
        return {
            "clients": [
                {
                    "client_id": client.client_id,
                    "client_secret": client.client_secret,
                    "emrs": sorted(client.emrs) if client.emrs is not None else "all",
                    "care_units": sorted(client.care_units) if client.care_units else "all",
                }
                for client in model.clients
            ],
            "emrs": [
                {
                    "id": e.id,
                    "name": e.name,
                    "two_step": e.two_step,
                    "channel": e.channel,
                    "care_units": list(e.care_unit_ids),
                    "care_unit_names": {u.id: u.name for u in e.care_units if u.name},
                }
                for e in model.emrs
            ],
            "patients": [{"id": pid, **contact} for pid, contact in self.seed.contacts.items()],
            "two_step": {
                "code": model.two_step.code or "drawn from the scenario seed",
                "max_attempts": model.two_step.max_attempts,
                "expiry_seconds": model.two_step.expiry_seconds,
            },
            "appointments": [
                {"emr": emr, **record} for (emr, _), record in list(self.appointments.items())[:200]
            ],
            "appointment_count": len(self.appointments),
        }
