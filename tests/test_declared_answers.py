"""One source for what an operation can answer: every (status, error code) the mock sends is
declared once per operation, and the OpenAPI responses and the contract coverage derive from
that declaration. Replaying the scenario table sends nothing undeclared, and every declared
answer is reached by a built-in scenario or a probe (answer_probes.py)."""

from __future__ import annotations

import pytest

from answer_probes import HV_ONE, D, Probe, all_probes, fault, send
from mockserver import MockEngine
from scenario_replay import replay_all

Key = tuple[str, str, str]


def declared(engine: MockEngine) -> set[Key]:
    return {
        (provider, entry["operation"], outcome)
        for provider, section in engine.coverage().items()
        for entry in section["operations"]
        for outcome in entry["outcomes"]
    }


def observed(engine: MockEngine) -> tuple[set[Key], set[Key]]:
    """Declared outcomes seen at least once, and outcomes seen that nothing declares."""
    seen: set[Key] = set()
    undeclared: set[Key] = set()
    for provider, section in engine.coverage().items():
        for entry in section["operations"]:
            seen |= {(provider, entry["operation"], o) for o, n in entry["outcomes"].items() if n}
            undeclared |= {(provider, entry["operation"], o) for o in entry.get("undeclared", {})}
    return seen, undeclared


def test_the_scenario_table_sends_only_declared_answers():
    engine = MockEngine()
    replay_all(engine)
    assert observed(engine)[1] == set()


def test_every_probe_gets_the_answer_it_names():
    engine = MockEngine()
    wrong = []
    for probe in all_probes(engine):
        reply = send(engine, probe)
        code = engine.providers[probe.provider].error_code_of(reply.json())
        got = f"{reply.status_code} {code or ''}".strip()
        if got != probe.expect:
            wrong.append((probe.method, probe.path[:80], probe.expect, got, reply.text[:200]))
    assert wrong == []


def test_every_declared_answer_is_reached_and_none_undeclared_is_sent():
    engine = MockEngine()
    replay_all(engine)
    for probe in all_probes(engine):
        send(engine, probe)
    seen, undeclared = observed(engine)
    assert undeclared == set()
    assert declared(engine) - seen == set()


def test_an_undeclared_answer_is_listed_apart_in_the_coverage():
    engine = MockEngine()
    send(
        engine,
        Probe(
            D,
            "GET",
            HV_ONE,
            None,
            "418 TEAPOT",
            stub=fault("huskyvoice", "GET", "/v1/appointments/{appointment_id}", "TEAPOT", 418),
        ),
    )
    [entry] = [
        e
        for e in engine.coverage()["huskyvoice"]["operations"]
        if e["operation"] == "GET /v1/appointments/{appointment_id}"
    ]
    assert entry["undeclared"] == {"418 TEAPOT": 1}
    assert "418 TEAPOT" not in entry["outcomes"]


@pytest.mark.parametrize("one", [True, False], ids=["single", "bulk"])
def test_leyr_patch_declares_its_404_for_an_unknown_appointment(one):
    engine = MockEngine()
    template = "/api/emrs/{emr}/care-units/{care_unit_id}/appointments" + (
        "/{appointment_id}" if one else ""
    )
    answer = engine.openapi("leyr")["paths"][template]["patch"]["responses"]["404"]
    assert "INVALID_APPOINTMENT_ID" in answer["description"]
    [entry] = [
        e for e in engine.coverage()["leyr"]["operations"] if e["operation"] == f"PATCH {template}"
    ]
    assert "404 INVALID_APPOINTMENT_ID" in entry["outcomes"]


def test_an_undeclared_answer_survives_combining_and_is_told():
    from mockserver.journal.coverage import combine, text

    engine = MockEngine()
    teapot = fault("huskyvoice", "GET", "/v1/appointment-config", "TEAPOT", 418)
    send(engine, Probe(D, "GET", "/v1/appointment-config", None, "418 TEAPOT", stub=teapot))
    both = combine([engine.coverage(), engine.coverage()])
    [entry] = [
        e
        for e in both["huskyvoice"]["operations"]
        if e["operation"] == "GET /v1/appointment-config"
    ]
    assert entry["undeclared"] == {"418 TEAPOT": 2}
    assert any(line.endswith("; undeclared: 418 TEAPOT") for line in text(both))
