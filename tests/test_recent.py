"""The mock's bounded memories (the answers known to conform, the parsed queries) forget
their oldest entry one at a time, never everything at once: a full wipe freed thousands of
entries inside one request, a stall of milliseconds every few thousand requests under load.

Counted, never timed: what is still remembered, and how many checks a request costs."""

from __future__ import annotations

import json
import sys
import threading

import pytest

from mockserver import MockEngine, MockRequest
from mockserver.core.recent import Recent

HUSKY = {"authorization": "Bearer YOUR_API_KEY"}


def test_the_oldest_entry_is_forgotten_first_and_alone():
    memory: Recent[str, int] = Recent(3)
    for n, key in enumerate("abc"):
        memory.remember(key, n)
    memory.remember("d", 3)
    assert "a" not in memory
    assert [memory.get(key) for key in "bcd"] == [1, 2, 3]
    assert len(memory) == 3


def test_remembering_a_known_key_keeps_its_first_value_and_place():
    memory: Recent[str, int] = Recent(2)
    memory.remember("a", 1)
    memory.remember("b", 2)
    memory.remember("a", 9)
    memory.remember("c", 3)
    assert "a" not in memory  # still the oldest: a repeat does not renew it
    assert memory.get("b") == 2 and memory.get("c") == 3


def test_weight_bounds_what_is_held_and_forgets_as_few_as_needed():
    memory: Recent[bytes, None] = Recent(100, max_weight=10, weigh=len)
    for key in (b"aaaa", b"bbbb", b"cc"):
        memory.remember(key, None)
    assert memory.weight == 10
    memory.remember(b"ddd", None)  # 13 > 10: only the oldest goes
    assert b"aaaa" not in memory and b"bbbb" in memory and b"cc" in memory
    assert memory.weight == 9
    memory.remember(b"x" * 11, None)  # heavier than the whole memory: never held
    assert b"x" * 11 not in memory and memory.weight == 9 and len(memory) == 3


def test_a_memory_holds_at_least_one_entry():
    with pytest.raises(ValueError, match="at least one"):
        Recent(0)


def test_threads_sharing_a_memory_keep_it_bounded():
    memory: Recent[int, int] = Recent(50, max_weight=400, weigh=lambda key: key % 10)

    def fill(start: int) -> None:
        for key in range(start, start + 20_000):
            memory.remember(key, key)

    threads = [threading.Thread(target=fill, args=(n * 100_000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(memory) <= 50
    assert 0 <= memory.weight <= 400


def _checks_counted(engine: MockEngine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    pipeline = engine.handle.__self__  # type: ignore[attr-defined]
    counted: list[str] = []
    check = pipeline._contracts.check

    def counting(schema, value, **kwargs):  # type: ignore[no-untyped-def]
        counted.append(schema)
        return check(schema, value, **kwargs)

    monkeypatch.setattr(pipeline._contracts, "check", counting)
    return counted


def test_a_full_memory_of_conforming_answers_forgets_only_its_oldest(monkeypatch):
    """Three answers remembered at most: a fourth pushes out the first alone, so the second to
    the fourth, sent again, are not checked again (a full wipe checked them all again)."""
    from mockserver.engine import pipeline as pipeline_module

    monkeypatch.setattr(pipeline_module, "CONFORMING_MEMORY", 3)
    engine = MockEngine()
    listed = engine.handle(MockRequest("GET", "/v1/appointments", "", HUSKY))
    ids = [a["appointment_id"] for a in json.loads(listed.payload)["data"]]
    requests = [
        MockRequest("GET", "/v1/appointments", "limit=1", HUSKY),
        *(MockRequest("GET", f"/v1/appointments/{appointment}", "", HUSKY) for appointment in ids),
    ]
    assert len(requests) == 3 and len(set(ids)) == 2  # with the full list: four answers

    def send(request: MockRequest) -> None:
        answer = engine.handle(request)
        assert answer.status == 200 and not answer.response_problems

    for request in requests:
        send(request)
    counted = _checks_counted(engine, monkeypatch)
    for request in requests:
        send(request)
    assert [c for c in counted if c.endswith(".response")] == []
    send(MockRequest("GET", "/v1/appointments", "", HUSKY))  # the one forgotten: checked again
    assert len([c for c in counted if c.endswith(".response")]) == 1


def test_threads_sharing_a_memory_keep_its_weight_exact():
    """Its weight is what it holds, to the unit, however threads interleave: a lost update of
    the running total would drift for good (the memory is never empty again to reset it), and
    a total below what is held lets it hold more than `max_weight`."""
    weigh = _weight_of
    memory: Recent[int, None] = Recent(1_000, max_weight=400, weigh=weigh)

    def fill(start: int) -> None:
        for key in range(start, start + 20_000):
            memory.remember(key, None)
            memory.remember(key - 7, None)  # some keys sent by two threads at once

    threads = [threading.Thread(target=fill, args=(n * 5_000,)) for n in range(4)]
    was = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch between any two steps
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(was)
    held = sum(weigh(key) for key in range(-7, 35_000) if key in memory)
    assert memory.weight == held
    assert held <= 400


def _weight_of(key: int) -> int:
    return key % 10 + 1


def test_a_server_and_its_sessions_share_one_memory_of_conforming_answers(monkeypatch):
    """One memory for the server and its sessions (they share its contracts): an answer one
    session had checked is not checked again for another, and the bytes held stay within one
    bound however many sessions there are, ended ones too (the run's report keeps them)."""
    read = MockRequest("GET", "/v1/appointments/appt_a1b2c3d4e5", "", HUSKY)
    engine = MockEngine()
    size = len(engine.handle(read).payload)
    counted = _checks_counted(engine, monkeypatch)
    sessions = [engine.spawn(f"s{n}") for n in range(6)]
    for session in sessions:
        answer = session.handle(read)
        assert answer.status == 200 and not answer.response_problems
        session.close()
    assert [c for c in counted if c.endswith(".response")] == []  # checked once, for all
    pipelines = [s.handle.__self__ for s in [engine, *sessions]]  # type: ignore[attr-defined]
    held = {id(p._conforming): p._conforming.weight for p in pipelines}
    assert sum(held.values()) == size  # one answer remembered once, not once a session
