"""HTML built so that every value is escaped unless it is markup this module made.

Request bodies and headers shown by the dashboard are hostile input: a `<script>` in a body
must show as text. Text passed as a child or an attribute value is always escaped; only
`Markup`, which `el` returns, goes in as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape


class Markup(str):
    """HTML that is already safe (built by `el`)."""

    __slots__ = ()


# Elements that have no end tag.
_VOID = frozenset({"br", "hr", "img", "input", "link", "meta"})


def el(
    tag: str,
    attrs: Mapping[str, str | int | float | bool | None] | None = None,
    *children: object,
) -> Markup:
    """`<tag attrs>children</tag>`: attribute values and text escaped; None and False omitted,
    True written as a bare attribute."""
    parts = [f"<{tag}"]
    for name, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        parts.append(f" {name}" if value is True else f' {name}="{escape(str(value))}"')
    parts.append(">")
    if tag in _VOID:
        return Markup("".join(parts))
    parts.append(join(children))
    parts.append(f"</{tag}>")
    return Markup("".join(parts))


def join(children: Iterable[object]) -> Markup:
    """Children in order: markup as it is, text escaped, nested iterables flattened."""
    out: list[str] = []
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, Markup):
            out.append(child)
        elif isinstance(child, (str, int, float)):
            out.append(escape(str(child)))
        elif isinstance(child, Iterable):
            out.append(join(child))
        else:
            out.append(escape(str(child)))
    return Markup("".join(out))
