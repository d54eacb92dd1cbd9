"""The pytest plugin, exercised the way integrators use it: small suites run by pytester."""

from __future__ import annotations

import json

import pytest

from mockserver import MockEngine, MockServer
from servers import running_cli

CLIENT_CODE = """
import httpx

CLIENT = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
ANITA = "/api/emrs/anitasystems/care-units/L0_1/appointments"
HUSKY = {"Authorization": "Bearer YOUR_API_KEY"}
"""


def run(pytester, source, *args, subprocess=False):
    pytester.makepyfile(test_suite=CLIENT_CODE + source)
    runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    return runner("-p", "no:cacheprovider", *args)


def test_fixture_serves_the_default_scenarios_and_resets_between_tests(pytester):
    result = run(
        pytester,
        """
def test_cancel(mockserver):
    assert mockserver.active == {"huskyvoice": "huskyvoice/direct-cancel", "leyr": "leyr/direct-cancel"}
    reply = httpx.patch(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5",
                        json={"status": "cancelled"}, headers=HUSKY)
    assert reply.json()["data"]["status"] == "cancelled"
    mockserver.requests.assert_called("PATCH", "/v1/appointments/{appointment_id}", status=200)

def test_next_test_starts_clean(mockserver):
    assert len(mockserver.requests) == 0
    reply = httpx.get(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY)
    assert reply.json()["data"]["status"] == "confirmed"
""",
    )
    result.assert_outcomes(passed=2)


def test_marker_on_test_class_and_module_with_outbox_and_clock(pytester):
    result = run(
        pytester,
        """
import pytest

pytestmark = pytest.mark.mockserver_scenario("leyr/two-step")

def test_module_marker(mockserver):
    assert mockserver.active["leyr"] == "leyr/two-step"
    new_id = httpx.patch(f"{mockserver.base_url}{ANITA}/2001", json={"status": "cancelled"},
                         headers=CLIENT).json()["id"]
    code = mockserver.messages.latest_code("2001")
    assert code == mockserver.messages.latest(new_id)["code"]
    mockserver.clock.advance(minutes=11)
    expired = httpx.patch(f"{mockserver.base_url}{ANITA}/{new_id}",
                          json={"confirmation": {"code": code}}, headers=CLIENT)
    assert expired.json()["errors"][0]["error_code"] == "CONFIRMATION_CODE_EXPIRED"

@pytest.mark.mockserver_scenario("leyr/two-step-wrong-code", "huskyvoice/not-found")
class TestClass:
    def test_closest_marker_wins(self, mockserver):
        assert mockserver.active == {"leyr": "leyr/two-step-wrong-code", "huskyvoice": "huskyvoice/not-found"}
        assert mockserver.seeded("leyr")["two_step"]["code"] == "482913"

    def test_load_switches_now(self, mockserver):
        mockserver.load("huskyvoice/slot-freed")
        assert mockserver.active["huskyvoice"] == "huskyvoice/slot-freed"
        assert mockserver.scenario["huskyvoice"]["clock"]["now"] == "2026-06-10T12:00:00.000Z"
        when = mockserver.clock.now("huskyvoice")
        assert when.isoformat() == "2026-06-10T12:00:00+00:00"
""",
    )
    result.assert_outcomes(passed=3)


def test_assert_called_failure_shows_the_closest_requests(pytester):
    result = run(
        pytester,
        """
def test_wrong_call(mockserver):
    httpx.patch(f"{mockserver.base_url}/v1/appointments/appt_0f1e2d3c4b", json={"status": "cancelled"}, headers=HUSKY)
    httpx.get(f"{mockserver.base_url}/v1/appointment-config", headers=HUSKY)
    mockserver.requests.assert_called("PATCH", "/v1/appointments/appt_a1b2c3d4e5")
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected PATCH /v1/appointments/appt_a1b2c3d4e5 1 time(s); it was received 0 time(s).*",
            "*Requests received (2), closest first:*",
            '*PATCH /v1/appointments/appt_0f1e2d3c4b {"status": "cancelled"} -> 200*',
        ]
    )


def test_contract_violation_fails_the_test_at_teardown(pytester):
    result = run(
        pytester,
        """
def test_sloppy_client(mockserver):
    reply = httpx.patch(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5",
                        json={"status": "canceled"}, headers=HUSKY)
    assert reply.status_code == 400
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*mock contract violations:*",
            "*your client's request broke the huskyvoice contract: PATCH /v1/appointments/appt_a1b2c3d4e5 -> 400*",
            '*body.status: "canceled" is not one of*[schema: properties/status/enum]*',
        ]
    )


def test_lenient_only_warns(pytester):
    result = run(
        pytester,
        """
def test_sloppy_client(mockserver):
    httpx.patch(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5", json={"colour": 1}, headers=HUSKY)
""",
        "--mockserver-lenient",
        "-W",
        "default",
    )
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*MockServerContractWarning*"])


def test_in_process_transports_share_state(pytester):
    result = run(
        pytester,
        """
import asyncio

def test_sync(mockserver):
    with httpx.Client(transport=mockserver.transport, base_url="http://mock") as client:
        assert client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY).status_code == 200
    state = httpx.get(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY).json()
    assert state["data"]["status"] == "cancelled"
    assert len(mockserver.requests.filter("PATCH")) == 1

def test_async(mockserver):
    async def main():
        async with httpx.AsyncClient(transport=mockserver.async_transport, base_url="http://mock") as client:
            return (await client.get("/v1/appointment-config", headers=HUSKY)).status_code
    assert asyncio.run(main()) == 200
    mockserver.requests.assert_called("GET", "/v1/appointment-config")
""",
    )
    result.assert_outcomes(passed=2)


def test_a_crashing_test_leaks_nothing(pytester):
    result = run(
        pytester,
        """
def test_crash(mockserver):
    httpx.patch(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)
    mockserver.clock.advance(hours=5)
    raise RuntimeError("boom")

def test_after(mockserver):
    assert len(mockserver.requests) == 0
    assert mockserver.clock.now("huskyvoice").isoformat() == "2026-05-26T12:00:00+00:00"
    reply = httpx.get(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY)
    assert reply.json()["data"]["status"] == "confirmed"
""",
    )
    result.assert_outcomes(passed=1, failed=1)


def test_user_scenarios_and_ini_default(pytester):
    from mockserver.core.resources import scenarios_dir

    folder = pytester.mkdir("my_scenarios")
    text = (scenarios_dir() / "huskyvoice" / "direct-cancel.yaml").read_text()
    (folder / "strict.yaml").write_text(
        text.replace("allow_cancellation: true", "allow_cancellation: false")
    )
    pytester.makeini(
        "[pytest]\nmockserver_scenarios_dir = my_scenarios\nmockserver_scenario = huskyvoice/strict\n"
    )
    result = run(
        pytester,
        """
def test_default_from_ini(mockserver):
    assert mockserver.active["huskyvoice"] == "huskyvoice/strict"
    reply = httpx.patch(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)
    assert reply.json()["error"]["code"] == "CANCELLATION_NOT_ALLOWED"
""",
    )
    result.assert_outcomes(passed=1)


def test_unknown_scenario_in_a_marker_fails_that_test_in_one_line(pytester):
    result = run(
        pytester,
        """
import pytest

@pytest.mark.mockserver_scenario("leyr/two-stpe")
def test_bad(mockserver):
    pass

def test_good(mockserver):
    pass
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*mockserver: unknown scenario 'leyr/two-stpe'; did you mean 'leyr/two-step'? Known: *"]
    )
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "During handling of the above exception" not in output
    report = output.split("short test summary info")[0]  # the summary repeats it (in full on CI)
    assert report.count("unknown scenario 'leyr/two-stpe'") == 1


def test_one_marker_naming_two_scenarios_of_one_provider_fails_that_test(pytester):
    result = run(
        pytester,
        """
import pytest

@pytest.mark.mockserver_scenario("leyr/two-step", "leyr/bulk-cancel")
def test_ambiguous(mockserver):
    pass

@pytest.mark.mockserver_scenario("leyr/two-step")
class TestCloser:
    @pytest.mark.mockserver_scenario("leyr/bulk-cancel")
    def test_closest_wins(self, mockserver):
        assert mockserver.active["leyr"] == "leyr/bulk-cancel"
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*'leyr/two-step' and 'leyr/bulk-cancel' are both leyr scenarios*"]
    )


def test_load_switches_only_the_named_provider(pytester):
    result = run(
        pytester,
        """
import pytest

@pytest.mark.mockserver_scenario("huskyvoice/slot-freed")
def test_switch(mockserver):
    mockserver.load("leyr/two-step")
    assert mockserver.active == {"huskyvoice": "huskyvoice/slot-freed", "leyr": "leyr/two-step"}
    health = httpx.get(f"{mockserver.base_url}/__admin/health").json()
    assert health["active"] == mockserver.active
    with pytest.raises(Exception, match="one scenario per provider"):
        mockserver.load("leyr/two-step", "leyr/bulk-cancel")
""",
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mockserver-scenarios-dir", "missing"], "missing: not a directory"),
        (
            ["--mockserver-url", "http://127.0.0.1:9"],
            "*ERROR: --mockserver-url: the mock server at http://127.0.0.1:9/__admin/ did not answer*",
        ),
    ],
)
def test_bad_options_fail_fast_in_one_line(pytester, args, message):
    result = run(pytester, "def test_x(mockserver):\n    pass\n", *args, subprocess=True)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_broken_user_scenario_names_file_and_line(pytester):
    folder = pytester.mkdir("mine")
    (folder / "bad.yaml").write_text("provider: huskyvoice\ndescription: x\nseed: many\n")
    result = run(
        pytester,
        "def test_x(mockserver):\n    pass\n",
        "--mockserver-scenarios-dir",
        "mine",
        subprocess=True,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mine/bad.yaml:3: seed: *"])


def test_a_taken_port_fails_fast(pytester):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            pytester,
            "def test_x(mockserver):\n    pass\n",
            "--mockserver-port",
            str(port),
            subprocess=True,
        )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*ERROR: --mockserver-port: cannot listen on 127.0.0.1:{port}*"])


def test_external_server_through_its_admin_api(pytester):
    with running_cli([]) as server:
        result = run(
            pytester,
            """
import pytest

@pytest.mark.mockserver_scenario("huskyvoice/cancellation-disabled")
def test_remote(mockserver):
    reply = httpx.patch(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)
    assert reply.status_code == 403
    mockserver.requests.assert_called("PATCH", "/v1/appointments/appt_a1b2c3d4e5", status=403)
    mockserver.clock.advance(60)
    assert mockserver.clock.now("huskyvoice").isoformat() == "2026-05-26T12:01:00+00:00"
    with httpx.Client(transport=mockserver.transport, base_url=mockserver.base_url) as client:
        assert client.get("/__admin/health").status_code == 200
    # The README's idiom works whichever way the mock runs.
    with httpx.Client(transport=mockserver.transport, base_url="http://mock") as client:
        assert client.get("/__admin/health").status_code == 200
        assert client.get("/v1/appointment-config", headers=HUSKY).status_code == 200

def test_remote_reset(mockserver):
    assert mockserver.active["huskyvoice"] == "huskyvoice/direct-cancel"
    assert len(mockserver.requests) == 0
""",
            "--mockserver-url",
            server.base_url,
        )
        result.assert_outcomes(passed=2)


def test_parallel_workers_share_nothing(pytester):
    pytest.importorskip("xdist")
    tests = "\n".join(
        f"""
def test_{index}(mockserver):
    reply = httpx.patch(f"{{mockserver.base_url}}/v1/appointments/appt_a1b2c3d4e5", json={{"status": "cancelled"}}, headers=HUSKY)
    assert reply.json()["data"]["updated_at"] == "2026-05-26T12:00:00.000Z"
    assert len(mockserver.requests) == 1
    slots = httpx.get(f"{{mockserver.base_url}}/v1/appointment-slots/availability?date=2026-06-15", headers=HUSKY).json()
    assert slots["slots"][0]["filled_slots"] == 2
"""
        for index in range(12)
    )
    result = run(pytester, tests, "-n", "4", subprocess=True)
    result.assert_outcomes(passed=12)


def test_an_off_contract_route_fails_at_teardown_naming_the_closest_operation(pytester):
    result = run(
        pytester,
        """
def test_typo_in_the_url(mockserver):
    reply = httpx.patch(f"{mockserver.base_url}/v1/appointment/appt_a1b2c3d4e5",
                        json={"status": "cancelled"}, headers=HUSKY)
    assert reply.status_code == 404  # looks like "not found": the test would pass

def test_lenient_typo(mockserver):
    httpx.patch(f"{mockserver.base_url}/v1/appointment/appt_a1b2c3d4e5", json={}, headers=HUSKY)
""",
        "-k",
        "typo_in_the_url",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*your client's request broke the huskyvoice contract: PATCH /v1/appointment/appt_a1b2c3d4e5 -> 404*",
            "*no operation PATCH /v1/appointment/appt_a1b2c3d4e5; did you mean PATCH /v1/appointments/{appointment_id}?*",
        ]
    )
    lenient = pytester.runpytest(
        "-p", "no:cacheprovider", "-k", "lenient_typo", "--mockserver-lenient", "-W", "default"
    )
    lenient.assert_outcomes(passed=1, warnings=1)


READY_CLIENTS = """
import asyncio

def test_first(mockserver):
    reply = mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)
    assert reply.status_code == 200
    mockserver.requests.assert_called("PATCH", "/v1/appointments/{id}", status=200)

def test_second_reuses_it(mockserver):
    assert mockserver.client is mockserver.client
    reply = mockserver.client.get("/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY)
    assert reply.json()["data"]["status"] == "confirmed"  # reset between tests

def test_async_twice(mockserver):
    async def main():
        return (await mockserver.async_client.get("/v1/appointment-config", headers=HUSKY)).status_code
    assert asyncio.run(main()) == 200
    assert asyncio.run(main()) == 200  # a second event loop, the same client
"""


def test_ready_clients_in_process(pytester):
    result = run(pytester, READY_CLIENTS)
    result.assert_outcomes(passed=3)


def test_ready_clients_over_a_remote_server(pytester):
    with MockServer(MockEngine()) as server:
        result = run(
            pytester, READY_CLIENTS, "--mockserver-url", server.base_url, "-p", "no:randomly"
        )
    result.assert_outcomes(passed=3)


def test_an_expected_violation_is_asserted_and_not_reported(pytester):
    result = run(
        pytester,
        """
import pytest

def test_client_handles_a_400(mockserver):
    with mockserver.expect_violation("body.status", method="PATCH", path="/v1/appointments/{id}") as found:
        reply = mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "canceled"}, headers=HUSKY)
    assert reply.status_code == 400
    assert found[0]["problems"][0]["location"] == "body.status"

def test_a_promised_violation_that_never_comes(mockserver):
    with pytest.raises(AssertionError, match="expected a contract violation PATCH; the block recorded none"):
        with mockserver.expect_violation(method="PATCH"):
            mockserver.client.get("/v1/appointment-config", headers=HUSKY)

def test_only_the_expected_one_is_forgiven(mockserver):
    with mockserver.expect_violation("body.status"):
        mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "canceled"}, headers=HUSKY)
    mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"colour": 1}, headers=HUSKY)
""",
    )
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*test_only_the_expected_one_is_forgiven*", "*'colour'*"])


def test_load_takes_a_scenario_as_data(pytester):
    result = run(
        pytester,
        """
import pytest

def test_stricter_notice(mockserver):
    mockserver.load({"extends": "huskyvoice/direct-cancel", "org": {"cancellation_notice_hours": 24 * 30}})
    assert mockserver.active["huskyvoice"] == "huskyvoice/inline"
    reply = mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)
    assert reply.json()["error"]["code"] == "CANCELLATION_NOTICE_PERIOD"

def test_broken_data_names_the_field(mockserver):
    with pytest.raises(Exception, match="org.cancellation_notice_hours"):
        mockserver.load({"extends": "huskyvoice/direct-cancel", "org": {"cancellation_notice_hours": "soon"}})
""",
    )
    result.assert_outcomes(passed=2)


def test_inline_stubs(pytester):
    result = run(
        pytester,
        """
import pytest

def test_503_twice_then_success(mockserver):
    busy = mockserver.stub(
        "PATCH", "/v1/appointments/{appointment_id}",
        sequence=[{"status": 503, "headers": {"Retry-After": "1"}, "error": {"code": "SERVICE_UNAVAILABLE"}}] * 2,
    )
    answers = [mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY).status_code for _ in range(3)]
    assert answers == [503, 503, 200]
    assert len(busy.calls) == 2

def test_gone_in_the_next_test(mockserver):
    reply = mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)
    assert reply.status_code == 200

def test_a_stub_body_that_breaks_the_contract_is_refused_at_once(mockserver):
    with pytest.raises(Exception, match="breaks huskyvoice/config.response"):
        mockserver.stub("GET", "/v1/appointment-config", respond={"status": 200, "body": {"success": "yes"}})
""",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=3)


COVERED = """
def test_cancel(mockserver):
    mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)

def test_not_found(mockserver):
    mockserver.client.patch("/v1/appointments/appt_ffffffffff", json={"status": "cancelled"}, headers=HUSKY)
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_contract_coverage_is_told_written_and_can_fail_the_run(pytester, workers):
    report = pytester.path / "coverage.json"
    result = run(
        pytester,
        COVERED,
        *workers,
        "--mockserver-coverage",
        "--mockserver-coverage-json",
        str(report),
        "--mockserver-coverage-fail-under",
        "50",
        subprocess=bool(workers),
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*mockserver contract coverage*",
            "huskyvoice: 2/* outcomes*",
            "*PATCH /v1/appointments/{appointment_id}: 2/*",
            "*FAIL: contract coverage * is under 50%*",
        ]
    )
    assert result.ret == 1
    written = json.loads(report.read_text())
    [patch] = [o for o in written["huskyvoice"]["operations"] if o["operation"].startswith("PATCH")]
    assert (patch["outcomes"]["200"], patch["outcomes"]["404 NOT_FOUND"]) == (1, 1)


def test_admin_coverage_counts_across_resets(pytester):
    result = run(
        pytester,
        """
def test_one(mockserver):
    mockserver.client.get("/v1/appointment-config", headers=HUSKY)
    mockserver.reset()
    mockserver.client.get("/v1/appointment-config", headers=HUSKY)
    coverage = mockserver.client.get("/__admin/coverage").json()
    [config] = [o for o in coverage["huskyvoice"]["operations"] if o["operation"] == "GET /v1/appointment-config"]
    assert config["outcomes"]["200"] == 2
""",
    )
    result.assert_outcomes(passed=1)


def test_a_project_with_its_own_pytest_plugin_module_runs(pytester):
    """The plugin installs as `pytest_appointment_mockserver`: a project's own `pytest_plugin`
    module (a common name) neither shadows it nor is shadowed by it."""
    pytester.makepyfile(pytest_plugin="OWN = 'the project module'")
    pytester.makeconftest("pytest_plugins = ['pytest_plugin']")
    result = run(
        pytester,
        """
import pytest_plugin

def test_both(mockserver):
    assert pytest_plugin.OWN == "the project module"
    assert mockserver.client.get("/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY).status_code == 200
""",
        subprocess=True,
    )
    result.assert_outcomes(passed=1)


def test_the_handle_is_importable_from_mockserver_and_typed(pytester, tmp_path):
    """A downstream suite annotates with `mockserver.MockServerHandle` and mypy --strict sees
    real types, not Any."""
    import subprocess
    import sys

    source = tmp_path / "typed_suite.py"
    source.write_text(
        """
from mockserver import MockServerHandle, RecordedExchange

def check(mockserver: MockServerHandle) -> None:
    reveal_type(mockserver.requests)
    reveal_type(mockserver.requests.last("PATCH"))
    reveal_type(mockserver.client)
    reveal_type(mockserver.transport)
    entry: RecordedExchange = mockserver.requests.assert_called("GET", "/v1/appointments")[0]
    reveal_type(entry.status)
    reveal_type(entry.headers)
    reveal_type(mockserver.stub("GET", "/v1/appointments").calls)
"""
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(source)],
        capture_output=True,
        text=True,
    )
    revealed = [
        line.split("Revealed type is ")[1]
        for line in result.stdout.splitlines()
        if "Revealed" in line
    ]
    assert revealed == [
        '"mockserver.testing.control.RequestLog"',
        '"mockserver.journal.recorded.RecordedExchange"',
        '"httpx._client.Client"',
        '"httpx._transports.base.BaseTransport"',
        '"int"',
        '"dict[str, str]"',
        '"list[mockserver.journal.recorded.RecordedExchange]"',
    ], result.stdout
    assert "Success: no issues found" in result.stdout, result.stdout


def test_journal_entries_are_typed_objects(pytester):
    result = run(
        pytester,
        """
def test_entries(mockserver):
    mockserver.client.get("/v1/appointments", params={"date": "2026-06-15"}, headers=HUSKY)
    mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers={**HUSKY, "X-Trace": "t-1"})
    entry = mockserver.requests.last("PATCH", "/v1/appointments/{id}", headers={"x-trace": "t-1"})
    assert (entry.method, entry.path, entry.status) == ("PATCH", "/v1/appointments/appt_a1b2c3d4e5", 200)
    assert entry.json() == {"status": "cancelled"} and entry["body"] == {"status": "cancelled"}
    assert entry.headers["x-trace"] == "t-1"
    assert entry.response_json()["data"]["status"] == "cancelled"
    assert entry.response_headers["content-type"] == "application/json"
    assert entry.operation == "updateAppointment" and entry.provider == "huskyvoice"
    search = mockserver.requests.last("GET", query={"date": "2026-06-15"})
    assert search.query == {"date": "2026-06-15"}
    import pytest
    with pytest.raises(ValueError, match="no body"):
        search.json()
""",
    )
    result.assert_outcomes(passed=1)


def test_body_assertions_take_lists_by_subset(pytester):
    result = run(
        pytester,
        """
LEYR = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"

def test_bulk(mockserver):
    reply = mockserver.client.patch(LEYR, json={"ids": ["1001", "1002"], "status": "cancelled"}, headers=CLIENT)
    assert reply.status_code == 200, reply.text
    mockserver.requests.assert_called("PATCH", LEYR, body={"ids": ["1002"]})
    mockserver.requests.assert_not_called("PATCH", LEYR, body={"ids": ["1003"]})
    mockserver.requests.assert_not_called("PATCH", LEYR, body={"ids": {"equals": ["1002"]}})
""",
    )
    result.assert_outcomes(passed=1)


def test_an_in_process_suite_opens_no_socket_until_base_url_is_used(pytester):
    result = run(
        pytester,
        """
def test_in_process_only(mockserver, mockserver_session):
    assert mockserver.client.get("/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY).status_code == 200
    assert mockserver_session.server is not None and not mockserver_session.server.running

def test_base_url_starts_the_server(mockserver, mockserver_session):
    reply = httpx.get(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY)
    assert reply.status_code == 200 and mockserver_session.server.running
    assert mockserver.base_url.startswith("http://127.0.0.1:")
""",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=2)


REPORTED = """
def test_cancel(mockserver):
    mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)

def test_declared_violation(mockserver):
    with mockserver.expect_violation("body.status"):
        mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "canceled"}, headers=HUSKY)

def test_unknown_field(mockserver):
    mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled", "state": "x"}, headers=HUSKY)

def test_leyr(mockserver):
    mockserver.client.get(f"{ANITA}/2001", headers=CLIENT)
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_report_dir_holds_the_whole_runs_report(pytester, workers):
    import junitparser

    folder = pytester.path / "mock-report"
    result = run(
        pytester,
        REPORTED,
        *workers,
        "--mockserver-report-dir",
        str(folder),
        subprocess=bool(workers),
    )
    result.assert_outcomes(passed=4, errors=1)  # the unknown field fails at teardown
    result.stdout.fnmatch_lines(
        [f"mockserver: report written to {folder}: FAIL: 1 contract violation*"]
    )
    xml = junitparser.JUnitXml.fromfile(str(folder / "junit.xml"))
    [failing] = [case for suite in xml for case in suite if not case.is_passed]
    assert "'state'" in failing.result[0].message  # the declared violation is left out
    journal = [json.loads(line) for line in (folder / "journal.jsonl").read_text().splitlines()]
    assert len(journal) == 4 and len({entry["id"] for entry in journal}) == 4
    coverage = json.loads((folder / "coverage.json").read_text())
    assert coverage["leyr"]["covered"] == 1 and coverage["huskyvoice"]["covered"] == 2
    assert "❌ FAIL" in (folder / "summary.md").read_text()


def test_report_dir_needs_the_plugins_own_server(pytester):
    result = run(
        pytester,
        "def test_nothing():\n    pass\n",
        "--mockserver-url",
        "http://127.0.0.1:9",
        "--mockserver-report-dir",
        "out",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--mockserver-report-dir: the report is written from the plugin's own server*"]
    )
