from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpcore  # noqa: F401  (see below)
import httpx
import pytest

from mockserver import MockEngine, create_app
from mockserver.core.commands import SetClock
from mockserver.testing.transport import ASGITransport

# httpx imports httpcore on first use. Imported here, before any pytester run, it stays loaded:
# pytester drops the modules a test imported, and httpx would keep mapping the errors of a
# dropped copy of httpcore, so later transport errors would escape as httpcore's own.
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SEED_ID = "appt_a1b2c3d4e5"
SEED_KEY = "YOUR_API_KEY"
AUTH = {"Authorization": f"Bearer {SEED_KEY}"}


def documented_cancel_response() -> dict[str, Any]:
    """The 200 body printed on the HuskyVoice cancellation page."""
    return json.loads((FIXTURES / "huskyvoice-cancel-response.json").read_text())


class Mock:
    """An app on one engine, with the few calls every HTTP test makes."""

    def __init__(self, engine: MockEngine, client: httpx.Client) -> None:
        self.engine = engine
        self.http = client

    def cancel(self, appointment_id: str = SEED_ID, key: str = SEED_KEY, **extra: Any):
        return self.http.patch(
            f"/v1/appointments/{appointment_id}",
            json={"status": "cancelled", **extra},
            headers={"Authorization": f"Bearer {key}"},
        )

    def clock(self, **change: Any) -> None:
        """Set or advance the mock's clocks as the admin API does (`now=` or `advance_seconds=`)."""
        self.engine.set_clock(SetClock.parse(change, self.engine.provider_names))

    def get(self, path: str, **params: Any):
        return self.http.get(path, params=params, headers=AUTH)

    def appointment(self, appointment_id: str = SEED_ID) -> dict[str, Any]:
        reply = self.get(f"/v1/appointments/{appointment_id}")
        assert reply.status_code == 200, reply.text
        return reply.json()["data"]

    def slot(self, on: str = "2026-06-15", calendar_id: str = "cal_morning_ma") -> dict[str, Any]:
        slots = self.get("/v1/appointment-slots/availability", date=on).json()["slots"]
        return next(s for s in slots if s["calendar_id"] == calendar_id)


def write_scenario(folder: Path, provider: str, name: str, text: str) -> Path:
    """A user scenario file `<folder>/<provider>/<name>.yaml`, for MockEngine(…, [folder])."""
    path = folder / provider / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def in_process_client(engine: MockEngine) -> httpx.Client:
    return httpx.Client(transport=ASGITransport(create_app(engine)), base_url="http://mock.test")


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel, once per run."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("*.whl")
    return built


@pytest.fixture(scope="session")
def shared_engine() -> MockEngine:
    return MockEngine()


@pytest.fixture
def mock_for(shared_engine: MockEngine) -> Iterator[Callable[[str], Mock]]:
    """Start clean on a scenario (the other provider on its default) and hand back a client.

    Every provider is reset, so no test sees what an earlier one loaded, whatever the order.
    """
    clients: list[httpx.Client] = []

    def activate(name: str = "huskyvoice/direct-cancel") -> Mock:
        shared_engine.activate([name])
        client = in_process_client(shared_engine)
        clients.append(client)
        return Mock(shared_engine, client)

    yield activate
    for client in clients:
        client.close()


@pytest.fixture
def mock(mock_for: Callable[[str], Mock]) -> Mock:
    return mock_for("huskyvoice/direct-cancel")
