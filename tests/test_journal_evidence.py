"""The journal as evidence: wall clock, duration, response headers, what answered; paging,
filters, HAR 1.2 export and near misses over GET /__admin/…"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from conftest import AUTH, FIXTURES, SEED_ID

HAR_SCHEMA = json.loads((FIXTURES / "har-1.2.schema.json").read_text())


def journal(mock, **params):
    reply = mock.http.get("/__admin/requests", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_each_exchange_records_wall_clock_duration_headers_and_operation(mock):
    before = datetime.now(timezone.utc)
    mock.cancel()
    [entry] = journal(mock)["requests"]
    received = datetime.fromisoformat(entry["received_at"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= received <= datetime.now(timezone.utc)
    assert entry["received_at"].endswith("Z")
    assert entry["at"] != entry["received_at"]  # the mock's clock is another clock
    assert 0 <= entry["duration_ms"] < 5_000
    assert entry["response_headers"]["content-type"] == "application/json"
    assert int(entry["response_headers"]["content-length"]) > 0
    assert entry["operation"] == "updateAppointment"
    assert entry["broke_contract"] is False


def test_response_headers_keep_retry_after(mock_for):
    mock = mock_for("huskyvoice/rate-limited")
    for _ in range(61):
        mock.get(f"/v1/appointments/{SEED_ID}")
    [limited] = journal(mock, status="429")["requests"]
    assert int(limited["response_headers"]["retry-after"]) > 0


def test_scripted_delay_counts_in_the_duration(mock):
    mock.http.post(
        "/__admin/interactions",
        json={
            "name": "slow",
            "provider": "huskyvoice",
            "match": {"method": "GET"},
            "respond": {"passthrough": True, "delay_ms": 50},
        },
    ).raise_for_status()
    mock.get(f"/v1/appointments/{SEED_ID}")
    [entry] = journal(mock)["requests"]
    assert entry["duration_ms"] >= 50
    assert entry["interaction"]["name"] == "slow"


def test_a_path_no_provider_serves_is_journaled_too(mock):
    assert mock.http.get("/v2/nothing").status_code == 404
    [entry] = journal(mock)["requests"]
    assert (entry["provider"], entry["operation"], entry["path"]) == (None, None, "/v2/nothing")


def test_status_class_and_exact_status_filters(mock):
    mock.cancel()
    mock.cancel("appt_missing")
    mock.cancel(key="wrong")
    assert [e["status"] for e in journal(mock, status="4xx")["requests"]] == [404, 401]
    assert [e["status"] for e in journal(mock, status="2xx")["requests"]] == [200]
    assert [e["status"] for e in journal(mock, status="404")["requests"]] == [404]


def test_pages_follow_the_cursor_both_ways(mock):
    for n in range(5):
        mock.get(f"/v1/appointments/appt_{n}")
    ids, cursor = [], None
    while True:
        params = {"limit": 2, "order": "newest", **({"cursor": cursor} if cursor else {})}
        page = journal(mock, **params)
        ids += [e["id"] for e in page["requests"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ids == sorted(ids, reverse=True) and len(ids) == 5
    first = journal(mock, limit=3)
    second = journal(mock, limit=3, cursor=first["next_cursor"])
    assert [e["id"] for e in first["requests"] + second["requests"]] == sorted(ids)
    assert second["next_cursor"] is None


def test_the_last_full_page_has_no_next_cursor(mock):
    mock.cancel()
    mock.cancel()
    assert journal(mock, limit=2)["next_cursor"] is None


def test_since_and_broke_contract_filters(mock):
    mock.cancel()
    mock.http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "gone"}, headers=AUTH)
    assert [e["status"] for e in journal(mock, broke_contract="true")["requests"]] == [400]
    assert len(journal(mock, broke_contract="false")["requests"]) == 1
    later = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()
    assert journal(mock, since=later)["requests"] == []
    assert len(journal(mock, since="2000-01-01T00:00:00Z")["requests"]) == 2


def test_listing_filters_combine_with_the_request_pattern(mock):
    mock.cancel()
    mock.cancel("appt_missing")
    found = journal(mock, method="PATCH", path="/v1/appointments/{id}", status="4xx")
    assert [e["path"] for e in found["requests"]] == ["/v1/appointments/appt_missing"]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "²"}, "limit"),
        ({"cursor": "-1"}, "cursor"),
        ({"cursor": "9" * 30}, "cursor"),
        ({"order": "sideways"}, "order"),
        ({"format": "xml"}, "format"),
        ({"since": "yesterday"}, "since"),
        ({"broke_contract": "yes"}, "broke_contract"),
        ({"status": "6xx"}, "status"),
        ({"status": "²"}, "status"),
    ],
)
def test_bad_listing_parameters_are_a_400_naming_them(mock, params, names):
    reply = mock.http.get("/__admin/requests", params=params)
    assert reply.status_code == 400
    assert reply.json()["error"]["message"].startswith(names)


def test_repeated_listing_parameter_is_a_400(mock):
    reply = mock.http.get("/__admin/requests?limit=1&limit=2")
    assert reply.status_code == 400 and "limit" in reply.json()["error"]["message"]


def test_har_export_is_valid_har_1_2(mock):
    mock.cancel()
    mock.http.get("/v1/appointments", params={"date": "2026-06-15"}, headers=AUTH)
    mock.http.patch(f"/v1/appointments/{SEED_ID}", content=b"not json", headers=AUTH)
    har = journal(mock, format="har")
    jsonschema.validate(har, HAR_SCHEMA)
    cancel, search, broken = har["log"]["entries"]
    assert cancel["request"]["url"] == f"http://mock.test/v1/appointments/{SEED_ID}"
    assert json.loads(cancel["request"]["postData"]["text"]) == {"status": "cancelled"}
    assert json.loads(cancel["response"]["content"]["text"])["data"]["status"] == "cancelled"
    assert (cancel["response"]["status"], cancel["response"]["statusText"]) == (200, "OK")
    assert {"name": "date", "value": "2026-06-15"} in search["request"]["queryString"]
    assert "postData" not in search["request"]
    assert broken["request"]["postData"]["text"] == "not json"
    authorization = next(h for h in cancel["request"]["headers"] if h["name"] == "authorization")
    assert authorization["value"] != AUTH["Authorization"]  # credentials stay shortened


def test_har_export_pages_and_filters_like_the_json_listing(mock):
    mock.cancel()
    mock.cancel("appt_missing")
    har = journal(mock, format="har", status="4xx")
    assert [e["response"]["status"] for e in har["log"]["entries"]] == [404]


def near_misses(mock, **params):
    reply = mock.http.get("/__admin/near-misses", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()["near_misses"]


def test_near_miss_for_a_path_no_operation_has(mock):
    mock.http.patch("/v1/appointmentz/appt_1", json={"status": "cancelled"}, headers=AUTH)
    [miss] = near_misses(mock)
    assert miss["reasons"][0] == "no documented operation has this method and path"
    closest = miss["closest_operation"]
    assert (closest["method"], closest["path"]) == ("PATCH", "/v1/appointments/{appointment_id}")
    assert closest["differences"] == [
        "path: expected /v1/appointments/{appointment_id}, got /v1/appointmentz/appt_1"
    ]


def test_near_miss_for_a_wrong_method_names_the_operation_on_that_path(mock):
    mock.http.delete(f"/v1/appointments/{SEED_ID}", headers=AUTH)
    [miss] = near_misses(mock)
    closest = miss["closest_operation"]
    assert closest["path"] == "/v1/appointments/{appointment_id}"
    assert closest["differences"] == [f'method: expected "{closest["method"]}", got "DELETE"']


def test_near_miss_for_a_contract_breach_carries_its_problems(mock):
    mock.http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "gone"}, headers=AUTH)
    [miss] = near_misses(mock)
    assert miss["reasons"] == ["the exchange broke the provider's contract"]
    assert miss["closest_operation"]["differences"] == []
    assert any(p["location"] == "body.status" for p in miss["problems"])


def test_near_miss_against_a_stub_names_the_differing_field(mock):
    stub = {
        "name": "late-cancel",
        "match": {
            "method": "PATCH",
            "path": "/v1/appointments/{id}",
            "body": {"status": "cancelled", "notes": "late"},
        },
        "respond": {"status": 409, "error": {"code": "CONFLICT", "message": "too late"}},
    }
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    mock.cancel(notes="early")
    [miss] = near_misses(mock)
    assert miss["reasons"] == ["no scripted interaction for this method and path matched it"]
    assert miss["closest_interaction"]["name"] == "late-cancel"
    assert miss["closest_interaction"]["differences"] == [
        'body.notes: expected "late", got "early"'
    ]


def test_a_used_up_stub_is_explained(mock):
    stub = {
        "name": "once",
        "match": {"method": "GET", "path": f"/v1/appointments/{SEED_ID}"},
        "times": 1,
        "respond": {"passthrough": True},
    }
    mock.http.post("/__admin/interactions", json=stub).raise_for_status()
    mock.get(f"/v1/appointments/{SEED_ID}")
    mock.get(f"/v1/appointments/{SEED_ID}")
    [miss] = near_misses(mock)
    assert "used up" in miss["closest_interaction"]["differences"][0]


def test_requests_answered_as_meant_are_no_near_misses(mock):
    mock.cancel()
    mock.get(f"/v1/appointments/{SEED_ID}")
    assert near_misses(mock) == []


def test_near_misses_newest_first_and_limited(mock):
    for n in range(3):
        mock.http.get(f"/nowhere/{n}")
    assert [m["request"]["path"] for m in near_misses(mock, limit=2)] == [
        "/nowhere/2",
        "/nowhere/1",
    ]
    assert mock.http.get("/__admin/near-misses", params={"limit": "0"}).status_code == 400
    assert mock.http.get("/__admin/near-misses", params={"status": "4xx"}).status_code == 400


LISTING_NAMES = [
    "status",
    "since",
    "limit",
    "cursor",
    "order",
    "broke_contract",
    "format",
    "method",
    "path",
    "body",
    "provider",
    "query",
    "headers",
    "appointment",
    "path_regex",
]
HOSTILE_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "²",
    "1e309",
    "nan",
    "9" * 400,
    "4xx",
    "xx",
    "{",
    '{"a":',
    "[]",
    "null",
    "\x00",
    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    "<script>",
    "../..",
    "%",
    "(",
    "true",
    "newest",
]


def test_hostile_listing_parameters_never_crash(mock):
    """Every listing, near-miss and dashboard parameter, given every hostile value: a 200 or a
    400 that says why, never a 500, and the journal unchanged."""
    import itertools

    mock.cancel()
    before = journal(mock)["requests"]
    for name, value in itertools.product(LISTING_NAMES, HOSTILE_VALUES):
        for path in ("/__admin/requests", "/__admin/ui/", "/__admin/ui/sections"):
            reply = mock.http.get(path, params={name: value})
            assert reply.status_code in (200, 400), (path, name, value, reply.text[:200])
        reply = mock.http.get("/__admin/near-misses", params={name: value})
        assert reply.status_code in (200, 400), (name, value)
    assert journal(mock)["requests"] == before


@pytest.mark.parametrize(("depth", "shown_as_text"), [(128, False), (129, True)])
def test_a_body_is_shown_parsed_up_to_128_levels_and_as_text_past_them(mock, depth, shown_as_text):
    """Any JSON encoder can write an entry again: a body nested past 128 levels is its text."""
    body = b'{"a":' * depth + b"1" + b"}" * depth
    headers = {**AUTH, "Content-Type": "application/json"}
    reply = mock.http.patch(f"/v1/appointments/{SEED_ID}", content=body, headers=headers)
    assert reply.status_code == 400
    shown = journal(mock)["requests"][-1]["body"]
    assert isinstance(shown, str) is shown_as_text
    if not shown_as_text:
        level, count = shown, 0
        while isinstance(level, dict):
            level, count = level["a"], count + 1
        assert level == 1 and count == depth
