"""One request pattern: its matching and wording, and every surface that speaks it."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from conftest import AUTH, SEED_ID, write_scenario
from mockserver import MockEngine, MockRequest
from mockserver.core.patterns import Observed, PatternError, parse_pattern, pattern_from_query
from mockserver.testing.control import EngineBackend, MockControl

CANCEL = Observed(
    method="PATCH",
    path=f"/v1/appointments/{SEED_ID}",
    query={"dry_run": "1"},
    headers={"x-request-id": "r-1"},
    body={"status": "cancelled", "confirmation": {"code": "123456"}, "ids": ["a", "b"]},
    provider="huskyvoice",
    status=200,
    appointment=SEED_ID,
)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"method": "patch"},
        {"path": f"/v1/appointments/{SEED_ID}"},
        {"path": "/v1/appointments/{appointment_id}"},
        {"path_regex": "^/v1/"},
        {"query": {"dry_run": 1}},
        {"headers": {"X-Request-Id": {"regex": "^r-"}}},
        {"body": {"status": "cancelled"}},
        {"body": {"confirmation.code": "123456"}},
        {"body": {"confirmation": {"code": {"regex": r"^\d{6}$"}}}},
        {"body": {"confirmation": {}}},
        {"body": {"ids.1": "b", "notes": {"present": False}}},
        {"body": {"ids": ["a", "b"]}},
        {"provider": "huskyvoice", "status": 200, "appointment": SEED_ID},
    ],
)
def test_patterns_that_match(raw):
    pattern = parse_pattern(raw)
    assert pattern.matches(CANCEL)
    assert pattern.difference(CANCEL) == []


@pytest.mark.parametrize(
    ("raw", "wording"),
    [
        ({"method": "GET"}, 'method: expected "GET", got "PATCH"'),
        ({"path": "/v1/appointment/{id}"}, "path: expected /v1/appointment/{id}, got /v1/"),
        ({"query": {"dry_run": "0"}}, 'query dry_run: expected "0", got "1"'),
        (
            {"headers": {"x-other": {"present": True}}},
            "header x-other: expected present, got absent",
        ),
        ({"body": {"status": "canceled"}}, 'body.status: expected "canceled", got "cancelled"'),
        ({"body": {"confirmation": {"code": "1"}}}, 'body.confirmation.code: expected "1"'),
        ({"body": {"status": {"present": False}}}, "body.status: expected absent"),
        ({"body": {"ids": ["c"]}}, 'body.ids: expected a list holding ["c"], got ["a", "b"]'),
        ({"body": {"ids": {"equals": ["a"]}}}, 'body.ids: expected ["a"], got ["a", "b"]'),
        ({"body": {"status": {}}}, "body.status: expected an object"),
        ({"status": 404}, "status: expected 404, got 200"),
        ({"appointment": "appt_other"}, 'appointment: expected "appt_other"'),
        ({"provider": "leyr"}, 'provider: expected "leyr"'),
    ],
)
def test_patterns_that_miss_say_why(raw, wording):
    pattern = parse_pattern(raw)
    assert not pattern.matches(CANCEL)
    [difference] = pattern.difference(CANCEL)
    assert difference.startswith(wording), difference


def test_true_is_not_one_and_numbers_match_their_text():
    assert not parse_pattern({"body": {"flag": 1}}).matches(
        Observed("PATCH", "/x", body={"flag": True})
    )
    assert parse_pattern({"query": {"flag": True}}).matches(
        Observed("GET", "/x", query={"flag": "true"})
    )
    assert parse_pattern({"body": {"n": None}}).matches(Observed("PATCH", "/x", body={"n": None}))
    assert not parse_pattern({"body": {"n": None}}).matches(Observed("PATCH", "/x", body={}))


def test_a_request_without_a_json_body_has_no_fields():
    no_body = Observed("PATCH", "/x")
    assert not parse_pattern({"body": {"status": "cancelled"}}).matches(no_body)
    assert parse_pattern({"body": {"status": {"present": False}}}).matches(no_body)


def test_ranking_puts_the_fewest_differences_first():
    pattern = parse_pattern({"method": "PATCH", "path": "/v1/appointments/{id}", "status": 200})
    far = Observed("GET", "/v1/appointment-config", status=404)
    near = Observed("PATCH", "/v1/appointments/x", status=404)
    exact = Observed("PATCH", "/v1/appointments/x", status=200)
    assert sorted([far, near, exact], key=pattern.rank) == [exact, near, far]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"verb": "GET"}, "verb"),
        ({"path": "/x", "path_regex": "^/x"}, ""),
        ({"path_regex": "(("}, "path_regex"),
        ({"path": 3}, "path"),
        ({"status": "200"}, "status"),
        ({"status": True}, "status"),
        ({"method": ["GET"]}, "method"),
        ({"body": ["status"]}, "body"),
        ({"body": {"a": {"regex": 3}}}, "body.a.regex"),
        ({"body": {"a": {"present": "yes"}}}, "body.a.present"),
        ({"query": "a=1"}, "query"),
        ({"appointment": 5}, "appointment"),
    ],
)
def test_unusable_patterns_are_refused_with_the_field(raw, field):
    with pytest.raises(PatternError) as caught:
        parse_pattern(raw, where="")
    assert caught.value.field == field


def test_a_pattern_travels_in_a_query_string():
    pattern = pattern_from_query(
        {"method": "PATCH", "status": "200", "body": json.dumps({"status": "cancelled"})}
    )
    assert pattern.matches(CANCEL)
    for bad in ({"status": "abc"}, {"body": "{"}, {"status": "-1"}):
        with pytest.raises(PatternError):
            pattern_from_query(bad)


# Through the admin API and the fixture's handle --------------------------------------------------


def test_admin_journal_search_takes_the_same_pattern(mock):
    mock.cancel()
    mock.http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "canceled"}, headers=AUTH)  # 400
    mock.get("/v1/appointment-config")

    def found(**params):
        reply = mock.http.get("/__admin/requests", params=params)
        assert reply.status_code == 200, reply.text
        return [(e["method"], e["status"]) for e in reply.json()["requests"]]

    assert found(path="/v1/appointments/{appointment_id}") == [("PATCH", 200), ("PATCH", 400)]
    assert found(body=json.dumps({"status": "cancelled"})) == [("PATCH", 200)]
    assert found(status="400") == [("PATCH", 400)]
    assert found(path_regex="config$") == [("GET", 200)]
    assert found(appointment=SEED_ID, method="patch", status="200") == [("PATCH", 200)]
    assert found(headers=json.dumps({"authorization": {"regex": "^Bearer "}})) == [
        ("PATCH", 200),
        ("PATCH", 400),
        ("GET", 200),
    ]
    entry = mock.http.get("/__admin/requests", params={"status": "200"}).json()["requests"][0]
    assert entry["appointment"] == SEED_ID


@pytest.mark.parametrize(
    "params",
    [
        {"status": "two hundred"},
        {"body": "{not json"},
        {"path_regex": "(("},
        {"colour": "red"},
        {"body": json.dumps({"a": {"regex": 1}})},
        [("method", "GET"), ("method", "PATCH")],
    ],
)
def test_admin_journal_search_refuses_bad_patterns(mock, params):
    reply = mock.http.get("/__admin/requests", params=params)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "BAD_REQUEST"


def test_admin_closest_requests_explains_each_difference(mock):
    mock.cancel()
    mock.get("/v1/appointment-config")
    reply = mock.http.get(
        "/__admin/requests/closest",
        params={"method": "PATCH", "body": json.dumps({"status": "canceled"}), "limit": "5"},
    )
    assert reply.status_code == 200, reply.text
    first, second = reply.json()["closest"]
    assert first["request"]["method"] == "PATCH"
    assert first["differences"] == ['body.status: expected "canceled", got "cancelled"']
    assert len(second["differences"]) == 2
    for limit in ("0", "x", "1001"):
        assert (
            mock.http.get("/__admin/requests/closest", params={"limit": limit}).status_code == 400
        )


@pytest.fixture
def control(mock):
    return MockControl(EngineBackend(mock.engine))


def test_handle_filters_by_body_query_headers_and_appointment(mock, control):
    mock.cancel()
    mock.get("/v1/appointments", limit=5)
    log = control.requests
    assert len(log.filter("PATCH", body={"status": "cancelled"})) == 1
    assert log.filter("PATCH", body={"status": "canceled"}) == []
    assert log.filter(body={"status": {"regex": "^cancel"}})[0]["method"] == "PATCH"
    assert len(log.filter("GET", "/v1/appointments", query={"limit": 5})) == 1
    assert log.filter("GET", query={"limit": 6}) == []
    assert len(log.filter(headers={"Authorization": "Bearer YOUR_API_KEY"})) == 2
    assert len(log.filter(appointment=SEED_ID)) == 1
    log.assert_called("PATCH", "/v1/appointments/{id}", body={"status": "cancelled"}, status=200)


def test_failed_assertion_lists_the_closest_with_their_differences(mock, control):
    mock.get("/v1/appointment-config")
    mock.cancel()
    with pytest.raises(AssertionError) as caught:
        control.requests.assert_called("PATCH", "/v1/appointments/{id}", body={"status": "x"})
    lines = str(caught.value).splitlines()
    assert lines[0].startswith('expected PATCH /v1/appointments/{id} (body.status "x") 1 time(s)')
    assert lines[1] == "Requests received (2), closest first:"
    assert lines[2].startswith(f"  PATCH /v1/appointments/{SEED_ID}")
    assert lines[3].strip() == 'body.status: expected "x", got "cancelled"'
    assert lines[4].startswith("  GET /v1/appointment-config")


def test_handle_refuses_a_bad_criterion(control):
    from mockserver.testing.control import ControlError

    with pytest.raises(ControlError, match=r"body\.a\.regex"):
        control.requests.filter(body={"a": {"regex": "(("}})


def test_scenario_interactions_accept_nested_body_subsets_and_appointments(tmp_path):
    write_scenario(
        tmp_path,
        "huskyvoice",
        "nested",
        textwrap.dedent(
            """
            extends: huskyvoice/direct-cancel
            description: nested body matcher
            interactions:
              - match:
                  method: PATCH
                  appointment: appt_a1b2c3d4e5
                  body: {status: cancelled, notes: {regex: "^urgent"}}
                respond: {error: {code: BUSY, status: 503}}
            """
        ),
    )
    engine = MockEngine(["huskyvoice/nested"], [tmp_path])
    from conftest import in_process_client

    with in_process_client(engine) as http:
        url = f"/v1/appointments/{SEED_ID}"
        assert http.patch(url, json={"status": "cancelled"}, headers=AUTH).status_code == 200
        engine.reset()
        busy = http.patch(url, json={"status": "cancelled", "notes": "urgent"}, headers=AUTH)
        assert busy.status_code == 503


@pytest.mark.parametrize(
    ("items", "matches"),
    [
        (["b"], True),
        (["b", "a"], True),  # any order
        ([], True),
        (["a", "a"], False),  # each expected item needs an item of its own
        (["a", "b", "c"], False),
        ([{"regex": "^b$"}], True),
    ],
)
def test_a_list_in_a_body_pattern_is_a_subset(items, matches):
    assert parse_pattern({"body": {"ids": items}}).matches(CANCEL) is matches


def test_list_items_that_are_objects_match_by_subset_and_nest():
    seen = Observed(
        method="PATCH",
        path="/x",
        body={"items": [{"id": 1, "tags": ["x", "y"]}, {"id": 2, "tags": []}]},
    )
    assert parse_pattern({"body": {"items": [{"id": 2}]}}).matches(seen)
    assert parse_pattern({"body": {"items": [{"tags": ["y"]}]}}).matches(seen)
    assert not parse_pattern({"body": {"items": [{"id": 3}]}}).matches(seen)
    assert not parse_pattern({"body": {"items": [{"id": 1}, {"id": 1}]}}).matches(seen)
    assert not parse_pattern({"body": {"items": ["x"]}}).matches(
        Observed("GET", "/", body={"items": "x"})
    )
    [difference] = parse_pattern({"body": {"items": [{"id": 3}]}}).difference(seen)
    assert difference.startswith('body.items: expected a list holding [{"id": 3}], got')


def test_list_patterns_nested_too_deep_are_refused():
    deep: Any = "x"
    for _ in range(70):
        deep = [deep]
    with pytest.raises(PatternError, match="nests more than 64"):
        parse_pattern({"body": {"ids": deep}})


@pytest.mark.parametrize(
    "index", ["\xb2", "\u0661", "0\xb2"], ids=["superscript", "arabic", "mixed"]
)
def test_a_path_step_in_other_digits_names_no_list_item_and_breaks_nothing(index):
    """`str.isdigit` takes `²` (which `int` refuses) and Arabic-Indic digits (which `int` reads): a list
    index is ASCII digits only, so such a step finds nothing, in a pattern and in an answer
    (a scenario's match: the request is answered, not failed with the mock's 500)."""
    assert not parse_pattern({"body": {f"ids.{index}": "b"}}).matches(CANCEL)
    assert parse_pattern({"body": {"ids.1": "b"}}).matches(CANCEL)
    engine = MockEngine(["leyr/bulk-cancel"])
    engine.add_interaction(
        {
            "match": {"body": {f"ids.{index}": "1002"}},
            "respond": {"status": 418, "body": {}},
            "violates_contract": True,
        },
        "leyr",
    )
    headers = {
        "x-leyr-client-id": "test-client-id",
        "x-leyr-client-secret": "test-client-secret",
        "content-type": "application/json",
    }
    body = b'{"ids": ["1001", "1002"], "status": "cancelled"}'
    path = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
    answer = engine.handle(MockRequest("PATCH", path, headers=headers, body=body))
    assert answer.status == 200, answer.body
