"""The built wheel carries its scenarios and schemas; the core imports no web framework."""

from __future__ import annotations

import ast
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
# The edges: modules that adapt the core to HTTP, sockets, files or tests. Every other module
# is core, whether or not it is listed anywhere.
EDGES = {
    "mockserver.__main__",
    "mockserver.admin",
    "mockserver.app",
    "mockserver.cli",
    "mockserver.control",
    "mockserver.dashboard",  # the dashboard's HTML (pure rendering)
    "mockserver.dashboard_routes",
    "mockserver.guard",
    "mockserver.handle",  # the pytest fixture's handle
    "mockserver.recorded",  # journal entries typed for tests
    "mockserver.session",  # a session's server, control, transports and clients
    "mockserver.har",
    "mockserver.html",  # the escaping HTML builder the dashboard draws with  # the journal in HTTP Archive form, for the admin API
    "mockserver.journal_params",  # the admin API's listing parameters
    "mockserver.server",
    "mockserver.transport",
    "mockserver.watch",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (lazy imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module, f"{path}: the package imports absolutely"
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "_bundled" not in p.parts}
    return {name: _imports(path) for name, path in modules.items()}


def _core(graph: dict[str, set[str]]) -> set[str]:
    """What the engine reaches, transitively: the modules every surface shares."""
    seen, todo = set(), ["mockserver.engine"]
    while todo:
        name = todo.pop()
        if name in seen or name not in graph:
            continue
        seen.add(name)
        todo += [m for m in graph[name] if m in graph]
    return seen


def test_core_is_what_the_engine_reaches_and_imports_no_web_framework():
    graph = _graph()
    core = _core(graph)
    assert {"mockserver.engine", "mockserver.contracts", "mockserver.scenarios"} <= core
    for name in sorted(core):
        leaked = {m.split(".")[0] for m in graph[name]} & FORBIDDEN
        assert not leaked, f"{name} is core (the engine reaches it) but imports {leaked}"
    assert not core & EDGES, f"the engine reaches edge modules {core & EDGES}"


def test_every_module_is_core_or_a_declared_edge():
    graph = _graph()
    unplaced = set(graph) - _core(graph) - EDGES - {"mockserver"}
    assert not unplaced, f"modules outside the core and not declared edges: {sorted(unplaced)}"


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
    # The plugin installs under its own distinctive name, never as a generic `pytest_plugin`.
    assert "pytest_appointment_mockserver/plugin.py" in names
    assert not [n for n in names if n.startswith("pytest_plugin/")]
    typed = {"mockserver/py.typed", "pytest_appointment_mockserver/py.typed"}
    assert typed <= set(names)  # typed for users
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "mockserver = mockserver.cli:main" in text
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
