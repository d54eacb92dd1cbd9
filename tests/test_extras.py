"""What integrators install: the `[pytest]` extra brings pytest and httpx and none of the
project's own development tools; without httpx the plugin still loads and the fixture says in
one line which extra to install. Checked in a fresh virtual environment from the built wheel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SUITE = """
import httpx

def test_cancel(mockserver):
    reply = httpx.patch(f"{mockserver.base_url}/v1/appointments/appt_a1b2c3d4e5",
                        json={"status": "cancelled"}, headers={"Authorization": "Bearer YOUR_API_KEY"})
    assert reply.status_code == 200
"""
NO_HTTPX_SUITE = """
def test_uses_the_fixture(mockserver):
    pass

def test_without_it():
    pass
"""
# The project's development tools: none of them may come with the user-facing extra.
DEV_TOOLS = {
    "ruff",
    "mypy",
    "schemathesis",
    "selenium",
    "pytest-xdist",
    "pytest-randomly",
    "openapi-python-client",
    "datamodel-code-generator",
    "openapi-spec-validator",
    "openapi-core",
    "respx",
    "pytest-httpserver",
}


def _pip(python: Path, *args: str) -> None:
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *args], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _pytest(python: Path, where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _installed(python: Path) -> set[str]:
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {item["name"].lower().replace("_", "-") for item in json.loads(listed.stdout)}


def test_the_pytest_extra_and_the_plugin_without_httpx(built_wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"

    # The base package and pytest: the plugin loads, the fixture fails in one line.
    _pip(python, str(built_wheel), "pytest")
    assert "httpx" not in _installed(python)
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "test_bare.py").write_text(NO_HTTPX_SUITE)
    result = _pytest(python, bare)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout, result.stdout
    hint = "pip install 'appointment-cancellation-mockserver[pytest]'"
    lines = [line for line in result.stdout.splitlines() if hint in line]
    assert lines and all("Traceback" not in line for line in lines), result.stdout
    assert "ModuleNotFoundError" not in result.stdout
    assert "Traceback" not in result.stdout

    # The extra brings httpx and nothing of the development tools; the fixture then works.
    _pip(python, f"appointment-cancellation-mockserver[pytest] @ {built_wheel.as_uri()}")
    installed = _installed(python)
    assert {"pytest", "httpx"} <= installed
    assert not installed & DEV_TOOLS, installed & DEV_TOOLS
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_suite.py").write_text(SUITE)
    result = _pytest(python, suite)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
