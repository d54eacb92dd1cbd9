"""Patterns a hostile client gives: refused at once with a 400 naming the field, or run on a
linear-time engine, so no pattern freezes the server or answers a 500."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from conftest import SEED_ID
from mockserver import MockEngine, MockRequest
from mockserver.core.patterns import pattern_from_query
from mockserver.journal.ring import Exchange

UNAVAILABLE = {"success": False, "error": {"code": "SERVICE_UNAVAILABLE", "message": "x"}}
DEEP_REGEX = "(" * 1500 + "a" + ")" * 1500
# Each is refused wherever a pattern enters; the field and the reason are named.
REFUSED_PATTERNS = [
    ({"path": "/v1/{a}/{a}"}, "path: names the parameter {a} more than once"),
    ({"path": "/{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}x"}, "path: puts more than one parameter"),
    ({"path_regex": DEEP_REGEX}, "path_regex: nests groups more than 32 deep"),
    ({"path_regex": "(?=x)"}, "path_regex: does not compile for the linear-time engine"),
    ({"path_regex": "(a)\\1"}, "path_regex: does not compile"),
    ({"path_regex": "x" * 3000}, "path_regex: is longer than 2000 characters"),
    ({"body": {"status": {"regex": DEEP_REGEX}}}, "body.status.regex: nests groups"),
    ({"headers": {"authorization": {"regex": "(?<=a)b"}}}, "headers.authorization.regex"),
    ({"query": {"date": {"regex": "a{1000}{1000}"}}}, "query.date.regex: does not compile"),
]
IDS = ["repeated", "adjacent", "deep", "lookahead", "backref", "long", "body", "header", "query"]


def as_query(pattern: dict) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in pattern.items()}


def state(mock) -> tuple:
    return (
        mock.http.get("/__admin/requests").json()["requests"],
        mock.http.get("/__admin/interactions").json(),
        mock.http.get("/__admin/scenario").json(),
    )


@pytest.mark.parametrize(("pattern", "reason"), REFUSED_PATTERNS, ids=IDS)
def test_refused_patterns_are_a_400_on_every_admin_route(mock, pattern, reason):
    mock.cancel()
    before = state(mock)
    stub = {"name": "hostile", "match": pattern, "respond": {"status": 503}}
    inline = {"extends": "huskyvoice/direct-cancel", "interactions": [stub]}
    replies = {
        "requests": mock.http.get("/__admin/requests", params=as_query(pattern)),
        "closest": mock.http.get("/__admin/requests/closest", params=as_query(pattern)),
        "add": mock.http.post("/__admin/interactions", json={**stub, "provider": "huskyvoice"}),
        "inline": mock.http.put("/__admin/scenario", json={"scenario": inline}),
    }
    for route, reply in replies.items():
        assert reply.status_code == 400, (route, reply.text[:300])
        assert reason in reply.text, (route, reply.text[:300])
    assert state(mock) == before


@pytest.mark.parametrize(("pattern", "reason"), REFUSED_PATTERNS[:4], ids=IDS[:4])
def test_validate_names_the_file_line_and_field_of_a_refused_pattern(tmp_path, pattern, reason):
    folder = tmp_path / "huskyvoice"
    folder.mkdir()
    stub = {"name": "hostile", "match": pattern, "respond": {"status": 503}}
    text = "extends: huskyvoice/direct-cancel\ndescription: x\ninteractions:\n"
    text += f"  - {json.dumps(stub)}\n"
    (folder / "hostile.yaml").write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert f"{folder / 'hostile.yaml'}:4:" in result.stderr, result.stderr
    assert "match." + reason.split(":")[0] in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_catastrophic_regex_matches_in_linear_time(mock):
    """`^/v1/(a+)+$` backtracks exponentially in Python's engine; RE2 answers at once, and
    still matches what it should."""
    for path in ("/v1/" + "a" * 40 + "!", "/v1/" + "a" * 40):
        mock.http.get(path)
    found = mock.http.get("/__admin/requests", params={"path_regex": "^/v1/(a+)+$"})
    assert found.status_code == 200
    assert [r["path"] for r in found.json()["requests"]] == ["/v1/" + "a" * 40]


def test_a_stub_regex_uses_the_linear_engine_and_still_answers(mock):
    stub = {"match": {"path_regex": "^/v1/appointments/(appt_)+a1b2c3d4e5$"}}
    added = mock.http.post(
        "/__admin/interactions",
        json={**stub, "name": "s", "respond": {"status": 503, "body": UNAVAILABLE}},
    )
    assert added.status_code == 200, added.text
    assert mock.cancel().status_code == 503
    assert mock.http.get("/v1/" + "a" * 27 + "!").status_code == 404


# A server in its own process, its journal full of the worst paths for the patterns below.
FULL_SERVER = """
import sys
from mockserver import MockEngine, MockRequest
from mockserver.web.server import MockServer

engine = MockEngine(journal_size=10_000)
auth = {"authorization": "Bearer YOUR_API_KEY"}
for number in range(10_000):
    tail = "!" if number % 2 else ""
    engine.handle(MockRequest("GET", "/v1/appointments/" + "a" * 23 + tail, headers=auth))
with MockServer(engine) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()
"""


@contextmanager
def full_server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", FULL_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), url
        yield url
    finally:
        process.communicate(timeout=30)  # closing its stdin stops it


def poll_health(base_url: str, stop: threading.Event, times: list[float]) -> None:
    with httpx.Client(base_url=base_url, timeout=5) as client:
        while not stop.is_set():
            began = time.perf_counter()
            assert client.get("/__admin/health").status_code == 200
            times.append(time.perf_counter() - began)
            time.sleep(0.005)


SEARCHES = [
    ({"path_regex": "^/v1/appointments/(a+)+$"}, 200),
    ({"path_regex": "^/v1/appointments/(a|aa)+(b|$)"}, 200),
    ({"path": "/v1/{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}x"}, 400),
    ({"path": "/v1/appointments/{a}"}, 200),
]


def health_while_searching(url: str, http: httpx.Client) -> list[float]:
    """How long each health check took while the hostile searches ran, one after another."""
    times: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=poll_health, args=(url, stop, times))
    poller.start()
    deadline = time.monotonic() + 30
    try:
        # Every search at least once, and on until health has been asked a few times meanwhile
        # (the searches take milliseconds each).
        while True:
            for params, status in SEARCHES:
                for route in ("/__admin/requests", "/__admin/requests/closest"):
                    reply = http.get(route, params={**params, "limit": "10"})
                    assert reply.status_code == status, (route, params, reply.text[:200])
            if len(times) > 3 or time.monotonic() > deadline:
                break
    finally:
        stop.set()
        poller.join(10)
    assert len(times) > 3, "health was hardly polled"
    return times


def health_alone(url: str, seconds: float) -> list[float]:
    """How long each health check takes with nothing else asked of the server."""
    times: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=poll_health, args=(url, stop, times))
    poller.start()
    time.sleep(seconds)
    stop.set()
    poller.join(10)
    return times


def test_health_answers_within_100_ms_while_hostile_patterns_search_10000_entries():
    """A catastrophic regex and a hostile template against a full journal: each search answers
    (the template with a 400), and health keeps answering within 100 ms meanwhile. On a machine
    busy with other work, health is slow with or without the searches: the bound is 100 ms past
    the slowest health check of an idle server measured just before, and three rounds are
    allowed (a search that blocked the server would hold health up for seconds in every one)."""
    worst: list[float] = []
    with full_server() as url, httpx.Client(base_url=url, timeout=30) as http:
        # First use starts the worker thread and loads the admin API: not the patterns' cost.
        for route in ("/__admin/health", "/__admin/requests", "/__admin/requests/closest"):
            assert http.get(route, params={"limit": "1"}).status_code == 200
        for _ in range(3):
            idle = max(health_alone(url, 1.0))
            worst.append(max(health_while_searching(url, http)) - idle)
            if worst[-1] < 0.1:
                break
    assert min(worst) < 0.1, f"health took {[round(w * 1000) for w in worst]} ms past idle"


def test_a_closest_search_ranks_each_distinct_request_once(monkeypatch):
    """A journal repeats its requests: 2,000 entries of two kinds are viewed and matched a
    handful of times (once a kind, then the differences of those shown), not 2,000 times; two
    entries that differ only in their body are two kinds, and the one the pattern names comes
    first."""
    engine = MockEngine(journal_size=10_000)
    auth = {"authorization": "Bearer YOUR_API_KEY", "content-type": "application/json"}
    for number in range(2_000):
        body = b'{"status": "cancelled"}' if number % 2 else b'{"status": "confirmed"}'
        engine.handle(MockRequest("PATCH", f"/v1/appointments/{SEED_ID}", headers=auth, body=body))
    views = []
    observed = Exchange.observed
    monkeypatch.setattr(Exchange, "observed", lambda entry: views.append(1) or observed(entry))
    pattern = pattern_from_query(
        {"path_regex": "^/v1/appointments/(a+)+$", "body": '{"status": "cancelled"}'}
    )
    [(first, _), *rest] = engine.closest_requests(pattern, 3)
    assert json.loads(first["body_text"]) == {"status": "cancelled"}
    assert len(rest) == 2
    assert len(views) < 10
