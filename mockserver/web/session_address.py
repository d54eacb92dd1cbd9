"""Which session a request addresses, and the request as that session sees it.

`/__session/{id}/v1/appointments/…` reaches session `id` with the path `/v1/appointments/…`, so a
client changes only its base URL; the header `X-Mock-Session: {id}` does the same for a path
without the prefix. A `scenario` query parameter on such a request is the mock's, not the
provider's: it names the session's scenario when the request creates the session [mock].
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlencode

import msgspec

from mockserver.core.exchange import query_pairs
from mockserver.core.surface import SESSION_HEADER, SESSION_PREFIX

if TYPE_CHECKING:
    from starlette.types import Scope

SCENARIO_PARAM = "scenario"
# The scope key giving a session's app the prefix it was reached under ("/__session/{id}"), so
# the pages it draws link inside the session. (ASGI's root_path would do it, but Starlette's
# routing then expects the prefix in `path` too.)
BASE_KEY = "mockserver.base"


class SessionAddress(msgspec.Struct, frozen=True):
    session_id: str
    path: str  # the path the session sees (prefix removed)
    scenarios: tuple[str, ...]  # from `?scenario=`: what a new session starts on
    scope: Scope  # the request as the session's app gets it


def session_address(scope: Scope) -> SessionAddress:
    path: str = scope["path"]
    if path.startswith(SESSION_PREFIX):
        session_id = _id_from_prefix(scope, path)
        prefix = SESSION_PREFIX + session_id
        inner = path[len(prefix) :] or "/"
    else:
        session_id, inner, prefix = _header(scope), path, ""
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = list(query_pairs(query))
    scenarios = tuple(value for name, value in pairs if name == SCENARIO_PARAM)
    inner_scope = dict(scope)
    inner_scope["path"] = inner
    inner_scope[BASE_KEY] = prefix
    raw = scope.get("raw_path")
    raw_prefix = SESSION_PREFIX.encode() + quote(session_id, safe="").encode("latin-1")
    if prefix and isinstance(raw, bytes) and raw.startswith(raw_prefix):
        inner_scope["raw_path"] = raw[len(raw_prefix) :] or b"/"
    else:
        inner_scope.pop("raw_path", None)
    if scenarios:
        kept = [(name, value) for name, value in pairs if name != SCENARIO_PARAM]
        inner_scope["query_string"] = urlencode(kept).encode("latin-1")
    return SessionAddress(session_id, inner, scenarios, inner_scope)


def _id_from_prefix(scope: Scope, path: str) -> str:
    """The id as sent: from the raw path when the server gives it, so an escaped `/` in the id
    (`a%2Fb`) is part of the id (and refused), not a path separator."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw.startswith(SESSION_PREFIX.encode()):
        segment = raw[len(SESSION_PREFIX) :].split(b"/", 1)[0].split(b"?", 1)[0]
        return unquote(segment.decode("latin-1"))
    return path[len(SESSION_PREFIX) :].partition("/")[0]


def _header(scope: Scope) -> str:
    wanted = SESSION_HEADER.encode()
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value).decode("latin-1")
    return ""
