"""The README's walk-through, run as printed against a real server."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from servers import running_cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
PAIR = re.compile(r'"\w+":(?:"[^"]*"|\d+|null)')


def walkthrough(name: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The serve arguments and each (command, expected JSON pairs) of a README walk-through."""
    block = README.split(f"<!-- walkthrough: {name} -->", 1)[1].split("```sh\n", 1)[1]
    block = block.split("```", 1)[0].replace("\\\n", " ")
    serve: list[str] = []
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("mockserver serve"):
            serve = line.split()[2:]
        elif line.startswith("curl"):
            steps.append((line, []))
        elif line.startswith("# {") and steps:
            steps[-1][1].extend(PAIR.findall(line))
    return serve, steps


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walk-through uses curl")
def test_leyr_two_step_walkthrough_runs_as_printed():
    serve, steps = walkthrough("leyr/two-step")
    assert serve == ["--scenario", "leyr/two-step"]
    assert len(steps) == 4
    assert all(expected for _, expected in steps[1:])
    with running_cli(serve) as run:
        host = run.base_url.removeprefix("http://")
        for command, expected in steps:
            result = subprocess.run(
                ["bash", "-c", command.replace("localhost:8080", host)],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            )
            for pair in expected:
                assert pair in result.stdout, (command, pair, result.stdout)
        scenario = subprocess.run(
            ["curl", "-s", f"{run.base_url}/__admin/scenario"], capture_output=True, text=True
        ).stdout
        assert '"client_secret":"test-client-secret"' in scenario
        assert '"2001"' in scenario
    assert run.returncode == 0
