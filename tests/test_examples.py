"""The worked examples pass against the built wheel installed in a fresh virtual environment,
so what is tested is the plugin as integrators get it."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import ROOT


def test_example_suite_against_the_installed_wheel(built_wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            f"appointment-cancellation-mockserver[pytest] @ {built_wheel.as_uri()}",
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples)
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=examples,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    assert "mockserver contract coverage" in result.stdout  # examples/pytest.ini asks for it
    # ... and strict mode: every request the examples make is asserted or stubbed.
    assert "mockserver_strict = true" in (examples / "pytest.ini").read_text()
    assert "huskyvoice: " in result.stdout and "leyr: " in result.stdout
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import mockserver, pytest_appointment_mockserver; print(mockserver.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=examples,
    )
    assert str(venv) in where.stdout
