"""A request no documented operation has is answered as before and recorded as a violation."""

from __future__ import annotations

import pytest

from conftest import AUTH, SEED_ID

HV_JSON = {**AUTH, "Content-Type": "application/json"}
LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "says"),
    [
        (
            "PATCH",
            "/v1/appointment/appt_a1b2c3d4e5",
            HV_JSON,
            b'{"status": "cancelled"}',
            404,
            "no operation PATCH /v1/appointment/appt_a1b2c3d4e5; did you mean PATCH /v1/appointments/{appointment_id}?",
        ),
        (
            "DELETE",
            f"/v1/appointments/{SEED_ID}",
            AUTH,
            b"",
            405,
            f"no operation DELETE /v1/appointments/{SEED_ID}; the path has GET, PATCH",
        ),
        (
            "PATCH",
            f"/v1/appointments/{SEED_ID}",
            {**AUTH, "Content-Type": "text/plain"},
            b'{"status": "cancelled"}',
            415,
            "the body was sent as 'text/plain'; PATCH /v1/appointments/{appointment_id} takes application/json",
        ),
        (
            "PATCH",
            f"/v1/appointments/{SEED_ID}",
            AUTH,
            b'{"status": "cancelled"}',
            415,
            "the body was sent with no Content-Type; PATCH /v1/appointments/{appointment_id} takes application/json",
        ),
        (
            "PATCH",
            f"/v1/appointments/{SEED_ID}",
            HV_JSON,
            b'{"status": ',
            400,
            "the body is not JSON",
        ),
        ("PATCH", f"/v1/appointments/{SEED_ID}", HV_JSON, b"", 400, "takes a JSON body; none came"),
        (
            "PATCH",
            f"/v1/appointments/{SEED_ID}",
            HV_JSON,
            b'{"status": "confirmed", "status": "cancelled"}',
            400,
            "the body names 'status' twice in one object",
        ),
        (
            "PATCH",
            "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001",
            {**LEYR, "Content-Type": "application/json"},
            b'{"confirmation": {"code": "123456", "code": "654321"}}',
            400,
            "the body names 'code' twice in one object",
        ),
        (
            "PATCH",
            f"/v1/appointments/{SEED_ID}",
            HV_JSON,
            b'\xef\xbb\xbf{"status": "cancelled"}',
            400,
            "the body starts with a byte order mark",
        ),
        (
            "PATCH",
            f"/v1/appointments/{SEED_ID}",
            HV_JSON,
            '{"status": "cancelled"}'.encode("utf-16-le"),
            400,
            "the body is not UTF-8",
        ),
        (
            "GET",
            "/api/emrs/webdoc/care-unit/wd-oslo-1/appointments",
            LEYR,
            b"",
            404,
            "did you mean GET /api/emrs/{emr}/care-units/{care_unit_id}/appointments?",
        ),
    ],
    ids=[
        "route",
        "method",
        "content-type",
        "no-content-type",
        "malformed",
        "empty",
        "repeated-member",
        "leyr-repeated-member",
        "byte-order-mark",
        "utf-16",
        "leyr-route",
    ],
)
def test_off_contract_requests_are_violations(mock, method, path, headers, body, status, says):
    reply = mock.http.request(method, path, content=body, headers=headers)
    assert reply.status_code == status
    [violation] = mock.engine.violations()
    assert violation["kind"] == "request"
    [problem] = violation["problems"]
    assert says in problem["message"], problem
    assert problem["schema_path"] == "off-contract"


def test_a_member_name_in_two_different_objects_is_not_named_twice(mock):
    body = b'{"status": "cancelled", "notes": {"status": "x"}}'
    reply = mock.http.patch(f"/v1/appointments/{SEED_ID}", content=body, headers=HV_JSON)
    assert reply.status_code == 400
    [violation] = mock.engine.violations()
    assert [p["location"] for p in violation["problems"]] == ["body.notes"], violation
    assert "twice" not in str(violation["problems"])


def test_a_documented_not_found_is_no_violation(mock):
    assert mock.cancel("appt_ffffffffff").status_code == 404
    assert mock.engine.violations() == []


def test_a_scenario_may_serve_an_off_contract_route_on_purpose(tmp_path):
    from conftest import in_process_client, write_scenario
    from mockserver import MockEngine

    write_scenario(
        tmp_path,
        "huskyvoice",
        "legacy",
        "extends: huskyvoice/direct-cancel\n"
        "description: a legacy route the client still calls\n"
        "interactions:\n"
        "  - match: {method: POST, path: /v1/appointments/cancel}\n"
        "    respond: {status: 200, body: {ok: true}}\n"
        "    violates_contract: true\n"
        "  - match: {method: DELETE, path: '/v1/appointments/{appointment_id}'}\n"
        "    respond: {passthrough: true}\n"
        "    violates_contract: true\n",
    )
    engine = MockEngine(["huskyvoice/legacy"], [tmp_path])
    with in_process_client(engine) as http:
        assert http.post("/v1/appointments/cancel", json={}, headers=AUTH).json() == {"ok": True}
        assert http.delete(f"/v1/appointments/{SEED_ID}", headers=AUTH).status_code == 405
    assert engine.violations() == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"status": "cancelled"}', None),
        (b'[{"a": 1}, {"a": 2}]', None),
        (b'{"a": {"b": 1}, "b": {"a": 2}}', None),
        (b'{"a": 1, "\\u0061": 2}', "names 'a' twice"),  # the same name once unescaped
        (b'[{"x": [{"deep": 1, "deep": 2}]}]', "names 'deep' twice"),
        (b'{"notes": "' + b"x" * (1 << 20) + b'", "notes": ""}', "names 'notes' twice"),
        (b'\xef\xbb\xbf{"a": 1}', "byte order mark"),
        ('{"a": 1}'.encode("utf-32"), "not UTF-8"),
        ("{}".encode("utf-16-be"), "not UTF-8"),
        (b'{"at": "10:00", "at": "11:00"}', "names 'at' twice"),  # colons in strings too
        (b'{"at": "10:00:00", "to": "11:00"}', None),
        (b'{"a": {"b": 1, "b": 2}, "c": "x:y"}', "names 'b' twice"),
        (b'{"a": 1, "b": [{"c": 2}, {"c": 3, "c": 4}]}', "names 'c' twice"),
    ],
)
def test_how_a_parsed_json_body_breaks_rfc_8259_as_sent(body, says):
    from mockserver.core.exchange import NOT_JSON, loads, sent_json_problem

    try:
        parsed = loads(body)
    except ValueError:
        parsed = NOT_JSON
    for found in (sent_json_problem(body), sent_json_problem(body, parsed)):
        assert found is None if says is None else (found is not None and says in found), found


@pytest.mark.parametrize(
    "body",
    [
        b'{"status": "cancelled"}',
        b'{"confirmation": {"code": "123456"}}',
        b'{"ids": ["1001", "1002", "1003"], "status": "cancelled"}',
    ],
)
def test_a_usual_body_is_not_parsed_again_for_repeated_names(body, monkeypatch):
    from mockserver.core import exchange

    parsed = exchange.loads(body)

    def parsed_again(*args: object, **kwargs: object) -> object:
        raise AssertionError("parsed a second time")

    monkeypatch.setattr(exchange.json, "loads", parsed_again)
    assert exchange.sent_json_problem(body, parsed) is None
