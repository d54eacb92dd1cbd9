"""The journal's listing parameters (GET /__admin/requests?…) read into a JournalQuery.

Paging, time and contract filters are named here; every other parameter is a
field of the request pattern, as in `GET /__admin/requests?method=PATCH&body=…`.
"""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.core.clock import parse_instant
from mockserver.core.errors import MockError
from mockserver.core.json_value import ascii_digits
from mockserver.core.patterns import pattern_from_query
from mockserver.journal.ring import JournalQuery

MAX_PAGE = 1000
FORMATS = ("json", "har", "pact", "jsonl")
LISTING = frozenset(
    {"since", "limit", "cursor", "order", "broke_contract", "format", "consumer", "q"}
)


def parse_listing(params: Mapping[str, str]) -> tuple[JournalQuery, str]:
    """The query and the format (`json`, `har` or `jsonl`) the parameters ask for; a MockError
    (400) names the parameter that cannot be used."""
    # `status` (a code or a class such as 4xx) is a field of the pattern, as everywhere.
    pattern_params = {k: v for k, v in params.items() if k not in LISTING}
    pattern = pattern_from_query(pattern_params) if pattern_params else None
    form = params.get("format", "json")
    if form not in FORMATS:
        raise MockError(f"format: {form!r} is not one of {', '.join(FORMATS)}", field="format")
    if (form == "pact") != ("consumer" in params):
        raise MockError(
            "format=pact takes consumer=NAME (the client's name), and only it does",
            field="consumer",
        )
    order = params.get("order", "oldest")
    if order not in ("oldest", "newest"):
        raise MockError(f"order: {order!r} is not oldest or newest", field="order")
    query = JournalQuery(
        pattern=pattern,
        since=_instant(params["since"]) if "since" in params else None,
        broke_contract=_flag(params, "broke_contract"),
        newest_first=order == "newest",
        cursor=whole_param(params, "cursor", 0, 2**63),
        limit=whole_param(params, "limit", 1, MAX_PAGE),
        search=params.get("q") or None,
    )
    return query, form


def whole_param(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    """A whole-number parameter from `low` to `high` (ASCII digits only), None when absent."""
    text = params.get(name)
    if text is None:
        return None
    if not ascii_digits(text) or not low <= int(text) <= high:
        raise MockError(f"{name}: a whole number from {low} to {high}", field=name)
    return int(text)


def _flag(params: Mapping[str, str], name: str) -> bool | None:
    text = params.get(name)
    if text is None:
        return None
    if text not in ("true", "false"):
        raise MockError(f"{name}: true or false", field=name)
    return text == "true"


def _instant(text: str) -> float:
    """An ISO 8601 instant with its offset (`2026-11-28T10:00:00Z`); naive ones are UTC."""
    try:
        return parse_instant(text).timestamp()
    except (ValueError, OverflowError):
        raise MockError(f"since: {text[:40]!r} is not an ISO 8601 instant", field="since") from None
