"""Leyr's client id and secret, and which EMRs and care units a client may use."""

from __future__ import annotations

from collections.abc import Mapping

from mockserver.core.contracts import Problem
from mockserver.core.exchange import ApiError, MockRequest, clip
from mockserver.providers.leyr.state import LeyrState

UNKNOWN_CLIENT = "Application with the provided client ID was not found."
HEADERS = ("x-leyr-client-id", "x-leyr-client-secret")


def credential_problems(request: MockRequest) -> list[Problem]:
    """Every operation declares both headers: a request without either breaks the contract."""
    missing = [name for name in HEADERS if not request.header(name)]
    if not missing:
        return []
    return [
        Problem(
            "headers",
            f"no {' or '.join(missing)} header; send `x-leyr-client-id` and `x-leyr-client-secret`",
            "security",
        )
    ]


def missing(header: str) -> str:
    """[mock] A header left out is told apart from a wrong value: the fix differs."""
    return f"The {header} header is missing; send the client's {header.split('-')[-1]} in it."


def authorize(state: LeyrState, request: MockRequest, params: Mapping[str, str]) -> str:
    """The caller's client id, once its secret matches and the care unit is known and its."""
    client_id = request.header("x-leyr-client-id") or ""
    if not client_id:
        raise ApiError("UNAUTHORIZED", missing("x-leyr-client-id"))
    client = state.seed.clients.get(client_id)
    if client is None:
        raise ApiError("UNAUTHORIZED", UNKNOWN_CLIENT)
    secret = request.header("x-leyr-client-secret")
    if not secret:
        raise ApiError("UNAUTHORIZED", missing("x-leyr-client-secret"))
    if secret != client.client_secret:
        raise ApiError("UNAUTHORIZED", "The client secret does not match the client ID.")
    emr, unit = params["emr"], params["care_unit_id"]
    known = state.seed.emrs.get(emr)
    if known is None or unit not in known.care_unit_ids:
        what = f"EMR {clip(emr, 60)!r}" if known is None else f"care unit {clip(unit, 60)!r}"
        raise ApiError("INVALID_CARE_UNIT_ID", f"Unknown {what}", extra={"path": "care_unit_id"})
    if (client.emrs is not None and emr not in client.emrs) or (
        client.care_units is not None and unit not in client.care_units
    ):
        raise ApiError(
            "FORBIDDEN",
            f"Client {clip(client_id, 60)!r} may not access care unit {clip(unit, 60)!r} of {emr}",
        )
    return client_id
