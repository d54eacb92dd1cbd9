"""Testing a HuskyVoice client with nothing but the mockserver fixture."""

import pytest
from huskyvoice_client import (
    CancellationRefused,
    cancel_appointment,
    cancel_with_retry,
    huskyvoice_client,
)

from mockserver import MockServerHandle

CANCEL = "/v1/appointments/{appointment_id}"
OUTAGE = {
    "status": 503,
    "headers": {"Retry-After": "7"},
    "error": {"code": "SERVICE_UNAVAILABLE", "message": "down for a moment"},
}


@pytest.fixture
def client(mockserver):
    with huskyvoice_client(mockserver.base_url, "YOUR_API_KEY") as http:
        yield http


def test_cancels_and_frees_the_slot(client, mockserver):
    result = cancel_appointment(client, "appt_a1b2c3d4e5", note="patient called")
    assert result.appointment["status"] == "cancelled"
    mockserver.requests.assert_called(
        "PATCH", "/v1/appointments/appt_a1b2c3d4e5", body={"status": "cancelled"}
    )
    slots = client.get("/v1/appointment-slots/availability", params={"date": "2026-06-15"}).json()[
        "slots"
    ]
    assert slots[0]["filled_slots"] == 2
    mockserver.requests.assert_called("GET", "/v1/appointment-slots/availability")


def test_cancelling_twice_is_safe(client, mockserver):
    first = cancel_appointment(client, "appt_a1b2c3d4e5")
    assert cancel_appointment(client, "appt_a1b2c3d4e5") == first
    mockserver.requests.assert_called("PATCH", CANCEL, times=2, status=200)


@pytest.mark.mockserver_scenario("huskyvoice/notice-period")
def test_too_late_to_cancel(client, mockserver):
    with pytest.raises(CancellationRefused) as refused:
        cancel_appointment(client, "appt_a1b2c3d4e5")
    assert refused.value.code == "CANCELLATION_NOTICE_PERIOD"
    mockserver.requests.assert_called("PATCH", CANCEL, status=422)
    mockserver.clock.set("2026-06-13T12:00:00Z", provider="huskyvoice")
    assert cancel_appointment(client, "appt_a1b2c3d4e5").appointment["status"] == "cancelled"
    assert [e.status for e in mockserver.requests.filter("PATCH", CANCEL)] == [422, 200]


@pytest.mark.mockserver_scenario("huskyvoice/insufficient-scope")
def test_key_without_write_scope(client, mockserver):
    with pytest.raises(CancellationRefused) as refused:
        cancel_appointment(client, "appt_a1b2c3d4e5")
    assert (refused.value.status, refused.value.code) == (403, "INSUFFICIENT_SCOPE")
    mockserver.requests.assert_called("PATCH", CANCEL, status="4xx")


def test_in_process_without_a_socket(mockserver):
    with huskyvoice_client(
        "http://huskyvoice.test", "YOUR_API_KEY", transport=mockserver.transport
    ) as http:
        assert cancel_appointment(http, "appt_a1b2c3d4e5").appointment["status"] == "cancelled"
    mockserver.requests.assert_called("PATCH", CANCEL)


def test_retries_through_two_outages(client, mockserver: MockServerHandle):
    """No scenario file needed: the stub answers 503 twice, then lets the mock cancel."""
    outage = mockserver.stub("PATCH", CANCEL, sequence=[OUTAGE, OUTAGE, {"passthrough": True}])
    waited: list[float] = []
    result = cancel_with_retry(client, "appt_a1b2c3d4e5", sleep=waited.append)
    assert result.appointment["status"] == "cancelled"
    assert waited == [7.0, 7.0]  # Retry-After honoured
    assert [call.status for call in outage.calls] == [503, 503, 200]


def test_gives_up_after_three_attempts(client, mockserver: MockServerHandle):
    mockserver.stub("PATCH", CANCEL, respond=OUTAGE)
    with pytest.raises(CancellationRefused) as refused:
        cancel_with_retry(client, "appt_a1b2c3d4e5", sleep=lambda _: None)
    assert refused.value.code == "SERVICE_UNAVAILABLE"
    mockserver.requests.assert_called("PATCH", CANCEL, times=3, status=503)


def test_sends_the_note_and_the_key(client, mockserver: MockServerHandle):
    cancel_appointment(client, "appt_a1b2c3d4e5", note="patient called")
    entry = mockserver.requests.last("PATCH", CANCEL, headers={"authorization": {"present": True}})
    assert entry.json() == {"status": "cancelled", "notes": "patient called"}
    assert entry.response_json()["data"]["status"] == "cancelled"
    assert entry.operation == "updateAppointment"


def test_a_misspelt_status_breaks_the_contract(client, mockserver: MockServerHandle):
    """Testing error handling on purpose: the violation is declared, so teardown stays green."""
    with mockserver.expect_violation("body.status", method="PATCH", path=CANCEL):
        reply = client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "canceled"})
    assert reply.status_code == 400


def test_a_longer_notice_period_given_as_data(client, mockserver: MockServerHandle):
    mockserver.load(
        {"extends": "huskyvoice/direct-cancel", "org": {"cancellation_notice_hours": 24 * 30}}
    )
    with pytest.raises(CancellationRefused) as refused:
        cancel_appointment(client, "appt_a1b2c3d4e5")
    assert refused.value.code == "CANCELLATION_NOTICE_PERIOD"
    mockserver.requests.assert_called("PATCH", CANCEL, status=422)
