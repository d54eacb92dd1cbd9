"""A small Leyr client: cancel at once or through the patient's SMS code, on the right id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class LeyrError(Exception):
    """A problem-details answer; `error_code` is the specific cause."""

    def __init__(self, problem: dict[str, Any]) -> None:
        errors = problem.get("errors") or [{}]
        self.status = problem.get("status")
        self.error_code = errors[0].get("error_code")
        self.detail = problem.get("detail", "")
        super().__init__(f"{self.status} {self.error_code}: {self.detail}")


@dataclass(frozen=True)
class Cancelled:
    appointment: dict[str, Any]


@dataclass(frozen=True)
class AwaitingCode:
    """The EHR wants the patient's code, confirmed on `new_id` (not the original id)."""

    new_id: str
    appointment: dict[str, Any]


class LeyrCancellations:
    def __init__(self, client: httpx.Client, emr: str, care_unit_id: str) -> None:
        self.client = client
        self.base = f"/api/emrs/{emr}/care-units/{care_unit_id}/appointments"

    def _patch(self, path: str, body: dict[str, Any]) -> Any:
        reply = self.client.patch(path, json=body)
        if reply.status_code != 200:
            raise LeyrError(reply.json())
        return reply.json()

    @staticmethod
    def _outcome(appointment: dict[str, Any]) -> Cancelled | AwaitingCode:
        if appointment["status"] == "awaiting_confirmation":
            return AwaitingCode(appointment["id"], appointment)
        return Cancelled(appointment)

    def cancel(self, appointment_id: str, comment: str | None = None) -> Cancelled | AwaitingCode:
        body: dict[str, Any] = {"status": "cancelled"}
        if comment is not None:
            body["comment"] = comment
        return self._outcome(self._patch(f"{self.base}/{appointment_id}", body))

    def cancel_many(
        self, ids: list[str], comment: str | None = None
    ) -> list[Cancelled | AwaitingCode]:
        body: dict[str, Any] = {"ids": ids, "status": "cancelled"}
        if comment is not None:
            body["comment"] = comment
        return [self._outcome(a) for a in self._patch(self.base, body)]

    def confirm(self, pending: AwaitingCode, code: str) -> Cancelled:
        appointment = self._patch(f"{self.base}/{pending.new_id}", {"confirmation": {"code": code}})
        return Cancelled(appointment)


def leyr_client(
    base_url: str, client_id: str, secret: str, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    headers = {"x-leyr-client-id": client_id, "x-leyr-client-secret": secret}
    return httpx.Client(base_url=base_url, headers=headers, transport=transport, timeout=10)
