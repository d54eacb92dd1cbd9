"""The documentation, held to what it says: every block marked runnable is run as printed (shell
blocks against a real server, pytest blocks by pytester), every link resolves, and the README
stays a short front page that names the exact command CI runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mockserver.web import admin_commands, admin_reference
from mockserver.web.admin_commands import COMMANDS, Command
from servers import running_cli

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
MARK = re.compile(r"<!-- (runnable(?:: (?P<kind>\w+))?|not run: .+) -->")
PAIR = re.compile(r'"\w+":(?:"[^"]*"|-?\d+|null|true|false)')
PORT = re.compile(r"(?:localhost|127\.0\.0\.1):8080")
ASSIGNMENT = re.compile(r"^[A-Z_]+=")


@dataclass
class Block:
    page: Path
    line: int  # where the fence opens, 1-based
    language: str
    mark: str | None  # the comment before the fence: "runnable", "runnable: pytest", "not run: …"
    text: str
    followed_by: str | None = None  # the next block's text when it is JSON (an answer shown)

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, with the mark written just before it."""
    found: list[Block] = []
    lines = page.read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("```") or len(line) == 3:
            index += 1
            continue
        before = next((text for text in reversed(lines[:index]) if text.strip()), "")
        mark = MARK.fullmatch(before.strip())
        end = lines.index("```", index + 1)
        block = Block(
            page, index + 1, line[3:], mark and mark.group(1), "\n".join(lines[index + 1 : end])
        )
        if (
            found
            and found[-1].mark
            and not mark
            and block.language == "json"
            and found[-1].line > index - 40
        ):
            found[-1].followed_by = block.text
        found.append(block)
        index = end + 1
    return found


ALL_BLOCKS = [block for page in PAGES if page.exists() for block in blocks(page)]
SHELL = [b for b in ALL_BLOCKS if b.mark == "runnable" and b.language == "sh"]
PYTEST = [b for b in ALL_BLOCKS if b.mark == "runnable: pytest"]
PYTHON = [b for b in ALL_BLOCKS if b.mark == "runnable: python"]


@dataclass
class Step:
    command: str
    pairs: list[str] = field(default_factory=list)  # "key":value texts the output must hold
    texts: list[str] = field(default_factory=list)  # plain lines the output must hold


def steps(text: str) -> tuple[list[str], list[Step]]:
    """A shell block's variable assignments and its commands, each with the answer shown after it
    (comment lines straight after a command; a comment after a blank line only explains)."""
    assignments: list[str] = []
    found: list[Step] = []
    expecting = False
    for line in re.sub(r"\\\n\s*", " ", text).splitlines():
        if not line.strip():
            expecting = False
        elif line.startswith("#"):
            shown = line[1:].strip()
            if expecting and shown[:1] in "{[":
                found[-1].pairs.extend(PAIR.findall(shown))
            elif expecting:
                found[-1].texts.append(shown)
        elif ASSIGNMENT.match(line):
            assignments.append(line)
            expecting = False
        else:
            found.append(Step(line))
            expecting = True
    return assignments, found


def test_every_shell_and_python_block_says_whether_it_runs():
    unmarked = [b.name for b in ALL_BLOCKS if b.language in ("sh", "python") and b.mark is None]
    assert not unmarked, (
        "mark each with <!-- runnable --> (run by tests/test_docs.py), "
        "<!-- runnable: pytest --> or <!-- not run: why -->: " + ", ".join(unmarked)
    )


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walk-throughs use curl")
@pytest.mark.parametrize("block", SHELL, ids=[b.name for b in SHELL])
def test_shell_block_runs_as_printed(block: Block, tmp_path: Path) -> None:
    assignments, commands = steps(block.text)
    assert commands, block.name
    # `.venv/bin/mockserver` as the docs type it, from this test's own environment.
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    with running_cli([]) as run:
        host = run.base_url.removeprefix("http://")
        output = ""
        for step in commands:
            script = "\n".join([*assignments, step.command])
            result = subprocess.run(
                ["bash", "-c", PORT.sub(host, script)],
                capture_output=True,
                text=True,
                cwd=tmp_path,
                env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
                timeout=60,
            )
            assert result.returncode == 0, (block.name, step.command, result.stderr)
            output = result.stdout
            for expected in [*step.pairs, *step.texts]:
                assert expected in output, (block.name, step.command, expected, output)
        if block.followed_by is not None:
            assert json.loads(output) == json.loads(block.followed_by), block.name
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("block", PYTEST, ids=[b.name for b in PYTEST])
def test_pytest_block_passes(block: Block, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_from_docs=block.text)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=block.text.count("\ndef test_"))


@pytest.mark.parametrize("block", PYTHON, ids=[b.name for b in PYTHON])
def test_python_block_runs(block: Block, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", block.text], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_walkthroughs_cover_every_built_in_scenario():
    qa = (ROOT / "docs" / "qa.md").read_text()
    walked = "\n".join(b.text for b in SHELL if b.page.name == "qa.md")
    names = re.findall(r"^\| `(\w+/[\w-]+)` \|", qa, flags=re.M)
    assert len(names) == len(list((ROOT / "scenarios").glob("*/*.yaml")))
    missing = [name for name in names if f'"name": "{name}"' not in walked]
    assert not missing


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"\w+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", file.read_text(), flags=re.M)
            if anchor not in {slug(h) for h in headings}:
                broken.append(target)
    assert not broken, (page.name, broken)


def test_the_readme_is_a_short_front_page_naming_the_command_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert f"```sh\n{ci}\n```" in readme
    for flag in ("--port", ".venv/bin/mockserver serve", "PATH"):
        assert flag in readme


def test_the_admin_reference_is_the_route_table():
    page = (ROOT / "docs" / "admin-api.md").read_text()
    assert admin_reference.rewrite(page) == page, (
        "docs/admin-api.md differs from mockserver/web/admin_commands.py's COMMANDS: run "
        "`python -m mockserver.web.admin_reference docs/admin-api.md`"
    )
    for command in COMMANDS:
        assert f"| `{command.method} /__admin{command.path}` |" in page


def test_the_admin_reference_refuses_a_route_without_words(monkeypatch):
    def undocumented(engine: object, call: object) -> dict[str, str]:
        return {}

    monkeypatch.setattr(admin_commands, "COMMANDS", (Command("x", "GET", "/x", undocumented),))
    with pytest.raises(ValueError, match="undocumented has no docstring"):
        admin_reference.reference()
    with pytest.raises(ValueError, match="markers"):
        admin_reference.rewrite("# a page without the table\n")


def test_the_admin_reference_command_rewrites_a_stale_page(tmp_path):
    page = tmp_path / "admin-api.md"
    page.write_text(
        f"# Admin\n\n{admin_reference.BEGIN}\n| stale |\n{admin_reference.END}\n\nmore\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mockserver.web.admin_reference", str(page)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    text = page.read_text()
    assert "| stale |" not in text and "`GET /__admin/health`" in text and text.endswith("\nmore\n")
