"""Testing a Leyr client, two-step cancellation included, with the mockserver fixture."""

import pytest
from leyr_client import AwaitingCode, Cancelled, LeyrCancellations, LeyrError, leyr_client

ANITA = "/api/emrs/anitasystems/care-units/L0_1/appointments"


def cancellations(mockserver, emr, care_unit):
    http = leyr_client(mockserver.base_url, "test-client-id", "test-client-secret")
    return LeyrCancellations(http, emr, care_unit)


def test_direct_emr(mockserver):
    leyr = cancellations(mockserver, "webdoc", "wd-oslo-1")
    result = leyr.cancel("1001", comment="Patient is travelling")
    assert isinstance(result, Cancelled)
    assert result.appointment["comment"] == "Patient is travelling"
    assert len(mockserver.messages) == 0
    mockserver.requests.assert_called(
        "PATCH",
        "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001",
        body={"status": "cancelled"},
    )


@pytest.mark.mockserver_scenario("leyr/two-step")
def test_two_step_confirms_on_the_new_id(mockserver):
    leyr = cancellations(mockserver, "anitasystems", "L0_1")
    pending = leyr.cancel("2001")
    assert isinstance(pending, AwaitingCode)
    assert pending.new_id != "2001"
    code = mockserver.messages.latest_code("2001")
    assert leyr.confirm(pending, code).appointment["status"] == "cancelled"
    mockserver.requests.assert_called(
        "PATCH", f"/api/emrs/anitasystems/care-units/L0_1/appointments/{pending.new_id}"
    )
    mockserver.requests.assert_called("PATCH", f"{ANITA}/2001", body={"status": "cancelled"})


@pytest.mark.mockserver_scenario("leyr/two-step-wrong-code")
def test_wrong_code_is_reported(mockserver):
    leyr = cancellations(mockserver, "anitasystems", "L0_1")
    pending = leyr.cancel("2001")
    with pytest.raises(LeyrError) as wrong:
        leyr.confirm(pending, "000000")
    assert wrong.value.error_code == "INVALID_CONFIRMATION_CODE"
    assert "2 attempts left" in wrong.value.detail
    assert [e.status for e in mockserver.requests.filter("PATCH", f"{ANITA}/{{id}}")] == [200, 400]


@pytest.mark.mockserver_scenario("leyr/bulk-cancel")
def test_bulk_on_a_two_step_ehr_awaits_a_code_for_each(mockserver):
    leyr = cancellations(mockserver, "anitasystems", "L0_1")
    results = leyr.cancel_many(["2001", "2002", "2003"])
    assert [type(r).__name__ for r in results] == ["AwaitingCode"] * 3
    for pending in results:
        code = mockserver.messages.latest_code(pending.new_id)
        assert leyr.confirm(pending, code).appointment["status"] == "cancelled"
    # The bulk request: one list of ids (a list in a pattern matches by subset).
    mockserver.requests.assert_called("PATCH", ANITA, body={"ids": ["2001", "2003"]})
    mockserver.requests.assert_called(
        "PATCH", f"{ANITA}/{{id}}", times=3, body={"confirmation": {}}
    )
