"""Every built-in scenario replayed from one table (`scenario_table.yaml`), through HTTP."""

from __future__ import annotations

import pytest

from mockserver.core.resources import scenarios_dir
from scenario_replay import TABLE, replay


def test_the_table_covers_every_builtin_scenario():
    builtins = {f"{path.parent.name}/{path.stem}" for path in scenarios_dir().glob("*/*.yaml")}
    assert set(TABLE) == builtins


@pytest.mark.parametrize("name", sorted(TABLE))
def test_builtin_scenario_behaves_as_its_table_says(mock_for, name):
    mock = mock_for(name)
    replay(mock, name)
    # The table's requests keep to the contract, but for the steps marked `breaks_contract`.
    marked = sum(1 for step in TABLE[name] if step.get("expect", {}).get("breaks_contract"))
    assert len(mock.engine.violations()) == marked, name
