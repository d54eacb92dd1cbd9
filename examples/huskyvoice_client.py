"""A small HuskyVoice client: cancel an appointment and say clearly why when it cannot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class CancellationRefused(Exception):
    """HuskyVoice would not cancel; `code` is its error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Cancelled:
    appointment: dict[str, Any]


def cancel_appointment(
    client: httpx.Client, appointment_id: str, *, note: str | None = None
) -> Cancelled:
    """PATCH the appointment's status to cancelled. Re-cancelling is safe: it returns the record."""
    body: dict[str, Any] = {"status": "cancelled"}
    if note is not None:
        body["notes"] = note
    reply = client.patch(f"/v1/appointments/{appointment_id}", json=body)
    payload = reply.json()
    if reply.status_code == 200:
        return Cancelled(payload["data"])
    error = payload.get("error", {})
    raise CancellationRefused(
        reply.status_code, error.get("code", "UNKNOWN"), error.get("message", "")
    )


def huskyvoice_client(
    base_url: str, api_key: str, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        transport=transport,
        timeout=10,
    )
