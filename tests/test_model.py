"""The typed scenario model: every default declared once, mirrored in the scenario schema."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from mockserver.core.resources import schemas_dir
from mockserver.providers.huskyvoice import model as hv
from mockserver.providers.leyr import model as leyr
from mockserver.scenarios.model import DEFAULT_MAX_BODY_BYTES, ScenarioModel, declared_defaults

SCHEMA = json.loads((schemas_dir() / "scenario.schema.json").read_text())


def properties(*path: str) -> dict[str, Any]:
    node: Any = SCHEMA
    for part in path:
        node = node[part]
    return node["properties"]


HV = ("$defs", "huskyvoice", "properties")
LEYR = ("$defs", "leyr", "properties")
# (model class, where its fields stand in the schema, model field -> schema name)
MIRRORS = [
    (hv.Org, (*HV, "org"), {}),
    (hv.SlotWindowSpec, (*HV, "slots", "items"), {"filled_default": "filled_slots"}),
    (hv.AppointmentSpec, (*HV, "appointments", "items"), {}),
    (hv.RateLimit, (*HV, "behaviour", "properties", "rate_limit"), {}),
    (hv.Search, (*HV, "behaviour", "properties", "search"), {}),
    (leyr.EmrSpec, (*LEYR, "emrs", "items"), {}),
    (leyr.AppointmentSpec, (*LEYR, "appointments", "items"), {}),
    (leyr.TwoStep, (*LEYR, "two_step"), {}),
]


def simple_defaults(cls: type[msgspec.Struct]) -> dict[str, Any]:
    declared = declared_defaults(cls).items()
    return {name: value for name, value in declared if isinstance(value, (bool, int, float, str))}


@pytest.mark.parametrize(
    ("cls", "where", "renamed"), MIRRORS, ids=lambda v: getattr(v, "__name__", "")
)
def test_each_default_is_the_schemas_default(cls, where, renamed):
    schema = properties(*where)
    defaults = simple_defaults(cls)
    assert defaults, cls
    for name, value in defaults.items():
        field = schema[renamed.get(name, name)]
        assert field.get("default") == value, (cls.__name__, name)


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (declared_defaults(ScenarioModel)["seed"], ("properties", "seed")),
        (
            declared_defaults(ScenarioModel)["frozen"],
            ("properties", "clock", "properties", "frozen"),
        ),
        (DEFAULT_MAX_BODY_BYTES, (*HV, "behaviour", "properties", "max_body_bytes")),
        (DEFAULT_MAX_BODY_BYTES, (*LEYR, "behaviour", "properties", "max_body_bytes")),
        (
            declared_defaults(hv.HuskyVoiceModel)["generate_appointments"],
            (*HV, "generate", "properties", "appointments"),
        ),
        (
            declared_defaults(leyr.LeyrModel)["max_bulk_ids"],
            (*LEYR, "behaviour", "properties", "max_bulk_ids"),
        ),
        (
            declared_defaults(leyr.LeyrModel)["max_comment_length"],
            (*LEYR, "behaviour", "properties", "max_comment_length"),
        ),
    ],
)
def test_scenario_wide_defaults_are_the_schemas_default(value, where):
    node: Any = SCHEMA
    for part in where:
        node = node[part]
    assert node.get("default") == value


def test_session_start_defaults_are_the_schemas():
    starts = properties(*HV, "behaviour", "properties", "session_start_times")
    assert {k: v["default"] for k, v in starts.items()} == dict(hv.DEFAULT_SESSION_STARTS)


def test_a_document_left_empty_gets_every_default():
    model = hv.parse({"provider": "huskyvoice", "description": "x"})
    assert model == hv.HuskyVoiceModel()
    assert model.org.cancellation_notice_hours == 24
    assert leyr.parse({"provider": "leyr", "description": "x"}) == leyr.LeyrModel()


def test_names_and_notes_a_scenario_declares_are_shown_with_its_seeded_data(tmp_path):
    from conftest import write_scenario
    from mockserver import MockEngine

    write_scenario(
        tmp_path,
        "huskyvoice",
        "named",
        "extends: huskyvoice/direct-cancel\n"
        "description: names\n"
        "appointments:\n"
        "  - {appointment_id: appt_a1b2c3d4e5, appointment_type: f47ac10b-58cc-4372-a567-0e02b2c3d479,\n"
        "     branch_id: branch_uuid_here, date: '2026-06-15', session: Morning, notes: called twice}\n",
    )
    write_scenario(
        tmp_path,
        "leyr",
        "named",
        "extends: leyr/direct-cancel\n"
        "description: names\n"
        "emrs:\n"
        "  - {id: webdoc, name: Webdoc, care_units: [{id: wd-oslo-1, name: Oslo sentrum}]}\n"
        "appointments: []\n",
    )
    engine = MockEngine(["huskyvoice/named", "leyr/named"], [tmp_path])
    seeded = engine.seeded()
    husky = seeded["huskyvoice"]["seeded"]
    assert husky["branch_names"] == {"branch_uuid_here": "Main branch"}
    assert husky["notes"] == {"appt_a1b2c3d4e5": "called twice"}
    [emr] = seeded["leyr"]["seeded"]["emrs"]
    assert (emr["name"], emr["care_unit_names"]) == ("Webdoc", {"wd-oslo-1": "Oslo sentrum"})
