"""Provider requests answered by the server's connection itself (web/direct.py): the same
bytes as the ASGI way, in order on a connection, through delays, faults, closes, a failure of
the mock and a server shutting down."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from conftest import AUTH, SEED_ID
from mockserver import MockEngine
from mockserver.web import direct
from mockserver.web.server import MockServer
from servers import raw_exchange

CANCEL = f"/v1/appointments/{SEED_ID}"
LEYR = "/api/emrs/anitasystems/care-units/L0_1/appointments/2001"
LEYR_AUTH = "x-leyr-client-id: test-client-id\r\nx-leyr-client-secret: test-client-secret\r\n"
HV_AUTH = f"Authorization: {AUTH['Authorization']}\r\n"

Answer = tuple[int, dict[str, str], bytes]


def request(
    method: str,
    path: str,
    headers: str = HV_AUTH,
    body: str = "",
    *,
    version: str = "1.1",
    close: bool = True,
) -> bytes:
    """A request's bytes; by default the last on its connection (the server closes it)."""
    framing = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
    ending = "Connection: close\r\n" if close and version == "1.1" else ""
    return (
        f"{method} {path} HTTP/{version}\r\nHost: 127.0.0.1\r\n{headers}{framing}{ending}\r\n{body}"
    ).encode()


def parse_answers(data: bytes) -> list[Answer]:
    """Every whole answer in `data`, in order; a cut-off one is left out."""
    answers: list[Answer] = []
    while data:
        head, found, rest = data.partition(b"\r\n\r\n")
        if not found:
            break
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", "0"))
        if len(rest) < length:
            break
        answers.append((int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return answers


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths answered the direct way, in order."""
    seen: list[str] = []
    answer = direct.DirectExchange.answer

    def counting(exchange: direct.DirectExchange) -> object:
        seen.append(exchange.path)
        return answer(exchange)

    monkeypatch.setattr(direct.DirectExchange, "answer", counting)
    return seen


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(MockEngine(["leyr/two-step"])) as running:
        yield running


SESSION = "X-Mock-Session: job-1\r\n"
JOURNALED = ("method", "path", "query", "body", "status", "response", "broke_contract", "session")
CANCELLED = '{"status": "cancelled"}'
SAME_BYTES = [  # a request, its status, and the path its engine sees when answered directly
    (("PATCH", CANCEL, HV_AUTH, CANCELLED), 200, CANCEL),
    (("PATCH", CANCEL, HV_AUTH, CANCELLED), 200, CANCEL),  # the re-cancel
    (("GET", CANCEL, HV_AUTH, ""), 200, CANCEL),
    (("GET", "/v1/appointments?date=2026-06-15&limit=2", HV_AUTH, ""), 200, "/v1/appointments"),
    (("GET", CANCEL, "", ""), 401, CANCEL),  # no credentials
    (("PATCH", CANCEL, HV_AUTH, '{"status": "cancelled", "nope": 1}'), 400, CANCEL),
    (("PATCH", CANCEL, HV_AUTH, "{not json"), 400, CANCEL),
    (("GET", "/v2/nowhere", "", ""), 404, "/v2/nowhere"),
    (("PATCH", LEYR, LEYR_AUTH, CANCELLED), 200, LEYR),
    (
        ("PATCH", "/v1/appointments/%61ppt_missing", HV_AUTH, CANCELLED),
        404,
        "/v1/appointments/appt_missing",
    ),
    # Sessions: by prefix (created with its scenario), by header; a bad id goes the ASGI way.
    (("GET", f"/__session/job-1{CANCEL}?scenario=huskyvoice/slot-freed", HV_AUTH, ""), 200, CANCEL),
    (("PATCH", CANCEL, HV_AUTH + SESSION, CANCELLED), 200, CANCEL),
    (("GET", f"/__session/job-1{CANCEL}", HV_AUTH, ""), 200, CANCEL),
    (("GET", "/__session/bad%20id/v2/nowhere", "", ""), 400, None),
]


def test_both_ways_answer_the_same_bytes(counted: list[str]) -> None:
    """The same requests, on two fresh servers: HTTP/1.1 answered directly, HTTP/1.0 the ASGI
    way. Status, headers (but the date and the close) and body are equal, and so are the
    journals, the default session's and job-1's."""
    answers: dict[str, list[Answer]] = {}
    journals: dict[str, list[tuple[object, ...]]] = {}
    for version in ("1.1", "1.0"):
        engine = MockEngine(["leyr/two-step"])
        with MockServer(engine) as server:
            answers[version] = [
                parse_answers(raw_exchange(server.base_url, request(*row, version=version)))[0]
                for row, _, _ in SAME_BYTES
            ]
            job = httpx.get(f"{server.base_url}/__session/job-1/__admin/requests").json()
        journals[version] = [
            tuple(e[key] for key in JOURNALED) for e in [*engine.requests(), *job["requests"]]
        ]
    assert counted == [path for _, _, path in SAME_BYTES if path is not None]
    for direct_answer, asgi_answer in zip(answers["1.1"], answers["1.0"], strict=True):
        for _, headers, _ in (direct_answer, asgi_answer):
            headers.pop("date"), headers.pop("connection", None)
        assert direct_answer == asgi_answer
    assert journals["1.1"] == journals["1.0"]
    assert [answer[0] for answer in answers["1.1"]] == [status for _, status, _ in SAME_BYTES]
    sessions = [entry[-1] for entry in journals["1.1"]]
    assert sessions.count("job-1") == 3 and sessions[-3:] == ["job-1"] * 3


def delay_the_reads(server: MockServer) -> None:
    """Every GET of the seed appointment answered 300 ms late (a scripted delay)."""
    stub = {
        "name": "slow",
        "provider": "huskyvoice",
        "match": {"method": "GET", "path": CANCEL},
        "respond": {"passthrough": True, "delay_ms": 300},
    }
    httpx.post(f"{server.base_url}/__admin/interactions", json=stub).raise_for_status()


def test_pipelined_requests_are_answered_in_order_behind_a_delayed_one(server, counted) -> None:
    """Three requests in one write: a delayed answer first, then two plain ones; the answers
    come back in the order asked, the last one closing the connection."""
    delay_the_reads(server)
    data = (
        request("GET", CANCEL, close=False)
        + request("PATCH", CANCEL, body='{"status": "cancelled"}', close=False)
        + request("GET", "/v2/nowhere")
    )
    answers = parse_answers(raw_exchange(server.base_url, data))
    assert [status for status, _, _ in answers] == [200, 200, 404]
    assert json.loads(answers[0][2])["data"]["status"] == "confirmed"  # before the cancel
    assert json.loads(answers[1][2])["data"]["status"] == "cancelled"
    assert answers[2][1]["connection"] == "close"
    assert counted[0] == CANCEL  # the delayed one was answered directly


def test_many_requests_share_one_connection(server, counted) -> None:
    with socket.create_connection(server.base_url.removeprefix("http://").split(":")) as sock:  # type: ignore[arg-type]
        for _ in range(20):
            sock.sendall(request("GET", CANCEL, close=False))
            received = b""
            while not parse_answers(received):
                received += sock.recv(65536)
            [(status, headers, _)] = parse_answers(received)
            assert status == 200 and "connection" not in headers
    assert len(counted) == 20


@pytest.mark.parametrize("fault", ["connection_drop", "truncated_body", "malformed_body"])
def test_scripted_faults_reach_the_wire_the_same_way(server, counted, fault) -> None:
    stub = {
        "name": "broken",
        "provider": "huskyvoice",
        "match": {"method": "GET"},
        "respond": {"passthrough": True, "fault": fault},
    }
    httpx.post(f"{server.base_url}/__admin/interactions", json=stub).raise_for_status()
    data = raw_exchange(server.base_url, request("GET", CANCEL))
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(dict(parse_header(line) for line in head.split(b"\r\n")[1:])[b"content-length"])
    assert head.startswith(b"HTTP/1.1 200 OK")
    if fault == "connection_drop":
        assert body == b""
    elif fault == "truncated_body":
        assert 0 < len(body) < length
    else:
        assert len(body) == length
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
    assert counted == [CANCEL]


def parse_header(line: bytes) -> tuple[bytes, bytes]:
    name, _, value = line.partition(b":")
    return name.lower(), value.strip()


def test_requests_that_go_the_asgi_way_are_answered_as_before(server, counted) -> None:
    """HEAD, a chunked body, Expect: 100-continue, HTTP/1.0 and admin paths are not direct."""
    chunked = (
        f"PATCH {CANCEL} HTTP/1.1\r\nHost: 127.0.0.1\r\n{HV_AUTH}Content-Type: application/json\r\n"
        'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n17\r\n{"status": "cancelled"}\r\n0\r\n\r\n'
    ).encode()
    expecting = request(
        "PATCH",
        CANCEL,
        HV_AUTH + "Expect: 100-continue\r\n",
        '{"status": "cancelled"}',
    )
    assert parse_answers(raw_exchange(server.base_url, chunked))[0][0] == 200
    continued = raw_exchange(server.base_url, expecting)
    assert continued.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    head = raw_exchange(server.base_url, request("HEAD", CANCEL))
    assert head.startswith(b"HTTP/1.1 405 ")
    health = raw_exchange(server.base_url, request("GET", "/__admin/health", ""))
    assert health.startswith(b"HTTP/1.1 200 OK")
    assert counted == []


def test_a_failure_of_the_mock_itself_is_a_500_that_closes_the_connection(
    server, monkeypatch
) -> None:
    def failing(exchange: direct.DirectExchange) -> object:
        raise RuntimeError("the mock broke")

    monkeypatch.setattr(direct.DirectExchange, "answer", failing)
    data = raw_exchange(server.base_url, request("GET", CANCEL))  # returns: the server closed it
    assert data.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert data.endswith(b"\r\n\r\nInternal Server Error")
    monkeypatch.undo()
    assert httpx.get(f"{server.base_url}{CANCEL}", headers=AUTH).status_code == 200


def test_a_server_stopping_still_sends_a_delayed_answer(counted) -> None:
    """A graceful shutdown waits for an answer a scripted delay holds, then closes."""
    engine = MockEngine()
    server = MockServer(engine).start()
    stub = {
        "name": "slow",
        "provider": "huskyvoice",
        "match": {"method": "GET"},
        "respond": {"passthrough": True, "delay_ms": 400},
    }
    httpx.post(f"{server.base_url}/__admin/interactions", json=stub).raise_for_status()
    received: list[bytes] = []
    reader = threading.Thread(
        target=lambda: received.append(raw_exchange(server.base_url, request("GET", CANCEL)))
    )
    reader.start()
    for _ in range(200):  # until the server holds the request (with a deadline)
        if counted:
            break
        threading.Event().wait(0.01)
    server.stop()
    reader.join(10)
    [(status, headers, body)] = parse_answers(received[0])
    assert status == 200 and headers["connection"] == "close"
    assert json.loads(body)["data"]["appointment_id"] == SEED_ID


class Lines(logging.Handler):
    """An access log's lines, formatted as uvicorn formats them."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s'))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_the_access_log_has_a_line_for_a_direct_answer() -> None:
    """`--access-log`: uvicorn's line for every request, the direct ones too."""
    lines = Lines()
    with MockServer(MockEngine(), access_log=True, log_level="info") as server:
        logging.getLogger("uvicorn.access").addHandler(lines)  # its own are set at start
        try:
            raw_exchange(server.base_url, request("GET", "/v2/nowhere?x=%C3%A9"))
        finally:
            logging.getLogger("uvicorn.access").removeHandler(lines)
    [line] = lines.lines
    assert line.endswith('"GET /v2/nowhere?x=%C3%A9 HTTP/1.1" 404 Not Found'), line
    assert line.startswith("127.0.0.1:")


@pytest.mark.parametrize(
    "framing",
    ["Content-Length: 100\r\n\r\n{", "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n"],
    ids=["direct", "asgi"],
)
def test_a_request_whose_client_leaves_before_its_body_is_whole_is_not_answered(framing) -> None:
    """Nothing was asked: no answer, no journal entry, no change (both ways alike)."""
    engine = MockEngine()
    with MockServer(engine) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(
                f"PATCH {CANCEL} HTTP/1.1\r\nHost: 127.0.0.1\r\n{HV_AUTH}"
                f"Content-Type: application/json\r\n{framing}".encode()
            )
        answered = httpx.get(f"{server.base_url}{CANCEL}", headers=AUTH)  # after it, in order
    assert answered.json()["data"]["status"] == "confirmed"
    assert [entry["method"] for entry in engine.requests()] == ["GET"]


def test_a_body_that_arrives_in_many_pieces_is_answered_as_one(server, counted) -> None:
    body = ('{"status": ' + " " * 60 + '"cancelled"}').encode()
    head = request("PATCH", CANCEL, body=body.decode())[: -len(body)]
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head)
        for start in range(0, len(body), 7):
            sock.sendall(body[start : start + 7])
            threading.Event().wait(0.002)  # separate reads on the server's side
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    [(status, _, answer)] = parse_answers(received)
    assert (status, json.loads(answer)["data"]["status"]) == (200, "cancelled")
    assert counted == [CANCEL]
    [entry] = server.engine.requests()
    assert entry["body_text"] == body.decode() and entry["body_size"] == len(body)


def _plain_outcome(**headers: str) -> object:
    from mockserver.core.reply import Outcome, Reply

    reply = Reply(200, {"ok": True}, headers=headers)
    return Outcome(reply, reply.encoded())


@pytest.mark.parametrize(
    ("defaults", "keep_alive", "extra", "closes"),
    [
        ([(b"date", b"Mon, 30 Nov 2026 10:00:00 GMT")], True, {}, False),
        ([(b"date", b"Mon, 30 Nov 2026 10:00:01 GMT"), (b"server", b"x")], True, {}, False),
        ([(b"date", b"Mon, 30 Nov 2026 10:00:01 GMT")], False, {}, True),
        ([(b"connection", b"Close")], True, {}, True),
        ([], True, {"Retry-After": "3"}, False),
        ([], True, {"Connection": "close"}, True),
    ],
)
def test_an_answer_is_written_head_then_body_in_one_write(defaults, keep_alive, extra, closes):
    """Status line, the server's headers (each new list written anew: the date moves on),
    type and length, the answer's own, a close when the connection ends, then the body."""
    outcome = _plain_outcome(**extra)
    data, ends = direct.wire_answer(outcome, b"HTTP/1.1 200 OK\r\n", defaults, keep_alive)
    head = [b"HTTP/1.1 200 OK"] + [b"%s: %s" % pair for pair in defaults]
    head += [b"content-type: application/json", b"content-length: 11"]
    head += [f"{k.lower()}: {v}".encode() for k, v in extra.items()]
    head += [b"connection: close"] if closes else []
    assert data == b"\r\n".join(head) + b"\r\n\r\n" + b'{"ok":true}'
    assert ends is closes


def test_requests_read_in_one_turn_are_answered_together_at_its_end() -> None:
    """The batch answers nothing while the turn's reads go on; then every request's answer
    from the engine, in the order the bodies came, and only then every delivery. A request the
    mock fails on is delivered its error; a delivery that fails leaves the others delivered
    and reaches the loop's exception handler."""
    import asyncio

    from mockserver.web.batch import AnswerBatch

    steps: list[str] = []

    class Exchange:
        def __init__(self, name: str) -> None:
            self.name = name

        def answer(self) -> str:
            steps.append(f"answer {self.name}")
            if self.name == "broken":
                raise RuntimeError("the mock broke")
            return f"outcome {self.name}"

    def deliver(exchange: Exchange, outcome: object) -> None:
        steps.append(f"deliver {exchange.name}: {outcome}")
        if exchange.name == "unsendable":
            raise OSError("this one broke")

    loop = asyncio.new_event_loop()
    reported: list[str] = []
    loop.set_exception_handler(lambda _, context: reported.append(str(context["exception"])))
    try:
        batch = AnswerBatch.of(loop)
        assert AnswerBatch.of(loop) is batch  # one a loop
        for name in ("first", "broken", "unsendable", "last"):
            batch.add(loop, Exchange(name), deliver)  # type: ignore[arg-type]
        assert steps == []
        loop.run_until_complete(asyncio.sleep(0))  # one turn
        assert steps == [
            "answer first",
            "answer broken",
            "answer unsendable",
            "answer last",
            "deliver first: outcome first",
            "deliver broken: the mock broke",
            "deliver unsendable: outcome unsendable",
            "deliver last: outcome last",
        ]
        assert reported == ["this one broke"]
        batch.add(loop, Exchange("later"), deliver)  # type: ignore[arg-type]
        loop.run_until_complete(asyncio.sleep(0))
        assert steps[-2:] == ["answer later", "deliver later: outcome later"]
    finally:
        loop.close()


def test_many_connections_at_once_are_each_answered_and_journaled_once() -> None:
    """Forty connections send their cancels together: every answer is its own request's, and
    the journal holds each once."""
    engine = MockEngine()
    engine.load(
        {
            "extends": "huskyvoice/direct-cancel",
            "org": {"cancellation_notice_hours": 0},
            "generate": {"appointments": 60},
        }
    )
    with MockServer(engine) as server:
        base = server.base_url
        listed = httpx.get(f"{base}/v1/appointments?status=confirmed&limit=40", headers=AUTH)
        ids = [a["appointment_id"] for a in listed.json()["data"]]
        assert len(ids) == 40
        barrier = threading.Barrier(len(ids))
        answers: dict[str, list[Answer]] = {}

        def send(appointment: str) -> None:
            data = request("PATCH", f"/v1/appointments/{appointment}", body=CANCELLED)
            barrier.wait(5)
            answers[appointment] = parse_answers(raw_exchange(base, data))

        threads = [threading.Thread(target=send, args=(a,)) for a in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    for appointment in ids:
        [(status, _, body)] = answers[appointment]
        assert status == 200
        assert json.loads(body)["data"]["appointment_id"] == appointment
    patched = [e["path"] for e in engine.requests() if e["method"] == "PATCH"]
    assert sorted(patched) == sorted(f"/v1/appointments/{a}" for a in ids)


class HeldTurns:
    """The next request the server batches (after `hold_next`), held out of its batch until
    the test releases it, so that what a test does in between (a client that leaves, a session
    ended, other requests) comes first, whatever the machine's load. Other requests are
    batched as usual."""

    def __init__(self) -> None:
        self.held: list[tuple[Any, Any, direct.DirectExchange, Any]] = []
        self._holding = False

    def hold_next(self) -> None:
        self._holding = True

    def add(self, add: Any, batch: Any, loop: Any, exchange: Any, deliver: Any) -> None:
        if not self._holding:
            add(batch, loop, exchange, deliver)
            return
        self._holding = False
        exchange.batched = True  # its connection may still take it back (a half-close)
        self.held.append((batch, loop, exchange, deliver))

    def waiting(self) -> direct.DirectExchange:
        """The request held, once there is one (within a deadline)."""
        for _ in range(500):
            if self.held:
                return self.held[0][2]
            threading.Event().wait(0.01)
        raise AssertionError("no request reached the batch")

    def release(self) -> None:
        for batch, loop, exchange, deliver in self.held:

            def batched(batch=batch, loop=loop, exchange=exchange, deliver=deliver) -> None:
                if exchange.batched:  # not answered by its connection meanwhile
                    batch.add(loop, exchange, deliver)

            loop.call_soon_threadsafe(batched)
        self.held.clear()


@pytest.fixture
def held_turns(monkeypatch: pytest.MonkeyPatch) -> HeldTurns:
    from mockserver.web.batch import AnswerBatch

    turns, add = HeldTurns(), AnswerBatch.add

    def holding(batch: AnswerBatch, loop: Any, exchange: Any, deliver: Any) -> None:
        turns.add(add, batch, loop, exchange, deliver)

    monkeypatch.setattr(AnswerBatch, "add", holding)
    return turns


def wait_for_entries(engine: MockEngine, count: int) -> list[dict[str, object]]:
    for _ in range(300):
        if len(engine.requests()) >= count:
            break
        threading.Event().wait(0.01)
    return engine.requests()  # type: ignore[return-value]


def reset_at_once(sock: socket.socket) -> None:
    """Close with a reset (RST), not a half-close: the client is gone at once."""
    import struct

    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_client_that_leaves_while_its_request_waits_its_turn_is_journaled_so(
    held_turns,
) -> None:
    """A whole request whose client goes (a reset) before the turn ends is carried out (it was
    sent whole), and its journal entry says the client was gone before the answer."""
    engine = MockEngine()
    with MockServer(engine) as server:
        sock = socket.create_connection(server.base_url.removeprefix("http://").split(":"))  # type: ignore[arg-type]
        held_turns.hold_next()
        sock.sendall(request("PATCH", CANCEL, body=CANCELLED))
        exchange = held_turns.waiting()
        reset_at_once(sock)
        for _ in range(500):  # until the server has seen the reset
            if exchange.disconnected:
                break
            threading.Event().wait(0.01)
        held_turns.release()
        wait_for_entries(engine, 1)
        read = httpx.get(f"{server.base_url}{CANCEL}", headers=AUTH).json()
    [entry, _] = engine.requests()
    assert entry["method"] == "PATCH" and entry["status"] == 200
    assert entry["client_disconnected"] is True
    assert read["data"]["status"] == "cancelled"


def half_closed(server: MockServer, data: bytes) -> bytes:
    """Send `data`, half-close (no more from the client), and read until the server closes."""
    address = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection(address, timeout=10) as sock:  # type: ignore[arg-type]
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_a_client_that_half_closes_after_its_request_still_gets_the_answer(held_turns) -> None:
    """A half-close ends what the client sends, not what it reads: the request waiting for the
    turn's end is answered before the connection closes, not dropped (held here: only the
    half-close can answer it)."""
    engine = MockEngine()
    with MockServer(engine) as server:
        held_turns.hold_next()
        received = half_closed(server, request("PATCH", CANCEL, body=CANCELLED, close=False))
    [(status, _, body)] = parse_answers(received)
    assert status == 200 and json.loads(body)["data"]["status"] == "cancelled"
    [entry] = engine.requests()
    assert entry["client_disconnected"] is False


def test_pipelined_requests_then_a_half_close_are_all_answered(counted) -> None:
    """Ten requests in one write, then a half-close: ten answers in order, ten journal entries,
    each answered directly (a request is answered before its connection's next is read)."""
    engine = MockEngine()
    data = b"".join(
        request("GET", CANCEL, HV_AUTH + f"X-Trial: {n}\r\n", close=False) for n in range(10)
    )
    with MockServer(engine) as server:
        received = half_closed(server, data)
    assert [status for status, _, _ in parse_answers(received)] == [200] * 10
    trials = [entry["headers"]["x-trial"] for entry in engine.requests()]  # type: ignore[index]
    assert trials == [str(n) for n in range(10)]
    assert len(counted) == 10


def test_pipelined_whole_requests_then_a_reset_are_all_carried_out() -> None:
    engine = MockEngine()
    data = request("PATCH", CANCEL, body=CANCELLED, close=False) + request(
        "PATCH", CANCEL, body='{"status": "cancelled", "reason": "again"}', close=False
    )
    with MockServer(engine) as server:
        sock = socket.create_connection(server.base_url.removeprefix("http://").split(":"))  # type: ignore[arg-type]
        sock.sendall(data)
        reset_at_once(sock)
        entries = wait_for_entries(engine, 2)
    assert [entry["body"] for entry in entries] == [
        json.loads(CANCELLED),
        {"status": "cancelled", "reason": "again"},
    ]


@pytest.mark.parametrize(
    ("bad", "status"),
    [
        (b"GARBAGE \x01\x02 NOT HTTP\r\n\r\n", 400),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ],
    ids=["malformed", "url-too-long"],
)
def test_a_refused_request_behind_a_whole_one_comes_after_its_answer(bad, status) -> None:
    """One write: a cancel, then a request the connection refuses. The cancel's answer comes
    first; the refusal follows and closes the connection. The client's mistake never costs
    it the answer to a request it sent right."""
    engine = MockEngine()
    with MockServer(engine) as server:
        received = raw_exchange(
            server.base_url, request("PATCH", CANCEL, body=CANCELLED, close=False) + bad
        )
    answers = parse_answers(received)
    assert [answer[0] for answer in answers] == [200, status]
    assert json.loads(answers[0][2])["data"]["status"] == "cancelled"
    assert answers[1][1]["connection"] == "close"
    [entry] = engine.requests()
    assert entry["status"] == 200 and entry["client_disconnected"] is False


def test_a_session_ended_while_its_request_waits_is_started_anew_for_it(held_turns) -> None:
    """A request to a session, whole and waiting for the turn's end, while another connection
    ends that session: it is answered by the session as it stands when answered (started
    anew, as a request arriving then would be), so its journal line and its change are kept,
    not written into the world that ended."""
    with MockServer(MockEngine()) as server:
        base = f"{server.base_url}/__session/job-9"
        assert httpx.get(f"{base}{CANCEL}", headers=AUTH).status_code == 200  # the session
        sock = socket.create_connection(server.base_url.removeprefix("http://").split(":"))  # type: ignore[arg-type]
        with sock:
            held_turns.hold_next()
            sock.sendall(request("PATCH", f"/__session/job-9{CANCEL}", body=CANCELLED))
            held_turns.waiting()
            assert httpx.delete(f"{base}/__admin/session").status_code == 200
            held_turns.release()
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        [(status, _, body)] = parse_answers(received)
        read = httpx.get(f"{base}{CANCEL}", headers=AUTH).json()
        journal = httpx.get(f"{base}/__admin/requests").json()["requests"]
    assert status == 200 and json.loads(body)["data"]["status"] == "cancelled"
    assert read["data"]["status"] == "cancelled"
    assert [entry["method"] for entry in journal] == ["PATCH", "GET"]


def test_a_session_that_cannot_be_had_again_is_refused_as_a_fresh_request_is(
    held_turns,
) -> None:
    """The session of a waiting request ended, and the server is full by the time the request
    is answered: it is refused as a fresh request to that session is, in the server's words,
    not those of the ended session's scenario (which reworded the refusal)."""
    from mockserver.engine.sessions import Sessions

    engine = MockEngine()
    override = {"SESSION_LIMIT": {"status": 429, "code": "FROM_ENDED_SESSION"}}
    scenario = {"extends": "huskyvoice/direct-cancel", "behaviour": {"errors": override}}
    with MockServer(engine, sessions=Sessions(engine, max_sessions=1)) as server:
        ended, other = f"{server.base_url}/__session/ended", f"{server.base_url}/__session/other"
        httpx.put(f"{ended}/__admin/scenario", json={"scenario": scenario}).raise_for_status()
        with socket.create_connection(server.base_url.removeprefix("http://").split(":")) as sock:  # type: ignore[arg-type]
            held_turns.hold_next()
            sock.sendall(request("PATCH", f"/__session/ended{CANCEL}", body=CANCELLED))
            held_turns.waiting()
            assert httpx.delete(f"{ended}/__admin/session").status_code == 200
            assert httpx.get(f"{other}{CANCEL}", headers=AUTH).status_code == 200  # full now
            held_turns.release()
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        fresh = httpx.patch(f"{ended}{CANCEL}", json={"status": "cancelled"}, headers=AUTH)
    [(status, _, body)] = parse_answers(received)
    assert (status, json.loads(body)) == (fresh.status_code, fresh.json())
    assert (status, fresh.json()["error"]["code"]) == (503, "SESSION_LIMIT")


def chunked(method: str, path: str, body: str, headers: str = HV_AUTH) -> bytes:
    """A request whose body is chunked: it goes the ASGI way."""
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
        f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        f"{len(body):x}\r\n{body}\r\n0\r\n\r\n"
    ).encode()


REFUSED_NEXT = [
    (b"GARBAGE \x01\x02 NOT HTTP\r\n\r\n", 400),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
]


@pytest.mark.parametrize(("bad", "status"), REFUSED_NEXT, ids=["malformed", "url-too-long"])
def test_a_refusal_waits_for_an_answer_the_asgi_way_still_owes(bad, status) -> None:
    """A chunked cancel (the ASGI way), then in the same write a request the connection
    refuses: the cancel's 200 comes first, then the refusal, which closes the connection."""
    engine = MockEngine()
    with MockServer(engine) as server:
        received = raw_exchange(server.base_url, chunked("PATCH", CANCEL, CANCELLED) + bad)
    answers = parse_answers(received)
    assert [answer[0] for answer in answers] == [200, status]
    assert json.loads(answers[0][2])["data"]["status"] == "cancelled"
    assert answers[1][1]["connection"] == "close"


def test_a_refusal_waits_for_an_answer_a_scripted_delay_holds(server) -> None:
    delay_the_reads(server)
    received = raw_exchange(
        server.base_url, request("GET", CANCEL, close=False) + REFUSED_NEXT[0][0]
    )
    assert [answer[0] for answer in parse_answers(received)] == [200, 400]


def test_a_body_broken_while_it_arrives_is_refused_at_once() -> None:
    """Nothing of it was whole: its 400 does not wait for an answer that will never come (nor
    for the body's deadline)."""
    broken = (
        f"PATCH {CANCEL} HTTP/1.1\r\nHost: 127.0.0.1\r\n{HV_AUTH}Content-Type: application/json"
        "\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n"
    ).encode()
    engine = MockEngine()
    with MockServer(engine) as server:  # waiting the 30 s deadline would time the read out
        received = raw_exchange(server.base_url, broken, wait=5)
    assert [answer[0] for answer in parse_answers(received)] == [400]
    assert engine.requests() == []


@pytest.mark.parametrize(("bad", "status"), REFUSED_NEXT, ids=["malformed", "url-too-long"])
def test_a_refusal_waits_for_every_answer_pipelined_before_it(bad, status) -> None:
    """An admin call (the ASGI way), two reads queued behind it, then a request the
    connection refuses, all in one write: three answers in order, then the refusal."""
    data = (
        request("GET", "/__admin/health", "", close=False)
        + request("GET", CANCEL, close=False)
        + chunked("PATCH", CANCEL, CANCELLED)
        + bad
    )
    engine = MockEngine()
    with MockServer(engine) as server:
        received = raw_exchange(server.base_url, data)
    assert [answer[0] for answer in parse_answers(received)] == [200, 200, 200, status]
    assert [entry["method"] for entry in engine.requests()] == ["GET", "PATCH"]


def test_a_pipelined_body_broken_while_it_arrives_is_refused_after_the_answers_before_it() -> None:
    broken = (
        f"PATCH {CANCEL} HTTP/1.1\r\nHost: 127.0.0.1\r\n{HV_AUTH}Content-Type: application/json"
        "\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n"
    ).encode()
    data = request("GET", "/__admin/health", "", close=False) + broken
    with MockServer(MockEngine()) as server:  # waiting the 30 s deadline would time it out
        received = raw_exchange(server.base_url, data, wait=5)
    assert [answer[0] for answer in parse_answers(received)] == [200, 400]


def test_a_thousand_requests_pipelined_the_asgi_way_are_each_answered_in_order() -> None:
    """HEAD goes the ASGI way (HuskyVoice answers it 405): a thousand of them in one write,
    then a read that closes. Every one is answered, in order; what the connection owes is
    forgotten as it is paid, oldest first, so a long pipeline costs each answer the same."""
    data = request("HEAD", CANCEL, close=False) * 1_000 + request("GET", CANCEL)
    with MockServer(MockEngine()) as server:
        received = raw_exchange(server.base_url, data, wait=30)
    statuses = [int(line.split()[1]) for line in re.findall(rb"HTTP/1\.1 \d+", received)]
    assert statuses == [405] * 1_000 + [200]
    assert received.rstrip().endswith(b"}")  # the GET's body, last
