"""The exported documents judged by independent tools: what the mock serves satisfies what it
exports (openapi-core), and the models generated from the export read the mock's answers."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from answer_probes import all_probes, send
from conftest import in_process_client
from mockserver import MockEngine
from mockserver.core.documents import JournalEntry
from openapi_judge import judge, request_problems, response_problems
from scenario_replay import TABLE, replay_all

BIN = Path(sys.executable).parent
LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
UNKNOWN = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/9999"


def leyr_error() -> tuple[MockEngine, dict[str, Any]]:
    """A real Leyr error: the 404 for an unknown appointment, and its journal entry."""
    engine = MockEngine(journal_secrets=True)
    with in_process_client(engine) as client:
        reply = client.patch(UNKNOWN, json={"status": "cancelled"}, headers=LEYR)
    assert reply.status_code == 404
    assert reply.json()["title"] == "Not Found"
    return engine, dict(engine.requests()[-1])


def test_the_problem_schema_keeps_its_title_property():
    problem = MockEngine().openapi("leyr")["components"]["schemas"]["Problem"]
    assert problem["properties"]["title"] == {
        "type": "string",
        "minLength": 1,
        "x-mock-inferred": True,
    }
    assert set(problem["required"]) <= set(problem["properties"])
    assert problem["title"] == "Problem"  # the keyword: the component's name


def test_openapi_core_accepts_a_real_leyr_error():
    engine, entry = leyr_error()
    openapi = judge(engine, "leyr")
    assert request_problems(openapi, entry) == []
    assert response_problems(openapi, entry) == []


def test_openapi_core_refuses_a_problem_without_its_title():
    engine, entry = leyr_error()
    del entry["response"]["title"]
    assert response_problems(judge(engine, "leyr"), entry) != []


def test_the_generated_problem_model_parses_a_real_leyr_error(tmp_path):
    _, entry = leyr_error()
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(MockEngine().openapi("leyr")))
    result = subprocess.run(
        [
            str(BIN / "datamodel-codegen"),
            *("--input", str(spec), "--input-file-type", "openapi"),
            *("--output-model-type", "pydantic_v2.BaseModel"),
            *("--output", str(tmp_path / "leyr_problem_models.py")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        models = importlib.import_module("leyr_problem_models")
    finally:
        sys.path.remove(str(tmp_path))
    problem = models.Problem.model_validate(entry["response"])
    assert problem.title == "Not Found"
    assert problem.errors[0].error_code == "INVALID_APPOINTMENT_ID"


@pytest.fixture(scope="module")
def table_traffic() -> tuple[MockEngine, dict[str, list[JournalEntry]]]:
    engine = MockEngine(journal_secrets=True)
    return engine, replay_all(engine)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_openapi_core_accepts_every_exchange_of_the_scenario_table(table_traffic, name):
    engine, journals = table_traffic
    openapi = {provider: judge(engine, provider) for provider in engine.provider_names}
    assert journals[name], name
    failures = []
    for entry in journals[name]:
        judged = openapi[str(entry["provider"])]
        where = f"{entry['method']} {entry['path']} -> {entry['status']}"
        failures += [f"{where} request: {p}" for p in request_problems(judged, entry)]
        failures += [f"{where} response: {p}" for p in response_problems(judged, entry)]
    assert failures == []


def test_openapi_core_accepts_every_answer_to_the_probes():
    """The probes reach every declared error answer; each must keep to the export."""
    engine = MockEngine(journal_secrets=True)
    openapi = {provider: judge(engine, provider) for provider in engine.provider_names}
    failures = []
    for probe in all_probes(engine):
        send(engine, probe)
        entry = engine.requests()[-1]
        where = f"{entry['method']} {entry['path'][:80]} -> {entry['status']}"
        failures += [f"{where}: {p}" for p in response_problems(openapi[probe.provider], entry)]
    assert failures == []
