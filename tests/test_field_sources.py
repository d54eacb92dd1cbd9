"""Sources at the finest level: every property of every exported schema (and every query
parameter) says where it comes from, the page's sentence (`x-doc-source`) where the page speaks
of the field, `x-mock-inferred` where it is silent; never both, never neither."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockserver import MockEngine
from mockserver.providers.huskyvoice import sources as husky_sources
from mockserver.providers.leyr import sources as leyr_sources

SOURCES = {"huskyvoice": husky_sources, "leyr": leyr_sources}


def properties(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property below `node`, at any depth, as (`Component.field.sub`, its schema)."""
    if not isinstance(node, dict):
        return
    for name, schema in node.get("properties", {}).items():
        yield f"{where}.{name}", schema
        yield from properties(schema, f"{where}.{name}")
    yield from properties(node.get("items"), where + "[]")
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(keyword, []):
            yield from properties(branch, where)


def exported_fields(provider: str) -> dict[str, dict[str, Any]]:
    document = MockEngine().openapi(provider)
    found = {}
    for name, schema in document["components"]["schemas"].items():
        found.update(properties(schema, name))
    return found


def query_parameters(provider: str) -> Iterator[dict[str, Any]]:
    for methods in MockEngine().openapi(provider)["paths"].values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    yield parameter


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_every_property_carries_exactly_one_mark(provider):
    fields = exported_fields(provider)
    assert len(fields) > 30
    unmarked = [w for w, s in fields.items() if ("x-doc-source" in s) == ("x-mock-inferred" in s)]
    assert unmarked == []
    for parameter in query_parameters(provider):
        schema = parameter["schema"]
        assert ("x-doc-source" in schema) != ("x-mock-inferred" in schema), parameter


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_every_documented_field_names_an_exported_property(provider):
    fields = exported_fields(provider)
    documented = SOURCES[provider].DOCUMENTED_FIELDS
    assert set(documented) <= set(fields)
    for where, source in documented.items():
        assert fields[where]["x-doc-source"] == source.to_json()
        assert fields[where]["x-doc-source"]["page"] == SOURCES[provider].PAGE


def test_known_huskyvoice_fields():
    fields = exported_fields("huskyvoice")
    freed = fields["Slot.filled_slots"]["x-doc-source"]["sentence"]
    assert freed.startswith("Slot capacity is freed:") and "filled count" in freed
    assert (
        fields["Appointment.patient_name"]["x-doc-source"]["sentence"] == '"patient_name": "Aadhi"'
    )
    assert fields["Appointment.token"]["x-doc-source"]["sentence"] == '"token": null'
    assert fields["ConfigResponse.data.allow_cancellation"]["x-doc-source"]
    assert fields["UpdateAppointmentRequest.status"]["x-doc-source"]["sentence"].startswith(
        "Cancel a confirmed appointment"
    )
    # Invented by the mock: the page never names them.
    for invented in (
        "Slot.ai_slots",
        "Slot.available_slots",
        "UpdateAppointmentRequest.notes",
        "ConfigResponse.data.buffer_minutes",
        "AppointmentListResponse.pagination.total",
        "Error.error.code",
        "RateLimitError.error.message",
    ):
        assert fields[invented]["x-mock-inferred"] is True, invented
        assert "x-doc-source" not in fields[invented], invented


def test_known_leyr_fields():
    fields = exported_fields("leyr")
    assert fields["UpdateAppointmentRequestCancel.comment"]["x-doc-source"]["sentence"].startswith(
        "You don't have to provide other optional fields (like start, end or resource_id)"
    )
    assert fields["UpdateAppointmentRequestConfirm.confirmation.code"]["x-doc-source"]
    assert fields["BulkUpdateRequest.ids"]["x-doc-source"]["sentence"].startswith(
        "Instead, pass ids"
    )
    assert fields["Appointment.id"]["x-doc-source"]["sentence"].startswith("Important: The id")
    # The page's answers show `...` for the rest, and it has no error body at all.
    for invented in (
        "Appointment.patient_id",
        "Appointment.healthcare_service_id",
        "Problem.title",
        "Problem.errors[].error_code",
    ):
        assert fields[invented]["x-mock-inferred"] is True, invented


def test_the_marks_leave_every_refs_target_intact():
    """A property that names another schema keeps its `$ref`; the mark sits beside it."""
    fields = exported_fields("huskyvoice")
    assert fields["Appointment.date"]["$ref"] == "#/components/schemas/CommonDate"
    assert set(fields["Appointment.date"]) == {"$ref", "x-doc-source"}
