"""Stubs are checked as strictly as scenario files: headers HTTP can carry, a body where the
operation's schema needs one, names that can be deleted again. Refused when added (a 400 that
names the field, nothing added), never a 500 or a dropped connection once a request comes."""

from __future__ import annotations

import pytest

from conftest import AUTH, SEED_ID

UNAVAILABLE = {"success": False, "error": {"code": "SERVICE_UNAVAILABLE", "message": "x"}}
BASE = {
    "name": "stub",
    "provider": "huskyvoice",
    "match": {"method": "GET", "path": "/v1/appointments/{appointment_id}"},
}


def added(mock) -> list[dict]:
    return [i for i in mock.http.get("/__admin/interactions").json()["interactions"] if i["added"]]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"X-Snow": "☃"}, "headers.X-Snow: a header value is latin-1 text"),
        ({"Bad Name": "v"}, "is not a header name"),
        ({"X-Split\r\nX-Evil": "v"}, "is not a header name"),
        ({"X-A": "a\r\nX-Evil: b"}, "headers.X-A: a header value is one line"),
        ({"Content-Length": "1"}, "Content-Length frames the message"),
        ({"Transfer-Encoding": "chunked"}, "Transfer-Encoding frames the message"),
    ],
    ids=["not-latin-1", "space", "crlf-name", "crlf-value", "content-length", "transfer-encoding"],
)
def test_stub_headers_http_cannot_carry_are_a_400(mock, headers, reason):
    stub = {**BASE, "respond": {"status": 503, "headers": headers, "body": UNAVAILABLE}}
    reply = mock.http.post("/__admin/interactions", json=stub)
    assert reply.status_code == 400, reply.text[:300]
    assert reason in reply.text
    assert added(mock) == []
    assert mock.http.get(f"/v1/appointments/{SEED_ID}", headers=AUTH).status_code == 200


def test_a_stub_without_the_body_its_schema_needs_is_a_400(mock):
    reply = mock.http.post("/__admin/interactions", json={**BASE, "respond": {"status": 503}})
    assert reply.status_code == 400
    assert "huskyvoice/error needs a body for status 503" in reply.text
    assert added(mock) == []


def test_a_header_value_rendered_from_the_request_with_a_line_break_is_the_stubs_fault(mock):
    stub = {
        **BASE,
        "name": "echo",
        "respond": {"status": 503, "headers": {"X-Echo": "{{query.x}}"}, "body": UNAVAILABLE},
    }
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    reply = mock.http.get(f"/v1/appointments/{SEED_ID}?x=a%0D%0AX-Evil:%20b", headers=AUTH)
    assert reply.status_code == 500
    assert "x-evil" not in reply.headers
    assert "the interaction 'echo': header X-Echo" in reply.text
    assert (
        mock.http.get(f"/v1/appointments/{SEED_ID}?x=fine", headers=AUTH).headers["x-echo"]
        == "fine"
    )


def test_a_stub_named_with_a_slash_is_deletable_by_its_encoded_name(mock):
    stub = {**BASE, "name": "a/b", "respond": {"status": 503, "body": UNAVAILABLE}}
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    assert mock.http.delete("/__admin/interactions/a%2Fb").status_code == 204
    assert added(mock) == []


@pytest.mark.parametrize("name", ["x\ny", "\x00", "x" * 201])
def test_stub_names_with_control_characters_or_too_long_are_a_400(mock, name):
    stub = {**BASE, "name": name, "respond": {"status": 503, "body": UNAVAILABLE}}
    reply = mock.http.post("/__admin/interactions", json=stub)
    assert reply.status_code == 400
    assert "name" in reply.text
    assert added(mock) == []
