"""Provider requests in process are answered by the engine at once (testing/transport.py), as
the server's connection answers them: the same answers, journal and failures as the app's ASGI
way, which sessions, oversized heads and the favicon still take."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from conftest import AUTH, SEED_ID
from mockserver import MockEngine
from mockserver.testing import transport
from mockserver.testing.transport import ASGITransport
from mockserver.web.app import MockApp, create_app

CANCEL = f"/v1/appointments/{SEED_ID}"
LEYR = "/api/emrs/anitasystems/care-units/L0_1/appointments/2001"
LEYR_AUTH = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
JOURNALED = ("method", "path", "query", "headers", "body", "status", "response", "broke_contract")
Send = Callable[[httpx.Client], httpx.Response]

REQUESTS: list[tuple[str, Send]] = [
    ("cancel", lambda c: c.patch(CANCEL, json={"status": "cancelled"}, headers=AUTH)),
    ("re-cancel", lambda c: c.patch(CANCEL, json={"status": "cancelled"}, headers=AUTH)),
    ("search", lambda c: c.get("/v1/appointments", params={"date": "2026-06-15"}, headers=AUTH)),
    ("no key", lambda c: c.get(CANCEL)),
    ("unknown field", lambda c: c.patch(CANCEL, json={"nope": 1}, headers=AUTH)),
    ("not JSON", lambda c: c.patch(CANCEL, content=b"{", headers={**AUTH, "content-type": "a/b"})),
    ("wrong method", lambda c: c.delete(CANCEL, headers=AUTH)),
    ("unrouted", lambda c: c.get("/v2/nowhere?x=%20y")),
    ("escaped path", lambda c: c.get("/v1/appointments/appt%5Fa1b2c3d4e5", headers=AUTH)),
    ("leyr two-step", lambda c: c.patch(LEYR, json={"status": "cancelled"}, headers=LEYR_AUTH)),
    ("scripted", lambda c: c.get("/v1/appointments/appt_scripted", headers=AUTH)),
    ("session header", lambda c: c.get(CANCEL, headers={**AUTH, "x-mock-session": "job-1"})),
    ("favicon", lambda c: c.get("/favicon.ico")),
]


class _AsgiOnly:
    """The same app, not known as the mock's own: the transport takes the ASGI way."""

    def __init__(self, app: MockApp) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        await self.app(scope, receive, send)


def _world() -> tuple[MockEngine, MockApp]:
    engine = MockEngine(["huskyvoice/slot-freed", "leyr/two-step"])
    engine.add_interaction(
        {
            "name": "scripted",
            "match": {"method": "GET", "path": "/v1/appointments/appt_scripted"},
            "respond": {"status": 503, "headers": {"Retry-After": "7"}, "body": {"x": 1}},
            "violates_contract": True,
        },
        "huskyvoice",
    )
    return engine, create_app(engine)


def _answers(direct: bool) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    engine, app = _world()
    asgi = app if direct else _AsgiOnly(app)
    with httpx.Client(transport=ASGITransport(asgi), base_url="http://mock.test") as client:
        answers = []
        for _, send in REQUESTS:
            answer = send(client)
            headers = sorted(answer.headers.multi_items())
            answers.append((answer.status_code, headers, answer.content))
    journal = [tuple(entry[key] for key in JOURNALED) for entry in engine.requests()]
    return answers, journal


def test_both_ways_in_process_answer_and_journal_the_same(monkeypatch):
    taken: list[str] = []
    answered = transport._answered_directly

    def counted(app, request, body):  # type: ignore[no-untyped-def]
        found = answered(app, request, body)
        if found is not None:
            taken.append(request.url.path)
        return found

    monkeypatch.setattr(transport, "_answered_directly", counted)
    direct, direct_journal = _answers(direct=True)
    asgi, asgi_journal = _answers(direct=False)
    for (name, _), one, other in zip(REQUESTS, direct, asgi, strict=True):
        assert one == other, name
    assert direct_journal == asgi_journal
    assert len(taken) == len(REQUESTS) - 2  # the session's and the favicon went the ASGI way


@pytest.mark.parametrize("direct", [True, False], ids=["directly", "the ASGI way"])
@pytest.mark.parametrize("fault", ["connection_drop", "truncated_body", "malformed_body"])
def test_a_scripted_fault_breaks_the_answer_alike_both_ways(direct, fault):
    engine, app = _world()
    engine.add_interaction(
        {
            "name": "broken",
            "match": {"method": "GET", "path": CANCEL},
            "respond": {"passthrough": True, "fault": fault},
        },
        "huskyvoice",
    )
    asgi = app if direct else _AsgiOnly(app)
    with httpx.Client(transport=ASGITransport(asgi), base_url="http://mock.test") as client:
        if fault == "malformed_body":
            answer = client.get(CANCEL, headers=AUTH)
            assert answer.status_code == 200
            assert int(answer.headers["content-length"]) == len(answer.content)
            with pytest.raises(ValueError):
                answer.json()
        else:
            with pytest.raises(httpx.RemoteProtocolError):
                client.get(CANCEL, headers=AUTH)
    assert [entry["status"] for entry in engine.requests()] == [200]


@pytest.mark.parametrize("direct", [True, False], ids=["directly", "the ASGI way"])
def test_a_delay_past_the_clients_timeout_times_out_and_is_journaled_as_left(direct):
    engine, app = _world()
    engine.add_interaction(
        {
            "name": "slow",
            "match": {"method": "GET", "path": CANCEL},
            "respond": {"passthrough": True, "delay_ms": 400},
        },
        "huskyvoice",
    )
    asgi = app if direct else _AsgiOnly(app)
    with httpx.Client(transport=ASGITransport(asgi), base_url="http://mock.test") as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(CANCEL, headers=AUTH, timeout=0.1)
        assert client.get(CANCEL, headers=AUTH, timeout=2).status_code == 200
    assert [e["client_disconnected"] for e in engine.requests()] == [True, False]


@pytest.mark.parametrize("direct", [True, False], ids=["directly", "the ASGI way"])
def test_a_body_past_the_read_limit_is_refused_unread_both_ways(monkeypatch, direct):
    monkeypatch.setattr("mockserver.web.app.READ_LIMIT_BYTES", 1_000)
    engine, app = _world()
    asgi = app if direct else _AsgiOnly(app)
    with httpx.Client(transport=ASGITransport(asgi), base_url="http://mock.test") as client:
        answer = client.patch(
            CANCEL, json={"status": "cancelled", "notes": "x" * 2_000}, headers=AUTH
        )
    assert answer.status_code == 413
    [entry] = engine.requests()
    assert entry["body_size"] == 0


@pytest.mark.parametrize("direct", [True, False], ids=["directly", "the ASGI way"])
def test_a_length_in_other_digits_is_no_length_and_no_failure(direct):
    """`Content-Length: ²` passes `str.isdigit` and fails `int`: in process nothing checks the
    framing, so the mock reads such a length as none, both ways, and answers."""
    engine, app = _world()
    asgi = app if direct else _AsgiOnly(app)
    with httpx.Client(transport=ASGITransport(asgi), base_url="http://mock.test") as client:
        headers = [(b"content-length", b"\xb2"), (b"content-type", b"application/json")]
        headers.append((b"authorization", AUTH["Authorization"].encode()))
        answer = client.patch(CANCEL, content=b'{"status": "cancelled"}', headers=headers)
    assert answer.status_code == 200, answer.text
    assert [entry["status"] for entry in engine.requests()] == [200]
