"""Measurements taken inside a fresh Python process; `bench/run.py` runs one per process.

    python bench/inprocess.py fixture | resets SCENARIOS_DIR | transport SECONDS | journal N
                              | sessions N

Each prints one JSON value. A fresh process makes "cold" mean cold.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

AUTH = {"Authorization": "Bearer YOUR_API_KEY"}
ONE = "/v1/appointments/appt_a1b2c3d4e5"


def fixture_start() -> float:
    """What the pytest fixture does once per session: import, load, start; then the first
    answer, asked with the standard library so that no client set-up is counted."""
    import http.client

    began = time.perf_counter()
    from mockserver import MockEngine, MockServer

    server = MockServer(MockEngine()).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    connection.request("GET", "/v1/appointment-config", headers=AUTH)
    assert connection.getresponse().status == 200
    spent = time.perf_counter() - began
    server.stop()
    return spent


def resets(scenarios: str) -> dict[str, float]:
    """Milliseconds per `activate` (what the fixture does before every test)."""
    from mockserver import MockEngine

    names = {1_000: "huskyvoice/reset-1000", 100_000: "huskyvoice/reset-100000"}
    engine = MockEngine([names[1_000]], [scenarios])
    out = {}
    for size, name in names.items():
        engine.activate([name])
        runs = 200 if size == 1_000 else 20
        began = time.perf_counter()
        for _ in range(runs):
            engine.activate([name])
        out[str(size)] = (time.perf_counter() - began) / runs * 1000
    return out


def _rate(app: Any, seconds: float) -> float:
    import httpx

    from mockserver.testing.transport import ASGITransport

    with httpx.Client(transport=ASGITransport(app), base_url="http://mock") as client:
        for _ in range(200):
            client.get(ONE, headers=AUTH)
        calls, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            client.get(ONE, headers=AUTH)
            calls += 1
        return calls / (time.perf_counter() - began)


def transport(seconds: float) -> dict[str, float]:
    """httpx calls per second through the in-process transport: the mock, then the baseline."""
    sys.path.insert(0, str(Path(__file__).parent))
    from baseline import make_app

    from mockserver import MockEngine, create_app

    return {
        "mock": _rate(create_app(MockEngine()), seconds),
        "base": _rate(make_app(b"{}"), seconds),
    }


def journal(total: int) -> dict[str, float]:
    """Peak RSS after a tenth of `total` requests and after all of them, through the engine."""
    from mockserver import MockEngine, MockRequest

    engine = MockEngine()
    request = MockRequest("GET", ONE, headers={"authorization": AUTH["Authorization"]})
    marks = {}
    began = time.perf_counter()
    for n in range(1, total + 1):
        engine.handle(request)
        if n in (total // 10, total):
            marks[n] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rss_tenth_mib": marks[total // 10],
        "rss_end_mib": marks[total],
        "seen": engine.requests_seen,
        "kept": len(engine.requests()),
        "us_per_request": (time.perf_counter() - began) / total * 1e6,
    }


def sessions(count: int) -> dict[str, float]:
    """Milliseconds and KiB a session costs before its first request (what a server does on
    a new `/__session/{id}` or `X-Mock-Session`), averaged over `count` of them."""
    import tracemalloc

    from mockserver import MockEngine
    from mockserver.engine.sessions import Sessions

    registry = Sessions(MockEngine(), max_sessions=count + 1)
    registry.get("warm-up")  # the first one pays for what every later one shares
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    began = time.perf_counter()
    for n in range(count):
        registry.get(f"job-{n}")
    spent = time.perf_counter() - began
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return {"ms": spent / count * 1000, "kib": held / count / 1024}


if __name__ == "__main__":
    what, *rest = sys.argv[1:]
    measure = {
        "fixture": lambda: fixture_start(),
        "resets": lambda: resets(rest[0]),
        "transport": lambda: transport(float(rest[0])),
        "journal": lambda: journal(int(rest[0])),
        "sessions": lambda: sessions(int(rest[0])),
    }[what]
    print(json.dumps(measure()))
