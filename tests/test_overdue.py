"""The deadline watch under the head and body timeouts: each watched thing expires once past
its deadline, never when done first, and a shorter timeout is honoured beside a longer one."""

from __future__ import annotations

import asyncio

from mockserver.web.overdue import Overdue


def test_what_is_done_in_time_never_expires_and_what_is_late_expires_once():
    expired: list[str] = []

    async def scene() -> None:
        overdue = Overdue.of(asyncio.get_running_loop())
        overdue.watch("slow", 0.2, lambda: expired.append("slow"))
        overdue.watch("quick", 0.2, lambda: expired.append("quick"))
        overdue.done("quick")
        await asyncio.sleep(0.6)
        overdue.done("slow")  # after it expired: nothing more happens

    asyncio.run(scene())
    assert expired == ["slow"]


def test_a_short_deadline_beside_a_long_one_is_checked_at_its_own_pace():
    expired: list[str] = []

    async def scene() -> float:
        loop = asyncio.get_running_loop()
        overdue = Overdue.of(loop)
        overdue.watch("long", 60, lambda: expired.append("long"))
        began = loop.time()
        done = loop.create_future()
        overdue.watch("short", 0.2, lambda: done.set_result(loop.time() - began))
        late = await asyncio.wait_for(done, 5)
        overdue.done("long")
        return late

    late = asyncio.run(scene())
    assert expired == []
    assert late < 0.2 + 0.2 / 4 + 1.0  # checked at the short one's pace, never after 60 s


def test_each_event_loop_has_its_own_watch():
    async def watch_of() -> Overdue:
        return Overdue.of(asyncio.get_running_loop())

    assert asyncio.run(watch_of()) is not asyncio.run(watch_of())


def test_a_finished_event_loop_is_not_kept_by_its_watch():
    import gc
    import weakref

    async def loop_of() -> weakref.ref[asyncio.AbstractEventLoop]:
        loop = asyncio.get_running_loop()
        Overdue.of(loop).watch("x", 60, lambda: None)
        Overdue.of(loop).done("x")
        return weakref.ref(loop)

    gone = asyncio.run(loop_of())
    gc.collect()
    assert gone() is None


def test_an_expiry_that_fails_ends_neither_the_others_nor_the_watch():
    expired: list[str] = []
    reported: list[str] = []

    def fails() -> None:
        raise RuntimeError("boom")

    async def scene() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: reported.append(context["message"]))
        overdue = Overdue.of(loop)
        overdue.watch("failing", 0.1, fails)
        overdue.watch("beside", 0.1, lambda: expired.append("beside"))
        await asyncio.sleep(0.4)
        overdue.watch("later", 0.1, lambda: expired.append("later"))
        await asyncio.sleep(0.4)

    asyncio.run(scene())
    assert expired == ["beside", "later"]
    assert reported == ["a deadline's expiry failed"]


class _Connection:
    """An attended thing: a deadline slot and what it does when late."""

    def __init__(self) -> None:
        self.due = 0.0
        self.late = 0

    def overdue(self) -> None:
        assert self.due == 0.0  # set back before the call: a late thing is late once
        self.late += 1


def test_an_attended_slot_is_late_once_and_never_when_cleared_or_left():
    late, cleared, left = _Connection(), _Connection(), _Connection()

    async def scene() -> None:
        loop = asyncio.get_running_loop()
        overdue = Overdue.of(loop)
        for connection in (late, cleared, left):
            overdue.attend(connection, 0.2)
            connection.due = loop.time() + 0.2
        cleared.due = 0.0  # what it awaited came in time
        overdue.leave(left)
        await asyncio.sleep(0.7)
        assert late.late == 1 and late.due == 0.0
        late.due = loop.time() + 0.2  # the next thing it awaits, late too
        await asyncio.sleep(0.7)
        overdue.leave(late)
        overdue.leave(cleared)

    asyncio.run(scene())
    assert (late.late, cleared.late, left.late) == (2, 0, 0)


def test_the_watch_goes_on_while_anything_is_attended_and_stops_after():
    connection = _Connection()

    async def scene() -> tuple[float | None, float | None]:
        loop = asyncio.get_running_loop()
        overdue = Overdue.of(loop)
        overdue.attend(connection, 0.2)
        await asyncio.sleep(0.3)  # checked with nothing due: the watch goes on
        during = overdue._period
        overdue.leave(connection)
        await asyncio.sleep(0.2)
        return during, overdue._period

    during, after = asyncio.run(scene())
    assert during == 0.05 and after is None
