"""The request pattern where mutation testing found it unpinned: through the admin API's journal
search and closest requests, and the handle's failed assertion.

Every test here fails on a mutant of `mockserver/core/patterns.py` that the rest of the suite
let through: how a miss is worded (a status class, a credential, a long or non-ASCII value, every
field that misses), how the closest requests are ordered, what a regex accepts, and where
nesting stops.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import AUTH, SEED_ID, Mock
from mockserver.core.surface import MAX_BODY_DEPTH
from mockserver.testing.control import EngineBackend, MockControl


def searched(mock: Mock, route: str, listed: str, pattern: dict[str, Any]) -> list[dict[str, Any]]:
    """A journal search's listing, the pattern sent as query parameters (JSON where nested)."""
    params = {
        k: json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in pattern.items()
    }
    reply = mock.http.get(route, params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()[listed]


def closest(mock: Mock, **pattern: Any) -> list[dict[str, Any]]:
    return searched(mock, "/__admin/requests/closest", "closest", pattern)


def found(mock: Mock, **pattern: Any) -> list[dict[str, Any]]:
    return searched(mock, "/__admin/requests", "requests", pattern)


def differences_of(entries: list[dict[str, Any]], path: str) -> list[str]:
    return next(e["differences"] for e in entries if e["request"]["path"] == path)


def test_a_status_class_miss_is_named_and_a_status_in_the_class_is_no_miss(mock):
    mock.get(f"/v1/appointments/{SEED_ID}")
    mock.get("/v1/appointments/appt_missing")
    entries = closest(mock, method="GET", status="4xx")
    assert differences_of(entries, "/v1/appointments/appt_missing") == []
    assert differences_of(entries, f"/v1/appointments/{SEED_ID}") == [
        "status: expected 4xx, got 200"
    ]


def test_every_query_and_header_that_misses_is_named_not_only_the_first(mock):
    mock.http.get(
        "/v1/appointments",
        params={"limit": "5", "page": "1", "cookie": "chocolate-chip-42"},
        headers={**AUTH, "x-trace": "t-1", "x-span": "s-1"},
    )
    [entry] = closest(
        mock,
        path="/v1/appointments",
        query={"limit": 5, "page": 2, "cookie": "oatmeal-raisin-17"},
        headers={"x-trace": "t-1", "x-span": "s-2", "authorization": "Bearer WRONG_KEY_1234"},
    )
    assert entry["differences"] == [
        'query page: expected 2, got "1"',
        # A query parameter is no credential, whatever its name: shown whole.
        'query cookie: expected "oatmeal-raisin-17", got "chocolate-chip-42"',
        'header x-span: expected "s-2", got "s-1"',
        'header authorization: expected "Bearer …1234", got "Bearer …_KEY"',
    ]


def test_a_long_or_non_ascii_value_is_shown_clipped_and_as_written(mock):
    mock.cancel(notes="Åse")
    wanted = "x" * 100
    [entry] = closest(mock, method="PATCH", body={"notes": "Åsa", "status": wanted})
    assert entry["differences"] == [
        'body.notes: expected "Åsa", got "Åse"',
        f'body.status: expected "{"x" * 58}…, got "cancelled"',
    ]


def test_the_closest_of_equally_missed_requests_is_the_most_alike_path(mock):
    for path in ("/v1/appointment-config", "/v1/appointments", "/v1/branches"):
        mock.get(path)
    entries = closest(mock, method="GET", path="/v1/appointments/{appointment_id}")
    assert [e["request"]["path"] for e in entries] == [
        "/v1/appointments",
        "/v1/appointment-config",
        "/v1/branches",
    ]


def test_a_regex_matches_text_and_numbers_never_a_list_or_an_object(mock):
    mock.cancel(notes="abc", tags=["abc"], extra={"k": "abc"})
    assert len(found(mock, method="PATCH", body={"notes": {"regex": "b"}})) == 1
    assert found(mock, method="PATCH", body={"tags": {"regex": "b"}}) == []
    assert found(mock, method="PATCH", body={"extra": {"regex": "b"}}) == []


def test_a_status_class_is_a_digit_from_1_to_5_then_xx(mock):
    mock.get(f"/v1/appointments/{SEED_ID}")
    for bad in ("Xxx", "6xx", "4x", "4xxx"):
        reply = mock.http.get("/__admin/requests", params={"status": bad})
        assert reply.status_code == 400, (bad, reply.text)
    assert len(found(mock, status="2XX")) == 1


def test_a_failed_assertion_names_every_part_of_the_pattern(mock):
    control = MockControl(EngineBackend(mock.engine))
    with pytest.raises(AssertionError) as caught:
        control.requests.assert_called(
            "GET",
            "/v1/appointments",
            provider="huskyvoice",
            status=404,
            appointment=SEED_ID,
            query={"limit": 5},
            headers={"Authorization": "Bearer YOUR_API_KEY", "x-trace": "t-1"},
            body={"confirmation": {"code": "123456"}},
        )
    assert str(caught.value).startswith(
        "expected GET /v1/appointments (provider='huskyvoice', status=404, "
        f"appointment='{SEED_ID}', query limit 5, header authorization \"Bearer …_KEY\", "
        'header x-trace "t-1", body.confirmation.code "123456") 1 time(s)'
    ), caught.value
    with pytest.raises(AssertionError) as caught:
        control.requests.assert_called("GET", "/v1/appointments", status="4xx")
    assert str(caught.value).startswith("expected GET /v1/appointments (status='4xx') 1 time(s)")


def test_an_interaction_listed_names_what_its_pattern_leaves_open(mock):
    error = {"success": False, "error": {"code": "BUSY", "message": "Try later"}}
    stub = {
        "provider": "huskyvoice",
        "match": {"body": {"status": "cancelled"}},
        "respond": {"status": 503, "body": error},
    }
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    listed = [i["match"] for i in mock.http.get("/__admin/interactions").json()["interactions"]]
    assert 'any method any path (body.status "cancelled")' in listed


def lists(levels: int) -> Any:
    """A body pattern `{"a": [[…["x"]…]]}` with `levels` lists."""
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return {"a": value}


def objects_in_lists(pairs: int) -> Any:
    """A body pattern `{"a": [{"a": [{"a": …}]}]}` with `pairs` list-and-object levels."""
    value: Any = "x"
    for _ in range(pairs):
        value = [{"a": value}]
    return {"a": value}


@pytest.mark.parametrize(
    ("nest", "deepest"),
    [(lists, MAX_BODY_DEPTH), (objects_in_lists, MAX_BODY_DEPTH // 2)],
    ids=["lists", "objects-in-lists"],
)
def test_nesting_stops_at_the_body_depth_limit_exactly(mock, nest, deepest):
    ok = mock.http.get("/__admin/requests", params={"body": json.dumps(nest(deepest))})
    assert ok.status_code == 200, ok.text
    refused = mock.http.get("/__admin/requests", params={"body": json.dumps(nest(deepest + 1))})
    assert refused.status_code == 400, refused.text
    assert "nests more than" in refused.text
