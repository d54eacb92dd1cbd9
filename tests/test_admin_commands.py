"""One command table drives the admin routes, the in-process control and the control over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.engine.facade import MockEngine
from mockserver.testing.control import Backend, ControlError, EngineBackend, HttpBackend
from mockserver.testing.transport import ASGITransport
from mockserver.web import admin_commands, admin_reference
from mockserver.web.admin import admin_routes
from mockserver.web.admin_commands import COMMANDS, Call, Command, Result
from mockserver.web.app import create_app


def _http_backend(engine: MockEngine) -> HttpBackend:
    """The HTTP control, its requests carried in process to a fresh app over `engine`."""
    backend = HttpBackend("http://mock.test")
    backend.http.close()
    backend.http = httpx.Client(
        transport=ASGITransport(create_app(engine)), base_url="http://mock.test/__admin"
    )
    return backend


@pytest.fixture
def closing() -> Iterator[list[httpx.Client | HttpBackend]]:
    """What a test opened (clients, HTTP controls), closed when it ends."""
    opened: list[httpx.Client | HttpBackend] = []
    yield opened
    for thing in opened:
        thing.close()


def _client(engine: MockEngine, closing: list[httpx.Client | HttpBackend]) -> httpx.Client:
    client = httpx.Client(transport=ASGITransport(create_app(engine)), base_url="http://m")
    closing.append(client)
    return client


def _both(engine: MockEngine, closing: list[httpx.Client | HttpBackend]) -> list[Backend]:
    http = _http_backend(engine)
    closing.append(http)
    return [EngineBackend(engine), http]


@pytest.fixture
def backends(closing: list[httpx.Client | HttpBackend]) -> list[Backend]:
    return _both(MockEngine(), closing)


def test_the_admin_routes_are_the_table_row_for_row():
    routes = [(r.path, sorted(r.methods or ())) for r in admin_routes(MockEngine())]  # type: ignore[attr-defined]
    expected = [
        (c.path, sorted({c.method, "HEAD"} if c.method == "GET" else {c.method})) for c in COMMANDS
    ]
    assert routes == expected
    assert len({c.name for c in COMMANDS}) == len(COMMANDS)


def echo(engine: MockEngine, call: Call) -> Result:
    """Answers what it was given: the word in its path, its body and its query."""
    return {"word": call.path["word"], "body": call.data, "query": dict(call.query)}


def test_a_command_added_to_the_table_is_served_by_every_surface(monkeypatch, closing):
    added = Command("echo", "POST", "/echo/{word}", echo, body="optional")
    monkeypatch.setattr(admin_commands, "COMMANDS", (*COMMANDS, added))
    engine = MockEngine()
    wanted = {"word": "hello", "body": {"k": 1}, "query": {"x": "1"}}

    answer = _client(engine, closing).post("/__admin/echo/hello", params={"x": "1"}, json={"k": 1})
    assert answer.status_code == 200 and answer.json() == wanted
    for backend in _both(engine, closing):
        assert backend.call("echo", {"k": 1}, {"x": "1"}, {"word": "hello"}) == wanted
    assert (
        "| `POST /__admin/echo/{word}` | Answers what it was given" in admin_reference.reference()
    )


def test_a_required_body_is_asked_for_on_every_surface(closing):
    engine = MockEngine()
    answer = _client(engine, closing).put("/__admin/clock")
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "a JSON object body is required"
    for backend in _both(engine, closing):
        with pytest.raises(ControlError, match=r"^a JSON object body is required$"):
            backend.call("set_clock")


@pytest.mark.parametrize(
    ("name", "body", "query", "needle"),
    [
        ("set_clock", {"now": "not a time"}, None, "'now' must be an ISO 8601 instant"),
        ("set_clock", {"advance_seconds": 1e300}, None, "finite number of at most"),
        (
            "set_clock",
            {"now": "2026-01-01T00:00:00Z", "provider": "nope"},
            None,
            "unknown provider",
        ),
        ("load_scenario", {"name": "huskyvoice/nope"}, None, "huskyvoice/nope"),
        ("load_scenario", {"name": "a", "scenario": {}}, None, "not both"),
        ("reset", {"scenarios": "leyr/two-step"}, None, "a list of scenario names"),
        ("add_interaction", {"match": {"path": "/elsewhere"}}, None, "name the provider"),
        ("requests", None, {"limit": "0"}, "limit: a whole number from 1 to 1000"),
        ("requests", None, {"status": "teapot"}, "is an HTTP status code"),
        ("near_misses", None, {"since": "x"}, "query: since is not known"),
        ("remove_interaction", None, None, "no added interaction is named"),
    ],
)
def test_both_controls_refuse_alike(backends, name, body, query, needle):
    path = {"name": "never added"} if name == "remove_interaction" else None
    messages = []
    for backend in backends:
        with pytest.raises(ControlError) as refused:
            backend.call(name, body, query, path)
        messages.append(str(refused.value))
    assert needle in messages[0]
    assert messages[0] == messages[1]


def test_a_refused_command_changes_nothing(backends):
    for backend in backends:
        before = backend.clocks()
        with pytest.raises(ControlError):
            backend.set_clock({"advance_seconds": 1e300})
        assert backend.clocks() == before


def test_both_controls_answer_alike(backends):
    answers: list[dict[str, Any]] = []
    for backend in backends:
        backend.activate(["leyr/two-step"])
        backend.set_clock({"advance_seconds": 60, "provider": "leyr"})
        answers.append(
            {
                "clocks": backend.clocks(),
                "seeded": backend.seeded(),
                "requests": backend.requests({}),
                "messages": backend.messages(),
                "health": backend.call("health")["active"],
                "openapi": backend.call("openapi", path={"provider": "leyr"})["info"],
            }
        )
    assert answers[0] == answers[1]
    assert answers[0]["health"]["leyr"] == "leyr/two-step"


def test_a_server_only_command_is_refused_in_process():
    backend = EngineBackend(MockEngine())
    with pytest.raises(ControlError, match="sessions live on a server"):
        backend.call("list_sessions")
    with pytest.raises(ControlError, match="writes no report"):
        backend.call("report")


class _Answering(Backend):
    """A control whose mock answers every command with the same JSON object."""

    def __init__(self, answer: dict[str, object]) -> None:
        self.answer = answer

    def _carry(self, command: Command, call: Call) -> dict[str, object]:
        return self.answer


@pytest.mark.parametrize("active", [None, [], "huskyvoice/direct-cancel"])
def test_a_reset_answered_without_its_map_is_a_control_error(active: object):
    with pytest.raises(ControlError, match="reset answer has no 'active' map"):
        _Answering({"active": active}).activate(["huskyvoice/direct-cancel"])


@pytest.mark.parametrize("loaded", [None, ["huskyvoice"], 7])
def test_a_load_answered_without_its_map_is_a_control_error(loaded: object):
    with pytest.raises(ControlError, match="load_scenario answer has no 'loaded' map"):
        _Answering({"loaded": loaded}).load("huskyvoice/direct-cancel")


def test_a_well_formed_reset_and_load_are_read_as_the_mock_wrote_them():
    backend = _Answering({"active": {"leyr": "leyr/two-step"}, "loaded": {"provider": "leyr"}})
    assert backend.activate(["leyr/two-step"]) == {"leyr": "leyr/two-step"}
    assert backend.load({"extends": "leyr/two-step"}) == "leyr"


PATTERNS = [
    {},
    {"method": "PATCH"},
    {"method": "patch", "path": "/v1/appointments/{id}", "status": 200},
    {"status": "4xx"},
    {"provider": "leyr"},
    {"path_regex": "^/v1/appointments/appt_"},
    {"body": {"status": "cancelled"}},
    {"headers": {"authorization": {"regex": "^Bearer "}}},
    {"query": {"limit": "5"}},
    {"appointment": "appt_a1b2c3d4e5"},
]


def test_both_controls_select_the_same_requests(closing):
    """The in-process control reads the journal without the listing's query string: it must
    select exactly what the admin API selects, and refuse the same broken patterns."""
    engine = MockEngine()
    client = _client(engine, closing)
    auth = {"Authorization": "Bearer YOUR_API_KEY"}
    client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "cancelled"}, headers=auth)
    client.get("/v1/appointments", params={"limit": "5"}, headers=auth)
    client.get("/v1/appointments/appt_nope", headers=auth)
    client.patch("/v1/appointments/appt_a1b2c3d4e5", json={"status": "odd"}, headers=auth)
    in_process, over_http = _both(engine, closing)
    for pattern in PATTERNS:
        assert in_process.requests(pattern) == over_http.requests(pattern), pattern
    assert [len(in_process.requests(p)) for p in PATTERNS] == [4, 2, 1, 2, 0, 3, 1, 4, 1, 2]
    for broken in ({"status": "200"}, {"status": True}, {"nope": 1}, {"path_regex": "("}):
        refusals = []
        for backend in (in_process, over_http):
            with pytest.raises(ControlError) as refused:
                backend.requests(broken)
            refusals.append(refused.value.message)
        assert refusals[0] == refusals[1], broken
