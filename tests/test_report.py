"""The report directory, written from an engine's run record: JUnit XML read by an independent
parser, the JSON files, the journal lines with their problems, HAR and the Markdown summary."""

from __future__ import annotations

import json
from pathlib import Path

import junitparser
import pytest

from conftest import AUTH, SEED_ID, SEED_KEY, in_process_client
from mockserver import MockEngine
from mockserver.report.target import ReportTarget
from mockserver.report.verdict import judge, verdict_lines
from mockserver.report.writer import write_report

LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
LEYR_PATH = "/api/emrs/anitasystems/care-units/L0_1/appointments"
FILES = {
    "junit.xml",
    "violations.json",
    "near-misses.json",
    "coverage.json",
    "journal.jsonl",
    "journal.har",
    "summary.md",
}


def _run(engine: MockEngine, body: dict | None = None, appointment: str = SEED_ID) -> int:
    with in_process_client(engine) as client:
        reply = client.patch(
            f"/v1/appointments/{appointment}", json=body or {"status": "cancelled"}, headers=AUTH
        )
        return reply.status_code


def _report(engine: MockEngine, folder: Path, **thresholds) -> Path:
    record = engine.run_record()
    write_report(record, folder, judge(record, **thresholds), base_url="http://mock.test")
    return folder


@pytest.fixture
def engine() -> MockEngine:
    return MockEngine()


def test_every_file_is_written_and_a_clean_run_passes(engine, tmp_path):
    assert _run(engine) == 200
    folder = _report(engine, tmp_path / "report")
    assert {p.name for p in folder.iterdir()} == FILES
    xml = junitparser.JUnitXml.fromfile(str(folder / "junit.xml"))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"huskyvoice", "leyr"}
    [case] = list(suites["huskyvoice"])
    assert case.name == "PATCH /v1/appointments/{appointment_id}"
    assert case.is_passed and case.classname == "huskyvoice.operations"
    assert list(suites["leyr"]) == []
    assert xml.failures == 0
    summary = (folder / "summary.md").read_text()
    assert "✅ PASS" in summary and "None." in summary
    assert json.loads((folder / "violations.json").read_text()) == {
        "violations": [],
        "total_seen": 0,
    }


def test_a_broken_contract_is_one_failing_testcase_naming_each_problem(engine, tmp_path):
    assert _run(engine, {"status": "cancelled", "state": "x"}) == 400
    assert _run(engine) == 200
    folder = _report(engine, tmp_path)
    xml = junitparser.JUnitXml.fromfile(str(folder / "junit.xml"))
    husky = next(suite for suite in xml if suite.name == "huskyvoice")
    failing = [case for case in husky if not case.is_passed]
    [case] = failing
    assert case.name == f"PATCH /v1/appointments/{SEED_ID} → 400"
    [failure] = case.result
    assert isinstance(failure, junitparser.Failure)
    assert failure.type == "ContractViolation"
    for text in (failure.message, failure.text):
        assert "request #1" in text or "request id: 1" in text
        assert "body" in text and "'state'" in text and "additionalProperties" in text
    assert husky.tests == 2 and husky.failures == 1
    assert xml.tests == 2 and xml.failures == 1


def test_journal_lines_carry_their_problems_and_har_holds_every_exchange(engine, tmp_path):
    _run(engine, {"status": "canceled"})
    _run(engine)
    folder = _report(engine, tmp_path)
    lines = [json.loads(line) for line in (folder / "journal.jsonl").read_text().splitlines()]
    assert [line["status"] for line in lines] == [400, 200]
    assert lines[0]["broke_contract"] and lines[0]["problems"][0]["location"] == "body.status"
    assert "problems" not in lines[1]
    har = json.loads((folder / "journal.har").read_text())
    urls = [entry["request"]["url"] for entry in har["log"]["entries"]]
    assert urls == [f"http://mock.test/v1/appointments/{SEED_ID}"] * 2
    near = json.loads((folder / "near-misses.json").read_text())["near_misses"]
    assert [n["request"]["id"] for n in near] == [1]
    coverage = json.loads((folder / "coverage.json").read_text())
    assert coverage == engine.coverage()


def test_resets_do_not_erase_the_runs_evidence(engine, tmp_path):
    """A client's suite resets between tests; the report still covers all of them."""
    _run(engine, {"status": "cancelled", "extra": 1})
    engine.reset()
    engine.activate(["huskyvoice/not-found"])
    _run(engine)
    assert engine.requests() and len(engine.requests()) == 1
    assert engine.violations() == []
    record = engine.run_record()
    assert [e["id"] for e in record.exchanges] == [1, 2]
    assert record.violations_seen == 1 and record.violations[0]["request_id"] == 1
    assert judge(record).exit_status() == 1


def test_credentials_are_shortened_in_every_file_even_with_journal_secrets(tmp_path):
    engine = MockEngine(journal_secrets=True)
    _run(engine, {"status": "cancelled", "x": 1})
    with in_process_client(engine) as client:
        client.patch(f"{LEYR_PATH}/2001", json={"status": "cancelled"}, headers=LEYR)
        client.get("/v1/appointments", headers={**AUTH, "Cookie": "session=abcdefghijkl"})
    folder = _report(engine, tmp_path)
    for path in folder.iterdir():
        text = path.read_text()
        for secret in (SEED_KEY, "test-client-secret", "abcdefghijkl"):
            assert secret not in text, f"{secret} in {path.name}"
    line = json.loads((folder / "journal.jsonl").read_text().splitlines()[0])
    assert line["headers"]["authorization"] == "Bearer …_KEY"


def test_hostile_values_stay_text_in_xml_and_markdown(engine, tmp_path):
    """A field name with control characters, markup and Markdown's table bar."""
    hostile = "<script>alert(1)</script>|\x01\x1b[31m`*_"
    _run(engine, {"status": "cancelled", hostile: 1})
    folder = _report(engine, tmp_path)
    xml = junitparser.JUnitXml.fromfile(str(folder / "junit.xml"))  # parses: no raw \x01
    [failing] = [c for s in xml for c in s if not c.is_passed]
    assert "<script>" in failing.result[0].text  # as text, escaped by the XML writer
    summary = (folder / "summary.md").read_text()
    assert "<script>" not in summary and "&lt;script&gt;" in summary
    row = next(line for line in summary.splitlines() if line.startswith("| #1 "))
    assert row.count(" | ") == 2  # the bar in the value does not open a cell


def test_summary_has_the_verdict_counts_and_both_tables(engine, tmp_path):
    _run(engine, {"status": "cancelled", "state": "x"})
    folder = _report(engine, tmp_path, allow_violations=True, coverage_fail_under=90)
    summary = (folder / "summary.md").read_text()
    assert "❌ FAIL" in summary and "under 90%" in summary
    assert "| 1 | 1 (allowed) | 1 |" in summary and "(required: 90%)" in summary
    assert "## Contract violations" in summary and "| #1 | PATCH" in summary
    assert "## Contract coverage" in summary and "400 VALIDATION\\_ERROR: 1" in summary


def test_the_verdict_rules_and_lines(engine):
    _run(engine, {"status": "cancelled", "state": "x"})
    record = engine.run_record()
    assert judge(record).exit_status() == 1
    assert judge(record, allow_violations=True).exit_status() == 0
    assert judge(record, allow_violations=True, coverage_fail_under=100).exit_status() == 1
    assert judge(record, command_status=3).exit_status() == 3
    lines = verdict_lines(record, judge(record))
    assert lines[0].startswith("FAIL: 1 contract violation recorded — 1 exchange")
    assert lines[1] == (
        f"  PATCH /v1/appointments/{SEED_ID} → 400  body: unknown field(s) 'state'; allowed: "
        "appointment_date, assigned_doctor, batch, notes, session, status"
    )


def test_a_target_without_a_directory_writes_nothing_and_an_unwritable_one_raises(engine, tmp_path):
    record = engine.run_record()
    assert ReportTarget().write(record, judge(record)) == []
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        ReportTarget(blocker / "report").write(record, judge(record))
    assert blocker.read_text() == ""


def test_rewriting_a_report_replaces_each_file_whole(engine, tmp_path):
    _report(engine, tmp_path)
    _run(engine)
    _report(engine, tmp_path)
    assert len((tmp_path / "journal.jsonl").read_text().splitlines()) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_runs_record_covers_every_session_made_from_the_engine(engine):
    """A client that gives each test its own session still gets one verdict over all of them."""
    _run(engine)
    session = engine.spawn("job-1")
    _run(session, {"status": "cancelled", "state": "x"})
    session.reset()
    record = engine.run_record()
    assert [(e["id"], e["session"]) for e in record.exchanges] == [(1, None), (2, "job-1")]
    assert [v["request_id"] for v in record.violations] == [2]
    assert judge(record).exit_status() == 1
    husky = record.coverage["huskyvoice"]
    assert husky["covered"] == 2  # 200 in the default session, 400 in the other


def test_report_json_reads_back_as_written_and_keeps_wide_integers_exact():
    """The report's JSON files are written by orjson, and by the json module for what orjson
    refuses: either way they read back as the document they were made from."""
    from mockserver.report.writer import _json

    document = {"a": [], "b": {}, "c": [1, 2.5, "é ☃", None, True], "d": {"x": [1e-7, 1e21]}}
    assert json.loads(_json(document)) == document
    assert _json(document).endswith(b"}\n")
    wide = {"id": 10**40, "nested": [{"n": -(2**70)}]}
    text = _json(wide)
    assert json.loads(text) == wide
    assert b"10000000000000000000000000000000000000000" in text


def test_the_collector_is_held_off_while_a_report_is_written_and_left_as_it_was(
    engine, tmp_path, monkeypatch
):
    import gc

    from mockserver.report import target as module

    seen: list[bool] = []
    real = module.write_report

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "write_report", spy)
    record = engine.run_record()
    report = ReportTarget(tmp_path)
    assert gc.isenabled()
    report.write(record, report.judge(record))
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        report.write(record, report.judge(record))
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()
