"""A client's mistakes get the provider's error envelope naming the problem, never a 500,
and leave the state as it was."""

from __future__ import annotations

import pytest

from conftest import AUTH, SEED_ID

JSON = {**AUTH, "Content-Type": "application/json"}
PATCH_URL = f"/v1/appointments/{SEED_ID}"


def assert_untouched(mock):
    assert mock.appointment()["status"] == "confirmed"
    assert mock.slot()["filled_slots"] == 3


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"status": "cancelled"', "malformed JSON"),
        (b"", "JSON object is required"),
        (b"[]", "is not of type object"),
        (b'"cancelled"', "is not of type object"),
        (b"{}", "at least 1 field"),
        (b'{"status": "canceled"}', "body.status"),
        (b'{"status": 1}', "body.status"),
        (b'{"status": "cancelled", "reason": "x"}', "'reason'"),
        (b'{"status": "cancelled", "assigned_doctor": 7}', "body.assigned_doctor"),
        (b'{"appointment_date": "tomorrow"}', "body.appointment_date"),
        (b'{"status": "cancelled"}\xff', "malformed JSON"),
    ],
)
def test_bad_patch_bodies_are_400_validation_error(mock, body, needle):
    reply = mock.http.patch(PATCH_URL, content=body, headers=JSON)
    assert reply.status_code == 400, reply.text
    error = reply.json()
    assert error["success"] is False
    assert error["error"]["code"] == "VALIDATION_ERROR"
    assert needle in error["error"]["message"]
    assert_untouched(mock)


def test_schema_breaks_are_recorded_as_request_violations(mock):
    mock.http.patch(PATCH_URL, json={"status": "cancelled", "reason": "x"}, headers=AUTH)
    [violation] = mock.engine.violations()
    assert violation["kind"] == "request"
    assert violation["problems"][0]["schema_path"] == "additionalProperties"


def test_wrong_content_type_is_415(mock):
    reply = mock.http.patch(
        PATCH_URL, content=b"status=cancelled", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert reply.status_code == 415
    assert reply.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert_untouched(mock)


def test_body_over_one_mebibyte_is_413(mock):
    padding = "x" * (1024 * 1024)
    reply = mock.http.patch(
        PATCH_URL, content=f'{{"status": "cancelled", "notes": "{padding}"}}', headers=JSON
    )
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert_untouched(mock)


def test_huge_declared_length_is_refused_without_reading(mock):
    from mockserver.web.app import READ_LIMIT_BYTES

    reply = mock.http.patch(PATCH_URL, content=b"x" * (READ_LIMIT_BYTES + 10), headers=JSON)
    assert reply.status_code == 413
    assert "over the limit of 1048576 bytes" in reply.json()["error"]["message"]
    [entry] = mock.engine.requests()
    assert (entry["status"], entry["body"]) == (413, None)


@pytest.mark.parametrize(
    "appointment_id",
    ["appt_ünïcødé", "..%2F..%2Fetc%2Fpasswd", "a" * 10_000, "%00", "appt a b", "🙂"],
)
def test_odd_ids_are_404(mock, appointment_id):
    reply = mock.http.patch(
        f"/v1/appointments/{appointment_id}", json={"status": "cancelled"}, headers=AUTH
    )
    assert reply.status_code == 404
    body = reply.json()
    assert body["error"]["code"] == "NOT_FOUND"
    assert len(body["error"]["message"]) < 400
    assert_untouched(mock)


def test_unknown_and_repeated_query_parameters(mock):
    unknown = mock.get("/v1/appointments", colour="blue")
    assert unknown.status_code == 400
    assert "'colour'" in unknown.json()["error"]["message"]
    on_get_one = mock.get(f"/v1/appointments/{SEED_ID}", expand="all")
    assert on_get_one.status_code == 400
    repeated = mock.http.get("/v1/appointments?page=1&page=2", headers=AUTH)
    assert repeated.status_code == 400
    assert "more than once" in repeated.json()["error"]["message"]


def test_bad_query_values(mock):
    for params in ({"date": "15-06-2026"}, {"status": "gone"}, {"page": "0"}, {"session": "Night"}):
        reply = mock.get("/v1/appointments", **params)
        assert reply.status_code == 400, params
        assert f"query.{next(iter(params))}" in reply.json()["error"]["message"]
    assert mock.get("/v1/appointment-slots/availability", date="2026-02-30").status_code == 400


def test_unknown_routes_say_which_exist(mock):
    under_v1 = mock.get("/v1/appointmentz")
    assert under_v1.status_code == 404
    message = under_v1.json()["error"]["message"]
    assert "PATCH /v1/appointments/{appointment_id}" in message
    elsewhere = mock.get("/v2/anything")
    assert elsewhere.status_code == 404
    assert "/v1/" in elsewhere.json()["error"]["message"]


def test_wrong_method_is_405_with_allow(mock):
    reply = mock.http.delete(PATCH_URL, headers=AUTH)
    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET, PATCH"
    assert reply.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert_untouched(mock)


def test_no_client_mistake_answers_500(mock):
    bodies = [b"null", b"1e999", b'{"status": null}', b'{"' + b"k" * 5000 + b'": 1}', b"\x00\x01"]
    for body in bodies:
        reply = mock.http.patch(PATCH_URL, content=body, headers=JSON)
        assert 400 <= reply.status_code < 500, (body, reply.text)
    assert [v for v in mock.engine.violations() if v["kind"] == "response"] == []


LEYR_JSON = {
    "Content-Type": "application/json",
    "x-leyr-client-id": "test-client-id",
    "x-leyr-client-secret": "test-client-secret",
}
LEYR_ONE = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"


def nested(depth: int, kind: str) -> bytes:
    if kind == "object":
        return b'{"status": "cancelled", "x": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [70, 1000, 1030, 10_000])
@pytest.mark.parametrize("kind", ["object", "array"])
def test_deeply_nested_bodies_are_400_everywhere_and_the_journal_still_reads(mock, depth, kind):
    body = nested(depth, kind)
    targets = [
        ("PATCH", PATCH_URL, JSON, 400),
        ("POST", "/v1/appointments", JSON, 400),
        ("PATCH", LEYR_ONE, LEYR_JSON, 400),
        ("PATCH", LEYR_ONE.rsplit("/", 1)[0], LEYR_JSON, 400),
        ("PUT", "/__admin/clock", {}, 400),
        ("PUT", "/__admin/scenario", {}, 400),
        ("POST", "/__admin/reset", {}, 400),
        ("GET", "/v1/appointment-config", {**JSON}, 200),  # a body on a GET is ignored
    ]
    for method, url, headers, status in targets:
        reply = mock.http.request(method, url, content=body, headers=headers)
        assert reply.status_code == status, (method, url, reply.text[:200])
    journal = mock.http.get("/__admin/requests")
    assert journal.status_code == 200
    assert len(journal.json()["requests"]) == 5
    assert_untouched(mock)
    leyr = mock.http.get(LEYR_ONE, headers=LEYR_JSON)
    assert leyr.json()["status"] == "booked"


NOT_INSTANTS = [
    "2026-02-30T10:00:00Z",
    "2027-02-29T10:00:00Z",
    "2026-06-15T24:00:00Z",
    "2026-13-01T00:00:00Z",
    "0000-00-00T00:00:00Z",
    "2026-06-15T09:00:60Z",
    "2026-06-15T09:00:00+99:99",
    "9999-12-31T23:59:00-01:00",
    "0001-01-01T00:00:00+01:00",
    "2026-06-15T09:00Z",  # no seconds
    "2026-06-15T09:00:00",  # no offset
]


@pytest.mark.parametrize("instant", NOT_INSTANTS)
def test_instants_that_are_no_instants_are_400_naming_the_field(mock, instant):
    moved = mock.http.patch(PATCH_URL, json={"appointment_date": instant}, headers=JSON)
    cancelled = mock.cancel(appointment_date=instant)
    booked = mock.http.post(
        "/v1/appointments",
        json={
            "appointment_type": "General Consultation",
            "appointment_date": instant,
            "patient_name": "Meera",
            "parent_phone": "+919800000001",
            "session": "Morning",
        },
        headers=JSON,
    )
    for reply in (moved, cancelled, booked):
        assert reply.status_code == 400, reply.text
        assert reply.json()["error"]["code"] == "VALIDATION_ERROR"
        assert "body.appointment_date" in reply.json()["error"]["message"]
    assert_untouched(mock)


@pytest.mark.parametrize("value", ["not-a-date", "2026-02-30", "2026-6-1"])
def test_search_and_availability_refuse_dates_that_are_not_dates(mock, value):
    for path in ("/v1/appointments", "/v1/appointment-slots/availability"):
        reply = mock.get(path, date=value)
        assert reply.status_code == 400, (path, reply.text)
        assert "query.date" in reply.json()["error"]["message"]


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"start": "2026-02-30T10:00:00+02:00"}, "start"),
        ({"end": "2026-06-15T24:00Z"}, "end"),
        ({"start": "2026-06-15T10:00:00+02:00", "end": "2026-06-15T09:00:00+02:00"}, "end"),
        ({"end": "2026-06-15T08:00:00+02:00"}, "end"),  # before the seeded start
    ],
)
def test_leyr_start_and_end_must_be_instants_in_order(mock, extra, path):
    reply = mock.http.patch(LEYR_ONE, json={"status": "cancelled", **extra}, headers=LEYR_JSON)
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert (body["errors"][0]["error_code"], body["errors"][0]["path"]) == ("BAD_INPUT", path)
    assert mock.http.get(LEYR_ONE, headers=LEYR_JSON).json()["status"] == "booked"


@pytest.mark.parametrize(
    ("url", "body", "headers"),
    [
        (PATCH_URL, b'{"status": "cancelled", "assigned_doctor": "\\ud800"}', JSON),
        (PATCH_URL, b'{"status": "\\ud800"}', JSON),
        (
            "/v1/appointments",
            b'{"appointment_type": "General Consultation", "appointment_date": '
            b'"2026-06-15T03:30:00Z", "patient_name": "\\udfff", "parent_phone": "+91", '
            b'"session": "Morning"}',
            JSON,
        ),
        (LEYR_ONE, b'{"status": "cancelled", "comment": "\\ud800"}', LEYR_JSON),
        (LEYR_ONE, b'{"status": "\\ud800"}', LEYR_JSON),
    ],
)
def test_lone_surrogates_are_400_and_change_nothing(mock, url, body, headers):
    method = "POST" if url == "/v1/appointments" else "PATCH"
    reply = mock.http.request(method, url, content=body, headers=headers)
    assert reply.status_code == 400, reply.text
    assert "surrogate" in reply.text
    assert_untouched(mock)
    assert mock.get("/v1/appointments").json()["pagination"]["total"] == 2
    assert mock.http.get("/__admin/requests").status_code == 200
    assert mock.http.get("/__admin/scenario").status_code == 200
    assert mock.cancel().status_code == 200  # and the mock goes on
