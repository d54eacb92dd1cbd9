"""A provider is a declaration plus a few hooks: one defined here, in the tests, plugs in through
the registry without a line of mockserver/ naming it, and is served, validated, journaled,
covered and exported to OpenAPI like the built-in ones."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from openapi_spec_validator import validate

from mockserver.core.clock import Clock
from mockserver.core.exchange import ApiError, MockRequest
from mockserver.core.reply import Reply
from mockserver.core.routing import Call, Operation
from mockserver.engine.facade import MockEngine
from mockserver.providers import provider_classes, registered
from mockserver.providers.base import Provider, ProviderSpec, ProviderState
from mockserver.scenarios.catalog import Scenario
from mockserver.scenarios.model import ScenarioModel, common_fields
from mockserver.testing.transport import ASGITransport
from mockserver.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
KEY_HEADER = "x-toy-key"
WIDGET = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "status"],
    "properties": {"id": {"type": "string"}, "status": {"enum": ["booked", "cancelled"]}},
}
SCHEMAS: Mapping[str, Mapping[str, Any]] = {
    "toy/widget": {"$schema": "https://json-schema.org/draft/2020-12/schema", **WIDGET},
    "toy/update": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["status"],
        "properties": {"status": {"const": "cancelled"}},
    },
    "toy/fault": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["fault"],
        "properties": {
            "fault": {
                "type": "object",
                "required": ["code", "text"],
                "properties": {"code": {"type": "string"}, "text": {"type": "string"}},
            }
        },
    },
}
SCENARIO_SECTION = {
    "properties": {
        "key": {"type": "string", "minLength": 1},
        "widgets": {"type": "array", "items": WIDGET},
    }
}


class ToyModel(ScenarioModel, frozen=True):
    key: str = "toy-key"
    widgets: tuple[Mapping[str, Any], ...] = ()


class ToyState(ProviderState):
    def __init__(self, scenario: Scenario) -> None:
        assert isinstance(scenario.model, ToyModel)
        self.scenario = scenario
        self.clock = Clock(scenario.model.now, frozen=scenario.model.frozen)
        self.widgets = {w["id"]: dict(w) for w in scenario.model.widgets}

    def seeded(self) -> dict[str, Any]:
        assert isinstance(self.model, ToyModel)
        return {"key": self.model.key, "widgets": sorted(self.widgets)}


def _widget(state: ToyState, call: Call) -> dict[str, Any]:
    found = state.widgets.get(call.params["appointment_id"])
    if found is None:
        raise ApiError("NO_WIDGET", f"no widget {call.params['appointment_id']!r}")
    return found


def get_widget(state: ToyState, call: Call) -> Reply:
    return Reply(200, dict(_widget(state, call)))


def cancel_widget(state: ToyState, call: Call) -> Reply:
    widget = _widget(state, call)
    widget["status"] = "cancelled"
    return Reply(200, dict(widget))


def operations() -> tuple[Operation, ...]:
    widget = "/toy/v1/widgets/{appointment_id}"
    return (
        Operation("getWidget", "GET", widget, "Read a widget", get_widget, {200: "toy/widget"}),
        Operation(
            "cancelWidget",
            "PATCH",
            widget,
            "Cancel a widget",
            cancel_widget,
            {200: "toy/widget"},
            request_schema="toy/update",
            errors=("NO_WIDGET", "BAD_WIDGET"),
        ),
    )


class Toy(Provider[Scenario, ToyState]):
    spec = ProviderSpec(
        name="toy",
        title="Toy widgets API",
        prefix="/toy",
        operations=operations,
        error_schema="toy/fault",
        error_statuses={"BAD_WIDGET": 400, "LOCKED_OUT": 401, "NO_WIDGET": 404},
        validation_code="BAD_WIDGET",
        appointment_schema="toy/widget",
        sample_appointment={"id": "w1", "status": "booked"},
        security_schemes={"toyKey": {"type": "apiKey", "in": "header", "name": KEY_HEADER}},
        schemas=SCHEMAS,
        scenario_section=SCENARIO_SECTION,
    )

    def parse_model(self, data: Mapping[str, Any]) -> ScenarioModel:
        widgets = tuple(data.get("widgets", ()))
        return ToyModel(**common_fields(data), key=str(data.get("key", "toy-key")), widgets=widgets)

    def prepare(self, scenario: Scenario) -> Scenario:
        return scenario

    def fresh_state(self, seed: Scenario) -> ToyState:
        return ToyState(seed)

    def authorize(
        self,
        state: ToyState,
        request: MockRequest,
        operation: Operation,
        params: Mapping[str, str],
        *,
        count: bool = True,
    ) -> str:
        assert isinstance(state.model, ToyModel)
        if request.header(KEY_HEADER) != state.model.key:
            raise ApiError("LOCKED_OUT", f"send {KEY_HEADER}")
        return state.model.key

    def error_body(
        self, code: str, message: str, status: int, error: ApiError, request: MockRequest
    ) -> Any:
        return {"fault": {"code": code, "text": message}}

    def appointment_record(self, state: ToyState, key: str | None) -> Mapping[str, Any] | None:
        return state.widgets.get(key or "")


SCENARIO = """\
provider: toy
description: Two widgets, one key.
key: sesame
widgets:
  - {id: w1, status: booked}
  - {id: w2, status: booked}
"""


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[httpx.Client]:
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "direct-cancel.yaml").write_text(SCENARIO)
    with registered(Toy):
        engine = MockEngine(scenarios_dirs=[tmp_path])
        transport = ASGITransport(create_app(engine))
        with httpx.Client(transport=transport, base_url="http://mock.test") as client:
            yield client


def test_the_registry_lists_a_registered_provider_only_while_registered():
    names = [cls.name for cls in provider_classes()]
    assert "toy" not in names
    with registered(Toy):
        assert [cls.name for cls in provider_classes()] == [*names, "toy"]
    assert [cls.name for cls in provider_classes()] == names


def test_its_operations_are_served_with_its_auth_and_envelope(toy):
    key = {KEY_HEADER: "sesame"}
    assert toy.get("/toy/v1/widgets/w1", headers=key).json() == {"id": "w1", "status": "booked"}
    cancelled = toy.patch("/toy/v1/widgets/w1", headers=key, json={"status": "cancelled"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    locked = toy.get("/toy/v1/widgets/w1")
    assert locked.status_code == 401
    assert locked.json() == {"fault": {"code": "LOCKED_OUT", "text": f"send {KEY_HEADER}"}}
    missing = toy.get("/toy/v1/widgets/w9", headers=key)
    assert (missing.status_code, missing.json()["fault"]["code"]) == (404, "NO_WIDGET")
    # The built-in providers are served beside it.
    assert toy.get("/v1/appointments/x").status_code == 401


def test_its_requests_are_validated_against_its_schemas(toy):
    bad = toy.patch("/toy/v1/widgets/w2", headers={KEY_HEADER: "sesame"}, json={"status": "x"})
    assert bad.status_code == 400 and bad.json()["fault"]["code"] == "BAD_WIDGET"
    violations = toy.get("/__admin/violations").json()["violations"]
    assert [(v["provider"], v["kind"]) for v in violations] == [("toy", "request")]
    assert (
        toy.get("/toy/v1/widgets/w2", headers={KEY_HEADER: "sesame"}).json()["status"] == "booked"
    )


def test_its_exchanges_are_journaled_and_covered(toy):
    toy.get("/toy/v1/widgets/w1", headers={KEY_HEADER: "sesame"})
    toy.get("/toy/v1/widgets/w1")
    journal = toy.get("/__admin/requests", params={"provider": "toy"}).json()["requests"]
    assert [(e["operation"], e["status"], e["appointment"]) for e in journal] == [
        ("getWidget", 200, "w1"),
        ("getWidget", 401, "w1"),
    ]
    coverage = toy.get("/__admin/coverage").json()
    assert "toy" in str(coverage)
    seeded = toy.get("/__admin/scenario").json()["toy"]
    assert seeded["name"] == "toy/direct-cancel"
    assert seeded["seeded"] == {"key": "sesame", "widgets": ["w1", "w2"]}


def test_it_is_exported_to_a_valid_openapi_document(toy):
    document = toy.get("/__admin/openapi/toy").json()
    validate(document)
    assert set(document["paths"]) == {"/toy/v1/widgets/{appointment_id}"}
    assert set(document["paths"]["/toy/v1/widgets/{appointment_id}"]) == {"get", "patch"}
    assert document["components"]["securitySchemes"]["toyKey"]["name"] == KEY_HEADER


def test_a_scenario_for_it_is_checked_against_its_section(tmp_path):
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "direct-cancel.yaml").write_text(SCENARIO + "colour: blue\n")
    with registered(Toy), pytest.raises(Exception, match="colour"):
        MockEngine(scenarios_dirs=[tmp_path])


def _toy_with(name: str, document: Mapping[str, Any]) -> type[Toy]:
    """Toy with one of its schema documents replaced."""

    class Other(Toy):
        spec = msgspec.structs.replace(Toy.spec, schemas={**SCHEMAS, name: document})

    return Other


@pytest.mark.parametrize(
    ("document", "refusal"),
    [
        (
            {"$schema": "http://json-schema.org/draft-07/schema#", "dependencies": {"a": ["b"]}},
            "'toy/update' declares $schema 'http://json-schema.org/draft-07/schema#'",
        ),
        (
            {"type": "array", "items": [{"type": "integer"}]},
            "'toy/update' is no Draft 2020-12 schema: at items, ",
        ),
        (
            {"type": "object", "properties": {"status": {"pattern": "(unclosed"}}},
            "'toy/update' has a pattern the mock cannot take, '(unclosed': ECMA-262 (with the u flag) refuses it",
        ),
    ],
)
def test_a_schema_the_validators_would_read_apart_is_refused_when_the_engine_is_built(
    tmp_path, document, refusal
):
    # Before, the compiled validator read a draft-07 document as 2020-12 (its `dependencies`
    # went unchecked) and jsonschema failed on a tuple `items` at the request: a 500.
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "direct-cancel.yaml").write_text(SCENARIO)
    with registered(_toy_with("toy/update", document)), pytest.raises(ValueError) as refused:
        MockEngine(scenarios_dirs=[tmp_path])
    assert refusal in str(refused.value)


def test_an_ecma_pattern_python_cannot_read_is_taken(tmp_path):
    update = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "pattern": "^(?<word>\\p{L}+)$"}},
    }
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "direct-cancel.yaml").write_text(SCENARIO)
    headers = {KEY_HEADER: "sesame", "content-type": "application/json"}
    with registered(_toy_with("toy/update", update)):
        engine = MockEngine(scenarios_dirs=[tmp_path])
        for status, broken in (("cancelled", False), ("c4ncelled", True)):
            body = json.dumps({"status": status}).encode()
            answer = engine.handle(MockRequest("PATCH", "/toy/v1/widgets/w1", "", headers, body))
            assert bool(answer.request_problems) is broken, answer.request_problems
            assert answer.status == (400 if broken else 200)


# Header names a provider's clients send: the journal shortens them (core/redaction.py) and a
# Pact carries them (report/pact.py) before and beside any provider object.
HEADER_NAMES = {"x-leyr-client-id", "x-leyr-client-secret"}


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def test_no_provider_is_named_in_code_outside_providers():
    """The registry is the one list: the rest of the package asks it (docstrings and comments
    may give examples)."""
    builtin = [cls.name for cls in provider_classes()]
    named = re.compile("|".join(builtin), re.IGNORECASE)
    found = []
    for path in sorted((ROOT / "mockserver").rglob("*.py")):
        if "providers" in path.relative_to(ROOT).parts:
            continue
        tree = ast.parse(path.read_text())
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and node.value not in HEADER_NAMES
                and named.search(node.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
    assert found == []


def test_the_scenario_schema_names_the_built_in_providers_and_no_other():
    schema = json.loads((ROOT / "schemas" / "scenario.schema.json").read_text())
    builtin = [cls.name for cls in provider_classes()]
    assert schema["properties"]["provider"]["enum"] == builtin
    assert set(schema["$defs"]) >= set(builtin)
