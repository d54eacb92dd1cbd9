"""The fixture's public surface: documented in `pytest --fixtures`, its types importable from
`mockserver` and checked by mypy (a misspelt assertion keyword is a type error), near misses
on the handle."""

from __future__ import annotations

import subprocess
import sys

import mockserver
from test_plugin import run


def test_every_public_name_is_importable_from_mockserver():
    for name in mockserver.__all__:
        assert getattr(mockserver, name) is not None, name
    for name in (
        "Stub",
        "RequestLog",
        "ClockControl",
        "ControlError",
        "OutboxMessage",
        "Violation",
        "NearMiss",
        "Outbox",
    ):
        assert name in mockserver.__all__


def test_the_fixture_is_documented_in_pytest_fixtures(pytester):
    pytester.makepyfile(test_x="def test_x(): pass\n")
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    text = result.stdout.str()
    assert "A handle on the mock, reset for this test" in text
    block = text.split("mockserver -- ", 1)[1].split("\n\n", 1)[0]
    assert "no docstring available" not in block


def test_mypy_catches_a_misspelt_assertion_keyword_and_types_near_misses(tmp_path):
    source = tmp_path / "typed_suite.py"
    source.write_text(
        """
from mockserver import (
    ClockControl, ControlError, MockServerHandle, NearMiss, Outbox, OutboxMessage, RequestLog,
    Stub, Violation,
)

def check(mockserver: MockServerHandle) -> None:
    mockserver.requests.assert_called("PATCH", "/v1/appointments/{id}", bodyy={"status": "cancelled"})
    mockserver.requests.last("PATCH", stauts=200)
    mockserver.requests.assert_not_called("GET", "/v1/appointments", provder="huskyvoice")
    mockserver.requests.assert_called("PATCH", "/v1/appointments/{id}", status="4xx", body={"ids": ["1"]})
    reveal_type(mockserver.near_misses())
    reveal_type(mockserver.near_misses()[0]["closest_operation"])
    stub: Stub = mockserver.stub("GET", "/v1/appointments", expect=True)
    log: RequestLog = mockserver.requests
    clock: ClockControl = mockserver.clock
    outbox: Outbox = mockserver.messages
    message: OutboxMessage = outbox.latest()
    violations: list[Violation] = mockserver.violations
    error: type[Exception] = ControlError
"""
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(source)],
        capture_output=True,
        text=True,
    )
    out = result.stdout
    assert 'Unexpected keyword argument "bodyy" for "assert_called"' in out, out
    assert 'Unexpected keyword argument "stauts" for "last"' in out, out
    assert 'Unexpected keyword argument "provder" for "assert_not_called"' in out, out
    revealed = [
        line.split("Revealed type is ")[1] for line in out.splitlines() if "Revealed" in line
    ]
    assert revealed[0].startswith('"list[TypedDict(mockserver.core.documents.NearMiss, ')
    assert "ClosestOperation" in revealed[1] and "None" in revealed[1]
    assert "Found 3 errors" in out, out


def test_near_misses_on_the_handle(pytester):
    result = run(
        pytester,
        """
def test_typo(mockserver):
    with mockserver.expect_violation("no operation"):
        mockserver.client.patch("/v1/appointment/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=HUSKY)
    [miss] = mockserver.near_misses()
    assert miss["request"]["path"] == "/v1/appointment/appt_a1b2c3d4e5"
    assert miss["closest_operation"]["path"] == "/v1/appointments/{appointment_id}"
    assert "no documented operation has this method and path" in miss["reasons"]

def test_none(mockserver):
    assert mockserver.near_misses() == []
""",
    )
    result.assert_outcomes(passed=2)
