"""Benchmark: the real `mockserver serve` against a bare Starlette route, measured in one run.

    python bench/run.py [--duration 5] [--rounds 3] [--connections 32] [--quick]

Every throughput figure is printed with its ratio to the baseline measured in the same run,
interleaved round by round, so the machine's speed cancels out. Load comes from wrk where it
is installed (Debian package `wrk`), else from a bounded asyncio/httpx generator (slower; the
ratio still holds, the absolute numbers do not). Nothing here asserts a time: it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HV_AUTH = {"Authorization": "Bearer YOUR_API_KEY"}
LEYR_AUTH = {"x-leyr-client-id": "bench-client", "x-leyr-client-secret": "bench-secret"}
LEYR_BASE = "/api/emrs/anitasystems/care-units/L0_1/appointments"
HV_APPOINTMENTS = 20_000
LEYR_APPOINTMENTS = 5_000


# Scenarios --------------------------------------------------------------------------------------


def write_scenarios(folder: Path) -> None:
    (folder / "huskyvoice").mkdir(parents=True)
    (folder / "leyr").mkdir(parents=True)
    (folder / "huskyvoice" / "bench.yaml").write_text(
        "extends: huskyvoice/direct-cancel\n"
        "description: many appointments, no notice period\n"
        "org: {cancellation_notice_hours: 0, max_advance_booking_days: 60}\n"
        f"generate: {{appointments: {HV_APPOINTMENTS}}}\n"
    )
    for size in (1_000, 100_000):
        (folder / "huskyvoice" / f"reset-{size}.yaml").write_text(
            "extends: huskyvoice/direct-cancel\ndescription: reset cost\n"
            f"generate: {{appointments: {size - 2}}}\n"
        )
    lines = [
        "provider: leyr",
        "description: two-step at volume",
        "seed: 3",
        "clients: [{client_id: bench-client, client_secret: bench-secret}]",
        "emrs: [{id: anitasystems, two_step: true, care_units: [{id: L0_1}]}]",
        "two_step: {code: '123456'}",
        "appointments:",
    ]
    lines += [
        f'  - {{id: "{7_000_000 + n}", emr: anitasystems, care_unit_id: L0_1, '
        f'start: "2026-06-15T09:00:00+02:00", end: "2026-06-15T09:30:00+02:00"}}'
        for n in range(LEYR_APPOINTMENTS)
    ]
    (folder / "leyr" / "bench.yaml").write_text("\n".join(lines) + "\n")


# Servers ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, deadline: float) -> None:
    while True:
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


@contextmanager
def process(command: list[str], url: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        wait_until_up(url, time.monotonic() + 60)
        yield proc
    finally:
        proc.terminate()
        proc.wait(10)


def mock_command(port: int, scenarios: Path) -> list[str]:
    return [
        PYTHON, "-m", "mockserver", "serve", "--port", str(port), "--scenarios-dir", str(scenarios),
        "--scenario", "huskyvoice/bench", "--scenario", "leyr/bench",
    ]


# Load -------------------------------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int


HV_CANCEL_LUA = """
ids = {%(ids)s}
i = 0
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer YOUR_API_KEY"
wrk.body = '{"status": "cancelled"}'
request = function()
  local id = ids[(math.floor(i / 2) %% #ids) + 1]
  i = i + 1
  return wrk.format(nil, "/v1/appointments/" .. id)
end
"""
GET_LUA = """
wrk.headers["Authorization"] = "Bearer YOUR_API_KEY"
request = function() return wrk.format("GET", "%(path)s") end
"""
LEYR_LUA = """
ids = {%(ids)s}
i = 0
pending = {}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-leyr-client-id"] = "bench-client"
wrk.headers["x-leyr-client-secret"] = "bench-secret"
request = function()
  local new_id = table.remove(pending)
  if new_id then
    return wrk.format("PATCH", "%(base)s/" .. new_id, nil, '{"confirmation": {"code": "123456"}}')
  end
  local id = ids[(i %% #ids) + 1]
  i = i + 1
  return wrk.format("PATCH", "%(base)s/" .. id, nil, '{"status": "cancelled"}')
end
response = function(status, headers, body)
  local new_id = string.match(body, '"id":"(%%d+)","status":"awaiting_confirmation"')
  if new_id then table.insert(pending, new_id) end
end
"""


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, lua: str, duration: float, connections: int) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "-s", script.name, url],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(non_2xx.group(1)) if non_2xx else 0
    if errors:
        failed += sum(int(n) for n in errors.groups())
    return Load(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(re.search(r"50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        p99_ms=_ms(re.search(r"99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        non_2xx=failed,
    )


def httpx_load(url: str, make: Callable[[int], tuple[str, str, dict, bytes | None]], duration: float, connections: int) -> Load:
    """A bounded asyncio generator for machines without wrk: `connections` loops, `duration` s."""
    import asyncio

    latencies: list[float] = []
    failed = 0

    async def worker(client: httpx.AsyncClient, start: int, stop_at: float) -> None:
        nonlocal failed
        n = start
        while time.monotonic() < stop_at:
            method, path, headers, body = make(n)
            n += connections
            began = time.perf_counter()
            reply = await client.request(method, path, headers=headers, content=body)
            latencies.append(time.perf_counter() - began)
            failed += not 200 <= reply.status_code < 400

    async def main() -> float:
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
            began = time.monotonic()
            await asyncio.gather(*(worker(client, i, began + duration) for i in range(connections)))
            return time.monotonic() - began

    elapsed = asyncio.run(main())
    ordered = sorted(latencies) or [0.0]
    return Load(
        rps=len(latencies) / elapsed,
        p50_ms=ordered[len(ordered) // 2] * 1000,
        p99_ms=ordered[int(len(ordered) * 0.99)] * 1000,
        requests=len(latencies),
        non_2xx=failed,
    )


@dataclass(frozen=True)
class Workload:
    name: str
    lua: str
    fallback: Callable[[int], tuple[str, str, dict, bytes | None]]
    expect_errors: bool = False


def workloads(hv_ids: list[str], leyr_ids: list[str]) -> list[Workload]:
    quoted = ",".join(f'"{i}"' for i in hv_ids)
    leyr_quoted = ",".join(f'"{i}"' for i in leyr_ids)
    cancel_body = b'{"status": "cancelled"}'
    json_hv = {**HV_AUTH, "Content-Type": "application/json"}
    json_leyr = {**LEYR_AUTH, "Content-Type": "application/json"}
    search = "/v1/appointments?date=2026-06-15&limit=20"
    return [
        Workload(
            "huskyvoice cancel + re-cancel",
            HV_CANCEL_LUA % {"ids": quoted},
            lambda n: ("PATCH", f"/v1/appointments/{hv_ids[(n // 2) % len(hv_ids)]}", json_hv, cancel_body),
        ),
        Workload(
            "huskyvoice search",
            GET_LUA % {"path": search},
            lambda n: ("GET", search, HV_AUTH, None),
        ),
        Workload(
            "leyr two-step cancel + confirm",
            LEYR_LUA % {"ids": leyr_quoted, "base": LEYR_BASE},
            lambda n: ("PATCH", f"{LEYR_BASE}/{leyr_ids[n % len(leyr_ids)]}", json_leyr, cancel_body),
        ),
        Workload(
            "unmatched route (404)",
            GET_LUA % {"path": "/v2/nowhere"},
            lambda n: ("GET", "/v2/nowhere", {}, None),
            expect_errors=True,
        ),
    ]


# Correctness under load --------------------------------------------------------------------------


def hv_totals(url: str) -> tuple[int, int]:
    """(cancelled appointments, filled places summed over every window and date)."""
    with httpx.Client(base_url=url, headers=HV_AUTH, timeout=60) as client:
        query = {"status": "cancelled", "limit": 1}
        cancelled = client.get("/v1/appointments", params=query).json()["pagination"]["total"]
        start = date.fromisoformat(client.get("/__admin/clock").json()["huskyvoice"]["now"][:10])
        filled = 0
        for offset in range(-7, 70):
            day = (start + timedelta(days=offset)).isoformat()
            slots = client.get("/v1/appointment-slots/availability", params={"date": day})
            filled += sum(slot["filled_slots"] for slot in slots.json()["slots"])
    return cancelled, filled


def leyr_totals(url: str) -> tuple[int, int]:
    with httpx.Client(base_url=url, headers=LEYR_AUTH, timeout=60) as client:
        listed = client.get(LEYR_BASE, params={"status": "cancelled"}).json()
    originals = sum(1 for a in listed if 7_000_000 <= int(a["id"]) < 7_000_000 + LEYR_APPOINTMENTS)
    return originals, len(listed) - originals


# Other figures ----------------------------------------------------------------------------------


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def start_to_first_answer(command: list[str], url: str) -> float:
    began = time.perf_counter()
    with process(command, url):
        return time.perf_counter() - began


SNIPPET_FIXTURE = """
import time
began = time.perf_counter()
import httpx
from mockserver import MockEngine, MockServer
server = MockServer(MockEngine()).start()
httpx.get(server.base_url + "/__admin/health")
print(time.perf_counter() - began)
server.stop()
"""

SNIPPET_RESET = """
import time, json, sys
from mockserver import MockEngine
names = ["huskyvoice/reset-1000", "huskyvoice/reset-100000"]
engine = MockEngine([names[0]], [sys.argv[1]])
out = {}
for name in names:
    engine.activate([name])
    runs = 200 if "1000" == name[-4:] else 20
    began = time.perf_counter()
    for _ in range(runs):
        engine.activate([name])
    out[name] = (time.perf_counter() - began) / runs * 1000
print(json.dumps(out))
"""

SNIPPET_TRANSPORT = """
import time, sys, httpx
from mockserver import MockEngine, create_app
from mockserver.transport import ASGITransport
sys.path.insert(0, "bench")
from baseline import make_app
def rate(app, path, headers):
    with httpx.Client(transport=ASGITransport(app), base_url="http://mock") as client:
        for _ in range(200):
            client.get(path, headers=headers)
        n, began = 0, time.perf_counter()
        while time.perf_counter() - began < float(sys.argv[1]):
            client.get(path, headers=headers)
            n += 1
        return n / (time.perf_counter() - began)
auth = {"Authorization": "Bearer YOUR_API_KEY"}
mock = rate(create_app(MockEngine()), "/v1/appointments/appt_a1b2c3d4e5", auth)
base = rate(make_app(b"{}"), "/v1/appointments/appt_a1b2c3d4e5", auth)
print(mock, base)
"""

SNIPPET_RSS = """
import resource, sys, time
from mockserver import MockEngine, MockRequest
engine = MockEngine()
request = MockRequest("GET", "/v1/appointments/appt_a1b2c3d4e5", headers={"authorization": "Bearer YOUR_API_KEY"})
total = int(sys.argv[1])
marks = {}
began = time.perf_counter()
for n in range(1, total + 1):
    engine.handle(request)
    if n in (total // 10, total):
        marks[n] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(marks[total // 10], marks[total], engine.journal.total, len(engine.journal.entries()), time.perf_counter() - began)
"""


def python_snippet(code: str, *args: str) -> str:
    return subprocess.run(
        [PYTHON, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()


# Report -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per workload")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="2 s runs, 1 round, 200k journal")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.rounds = 2.0, 1
    use_wrk = shutil.which("wrk") is not None
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}")
    print(f"load: {'wrk -t1 -c%d' % args.connections if use_wrk else 'asyncio/httpx generator (wrk not found)'}, "
          f"{args.duration:g} s per run, {args.rounds} interleaved round(s), medians shown\n")

    work = Path(tempfile.mkdtemp(prefix="mockserver-bench-"))
    scenarios = work / "scenarios"
    write_scenarios(scenarios)
    mock_port, base_port = free_port(), free_port()
    mock_url, base_url = f"http://127.0.0.1:{mock_port}", f"http://127.0.0.1:{base_port}"

    with process(mock_command(mock_port, scenarios), f"{mock_url}/__admin/health"):
        body = httpx.patch(f"{mock_url}/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HV_AUTH).content
        (work / "body.json").write_bytes(body)
        with httpx.Client(base_url=mock_url, headers=HV_AUTH, timeout=60) as client:
            page, hv_ids = 1, []
            while len(hv_ids) < HV_APPOINTMENTS:
                data = client.get("/v1/appointments", params={"limit": 200, "page": page}).json()["data"]
                if not data:
                    break
                hv_ids += [a["appointment_id"] for a in data if a["status"] == "confirmed"]
                page += 1
        leyr_ids = [str(7_000_000 + n) for n in range(LEYR_APPOINTMENTS)]
        plan = workloads(hv_ids, leyr_ids)
        results: dict[str, list[tuple[Load, Load]]] = {w.name: [] for w in plan}
        checks: list[str] = []
        with process([PYTHON, "bench/baseline.py", str(base_port), str(work / "body.json")], base_url):
            for round_number in range(args.rounds):
                for workload in plan:
                    httpx.post(f"{mock_url}/__admin/reset", json={"scenarios": ["huskyvoice/bench", "leyr/bench"]}, timeout=60)
                    before = hv_totals(mock_url) if workload.name.startswith("huskyvoice cancel") else None

                    def run(url: str) -> Load:
                        if use_wrk:
                            return wrk(url, workload.lua, args.duration, args.connections)
                        return httpx_load(url, workload.fallback, args.duration, args.connections)

                    order = [(mock_url, "mock"), (base_url, "base")]
                    if round_number % 2:
                        order.reverse()
                    measured = {label: run(url) for url, label in order}
                    mock, base = measured["mock"], measured["base"]
                    results[workload.name].append((mock, base))
                    if not workload.expect_errors and mock.non_2xx:
                        checks.append(f"FAIL {workload.name}: {mock.non_2xx} unexpected non-2xx or socket errors")
                    if before is not None:
                        cancelled, filled = hv_totals(mock_url)
                        freed = before[1] - filled
                        verdict = "ok" if freed == cancelled - before[0] and cancelled > 0 else "FAIL"
                        checks.append(f"{verdict} huskyvoice: {cancelled} cancelled, filled_slots down by {freed}")
                    if workload.name.startswith("leyr"):
                        originals, confirmations = leyr_totals(mock_url)
                        verdict = "ok" if originals == confirmations and originals > 0 else "FAIL"
                        checks.append(f"{verdict} leyr: {originals} originals cancelled, {confirmations} new ids confirmed")

    print(f"{'workload':34} {'mock req/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'base req/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'p99 x':>6}")
    for name, pairs in results.items():
        mock_rps = statistics.median(m.rps for m, _ in pairs)
        base_rps = statistics.median(b.rps for _, b in pairs)
        mock_p50 = statistics.median(m.p50_ms for m, _ in pairs)
        base_p50 = statistics.median(b.p50_ms for _, b in pairs)
        mock_p99 = statistics.median(m.p99_ms for m, _ in pairs)
        base_p99 = statistics.median(b.p99_ms for _, b in pairs)
        print(f"{name:34} {mock_rps:11.0f} {mock_p50:8.2f} {mock_p99:8.2f} {base_rps:11.0f} {base_p50:8.2f} {base_p99:8.2f} {mock_rps / base_rps:6.2f} {mock_p99 / base_p99:6.2f}")
    print()
    for line in checks:
        print(f"correctness: {line}")

    runs = 3 if args.quick else 5
    mock_start = median_of(runs, lambda: start_to_first_answer(
        [PYTHON, "-m", "mockserver", "serve", "--port", str(port := free_port())], f"http://127.0.0.1:{port}/__admin/health"))
    base_start = median_of(runs, lambda: start_to_first_answer(
        [PYTHON, "bench/baseline.py", str(port := free_port()), str(work / "body.json")], f"http://127.0.0.1:{port}/"))
    fixture = median_of(runs, lambda: float(python_snippet(SNIPPET_FIXTURE)))
    resets = json.loads(python_snippet(SNIPPET_RESET, str(scenarios)))
    mock_calls, base_calls = map(float, python_snippet(SNIPPET_TRANSPORT, "1" if args.quick else "3").split())
    journaled = 200_000 if args.quick else 1_000_000
    rss_tenth, rss_end, seen, kept, spent = python_snippet(SNIPPET_RSS, str(journaled)).split()

    print()
    print(f"{'figure':48} {'mock':>12} {'baseline':>12} {'ratio':>7}  target")
    print(f"{'serve: start to first answer (s)':48} {mock_start:12.3f} {base_start:12.3f} {mock_start / base_start:7.2f}  <= 0.5 s")
    print(f"{'fixture start, cold process (s)':48} {fixture:12.3f} {'':>12} {'':>7}  <= 0.25 s")
    print(f"{'reset with 1,000 appointments (ms)':48} {resets['huskyvoice/reset-1000']:12.3f} {'':>12} {'':>7}  <= 1 ms")
    print(f"{'reset with 100,000 appointments (ms)':48} {resets['huskyvoice/reset-100000']:12.2f}")
    print(f"{'in-process transport (calls/s)':48} {mock_calls:12.0f} {base_calls:12.0f} {mock_calls / base_calls:7.2f}")
    print(f"{f'peak RSS after {journaled // 10:,} requests (MiB)':48} {float(rss_tenth):12.1f}")
    print(f"{f'peak RSS after {int(seen):,} requests (MiB)':48} {float(rss_end):12.1f} {'':>12} {'':>7}  flat (ring keeps {int(kept):,})")
    print(f"{'engine.handle in process (us per request)':48} {float(spent) / int(seen) * 1e6:12.1f}")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if any(line.startswith("FAIL") for line in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
