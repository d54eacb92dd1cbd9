"""One redaction for every surface: the journal, the differences that closest matches, near
misses and assertions print, and the dashboard shorten credentials the same way."""

from __future__ import annotations

import pytest

from conftest import in_process_client
from mockserver import MockEngine

SECRET = "SUPERSECRETVALUE123"
LEYR_ONE = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"


def leyr_headers(secret: str) -> dict[str, str]:
    return {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": secret}


def test_closest_differences_shorten_the_credential_they_show(mock):
    mock.http.get(LEYR_ONE, headers=leyr_headers(SECRET))
    reply = mock.http.get(
        "/__admin/requests/closest", params={"headers": '{"x-leyr-client-secret": "nope"}'}
    )
    text = reply.text
    assert reply.status_code == 200
    assert SECRET not in text
    assert "…E123" in text


def test_near_misses_and_the_dashboard_shorten_credentials(mock):
    stub = {
        "name": "only for one key",
        "provider": "huskyvoice",
        "match": {
            "method": "GET",
            "path": "/v1/appointments/{appointment_id}",
            "headers": {"authorization": "Bearer THE_RIGHT_KEY_1234"},
        },
        "respond": {
            "status": 503,
            "body": {"success": False, "error": {"code": "X", "message": "y"}},
        },
    }
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    mock.http.get(
        "/v1/appointments/appt_a1b2c3d4e5", headers={"Authorization": "Bearer YOUR_API_KEY"}
    )
    surfaces = [
        mock.http.get("/__admin/near-misses").text,
        mock.http.get("/__admin/ui/sections").text,
        mock.http.get("/__admin/requests").text,
        mock.http.get("/__admin/requests", params={"format": "har"}).text,
    ]
    for text in surfaces:  # the scenario's own description names the documented key
        assert "THE_RIGHT_KEY_1234" not in text
        assert "authorization: Bearer YOUR_API_KEY" not in text
        assert '"Bearer YOUR_API_KEY' not in text.replace("\\", "")
    assert "…_KEY" in surfaces[0]


@pytest.mark.parametrize("credential", ["ABCDEFGH", "ABCDEFG", "A"])
def test_credentials_of_eight_characters_or_fewer_show_nothing_of_themselves(mock, credential):
    mock.http.get(
        "/v1/appointments/appt_a1b2c3d4e5", headers={"Authorization": f"Bearer {credential}"}
    )
    [entry] = mock.http.get("/__admin/requests").json()["requests"]
    assert entry["headers"]["authorization"] == "Bearer …"


def test_journal_secrets_show_credentials_in_full_everywhere():
    engine = MockEngine(journal_secrets=True)
    with in_process_client(engine) as client:
        client.get(LEYR_ONE, headers=leyr_headers(SECRET))
        closest = client.get(
            "/__admin/requests/closest", params={"headers": '{"x-leyr-client-secret": "nope"}'}
        ).text
    assert SECRET in closest


def test_the_journal_file_shortens_credentials_like_every_other_surface(tmp_path):
    journal = tmp_path / "journal.jsonl"
    with in_process_client(MockEngine(journal_file=journal)) as client:
        client.get(LEYR_ONE, headers=leyr_headers(SECRET))
        client.get(
            "/v1/appointments/appt_a1b2c3d4e5", headers={"Authorization": "Bearer YOUR_API_KEY"}
        )
    text = journal.read_text()
    assert SECRET not in text and "YOUR_API_KEY" not in text
    assert "…E123" in text and "Bearer …_KEY" in text
