"""One journal byte budget for a whole server: the default session and every session share
`--journal-max-bytes`; past it, the journal holding the most gives up its oldest exchanges."""

from __future__ import annotations

import gc

import httpx
import pytest

from conftest import AUTH, SEED_ID
from mockserver import MockEngine, create_app
from mockserver.engine.sessions import Sessions
from mockserver.journal.budget import JournalBudget
from mockserver.journal.ring import Exchange, Journal, JournalSettings
from mockserver.testing.transport import ASGITransport

BUDGET = 1024 * 1024
BIG = b"x" * 60_000


@pytest.fixture
def http():
    engine = MockEngine(journal_max_bytes=BUDGET)
    app = create_app(engine, sessions=Sessions(engine, max_sessions=10))
    with httpx.Client(transport=ASGITransport(app), base_url="http://mock.test") as client:
        yield client


def _paths(http: httpx.Client, prefix: str = "") -> list[str]:
    return [e["path"] for e in http.get(f"{prefix}/__admin/requests").json()["requests"]]


def _write(http: httpx.Client, prefix: str, count: int, body: bytes) -> None:
    for number in range(count):
        http.patch(f"{prefix}/v1/appointments/n{number}", headers=AUTH, content=body)


def test_sessions_writing_large_bodies_stay_within_one_server_wide_budget(http):
    _write(http, "", 5, b"d" * 20_000)  # the default session's evidence: ~100 KB
    noisy = [f"/__session/noisy-{n}" for n in range(4)]
    for prefix in noisy:
        _write(http, prefix, 40, BIG)  # ~2.4 MB each, ten times the budget in all
    listed = http.get("/__admin/sessions").json()
    use = listed["journal"]
    assert use["max_bytes"] == BUDGET
    assert use["bytes"] <= BUDGET
    per_session = {s["id"]: s["journal_bytes"] for s in listed["sessions"]}
    assert use["bytes"] == use["default_session_bytes"] + sum(per_session.values())
    # The default session held the least: it lost nothing.
    assert _paths(http) == [f"/v1/appointments/n{n}" for n in range(5)]
    # Each noisy session keeps its newest exchanges and about an equal share.
    for prefix in noisy:
        kept = _paths(http, prefix)
        assert kept and kept[-1] == "/v1/appointments/n39" and "/v1/appointments/n0" not in kept
    shares = sorted(per_session.values())
    assert shares[-1] - shares[0] <= 2 * len(BIG) + BUDGET // 64, shares


def test_a_session_made_empty_takes_nothing_from_the_others(http):
    _write(http, "/__session/full", 20, BIG)
    before = _paths(http, "/__session/full")
    assert http.get("/__session/empty/__admin/requests").json()["requests"] == []
    assert http.get(f"/__session/empty2/v1/appointments/{SEED_ID}", headers=AUTH).status_code == 200
    assert _paths(http, "/__session/full") == before


def test_a_noisy_session_does_not_wipe_the_default_sessions_evidence(http):
    http.patch(f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"}, headers=AUTH)
    _write(http, "/__session/noisy", 100, BIG)  # six times the budget
    assert _paths(http) == [f"/v1/appointments/{SEED_ID}"]
    assert http.get("/__admin/sessions").json()["journal"]["bytes"] <= BUDGET


def test_the_largest_journal_gives_up_first_and_the_writer_keeps_its_last():
    budget = JournalBudget(100_000)
    small, large = (Journal(JournalSettings(budget=budget)) for _ in range(2))
    for _ in range(3):
        small.record(_exchange(5_000))
    for _ in range(20):
        large.record(_exchange(5_000))
    assert len(small.exchanges()) == 3
    assert budget.held() <= 100_000
    large.record(_exchange(400_000))  # clipped to what an entry keeps, still the largest
    assert len(small.exchanges()) == 3 and len(large.exchanges()) >= 1


def test_the_budget_looks_at_every_journal_only_once_in_a_while(monkeypatch):
    budget = JournalBudget(1024 * 1024)
    journals = [Journal(JournalSettings(budget=budget)) for _ in range(50)]
    scans = 0
    evict = JournalBudget._evict

    def counted(self, writer, target):  # type: ignore[no-untyped-def]
        nonlocal scans
        scans += 1
        evict(self, writer, target)

    monkeypatch.setattr(JournalBudget, "_evict", counted)
    for number in range(5_000):
        journals[number % 50].record(_exchange(2_000))  # ~13 MB through a 1 MB budget
    assert budget.held() <= 1024 * 1024
    # One scan of the 50 journals per 1/64 of the budget written, not one a request.
    assert scans <= 5_000 * 2_600 // (1024 * 1024 // 64) + 1, scans


def test_what_a_rebalance_frees_beyond_the_need_is_capped(monkeypatch):
    """1/64 of the budget is freed beyond what was needed, but never more than a cap: one
    request pays for the rebalance, and a large budget would make it free a great deal."""
    from mockserver.journal import budget as budget_module

    monkeypatch.setattr(budget_module, "MOST_SLACK_BYTES", 10_000)
    budget = JournalBudget(1024 * 1024)  # 1/64 is 16 KiB: capped at 10,000 bytes
    assert budget.slack == 10_000
    journal = Journal(JournalSettings(budget=budget))
    for _ in range(600):  # past the budget: rebalanced at least once
        journal.record(_exchange(2_000))
    lowest = budget.max_bytes
    for _ in range(2_000):
        journal.record(_exchange(2_000))
        lowest = min(lowest, budget.held())
    assert budget.held() <= budget.max_bytes
    # After each rebalance what is held stays within the cap (and one entry) under the budget.
    assert budget.max_bytes - lowest <= 10_000 + 3_000, budget.max_bytes - lowest
    assert JournalBudget(64 * 1024**3).slack == budget_module.MOST_SLACK_BYTES


def test_a_journal_collected_gives_its_bytes_back():
    budget = JournalBudget(1024 * 1024)
    kept = Journal(JournalSettings(budget=budget))
    gone = Journal(JournalSettings(budget=budget))
    gone.record(_exchange(10_000))
    kept.record(_exchange(1_000))
    del gone
    gc.collect()
    assert budget.held() == kept.held_bytes


def _exchange(body_size: int) -> Exchange:
    return Exchange.of(
        at=None,
        provider=None,
        scenario=None,
        method="POST",
        path="/x",
        query="",
        headers={},
        body=b"b" * body_size,
        status=200,
        response=None,
        interaction=None,
    )
