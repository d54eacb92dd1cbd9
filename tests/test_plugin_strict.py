"""Strict mode, stub expectations, `expect_violation`'s field path, and one report per failing
test: small suites run by pytester, as integrators would write them."""

from __future__ import annotations

from test_plugin import run

CANCEL = """
CANCEL = "/v1/appointments/{appointment_id}"

def cancel(mockserver, appointment="appt_a1b2c3d4e5"):
    return mockserver.client.patch(f"/v1/appointments/{appointment}", json={"status": "cancelled"}, headers=HUSKY)
"""


def test_strict_mode_fails_a_test_on_a_request_it_never_looked_at(pytester):
    result = run(
        pytester,
        CANCEL
        + """
def test_an_extra_config_call(mockserver):
    mockserver.client.get("/v1/appointment-config", headers=HUSKY)  # the bug: an extra call
    cancel(mockserver)
    mockserver.requests.assert_called("PATCH", CANCEL)

def test_every_call_asserted(mockserver):
    mockserver.client.get("/v1/appointment-config", headers=HUSKY)
    cancel(mockserver)
    mockserver.requests.assert_called("PATCH", CANCEL)
    assert mockserver.requests.last("GET", "/v1/appointment-config").status == 200

def test_filter_counts_too(mockserver):
    cancel(mockserver)
    assert mockserver.requests.filter(status="2xx")

def test_reading_the_journal_is_not_asserting(mockserver):
    cancel(mockserver)
    assert len(mockserver.requests) == 1 and list(mockserver.requests)
""",
        "--mockserver-strict",
    )
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_an_extra_config_call*",
            "*1 request(s) that no assertion of the test matched and none of its stubs answered (strict mode):",
            "*#* GET /v1/appointment-config -> 200 (huskyvoice operation getAppointmentConfig)",
            "*assert them (mockserver.requests.assert_called, filter, last), or answer them with a stub",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_reading_the_journal_is_not_asserting*",
            "*#* PATCH /v1/appointments/appt_a1b2c3d4e5 -> 200*",
        ]
    )
    assert "test_every_call_asserted" not in result.stdout.str().split("short test summary")[-1]


def test_strict_by_marker_on_a_test_or_module_and_off_by_default(pytester):
    pytester.makepyfile(
        test_marked_module="""
import pytest
pytestmark = pytest.mark.mockserver_strict

def test_in_a_strict_module(mockserver):
    mockserver.client.get("/v1/appointment-config", headers={"Authorization": "Bearer YOUR_API_KEY"})

@pytest.mark.mockserver_strict(False)
def test_opted_out(mockserver):
    mockserver.client.get("/v1/appointment-config", headers={"Authorization": "Bearer YOUR_API_KEY"})
"""
    )
    result = run(
        pytester,
        CANCEL
        + """
import pytest

@pytest.mark.mockserver_strict
def test_marked(mockserver):
    cancel(mockserver)

def test_unmarked(mockserver):
    cancel(mockserver)
""",
    )
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_in_a_strict_module*"])
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_marked*"])


def test_strict_from_the_ini_file_and_requests_answered_by_the_tests_own_stubs(pytester):
    pytester.makeini("[pytest]\nmockserver_strict = true\n")
    result = run(
        pytester,
        CANCEL
        + """
OUTAGE = {"status": 503, "error": {"code": "SERVICE_UNAVAILABLE"}}

def test_stubbed_outage_needs_no_assertion(mockserver):
    mockserver.stub("PATCH", CANCEL, respond=OUTAGE)
    assert cancel(mockserver).status_code == 503

def test_a_scenario_interaction_is_not_the_tests_own(mockserver):
    mockserver.load("huskyvoice/flaky")
    assert cancel(mockserver).status_code == 503
""",
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_a_scenario_interaction_is_not_the_tests_own*",
            "*PATCH /v1/appointments/appt_a1b2c3d4e5 -> 503*",
        ]
    )


def test_stubs_expected_to_be_used(pytester):
    result = run(
        pytester,
        CANCEL
        + """
OUTAGE = {"status": 503, "error": {"code": "SERVICE_UNAVAILABLE"}}

def test_never_called(mockserver):
    mockserver.stub("PATCH", CANCEL, respond=OUTAGE, expect=True, name="outage")

def test_called(mockserver):
    mockserver.stub("PATCH", CANCEL, respond=OUTAGE, expect=True)
    cancel(mockserver)

def test_times_is_exact(mockserver):
    mockserver.stub("PATCH", CANCEL, respond=OUTAGE, times=2, expect=True, name="twice")
    cancel(mockserver)

def test_times_met_per_appointment(mockserver):
    mockserver.stub("PATCH", CANCEL, respond=OUTAGE, times=1, expect=True)
    cancel(mockserver)
    cancel(mockserver, "appt_0f1e2d3c4b")

def test_times_alone_is_no_expectation_outside_strict_mode(mockserver):
    mockserver.stub("PATCH", CANCEL, respond=OUTAGE, times=2)
""",
    )
    result.assert_outcomes(passed=5, errors=2)
    result.stdout.fnmatch_lines(
        ["*ERROR at teardown of test_never_called*", "*stub 'outage' was never called*"]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_times_is_exact*",
            "*stub 'twice' expected 2 call(s) per appointment, got appt_a1b2c3d4e5: 1*",
        ]
    )


def test_strict_mode_holds_stubs_with_times_to_them_unless_told_otherwise(pytester):
    result = run(
        pytester,
        CANCEL
        + """
OUTAGE = {"status": 503, "error": {"code": "SERVICE_UNAVAILABLE"}}

def test_unused(mockserver):
    mockserver.stub("PATCH", CANCEL, respond=OUTAGE, times=2, name="retries")
    cancel(mockserver)

def test_opted_out(mockserver):
    mockserver.stub("PATCH", CANCEL, respond=OUTAGE, times=2, expect=False)
""",
        "--mockserver-strict",
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*stub 'retries' expected 2 call(s) per appointment, got appt_a1b2c3d4e5: 1*"]
    )


def test_a_failing_test_is_reported_once_with_the_mocks_findings(pytester):
    result = run(
        pytester,
        CANCEL
        + """
def test_sloppy_and_failing(mockserver):
    reply = mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "canceled"}, headers=HUSKY)
    mockserver.client.get("/v1/appointment-config", headers=HUSKY)
    assert reply.status_code == 200
""",
        "--mockserver-strict",
    )
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "ERROR at teardown" not in text
    result.stdout.fnmatch_lines(
        [
            "*assert 400 == 200*",
            "*- mockserver -*",
            "*mock contract violations:*",
            "*your client's request broke the huskyvoice contract: PATCH /v1/appointments/appt_a1b2c3d4e5 -> 400*",
            "*GET /v1/appointment-config -> 200 (huskyvoice operation getAppointmentConfig)",
        ]
    )


def test_expect_violation_takes_a_field_path_and_lists_what_the_block_recorded(pytester):
    result = run(
        pytester,
        CANCEL
        + """
import pytest

def test_field_path_positional(mockserver):
    with mockserver.expect_violation("body.status") as found:
        mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "canceled"}, headers=HUSKY)
    assert [v["method"] for v in found] == ["PATCH"]

def test_message_substring(mockserver):
    with mockserver.expect_violation("is not one of", method="patch", path=CANCEL):
        mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "canceled"}, headers=HUSKY)

def test_nothing_matches(mockserver):
    with mockserver.expect_violation("body.notes", method="PATCH"):
        mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "canceled"}, headers=HUSKY)
        mockserver.client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"colour": 1}, headers=HUSKY)
""",
        "--mockserver-strict",
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected a contract violation PATCH 'body.notes'; none of the 2 the block recorded matches:",
            "*your client's request broke the huskyvoice contract: PATCH /v1/appointments/appt_a1b2c3d4e5 -> 400",
            '*body.status: "canceled" is not one of*',
            "*'colour'*",
        ]
    )
    assert "ERROR at teardown" not in result.stdout.str()
