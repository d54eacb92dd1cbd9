"""The real thing: uvicorn on a free loopback port, in a thread and through the CLI."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from conftest import AUTH, SEED_ID, documented_cancel_response
from mockserver import MockEngine, MockServer
from mockserver.core.resources import scenarios_dir
from mockserver.web.server import PortInUseError
from servers import running_cli

SEED_CURL = [
    "curl",
    "-s",
    "-X",
    "PATCH",
    "{base}/v1/appointments/appt_a1b2c3d4e5",
    "-H",
    "Authorization: Bearer YOUR_API_KEY",
    "-H",
    "Content-Type: application/json",
    "-d",
    '{"status": "cancelled"}',
]


def seed_curl(base_url: str) -> dict:
    """The seed page's curl command as printed, host aside; httpx where curl is missing."""
    if shutil.which("curl"):
        command = [part.replace("{base}", base_url) for part in SEED_CURL]
        return json.loads(
            subprocess.run(command, capture_output=True, check=True, text=True).stdout
        )
    reply = httpx.patch(
        f"{base_url}/v1/appointments/{SEED_ID}",
        headers={**AUTH, "Content-Type": "application/json"},
        content=b'{"status": "cancelled"}',
    )
    return reply.json()


def test_threaded_server_answers_the_seed_example():
    with MockServer() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert seed_curl(server.base_url) == documented_cancel_response()


def test_concurrent_cancels_over_real_sockets_free_the_slot_once():
    with MockServer() as server, httpx.Client(base_url=server.base_url, headers=AUTH) as client:

        def cancel(_: int) -> int:
            return client.patch(
                f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"}
            ).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(cancel, range(32))) == {200}
        slots = client.get(
            "/v1/appointment-slots/availability", params={"date": "2026-06-15"}
        ).json()
        assert slots["slots"][0]["filled_slots"] == 2


def test_a_taken_port_fails_at_once():
    with MockServer() as first:
        second = MockServer(MockEngine(), port=first.port)
        # Refused by the bind itself, before any server thread exists to wait for.
        with pytest.raises(PortInUseError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            second.start()
        assert not second.running


def test_cli_serve_runs_the_seed_example_and_stops_cleanly_on_ctrl_c():
    with running_cli(["--scenario", "huskyvoice/direct-cancel"]) as run:
        assert seed_curl(run.base_url) == documented_cancel_response()
        assert httpx.get(f"{run.base_url}/__admin/health").json()["status"] == "ok"
    assert run.returncode == 0
    assert "Traceback" not in run.stderr
    assert "Shutting down" in run.stderr


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [
        ("huskyvoice/insufficient-scope", 403, "INSUFFICIENT_SCOPE"),
        ("huskyvoice/not-found", 404, "NOT_FOUND"),
        ("huskyvoice/cancellation-disabled", 403, "CANCELLATION_NOT_ALLOWED"),
        ("huskyvoice/notice-period", 422, "CANCELLATION_NOTICE_PERIOD"),
    ],
)
def test_seed_example_against_each_error_scenario(scenario, status, code):
    engine = MockEngine([scenario])
    with MockServer(engine) as server:
        body = seed_curl(server.base_url)
    assert body == {"success": False, "error": {"code": code, "message": body["error"]["message"]}}
    assert engine.requests()[0]["status"] == status


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_serve_refuses_a_taken_port_in_one_line():
    with MockServer() as server:
        result = run_cli("serve", "--port", str(server.port))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"mockserver: error: cannot listen on 127.0.0.1:{server.port}: Address already in use "
        f"(another server has it); pick another with --port {server.port + 1}, or --port 0 for "
        "a free one (printed when it starts)"
    ]


def test_cli_serve_refuses_broken_scenarios_and_unknown_names(tmp_path):
    (tmp_path / "bad.yaml").write_text("provider: huskyvoice\ndescription: x\nseed: -1\n")
    broken = run_cli("serve", "--scenarios-dir", str(tmp_path))
    assert broken.returncode == 2
    assert f"{tmp_path / 'bad.yaml'}:3: seed:" in broken.stderr
    unknown = run_cli("serve", "--scenario", "huskyvoice/nope")
    assert unknown.returncode == 2
    assert "unknown scenario 'huskyvoice/nope'" in unknown.stderr


def test_cli_scenarios_lists_builtins_and_user_files(tmp_path):
    text = (scenarios_dir() / "huskyvoice" / "direct-cancel.yaml").read_text()
    (tmp_path / "mine.yaml").write_text(text)
    result = run_cli("scenarios", "--scenarios-dir", str(tmp_path), "--json")
    listed = {s["name"]: s for s in json.loads(result.stdout)}
    assert listed["huskyvoice/mine"]["source"] == f"{tmp_path.name}/mine.yaml"  # not a full path
    assert listed["huskyvoice/direct-cancel"]["source"] == "builtin"
    table = run_cli("scenarios").stdout
    assert "huskyvoice/slot-freed" in table


def test_cli_validate_reports_every_problem(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text((scenarios_dir() / "huskyvoice" / "direct-cancel.yaml").read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text("provider: huskyvoice\ndescription: x\nseed: -1\nclock: {now: 5}\n")
    ugly = tmp_path / "ugly.yaml"
    ugly.write_text("provider: [\n")
    result = run_cli("validate", str(tmp_path), str(tmp_path / "missing.yaml"))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith(f"{bad}:3: seed:") for line in lines)
    assert any(line.startswith(f"{bad}:4: clock.now:") for line in lines)
    assert any(line.startswith(f"{ugly}:") and "not valid YAML" in line for line in lines)
    assert any("missing.yaml" in line and "no such file" in line for line in lines)
    assert lines[-1] == "4 problem(s) in 3 file(s)"
    ok = run_cli("validate", str(good), str(scenarios_dir()))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: ")


def test_cli_openapi_prints_a_valid_document():
    from openapi_spec_validator import validate

    result = run_cli("openapi", "huskyvoice")
    assert result.returncode == 0
    validate(json.loads(result.stdout))
    assert run_cli("openapi", "acme").returncode == 2


def test_journal_file_keeps_every_exchange_as_json_lines(tmp_path):
    journal = tmp_path / "journal.jsonl"
    with running_cli(["--journal-file", str(journal), "--journal-size", "2"]) as run:
        for _ in range(3):
            seed_curl(run.base_url)
        kept = httpx.get(f"{run.base_url}/__admin/requests").json()["requests"]
        assert len(kept) == 2
    assert run.returncode == 0
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [entry["id"] for entry in lines] == [1, 2, 3]
    assert lines[0]["body"] == {"status": "cancelled"}
    assert lines[0]["response"]["data"]["status"] == "cancelled"
    # The same evidence as GET /__admin/requests: wall clock, duration, headers, operation.
    assert lines[0].keys() == kept[0].keys()
    assert lines[0]["received_at"].endswith("Z") and lines[0]["duration_ms"] >= 0
    assert lines[0]["response_headers"]["content-type"] == "application/json"
    assert lines[0]["operation"] == "updateAppointment"


def test_unwritable_journal_file_is_one_line(tmp_path):
    result = run_cli("serve", "--journal-file", str(tmp_path / "missing" / "j.jsonl"))
    assert result.returncode == 2
    assert result.stderr.startswith("mockserver: error: cannot open the journal file:")


def test_a_streamed_body_over_the_read_limit_is_413_without_keeping_it():
    from mockserver.web.app import READ_LIMIT_BYTES

    def chunks():
        piece = b"x" * (1024 * 1024)
        for _ in range(READ_LIMIT_BYTES // len(piece) + 2):
            yield piece

    engine = MockEngine()
    with MockServer(engine) as server:
        reply = httpx.patch(
            f"{server.base_url}/v1/appointments/{SEED_ID}",
            content=chunks(),
            headers={**AUTH, "Content-Type": "application/json"},
        )
    assert reply.status_code == 413
    assert engine.requests()[0]["body"] is None


@pytest.mark.parametrize(
    ("stop", "returncode", "says_stopped"),
    [(signal.SIGKILL, -signal.SIGKILL, False), (signal.SIGTERM, 0, True), (signal.SIGINT, 0, True)],
    ids=["SIGKILL", "SIGTERM", "SIGINT"],
)
def test_every_acknowledged_exchange_is_in_the_journal_file(
    tmp_path, stop, returncode, says_stopped
):
    journal = tmp_path / "journal.jsonl"
    with running_cli(["--journal-file", str(journal)], stop=stop) as run, httpx.Client() as http:
        for number in range(25):
            http.get(f"{run.base_url}/v1/appointment-config", headers=AUTH)
            # Written before the answer left: readable while the server still runs.
            assert len(journal.read_bytes().splitlines()) == number + 1
    lines = journal.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(range(1, 26))  # none partial
    assert journal.stat().st_mode & 0o777 == 0o600
    assert run.returncode == returncode
    assert ("mockserver stopped" in run.stdout) is says_stopped


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "99999"], "argument --port: 99999 is not between 0 and 65535"),
        (["serve", "--port", "-1"], "argument --port: -1 is not between 0 and 65535"),
        (["serve", "--port", "http"], "argument --port: 'http' is not a whole number"),
        (["serve", "--journal-size", "-5"], "argument --journal-size: -5 is not between 1"),
        (["explode"], "argument COMMAND: invalid choice: 'explode'"),
    ],
)
def test_cli_usage_mistakes_are_one_line_and_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert message in line, line


def test_cli_version_and_a_closed_pipe():
    version = run_cli("--version")
    assert (version.returncode, version.stdout.split()[0]) == (0, "mockserver")
    piped = subprocess.run(
        f"{sys.executable} -m mockserver scenarios --json | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (piped.stdout, piped.stderr) == ("[", "")


def test_a_refused_admin_body_leaves_the_connection_usable():
    with MockServer() as server, httpx.Client(base_url=server.base_url) as http:
        for _ in range(5):
            large = b'{"now": "' + b"x" * 100_000 + b'"}'
            streamed = iter([b'{"now": "', b"x" * 70_000, b'"}'])
            for body in (large, b"{", streamed):
                refused = http.put(
                    "/__admin/clock", content=body, headers={"Content-Type": "application/json"}
                )
                assert refused.status_code in (400, 413)
                assert http.get("/__admin/health").status_code == 200  # same keep-alive connection
