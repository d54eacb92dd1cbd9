"""A session's dashboard shows its own world and links only inside it; the default session's
page lists the live sessions. (The browser drives both in test_dashboard_browser.)"""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import AUTH, SEED_ID
from mockserver import MockEngine, create_app
from mockserver.engine.sessions import SessionSummary
from mockserver.testing.transport import ASGITransport
from mockserver.web.dashboard import JournalFilter, Snapshot, sections
from test_dashboard import Elements

LEYR = "/api/emrs/anitasystems/care-units/L0_1/appointments/2001"
LEYR_AUTH = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}


@pytest.fixture
def http():
    app = create_app(MockEngine())
    with httpx.Client(transport=ASGITransport(app), base_url="http://mock.test") as client:
        yield client


def _traffic(http: httpx.Client) -> None:
    http.patch(
        f"/__session/job-a/v1/appointments/{SEED_ID}", json={"status": "canceled"}, headers=AUTH
    )
    http.get(f"/__session/job-b{LEYR}", headers=LEYR_AUTH)
    http.get(f"/v1/appointments/{SEED_ID}", headers=AUTH)


def _links(shown: Elements) -> list[str]:
    found = []
    for _tag, attrs in shown.tags:
        for name in ("href", "src", "action", "data-admin"):
            if attrs.get(name) and not str(attrs[name]).startswith("#"):
                found.append(str(attrs[name]))
    return found


def test_a_sessions_page_shows_its_rows_and_links_only_inside_it(http):
    _traffic(http)
    reply = http.get("/__session/job-a/__admin/ui/?provider=huskyvoice")
    assert reply.status_code == 200, reply.text[:300]
    shown = Elements(reply.text)
    paths = [row["data-path"] for row in shown.testid("journal-row")]
    assert paths == [f"/v1/appointments/{SEED_ID}"]
    links = _links(shown)
    links.remove("/__admin/ui/#sessions")  # the one way out: back to the picker
    assert links and all(link.startswith("/__session/job-a/__admin") for link in links), links
    assert shown.testid("session-name") and not shown.testid("session-row")
    assert len(shown.testid("violation-row")) == 1
    row_links = [str(a["href"]) for a in shown.testid("journal-link")]
    assert row_links and all(
        x.startswith("/__session/job-a/__admin/ui/?cursor=") for x in row_links
    )
    live = http.get("/__session/job-a/__admin/ui/sections").json()["sections"]
    assert "/__session/job-b" not in json.dumps(live) and "sessions" not in live
    live_links = _links(Elements("".join(live.values())))
    assert live_links.count("/__admin/ui/#sessions") == 1
    assert all(
        x.startswith("/__session/job-a/") for x in live_links if x != "/__admin/ui/#sessions"
    )


def test_a_sessions_export_links_download_only_its_exchanges(http):
    _traffic(http)
    shown = Elements(http.get("/__session/job-b/__admin/ui/").text)
    [har] = [a["href"] for a in shown.testid("export-har")]
    [jsonl] = [a["href"] for a in shown.testid("export-jsonl")]
    entries = http.get(str(har)).json()["log"]["entries"]
    assert [e["_session"] for e in entries] == ["job-b"]
    lines = [json.loads(line) for line in http.get(str(jsonl)).text.splitlines()]
    assert [(x["session"], x["path"]) for x in lines] == [("job-b", LEYR)]


def test_the_bare_session_page_path_redirects_inside_the_session(http):
    moved = http.get("/__session/job-a/__admin/ui", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (308, "/__session/job-a/__admin/ui/")


def test_the_default_page_lists_the_live_sessions_each_linked_to_its_page(http):
    empty = Elements(http.get("/__admin/ui/").text)
    assert empty.testid("session-row") == [] and "None live" in "".join(empty.text)
    _traffic(http)
    shown = Elements(http.get("/__admin/ui/").text)
    rows = {row["data-session"]: row for row in shown.testid("session-row")}
    assert sorted(rows) == ["job-a", "job-b"]
    assert [a["href"] for a in shown.testid("session-link")] == [
        "/__session/job-a/__admin/ui/",
        "/__session/job-b/__admin/ui/",
    ]
    assert shown.testid("session-name") == []
    http.delete("/__session/job-a/__admin/session")
    live = http.get("/__admin/ui/sections").json()["sections"]["sessions"]
    assert "job-b" in live and "job-a" not in live


def test_the_picker_escapes_what_it_shows():
    hostile = "<img src=x onerror=alert(1)>"
    summary: SessionSummary = {
        "id": hostile,
        "created": "2026-11-30T05:00:00.000Z",
        "idle_seconds": 0.0,
        "requests": 1,
        "violations": 0,
        "scenarios": {"huskyvoice": f"huskyvoice/{hostile}"},
    }
    snapshot = Snapshot(
        providers=(),
        active={},
        scenarios=(),
        clocks={},
        messages=(),
        journal=(),
        next_cursor=None,
        total_seen=0,
        violations=(),
        interactions=(),
        near_misses=(),
        filter=JournalFilter(),
        sessions=[summary],
    )
    drawn = sections(snapshot)["sessions"]
    assert "<img" not in drawn and "&lt;img src=x onerror=alert(1)&gt;" in drawn
    [link] = Elements(drawn).testid("session-link")
    assert link["href"] == "/__session/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/__admin/ui/"
