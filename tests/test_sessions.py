"""Sessions: isolated worlds on one server, addressed by a path prefix or a header."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from conftest import AUTH, SEED_ID
from mockserver import MockEngine, MockServer, create_app
from mockserver.engine.sessions import Sessions
from mockserver.testing.transport import ASGITransport
from servers import running_cli

CANCEL = f"/v1/appointments/{SEED_ID}"
LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
ANITA_2001 = "/api/emrs/anitasystems/care-units/L0_1/appointments/2001"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock):
    """A fresh engine behind an app with sessions on an injected wall clock, in process."""
    engine = MockEngine()
    sessions = Sessions(engine, ttl_seconds=60, max_sessions=3, wall_clock=clock)
    app = create_app(engine, sessions=sessions)
    with httpx.Client(transport=ASGITransport(app), base_url="http://mock.test") as client:
        yield client


def s(session: str, path: str) -> str:
    return f"/__session/{session}{path}"


def test_two_sessions_on_the_same_provider_see_only_their_own_world(server):
    notice = server.put(
        s("a", "/__admin/scenario"), json={"name": "huskyvoice/notice-period"}
    ).status_code
    assert notice == 200
    refused = server.patch(s("a", CANCEL), json={"status": "cancelled"}, headers=AUTH)
    done = server.patch(s("b", CANCEL), json={"status": "cancelled"}, headers=AUTH)
    assert refused.json()["error"]["code"] == "CANCELLATION_NOTICE_PERIOD"
    assert done.json()["data"]["status"] == "cancelled"
    # The default session never saw either request: its appointment is still confirmed.
    assert server.get(CANCEL, headers=AUTH).json()["data"]["status"] == "confirmed"
    journal_a = server.get(s("a", "/__admin/requests")).json()["requests"]
    journal_b = server.get(s("b", "/__admin/requests")).json()["requests"]
    assert [(e["session"], e["path"], e["status"]) for e in journal_a] == [("a", CANCEL, 422)]
    assert [(e["session"], e["path"], e["status"]) for e in journal_b] == [("b", CANCEL, 200)]
    default = server.get("/__admin/requests").json()["requests"]
    assert [(e["session"], e["method"]) for e in default] == [(None, "GET")]
    scenario_a = server.get(s("a", "/__admin/scenario")).json()
    assert "huskyvoice/notice-period" in json.dumps(scenario_a)
    assert "notice-period" not in json.dumps(server.get(s("b", "/__admin/scenario")).json())


def test_violations_coverage_and_resets_stay_in_their_session(server):
    broken = server.patch(
        s("a", CANCEL), json={"status": "cancelled", "colour": "red"}, headers=AUTH
    )
    assert broken.status_code == 400
    assert (
        server.patch(s("b", CANCEL), json={"status": "cancelled"}, headers=AUTH).status_code == 200
    )
    assert len(server.get(s("a", "/__admin/violations")).json()["violations"]) == 1
    assert server.get(s("b", "/__admin/violations")).json()["violations"] == []
    assert server.get("/__admin/violations").json()["violations"] == []
    coverage_b = server.get(s("b", "/__admin/coverage")).json()["huskyvoice"]["covered"]
    assert coverage_b >= 1
    assert server.get("/__admin/coverage").json()["huskyvoice"]["covered"] == 0
    assert server.post(s("a", "/__admin/reset"), json={}).status_code == 200
    assert server.get(s("a", "/__admin/requests")).json()["requests"] == []
    assert len(server.get(s("b", "/__admin/requests")).json()["requests"]) == 1
    assert server.get(s("b", CANCEL), headers=AUTH).json()["data"]["status"] == "cancelled"


def test_the_header_addresses_a_session_like_the_prefix(server):
    headers = {**AUTH, "X-Mock-Session": "job-4711"}
    assert server.patch(CANCEL, json={"status": "cancelled"}, headers=headers).status_code == 200
    assert server.get(s("job-4711", CANCEL), headers=AUTH).json()["data"]["status"] == "cancelled"
    assert server.get(CANCEL, headers=AUTH).json()["data"]["status"] == "confirmed"


def test_a_scenario_named_on_the_first_request_starts_the_session_on_it(server):
    reply = server.patch(
        s("n", CANCEL) + "?scenario=huskyvoice/cancellation-disabled",
        json={"status": "cancelled"},
        headers=AUTH,
    )
    assert reply.json()["error"]["code"] == "CANCELLATION_NOT_ALLOWED"
    [entry] = server.get(s("n", "/__admin/requests")).json()["requests"]
    assert entry["query"] == ""  # the mock's parameter never reaches the provider
    unknown = server.get(s("m", CANCEL) + "?scenario=huskyvoice/nope", headers=AUTH)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "UNKNOWN_SCENARIO")
    both = s("m", CANCEL) + "?scenario=huskyvoice/flaky&scenario=huskyvoice/slow"
    two = server.get(both, headers=AUTH).json()["error"]
    assert (two["code"], "name at most one per provider" in two["message"]) == (
        "INVALID_SCENARIOS",
        True,
    )
    assert server.get("/__admin/sessions").json()["sessions"][0]["id"] == "n"


@pytest.mark.parametrize("bad", ["has space", "semi;colon", "x" * 65, "", "ünï", "a%2Fb", "..%2F"])
def test_a_bad_session_id_is_a_400_naming_the_rule_in_the_providers_envelope(server, bad):
    reply = server.get(s(bad, CANCEL), headers=AUTH)
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["success"] is False  # HuskyVoice's envelope
    assert body["error"]["code"] == "INVALID_SESSION_ID"
    assert "[A-Za-z0-9._-]{1,64}" in body["error"]["message"]
    leyr = server.get(s(bad, ANITA_2001), headers=LEYR)
    assert leyr.headers["content-type"].startswith("application/problem+json")
    assert server.get("/__admin/sessions").json()["sessions"] == []


def test_the_session_limit_refuses_a_new_one_and_evicts_none(server):
    for name in ("one", "two", "three"):
        assert server.get(s(name, CANCEL), headers=AUTH).status_code == 200
    refused = server.get(s("four", CANCEL), headers=AUTH)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "SESSION_LIMIT"
    assert "--max-sessions 3" in refused.json()["error"]["message"]
    assert [x["id"] for x in server.get("/__admin/sessions").json()["sessions"]] == [
        "one",
        "three",
        "two",
    ]
    assert server.delete(s("two", "/__admin/session")).json() == {"ended": "two"}
    assert server.get(s("four", CANCEL), headers=AUTH).status_code == 200


def test_idle_sessions_expire_after_the_ttl_and_a_used_one_does_not(server, clock):
    server.patch(s("idle", CANCEL), json={"status": "cancelled"}, headers=AUTH)
    server.get(s("busy", CANCEL), headers=AUTH)
    clock.now += 45
    server.get(s("busy", CANCEL), headers=AUTH)
    clock.now += 30  # idle: 75 s without a request; busy: 30 s
    assert [x["id"] for x in server.get("/__admin/sessions").json()["sessions"]] == ["busy"]
    # Used again, the expired id starts a fresh world.
    assert server.get(s("idle", CANCEL), headers=AUTH).json()["data"]["status"] == "confirmed"


def test_sessions_are_listed_and_report_their_verdict(server, clock):
    server.patch(s("ok", CANCEL), json={"status": "cancelled"}, headers=AUTH)
    server.patch(s("bad", CANCEL), json={"status": "canceled"}, headers=AUTH)
    clock.now += 5
    listed = {x["id"]: x for x in server.get("/__admin/sessions").json()["sessions"]}
    assert (listed["ok"]["requests"], listed["ok"]["violations"]) == (1, 0)
    assert (listed["bad"]["requests"], listed["bad"]["violations"]) == (1, 1)
    assert listed["ok"]["idle_seconds"] == 5
    assert listed["ok"]["scenarios"]["huskyvoice"] == "huskyvoice/direct-cancel"
    assert listed["ok"]["created"].endswith("Z")
    good = server.get("/__admin/sessions/ok/report").json()
    bad = server.get("/__admin/sessions/bad/report").json()
    assert (good["verdict"], good["violations"]) == ("pass", 0)
    assert (bad["verdict"], bad["violations"]) == ("fail", 1)
    assert good["coverage"]["huskyvoice"]["covered"] == 1
    missing = server.get("/__admin/sessions/nobody/report")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "UNKNOWN_SESSION")


def test_ending_a_session_forgets_it_and_the_default_session_cannot_end(server):
    server.patch(s("gone", CANCEL), json={"status": "cancelled"}, headers=AUTH)
    assert server.delete(s("gone", "/__admin/session")).json() == {"ended": "gone"}
    assert server.get("/__admin/sessions").json()["sessions"] == []
    assert server.get(s("gone", CANCEL), headers=AUTH).json()["data"]["status"] == "confirmed"
    refused = server.delete("/__admin/session")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "DEFAULT_SESSION")
    # "default" names the server's own world.
    assert server.get(s("default", CANCEL), headers=AUTH).json()["data"]["status"] == "confirmed"


def test_eight_sessions_do_the_leyr_two_step_on_the_same_id_each_with_its_own_code():
    engine = MockEngine(["leyr/two-step"])
    with MockServer(engine) as running:

        def two_step(n: int) -> tuple[str, str]:
            base = f"{running.base_url}/__session/worker-{n}"
            with httpx.Client(base_url=base, timeout=10) as http:
                pending = http.patch(ANITA_2001, json={"status": "cancelled"}, headers=LEYR).json()
                [message] = http.get("/__admin/messages").json()["messages"]
                assert message["new_id"] == pending["id"]
                new = ANITA_2001.replace("2001", pending["id"])
                done = http.patch(
                    new, json={"confirmation": {"code": message["code"]}}, headers=LEYR
                )
                return done.json()["status"], message["code"]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(two_step, range(8)))
    assert [status for status, _ in results] == ["cancelled"] * 8
    assert engine.requests() == []  # the default session saw none of it


def test_journal_file_lines_carry_the_session(tmp_path):
    journal = tmp_path / "journal.jsonl"
    args = ["--journal-file", str(journal), "--max-sessions", "1"]
    with running_cli(args) as run, httpx.Client(base_url=run.base_url) as http:
        http.get(f"/__session/ci-7{CANCEL}", headers=AUTH)
        http.get(CANCEL, headers=AUTH)
        full = http.get(f"/__session/ci-8{CANCEL}", headers=AUTH)
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(x["session"], x["path"]) for x in lines] == [("ci-7", CANCEL), (None, CANCEL)]
    assert (full.status_code, full.json()["error"]["code"]) == (503, "SESSION_LIMIT")


def test_a_thousand_sessions_used_and_ended_give_their_memory_back():
    code = """
import gc, resource, httpx
from mockserver import MockEngine, create_app
from mockserver.engine.sessions import Sessions
from mockserver.testing.transport import ASGITransport

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20

engine = MockEngine()
app = create_app(engine, sessions=Sessions(engine, max_sessions=2000))
auth = {"Authorization": "Bearer YOUR_API_KEY"}
with httpx.Client(transport=ASGITransport(app), base_url="http://m") as http:
    def round(prefix):
        for i in range(1000):
            base = f"/__session/{prefix}-{i}"
            http.patch(base + "/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=auth)
            http.delete(base + "/__admin/session")
    round("warm")
    gc.collect()
    before = rss_mb()
    round("measured")
    gc.collect()
    print(rss_mb() - before)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert float(result.stdout.strip()) < 20, result.stdout


def test_ending_a_session_that_is_not_live_is_a_404_and_makes_none(server, clock):
    server.get(s("stale", CANCEL), headers=AUTH)
    clock.now += 61  # past the TTL: expired
    for session_id in ("stale", "never-used"):
        for path in (s(session_id, "/__admin/session"), "/__admin/session"):
            headers = {} if path.startswith("/__session") else {"X-Mock-Session": session_id}
            missing = server.delete(path, headers=headers)
            assert missing.status_code == 404
            assert missing.json()["error"]["code"] == "UNKNOWN_SESSION"
            assert repr(session_id) in missing.json()["error"]["message"]
    assert server.get("/__admin/sessions").json()["sessions"] == []
    bad = server.delete(s("no%20way", "/__admin/session"))
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "INVALID_SESSION_ID")


def test_a_sweep_ends_only_the_sessions_idle_past_the_ttl(clock):
    sessions = Sessions(MockEngine(), ttl_seconds=60, wall_clock=clock)
    ended: list[str] = []
    sessions.on_end(ended.append)
    for session_id in ("first", "second", "third"):
        sessions.get(session_id)
        clock.now += 10
    sessions.get("first")  # used again: now the most recent
    clock.now += 45  # second: 65 s idle, third: 55 s, first: 45 s
    assert sessions.sweep() == 1
    assert ended == ["second"]
    clock.now += 10
    assert sessions.sweep() == 1
    assert (ended, len(sessions)) == (["second", "third"], 1)


def test_a_server_nobody_calls_still_frees_its_expired_sessions(clock):
    engine = MockEngine()
    sessions = Sessions(engine, ttl_seconds=60, wall_clock=clock, sweep_seconds=0.01)
    ended: list[str] = []
    sessions.on_end(ended.append)
    with MockServer(engine, sessions=sessions) as running:
        with httpx.Client(base_url=running.base_url, timeout=10) as http:
            http.patch(f"/__session/quiet{CANCEL}", json={"status": "cancelled"}, headers=AUTH)
        assert len(sessions) == 1
        clock.now += 61  # no request from here on
        deadline = time.monotonic() + 10
        while ended != ["quiet"] and time.monotonic() < deadline:
            time.sleep(0.01)
    assert ended == ["quiet"]
    assert len(sessions) == 0


@pytest.mark.parametrize("dots", [".", ".."])
def test_dot_segments_are_no_session_ids(server, dots):
    """`/__session/../v1/…` is `/v1/…` once any URL normaliser (a browser, curl, a load
    balancer) has seen it: such an id could not name the same session everywhere."""
    by_header = server.get(CANCEL, headers={**AUTH, "X-Mock-Session": dots})
    assert (by_header.status_code, by_header.json()["error"]["code"]) == (400, "INVALID_SESSION_ID")
    assert "other than '.' and '..'" in by_header.json()["error"]["message"]
    assert server.get("/__admin/sessions").json()["sessions"] == []


def _raw_get(base_url: str, path: str) -> bytes:
    """A GET sent as written: http clients remove dot segments before sending."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n".encode())
        return b"".join(iter(lambda: sock.recv(65536), b""))


def test_a_sessions_report_goes_to_its_own_folder_of_the_report_directory(tmp_path):
    report = tmp_path / "report"
    with (
        running_cli(["--report-dir", str(report)]) as run,
        httpx.Client(base_url=run.base_url, timeout=10) as http,
    ):
        http.patch(f"/__session/bad{CANCEL}", json={"status": "canceled"}, headers=AUTH)
        http.patch(f"/__session/good{CANCEL}", json={"status": "cancelled"}, headers=AUTH)
        bad = http.post("/__session/bad/__admin/report").json()
        good = http.post("/__session/good/__admin/report").json()
        assert not report.joinpath("summary.md").exists()  # the server's own report: at its end
        dotted = _raw_get(run.base_url, "/__session/../__admin/report")
    assert (bad["verdict"]["passed"], good["verdict"]["passed"]) == (False, True)
    assert "summary.md" in bad["written"] and "journal.jsonl" in good["written"]
    for session_id, status in (("bad", 400), ("good", 200)):
        lines = (report / "sessions" / session_id / "journal.jsonl").read_text().splitlines()
        assert [(json.loads(x)["session"], json.loads(x)["status"]) for x in lines] == [
            (session_id, status)
        ]
    assert dotted.startswith(b"HTTP/1.1 400 "), dotted[:200]
    assert sorted(p.name for p in (report / "sessions").iterdir()) == ["bad", "good"]
    # Written when the server stops, the server's report covers both sessions.
    whole = (report / "journal.jsonl").read_text().splitlines()
    assert sorted(json.loads(x)["session"] for x in whole) == ["bad", "good"]


def _coverage_hits(coverage: dict[str, Any]) -> set[str]:
    """The outcomes a session's coverage counts, as `provider operation outcome`."""
    hits = set()
    for provider, part in coverage.items():
        for operation in part["operations"]:
            for outcome, count in operation["outcomes"].items():
                if count:
                    hits.add(f"{provider} {operation['operation']} {outcome}")
    return hits


def test_two_sessions_cancelling_the_same_appointments_at_once_each_see_only_their_own():
    """Two jobs on the same providers, other scenarios, the same appointments, all at once:
    each sees only its own answers, journal, violations, outbox and coverage."""
    worlds = {
        "early": (["huskyvoice/direct-cancel", "leyr/two-step"], {"status": "canceled"}),
        "late": (["huskyvoice/notice-period", "leyr/two-step-wrong-code"], {"colour": "red"}),
    }
    with MockServer(MockEngine()) as running:
        for session_id, (scenarios, _) in worlds.items():
            for name in scenarios:
                put = httpx.put(
                    f"{running.base_url}/__session/{session_id}/__admin/scenario",
                    json={"name": name},
                )
                assert put.status_code == 200, put.text
        calls = [
            (session_id, path, body, headers)
            for session_id, (_, broken) in worlds.items()
            for path, body, headers in [(CANCEL, {"status": "cancelled"}, AUTH)] * 4
            + [(ANITA_2001, {"status": "cancelled"}, LEYR)] * 4
            + [(CANCEL, {"status": "cancelled", **broken}, AUTH)]
        ]
        start = threading.Barrier(len(calls))

        def call(session_id: str, path: str, body: object, headers: dict[str, str]) -> object:
            with httpx.Client(base_url=f"{running.base_url}/__session/{session_id}") as http:
                start.wait(timeout=30)
                reply = http.patch(path, json=body, headers=headers)
                return session_id, path, reply.status_code, reply.json()

        with ThreadPoolExecutor(len(calls)) as pool:
            answers = list(pool.map(lambda args: call(*args), calls))
        seen = {
            session_id: httpx.get(
                f"{running.base_url}/__session/{session_id}/__admin/requests"
            ).json()["requests"]
            for session_id in worlds
        }
        violations = {
            s: httpx.get(f"{running.base_url}/__session/{s}/__admin/violations").json()
            for s in worlds
        }
        outbox = {
            s: httpx.get(f"{running.base_url}/__session/{s}/__admin/messages").json()
            for s in worlds
        }
        coverage = {
            s: _coverage_hits(
                httpx.get(f"{running.base_url}/__session/{s}/__admin/coverage").json()
            )
            for s in worlds
        }
        default_journal = httpx.get(f"{running.base_url}/__admin/requests").json()["requests"]
    husky = {s: sorted(a[2] for a in answers if a[0] == s and a[1] == CANCEL) for s in worlds}
    assert husky == {"early": [200, 200, 200, 200, 400], "late": [400, 422, 422, 422, 422]}
    pending = {s: {a[3]["id"] for a in answers if a[0] == s and a[1] == ANITA_2001} for s in worlds}
    [early_id], [late_id] = pending["early"], pending["late"]
    for session_id, entries in seen.items():
        assert len(entries) == 9 and {e["session"] for e in entries} == {session_id}
    [early_message], [late_message] = outbox["early"]["messages"], outbox["late"]["messages"]
    assert (early_message["new_id"], late_message["new_id"]) == (early_id, late_id)
    assert late_message["code"] == "482913"  # two-step-wrong-code's fixed code
    [early_broke], [late_broke] = (
        violations["early"]["violations"],
        violations["late"]["violations"],
    )
    assert "canceled" in json.dumps(early_broke) and "colour" not in json.dumps(early_broke)
    assert "colour" in json.dumps(late_broke) and "canceled" not in json.dumps(late_broke)
    notice = "huskyvoice PATCH /v1/appointments/{appointment_id} 422 CANCELLATION_NOTICE_PERIOD"
    done = "huskyvoice PATCH /v1/appointments/{appointment_id} 200"
    assert done in coverage["early"] and notice not in coverage["early"]
    assert notice in coverage["late"] and done not in coverage["late"]
    assert [e["path"] for e in default_journal] == []


def test_stubs_clocks_and_near_misses_stay_in_their_session(server):
    stub = {
        "name": "busy",
        "provider": "huskyvoice",
        "match": {"method": "GET", "path": "/v1/appointments/{appointment_id}"},
        "respond": {
            "status": 503,
            "body": {"success": False, "error": {"code": "SERVICE_UNAVAILABLE", "message": "x"}},
        },
    }
    assert server.post(s("a", "/__admin/interactions"), json=stub).status_code == 200
    clock = {"advance_seconds": 3600, "provider": "huskyvoice"}
    assert server.put(s("a", "/__admin/clock"), json=clock).status_code == 200
    server.get(s("a", "/v1/nowhere"), headers=AUTH)  # a near miss of a's stub

    def status(path: str) -> int:
        return server.get(path, headers=AUTH).status_code

    def names(path: str) -> list[str]:
        return [i["name"] for i in server.get(path).json()["interactions"]]

    def now(path: str) -> str:
        return server.get(path).json()["huskyvoice"]["now"]

    def misses(path: str) -> int:
        return len(server.get(path).json()["near_misses"])

    assert [status(s("a", CANCEL)), status(s("b", CANCEL)), status(CANCEL)] == [503, 200, 200]
    assert [names(s("a", "/__admin/interactions")), names(s("b", "/__admin/interactions"))] == [
        ["busy"],
        [],
    ]
    clocks = [now(s("a", "/__admin/clock")), now(s("b", "/__admin/clock")), now("/__admin/clock")]
    assert clocks == ["2026-05-26T13:00:00.000Z", *["2026-05-26T12:00:00.000Z"] * 2]
    near = ["/__admin/near-misses", s("a", "/__admin/near-misses"), s("b", "/__admin/near-misses")]
    assert [misses(path) for path in near] == [0, 1, 0]
