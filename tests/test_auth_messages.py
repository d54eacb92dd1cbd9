"""A credential left out reads differently from a wrong one, for both providers: the fix differs
(send the header, or send the right value)."""

from __future__ import annotations

import pytest

from conftest import in_process_client
from mockserver import MockEngine

LEYR = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"
ID = {"x-leyr-client-id": "test-client-id"}
SECRET = {"x-leyr-client-secret": "test-client-secret"}


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "The x-leyr-client-id header is missing; send the client's id in it."),
        (SECRET, "The x-leyr-client-id header is missing; send the client's id in it."),
        (
            {"x-leyr-client-id": "", **SECRET},
            "The x-leyr-client-id header is missing; send the client's id in it.",
        ),
        (
            {"x-leyr-client-id": "nobody", **SECRET},
            "Application with the provided client ID was not found.",
        ),
        (ID, "The x-leyr-client-secret header is missing; send the client's secret in it."),
        (
            {**ID, "x-leyr-client-secret": ""},
            "The x-leyr-client-secret header is missing; send the client's secret in it.",
        ),
        (
            {**ID, "x-leyr-client-secret": "wrong"},
            "The client secret does not match the client ID.",
        ),
    ],
)
def test_leyr_missing_and_wrong_credentials_read_differently(headers, detail):
    with in_process_client(MockEngine()) as client:
        reply = client.get(LEYR, headers=headers)
    assert reply.status_code == 401
    assert reply.json()["detail"] == detail
    assert reply.json()["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "The Authorization header is missing; send `Authorization: Bearer <key>`"),
        (
            {"Authorization": "  "},
            "The Authorization header is missing; send `Authorization: Bearer <key>`",
        ),
        (
            {"Authorization": "YOUR_API_KEY"},
            "The Authorization header is not a Bearer key; send `Authorization: Bearer <key>`",
        ),
        (
            {"Authorization": "Basic abc"},
            "The Authorization header is not a Bearer key; send `Authorization: Bearer <key>`",
        ),
        ({"Authorization": "Bearer nope"}, "Invalid API key"),
    ],
)
def test_huskyvoice_missing_malformed_and_unknown_keys_read_differently(headers, message):
    with in_process_client(MockEngine()) as client:
        reply = client.get("/v1/appointments/appt_a1b2c3d4e5", headers=headers)
    assert reply.status_code == 401
    assert reply.json()["error"] == {"code": "UNAUTHORIZED", "message": message}
