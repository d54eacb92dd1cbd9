"""A small HuskyVoice client: cancel an appointment and say clearly why when it cannot."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


class CancellationRefused(Exception):
    """HuskyVoice would not cancel; `code` is its error code."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: str | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.retry_after = retry_after


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
        reply.status_code,
        error.get("code", "UNKNOWN"),
        error.get("message", ""),
        reply.headers.get("Retry-After"),
    )


RETRYABLE = {429, 503}


def cancel_with_retry(
    client: httpx.Client,
    appointment_id: str,
    *,
    attempts: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> Cancelled:
    """Cancel, retrying a busy HuskyVoice (429, 503) after its Retry-After (at most 30 s)."""
    for attempt in range(1, attempts + 1):
        try:
            return cancel_appointment(client, appointment_id)
        except CancellationRefused as refused:
            if refused.status not in RETRYABLE or attempt == attempts:
                raise
            sleep(min(float(refused.retry_after or 1), 30.0))
    raise AssertionError("unreachable")


def huskyvoice_client(
    base_url: str, api_key: str, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {api_key}"},
        transport=transport,
        timeout=10,
    )
