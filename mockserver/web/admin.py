"""The mock's own API under /__admin over HTTP: one route a command of `admin_commands`'s table,
the body read within its limit, the guard, and the admin's JSON errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from msgspec.structs import replace
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, HTTPExceptionHandler, Receive, Scope, Send

from mockserver.core.errors import MockError, error_document
from mockserver.core.exchange import deeper_than, loads, may_nest_deeper
from mockserver.core.json_value import ascii_digits
from mockserver.core.surface import ADMIN_PREFIX, MAX_BODY_DEPTH
from mockserver.engine.facade import MockEngine
from mockserver.web import admin_commands
from mockserver.web.admin_commands import Call, Command, Raw, Result, execute
from mockserver.web.dashboard_routes import LOCKED, is_page_shell
from mockserver.web.guard import IN_PROCESS, AdminPolicy, refusal
from mockserver.web.offload import off_loop

ADMIN_BODY_LIMIT = 64 * 1024


def guarded(app: ASGIApp, policy: AdminPolicy) -> ASGIApp:
    """The admin app behind `refusal`, for requests that came over a socket."""

    async def guard(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and IN_PROCESS not in scope.get("extensions", {}):
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            server = scope.get("server")
            bound = server[0] if server else None
            refused = refusal(scope["method"], headers, bound, policy)
            if refused is not None and _page_without_token(scope, headers, bound, policy):
                # The dashboard's page and assets hold no data: they load, locked, and ask for it.
                scope = {**scope, "extensions": {**scope.get("extensions", {}), LOCKED: True}}
                refused = None
            if refused is not None:
                await _error(refused)(scope, receive, send)
                return
        await app(scope, receive, send)

    return guard


def _page_without_token(
    scope: Scope, headers: dict[str, str], bound: str | None, policy: AdminPolicy
) -> bool:
    """A request for the dashboard's page shell that only lacks the token."""
    if policy.token is None or not is_page_shell(scope["method"], scope["path"]):
        return False
    return refusal(scope["method"], headers, bound, replace(policy, token=None)) is None


def _error(error: MockError) -> JSONResponse:
    return JSONResponse(error_document(error), status_code=error.http_status)


async def _body(request: Request) -> bytes:
    """The body, read no further than the admin limit (a huge one is refused, not buffered)."""
    declared = request.headers.get("content-length", "")
    too_large = MockError(
        f"admin bodies are limited to {ADMIN_BODY_LIMIT} bytes",
        code="PAYLOAD_TOO_LARGE",
        status=413,
    )
    if ascii_digits(declared) and int(declared) > ADMIN_BODY_LIMIT:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > ADMIN_BODY_LIMIT:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_object(request: Request) -> dict[str, object] | None:
    """The body as a JSON object, None when there is none."""
    body = await _body(request)
    if not body.strip():
        return None
    try:
        data = loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MockError(f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise MockError("the body must be a JSON object")
    # As deep as a scenario file may nest: a stub's body must encode again when it answers.
    if may_nest_deeper(body, MAX_BODY_DEPTH) and deeper_than(data, MAX_BODY_DEPTH):
        raise MockError(f"the body nests more than {MAX_BODY_DEPTH} levels")
    return data


async def _call(command: Command, request: Request) -> Call:
    """The request as the command table's call."""
    return Call(
        body=None if command.body == "none" else await _json_object(request),
        query=request.query_params.multi_items(),
        path=request.path_params,
        headers=request.headers,
        server=f"{request.url.scheme}://{request.url.netloc}",  # as the client reached it
        sessions=request.app.state.sessions,
        report=request.app.state.report,
    )


def _response(result: Result) -> Response:
    if result is None:
        return Response(status_code=204)
    if isinstance(result, Raw):
        return Response(result.content, media_type=result.media_type)
    return JSONResponse(result)


def admin_routes(engine: MockEngine) -> list[BaseRoute]:
    """One route a command of the table."""

    def bound(command: Command) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                call = await _call(command, request)
                if command.offload:
                    result = await off_loop(execute, engine, command, call)
                else:
                    result = execute(engine, command, call)
            except MockError as error:
                return _error(error)
            return _response(result)

        return endpoint

    return [Route(c.path, bound(c), methods=[c.method]) for c in admin_commands.COMMANDS]


def describe_routes() -> str:
    return "; ".join(f"{c.method} {ADMIN_PREFIX}{c.path}" for c in admin_commands.COMMANDS)


def error_handlers() -> dict[type[Exception], HTTPExceptionHandler]:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            routes = describe_routes()
            message = f"No admin route {request.method} {request.url.path}. Admin routes: {routes}"
            return _error(MockError(message, code="NOT_FOUND", status=404))
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
            return _error(MockError(message, code="METHOD_NOT_ALLOWED", status=405))
        return _error(MockError(str(exc.detail), code="HTTP_ERROR", status=exc.status_code))

    return {HTTPException: http_error}
