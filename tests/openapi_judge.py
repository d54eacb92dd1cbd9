"""openapi-core, an independent validator, as the judge of the exported documents: each
journaled exchange's request and response checked against the provider's OpenAPI document."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from mockserver import MockEngine
from mockserver.core.documents import JournalEntry

SERVER = "http://mock.test"
# Leyr's errors are problem details; openapi-core reads only the media types it is told about.
MEDIA_TYPES = {"application/problem+json": json.loads}


def judge(engine: MockEngine, provider: str) -> OpenAPI:
    config = Config(extra_media_type_deserializers=MEDIA_TYPES)
    return OpenAPI.from_dict(engine.openapi(provider, SERVER), config=config)


def _body(value: Any) -> bytes:
    return b"" if value is None else json.dumps(value).encode()


def request_of(entry: JournalEntry) -> MockRequest:
    headers = {name.lower(): value for name, value in entry["headers"].items()}
    return MockRequest(
        SERVER,
        entry["method"],
        entry["path"],
        args=dict(parse_qsl(entry["query"], keep_blank_values=True)),
        headers=headers,
        data=_body(entry["body"]),
        content_type=headers.get("content-type", "application/json"),
    )


def response_of(entry: JournalEntry) -> MockResponse:
    headers = entry["response_headers"]
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return MockResponse(
        _body(entry["response"]),
        status_code=entry["status"],
        headers=headers,
        content_type=content_type.split(";")[0],
    )


def request_problems(openapi: OpenAPI, entry: JournalEntry) -> list[str]:
    found = openapi.unmarshal_request(request_of(entry)).errors
    return [f"{error}: {getattr(error, '__cause__', '')}" for error in found]


def response_problems(openapi: OpenAPI, entry: JournalEntry) -> list[str]:
    found = openapi.unmarshal_response(request_of(entry), response_of(entry)).errors
    return [f"{error}: {_causes(error)}" for error in found]


def _causes(error: BaseException) -> str:
    inner = getattr(error, "schema_errors", None) or []
    cause = error.__cause__
    if not inner and cause is not None:
        inner = getattr(cause, "schema_errors", None) or [cause]
    return "; ".join(str(getattr(e, "message", e)) for e in inner)
