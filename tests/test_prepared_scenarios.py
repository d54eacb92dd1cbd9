"""The built-in scenarios' prepared copy: a start reads it instead of parsing YAML, and it can make
a start slower, never different (a stale or damaged copy is passed over for the YAML)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from mockserver.core.contracts import default_contracts
from mockserver.core.resources import scenario_files, scenarios_dir
from mockserver.providers import make_providers
from mockserver.scenarios.catalog import ScenarioError, load_scenarios
from mockserver.scenarios.prepared import PREPARED_FILE, prepared_document
from mockserver.scenarios.write_prepared import main as write_main
from mockserver.scenarios.write_prepared import prepare

READERS = make_providers(default_contracts())


def exact(value: object) -> str:
    """A document as JSON: 1, 1.0 and true differ here, as they do in an answer."""
    return json.dumps(value, sort_keys=False)


def test_the_prepared_copy_is_of_the_builtin_files_as_they_are():
    written = (scenarios_dir() / PREPARED_FILE).read_bytes()
    assert written == prepare(scenarios_dir()), (
        "scenarios/prepared.json is stale: run `python -m mockserver.scenarios.write_prepared`"
    )


def test_every_builtin_scenario_read_from_its_copy_equals_the_one_read_from_its_yaml(tmp_path):
    copied = tmp_path / "scenarios"
    shutil.copytree(scenarios_dir(), copied, ignore=shutil.ignore_patterns(PREPARED_FILE))
    from_copy, problems = load_scenarios(scenario_files(scenarios_dir()), [], readers=READERS)
    assert not problems
    from_yaml, problems = load_scenarios(scenario_files(copied), [], readers=READERS)
    assert not problems
    assert sorted(from_copy) == sorted(from_yaml) and len(from_copy) >= 20
    for name, scenario in from_copy.items():
        assert exact(scenario.data) == exact(from_yaml[name].data), name
        assert scenario.model == from_yaml[name].model, name
        assert scenario.description == from_yaml[name].description, name


def copy_with_prepared(tmp_path: Path) -> Path:
    copied = tmp_path / "scenarios"
    shutil.copytree(scenarios_dir(), copied)
    return copied


def test_a_file_edited_after_its_copy_was_written_is_read_from_its_yaml(tmp_path):
    copied = copy_with_prepared(tmp_path)
    edited = copied / "huskyvoice" / "direct-cancel.yaml"
    text = edited.read_text()
    edited.write_text(text.replace("cancellation_notice_hours: 24", "cancellation_notice_hours: 6"))
    assert prepared_document(edited, edited.read_bytes()) is None
    untouched = copied / "huskyvoice" / "not-found.yaml"
    assert prepared_document(untouched, untouched.read_bytes()) is not None
    scenarios, problems = load_scenarios(scenario_files(copied), [], readers=READERS)
    assert not problems
    assert scenarios["huskyvoice/direct-cancel"].data["org"]["cancellation_notice_hours"] == 6


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b'{"about": "x", "files": []}',
        b'{"about": 1}',
        b"\xff\xfe",
        b'{"about": "x", "files": {"huskyvoice/direct-cancel.yaml": {"sha256": "x", '
        b'"document_sha256": "x", "document": ' + b"[" * 5_000 + b"]" * 5_000 + b"}}}",
    ],
    ids=["empty", "not-json", "wrong-shape", "missing-files", "not-utf8", "nested-past-decoder"],
)
def test_a_damaged_copy_is_passed_over_for_the_yaml(tmp_path, damage):
    copied = copy_with_prepared(tmp_path)
    (copied / PREPARED_FILE).write_bytes(damage)
    scenarios, problems = load_scenarios(scenario_files(copied), [], readers=READERS)
    assert not problems
    assert scenarios["huskyvoice/direct-cancel"].data["org"]["cancellation_notice_hours"] == 24


def test_a_copy_whose_document_was_changed_under_its_digest_is_passed_over(tmp_path):
    """The YAML's digest says the file has not changed; the document's own says the copy has
    (a merge that kept one side's document and the other's digests, a stray edit)."""
    copied = copy_with_prepared(tmp_path)
    prepared = json.loads((copied / PREPARED_FILE).read_text())
    entry = prepared["files"]["huskyvoice/direct-cancel.yaml"]
    entry["document"]["org"]["cancellation_notice_hours"] = 6
    bare = prepared["files"]["huskyvoice/not-found.yaml"]
    bare["document"] = {"provider": "huskyvoice"}  # cut short, its digest not written again
    (copied / PREPARED_FILE).write_text(json.dumps(prepared))
    scenarios, problems = load_scenarios(scenario_files(copied), [], readers=READERS)
    assert not problems
    assert scenarios["huskyvoice/direct-cancel"].data["org"]["cancellation_notice_hours"] == 24
    assert scenarios["huskyvoice/not-found"].description  # from the YAML, whole


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_copy_that_is_a_named_pipe_never_blocks_a_start(tmp_path):
    copied = copy_with_prepared(tmp_path)
    (copied / PREPARED_FILE).unlink()
    os.mkfifo(copied / PREPARED_FILE)
    loaded: list[object] = []
    reader = threading.Thread(
        target=lambda: loaded.append(load_scenarios(scenario_files(copied), [], readers=READERS)),
        daemon=True,
    )
    reader.start()
    reader.join(timeout=30)
    assert loaded, "opening the named pipe blocked the start"


def test_the_writer_refuses_a_file_no_scenario_could_be_built_from(tmp_path):
    copied = copy_with_prepared(tmp_path)
    broken = copied / "huskyvoice" / "direct-cancel.yaml"
    broken.write_text(broken.read_text() + "seed: 7\n")  # `seed` twice
    with pytest.raises(ScenarioError, match="duplicate key 'seed'"):
        prepare(copied)


def test_a_user_file_named_builtin_is_checked_like_any_other(tmp_path):
    """Whether a file is the package's own is never told by its label: a file given as
    `builtin` was taken for one, skipping the schema check (and, with a copy beside it, its
    YAML)."""
    (tmp_path / "builtin").write_text("provider: huskyvoice\ndescription: x\nseed: seven\n")
    (tmp_path / PREPARED_FILE).write_bytes((scenarios_dir() / PREPARED_FILE).read_bytes())
    ran = subprocess.run(
        [sys.executable, "-m", "mockserver", "validate", "builtin"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "builtin:3: seed:" in ran.stderr


def test_a_document_read_from_the_copy_is_every_readers_own(tmp_path):
    """Each read decodes afresh: a catalog that changed its document changes no other's."""
    path = scenarios_dir() / "huskyvoice" / "direct-cancel.yaml"
    first = prepared_document(path, path.read_bytes())
    second = prepared_document(path, path.read_bytes())
    assert first is not None and second is not None
    first["org"]["timezone"] = "UTC"  # type: ignore[index]
    assert second["org"]["timezone"] == "Asia/Kolkata"  # type: ignore[index]


def test_a_problem_in_a_prepared_parent_still_names_its_line(tmp_path):
    """The lines of a file read from its copy are found (by parsing its YAML) only when a
    problem needs one: here in the built-in that a broken user file extends."""
    own = tmp_path / "own"
    own.mkdir()
    (own / "child.yaml").write_text(
        "extends: huskyvoice/direct-cancel\ndescription: x\nbranches: [{id: other, name: O}]\n"
    )
    parent = scenarios_dir() / "huskyvoice" / "direct-cancel.yaml"
    line = next(
        n for n, text in enumerate(parent.read_text().splitlines(), 1) if "- appointment_id" in text
    )
    from mockserver.scenarios.catalog import ScenarioCatalog

    with pytest.raises(ScenarioError) as caught:
        ScenarioCatalog([own], readers=READERS)
    problems = {p.field: p for p in caught.value.problems}
    assert problems["appointments[0].branch_id"].file == str(parent)
    assert problems["appointments[0].branch_id"].line is not None
    assert abs(problems["appointments[0].branch_id"].line - line) <= 2


def test_a_start_on_builtin_scenarios_loads_nothing_it_does_not_use():
    """PyYAML costs about 15 ms to load, RE2 3 ms, the Pact module 2 ms: a suite on built-in
    scenarios, with no pattern and no pact, pays none of them."""
    code = textwrap.dedent(
        """
        import sys
        from mockserver import MockEngine
        from mockserver.testing.session import MockSession
        session = MockSession(MockEngine())
        answer = session.client.patch(
            "/v1/appointments/appt_a1b2c3d4e5",
            json={"status": "cancelled"},
            headers={"Authorization": "Bearer YOUR_API_KEY"},
        )
        assert answer.status_code == 200, answer.text
        session.engine.load("leyr/two-step")
        session.engine.load("huskyvoice/flaky")  # extends another: its line is not looked up
        unused = ("yaml", "re2", "mockserver.report.pact", "mockserver.scenarios.yaml_source")
        print(sorted(m for m in sys.modules if m.split(".")[0] in unused or m in unused))
        """
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"


def test_the_writer_writes_the_copy_and_checks_it(tmp_path, monkeypatch, capsys):
    copied = copy_with_prepared(tmp_path)
    monkeypatch.setattr("mockserver.scenarios.write_prepared.scenarios_dir", lambda: copied)
    assert write_main(["--check"]) == 0
    (copied / PREPARED_FILE).write_bytes(b"{}")
    assert write_main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out
    assert write_main([]) == 0
    assert (copied / PREPARED_FILE).read_bytes() == prepare(copied)
    assert write_main(["--check"]) == 0
