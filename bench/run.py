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
from string import Template
from typing import Any

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
        PYTHON,
        "-m",
        "mockserver",
        "serve",
        "--port",
        str(port),
        "--scenarios-dir",
        str(scenarios),
        "--scenario",
        "huskyvoice/bench",
        "--scenario",
        "leyr/bench",
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
ids = {$ids}
i = 0
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer YOUR_API_KEY"
wrk.body = '{"status": "cancelled"}'
request = function()
  local id = ids[(math.floor(i / 2) % #ids) + 1]
  i = i + 1
  return wrk.format(nil, "/v1/appointments/" .. id)
end
"""
GET_LUA = """
wrk.headers["Authorization"] = "Bearer YOUR_API_KEY"
request = function() return wrk.format("GET", "$path") end
"""
LEYR_LUA = """
ids = {$ids}
i = 0
pending = {}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-leyr-client-id"] = "bench-client"
wrk.headers["x-leyr-client-secret"] = "bench-secret"
request = function()
  local new_id = table.remove(pending)
  if new_id then
    return wrk.format("PATCH", "$base/" .. new_id, nil, '{"confirmation": {"code": "123456"}}')
  end
  local id = ids[(i % #ids) + 1]
  i = i + 1
  return wrk.format("PATCH", "$base/" .. id, nil, '{"status": "cancelled"}')
end
response = function(status, headers, body)
  local new_id = string.match(body, '"id":"(%d+)","status":"awaiting_confirmation"')
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
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(duration))}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink()
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(non_2xx.group(1)) if non_2xx else 0
    if errors:
        failed += sum(int(n) for n in errors.groups())
    return Load(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        non_2xx=failed,
    )


def httpx_load(
    url: str,
    make: Callable[[int], tuple[str, str, dict, bytes | None]],
    duration: float,
    connections: int,
) -> Load:
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
            Template(HV_CANCEL_LUA).substitute(ids=quoted),
            lambda n: (
                "PATCH",
                f"/v1/appointments/{hv_ids[(n // 2) % len(hv_ids)]}",
                json_hv,
                cancel_body,
            ),
        ),
        Workload(
            "huskyvoice search",
            Template(GET_LUA).substitute(path=search),
            lambda n: ("GET", search, HV_AUTH, None),
        ),
        Workload(
            "leyr two-step cancel + confirm",
            Template(LEYR_LUA).substitute(ids=leyr_quoted, base=LEYR_BASE),
            lambda n: (
                "PATCH",
                f"{LEYR_BASE}/{leyr_ids[n % len(leyr_ids)]}",
                json_leyr,
                cancel_body,
            ),
        ),
        Workload(
            "unmatched route (404)",
            Template(GET_LUA).substitute(path="/v2/nowhere"),
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


def start_to_first_answer(command: list[str], url: str) -> float:
    began = time.perf_counter()
    with process(command, url):
        return time.perf_counter() - began


def serve_start(body_file: Path, baseline: bool) -> float:
    port = free_port()
    if baseline:
        return start_to_first_answer(
            [PYTHON, "bench/baseline.py", str(port), str(body_file)], f"http://127.0.0.1:{port}/"
        )
    command = [PYTHON, "-m", "mockserver", "serve", "--port", str(port)]
    return start_to_first_answer(command, f"http://127.0.0.1:{port}/v1/appointment-config")


def in_process(*args: str) -> Any:
    command = [PYTHON, "bench/inprocess.py", *args]
    return json.loads(
        subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    )


# The run ----------------------------------------------------------------------------------------


@dataclass
class Setup:
    duration: float
    rounds: int
    connections: int
    use_wrk: bool
    work: Path
    mock_url: str
    base_url: str


def run_load(setup: Setup, workload: Workload, url: str) -> Load:
    if setup.use_wrk:
        return wrk(url, workload.lua, setup.duration, setup.connections)
    return httpx_load(url, workload.fallback, setup.duration, setup.connections)


def confirmable_ids(mock_url: str) -> list[str]:
    ids: list[str] = []
    with httpx.Client(base_url=mock_url, headers=HV_AUTH, timeout=60) as client:
        for page in range(1, HV_APPOINTMENTS // 200 + 3):
            data = client.get("/v1/appointments", params={"limit": 200, "page": page}).json()[
                "data"
            ]
            ids += [a["appointment_id"] for a in data if a["status"] == "confirmed"]
            if not data:
                break
    return ids


def one_round(
    setup: Setup, plan: list[Workload], round_number: int, results: dict, checks: list[str]
) -> None:
    for workload in plan:
        reset = {"scenarios": ["huskyvoice/bench", "leyr/bench"]}
        httpx.post(f"{setup.mock_url}/__admin/reset", json=reset, timeout=60)
        hv_cancel = workload.name.startswith("huskyvoice cancel")
        before = hv_totals(setup.mock_url) if hv_cancel else None
        order = [("mock", setup.mock_url), ("base", setup.base_url)]
        if round_number % 2:
            order.reverse()
        measured = {label: run_load(setup, workload, url) for label, url in order}
        results[workload.name].append((measured["mock"], measured["base"]))
        if not workload.expect_errors and measured["mock"].non_2xx:
            checks.append(f"FAIL {workload.name}: {measured['mock'].non_2xx} unexpected errors")
        if before is not None:
            cancelled, filled = hv_totals(setup.mock_url)
            freed = before[1] - filled
            verdict = "ok" if freed == cancelled - before[0] and cancelled > 0 else "FAIL"
            checks.append(
                f"{verdict} huskyvoice: {cancelled} cancelled, filled_slots down by {freed}"
            )
        if workload.name.startswith("leyr"):
            originals, confirmed = leyr_totals(setup.mock_url)
            verdict = "ok" if originals == confirmed and originals > 0 else "FAIL"
            checks.append(f"{verdict} leyr: {originals} cancelled, {confirmed} new ids confirmed")


def print_load_table(results: dict[str, list[tuple[Load, Load]]]) -> None:
    """Medians over the rounds; `ratio range` is the lowest and highest round's ratio, the
    run-to-run noise of the ratio on this machine."""
    head = (
        "workload",
        "mock req/s",
        "p50 ms",
        "p99 ms",
        "base req/s",
        "p50 ms",
        "p99 ms",
        "ratio",
        "p99 x",
        "ratio range",
    )
    print("{:34} {:>11} {:>8} {:>8} {:>11} {:>8} {:>8} {:>6} {:>6} {:>12}".format(*head))
    for name, pairs in results.items():
        mock = [
            statistics.median(getattr(m, f) for m, _ in pairs) for f in ("rps", "p50_ms", "p99_ms")
        ]
        base = [
            statistics.median(getattr(b, f) for _, b in pairs) for f in ("rps", "p50_ms", "p99_ms")
        ]
        ratios = [m.rps / b.rps for m, b in pairs]
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
        print(
            f"{name:34} {mock[0]:11.0f} {mock[1]:8.2f} {mock[2]:8.2f} {base[0]:11.0f} {base[1]:8.2f} "
            f"{base[2]:8.2f} {mock[0] / base[0]:6.2f} {mock[2] / base[2]:6.2f} {spread:>12}"
        )


def print_figures(setup: Setup, quick: bool) -> None:
    runs = 3 if quick else 5
    body = setup.work / "body.json"
    mock_start = statistics.median(serve_start(body, baseline=False) for _ in range(runs))
    base_start = statistics.median(serve_start(body, baseline=True) for _ in range(runs))
    fixture = statistics.median(in_process("fixture") for _ in range(runs))
    resets = in_process("resets", str(setup.work / "scenarios"))
    calls = in_process("transport", "1" if quick else "3")
    memory = in_process("journal", str(200_000 if quick else 1_000_000))
    session = in_process("sessions", "200")
    row = "{:46} {:>12} {:>12} {:>7}  {}"
    print(row.format("figure", "mock", "baseline", "ratio", "target"))
    ratio = f"{mock_start / base_start:.2f}"
    print(
        row.format(
            "serve: start to first answer (s)",
            f"{mock_start:.3f}",
            f"{base_start:.3f}",
            ratio,
            "<= 0.5 s",
        )
    )
    print(
        row.format(
            "fixture start, cold: import to first answer (s)", f"{fixture:.3f}", "", "", "<= 0.25 s"
        )
    )
    print(row.format("reset, 1,000 appointments (ms)", f"{resets['1000']:.3f}", "", "", "<= 1 ms"))
    print(row.format("reset, 100,000 appointments (ms)", f"{resets['100000']:.2f}", "", "", ""))
    print(row.format("a session created (ms)", f"{session['ms']:.3f}", "", "", "<= 1 ms"))
    print(row.format("a session created (KiB held)", f"{session['kib']:.1f}", "", "", "<= 256 KiB"))
    ratio = f"{calls['mock'] / calls['base']:.2f}"
    print(
        row.format(
            "in-process transport (calls/s)",
            f"{calls['mock']:.0f}",
            f"{calls['base']:.0f}",
            ratio,
            "",
        )
    )
    tenth = f"peak RSS after {memory['seen'] // 10:,} requests (MiB)"
    print(row.format(tenth, f"{memory['rss_tenth_mib']:.1f}", "", "", ""))
    flat = f"flat (ring keeps {memory['kept']:,})"
    end = f"peak RSS after {memory['seen']:,} requests (MiB)"
    print(row.format(end, f"{memory['rss_end_mib']:.1f}", "", "", flat))
    print(
        row.format(
            "engine.handle in process (us/request)", f"{memory['us_per_request']:.1f}", "", "", ""
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per workload")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="2 s runs, 1 round, 200k journal")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.rounds = 2.0, 1
    # Measure the code as an installed wheel runs it: byte-compiled (pip compiles on install),
    # even where PYTHONDONTWRITEBYTECODE keeps a checkout from caching its own bytecode.
    subprocess.run(
        [PYTHON, "-m", "compileall", "-q", "mockserver", "pytest_plugin", "bench"],
        cwd=ROOT,
        check=True,
    )
    work = Path(tempfile.mkdtemp(prefix="mockserver-bench-"))
    write_scenarios(work / "scenarios")
    mock_port, base_port = free_port(), free_port()
    setup = Setup(
        args.duration,
        args.rounds,
        args.connections,
        shutil.which("wrk") is not None,
        work,
        f"http://127.0.0.1:{mock_port}",
        f"http://127.0.0.1:{base_port}",
    )
    load = f"wrk -t1 -c{args.connections}" if setup.use_wrk else "asyncio/httpx (no wrk found)"
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}")
    print(
        f"load: {load}, {args.duration:g} s per run, {args.rounds} interleaved round(s), medians\n"
    )
    results: dict[str, list[tuple[Load, Load]]] = {}
    checks: list[str] = []
    with process(mock_command(mock_port, work / "scenarios"), f"{setup.mock_url}/__admin/health"):
        cancel = {"status": "cancelled"}
        reply = httpx.patch(
            f"{setup.mock_url}/v1/appointments/appt_a1b2c3d4e5", json=cancel, headers=HV_AUTH
        )
        (work / "body.json").write_bytes(reply.content)
        leyr_ids = [str(7_000_000 + n) for n in range(LEYR_APPOINTMENTS)]
        plan = workloads(confirmable_ids(setup.mock_url), leyr_ids)
        results = {w.name: [] for w in plan}
        baseline = [PYTHON, "bench/baseline.py", str(base_port), str(work / "body.json")]
        with process(baseline, setup.base_url):
            for round_number in range(args.rounds):
                one_round(setup, plan, round_number, results, checks)
    print_load_table(results)
    print()
    for line in checks:
        print(f"correctness: {line}")
    print()
    print_figures(setup, args.quick)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if any(line.startswith("FAIL") for line in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
