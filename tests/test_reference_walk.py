"""jsonschema, which words every problem, walks with the package's own keywords everywhere (also
inside a referenced document) and within a budget of steps; past it, the compiled validator
words the problems."""

from __future__ import annotations

import pytest

from conftest import in_process_client
from mockserver import MockEngine
from mockserver.core import reference_validator
from mockserver.core.contracts import MAX_WALK_STEPS, Contracts
from mockserver.providers.huskyvoice.sources import SAMPLE

APPOINTMENT = dict(SAMPLE)  # as the HuskyVoice page shows one


def nested_matchers(count: int) -> dict[str, object]:
    """A stub of `count` nested one_of values (valid, and slow to walk), broken at `times`."""
    return {
        "provider": "huskyvoice",
        "match": {
            "method": "PATCH",
            "path": "/v1/appointments/appt_a1b2c3d4e5",
            "body": {"a": {"one_of": [[[[1]]]] * count}},
        },
        "respond": {"status": 200, "body": {"success": True, "data": APPOINTMENT}},
        "times": "x",
    }


def test_a_pattern_inside_a_referenced_document_is_read_as_the_contract_reads_it():
    """An answer's appointment is `appointment.json`, reached by `$ref`: its date's pattern was
    read by Python's `re` there (a final newline passed), and the stub served it as conforming."""
    broken = {**APPOINTMENT, "date": "2026-06-15\n"}
    with in_process_client(MockEngine()) as http:
        refused = http.post(
            "/__admin/interactions",
            json={
                "provider": "huskyvoice",
                "match": {"method": "GET", "path": "/v1/appointments/appt_a1b2c3d4e5"},
                "respond": {"status": 200, "body": {"success": True, "data": broken}},
            },
        )
        assert refused.status_code == 400, refused.text
        message = refused.json()["error"]["message"]
        assert "respond.body.data.date" in message and "is not a date (YYYY-MM-DD)" in message
        served = http.get(
            "/v1/appointments/appt_a1b2c3d4e5", headers={"Authorization": "Bearer YOUR_API_KEY"}
        )
        assert served.json()["data"]["date"] == "2026-06-15"


def test_a_large_document_with_one_mistake_is_worded_by_the_compiled_validator():
    with in_process_client(MockEngine()) as http:
        small = http.post("/__admin/interactions", json=nested_matchers(10))
        large = http.post("/__admin/interactions", json=nested_matchers(2_500))
        listed = http.get("/__admin/interactions").json()
    assert small.status_code == large.status_code == 400
    # The same problem, in jsonschema's words; past the walk's budget, before it found any, in
    # jsonschema-rs's, with a last one saying there may be more.
    assert small.json()["error"]["message"].endswith('times: "x" is not of type integer')
    told = large.json()["error"]["message"]
    assert 'times: "x" is not of type "integer"' in told
    assert told.endswith("may have more problems: too large to check in full (over 20000 steps)")
    assert not [i for i in listed["interactions"] if i.get("added")]


@pytest.fixture
def counted_steps(monkeypatch):
    """Every keyword jsonschema applies, counted, in a reference class built for the test."""
    applied: list[str] = []
    counted = reference_validator._counted

    def counting(keyword):
        inner = counted(keyword)

        def step(validator, value, instance, schema):
            applied.append(keyword.__name__)
            return inner(validator, value, instance, schema)

        return step

    monkeypatch.setattr(reference_validator, "_counted", counting)
    reference_validator.reference_class.cache_clear()
    yield applied
    reference_validator.reference_class.cache_clear()


def test_the_walk_stops_at_its_budget(counted_steps):
    contracts = Contracts()
    stub = nested_matchers(2_500)
    del stub["provider"]
    document = {"provider": "huskyvoice", "description": "x", "interactions": [stub]}
    problems = contracts.check("scenario.schema", document)
    assert MAX_WALK_STEPS <= len(counted_steps) <= MAX_WALK_STEPS + 1  # 120,000 unbounded
    assert [str(p) for p in problems] == [
        'interactions[0].times: "x" is not of type "integer"',
        f"may have more problems: too large to check in full (over {MAX_WALK_STEPS} steps)",
    ]
    assert problems[0].path == ("interactions", 0, "times")


def test_what_the_walk_found_before_its_budget_ran_out_is_worded_as_ever():
    contracts = Contracts()
    page = {"success": True, "data": [dict(APPOINTMENT) for _ in range(200)]}
    page["data"][0]["status"] = "gone"
    page["data"][0]["colour"] = "red"
    problems = contracts.check("huskyvoice/appointment-list.response", page, walk_steps=300)
    told = [p.message for p in problems]
    assert told[:2] == [
        '"gone" is not one of "confirmed", "rescheduled", "cancelled", "completed"',
        "unknown field(s) 'colour'; allowed: " + ", ".join(sorted(APPOINTMENT)),
    ]
    assert told[-1] == "may have more problems: too large to check in full (over 300 steps)"


def test_a_document_within_the_budget_is_walked_whole(counted_steps):
    contracts = Contracts()
    page = {"success": True, "data": [dict(APPOINTMENT) for _ in range(200)]}
    page["data"][-1]["status"] = "gone"
    problems = contracts.check("huskyvoice/appointment-list.response", page)
    assert 1_000 < len(counted_steps) < MAX_WALK_STEPS
    assert problems[0].location == "data[199].status"
    assert problems[0].message.startswith('"gone" is not one of "confirmed"')


def test_the_compiled_words_keep_the_fields_and_bound_the_quotes():
    contracts = Contracts()
    lacking = {key: value for key, value in APPOINTMENT.items() if key != "session"}
    [missing, more] = contracts.check("huskyvoice/appointment", lacking, walk_steps=0)
    assert missing.missing == "session" and missing.schema_path == "required"
    assert more.message == "may have more problems: too large to check in full (over 0 steps)"
    unknown_field = {**APPOINTMENT, "x" * 500: 1}
    [unknown, _] = contracts.check(
        "huskyvoice/appointment", unknown_field, root="data", walk_steps=0
    )
    assert unknown.path == ("x" * 59 + "…",) and unknown.location == "data"
    assert len(unknown.message) <= 1_000


def test_a_document_neither_validator_can_read_in_full_is_refused_saying_why():
    contracts = Contracts()
    unreadable = {**APPOINTMENT, 1: "x"}  # a key that is no text: Rust cannot read it
    [problem, _] = contracts.check("huskyvoice/appointment", unreadable, walk_steps=0)
    assert problem.message.startswith(
        "cannot be checked in full: it is too large to word, and the compiled validator cannot "
        "read it (Dict key must be str"
    )


@pytest.mark.parametrize(
    ("document", "kept"),
    [
        ({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}, False),
        ({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}, True),
        ({"type": "object"}, False),
    ],
    ids=["2020-12", "draft-07", "no-dialect"],
)
def test_only_a_2020_12_document_loses_its_dialect_for_the_walk(document, kept):
    before = dict(document)
    given = reference_validator.as_reference_schema(document)
    assert ("$schema" in given) is kept
    assert given["type"] == "object"
    assert document == before  # a copy: the contracts' own document keeps its dialect


def test_a_large_scenario_file_is_worded_in_full(tmp_path):
    """A file is the operator's own, walked further than what a client sends: 1,500 appointments
    with one mistake at the end (past a client's budget) get the package's own wording."""
    entry = (
        "  - {{appointment_id: appt_{n:010d}, appointment_type: f47ac10b-58cc-4372-a567-"
        '0e02b2c3d479, branch_id: branch_uuid_here, date: "{date}", session: Morning}}\n'
    )
    # About 27,000 steps: past MAX_WALK_STEPS.
    rows = [entry.format(n=n, date="2026-06-15") for n in range(1_499)]
    rows.append(entry.format(n=1_499, date="2026-06-15x"))
    folder = tmp_path / "own" / "huskyvoice"
    folder.mkdir(parents=True)
    (folder / "many.yaml").write_text(
        "extends: huskyvoice/direct-cancel\ndescription: many\nappointments:\n" + "".join(rows)
    )
    from mockserver.providers import make_providers
    from mockserver.scenarios.catalog import ScenarioCatalog, ScenarioError

    with pytest.raises(ScenarioError) as refused:
        ScenarioCatalog([tmp_path / "own"], readers=make_providers(Contracts()))
    told = [str(p) for p in refused.value.problems]
    assert told == [
        f"{folder / 'many.yaml'}:1503: appointments[1499].date: "
        '"2026-06-15x" is not a date (YYYY-MM-DD)'
    ], told


def test_one_check_lists_at_most_its_bound_of_problems():
    """One step can find many problems (`required`: one a missing field), so steps alone do not
    bound them: 3,000 empty appointments are 42,000 problems."""
    from mockserver.core.contracts import MAX_PROBLEMS_FOUND

    page = {"success": True, "data": [{}] * 3_000}
    problems = Contracts().check("huskyvoice/appointment-list.response", page)
    assert len(problems) == MAX_PROBLEMS_FOUND + 1
    assert (
        problems[-1].message == f"may have more problems: the first {MAX_PROBLEMS_FOUND} are listed"
    )
    assert problems[0].missing is not None
