"""Testing a HuskyVoice client with nothing but the mockserver fixture."""

import pytest
from huskyvoice_client import CancellationRefused, cancel_appointment, huskyvoice_client


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


def test_cancelling_twice_is_safe(client):
    first = cancel_appointment(client, "appt_a1b2c3d4e5")
    assert cancel_appointment(client, "appt_a1b2c3d4e5") == first


@pytest.mark.mockserver_scenario("huskyvoice/notice-period")
def test_too_late_to_cancel(client, mockserver):
    with pytest.raises(CancellationRefused) as refused:
        cancel_appointment(client, "appt_a1b2c3d4e5")
    assert refused.value.code == "CANCELLATION_NOTICE_PERIOD"
    mockserver.clock.set("2026-06-13T12:00:00Z", provider="huskyvoice")
    assert cancel_appointment(client, "appt_a1b2c3d4e5").appointment["status"] == "cancelled"


@pytest.mark.mockserver_scenario("huskyvoice/insufficient-scope")
def test_key_without_write_scope(client):
    with pytest.raises(CancellationRefused) as refused:
        cancel_appointment(client, "appt_a1b2c3d4e5")
    assert (refused.value.status, refused.value.code) == (403, "INSUFFICIENT_SCOPE")


def test_in_process_without_a_socket(mockserver):
    with huskyvoice_client(
        "http://huskyvoice.test", "YOUR_API_KEY", transport=mockserver.transport
    ) as http:
        assert cancel_appointment(http, "appt_a1b2c3d4e5").appointment["status"] == "cancelled"
