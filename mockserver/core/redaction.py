"""Credentials as every surface shows them: the journal, its exports, the differences that
assertions, near misses and closest matches print, the dashboard. One rule, here."""

from __future__ import annotations

from collections.abc import Iterable

# Headers that carry credentials: shown by their last four characters only.
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "x-leyr-client-secret", "proxy-authorization"}
)
# A credential this short or shorter shows nothing of itself: four characters of eight would
# be half of it.
SHORTEST_WITH_TAIL = 9


def shortened(value: str) -> str:
    """`Bearer YOUR_API_KEY` -> `Bearer …_KEY`: enough to tell credentials apart, not to use one."""
    scheme, space, credential = value.partition(" ")
    if not space:
        scheme, credential = "", value
    tail = credential[-4:] if len(credential) >= SHORTEST_WITH_TAIL else ""
    return f"{scheme}{space}…{tail}"


def shown(name: str, value: str) -> str:
    """A header's value as shown: shortened when the header carries a credential."""
    return shortened(value) if name.lower() in SECRET_HEADERS else value


def redacted(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name: shown(name, value) for name, value in headers}
