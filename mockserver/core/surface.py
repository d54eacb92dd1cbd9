"""The mock's own surface beside the providers': the paths and headers that are never a
provider's, each named once."""

from __future__ import annotations

# The admin API, the dashboard under it, and everything the mock serves of its own.
ADMIN_PREFIX = "/__admin"
DASHBOARD_PREFIX = f"{ADMIN_PREFIX}/ui"
# A session's worlds: /__session/{id}/<any provider, admin or dashboard path>, or the header.
SESSION_PREFIX = "/__session/"
SESSION_HEADER = "x-mock-session"
# Answer this one request from another scenario.
SCENARIO_HEADER = "x-mock-scenario"
# How deep a JSON body may nest, wherever the mock reads one (a request, a stub, a scenario file):
# deep enough for any real document, shallow enough that no encoder or matcher can overflow.
MAX_BODY_DEPTH = 64


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


__all__ = [
    "ADMIN_PREFIX",
    "DASHBOARD_PREFIX",
    "MAX_BODY_DEPTH",
    "SCENARIO_HEADER",
    "SESSION_HEADER",
    "SESSION_PREFIX",
    "is_admin_path",
]
