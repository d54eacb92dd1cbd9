"""Provider states for a Pact verifier: `POST /__admin/provider-states` puts the mock in the state
an exported interaction was recorded in.

The body is the verifier's state-change request, `{"state", "params", "action"}`. A setup with
the params the export wrote (`provider`, `scenario`, `clock`, `replay`) starts that provider
afresh on the scenario and replays the earlier requests of the flow, each at its own mock clock,
with the credentials the verifier sent on the state-change request itself (its custom headers);
each must be answered as it was when recorded. A teardown, and a state without params (the
verifier's empty one for an interaction without states), change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

import msgspec

from mockserver.core.commands import CommandError, SetClock
from mockserver.core.exchange import MockRequest
from mockserver.core.redaction import SECRET_HEADERS
from mockserver.engine.facade import MockEngine

ACTIONS = ("setup", "teardown")
MAX_REPLAY = 1000


class StateChange(TypedDict):
    """What a state-change request did: the state, the action and how many requests replayed."""

    state: str
    action: str
    replayed: int


class Step(msgspec.Struct, frozen=True):
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: str | None
    status: int


def apply_state(
    engine: MockEngine, data: Mapping[str, object], headers: Mapping[str, str]
) -> StateChange:
    """Set the state up (or do nothing for a teardown); CommandError (400) names what is wrong,
    before anything changed when the body is malformed."""
    unknown = sorted(set(data) - {"state", "params", "action"})
    if unknown:
        raise CommandError(f"unknown field(s) {', '.join(unknown)}; known: state, params, action")
    action = data.get("action", "setup")
    if not isinstance(action, str) or action not in ACTIONS:
        raise CommandError("action: 'setup' or 'teardown'")
    state, params = data.get("state", ""), data.get("params") or {}
    if not isinstance(state, str) or not isinstance(params, Mapping):
        raise CommandError("state: a string; params: an object")
    if action == "teardown" or not params:
        return {"state": state, "action": action, "replayed": 0}
    provider, scenario, clock, steps = _parse(engine, params)
    credentials = {k.lower(): v for k, v in headers.items() if k.lower() in SECRET_HEADERS}
    _start(engine, provider, scenario)
    for number, step in enumerate(steps, 1):
        _replay(engine, provider, step, credentials, number)
    if clock is not None:
        engine.set_clock(_clock(clock, provider, engine))
    return {"state": state, "action": action, "replayed": len(steps)}


def _parse(
    engine: MockEngine, params: Mapping[str, object]
) -> tuple[str, str, str | None, list[Step]]:
    provider, scenario = params.get("provider"), params.get("scenario")
    if not isinstance(provider, str) or provider not in engine.provider_names:
        raise CommandError(f"params.provider: one of {', '.join(engine.provider_names)}")
    if not isinstance(scenario, str) or scenario not in engine.catalog:
        raise CommandError(f"params.scenario: {str(scenario)[:80]!r} is not a known scenario")
    if engine.catalog.get(scenario).provider != provider:
        raise CommandError(f"params.scenario: {scenario!r} is not a {provider} scenario")
    clock = params.get("clock")
    if clock is not None and not isinstance(clock, str):
        raise CommandError("params.clock: an ISO 8601 instant")
    replay = params.get("replay", [])
    if not isinstance(replay, list) or len(replay) > MAX_REPLAY:
        raise CommandError(f"params.replay: a list of at most {MAX_REPLAY} requests")
    return provider, scenario, clock, [_step(raw, n) for n, raw in enumerate(replay, 1)]


def _step(raw: object, number: int) -> Step:
    where = f"params.replay[{number - 1}]"
    if not isinstance(raw, Mapping):
        raise CommandError(f"{where}: an object")
    texts = {k: raw.get(k, "") for k in ("method", "path", "query", "body")}
    headers, status, at = raw.get("headers", {}), raw.get("status"), raw.get("at")
    if (
        not all(isinstance(v, str) for v in texts.values())
        or not str(texts["path"]).startswith("/")
        or not isinstance(headers, Mapping)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
        or not isinstance(status, int)
        or (at is not None and not isinstance(at, str))
    ):
        raise CommandError(
            f"{where}: method, path (from /), query and body as strings, headers as an object "
            "of strings, status as a number, at as an instant or null"
        )
    return Step(
        method=str(texts["method"]).upper(),
        path=str(texts["path"]),
        query=str(texts["query"]),
        headers={k.lower(): v for k, v in headers.items()},
        body=str(texts["body"]).encode(),
        at=at,
        status=status,
    )


def _start(engine: MockEngine, provider: str, scenario: str) -> None:
    """Fresh state on the scenario, the other provider kept as it is active."""
    others = [s.name for p, s in engine.active().items() if p != provider]
    engine.activate([scenario, *others])


def _clock(instant: str, provider: str, engine: MockEngine) -> SetClock:
    return SetClock.parse({"now": instant, "provider": provider}, engine.provider_names)


def _replay(
    engine: MockEngine, provider: str, step: Step, credentials: dict[str, str], number: int
) -> None:
    if step.at is not None:
        engine.set_clock(_clock(step.at, provider, engine))
    reply = engine.handle(
        MockRequest(
            method=step.method,
            path=step.path,
            query_string=step.query,
            headers={**step.headers, **credentials},
            body=step.body,
        )
    )
    if reply.status != step.status:
        raise CommandError(
            f"replaying request {number} ({step.method} {step.path[:120]}) was answered "
            f"{reply.status}, not {step.status} as recorded: the state cannot be reproduced "
            "(are the verifier's custom headers the credentials the client used?)",
            code="STATE_NOT_REPRODUCED",
        )
