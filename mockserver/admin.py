"""The mock's own API under /__admin: scenarios, state, journal, outbox, clock, contracts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mockserver.commands import CommandError, LoadScenario, Reset, SetClock
from mockserver.engine import MockEngine
from mockserver.patterns import PatternError, RequestPattern, parse_pattern, pattern_from_query
from mockserver.scenarios import UnknownScenarioError

ADMIN_ROUTES = (
    "GET /__admin/health",
    "GET /__admin/scenarios",
    "GET|PUT /__admin/scenario",
    "POST /__admin/reset",
    "GET|DELETE /__admin/requests",
    "GET /__admin/requests/closest",
    "GET /__admin/messages",
    "GET|PUT /__admin/clock",
    "GET|DELETE /__admin/violations",
    "GET /__admin/openapi/{provider}",
)
ADMIN_BODY_LIMIT = 64 * 1024


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _json_object(request: Request, *, optional: bool = False) -> dict[str, Any]:
    body = await request.body()
    if len(body) > ADMIN_BODY_LIMIT:
        raise AdminError(
            413, "PAYLOAD_TOO_LARGE", f"admin bodies are limited to {ADMIN_BODY_LIMIT} bytes"
        )
    if not body.strip():
        if optional:
            return {}
        raise AdminError(400, "BAD_REQUEST", "a JSON object body is required")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise AdminError(400, "BAD_REQUEST", f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise AdminError(400, "BAD_REQUEST", "the body must be a JSON object")
    return data


def _pattern(
    request: Request, ignore: frozenset[str] | set[str] = frozenset()
) -> RequestPattern | None:
    """A request pattern from the query string: GET /__admin/requests?method=PATCH&body=…"""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in ignore]
    if not items:
        return None
    names = [name for name, _ in items]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise AdminError(400, "BAD_REQUEST", f"query: {', '.join(repeated)} given more than once")
    try:
        return pattern_from_query(dict(items))
    except PatternError as error:
        raise AdminError(400, "BAD_REQUEST", str(error)) from None


Handler = Callable[[Request], Any]


def admin_routes(engine: MockEngine) -> list[BaseRoute]:
    def guarded(handler: Handler) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                result = await handler(request)
            except (AdminError, CommandError) as error:
                return _error(error.status, error.code, error.message)
            return result if isinstance(result, Response) else JSONResponse(result)

        return endpoint

    async def health(request: Request) -> dict[str, Any]:
        return {"status": "ok", "active": {p: s.name for p, s in engine.active().items()}}

    async def scenarios(request: Request) -> dict[str, Any]:
        return {"scenarios": engine.scenario_summaries()}

    async def scenario(request: Request) -> dict[str, Any]:
        return engine.seeded()

    async def load_scenario(request: Request) -> dict[str, Any]:
        command = LoadScenario.parse(await _json_object(request))
        try:
            loaded = engine.load(command.name)
        except UnknownScenarioError as error:
            raise AdminError(404, "UNKNOWN_SCENARIO", str(error)) from None
        return {"loaded": loaded.summary()}

    async def reset(request: Request) -> dict[str, Any]:
        data = await _json_object(request, optional=True)
        return engine.apply_reset(Reset.parse(data, engine.provider_names))

    async def requests(request: Request) -> dict[str, Any]:
        pattern = _pattern(request)
        return {"requests": engine.requests(pattern), "total_seen": engine.requests_seen}

    async def closest_requests(request: Request) -> dict[str, Any]:
        limit_text = request.query_params.get("limit", "10")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
            raise AdminError(400, "BAD_REQUEST", "limit: a whole number from 1 to 1000")
        pattern = _pattern(request, ignore={"limit"}) or parse_pattern({})
        found = engine.closest_requests(pattern, int(limit_text))
        return {"closest": [{"request": e, "differences": d} for e, d in found]}

    async def clear_requests(request: Request) -> Response:
        engine.clear_requests()
        return Response(status_code=204)

    async def messages(request: Request) -> dict[str, Any]:
        return {"messages": engine.messages()}

    async def clock(request: Request) -> dict[str, Any]:
        return engine.clocks()

    async def set_clock(request: Request) -> dict[str, Any]:
        data = await _json_object(request)
        return engine.set_clock(SetClock.parse(data, engine.provider_names))

    async def violations(request: Request) -> dict[str, Any]:
        return {"violations": engine.violations()}

    async def clear_violations(request: Request) -> Response:
        engine.clear_violations()
        return Response(status_code=204)

    async def openapi(request: Request) -> dict[str, Any]:
        return engine.openapi(request.path_params["provider"])

    return [
        Route("/health", guarded(health), methods=["GET"]),
        Route("/scenarios", guarded(scenarios), methods=["GET"]),
        Route("/scenario", guarded(scenario), methods=["GET"]),
        Route("/scenario", guarded(load_scenario), methods=["PUT"]),
        Route("/reset", guarded(reset), methods=["POST"]),
        Route("/requests", guarded(requests), methods=["GET"]),
        Route("/requests", guarded(clear_requests), methods=["DELETE"]),
        Route("/requests/closest", guarded(closest_requests), methods=["GET"]),
        Route("/messages", guarded(messages), methods=["GET"]),
        Route("/clock", guarded(clock), methods=["GET"]),
        Route("/clock", guarded(set_clock), methods=["PUT"]),
        Route("/violations", guarded(violations), methods=["GET"]),
        Route("/violations", guarded(clear_violations), methods=["DELETE"]),
        Route("/openapi/{provider}", guarded(openapi), methods=["GET"]),
    ]


def error_handlers() -> dict[Any, Callable[..., Any]]:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            routes = "; ".join(ADMIN_ROUTES)
            message = f"No admin route {request.method} {request.url.path}. Admin routes: {routes}"
            return _error(404, "NOT_FOUND", message)
        if exc.status_code == 405:
            return _error(
                405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.url.path}"
            )
        return _error(exc.status_code, "HTTP_ERROR", str(exc.detail))

    return {HTTPException: http_error}
