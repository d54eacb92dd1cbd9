"""The garbage collector is held off while engines, sessions and reports are built, and is
always on again once the last of the builds under way ends, whatever threads they run in."""

from __future__ import annotations

import gc
import sys
import threading

import pytest

from mockserver import MockEngine
from mockserver.core import collector
from mockserver.core.collector import collector_paused


class _ReadingLetsTheOtherEnd:
    """`gc` as the collector module sees it, where the main thread's reading of whether the
    collector is on lets another build end before the main thread goes on: the narrow window
    between reading and turning it off, made wide."""

    def __init__(self, other_may_end: threading.Event, other_ended: threading.Event) -> None:
        self._may_end, self._ended = other_may_end, other_ended

    def isenabled(self) -> bool:
        on = gc.isenabled()
        if threading.current_thread() is threading.main_thread():
            self._may_end.set()
            self._ended.wait(5)
        return on

    def disable(self) -> None:
        gc.disable()

    def enable(self) -> None:
        gc.enable()


def test_a_build_that_begins_while_another_ends_leaves_the_collector_on(monkeypatch):
    inside, may_end, ended = threading.Event(), threading.Event(), threading.Event()

    def other_build() -> None:
        with collector_paused():
            inside.set()
            may_end.wait(5)
        ended.set()

    monkeypatch.setattr(collector, "gc", _ReadingLetsTheOtherEnd(may_end, ended))
    assert gc.isenabled()
    other = threading.Thread(target=other_build)
    other.start()
    try:
        assert inside.wait(5)
        with collector_paused():
            assert not gc.isenabled()
            may_end.set()
            assert ended.wait(5)
            assert not gc.isenabled()  # the other build ended: this one still holds it off
    finally:
        may_end.set()
        other.join(5)
        was_on = gc.isenabled()
        gc.enable()
    assert was_on


def test_sessions_made_from_many_threads_at_once_leave_the_collector_on():
    engine = MockEngine()
    failures: list[BaseException] = []

    def make(thread: int) -> None:
        try:
            for n in range(15):
                engine.spawn(f"t{thread}-{n}").close()
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=make, args=(n,)) for n in range(4)]
    was = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads switch between any two steps of a build
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(was)
        on = gc.isenabled()
        gc.enable()
    assert failures == [] and on


def test_a_collector_turned_off_by_the_caller_stays_off_through_nested_builds():
    gc.disable()
    try:
        with collector_paused():
            MockEngine()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_build_that_fails_gives_the_collector_back(tmp_path):
    (tmp_path / "huskyvoice").mkdir()
    (tmp_path / "huskyvoice" / "broken.yaml").write_text(
        "extends: huskyvoice/direct-cancel\ndescription: broken\nclock: {now: never}\n"
    )
    with pytest.raises(Exception, match="now"):
        MockEngine(["huskyvoice/broken"], [tmp_path])
    assert gc.isenabled()
    with collector_paused():
        pass
    assert gc.isenabled()  # and nothing left counted as under way


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
