"""A journaled exchange as a test reads it: typed attributes and `json()`, like an HTTP client's
request and response objects.

It is also the JSON document the admin API serves (a read-only mapping), so `entry["status"]`
and `entry.status` are the same value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from mockserver.core.documents import InteractionNote, JournalEntry
from mockserver.core.exchange import query_pairs
from mockserver.core.json_value import JSONValue


class RecordedExchange(Mapping[str, object]):
    """One request the mock received and the answer it sent."""

    __slots__ = ("_entry",)

    def __init__(self, entry: JournalEntry) -> None:
        self._entry = entry

    # The document, as served ----------------------------------------------------------------

    def __getitem__(self, key: str) -> object:
        return self._entry[key]  # type: ignore[literal-required]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entry)

    def __len__(self) -> int:
        return len(self._entry)

    def __repr__(self) -> str:
        return f"<RecordedExchange #{self.id} {self.method} {self.path} -> {self.status}>"

    @property
    def document(self) -> JournalEntry:
        """The journal entry exactly as the admin API serves it."""
        return self._entry

    # The request ----------------------------------------------------------------------------

    @property
    def id(self) -> int:
        return self._entry["id"]

    @property
    def method(self) -> str:
        return self._entry["method"]

    @property
    def path(self) -> str:
        return self._entry["path"]

    @property
    def query(self) -> dict[str, str]:
        """The query string's parameters (the last of a repeated name); `["query"]` is the raw
        string."""
        return dict(query_pairs(self._entry["query"]))

    @property
    def headers(self) -> dict[str, str]:
        """Request headers, names in lower case (credentials shortened, as in the journal)."""
        return dict(self._entry["headers"])

    def json(self) -> Any:
        """The request body as JSON; ValueError when it had none or it was not JSON. Typed
        as an HTTP client's `response.json()` is, for a test to index at once."""
        return _json(self._entry["body"], "request")

    # The answer -----------------------------------------------------------------------------

    @property
    def status(self) -> int:
        return self._entry["status"]

    @property
    def response_headers(self) -> dict[str, str]:
        return dict(self._entry["response_headers"])

    def response_json(self) -> Any:
        """The answer's body as JSON; ValueError when it had none or it was not JSON."""
        return _json(self._entry["response"], "response")

    # Where it went --------------------------------------------------------------------------

    @property
    def provider(self) -> str | None:
        return self._entry["provider"]

    @property
    def appointment(self) -> str | None:
        return self._entry["appointment"]

    @property
    def operation(self) -> str | None:
        return self._entry["operation"]

    @property
    def interaction(self) -> InteractionNote | None:
        return self._entry["interaction"]

    @property
    def broke_contract(self) -> bool:
        return self._entry["broke_contract"]

    @property
    def received_at(self) -> str:
        return self._entry["received_at"]

    @property
    def duration_ms(self) -> float:
        return self._entry["duration_ms"]


def _json(body: JSONValue, side: str) -> JSONValue:
    """The journal keeps a JSON body parsed and any other body as its text (a body that is a
    bare JSON string reads as that text)."""
    if body is None:
        raise ValueError(f"the {side} had no body")
    if isinstance(body, str):
        try:
            parsed: JSONValue = json.loads(body)
        except ValueError:
            raise ValueError(f"the {side} body is not JSON: {body[:80]!r}") from None
        return parsed
    return body
