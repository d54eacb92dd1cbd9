"""No function of the package or the plugin is over 60 lines: one that grows splits."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 60
# Literal tables returned whole: data, not logic (each an operations table of a provider).
TABLES = {
    "mockserver/providers/huskyvoice/api.py::operations",
    "mockserver/providers/leyr/api.py::operations",
}


def _is_a_literal_table(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body that is a docstring at most and one `return` of a literal tuple or list."""
    body = [
        s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    return (
        len(body) == 1
        and isinstance(body[0], ast.Return)
        and isinstance(body[0].value, (ast.Tuple, ast.List))
    )


def long_functions(source: str, where: str) -> list[str]:
    """`where::name (N lines)` for every function (nested ones too) over the limit, its
    decorators counted; the exempted tables only while they stay literal tables."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = (node.end_lineno or node.lineno) - start + 1
            name = f"{where}::{node.name}"
            if length > LIMIT and not (name in TABLES and _is_a_literal_table(node)):
                found.append(f"{name} ({length} lines)")
    return found


def test_no_function_is_over_60_lines():
    found = []
    for folder in ("mockserver", "pytest_plugin"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found += long_functions(path.read_text(), path.relative_to(ROOT).as_posix())
    assert found == [], "split these: " + ", ".join(found)


def test_the_check_finds_a_long_function_and_spares_only_a_literal_table():
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    assert long_functions(f"def grown():\n{body}\n", "m.py") == ["m.py::grown (61 lines)"]
    table = "\n".join(f"        {i}," for i in range(LIMIT))
    literal = f"def operations():\n    return (\n{table}\n    )\n"
    where = "mockserver/leyr/api.py"
    assert long_functions(literal, "mockserver/providers/leyr/api.py") == []
    assert long_functions(literal, where) == [f"{where}::operations ({LIMIT + 3} lines)"]
    logic = f"def operations():\n    y = 1\n{body}\n    return (y,)\n"
    assert long_functions(logic, "mockserver/providers/leyr/api.py") != []
    nested = (
        f"def outer():\n    def inner():\n{body.replace('    ', '        ')}\n    return inner\n"
    )
    assert [f.split("::")[1].split()[0] for f in long_functions(nested, "m.py")] == [
        "outer",
        "inner",
    ]
