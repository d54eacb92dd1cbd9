"""One-shot faults are spent by the requests they are for: the first request that would
otherwise succeed (authorised, valid). A wrong key, secret or body gets its own honest answer
and leaves the fault waiting."""

from __future__ import annotations

import httpx
import pytest

from conftest import AUTH, SEED_ID
from servers import running_cli

CANCEL = f"/v1/appointments/{SEED_ID}"
WEBDOC = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"
LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}


def test_flaky_answers_a_wrong_key_and_a_bad_body_honestly_then_fails_the_first_good_one(
    mock_for,
):
    mock = mock_for("huskyvoice/flaky")
    wrong_key = mock.http.patch(
        CANCEL, json={"status": "cancelled"}, headers={"Authorization": "Bearer nope"}
    )
    assert wrong_key.status_code == 401
    assert wrong_key.json()["error"]["code"] == "UNAUTHORIZED"
    bad_body = mock.http.patch(CANCEL, json={"status": "canceled"}, headers=AUTH)
    assert bad_body.status_code == 400
    first = mock.http.patch(CANCEL, json={"status": "cancelled"}, headers=AUTH)
    assert first.status_code == 503 and first.headers["retry-after"] == "1"
    again = mock.http.patch(CANCEL, json={"status": "cancelled"}, headers=AUTH)
    assert again.json()["data"]["status"] == "cancelled"


def test_the_check_counts_nothing_towards_a_rate_limit(mock_for):
    mock = mock_for("huskyvoice/rate-limited")
    mock.http.post(
        "/__admin/interactions",
        json={
            "match": {"method": "GET", "path": "/v1/appointment-config"},
            "accepted_only": True,
            "times": 1,
            "respond": {"passthrough": True},
        },
    )
    answers = [mock.http.get("/v1/appointment-config", headers=AUTH).status_code for _ in range(61)]
    assert answers == [200] * 60 + [429]


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({**LEYR, "x-leyr-client-secret": "wrong"}, {"status": "cancelled"}, 401),
        (LEYR, {"status": "canceled"}, 400),
    ],
)
def test_connection_drop_keeps_its_drop_for_the_first_good_cancel(headers, body, status):
    with running_cli(["--scenario", "leyr/connection-drop"]) as run:
        with httpx.Client(base_url=run.base_url) as http:
            refused = http.patch(WEBDOC, json=body, headers=headers)
            assert refused.status_code == status
            assert refused.json()["status"] == status  # a whole body, not a dropped connection
            with pytest.raises(httpx.TransportError):
                http.patch(WEBDOC, json={"status": "cancelled"}, headers=LEYR)
        with httpx.Client(base_url=run.base_url) as http:
            assert http.get(WEBDOC, headers=LEYR).json()["status"] == "cancelled"
