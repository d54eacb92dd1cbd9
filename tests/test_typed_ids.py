"""A Leyr appointment id is bare (`2001`) or typed `emr_id:2001`, no other type: the exported
schema says so for the path's id and the bulk body's `ids`, so a generated client knows it and a
client sending another type breaks the contract (a violation) as well as getting its 400."""

from __future__ import annotations

import re

import pytest

from conftest import Mock
from mockserver import MockEngine

WEBDOC = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
ODD_TYPES = ["other:1001", "emr_id:", ":1001", "x:y:z"]


def refused(mock: Mock, reply, where: str) -> None:
    assert reply.status_code == 400, reply.text
    [entry] = reply.json()["errors"]
    assert (entry["error_code"], entry["path"]) == ("INVALID_APPOINTMENT_ID", where)
    [violation] = mock.engine.violations()
    assert violation["problems"][0]["schema_path"].endswith("pattern")


@pytest.mark.parametrize("odd", ODD_TYPES)
def test_a_path_id_of_another_type_breaks_the_contract(mock_for, odd):
    mock = mock_for("leyr/direct-cancel")
    refused(mock, mock.http.get(f"{WEBDOC}/{odd}", headers=LEYR), "appointment_id")


@pytest.mark.parametrize("odd", ODD_TYPES)
def test_a_cancel_on_a_path_id_of_another_type_breaks_the_contract_and_changes_nothing(
    mock_for, odd
):
    mock = mock_for("leyr/direct-cancel")
    reply = mock.http.patch(f"{WEBDOC}/{odd}", json={"status": "cancelled"}, headers=LEYR)
    refused(mock, reply, "appointment_id")
    assert mock.http.get(f"{WEBDOC}/1001", headers=LEYR).json()["status"] == "booked"


def test_a_bulk_id_of_another_type_breaks_the_contract_and_changes_nothing(mock_for):
    mock = mock_for("leyr/bulk-cancel")
    body = {"ids": ["1001", "other:1002"], "status": "cancelled"}
    refused(mock, mock.http.patch(WEBDOC, json=body, headers=LEYR), "ids.1")
    assert mock.http.get(f"{WEBDOC}/1001", headers=LEYR).json()["status"] == "booked"


@pytest.mark.parametrize("typed", ["1001", "emr_id:1001"])
def test_bare_and_typed_ids_keep_to_the_contract(mock_for, typed):
    mock = mock_for("leyr/direct-cancel")
    assert mock.http.get(f"{WEBDOC}/{typed}", headers=LEYR).status_code == 200
    body = {"ids": [typed], "status": "cancelled"}
    assert mock.http.patch(WEBDOC, json=body, headers=LEYR).status_code == 200
    assert mock.engine.violations() == []


def test_the_export_says_the_id_form_where_ids_are_sent():
    document = MockEngine().openapi("leyr")
    schemas = document["components"]["schemas"]
    form = schemas["CommonIdForm"]["pattern"]
    for odd in ODD_TYPES:
        assert not re.search(form, odd)
    assert re.search(form, "2001") and re.search(form, "emr_id:2001")
    one = document["paths"][
        "/api/emrs/{emr}/care-units/{care_unit_id}/appointments/{appointment_id}"
    ]
    for method in ("get", "patch"):
        [param] = [p for p in one[method]["parameters"] if p["name"] == "appointment_id"]
        assert param["schema"] == {"$ref": "#/components/schemas/CommonIdForm"}
    items = schemas["BulkUpdateRequest"]["properties"]["ids"]["items"]
    assert items["$ref"] == "#/components/schemas/CommonId"
    # The bulk id is the same form, at most 200 characters (no `$ref` beside other keywords:
    # the mock's generated validators read a `$ref` alone).
    assert schemas["CommonId"]["pattern"] == form
    assert schemas["CommonId"]["maxLength"] == 200
