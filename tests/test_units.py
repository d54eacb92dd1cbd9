"""The pure core without HTTP: clock, routing, contracts, engine pipeline, HuskyVoice rules."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from mockserver import MockEngine, MockRequest, ScenarioCatalog
from mockserver.core.clock import Clock, format_instant, parse_instant
from mockserver.core.commands import CommandError, SetClock
from mockserver.core.contracts import default_contracts
from mockserver.core.exchange import ApiError
from mockserver.core.reply import Outcome, Reply
from mockserver.core.routing import TemplateError, compile_template
from mockserver.providers import make_providers
from mockserver.providers.huskyvoice import api, rules

AUTH = {"authorization": "Bearer YOUR_API_KEY"}


def test_instants_round_trip_in_the_providers_format():
    assert format_instant(parse_instant("2026-05-26T17:30:00+05:30")) == "2026-05-26T12:00:00.000Z"
    assert (
        format_instant(parse_instant("2026-05-26T12:00:00.123456Z")) == "2026-05-26T12:00:00.123Z"
    )
    assert parse_instant("2026-05-26T12:00:00").tzinfo is not None


def test_frozen_clock_moves_only_when_told():
    start = datetime(2026, 5, 26, 12, tzinfo=timezone.utc)
    clock = Clock(start)
    assert clock.now() == start
    clock.advance(90)
    assert format_instant(clock.now()) == "2026-05-26T12:01:30.000Z"
    running = Clock(start, frozen=False)
    assert running.now() >= start


def test_path_templates():
    pattern = compile_template("/v1/appointments/{appointment_id}")
    assert pattern.match("/v1/appointments/appt_1") == {"appointment_id": "appt_1"}
    assert pattern.match("/v1/appointments/a/b") is None
    assert pattern.match("/v1/appointments/") is None
    assert compile_template("/a/x{id}.json").match("/a/x7.json") == {"id": "7"}
    assert compile_template("/a/x{id}.json").match("/a/x.json") is None
    assert compile_template("/a").match("/a") == {}


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("/v1/{a}/{a}", "names the parameter {a} more than once"),
        ("/{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}x", "more than one parameter in the segment"),
    ],
)
def test_path_templates_that_are_refused(template, reason):
    with pytest.raises(TemplateError, match=re.escape(reason)):
        compile_template(template)


def test_contract_problems_name_the_field():
    problems = default_contracts().check(
        "huskyvoice/update-appointment.request", {"status": "x", "foo": 1}, root="body"
    )
    assert [str(p) for p in problems] == [
        'body.status: "x" is not one of "confirmed", "completed", "cancelled"',
        "body: unknown field(s) 'foo'; allowed: appointment_date, assigned_doctor, batch, notes, "
        "session, status",
    ]
    assert problems[1].path == ("foo",)


def test_every_schema_compiles_and_the_examples_conform():
    contracts = default_contracts()
    assert {"huskyvoice/appointment.response", "huskyvoice/error", "scenario.schema"} <= set(
        contracts.names()
    )
    from conftest import documented_cancel_response

    assert contracts.check("huskyvoice/appointment.response", documented_cancel_response()) == []
    assert contracts.check("huskyvoice/update-appointment.request", {"status": "cancelled"}) == []


def test_engine_cancels_without_http():
    engine = MockEngine()
    reply = engine.handle(
        MockRequest(
            "PATCH",
            "/v1/appointments/appt_a1b2c3d4e5",
            headers={**AUTH, "content-type": "application/json"},
            body=b'{"status":"cancelled"}',
        )
    )
    assert (reply.status, reply.body["data"]["status"]) == (200, "cancelled")
    assert engine.requests()[0]["status"] == 200


def test_a_response_that_breaks_its_schema_is_a_500_and_a_violation(monkeypatch):
    def broken(state, call):
        return Reply(200, {"success": True, "data": {"allow_cancellation": "yes"}})

    monkeypatch.setattr(api, "get_config", broken)
    engine = MockEngine()
    reply = engine.handle(MockRequest("GET", "/v1/appointment-config", headers=AUTH))
    assert reply.status == 500
    assert reply.body["error"]["code"] == "INTERNAL_ERROR"
    assert "data.allow_cancellation" in reply.body["error"]["message"]
    [violation] = engine.violations()
    assert violation["kind"] == "response"
    assert violation["problems"][0]["location"] == "response.data.allow_cancellation"


def test_an_undeclared_status_is_a_violation(monkeypatch):
    monkeypatch.setattr(api, "get_config", lambda state, call: Reply(202, {"success": True}))
    engine = MockEngine()
    assert engine.handle(MockRequest("GET", "/v1/appointment-config", headers=AUTH)).status == 500
    assert "not declared" in engine.violations()[0]["problems"][0]["message"]


def test_loading_one_provider_leaves_the_other_alone():
    engine = MockEngine()
    leyr = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"
    leyr_auth = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}

    def patch(path: str, headers: dict[str, str]) -> Outcome:
        body = b'{"status":"cancelled"}'
        json_headers = {**headers, "content-type": "application/json"}
        return engine.handle(MockRequest("PATCH", path, headers=json_headers, body=body))

    def status(path: str, headers: dict[str, str]) -> str:
        body = engine.handle(MockRequest("GET", path, headers=headers)).body
        return str((body.get("data") or body)["status"])

    hv = "/v1/appointments/appt_a1b2c3d4e5"
    assert patch(hv, AUTH).status == patch(leyr, leyr_auth).status == 200
    engine.reset("huskyvoice")
    assert (status(hv, AUTH), status(leyr, leyr_auth)) == ("confirmed", "cancelled")
    with pytest.raises(CommandError) as caught:
        SetClock.parse({"advance_seconds": 1, "provider": "acme"}, engine.provider_names)
    assert (caught.value.status, caught.value.code) == (404, "UNKNOWN_PROVIDER")


def test_notice_start_uses_the_window_or_the_default_session_time():
    providers = make_providers(default_contracts())
    catalog = ScenarioCatalog(readers=providers)
    state = providers["huskyvoice"].new_state(catalog.get("huskyvoice/direct-cancel"))
    record = state.appointments["appt_a1b2c3d4e5"]
    assert format_instant(rules.starts_at(state, record)) == "2026-06-15T03:30:00.000Z"
    state.slot_of["appt_a1b2c3d4e5"] = None
    record["session"] = "Evening"
    assert format_instant(rules.starts_at(state, record)) == "2026-06-15T11:30:00.000Z"


def test_api_error_defaults():
    error = ApiError("NOT_FOUND", "gone")
    assert (error.status, error.headers, str(error)) == (None, {}, "gone")


def _mutations(instance):
    """The instance, and for every field: removed, and replaced by values of each JSON type."""
    yield instance
    if isinstance(instance, dict):
        for key, value in instance.items():
            yield {k: v for k, v in instance.items() if k != key}
            for other in (None, 1, 1.5, True, "x", "", [], {}, "2026-13-99", "A" * 300):
                yield {**instance, key: other}
            for inner in _mutations(value):
                if inner is not value:
                    yield {**instance, key: inner}
        yield {**instance, "unexpected": 1}
    elif isinstance(instance, list) and instance:
        for inner in _mutations(instance[0]):
            yield [inner, *instance[1:]]


def test_generated_validators_agree_with_jsonschema():
    from jsonschema import Draft202012Validator

    from conftest import documented_cancel_response

    contracts = default_contracts()
    engine = MockEngine(["leyr/two-step"])
    leyr_reply = engine.handle(
        MockRequest(
            "PATCH",
            "/api/emrs/anitasystems/care-units/L0_1/appointments/2001",
            headers={
                "x-leyr-client-id": "test-client-id",
                "x-leyr-client-secret": "test-client-secret",
                "content-type": "application/json",
            },
            body=b'{"status": "cancelled"}',
        )
    )
    corpus = {
        "huskyvoice/appointment.response": documented_cancel_response(),
        "huskyvoice/update-appointment.request": {"status": "cancelled", "notes": "x"},
        "huskyvoice/error": {"success": False, "error": {"code": "NOT_FOUND", "message": "m"}},
        "huskyvoice/rate-limit-error": {"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "m"}},
        "leyr/appointment.response": leyr_reply.body,
        "leyr/appointment-list.response": [leyr_reply.body],
        "leyr/update-appointment.request": {"confirmation": {"code": "123456"}},
        "leyr/bulk-update.request": {"ids": ["1"], "status": "cancelled"},
    }
    checked = 0
    for name, instance in corpus.items():
        reference = Draft202012Validator(contracts.documents[name], registry=contracts.registry)
        for variant in _mutations(instance):
            assert (contracts.check(name, variant) == []) == reference.is_valid(variant), (
                name,
                variant,
            )
            checked += 1
    assert checked > 500


def test_a_failure_inside_the_mock_is_a_500_in_the_envelope_and_a_violation(monkeypatch):
    def explode(state, call):
        raise KeyError("wheel")

    monkeypatch.setattr(api, "get_config", explode)
    engine = MockEngine()
    reply = engine.handle(MockRequest("GET", "/v1/appointment-config", headers=AUTH))
    assert reply.status == 500
    assert reply.body["success"] is False
    assert reply.body["error"]["code"] == "INTERNAL_ERROR"
    assert "KeyError" in reply.body["error"]["message"]
    [violation] = engine.violations()
    assert violation["kind"] == "response"
    assert "the mock failed: KeyError" in violation["problems"][0]["message"]
    assert engine.requests()[0]["status"] == 500


def test_a_usual_template_is_compiled_once_and_a_broken_one_refused_every_time():
    first = compile_template("/v1/appointments/{id}")
    assert compile_template("/v1/appointments/{id}") is first
    assert first.match("/v1/appointments/a1") == {"id": "a1"}
    long = "/v1/" + "x" * 300 + "/{id}"
    assert compile_template(long) is not compile_template(long)  # not kept: its length
    for _ in range(2):
        with pytest.raises(TemplateError, match="more than once"):
            compile_template("/v1/{a}/{a}")
