"""HuskyVoice's Bearer keys, their scopes, and the per-key sliding-window rate limit."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from mockserver.core.exchange import ApiError, MockRequest
from mockserver.core.routing import Operation
from mockserver.providers.huskyvoice.state import HuskyVoiceState


def authorize(state: HuskyVoiceState, request: MockRequest, operation: Operation) -> str:
    """The caller's key, once it is known, within its rate and holds the operation's scope."""
    header = request.header("authorization") or ""
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(
            "UNAUTHORIZED",
            "Missing or malformed Authorization header; send 'Authorization: Bearer <api key>'",
        )
    key = key.strip()
    scopes = state.seed.keys.get(key)
    if scopes is None:
        raise ApiError("UNAUTHORIZED", "Invalid API key")
    count_request(state, key)
    if operation.scope and operation.scope not in scopes:
        raise ApiError(
            "INSUFFICIENT_SCOPE",
            f"API key does not have the required scope: {operation.scope}",
        )
    return key


def count_request(state: HuskyVoiceState, key: str) -> None:
    """Sliding one-minute window per key, on the mock's clock [doc: 60 a minute]."""
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
    window.append(now)
