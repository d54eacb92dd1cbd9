"""Where the fixture's mock runs: --mockserver-port under pytest-xdist (worker n listens on the
port + n; a taken port is one clear line before any worker starts, never an INTERNALERROR), and
--mockserver-url with the suite's own scenario folder sent to that server as data."""

from __future__ import annotations

import socket
from contextlib import ExitStack

import pytest

from test_plugin import run

SUITE = """
import os

def test_{n}(mockserver):
    worker = int(os.environ["PYTEST_XDIST_WORKER"][2:])
    port = int(mockserver.base_url.rsplit(":", 1)[1])
    assert port == {port} + worker
    reply = mockserver.client.get("/v1/appointment-config", headers=HUSKY)
    assert reply.status_code == 200
    mockserver.requests.assert_called("GET", "/v1/appointment-config")
"""


def _free_run(length: int) -> int:
    """A first port such that it and the next `length - 1` are free now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        with ExitStack() as stack:
            try:
                for port in range(first, first + length):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return first
    raise AssertionError("no run of free ports found")


def test_each_worker_listens_on_the_port_plus_its_number(pytester):
    port = _free_run(2)
    source = "".join(SUITE.format(n=n, port=port) for n in range(6))
    result = run(pytester, source, "-n", "2", "--mockserver-port", str(port), subprocess=True)
    result.assert_outcomes(passed=6)
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_workers_taken_port_is_one_line_before_any_worker_starts(pytester):
    port = _free_run(2)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port + 1))
        taken.listen()
        result = run(
            pytester,
            SUITE.format(n=0, port=port),
            "-n",
            "2",
            "--mockserver-port",
            str(port),
            subprocess=True,
        )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    result.stderr.fnmatch_lines(
        [
            f"*ERROR: --mockserver-port: cannot listen on 127.0.0.1:{port + 1} "
            "(xdist worker gw1 listens on the port + 1): *"
        ]
    )


def test_a_suites_own_scenarios_reach_a_server_started_elsewhere(pytester):
    from mockserver.core.resources import scenarios_dir
    from servers import running_cli

    folder = pytester.mkdir("my_scenarios")
    text = (scenarios_dir() / "huskyvoice" / "direct-cancel.yaml").read_text()
    (folder / "closed.yaml").write_text(
        text.replace("allow_cancellation: true", "allow_cancellation: false")
    )
    (folder / "late.yaml").write_text(
        "provider: huskyvoice\nextends: huskyvoice/direct-cancel\n"
        "description: notice of 30 days\norg:\n  cancellation_notice_hours: 720\n"
    )
    pytester.makeini(
        "[pytest]\nmockserver_scenarios_dir = my_scenarios\nmockserver_scenario = huskyvoice/closed\n"
    )
    source = """
import pytest

def code(mockserver):
    reply = mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)
    return reply.json().get("error", {}).get("code")

def test_the_ini_default(mockserver):
    assert mockserver.active["huskyvoice"] == "huskyvoice/closed"
    assert code(mockserver) == "CANCELLATION_NOT_ALLOWED"

@pytest.mark.mockserver_scenario("huskyvoice/late")
def test_a_marker(mockserver):
    assert mockserver.active["huskyvoice"] == "huskyvoice/late"
    assert code(mockserver) == "CANCELLATION_NOTICE_PERIOD"

def test_load_and_reset(mockserver):
    mockserver.load("huskyvoice/late")
    mockserver.reset()
    assert mockserver.active["huskyvoice"] == "huskyvoice/late"
    assert code(mockserver) == "CANCELLATION_NOTICE_PERIOD"

@pytest.mark.mockserver_scenario("huskyvoice/direct-cancel")
def test_a_builtin_still_comes_from_the_server(mockserver):
    assert code(mockserver) is None
"""
    with running_cli([]) as server:
        result = run(pytester, source, "--mockserver-url", server.base_url)
    result.assert_outcomes(passed=4)


def test_workers_share_a_server_through_sessions_of_their_own(pytester):
    import httpx

    from servers import running_cli

    source = "".join(
        f"""
def test_{n}(mockserver):
    assert "/__session/pytest-" in mockserver.base_url
    assert mockserver.client.get("/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY).json()["data"]["status"] == "confirmed"
    with httpx.Client(transport=mockserver.transport, base_url="http://mock") as client:
        cancelled = client.patch("/v1/appointments/appt_a1b2c3d4e5", json={{"status": "cancelled"}}, headers=HUSKY)
    assert cancelled.json()["data"]["status"] == "cancelled"
    assert [e.method for e in mockserver.requests.filter(path="/v1/appointments/appt_a1b2c3d4e5")] == ["GET", "PATCH"]
"""
        for n in range(8)
    )
    with running_cli([]) as server:
        result = run(
            pytester, source, "-n", "2", "--mockserver-url", server.base_url, subprocess=True
        )
        # The server's default session saw none of it, and the suite's sessions ended with it.
        with httpx.Client(base_url=server.base_url) as admin:
            assert admin.get("/__admin/requests").json()["requests"] == []
            assert admin.get("/__admin/sessions").json()["sessions"] == []
    result.assert_outcomes(passed=8)
