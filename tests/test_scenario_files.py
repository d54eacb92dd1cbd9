"""Scenario files: a broken one is refused whole, with file, line and field in the message."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mockserver import MockEngine, ScenarioError
from mockserver.core.contracts import default_contracts
from mockserver.core.resources import scenarios_dir
from mockserver.providers import make_providers
from mockserver.scenarios.catalog import parse_scenario

READERS = make_providers(default_contracts())
DIRECT = (scenarios_dir() / "huskyvoice" / "direct-cancel.yaml").read_text()


def problems_of(text: str, file: str = "case.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, file=file, readers=READERS)
    return [str(p) for p in caught.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_every_builtin_scenario_is_valid():
    engine = MockEngine()
    names = engine.catalog.names()
    assert len(names) >= 8
    for name in names:
        engine.load(name)


def test_yaml_syntax_error_names_file_and_line():
    text = DIRECT.replace("seed: 1", "seed: [1")
    [problem] = problems_of(text)
    assert problem.startswith("case.yaml:")
    assert "not valid YAML" in problem


def test_wrong_type_names_field_and_line():
    text = DIRECT.replace("  cancellation_notice_hours: 24", "  cancellation_notice_hours: soon")
    [problem] = problems_of(text)
    line = line_of(text, "cancellation_notice_hours: soon")
    assert problem.startswith(f"case.yaml:{line}: org.cancellation_notice_hours:")


def test_unknown_key_is_refused():
    text = DIRECT.replace("seed: 1", "seed: 1\ncolour: blue")
    [problem] = problems_of(text)
    assert problem.startswith(f"case.yaml:{line_of(text, 'colour')}: colour: unknown field")


def test_unknown_nested_key_points_at_its_line():
    text = DIRECT.replace("  buffer_minutes: 0", "  buffer_minutes: 0\n  colour: blue")
    [problem] = problems_of(text)
    assert problem.startswith(
        f"case.yaml:{line_of(text, 'colour')}: org: unknown field(s) 'colour'"
    )


def test_every_problem_is_listed_at_once():
    text = DIRECT.replace("    max_slots: 10", "    max_slots: -1").replace(
        "    session: Morning\n    batch: MA\n    token",
        "    session: Noon\n    batch: MA\n    token",
    )
    problems = problems_of(text)
    assert any("slots[0].max_slots" in p for p in problems)
    assert any("appointments[0].session" in p for p in problems)


def test_duplicate_keys_are_refused():
    text = DIRECT.replace("seed: 1", "seed: 1\nseed: 2")
    [problem] = problems_of(text)
    assert "duplicate key 'seed'" in problem
    assert f"case.yaml:{line_of(text, 'seed: 2')}" in problem


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("  timezone: Asia/Kolkata", "  timezone: Mars/Olympus", "unknown IANA time zone"),
        (
            "  - appointment_id: appt_0f1e2d3c4b",
            "  - appointment_id: appt_a1b2c3d4e5",
            "duplicate appointment_id",
        ),
        (
            "    max_slots: 10\n    ai_slots: 8",
            "    max_slots: 5\n    ai_slots: 8",
            "cannot exceed max_slots",
        ),
        (
            '    filled_slots: {"2026-06-15": 3}',
            '    filled_slots: {"2026-06-15": 1}',
            "2 active appointment(s)",
        ),
        (
            "    branch_id: branch_uuid_here\n    date",
            "    branch_id: nowhere\n    date",
            "not a declared branch",
        ),
        ('  now: "2026-05-26T12:00:00.000Z"', '  now: "2026-13-26T12:00:00.000Z"', "clock.now"),
    ],
)
def test_consistency_checks(old, new, needle):
    assert old in DIRECT
    problems = problems_of(DIRECT.replace(old, new, 1))
    assert any(needle in p for p in problems), problems


def test_not_a_mapping_and_empty_file():
    assert "mapping" in problems_of("- a\n- b\n")[0]
    assert "empty" in problems_of("")[0]


def test_yaml_cannot_construct_python_objects():
    problems = problems_of("!!python/object/apply:os.system ['true']\n")
    assert "python/object/apply:os.system' is not allowed here" in problems[0]


def validate(folder: Path) -> subprocess.CompletedProcess[str]:
    """`mockserver validate FOLDER`, as a person runs it."""
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / "huskyvoice" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_user_scenarios_are_listed_beside_the_builtins(tmp_path):
    write(
        tmp_path,
        "my-case.yaml",
        DIRECT.replace("allow_cancellation: true", "allow_cancellation: false"),
    )
    engine = MockEngine(["huskyvoice/my-case"], [tmp_path])
    assert "huskyvoice/my-case" in engine.catalog.names()
    assert engine.active()["huskyvoice"].source.endswith("my-case.yaml")


def test_one_broken_user_file_refuses_the_whole_server(tmp_path):
    write(tmp_path, "good.yaml", DIRECT)
    broken = write(
        tmp_path, "broken.yaml", DIRECT.replace("provider: huskyvoice", "provider: acme")
    )
    with pytest.raises(ScenarioError) as caught:
        MockEngine([], [tmp_path])
    [problem] = caught.value.problems
    assert problem.file == str(broken)
    assert problem.field == "provider"
    assert problem.line == 1


def test_a_user_file_cannot_silently_replace_a_builtin(tmp_path):
    write(tmp_path, "direct-cancel.yaml", DIRECT)
    with pytest.raises(ScenarioError, match="already defined by builtin"):
        MockEngine([], [tmp_path])


def test_provider_folder_must_match(tmp_path):
    path = tmp_path / "leyr" / "x.yaml"
    path.parent.mkdir()
    path.write_text(DIRECT)
    with pytest.raises(ScenarioError, match="in a leyr/ folder"):
        MockEngine([], [tmp_path])


def test_missing_directory_and_unknown_name(tmp_path):
    with pytest.raises(ScenarioError, match="not a directory"):
        MockEngine([], [tmp_path / "absent"])
    from mockserver import UnknownScenarioError

    with pytest.raises(UnknownScenarioError, match="huskyvoice/direct-cancel"):
        MockEngine(["huskyvoice/absent"])


def test_two_scenarios_for_one_provider_are_refused():
    with pytest.raises(ValueError, match="at most one per provider"):
        MockEngine(["huskyvoice/direct-cancel", "huskyvoice/not-found"])


def test_generated_appointments_are_deterministic_and_fill_slots(tmp_path):
    text = DIRECT.replace("seed: 1", "seed: 7\ngenerate:\n  appointments: 500")
    write(tmp_path, "crowd.yaml", text)
    first = MockEngine(["huskyvoice/crowd"], [tmp_path]).seeded()["huskyvoice"]["seeded"]
    again = MockEngine(["huskyvoice/crowd"], [tmp_path]).seeded()["huskyvoice"]["seeded"]
    assert first["appointment_count"] == 502
    assert first["appointments"] == again["appointments"]
    assert all(a["patient_name"] for a in first["appointments"])


LEYR = (scenarios_dir() / "leyr" / "two-step.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "needle", "offset"),
    [
        (
            "    emr: anitasystems\n    care_unit_id: L0_1",
            "    emr: acme\n    care_unit_id: L0_1",
            "not one of the scenario's EMRs",
            0,
        ),
        (
            "    care_unit_id: L0_1\n",
            "    care_unit_id: L0_9\n",
            "not a care unit of anitasystems",
            0,
        ),
        ('  - id: "2002"', '  - id: "2001"', "duplicate id '2001'", 0),
        ("    patient_id: patient-1\n", "    patient_id: patient-9\n", "not a declared patient", 0),
        (
            '    end: "2026-06-15T09:30:00+02:00"',
            '    end: "2026-06-15T08:30:00+02:00"',
            "ends before it starts",
            0,
        ),
        (
            "    client_secret: test-client-secret",
            "    client_secret: test-client-secret\n    emrs: [webdoc]",
            "not one of the scenario's EMRs",
            1,
        ),
        ("    two_step: true", "    two_step: sometimes", "two_step", 0),
        (
            "  - client_id: test-client-id\n",
            "  - client_id: test-client-id\n    colour: red\n",
            "colour",
            1,
        ),
    ],
)
def test_leyr_consistency_checks(old, new, needle, offset):
    assert old in LEYR
    text = LEYR.replace(old, new, 1)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, file="leyr.yaml", readers=READERS)
    problems = [str(p) for p in caught.value.problems]
    assert any(needle in p for p in problems), problems
    line = LEYR[: LEYR.index(old)].count("\n") + 1 + offset
    assert any(p.startswith(f"leyr.yaml:{line}:") for p in problems), (line, problems)


BASE = "extends: huskyvoice/direct-cancel\ndescription: x\n"
APPOINTMENT = (
    "  - {appointment_id: appt_a1b2c3d4e5, appointment_type: f47ac10b-58cc-4372-a567-0e02b2c3d479,"
    " branch_id: branch_uuid_here, date: %s, session: Morning}\n"
)
WINDOW = (
    "  - {calendar_id: c, branch_id: branch_uuid_here, day: Monday, session: Morning,"
    " start_time: %s, end_time: %s, appointment_type: f47ac10b-58cc-4372-a567-0e02b2c3d479,"
    " max_slots: 10, ai_slots: 8, filled_slots: 3}\n"
)


STUB = (
    "interactions:\n  - name: keyed\n    match: {method: GET, path: '/v1/appointments/{appointment_id}'}\n"
    "    respond: {status: 200, violates_contract: true, body: %s}\n"
)


def billion_laughs() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (BASE + "appointments:\n" + APPOINTMENT % '"2026-13-40"', "is not a date"),
        (BASE + "slots:\n" + WINDOW % ('"25:00"', '"26:00"'), "not a time of day"),
        (BASE + "slots:\n" + WINDOW % ('"12:00"', '"09:00"'), "09:00 is not after 12:00"),
        (BASE + "? [a, b]\n: 1\n", "a key must be a plain name"),
        (BASE + "seed: " + "9" * 5000 + "\n", "a number of more than 40 digits"),
        ("provider: huskyvoice\ndescription: !!binary aGVsbG8=\n", "binary' is not allowed"),
        (BASE + billion_laughs(), "expands to more than"),
        (BASE + "x:\n" + "".join("  " * n + f"k{n}:\n" for n in range(1, 80)), "nests more than"),
        (BASE + "clock: {now: 0001-01-01T00:00:00+01:00}\n", "clock.now"),
        (BASE + "org: {cancellation_notice_hours: .nan}\n", ".nan is not a finite number"),
        (BASE + "org: {cancellation_notice_hours: -.inf}\n", "-.inf is not a finite number"),
        (BASE + "org: {cancellation_notice_hours: " + "9" * 5000 + ".0}\n", "more than 40 digits"),
        (BASE + "org: {cancellation_notice_hours: 1.0e+20}\n", "is greater than the maximum"),
        (BASE + "behaviour: {search: {max_limit: 1.0e+20}}\n", "is greater than the maximum"),
        (BASE + "generate: {appointments: 1000000}\n", "is greater than the maximum of 100000"),
        (BASE + STUB % "{1: x}", "a key must be text, not '1'"),
        (BASE + STUB % "{true: x}", "a key must be text, not 'true'"),
        (BASE + "description: [" + ",".join(["1"] * 1_000_000) + "]\n", "holds more than 100000"),
    ],
    ids=[
        "date",
        "time",
        "window",
        "key",
        "digits",
        "binary",
        "aliases",
        "depth",
        "instant",
        "nan",
        "inf",
        "float-digits",
        "over-maximum",
        "max-limit",
        "generate",
        "int-key",
        "bool-key",
        "two-million-values",
    ],
)
def test_hostile_scenario_files_give_their_line_fast(tmp_path, text, needle):
    write(tmp_path, "hostile.yaml", text)
    result = validate(tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"{tmp_path / 'huskyvoice' / 'hostile.yaml'}:" in result.stderr
    assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_an_unquoted_instant_is_read_as_the_text_it_is(tmp_path):
    write(tmp_path, "plain.yaml", BASE + "clock: {now: 2026-05-27T12:00:00Z}\n")
    engine = MockEngine(["huskyvoice/plain"], [tmp_path])
    assert engine.clocks()["huskyvoice"]["now"] == "2026-05-27T12:00:00.000Z"


def test_an_oversized_scenario_file_is_refused_unread(tmp_path):
    path = write(tmp_path, "huge.yaml", BASE)
    with path.open("a") as handle:
        handle.write("#" * (5 * 1024 * 1024))
    with pytest.raises(ScenarioError, match="over 4194304 bytes"):
        MockEngine([], [tmp_path])


def test_raw_bytes_must_be_meant_and_an_empty_folder_is_no_success(tmp_path):
    write(
        tmp_path,
        "raw.yaml",
        BASE + "interactions:\n  - match: {method: GET}\n    respond: {raw_body: '<html>'}\n",
    )
    with pytest.raises(ScenarioError, match="say violates_contract: true to mean them"):
        MockEngine([], [tmp_path])
    empty = tmp_path / "empty"
    empty.mkdir()
    result = validate(empty)
    assert result.returncode == 1
    assert "no *.yaml or *.yml files" in result.stderr


def test_the_watcher_outlives_a_reload_that_fails_unexpectedly(monkeypatch):
    from mockserver.cli.watch import ScenarioWatcher

    engine = MockEngine()
    said: list[str] = []
    watcher = ScenarioWatcher(engine, interval=0.01, report=said.append)
    calls = iter([RuntimeError("disk on fire")])

    def check() -> bool:
        error = next(calls, None)
        if error is not None:
            raise error
        watcher._stop.set()
        return False

    monkeypatch.setattr(watcher, "check", check)
    watcher._run()
    assert said == [
        "mockserver: scenario files not reloaded, still serving the last good ones: "
        "RuntimeError: disk on fire"
    ]


def test_an_unreadable_scenarios_folder_is_a_problem_not_an_empty_one(tmp_path, monkeypatch):
    import os

    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: path != tmp_path and real(path, mode))
    with pytest.raises(ScenarioError, match="cannot be read"):
        MockEngine([], [tmp_path])


def test_an_extending_file_without_a_description_is_its_own_problem(tmp_path):
    """Its parent's description is not inherited, and not at fault: `validate` names the file
    that lacks one, never the built-in it extends."""
    lacking = write(tmp_path, "quiet.yaml", "extends: huskyvoice/direct-cancel\n")
    result = validate(tmp_path)
    assert result.returncode == 1
    assert f"{lacking}:1: 'description' is required" in result.stderr, result.stderr
    assert "direct-cancel.yaml" not in result.stderr


def test_a_builtin_scenario_is_named_by_its_folder_and_read_when_first_needed(monkeypatch):
    """The built-in files are read on first use, not at start: each one's name as read equals
    the name its folder gives it, so the lazy catalog lists what an eager one would."""
    from mockserver.scenarios import catalog as module

    eager, problems = module.load_scenarios(
        module.scenario_files(scenarios_dir()), [], readers=READERS
    )
    assert not problems
    assert {module.builtin_name(path) for path in module.scenario_files(scenarios_dir())} == set(
        eager
    )
    read: list[str] = []
    real = module._read_file
    monkeypatch.setattr(
        module,
        "_read_file",
        lambda path, *rest, **named: (read.append(path.name), real(path, *rest, **named))[1],
    )
    catalog = module.ScenarioCatalog(readers=READERS)
    assert read == []
    assert catalog.names() == sorted(eager)
    assert "leyr/emr-error" in catalog
    assert catalog.get("leyr/emr-error").data == eager["leyr/emr-error"].data
    assert read == ["emr-error.yaml", "two-step.yaml"]  # the file, then its parent
    catalog.get("leyr/two-step-expired")
    assert read[2:] == ["two-step-expired.yaml"]  # the parent is read once
    assert [s.name for s in catalog] == sorted(eager)


def test_a_builtin_scenario_is_built_once_however_many_threads_ask():
    import threading

    from mockserver.scenarios.catalog import ScenarioCatalog

    catalog = ScenarioCatalog(readers=READERS)
    start = threading.Barrier(8)
    got: list[object] = []

    def ask() -> None:
        start.wait(timeout=10)
        got.append(catalog.get("huskyvoice/slot-freed"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(got) == 8
    assert all(scenario is got[0] for scenario in got)


def test_a_user_file_overriding_a_builtin_extends_the_one_it_replaces(tmp_path):
    write(
        tmp_path,
        "direct-cancel.yaml",
        """\
        provider: huskyvoice
        extends: huskyvoice/direct-cancel
        overrides: true
        description: The built-in one, with cancellation turned off.
        org:
          allow_cancellation: false
        """,
    )
    engine = MockEngine(["huskyvoice/direct-cancel"], [tmp_path])
    scenario = engine.catalog.get("huskyvoice/direct-cancel")
    assert scenario.source.endswith("direct-cancel.yaml") and scenario.source != "builtin"
    assert scenario.model.org.allow_cancellation is False
    assert scenario.data["api_keys"]  # the built-in's fields, under the override
