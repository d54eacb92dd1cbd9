"""A scenario cannot hold what the provider's answers could not carry: it is refused when it
loads, naming the field, rather than loading and then answering 500 (a clock time past 23:59 that
the notice rule cannot read) or breaking the answer's contract on every read (an id longer than
the answers allow, which made each list of 8,000 appointments cost seconds to word).
"""

from __future__ import annotations

import pytest

from conftest import write_scenario
from mockserver import MockEngine
from mockserver.scenarios.catalog import ScenarioError


@pytest.mark.parametrize("clock", ["25:99", "24:00", "09:60", "9:00", "09:00:60"])
def test_a_session_start_that_is_no_clock_time_is_refused(tmp_path, clock):
    write_scenario(
        tmp_path,
        "huskyvoice",
        "odd-clock",
        "extends: huskyvoice/direct-cancel\n"
        "description: a session that starts at no time\n"
        f"behaviour: {{session_start_times: {{Morning: '{clock}'}}}}\n",
    )
    with pytest.raises(ScenarioError, match=r"session_start_times\.Morning"):
        MockEngine(["huskyvoice/odd-clock"], [tmp_path])


@pytest.mark.parametrize("clock", ["00:00", "09:00", "23:59", "23:59:59"])
def test_a_session_start_at_a_clock_time_loads(tmp_path, clock):
    write_scenario(
        tmp_path,
        "huskyvoice",
        "clock",
        "extends: huskyvoice/direct-cancel\n"
        "description: a session at a clock time\n"
        f"behaviour: {{session_start_times: {{Morning: '{clock}'}}}}\n",
    )
    MockEngine(["huskyvoice/clock"], [tmp_path])


def test_a_leyr_appointment_id_longer_than_the_answers_allow_is_refused(tmp_path):
    text = (
        "provider: leyr\n"
        "description: an id the answers cannot carry\n"
        "emrs: [{id: webdoc, care_units: [{id: c1}]}]\n"
        "appointments:\n"
        f"  - {{id: '{'x' * 201}', emr: webdoc, care_unit_id: c1,"
        " start: '2026-06-15T09:00:00+02:00', end: '2026-06-15T09:30:00+02:00'}\n"
    )
    write_scenario(tmp_path, "leyr", "long-id", text)
    with pytest.raises(ScenarioError, match=r"appointments\[0\]\.id"):
        MockEngine(["leyr/long-id"], [tmp_path])
    write_scenario(tmp_path, "leyr", "long-id", text.replace("x" * 201, "x" * 200))
    MockEngine(["leyr/long-id"], [tmp_path])


def test_a_clock_time_is_worded_as_one(tmp_path):
    """The schema's pattern is read as what it spells, not quoted as a regex."""
    import json

    from mockserver.core.contracts import PATTERN_WORDS, default_contracts

    time = default_contracts().documents["huskyvoice/common"]["$defs"]["time"]
    assert time["pattern"] in PATTERN_WORDS  # the wording follows the schema's pattern
    write_scenario(
        tmp_path,
        "huskyvoice",
        "odd-clock",
        "extends: huskyvoice/direct-cancel\ndescription: d\n"
        "behaviour: {session_start_times: {Morning: '25:99'}}\n",
    )
    with pytest.raises(ScenarioError) as refused:
        MockEngine(["huskyvoice/odd-clock"], [tmp_path])
    assert f"{json.dumps('25:99')} is not a time of day (HH:MM or HH:MM:SS)" in str(refused.value)


def test_a_refusal_says_fifty_problems_and_counts_the_rest():
    from conftest import in_process_client

    # Each a problem (a list is no matcher), all found within the walk's budget.
    matchers = {f"q{n}": [] for n in range(1_500)}
    stub = {"match": {"method": "GET", "path": "/v1/appointments", "query": matchers}}
    scenario = {"extends": "huskyvoice/direct-cancel", "interactions": [stub]}
    with in_process_client(MockEngine()) as http:
        refused = http.put("/__admin/scenario", json={"scenario": scenario})
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert message.endswith("… and 1450 more problem(s)")
    assert len(refused.content) < 20_000


@pytest.mark.parametrize(
    ("definition", "value", "worded"),
    [
        ("time", "25:99", "is not a time of day (HH:MM or HH:MM:SS)"),
        (
            "timestamp",
            "2026-05-01T08:00:00Z",  # a date and time, but without its milliseconds
            "is not a UTC timestamp with milliseconds (YYYY-MM-DDThh:mm:ss.sssZ)",
        ),
    ],
)
def test_a_pattern_is_worded_as_what_it_spells(definition, value, worded):
    from mockserver.core.contracts import PATTERN_WORDS, Contracts

    contracts = Contracts()
    assert contracts.documents["huskyvoice/common"]["$defs"][definition]["pattern"] in PATTERN_WORDS
    contracts.documents["probe"] = {
        "$ref": f"huskyvoice/common.json#/$defs/{definition}",
        "$id": "https://schemas.mockserver.invalid/probe.json",
    }
    [problem] = contracts.check("probe", value)
    assert problem.message == f'"{value}" {worded}'
