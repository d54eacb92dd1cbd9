"""Leyr through HTTP: auth, problem details, single, bulk and two-step cancellation, reads."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from mockserver import MockServer

CLIENT = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
WEBDOC = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
ANITA = "/api/emrs/anitasystems/care-units/L0_1/appointments"


class Leyr:
    def __init__(self, mock):
        self.mock = mock
        self.http = mock.http

    def patch(self, path, body=None, headers=CLIENT, **kwargs):
        return self.http.patch(path, json=body, headers=headers, **kwargs)

    def cancel(self, base, appointment_id, **extra):
        return self.patch(f"{base}/{appointment_id}", {"status": "cancelled", **extra})

    def confirm(self, base, appointment_id, code):
        return self.patch(f"{base}/{appointment_id}", {"confirmation": {"code": code}})

    def get(self, path, **params):
        return self.http.get(path, params=params, headers=CLIENT)

    def status(self, base, appointment_id):
        return self.get(f"{base}/{appointment_id}").json()["status"]

    def messages(self):
        return self.http.get("/__admin/messages").json()["messages"]

    def code_for(self, new_id):
        return next(m["code"] for m in reversed(self.messages()) if m["new_id"] == new_id)


@pytest.fixture
def leyr_for(mock_for):
    return lambda name: Leyr(mock_for(name))


def assert_problem(reply, status, error_code, *, top=None):
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert set(body) == {"code", "type", "title", "status", "detail", "instance", "errors"}
    assert body["status"] == status
    if top:
        assert body["code"] == top
    assert body["errors"][0]["error_code"] == error_code
    assert body["instance"] == reply.request.url.path
    return body


# Direct EMRs ---------------------------------------------------------------------------------------


def test_direct_cancel_with_comment(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    reply = leyr.cancel(WEBDOC, "1001", comment="Patient is travelling")
    assert reply.status_code == 200
    body = reply.json()
    assert body == {
        "id": "1001",
        "status": "cancelled",
        "care_unit_id": "wd-oslo-1",
        "start": "2026-06-15T09:00:00+02:00",
        "end": "2026-06-15T09:20:00+02:00",
        "patient_id": "patient-1",
        "resource_id": "practitioner-7",
        "healthcare_service_id": "general-consultation",
        "comment": "Patient is travelling",
    }
    assert leyr.get(f"{WEBDOC}/1001").json() == body
    assert leyr.messages() == []
    assert leyr.mock.engine.violations() == []


def test_seed_single_cancel_example_body(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    reply = leyr.patch(f"{WEBDOC}/1001", {"status": "cancelled", "comment": "{comment}"})
    assert reply.json()["comment"] == "{comment}"


def test_optional_fields_are_accepted_and_typed_ids_work(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    reply = leyr.cancel(
        WEBDOC,
        "emr_id:1002",
        start="2026-06-15T10:00:00+02:00",
        end="2026-06-15T10:20:00+02:00",
        resource_id="practitioner-7",
    )
    assert (reply.status_code, reply.json()["id"], reply.json()["status"]) == (
        200,
        "1002",
        "cancelled",
    )
    bad_type = leyr.cancel(WEBDOC, "leyr_id:1002")
    assert_problem(bad_type, 400, "INVALID_APPOINTMENT_ID")


def test_recancel_is_unchanged(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    first = leyr.cancel(WEBDOC, "1001").json()
    again = leyr.cancel(WEBDOC, "1001")
    assert again.status_code == 200
    assert again.json() == first


def test_a_recancel_adds_its_comment_and_a_retry_adds_it_once(leyr_for):
    """ "you can provide comment that will be added to the appointment in the EHR" [doc]: added
    after the comment it has, not in its place; a retried comment is not added twice [mock]."""
    leyr = leyr_for("leyr/direct-cancel")
    leyr.cancel(WEBDOC, "1001", comment="first")
    assert leyr.cancel(WEBDOC, "1001", comment="first").json()["comment"] == "first"
    again = leyr.cancel(WEBDOC, "1001", comment="second", start="2026-06-15T09:05:00+02:00")
    assert again.status_code == 200
    assert again.json()["comment"] == "first\nsecond"
    assert again.json()["start"] == "2026-06-15T09:05:00+02:00"  # applied, not dropped


def test_a_pending_cancellation_carries_the_comments_of_each_cancel(leyr_for):
    leyr = leyr_for("leyr/two-step")
    pending = leyr.cancel(ANITA, "2001", comment="first").json()
    again = leyr.cancel(ANITA, "2001", comment="second").json()
    assert again["id"] == pending["id"] and again["comment"] == "first\nsecond"
    assert len(leyr.messages()) == 1  # no new code
    leyr.confirm(ANITA, pending["id"], leyr.code_for(pending["id"]))
    assert leyr.get(f"{ANITA}/2001").json()["comment"] == "first\nsecond"


def test_pasientsky_is_direct(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    reply = leyr.cancel("/api/emrs/pasientsky/care-units/L0_10/appointments", "3001")
    assert reply.json()["status"] == "cancelled"


def test_reads(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    listed = leyr.get(WEBDOC).json()
    assert [a["id"] for a in listed] == ["1001", "1002"]
    mine = leyr.get(WEBDOC, patient_id="patient-2").json()
    assert [a["id"] for a in mine] == ["1002"]
    leyr.cancel(WEBDOC, "1001")
    assert [a["id"] for a in leyr.get(WEBDOC, status="cancelled").json()] == ["1001"]
    assert_problem(leyr.get(WEBDOC, colour="red"), 400, "BAD_INPUT")


# Auth and scope -------------------------------------------------------------------------------------


def test_unknown_client_is_401_with_the_documented_detail(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    unknown = {"x-leyr-client-id": "nobody", "x-leyr-client-secret": "x"}
    reply = leyr.patch(f"{WEBDOC}/1001", {"status": "cancelled"}, headers=unknown)
    body = assert_problem(reply, 401, "UNAUTHORIZED", top="UNAUTHORIZED")
    assert body["detail"] == "Application with the provided client ID was not found."
    # [mock] No id at all is told apart (tests/test_auth_messages.py), with the same code.
    reply = leyr.patch(f"{WEBDOC}/1001", {"status": "cancelled"}, headers={})
    assert_problem(reply, 401, "UNAUTHORIZED", top="UNAUTHORIZED")
    wrong_secret = {**CLIENT, "x-leyr-client-secret": "nope"}
    assert (
        leyr.patch(f"{WEBDOC}/1001", {"status": "cancelled"}, headers=wrong_secret).status_code
        == 401
    )
    assert leyr.status(WEBDOC, "1001") == "booked"


def test_forbidden_scenario(leyr_for):
    leyr = leyr_for("leyr/forbidden")
    webdoc_only = {
        "x-leyr-client-id": "webdoc-only-client",
        "x-leyr-client-secret": "webdoc-only-secret",
    }
    bodo = {"x-leyr-client-id": "bodo-client", "x-leyr-client-secret": "bodo-secret"}
    denied = leyr.patch(f"{ANITA}/2001", {"status": "cancelled"}, headers=webdoc_only)
    assert_problem(denied, 403, "FORBIDDEN", top="FORBIDDEN")
    assert (
        leyr.patch(f"{WEBDOC}/1001", {"status": "cancelled"}, headers=webdoc_only).status_code
        == 200
    )
    assert leyr.patch(f"{ANITA}/2001", {"status": "cancelled"}, headers=bodo).status_code == 403
    allowed = leyr.patch(
        "/api/emrs/anitasystems/care-units/L0_2/appointments/2101",
        {"status": "cancelled"},
        headers=bodo,
    )
    assert allowed.json()["status"] == "awaiting_confirmation"
    assert leyr.http.get(f"{ANITA}/2001", headers=bodo).status_code == 403


# Not found -------------------------------------------------------------------------------------------


def test_not_found_scenario(leyr_for):
    leyr = leyr_for("leyr/not-found")
    assert_problem(leyr.cancel(WEBDOC, "9999"), 404, "INVALID_APPOINTMENT_ID", top="NOT_FOUND")
    assert_problem(leyr.cancel(WEBDOC, "1101"), 404, "INVALID_APPOINTMENT_ID")
    assert (
        leyr.cancel("/api/emrs/webdoc/care-units/wd-bergen-1/appointments", "1101").status_code
        == 200
    )
    unit = leyr.cancel("/api/emrs/webdoc/care-units/nowhere/appointments", "1001")
    assert_problem(unit, 404, "INVALID_CARE_UNIT_ID")
    emr = leyr.cancel("/api/emrs/acme/care-units/wd-oslo-1/appointments", "1001")
    assert "EMR 'acme'" in assert_problem(emr, 404, "INVALID_CARE_UNIT_ID")["detail"]
    bulk = leyr.patch(WEBDOC, {"ids": ["1001", "9999", "8888"], "status": "cancelled"})
    body = assert_problem(bulk, 404, "INVALID_APPOINTMENT_ID")
    assert [e["path"] for e in body["errors"]] == ["ids[1]", "ids[2]"]
    assert leyr.status(WEBDOC, "1001") == "booked"


# Two-step -------------------------------------------------------------------------------------------


def test_two_step_full_flow_read_from_the_outbox(leyr_for):
    leyr = leyr_for("leyr/two-step")
    step_one = leyr.cancel(ANITA, "2001")
    assert step_one.status_code == 200
    pending = step_one.json()
    assert pending["status"] == "awaiting_confirmation"
    new_id = pending["id"]
    assert new_id != "2001"
    [message] = leyr.messages()
    assert message["channel"] == "sms"
    assert message["recipient"] == "+4791234567"
    assert (message["original_id"], message["new_id"]) == ("2001", new_id)
    assert len(message["code"]) == 6 and message["code"].isdigit()
    assert message["sent_at"] == "2026-06-01T08:00:00.000Z"
    assert leyr.status(ANITA, "2001") == "booked"
    assert leyr.status(ANITA, new_id) == "awaiting_confirmation"
    step_two = leyr.confirm(ANITA, new_id, message["code"])
    assert step_two.status_code == 200
    assert step_two.json() == {**pending, "status": "cancelled"}
    assert leyr.status(ANITA, "2001") == "cancelled"
    again = leyr.confirm(ANITA, new_id, message["code"])
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")
    assert leyr.cancel(ANITA, "2001").json()["status"] == "cancelled"
    assert len(leyr.messages()) == 1
    assert leyr.mock.engine.violations() == []


def test_codes_and_ids_are_the_same_every_run(leyr_for):
    first = leyr_for("leyr/two-step")
    first.cancel(ANITA, "2001")
    second = leyr_for("leyr/two-step")
    second.cancel(ANITA, "2001")
    assert first.messages() == second.messages()


def test_code_sent_to_the_original_id(leyr_for):
    leyr = leyr_for("leyr/two-step")
    new_id = leyr.cancel(ANITA, "2001").json()["id"]
    code = leyr.code_for(new_id)
    wrong_id = leyr.confirm(ANITA, "2001", code)
    body = assert_problem(wrong_id, 400, "INVALID_APPOINTMENT_ID")
    assert new_id in body["detail"]
    assert leyr.status(ANITA, "2001") == "booked"
    never_pending = leyr.confirm(ANITA, "2002", code)
    assert (
        "no cancellation" in assert_problem(never_pending, 400, "INVALID_APPOINTMENT_ID")["detail"]
    )


def test_a_code_sent_to_the_original_id_breaks_the_contract(leyr_for):
    """The page: "You must use this new id — not the original one — when submitting the
    confirmation code in step 2". The mock knows the new id, so a client that confirms on the
    original one is told so as a violation, not only by a 400 it may swallow."""
    leyr = leyr_for("leyr/two-step")
    new_id = leyr.cancel(ANITA, "2001").json()["id"]
    leyr.confirm(ANITA, "2002", "123456")  # nothing pending there: a run-time condition only
    assert leyr.http.get("/__admin/violations").json()["violations"] == []
    assert_problem(
        leyr.confirm(ANITA, "2001", leyr.code_for(new_id)), 400, "INVALID_APPOINTMENT_ID"
    )
    [violation] = leyr.http.get("/__admin/violations").json()["violations"]
    assert (violation["kind"], violation["path"], violation["status"]) == (
        "request",
        f"{ANITA}/2001",
        400,
    )
    [problem] = violation["problems"]
    assert problem["message"] == (
        f"a confirmation sent to the original id '2001'; the page says to use the new id "
        f"{new_id!r} from the awaiting_confirmation response"
    )
    assert leyr.status(ANITA, "2001") == "booked"


def test_recancel_while_pending_returns_the_same_record_and_sends_nothing(leyr_for):
    leyr = leyr_for("leyr/two-step")
    first = leyr.cancel(ANITA, "2001").json()
    again = leyr.cancel(ANITA, "2001")
    assert again.json() == first
    on_new_id = leyr.cancel(ANITA, first["id"])
    assert on_new_id.json() == first
    assert len(leyr.messages()) == 1


def test_wrong_code_scenario_counts_attempts_then_voids(leyr_for):
    leyr = leyr_for("leyr/two-step-wrong-code")
    new_id = leyr.cancel(ANITA, "2001").json()["id"]
    assert leyr.code_for(new_id) == "482913"
    first = assert_problem(leyr.confirm(ANITA, new_id, "000000"), 400, "INVALID_CONFIRMATION_CODE")
    assert "2 attempts left" in first["detail"]
    second = assert_problem(leyr.confirm(ANITA, new_id, "111111"), 400, "INVALID_CONFIRMATION_CODE")
    assert "1 attempt left" in second["detail"]
    assert_problem(leyr.confirm(ANITA, new_id, "222222"), 400, "CONFIRMATION_ATTEMPTS_EXCEEDED")
    assert_problem(leyr.confirm(ANITA, new_id, "482913"), 400, "CONFIRMATION_ATTEMPTS_EXCEEDED")
    assert leyr.status(ANITA, "2001") == "booked"
    assert leyr.get(f"{ANITA}/{new_id}").status_code == 404
    fresh = leyr.cancel(ANITA, "2001").json()
    assert fresh["id"] not in {new_id, "2001"}
    assert len(leyr.messages()) == 2
    assert leyr.confirm(ANITA, fresh["id"], "482913").json()["status"] == "cancelled"


def test_expired_scenario(leyr_for):
    leyr = leyr_for("leyr/two-step-expired")
    new_id = leyr.cancel(ANITA, "2001").json()["id"]
    code = leyr.code_for(new_id)
    leyr.http.put("/__admin/clock", json={"advance_seconds": 601})
    assert_problem(leyr.confirm(ANITA, new_id, code), 400, "CONFIRMATION_CODE_EXPIRED")
    assert leyr.status(ANITA, "2001") == "booked"


def test_code_still_valid_at_exactly_ten_minutes(leyr_for):
    leyr = leyr_for("leyr/two-step-expired")
    new_id = leyr.cancel(ANITA, "2001").json()["id"]
    leyr.http.put("/__admin/clock", json={"advance_seconds": 600, "provider": "leyr"})
    assert leyr.confirm(ANITA, new_id, leyr.code_for(new_id)).status_code == 200


@contextmanager
def over_sockets(leyr):
    """The same engine behind a real uvicorn, and a client that can send in parallel."""
    with (
        MockServer(leyr.mock.engine) as server,
        httpx.Client(base_url=server.base_url, headers=CLIENT) as client,
    ):
        yield client


def test_concurrent_right_codes_cancel_once(leyr_for):
    leyr = leyr_for("leyr/two-step")
    with over_sockets(leyr) as client:
        new_id = client.patch(f"{ANITA}/2001", json={"status": "cancelled"}).json()["id"]
        code = leyr.code_for(new_id)

        def confirm(_):
            return client.patch(f"{ANITA}/{new_id}", json={"confirmation": {"code": code}}).json()[
                "status"
            ]

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(confirm, range(16))) == {"cancelled"}
    assert leyr.status(ANITA, "2001") == "cancelled"


def test_concurrent_wrong_codes_never_allow_more_than_three_attempts(leyr_for):
    leyr = leyr_for("leyr/two-step-wrong-code")
    with over_sockets(leyr) as client:
        new_id = client.patch(f"{ANITA}/2001", json={"status": "cancelled"}).json()["id"]

        def confirm(index):
            reply = client.patch(
                f"{ANITA}/{new_id}", json={"confirmation": {"code": f"{index:06d}"}}
            )
            return reply.json()["errors"][0]["error_code"]

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(confirm, range(20)))
    assert codes.count("INVALID_CONFIRMATION_CODE") == 2
    assert codes.count("CONFIRMATION_ATTEMPTS_EXCEEDED") == 18
    assert leyr.confirm(ANITA, new_id, "482913").status_code == 400


# Bulk -------------------------------------------------------------------------------------------------


def test_bulk_on_a_direct_emr(leyr_for):
    leyr = leyr_for("leyr/bulk-cancel")
    reply = leyr.patch(
        WEBDOC, {"ids": ["1002", "1001"], "status": "cancelled", "comment": "clinic closed"}
    )
    assert reply.status_code == 200
    assert [(a["id"], a["status"], a["comment"]) for a in reply.json()] == [
        ("1002", "cancelled", "clinic closed"),
        ("1001", "cancelled", "clinic closed"),
    ]


def test_seed_bulk_example_shape(leyr_for):
    leyr = leyr_for("leyr/bulk-cancel")
    reply = leyr.patch(
        WEBDOC, {"ids": ["1001", "1002"], "status": "cancelled", "comment": "{comment}"}
    )
    assert reply.status_code == 200


def test_bulk_keeps_two_step_per_ehr_in_order(leyr_for):
    leyr = leyr_for("leyr/bulk-cancel")
    results = leyr.patch(ANITA, {"ids": ["2001", "2002", "2003"], "status": "cancelled"}).json()
    assert [r["status"] for r in results] == ["awaiting_confirmation"] * 3
    new_ids = [r["id"] for r in results]
    assert len(set(new_ids) | {"2001", "2002", "2003"}) == 6
    messages = leyr.messages()
    assert [(m["original_id"], m["new_id"]) for m in messages] == list(
        zip(["2001", "2002", "2003"], new_ids, strict=True)
    )
    assert len({m["code"] for m in messages}) == 3
    direct = leyr.patch(WEBDOC, {"ids": ["1001", "1002"], "status": "cancelled"}).json()
    assert [r["status"] for r in direct] == ["cancelled", "cancelled"]
    for new_id in new_ids:
        assert leyr.confirm(ANITA, new_id, leyr.code_for(new_id)).json()["status"] == "cancelled"
    assert {leyr.status(ANITA, i) for i in ("2001", "2002", "2003")} == {"cancelled"}


@pytest.mark.parametrize(
    ("ids", "error_code"),
    [
        ([], "BAD_INPUT"),
        (["1001", "1001"], "BAD_INPUT"),
        (["1001", "emr_id:1001"], "BAD_INPUT"),
        ([str(n) for n in range(51)], "MAX_ITEMS_EXCEEDED"),
        ("1001", "BAD_INPUT"),
        ([1001], "BAD_INPUT"),
    ],
)
def test_bulk_bad_ids(leyr_for, ids, error_code):
    leyr = leyr_for("leyr/bulk-cancel")
    body = assert_problem(leyr.patch(WEBDOC, {"ids": ids, "status": "cancelled"}), 400, error_code)
    assert body["errors"][0]["path"].startswith("ids")
    assert leyr.status(WEBDOC, "1001") == "booked"


@pytest.mark.parametrize("ids", [["1001", "1001"], ["1001", "emr_id:1001"]])
def test_an_id_repeated_in_a_bulk_breaks_the_contract_in_either_form(leyr_for, ids):
    """`emr_id:1001` is `1001` [doc]: sent beside it, the same appointment is named twice, as
    when the same string repeats (the schema's `uniqueItems`), and is a violation alike."""
    leyr = leyr_for("leyr/bulk-cancel")
    assert_problem(leyr.patch(WEBDOC, {"ids": ids, "status": "cancelled"}), 400, "BAD_INPUT")
    [violation] = leyr.http.get("/__admin/violations").json()["violations"]
    [problem] = violation["problems"]
    assert violation["kind"] == "request"
    said = f"{problem['location']}: {problem['message']}"
    assert re.search(r"ids.*[\"']1001[\"'].*(unique|twice)", said), said


def test_bulk_unknown_id_changes_nothing_and_sends_no_code(leyr_for):
    leyr = leyr_for("leyr/bulk-cancel")
    reply = leyr.patch(ANITA, {"ids": ["2001", "nope"], "status": "cancelled"})
    assert_problem(reply, 404, "INVALID_APPOINTMENT_ID")
    assert leyr.status(ANITA, "2001") == "booked"
    assert leyr.messages() == []


# Bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error_code", "path"),
    [
        ({}, "MISSING_REQUIRED_FIELD", "status"),
        ({"comment": "x"}, "MISSING_REQUIRED_FIELD", "status"),
        ({"status": "cancelled", "confirmation": {"code": "123456"}}, "BAD_INPUT", "confirmation"),
        ({"confirmation": {}}, "MISSING_REQUIRED_FIELD", "confirmation.code"),
        ({"confirmation": {"code": 123456}}, "BAD_INPUT", "confirmation.code"),
        ({"confirmation": {"code": "12345"}}, "BAD_INPUT", "confirmation.code"),
        ({"confirmation": {"code": "1234567"}}, "BAD_INPUT", "confirmation.code"),
        ({"confirmation": {"code": "123456"}, "comment": "x"}, "BAD_INPUT", "comment"),
        ({"status": "booked"}, "BAD_INPUT", "status"),
        ({"status": True}, "BAD_INPUT", "status"),
        ({"status": None}, "BAD_INPUT", "status"),
        ({"status": "cancelled", "comment": "x" * 1001}, "INVALID_COMMENT_LENGTH", "comment"),
        ({"status": "cancelled", "comment": 5}, "BAD_INPUT", "comment"),
        ({"status": "cancelled", "colour": "red"}, "BAD_INPUT", "colour"),
        ({"status": "cancelled", "start": "tomorrow"}, "BAD_INPUT", "start"),
    ],
)
def test_single_bad_bodies(leyr_for, body, error_code, path):
    leyr = leyr_for("leyr/two-step")
    reply = leyr.patch(f"{ANITA}/2001", body)
    problem = assert_problem(reply, 400, error_code, top="BAD_REQUEST")
    assert problem["errors"][0]["path"] == path
    assert leyr.status(ANITA, "2001") == "booked"
    assert leyr.messages() == []


def test_comment_of_exactly_1000_characters_is_fine(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    assert leyr.cancel(WEBDOC, "1001", comment="x" * 1000).status_code == 200


@pytest.mark.parametrize(
    ("content", "content_type", "status", "error_code"),
    [
        (b'{"status": ', "application/json", 400, "BAD_INPUT"),
        (b"", "application/json", 400, "BAD_INPUT"),
        (b"[]", "application/json", 400, "BAD_INPUT"),
        (b"status=cancelled", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (
            b'{"status": "cancelled", "comment": "' + b"x" * (1024 * 1024) + b'"}',
            "application/json",
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ],
)
def test_malformed_bodies(leyr_for, content, content_type, status, error_code):
    leyr = leyr_for("leyr/direct-cancel")
    reply = leyr.http.patch(
        f"{WEBDOC}/1001", content=content, headers={**CLIENT, "content-type": content_type}
    )
    assert_problem(reply, status, error_code)
    assert leyr.status(WEBDOC, "1001") == "booked"


def test_unknown_route_and_method(leyr_for):
    leyr = leyr_for("leyr/direct-cancel")
    route = leyr.http.get("/api/emrs/webdoc/patients", headers=CLIENT)
    assert_problem(route, 404, "NOT_FOUND", top="NOT_FOUND")
    assert "PATCH /api/emrs/{emr}/care-units/{care_unit_id}/appointments" in route.json()["detail"]
    assert_problem(leyr.http.delete(f"{WEBDOC}/1001", headers=CLIENT), 405, "METHOD_NOT_ALLOWED")


def test_loading_leyr_leaves_huskyvoice_alone(mock_for):
    mock = mock_for("huskyvoice/direct-cancel")
    mock.cancel()
    mock.http.put("/__admin/scenario", json={"name": "leyr/two-step"})
    assert mock.appointment()["status"] == "cancelled"
    active = mock.http.get("/__admin/scenario").json()
    assert active["leyr"]["name"] == "leyr/two-step"
    seeded = active["leyr"]["seeded"]
    assert seeded["clients"][0]["client_id"] == "test-client-id"
    assert {e["id"] for e in seeded["emrs"]} == {"anitasystems"}
    assert "2001" in [a["id"] for a in seeded["appointments"]]


def test_openapi_for_leyr(mock):
    from openapi_spec_validator import validate

    document = mock.http.get("/__admin/openapi/leyr").json()
    validate(document)
    bulk = document["paths"]["/api/emrs/{emr}/care-units/{care_unit_id}/appointments"]["patch"]
    assert "application/problem+json" in bulk["responses"]["400"]["content"]


def test_bulk_checks_the_comment_before_cancelling_anything(leyr_for):
    leyr = leyr_for("leyr/bulk-cancel")
    reply = leyr.patch(
        WEBDOC, {"ids": ["1001", "1002"], "status": "cancelled", "comment": "x" * 1001}
    )
    body = assert_problem(reply, 400, "INVALID_COMMENT_LENGTH", top="BAD_REQUEST")
    assert body["errors"][0]["path"] == "comment"
    assert {leyr.status(WEBDOC, i) for i in ("1001", "1002")} == {"booked"}


def test_a_pending_cancellation_changes_nothing_on_the_original_until_confirmed(leyr_for):
    leyr = leyr_for("leyr/two-step")
    before = leyr.get(f"{ANITA}/2001").json()
    pending = leyr.cancel(
        ANITA, "2001", comment="travelling", end="2026-06-15T09:45:00+02:00"
    ).json()
    assert (pending["status"], pending["comment"]) == ("awaiting_confirmation", "travelling")
    assert leyr.get(f"{ANITA}/2001").json() == before  # still booked, as it was
    leyr.confirm(ANITA, pending["id"], leyr.code_for(pending["id"]))
    after = leyr.get(f"{ANITA}/2001").json()
    assert (after["status"], after["comment"], after["end"]) == (
        "cancelled",
        "travelling",
        "2026-06-15T09:45:00+02:00",
    )
    listed = {a["id"]: a for a in leyr.get(ANITA).json()}
    assert listed["2001"] == after  # the list and GET one agree
    assert listed[pending["id"]]["status"] == "cancelled"


def test_a_voided_cancellation_leaves_the_original_exactly_as_it_was(leyr_for):
    leyr = leyr_for("leyr/two-step-wrong-code")
    before = leyr.get(f"{ANITA}/2001").json()
    pending = leyr.cancel(ANITA, "2001", comment="never mind").json()
    for code in ("000000", "000001", "000002"):
        leyr.confirm(ANITA, pending["id"], code)
    assert leyr.get(f"{ANITA}/2001").json() == before
