"""The admin API and the files the mock writes: no empty token, a private journal file, and a
dashboard error page that shows what it echoes as text."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

from conftest import AUTH, SEED_ID, in_process_client
from mockserver import MockEngine
from mockserver.web.guard import AdminPolicy


@pytest.mark.parametrize("token", ["", "   "])
def test_serve_refuses_an_empty_admin_token_in_one_line(token):
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--admin-token", token],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "argument --admin-token: the token is empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_token_cannot_make_a_policy():
    with pytest.raises(ValueError, match="empty admin token"):
        AdminPolicy(token="")


@pytest.mark.parametrize("exists", [True, False])
def test_the_journal_file_is_private_whether_or_not_it_existed(tmp_path, exists):
    journal = tmp_path / "journal.jsonl"
    if exists:
        journal.write_text("")
        journal.chmod(0o644)
    engine = MockEngine(journal_file=journal)
    with in_process_client(engine) as client:
        client.get(f"/v1/appointments/{SEED_ID}", headers=AUTH)
    engine.close()
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert journal.read_text().count("\n") == 1


def test_the_dashboard_error_page_escapes_what_it_echoes(mock):
    hostile = '<a href="https://example.invalid">x</a>'
    reply = mock.http.get("/__admin/ui/", params={"provider": hostile})
    assert reply.status_code == 400
    assert "<a href" not in reply.text
    assert "&lt;a href=" in reply.text
