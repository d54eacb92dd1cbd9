"""The contracts' compiled validators (jsonschema-rs) only ever say "valid" fast: whatever they
do not find valid, and every value they cannot read, goes to jsonschema, which has the last word.
A recursive schema's compiled validator is never given an instance deep enough to overflow the
native stack, which would end the process rather than raise.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import jsonschema
import pytest

from mockserver.core import contracts as contracts_module
from mockserver.core.contracts import SCHEMA_BASE, Contracts, default_contracts
from mockserver.core.schema_graph import recursive

BASE = SCHEMA_BASE + "p/"


def documents(**by_name: dict[str, object]) -> dict[str, object]:
    return {
        f"{BASE}{name}.json": {**doc, "$id": f"{BASE}{name}.json"} for name, doc in by_name.items()
    }


@pytest.mark.parametrize(
    ("docs", "expected"),
    [
        ({"a": {"type": "string"}}, False),
        ({"a": {"$ref": "b.json#/$defs/x"}, "b": {"$defs": {"x": {"type": "integer"}}}}, False),
        ({"a": {"items": {"$ref": "#"}}}, True),
        ({"a": {"$ref": "#/$defs/n", "$defs": {"n": {"items": {"$ref": "#/$defs/n"}}}}}, True),
        (
            {
                "a": {
                    "$ref": "#/$defs/x",
                    "$defs": {
                        "x": {"items": {"$ref": "#/$defs/y"}},
                        "y": {"items": {"$ref": "#/$defs/x"}},
                    },
                },
            },
            True,
        ),
        ({"a": {"$ref": "b.json"}, "b": {"items": {"$ref": "a.json"}}}, True),
        ({"a": {"$ref": "nowhere.json"}}, True),  # not followed: counted as recursive
        ({"a": {"$ref": "#/$defs/missing"}}, True),
        ({"a": {"$defs": {"x": {"$id": "other.json"}}}}, True),
        ({"a": {"$dynamicRef": "#node"}}, True),
        # A $ref to a sibling used twice is no loop.
        (
            {
                "a": {
                    "prefixItems": [{"$ref": "#/$defs/s"}, {"$ref": "#/$defs/s"}],
                    "$defs": {"s": {"type": "string"}},
                }
            },
            False,
        ),
    ],
    ids=[
        "plain",
        "across documents",
        "to its root",
        "to itself",
        "two definitions in turn",
        "two documents in turn",
        "an unknown document",
        "a missing definition",
        "a nested $id",
        "a dynamic reference",
        "a definition used twice",
    ],
)
def test_a_schema_is_recursive_when_its_references_can_come_back(docs, expected):
    assert recursive(documents(**docs), f"{BASE}a.json") is expected


def test_only_the_scenario_schema_is_recursive_among_the_bundled_ones():
    contracts = default_contracts()
    by_id = {doc["$id"]: doc for doc in contracts.documents.values()}
    found = sorted(
        name for name, doc in contracts.documents.items() if recursive(by_id, doc["$id"])
    )
    assert found == ["scenario.schema"]


@pytest.mark.parametrize(
    "instance",
    [
        {"status": "cancelled", "note": "\ud800"},  # a lone surrogate: no UTF-8 form, no JSON form
        {"status": "cancelled", 1: "x"},  # a key that is no string
        {"status": "cancelled", "when": {1, 2}},
        {"status": float("nan")},
    ],
    ids=["surrogate", "int key", "set", "nan"],
)
def test_a_value_the_compiled_validator_cannot_read_is_judged_by_jsonschema(instance):
    contracts = Contracts()
    reference = jsonschema.Draft202012Validator(
        contracts.documents["huskyvoice/update-appointment.request"],
        registry=contracts.registry,
    )
    problems = contracts.check("huskyvoice/update-appointment.request", instance)
    assert bool(problems) == (not reference.is_valid(instance))
    assert problems  # every one of them breaks the request's schema


def test_the_compiled_validators_agree_with_jsonschema_on_valid_and_invalid_documents():
    contracts = Contracts()
    name = "leyr/update-appointment.request"
    reference = jsonschema.Draft202012Validator(
        contracts.documents[name], registry=contracts.registry
    )
    for instance in (
        {"status": "cancelled"},
        {"status": "cancelled", "comment": "x"},
        {"confirmation": {"code": "123456"}},
        {"confirmation": {"code": 123456}},
        {"status": "canceled"},
        {},
        [],
        {"status": "cancelled", "unknown": 1},
    ):
        assert (contracts.check(name, instance) == []) == reference.is_valid(instance), instance


def test_a_deep_instance_of_a_recursive_schema_never_reaches_the_native_validator():
    """Run apart: were the guard gone, the process would die of a native stack overflow."""
    script = textwrap.dedent(
        """
        import sys
        from mockserver.core import contracts as module
        from mockserver.core.contracts import Contracts
        module.MAX_COMPILED_DEPTH = int(sys.argv[1])
        nested = []
        for _ in range(200_000):
            nested = [nested]
        deep = {
            "provider": "huskyvoice",
            "description": "a body matcher nested 200,000 lists deep",
            "interactions": [{"match": {"body": {"field": nested}}}],
        }
        contracts = Contracts()
        fast = contracts._compile_fast("scenario.schema")
        assert fast is not False
        print("compiled says", fast(deep))
        sys.setrecursionlimit(10_000)
        try:
            contracts.check("scenario.schema", deep)
        except RecursionError:
            print("jsonschema stopped at its recursion limit")
        """
    )
    limit = str(contracts_module.MAX_COMPILED_DEPTH)
    done = subprocess.run(
        [sys.executable, "-c", script, limit], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "compiled says False" in done.stdout
