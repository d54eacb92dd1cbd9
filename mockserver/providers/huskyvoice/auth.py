"""HuskyVoice's Bearer keys, their scopes, and the per-key sliding-window rate limit."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from mockserver.core.contracts import Problem
from mockserver.core.exchange import ApiError, MockRequest
from mockserver.core.routing import Operation
from mockserver.providers.huskyvoice.state import HuskyVoiceState

FIX = "send `Authorization: Bearer <key>`"


def bearer_key(request: MockRequest) -> str | None:
    """The key of an `Authorization: Bearer <key>` header; None when missing or malformed."""
    scheme, _, key = (request.header("authorization") or "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def credential_problems(request: MockRequest) -> list[Problem]:
    """Every operation declares the bearer scheme: a request without it breaks the contract."""
    if bearer_key(request) is not None:
        return []
    said = "no" if request.header("authorization") is None else "a malformed"
    return [Problem("headers.authorization", f"{said} Authorization header; {FIX}", "security")]


def authorize(
    state: HuskyVoiceState, request: MockRequest, operation: Operation, *, count: bool = True
) -> str:
    """The caller's key, once it is known, within its rate and holds the operation's scope
    (`count=False`: the request is not counted towards the rate)."""
    key = bearer_key(request)
    if key is None:  # [mock] missing, malformed and unknown are told apart: the fix differs
        if not (request.header("authorization") or "").strip():
            raise ApiError("UNAUTHORIZED", f"The Authorization header is missing; {FIX}")
        raise ApiError("UNAUTHORIZED", f"The Authorization header is not a Bearer key; {FIX}")
    scopes = state.seed.keys.get(key)
    if scopes is None:
        raise ApiError("UNAUTHORIZED", "Invalid API key")
    count_request(state, key, record=count)
    if operation.scope and operation.scope not in scopes:
        raise ApiError(
            "INSUFFICIENT_SCOPE",
            f"API key does not have the required scope: {operation.scope}",
        )
    return key


def count_request(state: HuskyVoiceState, key: str, *, record: bool = True) -> None:
    """Sliding one-minute window per key, on the mock's clock [doc: 60 a minute]; `record`
    False checks the limit without counting this request."""
    limit = state.seed.model.rate_limit
    if not limit.enabled:
        return
    now = state.clock.now()
    window = state.requests_by_key.setdefault(key, deque())
    while window and now - window[0] >= timedelta(minutes=1):
        window.popleft()
    if len(window) >= limit.requests_per_minute:
        retry = 60 - (now - window[0]).total_seconds()
        seconds = max(1, int(retry) + (retry % 1 > 0))
        raise ApiError(
            "RATE_LIMIT_EXCEEDED",
            f"Rate limit of {limit.requests_per_minute} requests per minute exceeded; "
            f"retry in {seconds} seconds",
            headers={"Retry-After": str(seconds)},
        )
    if record:
        window.append(now)
