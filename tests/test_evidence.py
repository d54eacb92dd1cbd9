"""Evidence that keeps everything: the mock's clock and the exchange id in the HAR, the body as
sent byte for byte, marker lines in the journal file for what changed the world, and an
exchange whose client gave up before the answer marked as such."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import httpx
import pytest

from conftest import AUTH, SEED_ID, in_process_client
from mockserver import MockEngine, create_app
from mockserver.core.commands import SetClock
from mockserver.testing.transport import ASGITransport
from servers import running_cli

CANCEL = f"/v1/appointments/{SEED_ID}"
SENT = b'{ "status" :   "cancelled" ,\n  "notes": "caf\xc3\xa9" }'


def test_the_har_carries_the_mock_clock_the_id_and_the_bytes_sent(mock):
    mock.http.patch(CANCEL, content=SENT, headers={**AUTH, "Content-Type": "application/json"})
    [entry] = mock.http.get("/__admin/requests").json()["requests"]
    assert entry["body_text"] == SENT.decode() and entry["body_size"] == len(SENT)
    assert entry["body"] == {"status": "cancelled", "notes": "café"}  # parsed, for matching
    [har] = mock.http.get("/__admin/requests?format=har").json()["log"]["entries"]
    assert har["_exchangeId"] == entry["id"]
    assert har["_mockClock"] == entry["at"] == "2026-05-26T12:00:00.000Z"
    assert har["_clientDisconnected"] is False
    assert har["request"]["postData"]["text"] == SENT.decode()
    assert har["request"]["bodySize"] == len(SENT) == int(entry["headers"]["content-length"])


def test_a_text_body_is_kept_as_text(mock):
    mock.http.patch(
        CANCEL, content=b'{"status":"cancelled"}', headers={**AUTH, "Content-Type": "text/plain"}
    )
    [entry] = mock.http.get("/__admin/requests").json()["requests"]
    assert entry["body_text"] == '{"status":"cancelled"}'
    [har] = mock.http.get("/__admin/requests?format=har").json()["log"]["entries"]
    assert har["request"]["postData"] == {
        "mimeType": "text/plain",
        "text": '{"status":"cancelled"}',
    }


def test_the_journal_file_marks_resets_switches_and_clock_moves(tmp_path):
    file = tmp_path / "journal.jsonl"
    engine = MockEngine(journal_file=file)
    with in_process_client(engine) as http:
        http.patch(CANCEL, json={"status": "cancelled"}, headers=AUTH)
        http.put("/__admin/scenario", json={"name": "leyr/two-step"})
        http.put("/__admin/clock", json={"advance_seconds": 60, "provider": "huskyvoice"})
        http.post("/__admin/reset", json={})
        http.put("/__admin/clock", json={"now": "3000-01-01T00:00:00Z"})  # refused: no marker
        http.post("/__admin/reset", json={"scenarios": ["huskyvoice/slot-freed"]})
    engine.close()
    lines = [json.loads(line) for line in file.read_text().splitlines()]
    kinds = [line.get("marker", "exchange") for line in lines]
    assert kinds[:4] == ["exchange", "scenario", "clock", "reset"]
    assert lines[1]["provider"] == "leyr" and lines[1]["name"] == "leyr/two-step"
    assert lines[2] == {
        **lines[2],
        "provider": "huskyvoice",
        "before": "2026-05-26T12:00:00.000Z",
        "now": "2026-05-26T12:01:00.000Z",
    }
    assert lines[3]["scenarios"] == {
        "huskyvoice": "huskyvoice/direct-cancel",
        "leyr": "leyr/two-step",
    }
    assert kinds[-1] == "reset" and lines[-1]["scenarios"]["huskyvoice"] == "huskyvoice/slot-freed"
    assert all("received_at" in line and line["session"] is None for line in lines)


def test_a_client_that_times_out_is_marked_over_http(tmp_path):
    file = tmp_path / "journal.jsonl"
    with running_cli(["--scenario", "huskyvoice/slow", "--journal-file", str(file)]) as run:
        with pytest.raises(httpx.ReadTimeout):
            httpx.patch(
                f"{run.base_url}{CANCEL}", json={"status": "cancelled"}, headers=AUTH, timeout=0.3
            )
        journal = f"{run.base_url}/__admin/requests"
        for _ in range(100):  # the mock notices when the connection closes: soon, with a deadline
            [entry] = httpx.get(journal).json()["requests"]
            if entry["client_disconnected"]:
                break
            threading.Event().wait(0.05)
        assert entry["client_disconnected"] is True and entry["status"] == 200
        done = httpx.get(f"{run.base_url}{CANCEL}", headers=AUTH, timeout=5).json()
        assert done["data"]["status"] == "cancelled"  # carried out all the same
        [second] = httpx.get(journal, params={"method": "GET"}).json()["requests"]
        assert second["client_disconnected"] is False
    lines = [json.loads(line) for line in file.read_text().splitlines()]
    assert {"marker": "client_disconnected", "id": entry["id"]}.items() <= lines[1].items()


def test_an_in_process_client_that_times_out_is_marked_too(mock_for):
    mock = mock_for("huskyvoice/slow")
    with (
        httpx.Client(
            transport=ASGITransport(create_app(mock.engine)), base_url="http://mock"
        ) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.patch(CANCEL, json={"status": "cancelled"}, headers=AUTH, timeout=0.2)

    async def timed_out_async() -> None:
        async with httpx.AsyncClient(
            transport=ASGITransport(create_app(mock.engine)), base_url="http://mock"
        ) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get(CANCEL, headers=AUTH, timeout=0.05)
            answered = await http.get(CANCEL, headers=AUTH, timeout=5)
            assert answered.status_code == 200

    asyncio.run(timed_out_async())
    entries = mock.http.get("/__admin/requests").json()["requests"]
    assert [e["client_disconnected"] for e in entries] == [True, True, False]


def test_markers_need_a_journal_file_and_cost_nothing_without(tmp_path: Path):
    engine = MockEngine()
    engine.set_clock(SetClock.parse({"advance_seconds": 1}, engine.provider_names))
    engine.reset()
    assert engine.requests() == []
