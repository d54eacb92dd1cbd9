"""The dashboard's routes under /__admin/ui: the page, its live sections and its two assets.

It reads the engine through the same calls as the admin API and changes nothing itself: the
page's buttons call the admin API (PUT /__admin/scenario, POST /__admin/reset, PUT
/__admin/clock), so the same Host, Origin and token checks guard both.
"""

from __future__ import annotations

import html
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from mockserver.core.errors import MockError, error_document
from mockserver.core.json_value import ascii_digits
from mockserver.engine.facade import MockEngine
from mockserver.engine.sessions import Sessions
from mockserver.web.dashboard import (
    MAX_SEARCH,
    STATUS_CLASSES,
    UI_PREFIX,
    JournalFilter,
    Snapshot,
    page,
    sections,
)
from mockserver.web.offload import off_loop
from mockserver.web.session_address import BASE_KEY

# The page may load its own script and style, and talk to its own origin; nothing else, and no
# inline script runs even if a value ever escaped its escaping.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
ASSETS = {
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
    "favicon.svg": "image/svg+xml",
}
ASSET_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-cache"}
NEAR_MISSES_SHOWN = 20
# Set by the admin guard on a page request that lacks the admin token: draw no data.
LOCKED = "mockserver.ui_locked"


def journal_filter(request: Request, providers: tuple[str, ...]) -> JournalFilter:
    params = request.query_params
    provider = params.get("provider") or None
    status = params.get("status") or None
    cursor = params.get("cursor") or None
    if provider is not None and provider not in providers:
        message = f"provider: {provider[:40]!r} is not one of {', '.join(providers)}"
        raise MockError(message, field="provider")
    if status is not None and status not in STATUS_CLASSES:
        message = f"status: {status[:40]!r} is not one of {', '.join(STATUS_CLASSES)}"
        raise MockError(message, field="status")
    if cursor is not None and not (ascii_digits(cursor) and len(cursor) < 19):
        raise MockError("cursor: a whole number", field="cursor")
    violations = params.get("violations") in ("1", "true", "on")
    search = params.get("q") or None
    if search is not None and len(search) > MAX_SEARCH:
        raise MockError(f"q: at most {MAX_SEARCH} characters", field="q")
    return JournalFilter(
        provider, status, violations, int(cursor) if cursor else None, search, base_of(request)
    )


def base_of(request: Request) -> str:
    """Where the page lives: a session's prefix when the request came through it, else ""."""
    base = request.scope.get(BASE_KEY, "")
    return base if isinstance(base, str) else ""


def snapshot(engine: MockEngine, chosen: JournalFilter, sessions: Sessions | None) -> Snapshot:
    """What the page shows; with `sessions` (on the default session's page), the live ones."""
    journal = engine.journal_page(chosen.query())
    return Snapshot(
        providers=engine.provider_names,
        active={provider: scenario.name for provider, scenario in engine.active().items()},
        scenarios=engine.scenario_summaries(),
        clocks=engine.clocks(),
        messages=engine.messages(),
        journal=journal.entries,
        next_cursor=journal.next_cursor,
        matched=journal.matched,
        reload=engine.reload_status(),
        total_seen=engine.requests_seen,
        violations=engine.violations(),
        interactions=engine.interactions(),
        near_misses=engine.near_misses(NEAR_MISSES_SHOWN),
        filter=chosen,
        session=engine.session,
        sessions=None if sessions is None else sessions.summaries(),
    )


def dashboard_routes(engine: MockEngine) -> list[BaseRoute]:
    def picker(request: Request) -> Sessions | None:
        """The server's sessions, for the default session's page only."""
        found = getattr(request.app.state, "sessions", None)
        return found if engine.session is None and isinstance(found, Sessions) else None

    async def to_page(request: Request) -> Response:
        return RedirectResponse(f"{base_of(request)}{UI_PREFIX}/", status_code=308)

    async def whole_page(request: Request) -> Response:
        if request.scope.get("extensions", {}).get(LOCKED):
            return HTMLResponse(page(None, base_of(request)), headers=SECURITY_HEADERS)
        try:
            chosen = journal_filter(request, engine.provider_names)
        except MockError as error:
            # The message quotes what the client sent: escaped, it is text, never markup.
            text = html.escape(str(error))
            return HTMLResponse(text, status_code=400, headers=SECURITY_HEADERS)
        drawn = await off_loop(snapshot, engine, chosen, picker(request))  # searches the journal
        return HTMLResponse(page(drawn, chosen.base), headers=SECURITY_HEADERS)

    async def live_sections(request: Request) -> Response:
        try:
            chosen = journal_filter(request, engine.provider_names)
        except MockError as error:
            return JSONResponse(error_document(error), status_code=error.http_status)
        drawn = sections(await off_loop(snapshot, engine, chosen, picker(request)))
        return JSONResponse({"sections": drawn}, headers={"cache-control": "no-store"})

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response("not found", status_code=404, media_type="text/plain")
        content = files("mockserver.web").joinpath("static").joinpath(name).read_bytes()
        return Response(content, media_type=ASSETS[name], headers=ASSET_HEADERS)

    return [
        Route("/ui", to_page, methods=["GET"]),
        Route("/ui/", whole_page, methods=["GET"]),
        Route("/ui/sections", live_sections, methods=["GET"]),
        Route("/ui/static/{name}", asset, methods=["GET"]),
    ]


def is_page_shell(method: str, path: str) -> bool:
    """The page and its assets, which show no data and so load without the admin token."""
    return method == "GET" and (path == f"{UI_PREFIX}/" or path.startswith(f"{UI_PREFIX}/static/"))
