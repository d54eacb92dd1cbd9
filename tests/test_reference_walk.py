"""jsonschema, which words every problem, walks with the package's own keywords everywhere (also
inside a referenced document) and within a budget of steps; past it, the compiled validator
words the problems."""

from __future__ import annotations

import pytest

from conftest import in_process_client
from mockserver import MockEngine
from mockserver.core import contracts as contracts_module
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
    # The same problem, in jsonschema's words, then in jsonschema-rs's.
    assert small.json()["error"]["message"].endswith('times: "x" is not of type integer')
    assert large.json()["error"]["message"].endswith('times: "x" is not of type "integer"')
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
    assert [str(p) for p in problems] == ['interactions[0].times: "x" is not of type "integer"']
    assert problems[0].path == ("interactions", 0, "times")


def test_a_document_within_the_budget_is_walked_whole(counted_steps):
    contracts = Contracts()
    page = {"success": True, "data": [dict(APPOINTMENT) for _ in range(200)]}
    page["data"][-1]["status"] = "gone"
    problems = contracts.check("huskyvoice/appointment-list.response", page)
    assert 1_000 < len(counted_steps) < MAX_WALK_STEPS
    assert problems[0].location == "data[199].status"
    assert problems[0].message.startswith('"gone" is not one of "confirmed"')


def test_the_compiled_words_keep_the_fields_and_count_every_problem(monkeypatch):
    monkeypatch.setattr(contracts_module, "MAX_WALK_STEPS", 0)
    monkeypatch.setattr(contracts_module, "MAX_COMPILED_PROBLEMS", 3)
    contracts = Contracts()
    lacking = {key: value for key, value in APPOINTMENT.items() if key != "session"}
    problems = contracts.check("huskyvoice/appointment", {**lacking, "x" * 500: 1}, root="data")
    by_kind = {p.schema_path: p for p in problems}
    assert by_kind["required"].missing == "session"
    unknown = by_kind["additionalProperties"]
    assert unknown.path == ("x" * 59 + "…",) and unknown.location == "data"
    assert all(len(p.message) <= 1_000 for p in problems)
    many = {**APPOINTMENT, "date": 1, "session": 2, "status": 3, "token": [], "batch": {}}
    listed = contracts.check("huskyvoice/appointment", many)
    assert len(listed) == 4 and listed[-1].message == "has more problems than the 3 listed"


def test_a_document_neither_validator_can_read_in_full_is_refused_as_too_large(monkeypatch):
    monkeypatch.setattr(contracts_module, "MAX_WALK_STEPS", 0)
    contracts = Contracts()
    unreadable = {**APPOINTMENT, 1: "x"}  # a key that is no text: Rust cannot read it
    problems = contracts.check("huskyvoice/appointment", unreadable)
    [problem] = problems
    assert problem.message.startswith(
        "cannot be checked in full: it is too large to word (over 0 schema steps) and the "
        "compiled validator cannot read it (Dict key must be str"
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
