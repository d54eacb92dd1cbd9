"""The benchmark's own scenarios load; its numbers are reported by bench/run.py, never asserted."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from conftest import ROOT
from mockserver import MockEngine


def test_bench_scenarios_are_valid(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    module.write_scenarios(tmp_path)
    engine = MockEngine(["huskyvoice/bench", "leyr/bench"], [tmp_path])
    assert engine.seeded()["leyr"]["seeded"]["appointment_count"] == module.LEYR_APPOINTMENTS
    assert (
        engine.seeded()["huskyvoice"]["seeded"]["appointment_count"] == module.HV_APPOINTMENTS + 2
    )
    assert "huskyvoice/reset-1000" in engine.catalog


def _bench_suite():
    spec = importlib.util.spec_from_file_location("bench_suite", ROOT / "bench" / "suite.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_mixed_suite_takes_turns_and_counts_each_test_once(tmp_path, monkeypatch):
    """bench/suite.py's one-process measurement: every way's test in turn, and each way's
    cost a test summed over its phases, its first test (its fixtures' start) left out."""
    suite = _bench_suite()
    suite.write_mixed_suite(tmp_path / "mixed", 3)
    source = (tmp_path / "mixed" / "test_mixed.py").read_text()
    compile(source, "test_mixed.py", "exec")
    names = [line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def test_")]
    assert names[: len(suite.MIXED_WAYS)] == [f"test_{way}_0" for way in suite.MIXED_WAYS]
    assert len(names) == 3 * len(suite.MIXED_WAYS)
    from pytest_appointment_mockserver import plugin

    # The conftest times the plugin's report by wrapping it: put back at the test's end.
    monkeypatch.setattr(plugin, "_finish_report", plugin._finish_report)
    hooks: dict[str, object] = {}
    exec(compile((tmp_path / "mixed" / "conftest.py").read_text(), "conftest.py", "exec"), hooks)

    class Report:
        def __init__(self, nodeid: str, when: str, duration: float) -> None:
            self.nodeid, self.when, self.duration = nodeid, when, duration

    for number in range(3):
        for when, seconds in (("setup", 0.004), ("call", 0.002), ("teardown", 0.001)):
            hooks["pytest_runtest_logreport"](Report(f"t.py::test_respx_{number}", when, seconds))
    spent = tmp_path / "spent.json"
    monkeypatch.setenv("SUITE_SPENT", str(spent))
    finish = hooks["pytest_sessionfinish"](None)
    next(finish)  # a wrapper: the other plugins' ends of session run here
    with pytest.raises(StopIteration):
        finish.send(None)
    assert json.loads(spent.read_text()) == {"respx": pytest.approx(0.007)}


def test_the_mixed_report_is_given_for_one_ways_suite(capsys):
    """The mixed suite journals every mock way's exchanges; the report's cost is set against
    one way's suite: its share of the mixed report, over that suite's run."""
    suite = _bench_suite()
    run = {"empty": 1.0, "inprocess": 2.0, "strict": 2.0, "sockets": 3.0, "respx": 3.0}
    run["httpserver"] = 4.0
    reported = {**run, "report": 300.0}
    suite.print_mixed([run], [reported], suite_seconds=2.0)
    printed = capsys.readouterr().out
    share = 300.0 / len(suite.MOCK_WAYS)
    assert f"{share:.0f} ms, {share / 2000 * 100:.1f} % of the in-process suite's run" in printed
