"""The package's records are msgspec Structs, not dataclasses, and keep the dataclasses' meaning.

A frozen dataclass costs about 0.75 ms at import (Python writes its methods as source and runs
`exec` on them), a Struct about 0.02 ms: with some sixty records that is most of 50 ms of every
start (docs/performance.md). The guard below keeps `@dataclass` from coming back unnoticed; the
other tests hold the places where a Struct needed care to mean what the dataclass meant.
"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import msgspec
import pytest
from msgspec.structs import replace

from mockserver.core.exchange import NOT_JSON, MockRequest
from mockserver.core.patterns import Equals, Present, Value
from mockserver.engine.facade import MockEngine
from mockserver.journal.budget import JournalBudget
from mockserver.journal.ring import JournalSettings
from mockserver.providers.huskyvoice.model import HuskyVoiceModel, Org
from mockserver.providers.huskyvoice.seed import prepare
from mockserver.providers.leyr.model import CareUnit, EmrSpec, LeyrModel
from mockserver.scenarios.model import ScenarioModel, declared_defaults
from mockserver.web.guard import AdminPolicy

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "mockserver", ROOT / "pytest_plugin")
# "path/to/module.py:Class" -> why it must stay a dataclass. Empty: every record is a Struct.
ALLOWED_DATACLASSES: dict[str, str] = {}


def dataclasses_in(source: str) -> list[str]:
    """The classes `source` declares with `@dataclass` (any spelling), and its other uses of the
    dataclasses module (`make_dataclass`, an import), by name."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            if any("dataclass" in ast.unparse(d) for d in node.decorator_list):
                found.append(node.name)
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name == "dataclasses"]
        elif isinstance(node, ast.ImportFrom) and node.module == "dataclasses":
            found.append("from dataclasses import")
    return found


def test_the_guard_finds_every_spelling_of_a_dataclass():
    source = (
        "import dataclasses\n"
        "from dataclasses import dataclass\n"
        "@dataclass\nclass A: ...\n"
        "@dataclass(frozen=True)\nclass B: ...\n"
        "@dataclasses.dataclass(slots=True)\nclass C: ...\n"
        "class D(msgspec.Struct, frozen=True): ...\n"
    )
    assert dataclasses_in(source) == [
        "import dataclasses",
        "from dataclasses import",
        "A",
        "B",
        "C",
    ]


def test_the_package_declares_no_dataclass_outside_the_allow_list():
    found = {
        f"{path.relative_to(ROOT).as_posix()}:{name}"
        for folder in SOURCES
        for path in folder.rglob("*.py")
        for name in dataclasses_in(path.read_text(encoding="utf-8"))
    }
    assert found <= ALLOWED_DATACLASSES.keys(), (
        "records are msgspec Structs (a dataclass costs ~40x more at import); "
        f"convert these or name them with a reason in ALLOWED_DATACLASSES: {sorted(found)}"
    )


def test_a_cached_property_on_a_frozen_record_is_computed_once_and_left_out_of_equality():
    emr = EmrSpec("emr1", (CareUnit("u1"), CareUnit("u2")))
    assert emr.care_unit_ids == ("u1", "u2")
    assert emr.care_unit_ids is emr.care_unit_ids  # kept, not computed on each read
    fresh = EmrSpec("emr1", (CareUnit("u1"), CareUnit("u2")))
    assert emr == fresh and hash(emr) == hash(fresh)
    assert repr(emr) == repr(fresh)
    with pytest.raises(AttributeError):
        emr.id = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        emr.anything = 1  # type: ignore[attr-defined]
    copied = pickle.loads(pickle.dumps(emr))
    assert copied == emr and copied.care_unit_ids == ("u1", "u2")


def test_the_huskyvoice_seeds_cached_indexes_are_kept_per_seed():
    scenario = MockEngine().catalog.get("huskyvoice/direct-cancel")
    assert isinstance(scenario.model, HuskyVoiceModel)
    seed = prepare(scenario, scenario.model)
    assert seed.keys is seed.keys
    assert seed.window_by_id is seed.window_by_id
    assert seed.search_index is seed.search_index
    assert set(seed.keys) == {key.key for key in seed.model.api_keys}


def test_a_requests_parsed_body_is_kept_and_not_part_of_its_value():
    request = MockRequest("POST", "/x", body=b'{"a": 1}')
    assert request.body_json == {"a": 1}
    assert request.body_json is request.body_json
    assert request == MockRequest("POST", "/x", body=b'{"a": 1}')
    assert MockRequest("POST", "/x", body=b"{").body_json is NOT_JSON


def test_journal_settings_alike_are_equal_whichever_byte_budget_they_share():
    one, other = JournalBudget(1000), JournalBudget(1000)
    a, b = JournalSettings(size=5, budget=one), JournalSettings(size=5, budget=other)
    assert a == b and hash(a) == hash(b)
    assert a != JournalSettings(size=6, budget=one)
    assert a != (5, None, False, None, a.max_bytes)  # another type is never equal
    assert replace(a, size=6).budget is one


def test_a_scenarios_repr_names_it_without_its_model_or_document():
    scenario = MockEngine().catalog.get("leyr/direct-cancel")
    shown = repr(scenario)
    assert shown == (
        "Scenario(name='leyr/direct-cancel', provider='leyr', "
        f"description={scenario.description!r}, source={scenario.source!r})"
    )
    assert "model=" not in shown and "data=" not in shown


def test_replace_checks_a_record_again():
    policy = AdminPolicy(token="secret")
    assert replace(policy, token=None).token is None
    with pytest.raises(ValueError, match="empty admin token"):
        replace(policy, token="  ")


def test_values_are_abstract_records_equal_by_type_and_fields():
    with pytest.raises(TypeError):
        Value()  # type: ignore[abstract]
    assert Equals(True) == Equals(True) and hash(Equals(True)) == hash(Equals(True))
    assert Equals(True) != Present(True)  # same fields, another kind of expectation
    match Present(False):
        case Present(expected):
            assert expected is False


def test_a_models_fields_follow_its_bases_and_its_defaults_are_declared_once():
    assert LeyrModel.__struct_fields__[: len(ScenarioModel.__struct_fields__)] == (
        ScenarioModel.__struct_fields__
    )
    defaults = declared_defaults(LeyrModel)
    assert (defaults["seed"], defaults["max_bulk_ids"], defaults["frozen"]) == (0, 50, True)
    assert LeyrModel().max_bulk_ids == 50
    assert LeyrModel().two_step is not LeyrModel().two_step  # a factory: one each
    assert HuskyVoiceModel().org == Org()
    assert "client_id" not in declared_defaults(msgspec.defstruct("C", ["client_id"]))


def test_journal_entries_are_not_tracked_by_the_garbage_collector():
    """A full journal holds ten thousand entries: untracked, they add nothing to the collector's
    full passes (13 ms against 32 ms for a ring of cancels and two-steps)."""
    import gc

    engine = MockEngine()
    answered = engine.handle(
        MockRequest(
            "PATCH",
            "/v1/appointments/appt_a1b2c3d4e5",
            headers={"authorization": "Bearer YOUR_API_KEY", "content-type": "application/json"},
            body=b'{"status": "cancelled"}',
        )
    )
    [entry] = engine._recorder.exchanges()
    assert entry.id == answered.exchange_id
    assert not gc.is_tracked(entry)
    assert entry == entry and entry != replace(entry)  # compared by identity, as before


def test_a_journal_entry_keeps_each_value_in_its_own_field():
    """`Exchange.of` builds the entry positionally (no name matching): every field gets its
    own value, told apart here by giving no two fields the same one."""
    from mockserver.journal.ring import Exchange

    note = {
        "name": "n",
        "key": None,
        "passthrough": False,
        "fault": None,
        "violates_contract": False,
    }
    entry = Exchange.of(
        at="clock",
        provider="provider",
        scenario="scenario",
        method="PATCH",
        path="/path",
        query="q=1",
        headers={"h": "v"},
        body=b"body",
        status=201,
        response=b"answer",
        interaction=note,
        appointment="appointment",
        received_at=12.5,
        duration_ms=3.25,
        response_type="text/plain",
        response_length=6,
        response_extra={"x-extra": "1"},
        operation="operation",
    )
    assert msgspec.structs.asdict(entry) == {
        "at": "clock",
        "provider": "provider",
        "scenario": "scenario",
        "method": "PATCH",
        "path": "/path",
        "query": "q=1",
        "headers": (("h", "v"),),
        "body": b"body",
        "body_size": 4,
        "status": 201,
        "response": b"answer",
        "response_size": 6,
        "interaction": note,
        "appointment": "appointment",
        "received_at": 12.5,
        "duration_ms": 3.25,
        "response_type": "text/plain",
        "response_length": 6,
        "response_extra": {"x-extra": "1"},
        "operation": "operation",
        "interactions": (),
        "size": 600 + len("/path") + len("q=1") + 4 + 6 + 2,
        "id": 0,
        "flow": 0,
        "broke_contract": False,
        "session": None,
        "client_disconnected": False,
    }
