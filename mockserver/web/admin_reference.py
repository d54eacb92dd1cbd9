"""The admin API's reference table in docs/admin-api.md, written from the route table itself.

`python -m mockserver.web.admin_reference docs/admin-api.md` rewrites the table between its two
markers, one row a command, from each command's docstring; the suite fails when they differ.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from mockserver.core.surface import ADMIN_PREFIX
from mockserver.web import admin_commands

BEGIN = "<!-- generated from mockserver/web/admin_commands.py's COMMANDS: do not edit by hand -->"
END = "<!-- end of the generated table -->"


def reference() -> str:
    """The table: every admin command in the order of COMMANDS, with its docstring."""
    rows = ["| request | what it does |", "| --- | --- |"]
    for command in admin_commands.COMMANDS:
        doc = inspect.getdoc(command.run)
        where = f"{command.method} {command.path}"
        if not doc:
            raise ValueError(f"{command.run.__name__} has no docstring to document {where}")
        text = " ".join(doc.split()).replace("|", "\\|")
        rows.append(f"| `{command.method} {ADMIN_PREFIX}{command.path}` | {text} |")
    return "\n".join(rows)


def rewrite(page: str) -> str:
    """The page with the table between its markers replaced by the current one."""
    head, found, rest = page.partition(BEGIN + "\n")
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise ValueError(f"the page has no {BEGIN!r} … {END!r} markers")
    return f"{head}{BEGIN}\n{reference()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m mockserver.web.admin_reference docs/admin-api.md", file=sys.stderr)
        return 2
    page = Path(argv[0])
    page.write_text(rewrite(page.read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
