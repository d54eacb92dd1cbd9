"""The readings the pages leave open, decided: fields riding along a re-cancel are applied,
never dropped; schemas as strict as the rules wherever JSON Schema can say it."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import SEED_ID, Mock
from mockserver import MockEngine

HV_ONE = f"/v1/appointments/{SEED_ID}"
WEBDOC = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}


def test_a_plain_recancel_returns_the_record_unchanged(mock_for):
    mock = mock_for("huskyvoice/already-cancelled")
    before = mock.appointment()
    reply = mock.cancel()
    assert reply.status_code == 200 and reply.json()["data"] == before


def test_fields_riding_along_a_recancel_are_applied(mock_for):
    mock = mock_for("huskyvoice/already-cancelled")
    slots = mock.slot()["filled_slots"]
    mock.clock(advance_seconds=60)
    reply = mock.cancel(assigned_doctor="Dr. Rao", batch="MB", notes="called twice")
    assert reply.status_code == 200
    record = reply.json()["data"]
    assert (record["status"], record["assigned_doctor"], record["batch"]) == (
        "cancelled",
        "Dr. Rao",
        "MB",
    )
    assert record["updated_at"] != "2026-05-26T12:00:00.000Z"
    assert mock.slot()["filled_slots"] == slots  # its place is not freed twice
    assert mock.engine.seeded()["huskyvoice"]["seeded"]["notes"][SEED_ID] == "called twice"
    assert mock.engine.violations() == []


def test_a_recancel_moving_an_appointment_records_where_it_would_be(mock_for):
    mock = mock_for("huskyvoice/already-cancelled")
    reply = mock.cancel(session="Evening")
    assert reply.status_code == 200 and reply.json()["data"]["session"] == "Evening"


def bad(mock: Mock, path: str, body: Any) -> dict[str, Any]:
    reply = mock.http.patch(path, json=body, headers=LEYR)
    assert reply.status_code == 400, reply.text
    return dict(reply.json())


@pytest.mark.parametrize(
    ("ids", "code", "keyword"),
    [
        ([], "BAD_INPUT", "minItems"),
        (["1001", "1001"], "BAD_INPUT", "uniqueItems"),
        ([str(n) for n in range(51)], "MAX_ITEMS_EXCEEDED", "maxItems"),
    ],
)
def test_bulk_ids_limits_are_in_the_schema(mock_for, ids, code, keyword):
    mock = mock_for("leyr/bulk-cancel")
    body = bad(mock, WEBDOC, {"ids": ids, "status": "cancelled"})
    assert body["errors"][0]["error_code"] == code
    [violation] = mock.engine.violations()
    assert violation["problems"][0]["schema_path"].endswith(keyword)


def test_the_comment_limit_is_in_the_schema(mock_for):
    mock = mock_for("leyr/direct-cancel")
    body = bad(mock, f"{WEBDOC}/1001", {"status": "cancelled", "comment": "x" * 1001})
    assert body["errors"][0]["error_code"] == "INVALID_COMMENT_LENGTH"
    assert mock.engine.violations()[0]["problems"][0]["schema_path"].endswith("maxLength")


@pytest.mark.parametrize(
    "day", ["0000-00-00", "0000-01-01", "2026-00-10", "2026-13-01", "2026-01-00", "2026-01-32"]
)
def test_no_such_dates_are_refused_by_the_schema(mock, day):
    reply = mock.get("/v1/appointment-slots/availability", date=day)
    assert reply.status_code == 400
    assert "is not a date (YYYY-MM-DD)" in reply.json()["error"]["message"]
    assert len(mock.engine.violations()) == 1


def test_the_schema_limits_are_the_mocks_defaults_and_scenarios_may_only_tighten_them():
    from mockserver.providers.leyr.model import LeyrModel
    from mockserver.scenarios.model import declared_defaults

    engine = MockEngine()
    schemas = engine.openapi("leyr")["components"]["schemas"]
    ids = schemas["BulkUpdateRequest"]["properties"]["ids"]
    assert (ids["minItems"], ids["maxItems"], ids["uniqueItems"]) == (
        1,
        declared_defaults(LeyrModel)["max_bulk_ids"],
        True,
    )
    assert (
        schemas["CommonComment"]["maxLength"] == declared_defaults(LeyrModel)["max_comment_length"]
    )
    husky = engine.openapi("huskyvoice")["components"]["schemas"]
    assert (
        husky["CommonDate"]["format"] == "date"
        and husky["CommonTimestamp"]["format"] == "date-time"
    )
    with pytest.raises(Exception, match="max_bulk_ids"):
        engine.load({"extends": "leyr/direct-cancel", "behaviour": {"max_bulk_ids": 51}})
    engine.load({"extends": "leyr/direct-cancel", "behaviour": {"max_bulk_ids": 2}})
