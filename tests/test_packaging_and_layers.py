"""The built wheel carries its scenarios and schemas; the core imports no web framework."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import documented_cancel_response
from servers import running_cli
from test_server_and_cli import seed_curl

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mockserver"
FORBIDDEN = {"starlette", "uvicorn", "pytest", "httpx", "pytest_appointment_mockserver"}
# The layers, lowest first: a package may import its own modules and those of lower layers only.
# The folder list is the architecture; this table is its one statement, and the graph it checks
# is read from the code (imports inside functions and under TYPE_CHECKING count).
LAYERS = {
    "core": 0,
    "scenarios": 1,
    "journal": 2,
    "providers": 3,
    "engine": 4,
    "report": 5,
    "web": 6,
    "cli": 7,
    "testing": 7,
}
# The pure layers (the engine, all it builds on, and the report) import no web framework and no
# test tool.
PURE = {"core", "scenarios", "journal", "providers", "engine", "report"}
# The public face may name the testing surfaces, but only lazily (they need httpx).
PUBLIC_FACE = {"mockserver", "mockserver.__main__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            for child in node.body:
                lines |= set(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(path: Path, *, runtime_only: bool = False) -> set[str]:
    """Every module a file imports, at the top or inside a function (lazy imports count).

    `from package import module` counts as importing the module, not the package's
    `__init__`. With `runtime_only`, imports for annotations (under TYPE_CHECKING) are left out:
    they never run, so they can form no import cycle.
    """
    tree = ast.parse(path.read_text())
    skipped = _type_checking_lines(tree) if runtime_only else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module, f"{path}: the package imports absolutely"
            submodules = {f"{node.module}.{a.name}" for a in node.names}
            named = {m for m in submodules if _is_module(m)}
            found |= named or {node.module}
    return found


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (ROOT / relative).with_suffix(".py").is_file() or (
        ROOT / relative / "__init__.py"
    ).is_file()


def _graph(*, runtime_only: bool = False) -> dict[str, set[str]]:
    """Module name -> the modules it imports."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "_bundled" not in p.parts}
    return {name: _imports(path, runtime_only=runtime_only) for name, path in modules.items()}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "mockserver" and parts[1] in LAYERS else None


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Each import that reaches a layer its module may not depend on."""
    found = []
    for module, imported in sorted(graph.items()):
        mine = layer_of(module)
        for target in sorted(imported):
            theirs = layer_of(target)
            if mine is None or theirs is None or theirs == mine:
                continue
            if LAYERS[theirs] >= LAYERS[mine]:
                found.append(f"{module} imports {target} ({mine} may not depend on {theirs})")
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), lazy imports included."""
    edges = {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return cycles


def test_every_module_belongs_to_a_layer_or_the_public_face():
    unplaced = [m for m in _graph() if layer_of(m) is None and m not in PUBLIC_FACE]
    assert not unplaced, f"modules outside every layer: {unplaced} (add a package to LAYERS)"
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py"], (
        f"the top of mockserver/ is the public face: {top}"
    )


def test_no_module_imports_a_higher_layer():
    assert upward_imports(_graph()) == []


def test_no_import_cycles_hidden_or_not():
    assert import_cycles(_graph(runtime_only=True)) == []


def test_the_pure_layers_import_no_web_framework_and_no_test_tool():
    for module, imported in _graph().items():
        if layer_of(module) in PURE:
            leaked = {m.split(".")[0] for m in imported} & FORBIDDEN
            assert not leaked, f"{module} is in a pure layer but imports {leaked}"


def test_only_the_plugin_and_lazy_public_exports_reach_testing():
    graph = _graph()
    reaching = sorted(
        m
        for m, imported in graph.items()
        if layer_of(m) != "testing" and any(layer_of(t) == "testing" for t in imported)
    )
    assert reaching == ["mockserver"], reaching
    top = (PACKAGE / "__init__.py").read_text()
    assert "if TYPE_CHECKING:" in top  # mockserver's own imports of testing are for types only


def test_the_architecture_page_maps_the_folders_one_to_one():
    """docs/architecture.md has a row per package, at its layer, naming each of its modules."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    rows = {
        found.group(1): (found.group(2), found.group(3))
        for found in re.finditer(r"^\| `mockserver/(\w+)/` \| (\d+) \| (.*) \|$", page, re.M)
    }
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert set(rows) == packages, "rows and folders differ"
    for package, (layer, text) in rows.items():
        assert int(layer) == LAYERS[package], f"{package}: layer {layer} on the page"
        modules = {p.stem for p in (PACKAGE / package).rglob("*.py") if p.stem != "__init__"}
        unnamed = sorted(m for m in modules if f"`{m}`" not in text)
        assert not unnamed, f"docs/architecture.md's {package}/ row does not name {unnamed}"


def test_the_layering_checks_catch_an_upward_import_and_a_cycle():
    # The checks, shown failing on a made-up graph: core reaching up to the engine, and two
    # journal modules importing each other inside functions.
    graph = {
        "mockserver.core.routing": {"mockserver.engine.facade"},
        "mockserver.engine.facade": {"mockserver.core.routing"},
        "mockserver.journal.a": {"mockserver.journal.b"},
        "mockserver.journal.b": {"mockserver.journal.a", "mockserver.core.routing"},
    }
    assert upward_imports(graph) == [
        "mockserver.core.routing imports mockserver.engine.facade (core may not depend on engine)"
    ]
    assert import_cycles(graph) == [
        ["mockserver.core.routing", "mockserver.engine.facade"],
        ["mockserver.journal.a", "mockserver.journal.b"],
    ]


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
    assert "mockserver/_bundled/scenarios/prepared.json" in names  # the fast start's copy
    assert "mockserver/_bundled/schemas/scenario.schema.json" in names
    assert "mockserver/_bundled/schemas/huskyvoice/appointment.json" in names
    # The plugin installs under its own distinctive name, never as a generic `pytest_plugin`.
    assert "pytest_appointment_mockserver/plugin.py" in names
    assert not [n for n in names if n.startswith("pytest_plugin/")]
    typed = {"mockserver/py.typed", "pytest_appointment_mockserver/py.typed"}
    assert typed <= set(names)  # typed for users
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)  # license = MIT, shipped
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "mockserver = mockserver.cli.main:main" in text
    assert "[pytest11]" in text
    assert "mockserver = pytest_appointment_mockserver.plugin" in text


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
        [sys.executable, "-c", "import mockserver.core.resources as r; print(r.scenarios_dir())"],
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
