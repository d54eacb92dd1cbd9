"""The mock's bounded memories (answers known to conform, parsed queries, the last route) forget
their oldest entry one at a time, never everything at once: a full wipe freed thousands of
entries inside one request, a stall of milliseconds every few thousand requests under load.

Counted, never timed: what is still remembered, and how many checks a request costs."""

from __future__ import annotations

import gc
import json
import sys
import threading

import pytest

from mockserver import MockEngine, MockRequest
from mockserver.core.contracts import default_contracts
from mockserver.core.recent import Recent
from mockserver.core.routing import Operation, PathTemplate, Router
from mockserver.providers import make_providers

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


def _router() -> Router:
    leyr = make_providers(default_contracts())["leyr"]
    return leyr.router


def test_the_router_answers_each_path_for_itself_however_they_alternate():
    router = _router()
    base = "/api/emrs/{emr}/care-units/cu/appointments/{id}"
    for n in range(200):
        emr, appointment = f"emr{n % 3}", str(7_000_000 + n % 7)
        op, params = router.match("PATCH", base.format(emr=emr, id=appointment))
        assert params == {"emr": emr, "care_unit_id": "cu", "appointment_id": appointment}
        assert op.operation_id == "updateAppointment"
    assert router.params_for("/api/emrs/a/care-units/b/appointments") == {
        "emr": "a",
        "care_unit_id": "b",
    }


def test_threads_sharing_a_router_never_see_another_paths_parameters():
    router = _router()
    wrong: list[tuple[str, dict[str, str]]] = []

    def route(emr: str) -> None:
        path = f"/api/emrs/{emr}/care-units/cu/appointments/1"
        for _ in range(5_000):
            params = router.params_for(path)
            if params.get("emr") != emr:
                wrong.append((emr, params))

    threads = [threading.Thread(target=route, args=(f"emr{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def _op(method: str, path: str, name: str) -> Operation:
    return Operation(name, method, path, name, handler=lambda state, call: None, responses={})


def test_the_router_matches_each_template_once_and_keeps_declaration_order(monkeypatch):
    operations = [
        _op("GET", "/x/{item_id}", "read"),
        _op("GET", "/x/latest", "latest"),
        _op("PATCH", "/x/{item_id}", "change"),
    ]
    router = Router(operations)
    tried: list[str] = []
    match_parts = PathTemplate.match_parts

    def counting(self, parts):  # type: ignore[no-untyped-def]
        tried.append(self.template)
        return match_parts(self, parts)

    monkeypatch.setattr(PathTemplate, "match_parts", counting)
    found = router.resolve("/x/latest")
    assert [op.operation_id for op, _ in found] == ["read", "latest", "change"]
    assert [dict(params) for _, params in found] == [
        {"item_id": "latest"},
        {},
        {"item_id": "latest"},
    ]
    assert sorted(tried) == ["/x/latest", "/x/{item_id}"]  # two templates, two matches
    op, params = router.match("GET", "/x/latest")
    assert op.operation_id == "read" and params == {"item_id": "latest"}  # the first declared
    assert router.match("PATCH", "/x/7")[0].operation_id == "change"


def test_building_an_engine_sets_off_no_collection_and_restores_the_collector(tmp_path):
    """Scenarios, schemas and states all live on: a collection while they are built would walk
    them again and free nothing (a scenario of 5,000 appointments spent 0.2 s so)."""
    (tmp_path / "huskyvoice").mkdir()
    (tmp_path / "huskyvoice" / "many.yaml").write_text(
        "extends: huskyvoice/direct-cancel\ndescription: many\ngenerate: {appointments: 3000}\n"
    )
    collections: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        engine = MockEngine(["huskyvoice/many"], [tmp_path])
        assert len(engine.states["huskyvoice"].appointments) > 3000
        # At most the one collection its objects set off once the build is over: of the
        # youngest generation, or an older one when earlier collections made it due.
        assert len(collections) <= 1, collections
        assert gc.isenabled()
        gc.disable()
        try:
            MockEngine()
            assert not gc.isenabled()  # left off, as it was
        finally:
            gc.enable()
    finally:
        gc.callbacks.remove(seen)


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
