"""The benchmark's own scenarios load; its numbers are reported by bench/run.py, never asserted."""

from __future__ import annotations

import importlib.util
import sys

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
