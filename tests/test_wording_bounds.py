"""A broken body costs the mock time and words in proportion to what the contract allows, not to
what the client sent: jsonschema, which words every problem, walks an array past its `maxItems`
only up to the limit, tells items apart in linear time, and a problem names at most ten unknown
fields and counts an array's items instead of quoting them.

Counted, never timed: how many items the reference walks, and how long the answer is.
"""

from __future__ import annotations

import json

import jsonschema._keywords
import jsonschema._utils
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import MockEngine, MockRequest
from mockserver.core.json_value import all_distinct, first_repeated
from mockserver.core.reference_validator import reference_class

LEYR = {
    "x-leyr-client-id": "test-client-id",
    "x-leyr-client-secret": "test-client-secret",
    "content-type": "application/json",
}
BULK = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
HUSKY = {"authorization": "Bearer YOUR_API_KEY", "content-type": "application/json"}


def _bulk(ids: list[object]) -> MockRequest:
    body = json.dumps({"ids": ids, "status": "cancelled"}).encode()
    return MockRequest("PATCH", BULK, headers=LEYR, body=body)


def test_an_array_past_its_limit_is_walked_only_up_to_it(monkeypatch):
    walked = []
    validators = reference_class().VALIDATORS
    pattern = validators["pattern"]

    def counted(validator, value, instance, schema):
        walked.append(instance)
        yield from pattern(validator, value, instance, schema)

    monkeypatch.setitem(validators, "pattern", counted)
    engine = MockEngine()
    answer = engine.handle(_bulk([str(n) for n in range(50_000)]))
    assert answer.status == 400
    assert len(walked) <= 50  # the schema's maxItems, not the 50,000 sent
    [problem] = answer.request_problems
    assert problem.location == "body.ids"
    assert problem.message == "has 50000 item(s); at most 50"
    assert len(answer.payload) < 2_000


def test_items_are_told_apart_without_comparing_every_pair(monkeypatch):
    def pairwise(*args):
        raise AssertionError("jsonschema's pairwise uniqueness check ran")

    monkeypatch.setattr(jsonschema._keywords, "uniq", pairwise)  # as its uniqueItems reads it
    engine = MockEngine()
    objects = engine.handle(_bulk([{"id": n} for n in range(4_000)]))
    assert objects.status == 400
    repeated = engine.handle(_bulk(["1001", "1002", "1001"]))
    assert repeated.status == 400
    [problem] = repeated.request_problems
    assert problem.message == '"1001" appears more than once (item 2): items are unique'


def test_a_body_of_many_unknown_fields_names_ten_and_counts_the_rest():
    engine = MockEngine()
    body = json.dumps({"status": "cancelled", **{f"k{n:05}": n for n in range(30_000)}}).encode()
    answer = engine.handle(
        MockRequest("PATCH", "/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY, body=body)
    )
    assert answer.status == 400
    [problem] = answer.request_problems
    assert problem.message.startswith("unknown field(s) 'k00000', 'k00001',")
    assert "'k00009' and 29990 more; allowed: " in problem.message
    assert len(answer.payload) < 2_000


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 1.5, -0.0])
    | st.text(max_size=2),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(JSON, max_size=6))
def test_all_distinct_agrees_with_jsonschema(items):
    """Against the definition, with jsonschema's own equality: every pair compared. (Its `uniq`
    sorts first, and misses a repeat when sorting does not bring the two together:
    `[[[0, False]], [[False, False]], [[0, False]]]` has one, and `uniq` calls it unique.)"""
    pairwise = not any(
        jsonschema._utils.equal(first, second)
        for index, first in enumerate(items)
        for second in items[index + 1 :]
    )
    assert all_distinct(items) == pairwise
    repeated = first_repeated(items)
    assert (repeated is None) == pairwise
    if repeated is not None:
        assert any(jsonschema._utils.equal(items[repeated], item) for item in items[:repeated])


def test_all_distinct_counts_json_equality():
    assert not all_distinct([1, 1.0])
    assert all_distinct([True, 1])
    assert all_distinct([False, 0, None, "", [], {}])
    assert not all_distinct([{"a": 1, "b": [1, 2]}, {"b": [1.0, 2], "a": 1}])
    assert all_distinct([[1, 2], [2, 1]])


def test_long_unknown_field_names_are_clipped_where_they_are_echoed():
    engine = MockEngine()
    body = json.dumps({"status": "cancelled", **{f"k{n}" + "x" * 95_000: 1 for n in range(10)}})
    answers = [
        engine.handle(
            MockRequest(
                "PATCH", "/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY, body=body.encode()
            )
        ),
        engine.handle(MockRequest("PATCH", f"{BULK}/1001", headers=LEYR, body=body.encode())),
    ]
    for answer in answers:
        assert answer.status == 400
        assert len(answer.payload) < 5_000, len(answer.payload)
        [problem] = answer.request_problems
        assert len(problem.message) <= 1_000
        assert "xxx…'" in problem.message  # each name clipped, and said to be


def test_violations_since_a_reset_are_kept_as_many_as_the_journal_keeps_exchanges():
    engine = MockEngine(journal_size=5)
    for n in range(20):
        body = json.dumps({"status": "cancelled", f"unknown{n}": 1}).encode()
        engine.handle(
            MockRequest("PATCH", "/v1/appointments/appt_a1b2c3d4e5", headers=HUSKY, body=body)
        )
    kept = engine.violations()
    assert len(kept) == 5
    assert "unknown19" in kept[-1]["problems"][0]["message"]


def test_the_answers_remembered_as_conforming_are_bounded_in_bytes(monkeypatch):
    """A conforming answer is remembered so that it is not checked again when sent again; what
    is remembered is bounded in bytes, and a large answer is checked every time instead."""
    from mockserver.engine import pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "CONFORMING_BYTES", 500)  # about one read
    monkeypatch.setattr(pipeline_module, "CONFORMING_ANSWER_BYTES", 600)
    engine = MockEngine()
    pipeline = engine.handle.__self__
    headers = {"authorization": "Bearer YOUR_API_KEY"}
    listed = engine.handle(MockRequest("GET", "/v1/appointments", "limit=20", headers))
    assert len(listed.payload) > 600
    assert pipeline._conforming.weight == 0  # too large to remember: checked each time
    ids = [a["appointment_id"] for a in json.loads(listed.payload)["data"]]
    for _ in range(3):
        for appointment in ids:
            read = engine.handle(MockRequest("GET", f"/v1/appointments/{appointment}", "", headers))
            assert read.status == 200 and not read.response_problems
            assert 0 < pipeline._conforming.weight <= 500
