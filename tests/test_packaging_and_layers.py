"""The built wheel carries its scenarios and schemas; the core imports no web framework."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import documented_cancel_response
from servers import running_cli
from test_server_and_cli import seed_curl

ROOT = Path(__file__).resolve().parent.parent
PURE_MODULES = [
    "clock.py",
    "contracts.py",
    "engine.py",
    "exchange.py",
    "routing.py",
    "scenarios.py",
    "resources.py",
    "providers/base.py",
    "providers/huskyvoice.py",
]
FORBIDDEN = {"starlette", "uvicorn", "pytest", "httpx", "pytest_plugin"}


@pytest.mark.parametrize("module", PURE_MODULES)
def test_core_modules_import_no_web_framework(module):
    tree = ast.parse((ROOT / "mockserver" / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN


def test_faker_stays_off_the_request_path():
    code = (
        "import sys; from mockserver import MockEngine; MockEngine(); print('faker' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_wheel_ships_scenarios_schemas_and_entry_points(built_wheel):
    wheel = built_wheel
    names = zipfile.ZipFile(wheel).namelist()
    assert "mockserver/_bundled/scenarios/huskyvoice/direct-cancel.yaml" in names
    assert "mockserver/_bundled/schemas/scenario.schema.json" in names
    assert "mockserver/_bundled/schemas/huskyvoice/appointment.json" in names
    assert "pytest_plugin/plugin.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "mockserver = mockserver.cli:main" in text
    assert "[pytest11]" in text


def test_installed_wheel_serves_the_seed_example(built_wheel, tmp_path):
    wheel = built_wheel
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {"PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import mockserver.resources as r; print(r.scenarios_dir())"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
    )
    assert where.stdout.strip().startswith(str(target))
    with running_cli([], env=env, cwd=tmp_path) as run:
        assert seed_curl(run.base_url) == documented_cancel_response()
    assert run.returncode == 0
