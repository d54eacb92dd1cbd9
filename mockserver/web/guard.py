"""Who may drive the admin API over a socket: pure checks of a request's method and headers.

The admin API has no users, so it must not be drivable from a web page: a foreign Host (DNS
rebinding) or Origin (a cross-site request) is refused, a state change needs a JSON body, and a
token can be required when the mock listens beyond loopback.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from mockserver.core.errors import MockError
from mockserver.core.exchange import clip

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The ASGI scope extension the in-process transport sets: no browser, no socket, no Host.
IN_PROCESS = "mockserver.in_process"


class AdminPolicy(msgspec.Struct, frozen=True):
    """Host names the admin API also answers to, and the token it requires, if any."""

    allowed_hosts: frozenset[str] = frozenset()
    token: str | None = None

    def __post_init__(self) -> None:
        if self.token is not None and not self.token.strip():
            raise ValueError("an empty admin token would let 'Authorization: Bearer ' in")


def _address(netloc: str) -> tuple[str, str]:
    """Host and port of `localhost:8080` or `[::1]` (port 80 when none is given)."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        host, _, rest = netloc[1:].partition("]")
        return host, rest.lstrip(":") or "80"
    if netloc.count(":") == 1:
        host, _, port = netloc.partition(":")
        return host, port or "80"
    return netloc, "80"


def refusal(
    method: str,
    headers: Mapping[str, str],
    bound_host: str | None,
    policy: AdminPolicy,
) -> MockError | None:
    """Why an admin request from outside this process is refused, or None when it may go on."""
    if policy.token is not None and headers.get("authorization") != f"Bearer {policy.token}":
        message = "the admin API needs 'Authorization: Bearer <token>'"
        return MockError(message, code="UNAUTHORIZED", status=401)
    host = _address(headers.get("host", ""))[0]
    allowed = (
        LOOPBACK_NAMES | policy.allowed_hosts | ({bound_host.lower()} if bound_host else set())
    )
    if host not in allowed:
        return MockError(
            f"Host {clip(host, 60)!r} is not this mock's; allowed: {', '.join(sorted(allowed))} "
            "(serve --allow-host NAME adds one)",
            code="FORBIDDEN_HOST",
            status=403,
        )
    if method not in STATE_CHANGING:
        return None
    origin = headers.get("origin")
    if origin is not None and _address(origin.partition("://")[2]) != _address(headers["host"]):
        message = f"a page at {clip(origin, 60)!r} may not drive this mock"
        return MockError(message, code="FORBIDDEN_ORIGIN", status=403)
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json":
        return MockError(
            "admin bodies are JSON: send Content-Type: application/json, "
            f"not {clip(content_type, 60)!r}",
            code="UNSUPPORTED_MEDIA_TYPE",
            status=415,
        )
    return None
