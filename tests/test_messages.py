"""Messages that say what is wrong and what to do: the notice refusal's two figures, a
misspelt X-Mock-Scenario, a scenario of one's own without --scenarios-dir, a YAML line indented
wrongly."""

from __future__ import annotations

import pytest

from conftest import AUTH, SEED_ID, write_scenario
from mockserver import MockEngine, ScenarioError, UnknownScenarioError

CANCEL = f"/v1/appointments/{SEED_ID}"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # The appointment starts 2026-06-15T03:30:00Z; 24 h notice are needed.
        ("2026-06-14T03:30:01Z", "Too late to cancel: 23 h 59 min before the appointment"),
        ("2026-06-14T22:00:00Z", "Too late to cancel: 5 h 30 min before the appointment"),
        ("2026-06-15T03:00:00Z", "Too late to cancel: 30 min before the appointment"),
        ("2026-06-15T04:31:00Z", "Too late to cancel: 1 h 1 min after the appointment began"),
    ],
)
def test_the_notice_refusal_states_both_figures(mock_for, now, expected):
    mock = mock_for("huskyvoice/notice-period")
    mock.http.put("/__admin/clock", json={"now": now, "provider": "huskyvoice"})
    error = mock.http.patch(CANCEL, json={"status": "cancelled"}, headers=AUTH).json()["error"]
    assert error["code"] == "CANCELLATION_NOTICE_PERIOD"
    assert error["message"].startswith(expected)
    assert error["message"].endswith(
        "(it starts at 2026-06-15T03:30:00.000Z); this organisation needs 24 h"
    )


def test_a_misspelt_scenario_header_gets_a_did_you_mean(mock):
    reply = mock.http.get(CANCEL, headers={**AUTH, "X-Mock-Scenario": "huskyvoice/not-fund"})
    assert reply.status_code == 400
    assert reply.json()["error"]["message"] == (
        "x-mock-scenario: unknown scenario 'huskyvoice/not-fund'; did you mean "
        "'huskyvoice/not-found'?"
    )
    mine = mock.http.get(CANCEL, headers={**AUTH, "X-Mock-Scenario": "huskyvoice/our-own-case"})
    assert "--scenarios-dir" in mine.json()["error"]["message"]
    hostile = mock.http.get(CANCEL, headers={**AUTH, "X-Mock-Scenario": "x" * 5000})
    assert hostile.status_code == 400 and len(hostile.json()["error"]["message"]) < 400


def test_a_name_not_built_in_points_to_scenarios_dir():
    with pytest.raises(UnknownScenarioError) as raised:
        MockEngine(["huskyvoice/our-clinic-policy"])
    message = str(raised.value)
    assert "did you mean" not in message
    assert "it is not built in: a scenario file of your own is found with --scenarios-dir DIR" in (
        message
    )
    with pytest.raises(UnknownScenarioError, match=r"did you mean 'leyr/two-step'\? Known: "):
        MockEngine(["leyr/two-stpe"])


@pytest.mark.parametrize(
    ("text", "line", "spaces"),
    [
        (
            "org:\n  allow_cancellation: true\n   cancellation_notice_hours: 4\n",
            6,
            "3 spaces; the line before it has 2",
        ),
        (
            "org:\n    allow_cancellation: true\n  cancellation_notice_hours: 4\n",
            6,
            "2 spaces; the line before it has 4",
        ),
        ("  org: {allow_cancellation: true}\n", 4, "2 spaces; the line before it has 0"),
    ],
)
def test_a_wrongly_indented_line_is_named(tmp_path, text, line, spaces):
    head = "provider: huskyvoice\nextends: huskyvoice/direct-cancel\ndescription: x\n"
    write_scenario(tmp_path, "huskyvoice", "indented", head + text)
    with pytest.raises(ScenarioError) as raised:
        MockEngine([], [tmp_path])
    message = str(raised.value)
    assert f"indented.yaml:{line}: not valid YAML" in message
    assert f"line {line} is indented wrongly ({spaces})" in message


def test_a_stray_colon_on_a_lined_up_line_is_not_called_indentation(tmp_path):
    head = "provider: huskyvoice\nextends: huskyvoice/direct-cancel\n"
    write_scenario(tmp_path, "huskyvoice", "colon", head + "description: a: b\n")
    with pytest.raises(ScenarioError) as raised:
        MockEngine([], [tmp_path])
    assert "indented" not in str(raised.value)
