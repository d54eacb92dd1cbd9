"""The dashboard tells what happened, over HTTP: outbox states, journal ids, outcomes, totals and
links, search, exports for the current filter, the reload banner, and the mock's own favicon
kept out of the evidence. (The browser drives the same in test_dashboard_browser.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import AUTH, SEED_ID
from mockserver.core.documents import JournalEntry
from mockserver.web.dashboard import PAGE_SIZE, outcome
from test_dashboard import LEYR_AUTH, LEYR_TWO_STEP, Elements, page


def entry(status: int, response: Any) -> JournalEntry:
    return {"status": status, "response": response}  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    ("status", "response", "expected"),
    [
        (200, {"id": "1", "status": "awaiting_confirmation"}, "awaiting_confirmation"),
        (200, {"success": True, "data": {"status": "cancelled"}}, "cancelled"),
        (
            200,
            [{"status": "awaiting_confirmation"}, {"status": "cancelled"}] * 2,
            "awaiting_confirmation,cancelled",
        ),
        (
            400,
            {"code": "BAD_REQUEST", "errors": [{"error_code": "INVALID_CONFIRMATION_CODE"}]},
            "INVALID_CONFIRMATION_CODE",
        ),
        (503, {"code": "SERVICE_UNAVAILABLE", "errors": []}, "SERVICE_UNAVAILABLE"),
        (
            422,
            {"success": False, "error": {"code": "CANCELLATION_NOTICE_PERIOD"}},
            "CANCELLATION_NOTICE_PERIOD",
        ),
        (500, "<html>oops</html>", "500"),
        (404, {"errors": ["not a dict"], "code": 7}, "404"),
        (200, {"slots": []}, "ok"),
        (200, None, "ok"),
    ],
)
def test_an_exchange_s_outcome_in_one_word(status, response, expected):
    assert outcome(entry(status, response)) == expected


def test_journal_rows_show_their_id_outcome_and_zone(mock_for):
    mock = mock_for("leyr/two-step")
    mock.http.patch(f"{LEYR_TWO_STEP}/2001", json={"status": "cancelled"}, headers=LEYR_AUTH)
    mock.http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "canceled"}, headers=AUTH)
    first, second = (e["id"] for e in mock.http.get("/__admin/requests").json()["requests"])
    shown = page(mock)
    rows = {attrs["data-id"]: attrs for attrs in shown.testid("journal-row")}
    assert rows[str(first)]["data-outcome"] == "awaiting_confirmation"
    assert rows[str(first)]["id"] == f"request-{first}"
    assert rows[str(second)]["data-outcome"] == "VALIDATION_ERROR"
    assert f"#{first}" in shown.text and f"#{second}" in shown.text
    assert any(text.endswith(" UTC") for text in shown.text)
    # The violation cites its exchange with a link to its row.
    links = {a["href"] for a in shown.testid("journal-link")}  # violation and near miss
    assert links == {f"/__admin/ui/?cursor={second + 1}#request-{second}"}
    assert len(shown.testid("journal-link")) >= 2
    assert page(mock, f"?cursor={second + 1}").testid("journal-row")[0]["data-id"] == str(second)


def test_the_journal_header_counts_every_match_not_the_page(mock):
    for _ in range(PAGE_SIZE + 5):
        mock.http.get(f"/v1/appointments/{SEED_ID}", headers=AUTH)
    mock.cancel()
    shown = page(mock)
    assert len(shown.testid("journal-row")) == PAGE_SIZE
    assert f"Journal ({PAGE_SIZE + 6})" in "".join(shown.text)
    filtered = page(mock, "?q=" + SEED_ID + "&status=2xx")
    assert f"Journal ({PAGE_SIZE + 6})" in "".join(filtered.text)
    assert "Journal (0)" in "".join(page(mock, "?q=appt_none").text)


def test_search_by_path_or_appointment_id(mock_for):
    mock = mock_for("leyr/two-step")
    mock.http.patch(f"{LEYR_TWO_STEP}/2001", json={"status": "cancelled"}, headers=LEYR_AUTH)
    mock.http.get(f"{LEYR_TWO_STEP}/2002", headers=LEYR_AUTH)
    mock.cancel()
    paths = lambda query: [a["data-path"] for a in page(mock, query).testid("journal-row")]  # noqa: E731
    assert paths("?q=2001") == [f"{LEYR_TWO_STEP}/2001"]
    assert paths("?q=appointments%2F2002") == [f"{LEYR_TWO_STEP}/2002"]
    assert paths("?q=nothing-like-this") == []
    [box] = page(mock, "?q=2001").testid("journal-search")
    assert box["value"] == "2001" and box["name"] == "q"
    assert mock.http.get("/__admin/ui/?q=" + "x" * 201).status_code == 400
    listed = mock.http.get("/__admin/requests", params={"q": "2001"}).json()["requests"]
    assert [e["path"] for e in listed] == [f"{LEYR_TWO_STEP}/2001"]


def test_export_links_give_the_current_filter_as_har_and_json_lines(mock_for):
    mock = mock_for("leyr/two-step")
    mock.http.patch(f"{LEYR_TWO_STEP}/2001", json={"status": "cancelled"}, headers=LEYR_AUTH)
    mock.http.patch(f"{LEYR_TWO_STEP}/2002", json={"status": "nope"}, headers=LEYR_AUTH)
    mock.cancel()
    shown = page(mock, "?provider=leyr&status=4xx&violations=1&q=appointments")
    [har] = shown.testid("export-har")
    [jsonl] = shown.testid("export-jsonl")
    assert har["download"] == "mockserver.har" and jsonl["download"] == "mockserver.jsonl"
    log = mock.http.get(har["href"]).json()["log"]
    assert [e["request"]["url"].endswith("/2002") for e in log["entries"]] == [True]
    reply = mock.http.get(jsonl["href"])
    assert reply.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in reply.text.splitlines()]
    assert [line["path"] for line in lines] == [f"{LEYR_TWO_STEP}/2002"]
    everything = mock.http.get(page(mock).testid("export-jsonl")[0]["href"]).text.splitlines()
    assert len(everything) == 3


def test_outbox_messages_carry_their_state_and_copy_buttons(mock_for):
    mock = mock_for("leyr/two-step-wrong-code")
    first = mock.http.patch(
        f"{LEYR_TWO_STEP}/2001", json={"status": "cancelled"}, headers=LEYR_AUTH
    )
    for code in ("000000", "000001", "000002"):
        mock.http.patch(
            f"{LEYR_TWO_STEP}/{first.json()['id']}",
            json={"confirmation": {"code": code}},
            headers=LEYR_AUTH,
        )
    second = mock.http.patch(
        f"{LEYR_TWO_STEP}/2001", json={"status": "cancelled"}, headers=LEYR_AUTH
    )
    states = lambda: [  # noqa: E731
        (m["data-state"]) for m in page(mock).testid("outbox-message")
    ]
    assert states() == ["pending", "voided"]  # newest first
    copies = [b["data-copy"] for b in page(mock).testid("copy-new-id")]
    assert copies == [second.json()["id"], first.json()["id"]]
    mock.http.put("/__admin/clock", json={"advance_seconds": 601, "provider": "leyr"})
    assert states() == ["expired", "voided"]
    assert [m["state"] for m in mock.http.get("/__admin/messages").json()["messages"]] == [
        "voided",
        "expired",
    ]


def test_a_confirmed_code_reads_confirmed(mock_for):
    mock = mock_for("leyr/two-step")
    pending = mock.http.patch(
        f"{LEYR_TWO_STEP}/2001", json={"status": "cancelled"}, headers=LEYR_AUTH
    )
    [message] = mock.http.get("/__admin/messages").json()["messages"]
    assert message["state"] == "pending"
    mock.http.patch(
        f"{LEYR_TWO_STEP}/{pending.json()['id']}",
        json={"confirmation": {"code": message["code"]}},
        headers=LEYR_AUTH,
    )
    [attrs] = page(mock).testid("outbox-message")
    assert attrs["data-state"] == "confirmed"


def test_the_favicon_is_the_mock_s_own_and_never_evidence(mock):
    reply = mock.http.get("/favicon.ico")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "image/svg+xml"
    assert reply.content.startswith(b"<svg")
    assert mock.http.head("/favicon.ico").content == b""
    assert mock.http.post("/favicon.ico").status_code == 405
    assert mock.http.get("/__admin/requests").json()["requests"] == []
    assert mock.http.get("/__admin/near-misses").json()["near_misses"] == []
    links = [a for tag, a in Elements(mock.http.get("/__admin/ui/").text).tags if tag == "link"]
    icon = next(a for a in links if a.get("rel") == "icon")
    assert mock.http.get(icon["href"]).headers["content-type"] == "image/svg+xml"


def test_the_reload_banner_is_drawn_only_while_a_reload_failed(tmp_path):
    from conftest import in_process_client
    from mockserver import MockEngine, ScenarioError

    folder = tmp_path / "mine"
    path = folder / "huskyvoice" / "live.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("extends: huskyvoice/direct-cancel\ndescription: live\n")
    engine = MockEngine(["huskyvoice/live"], [folder])
    with in_process_client(engine) as http:
        assert "reload-error" not in http.get("/__admin/ui/").text
        path.write_text(
            "extends: huskyvoice/direct-cancel\ndescription: live\norg: {x: <b>1</b>}\n"
        )
        with pytest.raises(ScenarioError):
            engine.reload()
        banner = Elements(http.get("/__admin/ui/").text)
        assert len(banner.testid("reload-error")) == 1
        text = "".join(banner.text)
        assert "mine/huskyvoice/live.yaml:3" in text
        assert str(tmp_path) not in text
        assert "<b>" not in http.get("/__admin/ui/sections").json()["sections"]["reload"].replace(
            "&lt;b&gt;", ""
        )
        path.write_text("extends: huskyvoice/direct-cancel\ndescription: fixed\n")
        engine.reload()
        assert "reload-error" not in http.get("/__admin/ui/").text
