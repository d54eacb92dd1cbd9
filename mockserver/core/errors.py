"""The one error type: every refusal the mock states carries a code, a message, an HTTP status
and, where it is about one, the field.

Each surface renders it once: the provider's envelope (a provider's `error_reply`), the admin
API's JSON (`error_document`), the command line's one line (`str(error)`), the pytest failure
(the same message). Subclasses exist only where a caller must tell them apart (a broken scenario
from an unknown one, a provider's error from the admin's) or where a public name is kept.
"""

from __future__ import annotations

from typing import TypedDict


class ErrorDetail(TypedDict):
    code: str
    message: str


class ErrorDocument(TypedDict):
    """The admin API's error body: `{"error": {"code": …, "message": …}}`."""

    error: ErrorDetail


class MockError(Exception):
    """A refusal: `code` names it (BAD_REQUEST, UNKNOWN_SCENARIO…), `message` says what to do,
    `status` is the HTTP status it answers (None where the surface decides: a provider maps its
    codes to statuses), `field` where in the input it is about, if anywhere."""

    code = "BAD_REQUEST"
    status: int | None = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or type(self).code
        self.status = type(self).status if status is None else status
        self.field = field

    @property
    def http_status(self) -> int:
        """The status a surface answers when the error names none: 400."""
        return self.status or 400


def error_document(error: MockError) -> ErrorDocument:
    """The admin API's error body, the one way it is written (admin routes, the dashboard's
    data, a refused request no provider serves)."""
    return {"error": {"code": error.code, "message": error.message}}
