"""Leyr's single-appointment PATCH body is one of two shapes, a cancellation or a two-step
confirmation, and the schema says so with a `oneOf` (exported as two components), so the
refusal of a body holding both comes from the contract, not from a hidden rule. HuskyVoice's
PATCH body is no either/or: any of its fields may ride along a cancellation."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import in_process_client
from mockserver import MockEngine
from openapi_judge import judge, request_problems

LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
ANITA = "/api/emrs/anitasystems/care-units/L0_1/appointments"
BOTH = {"status": "cancelled", "confirmation": {"code": "123456"}}


def leyr_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = MockEngine().openapi("leyr")["components"]["schemas"]
    return schemas


def test_the_export_offers_two_bodies_and_no_discriminator():
    schemas = leyr_schemas()
    body = schemas["UpdateAppointmentRequest"]
    assert body["oneOf"] == [
        {"$ref": "#/components/schemas/UpdateAppointmentRequestCancel"},
        {"$ref": "#/components/schemas/UpdateAppointmentRequestConfirm"},
    ]
    # A discriminator needs a property every branch requires; a confirmation has no status.
    assert "discriminator" not in body
    cancel = schemas["UpdateAppointmentRequestCancel"]
    confirm = schemas["UpdateAppointmentRequestConfirm"]
    assert cancel["required"] == ["status"] and confirm["required"] == ["confirmation"]
    assert set(cancel["properties"]) == {"status", "comment", "start", "end", "resource_id"}
    assert set(confirm["properties"]) == {"confirmation"}
    assert cancel["additionalProperties"] is False and confirm["additionalProperties"] is False


def exchange(body: dict[str, Any]) -> tuple[MockEngine, Any]:
    engine = MockEngine(["leyr/two-step"], journal_secrets=True)
    with in_process_client(engine) as client:
        reply = client.patch(f"{ANITA}/2001", json=body, headers=LEYR)
        assert client.get(f"{ANITA}/2001", headers=LEYR).json()["status"] in {
            "booked",
            "cancelled",
        }
    return engine, reply


@pytest.mark.parametrize(
    ("body", "path", "form"),
    [
        (BOTH, "confirmation", "read as a cancellation; or send a confirmation"),
        ({"confirmation": {"code": "123456"}, "comment": "x"}, "comment", "read as a confirmation"),
        ({}, "status", "read as a cancellation; or send a confirmation"),
        ({"comment": "x"}, "status", "read as a cancellation"),
        ({"confirmation": {}}, "confirmation.code", "read as a confirmation; or send a cancel"),
    ],
)
def test_a_body_of_neither_shape_is_refused_by_the_contract(body, path, form):
    engine, reply = exchange(body)
    assert reply.status_code == 400, reply.text
    problem = reply.json()
    assert problem["errors"][0]["path"] == path
    assert form in problem["detail"]
    assert engine.messages() == []  # no code was sent
    [violation] = engine.violations()
    assert violation["problems"][0]["schema_path"].startswith("oneOf/")
    # The independent judge reads the exported document the same way.
    assert request_problems(judge(engine, "leyr"), engine.requests()[0]) != []


@pytest.mark.parametrize(
    "body",
    [{"status": "cancelled", "comment": "{comment}"}, {"confirmation": {"code": "123456"}}],
)
def test_the_pages_two_bodies_each_match_one_shape(body):
    engine, _ = exchange(body)
    assert request_problems(judge(engine, "leyr"), engine.requests()[0]) == []
    assert engine.violations() == []


def test_huskyvoice_patch_is_one_shape_with_fields_riding_along():
    schemas = MockEngine().openapi("huskyvoice")["components"]["schemas"]
    body = schemas["UpdateAppointmentRequest"]
    assert "oneOf" not in body and body["minProperties"] == 1
    assert {"status", "notes", "session"} <= set(body["properties"])
