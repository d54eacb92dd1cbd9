"""What a reset (the fixture's, before every test) builds. Counted, never timed.

Seeding a random generator costs more than the rest of a reset, and most tests never draw:
each world's generator is made on its first draw, seeded as before, so draws do not change."""

from __future__ import annotations

import json
import random

import pytest

from mockserver import MockEngine, MockRequest

LEYR = {
    "x-leyr-client-id": "test-client-id",
    "x-leyr-client-secret": "test-client-secret",
    "content-type": "application/json",
}
ANITA = "/api/emrs/anitasystems/care-units/L0_1/appointments"


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every random generator seeded from here on, by its seed."""
    made: list[object] = []

    class Counted(random.Random):
        def seed(self, a: object = None, version: int = 2) -> None:
            made.append(a)
            super().seed(a, version)

    monkeypatch.setattr(random, "Random", Counted)
    return made


def _two_step(engine: MockEngine) -> tuple[str, str]:
    cancel = MockRequest("PATCH", f"{ANITA}/2001", "", LEYR, b'{"status": "cancelled"}')
    pending = json.loads(engine.handle(cancel).payload)
    codes = [m["code"] for m in engine.states["leyr"].outbox()]
    return pending["id"], codes[-1]


def test_a_reset_seeds_no_generator_until_a_draw(seeded):
    engine = MockEngine(["huskyvoice/direct-cancel", "leyr/direct-cancel"])
    engine.activate(["leyr/two-step"])
    seeded.clear()  # a scenario's data is drawn once, when first used: not counted here
    engine.activate(["leyr/two-step"])
    engine.activate(["huskyvoice/direct-cancel", "leyr/direct-cancel"])
    assert seeded == []
    engine.activate(["leyr/two-step"])
    _two_step(engine)
    assert seeded == [1]  # the scenario's seed, when the two-step draws its new id and code


def test_the_draws_are_the_same_on_every_reset():
    engine = MockEngine(["leyr/two-step"])
    first = _two_step(engine)
    engine.activate(["leyr/two-step"])
    assert _two_step(engine) == first
    assert _two_step(MockEngine(["leyr/two-step"])) == first
