"""The journal as HAR 1.2 (HTTP Archive), the format browsers' developer tools import.

http://www.softwareishard.com/blog/har-12-spec/ : every field the spec requires is written;
sizes the mock does not know (headers on the wire) are -1, as the spec says.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from mockserver.core.documents import JournalEntry
from mockserver.core.exchange import query_pairs
from mockserver.core.json_value import JSONValue

HAR_VERSION = "1.2"


def har_log(entries: list[JournalEntry], base_url: str, creator_version: str) -> dict[str, object]:
    """A HAR document for `entries`, their URLs on `base_url` (how the client reached us)."""
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "appointment-cancellation-mockserver", "version": creator_version},
            "pages": [],
            "entries": [_entry(entry, base_url.rstrip("/")) for entry in entries],
        }
    }


def _entry(entry: JournalEntry, base_url: str) -> dict[str, object]:
    query = f"?{entry['query']}" if entry["query"] else ""
    duration = entry["duration_ms"]
    # The body as the client sent it, byte for byte (the journal keeps the first 64 KiB).
    request_text = entry["body_text"] or ""
    request: dict[str, object] = {
        "method": entry["method"],
        "url": f"{base_url}{entry['path']}{query}",
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(entry["headers"]),
        "queryString": [{"name": k, "value": v} for k, v in query_pairs(entry["query"])],
        "headersSize": -1,
        "bodySize": entry["body_size"],
    }
    if request_text:
        request["postData"] = {
            "mimeType": entry["headers"].get("content-type", "application/octet-stream"),
            "text": request_text,
        }
    response_text = _text(entry["response"])
    mime = entry["response_headers"].get("content-type", "application/json")
    return {
        "startedDateTime": entry["received_at"],
        "time": duration,
        "request": request,
        "response": {
            "status": entry["status"],
            "statusText": _reason(entry["status"]),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(entry["response_headers"]),
            "content": {
                "size": len(response_text.encode()),
                "mimeType": mime,
                "text": response_text,
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(response_text.encode()),
        },
        "cache": {},
        "timings": {"send": 0, "wait": duration, "receive": 0},
        "comment": _comment(entry),
        # Custom fields (HAR allows those starting with "_"): the mock's own evidence.
        "_exchangeId": entry["id"],
        "_mockClock": entry["at"],
        "_session": entry["session"],
        "_clientDisconnected": entry["client_disconnected"],
    }


def _pairs(headers: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers.items()]


def _text(body: JSONValue) -> str:
    """A journaled body as it went over the wire: JSON written compactly, text as it was."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _comment(entry: JournalEntry) -> str:
    """What answered, for a reader of the HAR: the operation, the interaction, a violation."""
    parts = [f"mock #{entry['id']}", entry["provider"] or "no provider"]
    if entry["operation"]:
        parts.append(f"operation {entry['operation']}")
    if entry["interaction"]:
        parts.append(f"interaction {entry['interaction']['name']}")
    if entry["broke_contract"]:
        parts.append("broke the contract")
    return "; ".join(parts)
