"""Memory is bounded by bytes: the journal, each entry, request heads, rendered answers,
per-appointment counters and open connections all have a limit, and a client that hits one
sees a 4xx (or the stub's author a named 500), never a server that grows without end."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from conftest import AUTH, SEED_ID, in_process_client
from mockserver import MockEngine
from mockserver.web import app as web_app
from mockserver.web import protocol
from mockserver.web.server import MockServer
from servers import raw_exchange, running_cli

UNAVAILABLE = {"success": False, "error": {"code": "SERVICE_UNAVAILABLE", "message": "x"}}


def listing(client: httpx.Client) -> list[dict]:
    return client.get("/__admin/requests").json()["requests"]


def test_the_journal_is_bounded_by_bytes_oldest_first():
    engine = MockEngine(journal_max_bytes=1024 * 1024)
    with in_process_client(engine) as client:
        for number in range(40):
            client.patch(f"/v1/appointments/nope{number}", headers=AUTH, content=b"x" * 60_000)
        kept = [entry["path"] for entry in listing(client)]
    assert 10 <= len(kept) < 20, len(kept)
    assert kept[-1] == "/v1/appointments/nope39"
    assert "/v1/appointments/nope0" not in kept


def test_bodies_and_header_sets_are_clipped_with_a_marker_and_their_size(mock):
    mock.http.patch(
        f"/v1/appointments/{SEED_ID}",
        headers={**AUTH, "x-big": "y" * 40_000},
        content=b"z" * 200_000,
    )
    [entry] = listing(mock.http)
    assert entry["body"].endswith("… [clipped: 200000 bytes, the first 65536 kept]")
    assert len(entry["body"]) < 70_000
    assert "bytes of headers, the first 16384 kept" in entry["headers"]["(clipped)"]
    assert sum(len(k) + len(v) for k, v in entry["headers"].items()) < 17_000


@pytest.mark.parametrize(
    ("path", "envelope"),
    [
        (f"/v1/appointments/{SEED_ID}", "success"),
        ("/api/emrs/anitasystems/care-units/L0_1/appointments/2001", "errors"),
        ("/__admin/health", "error"),
    ],
)
def test_headers_over_64_kib_are_431_and_nothing_is_stored(mock, path, envelope):
    before = listing(mock.http)
    reply = mock.http.get(path, headers={**AUTH, "x-big": "y" * 70_000})
    assert reply.status_code == 431, reply.text[:200]
    assert envelope in reply.json()
    assert "65536 bytes" in reply.text
    if not path.startswith("/__admin"):  # the cause's code, wherever the envelope keeps it
        assert "REQUEST_HEADER_FIELDS_TOO_LARGE" in reply.text
    assert listing(mock.http) == before


def test_a_stub_that_renders_past_the_limit_is_a_500_naming_it(mock):
    stub = {
        "name": "echo the path",
        "match": {"method": "GET", "path_regex": "^/v1/appointments/"},
        "respond": {"status": 200, "body": {"x": ["{{request.path}}"] * 3000}},
        "violates_contract": True,
    }
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    reply = mock.http.get("/v1/appointments/" + "a" * 60_000, headers=AUTH)
    assert reply.status_code == 500
    assert "'echo the path' renders a body of more than 1048576 bytes" in reply.text
    assert len(reply.content) < 2_000
    [violation] = mock.http.get("/__admin/violations").json()["violations"]
    assert "echo the path" in violation["problems"][0]["message"]


def test_a_stub_larger_than_the_limit_is_refused_when_added(mock):
    stub = {
        "name": "huge",
        "match": {"method": "GET", "path": "/v1/appointments/{appointment_id}"},
        "respond": {"status": 503, "body": {**UNAVAILABLE, "pad": "p" * 1_100_000}},
    }
    reply = mock.http.post("/__admin/interactions", json={**stub, "provider": "huskyvoice"})
    assert reply.status_code in (400, 413), reply.text[:300]
    assert mock.http.get("/__admin/interactions").json()["interactions"] == []


def test_the_response_limit_is_configurable():
    engine = MockEngine(response_max_bytes=1_000)
    stub = {
        "name": "padded",
        "match": {"method": "GET", "path": "/v1/appointments/{appointment_id}"},
        "respond": {"status": 503, "body": {**UNAVAILABLE, "pad": "p" * 2_000}},
    }
    with in_process_client(engine) as client:
        reply = client.post("/__admin/interactions", json=stub)
    assert reply.status_code == 400
    assert "larger than the response limit of 1000 bytes" in reply.text


def test_a_file_whose_aliases_expand_past_the_limit_is_refused_fast(tmp_path):
    """A 1 MB file (an anchor of 300 long strings placed 500 times) that would answer 500 MB:
    a problem at its line, found without expanding it."""
    folder = tmp_path / "huskyvoice"
    folder.mkdir()
    text = (
        "extends: huskyvoice/direct-cancel\ndescription: x\n"
        "interactions:\n"
        "  - name: huge\n"
        "    match: {method: GET, path: '/v1/appointments/{appointment_id}'}\n"
        "    respond:\n"
        "      status: 503\n"
        "      body: [&big ["
        + ", ".join(["x" * 3400] * 300)
        + "], "
        + ", ".join(["*big"] * 499)
        + "]\n"
    )
    (folder / "alias.yaml").write_text(text)
    began = time.monotonic()
    engine_error = None
    try:
        MockEngine([], [tmp_path])
    except Exception as error:
        engine_error = str(error)
    assert engine_error is not None
    assert "larger than the response limit" in engine_error, engine_error
    assert f"{folder / 'alias.yaml'}:" in engine_error
    assert time.monotonic() - began < 30


def test_per_appointment_counters_and_states_are_bounded(mock):
    stub = {
        "name": "first read fails",
        "match": {"method": "GET", "path": "/v1/appointments/{appointment_id}"},
        "sequence": [{"status": 503, "body": UNAVAILABLE}, {"passthrough": True}],
        "set_state": "seen",
    }
    assert mock.http.post("/__admin/interactions", json=stub).status_code == 200
    for number in range(1_200):
        mock.http.get(f"/v1/appointments/appt_{number:010d}", headers=AUTH)
    [listed] = [
        i for i in mock.http.get("/__admin/interactions").json()["interactions"] if i["added"]
    ]
    assert len(listed["counters"]) == 1_000
    assert len(listed["states"]) == 1_000
    assert "appt_0000001199" in listed["counters"]
    assert "appt_0000000000" not in listed["counters"]


def test_a_head_that_never_ends_is_dropped_with_408(monkeypatch):
    monkeypatch.setattr(protocol, "HEAD_TIMEOUT_SECONDS", 0.3)
    with MockServer(MockEngine()) as server:
        answer = raw_exchange(server.base_url, b"GET /__admin/health HTTP/1.1\r\nHost: x\r\n")
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]


def _slow_head_behind(server: MockServer, first: bytes) -> tuple[bytes, float]:
    """`first`, with the start of another request's head in the same write, a header line of
    it a little later, then silence: what the server sends until it closes, and when."""
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        begun = time.monotonic()
        sock.sendall(first + b"GET /v2/nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.1)
        sock.sendall(b"X-One: more\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks), time.monotonic() - begun


@pytest.mark.parametrize(
    ("first", "delay_ms"),
    [
        ("GET /__admin/health", 0),  # answered the ASGI way
        (f"GET /v1/appointments/{SEED_ID}", 200),  # answered directly, after a scripted delay
        (f"GET /v1/appointments/{SEED_ID}", 700),  # the delay outlasts the head's deadline
    ],
    ids=["behind the ASGI way", "behind a delay", "behind a longer delay"],
)
def test_a_head_begun_behind_an_answer_still_has_its_deadline(monkeypatch, first, delay_ms):
    """A head that starts arriving while the answer before it is on its way is dropped with a
    408 once it is late and that answer is out, never kept open for good."""
    monkeypatch.setattr(protocol, "HEAD_TIMEOUT_SECONDS", 0.3)
    with MockServer(MockEngine()) as server:
        if delay_ms:
            stub = {
                "name": "slow",
                "provider": "huskyvoice",
                "match": {"method": "GET", "path": f"/v1/appointments/{SEED_ID}"},
                "respond": {"passthrough": True, "delay_ms": delay_ms},
            }
            httpx.post(f"{server.base_url}/__admin/interactions", json=stub).raise_for_status()
        head = f"{first} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer YOUR_API_KEY\r\n\r\n"
        answer, closed_after = _slow_head_behind(server, head.encode())
    assert answer.startswith(b"HTTP/1.1 200 OK"), answer[:100]
    assert b"HTTP/1.1 408 " in answer, answer[-300:]
    assert closed_after < delay_ms / 1000 + 2.5


def test_a_connection_handed_to_websockets_leaves_the_deadline_watch(monkeypatch):
    """An upgraded connection goes to uvicorn's WebSocket protocol, which this one never hears
    from again: it must not stay watched (nor kept) after the client has gone."""
    import gc
    import weakref

    made: list[weakref.ref[protocol.GuardedHttpProtocol]] = []
    started = protocol.GuardedHttpProtocol.__init__

    def remembered(self, *args, **kwargs):
        started(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(protocol.GuardedHttpProtocol, "__init__", remembered)
    upgrade = (
        b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    with MockServer(MockEngine()) as server:
        for _ in range(5):
            raw_exchange(server.base_url, upgrade)
        deadline = time.monotonic() + 5
        while any(ref() is not None for ref in made) and time.monotonic() < deadline:
            time.sleep(0.05)
            gc.collect()
        kept = [ref() for ref in made if ref() is not None]
    assert len(made) == 5
    assert kept == []


@pytest.mark.parametrize(
    "request_line",
    [f"GET /v1/appointments/{SEED_ID}", "GET /__admin/health"],
    ids=["answered directly", "answered by the ASGI app"],
)
def test_an_idle_keep_alive_connection_is_closed_after_its_timeout(monkeypatch, request_line):
    started = protocol.GuardedHttpProtocol.__init__

    def short_keep_alive(self, *args, **kwargs):
        started(self, *args, **kwargs)
        self.timeout_keep_alive = 0.3

    monkeypatch.setattr(protocol.GuardedHttpProtocol, "__init__", short_keep_alive)
    head = (
        f"{request_line} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer YOUR_API_KEY\r\n\r\n"
    )
    with MockServer(MockEngine()) as server:
        begun = time.monotonic()
        answer = raw_exchange(server.base_url, head.encode() * 2)  # read until it is closed
        idle = time.monotonic() - begun
    assert answer.count(b"HTTP/1.1 200 OK") == 2, answer[:300]
    assert 0.3 <= idle < 3


def test_a_body_that_never_ends_is_refused_with_408(monkeypatch):
    monkeypatch.setattr(web_app, "BODY_TIMEOUT_SECONDS", 0.3)
    head = (
        f"PATCH /v1/appointments/{SEED_ID} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer YOUR_API_KEY\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\nConnection: close\r\n\r\n{"
    )
    engine = MockEngine()
    with MockServer(engine) as server:
        answer = raw_exchange(server.base_url, head.encode())
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert b'"success":false' in answer
    assert engine.requests() == []


def test_a_chunked_body_that_never_ends_is_refused_and_its_connection_closed(monkeypatch):
    """A chunked body goes the ASGI way: late, it is refused with a 408 and the connection
    closed at once, as the direct way does (the rest of its body has no framing to wait for),
    not held open until the keep-alive deadline."""
    monkeypatch.setattr(web_app, "BODY_TIMEOUT_SECONDS", 0.3)
    head = (
        f"PATCH /v1/appointments/{SEED_ID} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer YOUR_API_KEY\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n"
    )
    engine = MockEngine()
    with MockServer(engine) as server:
        begun = time.monotonic()
        answer = raw_exchange(server.base_url, head.encode())  # read until it is closed
        closed_after = time.monotonic() - begun
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert b"connection: close" in answer.lower()
    assert closed_after < 3  # the keep-alive deadline is 5 s
    assert engine.requests() == []


def test_a_slow_body_is_refused_while_bodies_that_arrive_are_answered(monkeypatch):
    """The body deadline is watched per read: requests whose bodies arrive meanwhile (on the
    same server, while the slow one waits) are answered, never cancelled with it."""
    monkeypatch.setattr(web_app, "BODY_TIMEOUT_SECONDS", 0.4)
    slow = (
        f"PATCH /v1/appointments/{SEED_ID} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer YOUR_API_KEY\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\nConnection: close\r\n\r\n{"
    )
    engine = MockEngine()
    with MockServer(engine) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as waiting:
            waiting.sendall(slow.encode())
            with httpx.Client(base_url=server.base_url, headers=AUTH) as client:
                answers = [
                    client.patch(f"/v1/appointments/{SEED_ID}", json={"status": "cancelled"})
                    for _ in range(20)
                ]
            refused = waiting.recv(65536)
    assert {answer.status_code for answer in answers} == {200}
    assert refused.startswith(b"HTTP/1.1 408 "), refused[:100]
    assert len(engine.requests()) == 20  # the refused one is not journaled


def test_a_head_past_one_mebibyte_is_refused_while_it_arrives():
    with MockServer(MockEngine()) as server:
        head = b"GET /__admin/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 2_000_000
        answer = raw_exchange(server.base_url, head + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:100]


@pytest.mark.parametrize("query", [False, True])
def test_a_url_past_the_parsers_reach_is_refused_with_414_both_ways(query):
    """A request target of 65,535 bytes is read and answered; one byte more is refused with a
    414 and the connection closed (the HTTP parser cannot read it: it answered its own
    plain-text 400). In process, the same answer. Nothing is journaled."""
    engine = MockEngine()

    def target(size: int) -> bytes:
        start = b"/v1/appointments?q=" if query else b"/v1/appointments/"
        return start + b"a" * (size - len(start))

    with MockServer(engine) as server:
        answers = {}
        for size in (65_535, 65_536):
            head = b"GET " + target(size) + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            credentials = b"Authorization: " + AUTH["Authorization"].encode()
            answers[size] = raw_exchange(server.base_url, head + credentials + b"\r\n\r\n")
        read, answer = answers[65_535], answers[65_536]
        assert read.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 404 ")), read[:200]
        assert b'{"success":false' in read  # the provider's own answer (an unknown id or field)
        assert answer.startswith(b"HTTP/1.1 414 URI Too Long\r\n"), answer[:200]
        assert b"connection: close" in answer.lower()
        over_http = answer.split(b"\r\n\r\n", 1)[1]
    with in_process_client(engine) as client:
        refused = client.get(target(65_536).decode(), headers=AUTH)
        assert refused.status_code == 414
        assert refused.content == over_http
        assert refused.json()["error"]["code"] == "URI_TOO_LONG"
        assert client.get(target(65_535).decode(), headers=AUTH).status_code < 414
    assert len(engine.requests()) == 2  # the two that were read, once each way


def test_connections_past_the_cap_are_refused(monkeypatch):
    monkeypatch.setattr(protocol, "MAX_CONNECTIONS", 3)
    with MockServer(MockEngine()) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(3)]
        try:
            answer = raw_exchange(server.base_url, b"")
        finally:
            for sock in held:
                sock.close()
        assert answer.startswith(b"HTTP/1.1 503 "), answer[:100]
        assert httpx.get(server.base_url + "/__admin/health").status_code == 200


def rss_peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_the_memory_attacks_leave_the_server_under_200_mb():
    """The attacks that once took a server from 35 MB to gigabytes, against `serve` with its
    defaults: its peak resident memory stays under 200 MB."""
    echo = {
        "name": "echo",
        "provider": "huskyvoice",
        "match": {"method": "GET", "path_regex": "^/v1/appointments/aaaa"},
        "respond": {"status": 200, "body": {"x": ["{{request.path}}"] * 3000}},
        "violates_contract": True,
    }
    counted = {
        "name": "counted",
        "provider": "huskyvoice",
        "match": {"method": "GET", "path": "/v1/appointments/{appointment_id}"},
        "sequence": [{"status": 503, "body": UNAVAILABLE}, {"passthrough": True}],
        "set_state": "seen",
    }
    with running_cli([]) as run, httpx.Client(base_url=run.base_url, timeout=60) as http:
        for stub in (counted, echo):  # the newest is tried first
            assert http.post("/__admin/interactions", json=stub).status_code == 200
        big_headers = {f"x-h{i}": "v" * 60_000 for i in range(60)}  # 3.6 MB of headers
        for _ in range(20):
            assert http.get("/nowhere", headers=big_headers).status_code == 431
        for _ in range(4):
            assert http.get("/v1/appointments/" + "a" * 60_000, headers=AUTH).status_code == 500
        for number in range(1_500):  # past the 1,000 appointments whose counters are kept
            http.get(f"/v1/appointments/appt_{number:010d}", headers=AUTH)
        assert len(http.get("/__admin/interactions").content) < 1_000_000
        assert len(http.get("/__admin/ui/sections").content) < 2_000_000
        peak = rss_peak_mb(run.pid)
    assert peak < 200, f"peak RSS {peak:.0f} MB"


def test_serve_takes_the_limits_as_flags():
    stub = {
        "name": "padded",
        "provider": "huskyvoice",
        "match": {"method": "GET", "path": "/v1/appointments/{appointment_id}"},
        "respond": {"status": 503, "body": {**UNAVAILABLE, "pad": "p" * 3_000}},
    }
    args = ["--response-max-bytes", "2000", "--journal-max-bytes", str(1024 * 1024)]
    with running_cli(args) as run:
        reply = httpx.post(run.base_url + "/__admin/interactions", json=stub)
    assert reply.status_code == 400
    assert "larger than the response limit of 2000 bytes" in reply.text
