"""What answers a request, in three frozen stages: the provider's `Reply`, its `Answer` (the
reply with what the pipeline learned on the way), and the engine's `Outcome` (the answer
checked, encoded and journaled). Each stage is built once, whole, and never written after."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import msgspec

from mockserver.core.exchange import JSON_TYPE, dumps

if TYPE_CHECKING:
    from mockserver.core.contracts import Problem
    from mockserver.core.routing import Operation


class Fault(str, Enum):
    """How a scripted answer breaks on purpose: the scenario schema's `fault` values.

    Each fault applies itself: `declared` is the body whose length the headers state, `sent`
    what of it goes on the wire, and `unfinished` whether the server then cuts the answer off.
    """

    CONNECTION_DROP = "connection_drop"  # the connection closes after the status line
    TRUNCATED_BODY = "truncated_body"  # the body stops halfway, short of its length
    MALFORMED_BODY = "malformed_body"  # half the body, with a length to match: bad JSON

    @property
    def unfinished(self) -> bool:
        """Whether the answer is left unfinished on the wire (the server closes it)."""
        return self is not Fault.MALFORMED_BODY

    def declared(self, payload: bytes) -> bytes:
        """The body the headers announce: a malformed body is cut in half, its length with it,
        so the client reads complete but broken JSON."""
        if self is Fault.MALFORMED_BODY:
            return payload[: max(1, len(payload) // 2)]
        return payload

    def sent(self, declared: bytes) -> bytes:
        """What of the declared body is written before the answer ends."""
        if self is Fault.CONNECTION_DROP:
            return b""
        if self is Fault.TRUNCATED_BODY:
            return declared[: len(declared) // 2]
        return declared


NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class Reply(msgspec.Struct, frozen=True):
    """What a provider answers. `body` is JSON-able; `raw` bypasses JSON encoding for faults."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = NO_HEADERS
    content_type: str = JSON_TYPE
    # The contract document the body must satisfy, when the one who built the reply knows it
    # (an error envelope); otherwise the answering operation's response for the status.
    schema: str | None = None
    raw: bytes | None = None

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return dumps(self.body)


class Answer(msgspec.Struct, frozen=True):
    """A provider's reply with what its pipeline learned answering it."""

    reply: Reply
    # The documented operation that answered, when the pipeline routed the request.
    operation: Operation | None = None
    # The appointment the request's path names, as the provider resolves it (journal, patterns).
    appointment: str | None = None
    # Ways the request broke the provider's request contract (the client's fault).
    request_problems: Sequence[Problem] = ()
    # Set when the mock itself failed answering: recorded as a violation of its own contract.
    failure: str | None = None


class Outcome(msgspec.Struct, frozen=True):
    """What the engine sends and journals for one request: built once, after every check."""

    reply: Reply
    # The bytes of the body, encoded once for the client and the journal.
    payload: bytes
    operation: Operation | None = None
    appointment: str | None = None
    request_problems: Sequence[Problem] = ()
    response_problems: Sequence[Problem] = ()
    # Set by a scripted interaction: seconds to wait before answering, and how to break it.
    delay: float = 0.0
    fault: Fault | None = None
    # The journal's id for this exchange; None when the request was refused unrecorded.
    exchange_id: int | None = None

    @property
    def status(self) -> int:
        return self.reply.status

    @property
    def body(self) -> Any:
        return self.reply.body

    @property
    def headers(self) -> Mapping[str, str]:
        return self.reply.headers

    @property
    def content_type(self) -> str:
        return self.reply.content_type

    def declared_body(self) -> bytes:
        return declared_body(self.payload, self.fault)


def declared_body(payload: bytes, fault: Fault | None) -> bytes:
    """The body whose length the headers state: the payload, as a fault declares it."""
    return payload if fault is None else fault.declared(payload)


def unrecorded(reply: Reply) -> Outcome:
    """The outcome of a request refused before any world saw it: encoded, never journaled."""
    return Outcome(reply, reply.encoded())


def wire_headers(content_type: str, length: int, extra: Mapping[str, str]) -> dict[str, str]:
    """An answer's headers as sent: its content type and length, then its own."""
    headers = {"content-type": content_type, "content-length": str(length)}
    headers.update((name.lower(), value) for name, value in extra.items())
    return headers
