"""Suite-level benchmark: one generated downstream suite, run six ways in one interleaved run.

    python bench/suite.py [--tests 500] [--rounds 3]

Every test cancels an appointment and asserts on what the server received. The suite is run
with the `mockserver` fixture in process (`mockserver.client`), with the fixture over sockets
(a session-wide `httpx.Client` on `mockserver.base_url`), with respx (an httpx mock, no
server) and with pytest-httpserver (a real server on a socket), each beside an empty suite of
the same size; and in process again with `--mockserver-strict`, and with a report written
(`--mockserver-report-dir`), to show what each adds. A way's per-test overhead is its time minus the empty suite's, divided by the
number of tests; the ratios compare ways measured in the same rounds, so the machine's speed
cancels out. Nothing here asserts a time: it reports. Needs `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

PYTHON = sys.executable
CANCELLED = {"success": True, "data": {"id": "appt_a1b2c3d4e5", "status": "cancelled"}}

HEAD = {
    "empty": "",
    "inprocess": "",
    "sockets": """
import httpx
import pytest


@pytest.fixture(scope="session")
def http(mockserver_session):
    with httpx.Client(base_url=mockserver_session.base_url) as client:
        yield client
""",
    "respx": """
import httpx
import pytest
import respx

BODY = BODY_JSON


@pytest.fixture(scope="session")
def http():
    with httpx.Client(base_url="http://huskyvoice.test") as client:
        yield client
""",
    "httpserver": """
import httpx
import pytest

BODY = BODY_JSON


@pytest.fixture(scope="session")
def http(make_httpserver):
    with httpx.Client(base_url=make_httpserver.url_for("/")) as client:
        yield client
""",
}

# One test of each way: a cancel, then an assertion on the request the server received.
TEST = {
    "empty": """
def test_{n}():
    pass
""",
    "inprocess": """
def test_{n}(mockserver):
    reply = mockserver.client.patch(
        "/v1/appointments/appt_a1b2c3d4e5", json={{"status": "cancelled"}}, headers=AUTH
    )
    assert reply.json()["data"]["status"] == "cancelled"
    mockserver.requests.assert_called("PATCH", "/v1/appointments/{{id}}", body={{"status": "cancelled"}})
""",
    "sockets": """
def test_{n}(mockserver, {http}):
    reply = {http}.patch(
        "/v1/appointments/appt_a1b2c3d4e5", json={{"status": "cancelled"}}, headers=AUTH
    )
    assert reply.json()["data"]["status"] == "cancelled"
    mockserver.requests.assert_called("PATCH", "/v1/appointments/{{id}}", body={{"status": "cancelled"}})
""",
    "respx": """
@respx.mock
def test_{n}({http}):
    route = respx.patch("http://huskyvoice.test/v1/appointments/appt_a1b2c3d4e5").respond(json=BODY)
    reply = {http}.patch(
        "/v1/appointments/appt_a1b2c3d4e5", json={{"status": "cancelled"}}, headers=AUTH
    )
    assert reply.json()["data"]["status"] == "cancelled"
    assert route.call_count == 1
    assert route.calls.last.request.content == b'{{"status":"cancelled"}}'
""",
    "httpserver": """
def test_{n}(httpserver, {http}):
    httpserver.expect_request(
        "/v1/appointments/appt_a1b2c3d4e5", method="PATCH", json={{"status": "cancelled"}}
    ).respond_with_json(BODY)
    reply = {http}.patch(
        "/v1/appointments/appt_a1b2c3d4e5", json={{"status": "cancelled"}}, headers=AUTH
    )
    assert reply.json()["data"]["status"] == "cancelled"
    assert len(httpserver.log) == 1
""",
}
# Each way runs with only the plugins it uses, so none pays for another's start-up.
PLUGINS_OFF = {
    "empty": ["no:mockserver", "no:pytest_httpserver"],
    "inprocess": ["no:pytest_httpserver"],
    "sockets": ["no:pytest_httpserver"],
    "respx": ["no:mockserver", "no:pytest_httpserver"],
    "httpserver": ["no:mockserver"],
}
WAYS = ("inprocess", "sockets", "respx", "httpserver", "strict", "report")
# The fixture in process again, with strict mode, and with a report written at the end: what
# each adds to a suite (each is the in-process suite, run with its option).
SAME_AS = {"strict": "inprocess", "report": "inprocess"}
OPTIONS = {"strict": ["--mockserver-strict"], "report": ["--mockserver-report-dir", "report"]}


WAY_NAMES = {
    "inprocess": "mockserver fixture, in process",
    "sockets": "mockserver fixture, over sockets",
    "respx": "respx",
    "httpserver": "pytest-httpserver",
    "strict": "fixture in process, strict",
    "report": "fixture in process, writing a report",
}
RATIOS = (
    ("in process / respx:", "inprocess", "respx"),
    ("over sockets / pytest-httpserver:", "sockets", "httpserver"),
)


def write_suite(folder: Path, way: str, tests: int) -> None:
    folder.mkdir(parents=True)
    body = 'AUTH = {"Authorization": "Bearer YOUR_API_KEY"}\n'
    body += f"BODY_JSON = {CANCELLED!r}\n" + HEAD[SAME_AS.get(way, way)]
    body += "".join(TEST[SAME_AS.get(way, way)].format(n=n, http="http") for n in range(tests))
    (folder / "test_generated.py").write_text(body)
    (folder / "pytest.ini").write_text("[pytest]\n")


# Every way's test in turn in one suite, run in one process: a way's cost a test is read from
# pytest's own timing of each test's phases, so a machine whose speed drifts between runs (the
# whole-suite figures above move by a tenth from one run to the next) slows every way alike.
MIXED_WAYS = ("empty", "inprocess", "strict", "sockets", "respx", "httpserver")
# Strict mode is a marker away: the in-process test, checked strictly.
MIXED_TEST = {**TEST, "strict": "\n@pytest.mark.mockserver_strict" + TEST["inprocess"]}
MIXED_HEAD = """
import httpx
import pytest
import respx

BODY = BODY_JSON


@pytest.fixture(scope="session")
def http_sockets(mockserver_session):
    with httpx.Client(base_url=mockserver_session.base_url) as client:
        yield client


@pytest.fixture(scope="session")
def http_respx():
    with httpx.Client(base_url="http://huskyvoice.test") as client:
        yield client


@pytest.fixture(scope="session")
def http_server(make_httpserver):
    with httpx.Client(base_url=make_httpserver.url_for("/")) as client:
        yield client
"""
# The ways whose exchanges the mock journals: a report of the mixed suite covers this many times
# the exchanges of one way's suite.
MOCK_WAYS = ("inprocess", "strict", "sockets")
MIXED_HTTP = {"sockets": "http_sockets", "respx": "http_respx", "httpserver": "http_server"}
# Sums each way's phases (setup, call, teardown) per test; a way's first test is left out: it
# starts the way's session fixtures, a cost of the suite, not of a test.
MIXED_CONFTEST = """
import json
import os
import time

import pytest
from pytest_appointment_mockserver import plugin as mock_plugin

SPENT = {}


def pytest_runtest_logreport(report):
    way, _, number = report.nodeid.rpartition("::test_")[2].rpartition("_")
    if number != "0":
        spent = SPENT.setdefault(way, [0.0, 0])
        spent[0] += report.duration
        spent[1] += report.when == "call"


# The mock's report is written by its plugin's `_finish_report` at the session's end: timed
# on its own (the session's end also stops every server, which takes what it takes).
_finish_report = mock_plugin._finish_report


def _timed_report(*args, **kwargs):
    began = time.perf_counter()
    try:
        return _finish_report(*args, **kwargs)
    finally:
        SPENT["report"] = [time.perf_counter() - began, 1]


mock_plugin._finish_report = _timed_report


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session):
    result = yield  # every plugin's end of session, the mock's report among them
    with open(os.environ["SUITE_SPENT"], "w") as out:
        json.dump({way: total / count for way, (total, count) in SPENT.items()}, out)
    return result
"""


def write_mixed_suite(folder: Path, tests: int) -> None:
    """One suite of `tests` tests a way, the ways taking turns."""
    folder.mkdir(parents=True)
    body = 'AUTH = {"Authorization": "Bearer YOUR_API_KEY"}\n'
    body += f"BODY_JSON = {CANCELLED!r}\n" + MIXED_HEAD
    for n in range(tests):
        for way in MIXED_WAYS:
            body += MIXED_TEST[way].format(n=f"{way}_{n}", http=MIXED_HTTP.get(way, "http"))
    (folder / "test_mixed.py").write_text(body)
    (folder / "conftest.py").write_text(MIXED_CONFTEST)
    (folder / "pytest.ini").write_text("[pytest]\n")


def run_mixed(folder: Path, tests: int, options: Sequence[str] = ()) -> dict[str, float]:
    """Milliseconds a test of each way (and the report's writing, `report`, when asked for),
    from one run of the mixed suite."""
    spent = folder / "spent.json"
    command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    command += options
    result = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, env={**ENV, "SUITE_SPENT": str(spent)}
    )
    if result.returncode != 0 or f"{tests * len(MIXED_WAYS)} passed" not in result.stdout:
        raise SystemExit(f"the mixed suite failed:\n{result.stdout[-3000:]}")
    found: dict[str, float] = json.loads(spent.read_text())
    return {way: seconds * 1000 for way, seconds in found.items()}


def print_mixed(
    runs: list[dict[str, float]], reported: list[dict[str, float]], suite_seconds: float
) -> None:
    """Each way's cost a test over an empty test (median of the runs), the two ratios with
    their lowest and highest run, and what strict mode and a report add (`reported`: the same
    runs, writing the mock's report; `suite_seconds`: the in-process suite's run)."""
    over = [{way: run[way] - run["empty"] for way in MIXED_WAYS[1:]} for run in runs]
    print(f"one process, the ways taking turns, {len(runs)} runs: ms a test over an empty test")
    for way in MIXED_WAYS[1:]:
        print(f"{WAY_NAMES[way]:<40}{statistics.median(o[way] for o in over):>9.3f}")
    for label, way, peer in RATIOS:
        ratios = [o[way] / o[peer] for o in over]
        low, high = min(ratios), max(ratios)
        print(f"{label:<40}{statistics.median(ratios):.2f}x   (runs: {low:.2f}-{high:.2f})")
    strict = statistics.median(o["strict"] / o["inprocess"] - 1 for o in over) * 100
    print(f"{'strict mode, on a test in process:':<40}{strict:+.1f} %")
    # The mixed suite's report covers every mock way's exchanges: one way's share is the report
    # a suite of that way alone would write, set against that suite's run.
    report = statistics.median(run["report"] for run in reported) / len(MOCK_WAYS)
    share = report / (suite_seconds * 1000) * 100
    label = "writing the report (one way's share):"
    print(f"{label:<40}{report:.0f} ms, {share:.1f} % of the in-process suite's run")


# As on a developer's machine: compiled and assertion-rewritten modules are cached on disk.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_suite(folder: Path, way: str, tests: int) -> float:
    """Seconds for `python -m pytest` on the suite, start to exit (collection included)."""
    command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    for plugin in PLUGINS_OFF[SAME_AS.get(way, way)]:
        command += ["-p", plugin]
    command += OPTIONS.get(way, [])
    began = time.perf_counter()
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - began
    if result.returncode != 0 or f"{tests} passed" not in result.stdout:
        raise SystemExit(f"{way}: the generated suite failed:\n{result.stdout[-3000:]}")
    return elapsed


def round_range(times: dict[str, list[float]], way: str, peer: str) -> tuple[float, float]:
    """The lowest and highest ratio of one round to the next: the run-to-run noise."""
    ratios = [
        (mine - empty) / (theirs - empty)
        for mine, theirs, empty in zip(times[way], times[peer], times["empty"], strict=True)
    ]
    return min(ratios), max(ratios)


def fixture_start() -> float:
    """The fixture's once-per-session cost, in a fresh process: import, load, serve."""
    code = (
        "import time; t = time.perf_counter();"
        "from mockserver import MockEngine; from mockserver.testing.session import MockSession;"
        "s = MockSession(MockEngine()); print(time.perf_counter() - t); s.close()"
    )
    result = subprocess.run(
        [PYTHON, "-c", code], capture_output=True, text=True, check=True, env=ENV
    )
    return float(result.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=500, help="tests in the generated suite")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    options = parser.parse_args()
    tests = options.tests
    times: dict[str, list[float]] = {way: [] for way in ("empty", *WAYS)}
    mixed: list[dict[str, float]] = []
    reported: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="mockserver-suite-bench-") as tmp:
        for way in times:
            write_suite(Path(tmp) / way, way, tests)
            run_suite(Path(tmp) / way, way, tests)  # warm-up: fill the caches, untimed
        write_mixed_suite(Path(tmp) / "mixed", tests)
        run_mixed(Path(tmp) / "mixed", tests)
        report = ["--mockserver-report-dir", "report"]
        for _ in range(options.rounds):
            for way in times:
                times[way].append(run_suite(Path(tmp) / way, way, tests))
            mixed.append(run_mixed(Path(tmp) / "mixed", tests))
            reported.append(run_mixed(Path(tmp) / "mixed", tests, report))
    best = {way: min(runs) for way, runs in times.items()}
    overhead = {way: (best[way] - best["empty"]) / tests * 1000 for way in WAYS}
    starts = sorted(fixture_start() for _ in range(5))
    print(f"{tests} generated tests, best of {options.rounds} interleaved rounds")
    print(f"{'way':<40}{'suite s':>9}{'ms/test over empty':>20}")
    print(f"{'empty suite':<40}{best['empty']:>9.2f}{'':>20}")
    for way in WAYS:
        print(f"{WAY_NAMES[way]:<40}{best[way]:>9.2f}{overhead[way]:>20.3f}")
    print()
    for label, way, peer in RATIOS:
        low, high = round_range(times, way, peer)
        ratio = overhead[way] / overhead[peer]
        print(f"{label:<40}{ratio:.2f}x   (rounds: {low:.2f}-{high:.2f})")
    for way in ("strict", "report"):
        added = (best[way] - best["inprocess"]) / best["inprocess"] * 100
        print(f"{WAY_NAMES[way] + ':':<40}{added:+.1f} % on the in-process suite")
    print(f"{'fixture start (median of 5):':<40}{statistics.median(starts):.3f} s")
    print()
    print_mixed(mixed, reported, best["inprocess"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
