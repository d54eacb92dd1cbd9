"""The journal as Pact V4 files, the format contract tests are shared in between teams.

One file per provider, one `Synchronous/HTTP` interaction per distinct exchange on a documented
route, each with the provider state that reproduces it: the scenario, the mock clock, and the
earlier state-changing requests of its flow (since the last reset or scenario load), which
`POST /__admin/provider-states` replays before the verifier sends the interaction's request.

Credentials are placeholders: a verifier supplies real ones as custom headers, which replace
them and also reach the state-change request, where the replayed requests take them from.
Exchanges answered 401 are left out [mock]: their point is a credential the file cannot carry.
So is an exchange whose state would replay more than MAX_REPLAY earlier requests [mock]: each
state repeats its flow's writes, so a flow of n writes would make a pact of n² steps (2,000
writes without a reset: 61 s and 770 MB); the pact's metadata counts what was left out.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import TypedDict

from mockserver.core.documents import JournalEntry
from mockserver.core.exchange import query_pairs
from mockserver.core.redaction import SECRET_HEADERS

PACT_SPECIFICATION = "4.0"
PLACEHOLDER = "PLACEHOLDER"
CONSUMER_RULE = "[A-Za-z0-9._-]{1,64}"
_CONSUMER = re.compile(CONSUMER_RULE)
# Request headers that change an answer; the rest (host, user agent, length) do not.
REQUEST_HEADERS = ("content-type", "authorization", "x-leyr-client-id", "x-leyr-client-secret")
RESPONSE_HEADERS = ("content-type", "retry-after")
# Names as the providers' pages write them: a verifier's custom header replaces a pact header
# only when the names are written alike.
HEADER_NAMES = {"content-type": "Content-Type", "authorization": "Authorization"}
READS = frozenset({"GET", "HEAD", "OPTIONS"})
SKIPPED_STATUSES = frozenset({401})
# The most earlier requests a provider state replays; a suite that resets between its tests
# stays far below it.
MAX_REPLAY = 100


class ReplayStep(TypedDict):
    """An earlier request of the flow, as a provider state replays it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # without credentials: the state-change request brings them
    body: str
    at: str | None  # the mock clock when it was sent
    status: int  # what it was answered, checked when replayed


class StateParams(TypedDict):
    provider: str
    scenario: str
    clock: str | None  # the mock clock when the interaction's own request was sent
    replay: list[ReplayStep]


class Body(TypedDict):
    contentType: str
    encoded: bool
    content: object  # as journaled: the parsed JSON, or the text of a body that is not JSON


class _Request(TypedDict):
    method: str
    path: str


class Request(_Request, total=False):
    query: dict[str, list[str]]
    headers: dict[str, list[str]]
    body: Body


class Matcher(TypedDict):
    match: str
    regex: str


class MatchingRule(TypedDict):
    combine: str
    matchers: list[Matcher]


class _Response(TypedDict):
    status: int


class Response(_Response, total=False):
    headers: dict[str, list[str]]
    body: Body
    matchingRules: dict[str, dict[str, MatchingRule]]  # by category, then by name


class ProviderState(TypedDict):
    name: str
    params: StateParams


class _Exchange(TypedDict):
    type: str
    description: str
    pending: bool
    providerStates: list[ProviderState]
    request: Request
    response: Response


class Interaction(_Exchange):
    key: str  # a digest of the rest: one interaction per distinct exchange


class Pacticipant(TypedDict):
    name: str


class Pact(TypedDict):
    """A Pact V4 file."""

    consumer: Pacticipant
    provider: Pacticipant
    interactions: list[Interaction]
    metadata: dict[str, dict[str, str]]  # by tool, its version (and ours, what was left out)


def check_consumer(name: str) -> str:
    if not _CONSUMER.fullmatch(name):
        raise ValueError(f"consumer: {name[:80]!r} must match {CONSUMER_RULE}")
    return name


def pacts(
    consumer: str,
    entries: Sequence[JournalEntry],
    flows: Sequence[int],
    version: str,
    selected: set[int] | None = None,
) -> dict[str, Pact]:
    """A Pact document per provider, from `entries` (oldest first) and each one's flow.

    `selected` limits the interactions to those request ids; every entry still counts as an
    earlier request for the replay.
    """
    found: dict[str, dict[str, Interaction]] = {}
    too_long: dict[str, int] = {}  # by provider: exchanges whose state replays too much
    # By flow, then session, provider and scenario: the requests a provider state replays.
    earlier: dict[tuple[int, str | None, str, str], list[ReplayStep]] = {}
    for entry, flow in zip(entries, flows, strict=True):
        provider, scenario = entry["provider"], entry["scenario"]
        if provider is None or scenario is None:
            continue
        line = (flow, entry["session"], provider, scenario)
        before = earlier.setdefault(line, [])
        wanted = selected is None or entry["id"] in selected
        if wanted and entry["operation"] is not None and entry["status"] not in SKIPPED_STATUSES:
            interactions = found.setdefault(provider, {})
            if len(before) > MAX_REPLAY:
                too_long[provider] = too_long.get(provider, 0) + 1
            else:
                interaction = _interaction(entry, provider, scenario, list(before))
                interactions[interaction["key"]] = interaction
        if entry["method"] not in READS:
            before.append(_step(entry))
    return {
        provider: _document(
            consumer, provider, list(interactions.values()), version, too_long.get(provider, 0)
        )
        for provider, interactions in found.items()
    }


def _document(
    consumer: str, provider: str, interactions: list[Interaction], version: str, too_long: int
) -> Pact:
    ours = {"version": version}
    if too_long:
        ours["left out"] = (
            f"{too_long} exchange(s) whose provider state would replay more than {MAX_REPLAY} "
            "earlier requests of its flow; a reset between tests keeps flows short"
        )
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": interactions,
        "metadata": {
            "pactSpecification": {"version": PACT_SPECIFICATION},
            "appointment-cancellation-mockserver": ours,
        },
    }


def _interaction(
    entry: JournalEntry, provider: str, scenario: str, before: list[ReplayStep]
) -> Interaction:
    params: StateParams = {
        "provider": provider,
        "scenario": scenario,
        "clock": entry["at"],
        "replay": before,
    }
    after = f" after {len(before)} earlier request(s)" if before else ""
    exchange = f"{entry['method']} {entry['path']} → {entry['status']}"
    interaction: _Exchange = {
        "type": "Synchronous/HTTP",
        "description": f"{exchange} in {scenario}{after}",
        "pending": False,
        "providerStates": [{"name": f"{scenario}{after}", "params": params}],
        "request": _request(entry),
        "response": _response(entry),
    }
    canonical = json.dumps(interaction, sort_keys=True, ensure_ascii=False).encode()
    return {"key": hashlib.sha256(canonical).hexdigest()[:16], **interaction}


def _request(entry: JournalEntry) -> Request:
    headers = {
        HEADER_NAMES.get(name, name): [_placeholder(name, value)]
        for name, value in entry["headers"].items()
        if name in REQUEST_HEADERS
    }
    request: Request = {"method": entry["method"], "path": entry["path"]}
    if entry["query"]:
        request["query"] = _query(entry["query"])
    if headers:
        request["headers"] = headers
    if entry["body"] is not None:
        request["body"] = _body(entry["body"], entry["headers"].get("content-type"))
    return request


def _response(entry: JournalEntry) -> Response:
    kept = {n: v for n, v in entry["response_headers"].items() if n.lower() in RESPONSE_HEADERS}
    response: Response = {"status": entry["status"]}
    if kept:
        response["headers"] = {name: [value] for name, value in kept.items()}
    kind = kept.get("content-type") or kept.get("Content-Type")
    if entry["response"] is not None:
        response["body"] = _body(entry["response"], kind)
    if kind:
        # Parameters (charset) may be written differently by another server: the type matters.
        base = re.escape(kind.split(";")[0].strip())
        response["matchingRules"] = {
            "header": {
                "Content-Type": {
                    "combine": "AND",
                    "matchers": [{"match": "regex", "regex": f"{base}(;.*)?"}],
                }
            }
        }
    return response


def _placeholder(name: str, value: str) -> str:
    if name not in SECRET_HEADERS:
        return value
    scheme, space, _ = value.partition(" ")
    return f"{scheme} {PLACEHOLDER}" if space else PLACEHOLDER


def _query(text: str) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for name, value in query_pairs(text):
        query.setdefault(name, []).append(value)
    return query


def _body(body: object, content_type: str | None) -> Body:
    if isinstance(body, str):
        return {"contentType": content_type or "text/plain", "encoded": False, "content": body}
    return {"contentType": content_type or "application/json", "encoded": False, "content": body}


def _step(entry: JournalEntry) -> ReplayStep:
    headers = {
        name: value
        for name, value in entry["headers"].items()
        if name in REQUEST_HEADERS and name not in SECRET_HEADERS
    }
    body = entry["body"]
    text = "" if body is None else body if isinstance(body, str) else json.dumps(body)
    return {
        "method": entry["method"],
        "path": entry["path"],
        "query": entry["query"],
        "headers": headers,
        "body": text,
        "at": entry["at"],
        "status": entry["status"],
    }


def pact_files(
    consumer: str, entries: Sequence[JournalEntry], flows: Sequence[int], version: str
) -> dict[str, bytes]:
    """The report's `pacts/<consumer>-<provider>.json` files."""
    return {
        f"pacts/{consumer}-{provider}.json": (
            json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        ).encode()
        for provider, document in pacts(consumer, entries, flows, version).items()
    }


__all__ = ["ReplayStep", "StateParams", "check_consumer", "pact_files", "pacts"]
