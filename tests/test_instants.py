"""Request instants are RFC 3339 date-times, and the export says so (`format: date-time` beside
the pattern) only because the mock takes exactly those: seconds and an offset required, on the
calendar, within the mock's years. Dates are `format: date` the same way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import FormatChecker

from conftest import AUTH, SEED_ID, in_process_client
from mockserver import MockEngine
from mockserver.core.exchange import ApiError
from mockserver.providers.base import instant_field
from openapi_judge import judge, request_problems

LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
LEYR_ONE = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"
CHECKER = FormatChecker()


def schemas(provider: str) -> dict[str, Any]:
    found: dict[str, Any] = MockEngine().openapi(provider)["components"]["schemas"]
    return found


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_the_export_says_date_time_beside_the_pattern(provider):
    instant = schemas(provider)["CommonInstant"]
    assert instant["format"] == "date-time"
    assert instant["pattern"].startswith("^") and instant["pattern"].endswith("$")
    assert "seconds and an offset" in instant["description"]


PATTERNS = {
    provider: schemas(provider)["CommonInstant"]["pattern"] for provider in ("huskyvoice", "leyr")
}


def the_mock_takes(text: str) -> bool:
    try:
        instant_field(text, "at", "BAD")
    except ApiError:
        return False
    return True


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_what_fits_the_pattern_is_taken_exactly_when_it_is_an_rfc_3339_date_time(data, provider):
    text = data.draw(st.from_regex(PATTERNS[provider], fullmatch=True))
    if re.fullmatch(r"(19\d\d|[2-8]\d\d\d)-.*", text) and text[:10] not in EDGE_DAYS:
        assert the_mock_takes(text) == CHECKER.conforms(text, "date-time"), text
    else:  # years the mock's clock cannot stand at: refused, as the description says
        assert not the_mock_takes(text) or CHECKER.conforms(text, "date-time"), text


# An offset can carry these days out of the mock's years (1900-01-01T00:00:00+01:00 is 1899).
EDGE_DAYS = {"1900-01-01", "8999-12-31"}


def test_the_pattern_refuses_what_rfc_3339_refuses_and_the_mock_never_took():
    pattern = re.compile(PATTERNS["leyr"])
    for text in ("2026-06-15T09:00Z", "2026-06-15T09:00:00", "2026-06-15 09:00:00Z"):
        assert not pattern.fullmatch(text) and not CHECKER.conforms(text, "date-time")
    assert pattern.fullmatch("2026-06-15T09:00:00.123456+02:00")


@pytest.mark.parametrize("text", ["2026-06-15T09:00Z", "2026-06-15T09:00:00", "2026-06-15T09:00"])
def test_an_instant_without_seconds_or_offset_breaks_the_contract_everywhere(text):
    engine = MockEngine(journal_secrets=True)
    with in_process_client(engine) as client:
        husky = client.patch(
            f"/v1/appointments/{SEED_ID}",
            json={"status": "cancelled", "appointment_date": text},
            headers=AUTH,
        )
        leyr = client.patch(LEYR_ONE, json={"status": "cancelled", "start": text}, headers=LEYR)
        assert client.get(LEYR_ONE, headers=LEYR).json()["status"] == "booked"
    assert husky.status_code == 400 and leyr.status_code == 400
    assert "body.appointment_date" in husky.json()["error"]["message"]
    assert "RFC 3339" in husky.json()["error"]["message"]
    assert leyr.json()["errors"][0]["path"] == "start"
    assert "RFC 3339" in leyr.json()["detail"]
    assert len(engine.violations()) == 2
    husky_entry, leyr_entry = engine.requests()[:2]
    assert request_problems(judge(engine, "huskyvoice"), husky_entry) != []
    assert request_problems(judge(engine, "leyr"), leyr_entry) != []


def test_an_rfc_3339_instant_keeps_to_both_the_mock_and_the_export():
    engine = MockEngine(journal_secrets=True)
    start, end = "2026-06-15T09:00:00.5+02:00", "2026-06-15T09:45:00Z"
    with in_process_client(engine) as client:
        reply = client.patch(
            LEYR_ONE, json={"status": "cancelled", "start": start, "end": end}, headers=LEYR
        )
    assert reply.status_code == 200, reply.text
    assert (reply.json()["start"], reply.json()["end"]) == (start, end)
    assert engine.violations() == []
    [entry] = engine.requests()
    assert request_problems(judge(engine, "leyr"), entry) == []
