"""The contract gate through the real command: `mockserver run -- COMMAND` with a client written
as a shell script over curl, and `serve --report-dir / --fail-on-violation / --port-file`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import junitparser
import pytest

from conftest import SEED_ID, SEED_KEY
from servers import running_cli

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

CANCEL = (
    'curl -s -o /dev/null -X PATCH "$MOCKSERVER_URL/v1/appointments/' + SEED_ID + '" '
    f'-H "Authorization: Bearer {SEED_KEY}" -H "Content-Type: application/json" '
)
GOOD = CANCEL + '-d \'{"status": "cancelled"}\''
UNKNOWN_FIELD = CANCEL + '-d \'{"status": "cancelled", "state": "gone"}\''
RESET = 'curl -sf -o /dev/null -X POST "$MOCKSERVER_ADMIN_URL/reset"'


def _client(tmp_path: Path, *lines: str) -> Path:
    """The client under test: a POSIX shell script."""
    script = tmp_path / "client.sh"
    script.write_text("#!/bin/sh\nset -e\n" + "\n".join(lines) + "\n")
    script.chmod(0o755)
    return script


def _run(tmp_path: Path, *options: str, command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "run", *options, "--", *command],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )


@needs_curl
def test_a_good_client_passes_with_exit_0_and_a_report(tmp_path):
    script = _client(tmp_path, RESET, GOOD, 'test -n "$MOCKSERVER_URL"')
    done = _run(tmp_path, "--report-dir", "report", "--pact-consumer", "web", command=[str(script)])
    assert done.returncode == 0, done.stderr
    pact = json.loads((tmp_path / "report" / "pacts" / "web-huskyvoice.json").read_text())
    assert pact["consumer"] == {"name": "web"} and len(pact["interactions"]) == 1
    assert "mockserver: PASS — 1 exchange, 0 contract violations" in done.stdout
    assert "running " in done.stdout.splitlines()[0]
    xml = junitparser.JUnitXml.fromfile(str(tmp_path / "report" / "junit.xml"))
    assert xml.failures == 0 and xml.tests == 1


@needs_curl
def test_an_unknown_body_field_fails_with_1_and_the_verdict_names_it(tmp_path):
    script = _client(tmp_path, UNKNOWN_FIELD, RESET, GOOD)
    done = _run(tmp_path, "--report-dir", "out", command=[str(script)])
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "mockserver: FAIL: 1 contract violation recorded — 2 exchanges" in lines[-2]
    assert lines[-1].startswith(f"mockserver:   PATCH /v1/appointments/{SEED_ID} → 400  body:")
    assert "'state'" in lines[-1]
    violations = json.loads((tmp_path / "out" / "violations.json").read_text())
    assert violations["total_seen"] == 1


@needs_curl
def test_the_commands_own_failure_wins(tmp_path):
    script = _client(tmp_path, UNKNOWN_FIELD, "exit 3")
    assert _run(tmp_path, command=[str(script)]).returncode == 3


@needs_curl
def test_allow_violations_reports_them_and_passes(tmp_path):
    script = _client(tmp_path, UNKNOWN_FIELD)
    done = _run(tmp_path, "--allow-violations", command=[str(script)])
    assert done.returncode == 0, done.stdout
    assert "1 contract violation (allowed)" in done.stdout


@needs_curl
def test_coverage_under_the_threshold_fails(tmp_path):
    script = _client(tmp_path, GOOD)
    done = _run(tmp_path, "--coverage-fail-under", "50", command=[str(script)])
    assert done.returncode == 1
    assert re.search(r"contract coverage [0-9.]+% is under 50%", done.stdout)
    assert _run(tmp_path, "--coverage-fail-under", "1", command=[str(script)]).returncode == 0


def _failing_cases(junit_file: Path) -> list[tuple[str, str]]:
    junit = junitparser.JUnitXml.fromfile(str(junit_file))
    return [
        (case.name, case.result[0].message or "")
        for suite in junit
        for case in suite
        if not case.is_passed
    ]


@needs_curl
def test_coverage_under_the_threshold_is_a_failing_test_case_in_junit(tmp_path):
    """A CI system that shows junit.xml shows why the job failed: a run that fails on coverage
    alone has a failing test case saying so, and one that passes has none."""
    script = _client(tmp_path, GOOD)
    failed = _run(
        tmp_path, "--report-dir", "low", "--coverage-fail-under", "50", command=[str(script)]
    )
    assert failed.returncode == 1
    [(name, message)] = _failing_cases(tmp_path / "low" / "junit.xml")
    assert name == "contract coverage ≥ 50%"
    assert re.fullmatch(r"contract coverage [0-9.]+% is under 50%", message), message
    passed = _run(
        tmp_path, "--report-dir", "ok", "--coverage-fail-under", "1", command=[str(script)]
    )
    assert passed.returncode == 0 and _failing_cases(tmp_path / "ok" / "junit.xml") == []
    junit = junitparser.JUnitXml.fromfile(str(tmp_path / "ok" / "junit.xml"))
    assert "contract coverage ≥ 1%" in [case.name for suite in junit for case in suite]


def test_a_command_that_cannot_start_is_127_in_one_line(tmp_path):
    done = _run(tmp_path, command=["./no-such-client", "--flag"])
    assert done.returncode == 127
    assert done.stderr.splitlines() == [
        "mockserver: cannot run ./no-such-client: No such file or directory"
    ]
    not_executable = tmp_path / "plain.txt"
    not_executable.write_text("")
    done = _run(tmp_path, command=[str(not_executable)])
    assert done.returncode == 127 and "Permission denied" in done.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ((), "name the command to run"),
        (("--coverage-fail-under", "101", "--", "true"), "not between 0 and 100"),
        (("--coverage-fail-under", "nan", "--", "true"), "not between 0 and 100"),
        (("--pact-consumer", "../x", "--", "true"), "consumer: '../x' must match"),
    ],
)
def test_run_usage_mistakes_are_one_line_and_exit_2(options, message):
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "run", *options],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.splitlines()) == 1


def _interrupted(
    tmp_path: Path, script: Path, started: Path, stop: signal.Signals, settle: float = 0.0
) -> tuple[int, str, str]:
    """`mockserver run -- script` sent `stop` once the script touched `started`: its exit
    status, stdout and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "run", "--report-dir", "out", "--", str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 30
    while not started.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.02)
    time.sleep(settle)
    process.send_signal(stop)
    try:
        stdout, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()  # never leave a process (and its pipes) behind for later tests
        process.communicate()
        raise
    return process.returncode, stdout, stderr


@needs_curl
def test_sigint_during_the_run_stops_both_and_still_writes_the_report(tmp_path):
    started = tmp_path / "started"
    script = _client(tmp_path, UNKNOWN_FIELD, f"touch {started}", "sleep 60")
    # The file is touched just before the script's `sleep` starts: give the shell a moment to be
    # waiting on it, so the interrupt finds the command running, not between two of its lines.
    status, stdout, stderr = _interrupted(tmp_path, script, started, signal.SIGINT, settle=0.3)
    assert status == 128 + signal.SIGINT, stderr
    assert "the command exited with status 130" in stdout
    journal = (tmp_path / "out" / "journal.jsonl").read_text().splitlines()
    assert len(journal) == 1 and json.loads(journal[0])["problems"]


@needs_curl
def test_run_writes_a_port_file_and_removes_it(tmp_path):
    port_file = tmp_path / "port"
    script = _client(
        tmp_path,
        f'test "$(head -1 {port_file})" = "${{MOCKSERVER_URL##*:}}"',
        f"cp {port_file} seen",
    )
    done = _run(tmp_path, "--port-file", str(port_file), command=[str(script)])
    assert done.returncode == 0, done.stderr
    assert not port_file.exists()
    assert (tmp_path / "seen").read_text().splitlines()[1].isdigit()


def test_an_unwritable_report_dir_is_a_warning_and_the_verdict_stands(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = _run(tmp_path, "--report-dir", str(blocker / "report"), command=["false"])
    assert done.returncode == 1
    assert "mockserver: warning: the report was not written" in done.stderr
    assert "mockserver: FAIL: the command exited with status 1" in done.stdout


# serve: the long-running server's report, verdict and port file -------------------------------


def _violate(base_url: str) -> None:
    reply = httpx.patch(
        f"{base_url}/v1/appointments/{SEED_ID}",
        json={"status": "cancelled", "state": "gone"},
        headers={"Authorization": f"Bearer {SEED_KEY}"},
    )
    assert reply.status_code == 400


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_writes_the_report_at_shutdown_and_fails_on_violation(tmp_path, stop):
    report = tmp_path / "report"
    args = ["--report-dir", str(report), "--fail-on-violation"]
    with running_cli(args, stop=stop) as run:
        _violate(run.base_url)
    assert run.returncode == 1, run.stderr
    assert "FAIL: 1 contract violation recorded" in run.stdout
    assert run.stdout.rstrip().endswith("mockserver stopped")
    assert json.loads((report / "violations.json").read_text())["total_seen"] == 1


def test_serve_without_fail_on_violation_exits_0_and_without_report_dir_writes_nothing(tmp_path):
    with running_cli(["--report-dir", str(tmp_path / "r")]) as run:
        _violate(run.base_url)
    assert run.returncode == 0 and (tmp_path / "r" / "summary.md").exists()
    with running_cli([], cwd=tmp_path) as run:
        _violate(run.base_url)
        refused = httpx.post(f"{run.base_url}/__admin/report")
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "NO_REPORT_DIR"
    assert run.returncode == 0 and "FAIL" not in run.stdout
    assert {p.name for p in tmp_path.iterdir()} == {"r"}


def test_post_admin_report_writes_it_now(tmp_path):
    report = tmp_path / "report"
    with running_cli(["--report-dir", str(report)]) as run:
        _violate(run.base_url)
        answer = httpx.post(f"{run.base_url}/__admin/report")
        assert answer.status_code == 200
        assert answer.json()["verdict"]["passed"] is False
        assert "summary.md" in answer.json()["written"]
        har = json.loads((report / "journal.har").read_text())
        assert har["log"]["entries"][0]["request"]["url"].startswith(run.base_url)


def test_serve_port_file_holds_port_and_pid_while_it_listens(tmp_path):
    port_file = tmp_path / "ready" / "port"
    port_file.parent.mkdir()
    with running_cli(["--port-file", str(port_file)]) as run:
        port, pid = port_file.read_text().splitlines()
        assert run.base_url.endswith(f":{port}")
        assert int(pid) != os.getpid()
        assert httpx.get(f"http://127.0.0.1:{port}/__admin/health").status_code == 200
    assert run.returncode == 0
    assert not port_file.exists()


def test_serve_refuses_an_unwritable_port_file_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockserver",
            "serve",
            "--port",
            "0",
            "--port-file",
            str(blocker / "port"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("mockserver: error: cannot write the port file")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_cancelled_run_fails_even_when_the_command_exits_0_on_the_signal(tmp_path, stop):
    """A test runner that finishes cleanly on a cancel (status 0) did not pass: the job was
    cancelled, and the run says so with 128 + N, not PASS."""
    started = tmp_path / "started"
    script = _client(
        tmp_path, "trap 'exit 0' TERM INT", f"touch {started}", "while :; do sleep 0.05; done"
    )
    status, stdout, stderr = _interrupted(tmp_path, script, started, stop)
    assert status == 128 + stop, (stdout, stderr)
    assert f"FAIL: the command exited with status {128 + stop}" in stdout
    assert "PASS" not in stdout
    assert (tmp_path / "out" / "junit.xml").exists()


def test_a_confirmation_on_the_original_id_fails_the_run_and_names_the_exchange(tmp_path):
    """A client that ignores the 400 still fails the gate: the page says to confirm on the new
    id, and the verdict names the exchange that did not."""
    client = tmp_path / "client.py"
    client.write_text(
        textwrap.dedent(
            """
            import os, httpx
            url = os.environ["MOCKSERVER_URL"]
            admin = os.environ["MOCKSERVER_ADMIN_URL"]
            auth = {"x-leyr-client-id": "test-client-id",
                    "x-leyr-client-secret": "test-client-secret"}
            path = url + "/api/emrs/anitasystems/care-units/L0_1/appointments/2001"
            httpx.put(admin + "/scenario", json={"name": "leyr/two-step"}).raise_for_status()
            httpx.patch(path, json={"status": "cancelled"}, headers=auth).raise_for_status()
            code = httpx.get(admin + "/messages").json()["messages"][-1]["code"]
            httpx.patch(path, json={"confirmation": {"code": code}}, headers=auth)
            """
        )
    )
    done = _run(tmp_path, "--report-dir", "out", command=[sys.executable, str(client)])
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "FAIL: 1 contract violation recorded" in done.stdout
    line = "PATCH /api/emrs/anitasystems/care-units/L0_1/appointments/2001 → 400"
    assert f"{line}  request: a confirmation sent to the original id '2001'" in done.stdout
    [(name, message)] = _failing_cases(tmp_path / "out" / "junit.xml")
    assert name == line
    assert re.match(r"request #\d+: request: a confirmation sent to the original id", message)
