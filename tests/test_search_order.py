"""HuskyVoice's search lists appointments by date, session and creation, from the first search
after a reset (the seed's order, kept once a scenario) as after bookings and moves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from conftest import in_process_client, write_scenario
from mockserver import MockEngine

AUTH = {"Authorization": "Bearer YOUR_API_KEY"}
SESSIONS = ["Morning", "Afternoon", "Evening"]


@contextmanager
def _served(folder: Path, generated: int) -> Iterator[httpx.Client]:
    """A client on a mock whose HuskyVoice scenario generates that many appointments."""
    write_scenario(
        folder,
        "huskyvoice",
        "many",
        "extends: huskyvoice/direct-cancel\ndescription: many\n"
        f"org: {{max_advance_booking_days: 60}}\ngenerate: {{appointments: {generated}}}\n",
    )
    with in_process_client(MockEngine(["huskyvoice/many"], [folder])) as http:
        http.headers.update(AUTH)
        yield http


def _listing(http: Any, **query: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        reply = http.get("/v1/appointments", params={**query, "limit": 200, "page": page})
        assert reply.status_code == 200, reply.text
        found += reply.json()["data"]
        if len(found) >= reply.json()["pagination"]["total"]:
            return found
        page += 1


def _key(appointment: dict[str, Any]) -> tuple[str, int, str]:
    return (
        appointment["date"],
        SESSIONS.index(appointment["session"]),
        appointment["created_at"],
    )


def test_a_generated_scenario_lists_in_search_order_on_every_date_and_after_resets(tmp_path):
    with _served(tmp_path, 400) as http:
        dates = sorted({a["date"] for a in _listing(http)})
        on_a_date = _listing(http, date=dates[len(dates) // 2])  # a date first, then all
        listed = _listing(http)
        assert len(listed) == 402 and listed == sorted(listed, key=_key)
        assert on_a_date == [a for a in listed if a["date"] == dates[len(dates) // 2]]
        for on in [*dates[:3], "2030-01-01"]:
            assert _listing(http, date=on) == [a for a in listed if a["date"] == on]
        for _ in range(2):
            assert http.post("/__admin/reset", json={}).status_code == 200
            assert _listing(http, date=dates[0]) == [a for a in listed if a["date"] == dates[0]]
            assert _listing(http) == listed


def test_after_a_move_the_listing_is_sorted_again(tmp_path):
    with _served(tmp_path, 50) as http:
        first = _listing(http)[0]
        last_date = _listing(http)[-1]["date"]
        moved = http.patch(
            f"/v1/appointments/{first['appointment_id']}",
            json={"appointment_date": f"{last_date}T13:30:00Z", "session": "Evening"},
        )
        assert moved.status_code == 200, moved.text
        listed = _listing(http)
        assert listed == sorted(listed, key=_key)
        assert listed[-1]["appointment_id"] == first["appointment_id"]
        assert _listing(http, date=last_date)[-1]["appointment_id"] == first["appointment_id"]
