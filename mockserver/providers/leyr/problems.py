"""Leyr's errors as problem details [doc]: a top-level code per status, causes in `errors[]`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from mockserver.core.contracts import Problem
from mockserver.core.exchange import ApiError

PROBLEM_TYPE = "application/problem+json"
ERROR_DOCS = "https://docs.leyr.io/api/error-handling"
# Top-level problem code and title for each status; the specific cause is in errors[].error_code.
TOP_LEVEL: Mapping[int, tuple[str, str]] = {
    400: ("BAD_REQUEST", "Bad Request"),
    401: ("UNAUTHORIZED", "Unauthorized"),
    403: ("FORBIDDEN", "Forbidden"),
    404: ("NOT_FOUND", "Not Found"),
    405: ("METHOD_NOT_ALLOWED", "Method Not Allowed"),
    409: ("CONFLICT", "Conflict"),
    413: ("PAYLOAD_TOO_LARGE", "Payload Too Large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"),
    422: ("UNPROCESSABLE_ENTITY", "Unprocessable Entity"),
    429: ("TOO_MANY_REQUESTS", "Too Many Requests"),
    500: ("UNKNOWN_ERROR", "Internal Server Error"),
    502: ("EMR_ERROR", "Bad Gateway"),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable"),
}
# Codes that are top-level codes themselves, whatever their status.
OWN_TOP_LEVEL = frozenset(
    {
        "UNAUTHORIZED",
        "FORBIDDEN",
        "NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "EMR_ERROR",
        "SERVICE_UNAVAILABLE",
    }
)


class ProblemEntry(TypedDict):
    """One cause of a problem (`errors[]`)."""

    details: str
    emr_error: object  # a scripted error's upstream detail, as the scenario wrote it
    error_code: str
    path: str | None


class ProblemDocument(TypedDict):
    """Leyr's error body: problem details (`leyr/problem`)."""

    code: str
    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemEntry]


def problem_body(
    code: str, message: str, status: int, error: ApiError, path: str
) -> ProblemDocument:
    top, title = TOP_LEVEL.get(status, ("UNKNOWN_ERROR", "Error"))
    if code in OWN_TOP_LEVEL:
        top = code
    listed = error.extra.get("errors") or [(message, error.extra.get("path"), code)]
    emr_error = error.extra.get("emr_error")
    return {
        "code": top,
        "type": f"{ERROR_DOCS}#{top.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": message,
        "instance": path,
        "errors": [_entry(details, where, cause, emr_error) for details, where, cause in listed],
    }


def _entry(details: str, path: str | None, code: str, emr_error: object = None) -> ProblemEntry:
    return {"details": details, "emr_error": emr_error, "error_code": code, "path": path}


def validation_error(problems: list[Problem]) -> ApiError:
    """Schema problems of a request as one BAD_INPUT (or MISSING_REQUIRED_FIELD) error,
    each problem its own `errors[]` entry with the field in `path`."""
    entries = [
        (f"{p.location}: {p.message}" if p.location else p.message, _field(p), _error_code(p))
        for p in problems
    ]
    return ApiError(
        entries[0][2],
        "; ".join(e[0] for e in entries[:5]),
        extra={"errors": entries},
    )


def _field(problem: Problem) -> str | None:
    """The field at fault: for a field left out, the field itself rather than its parent."""
    parts = [*problem.path, problem.missing] if problem.missing else problem.path
    return ".".join(str(p) for p in parts) or None


def _error_code(problem: Problem) -> str:
    """Leyr's cause for a schema problem: its limits have codes of their own [doc]."""
    if problem.schema_path.endswith("required"):
        return "MISSING_REQUIRED_FIELD"
    if problem.schema_path.endswith("maxItems"):
        return "MAX_ITEMS_EXCEEDED"
    if problem.schema_path.endswith("maxLength") and problem.path == ("comment",):
        return "INVALID_COMMENT_LENGTH"
    if problem.schema_path.endswith("pattern") and _names_an_appointment(problem.path):
        return "INVALID_APPOINTMENT_ID"
    return "BAD_INPUT"


def _names_an_appointment(path: tuple[str | int, ...]) -> bool:
    """The path's appointment id, or one of a bulk body's `ids`."""
    return path == ("appointment_id",) or (len(path) == 2 and path[0] == "ids")
