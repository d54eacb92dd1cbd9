"""Scripted interactions, faults, extends/overrides, hot reload and X-Mock-Scenario."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import AUTH, SEED_ID, in_process_client
from mockserver import MockEngine, MockServer, ScenarioError
from mockserver.cli.watch import ScenarioWatcher
from mockserver.core.patterns import parse_pattern
from servers import running_cli

LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
PATCH = f"/v1/appointments/{SEED_ID}"


def scenario(folder: Path, name: str, text: str, provider: str = "huskyvoice") -> Path:
    path = folder / provider / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def engine_with(
    tmp_path: Path, interactions: str, *, extends: str = "huskyvoice/direct-cancel"
) -> MockEngine:
    provider = extends.split("/")[0]
    scenario(
        tmp_path,
        "case",
        f"extends: {extends}\ndescription: case\ninteractions:\n"
        + textwrap.indent(textwrap.dedent(interactions), "  "),
        provider,
    )
    return MockEngine([f"{provider}/case"], [tmp_path])


def client(engine: MockEngine) -> httpx.Client:
    return in_process_client(engine)


def leyr_cancel(mock, path: str) -> httpx.Response:
    return mock.http.patch(path, json={"status": "cancelled"}, headers=LEYR)


def load_errors(tmp_path: Path, interactions: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        engine_with(tmp_path, interactions)
    return [str(p) for p in caught.value.problems]


# Matchers -------------------------------------------------------------------------------------------


def test_method_path_template_and_body_matchers(tmp_path):
    engine = engine_with(
        tmp_path,
        """
        - match:
            method: PATCH
            path: /v1/appointments/{appointment_id}
            body: {status: cancelled, notes: {regex: "^urgent"}, assigned_doctor: {present: false}}
          respond:
            status: 503
            body: {success: false, error: {code: BUSY, message: "busy with {{path.appointment_id}}"}}
    """,
    )
    with client(engine) as http:
        plain = http.patch(PATCH, json={"status": "cancelled"}, headers=AUTH)
        assert plain.status_code == 200  # notes absent: regex does not match
        engine.reset()
        hit = http.patch(PATCH, json={"status": "cancelled", "notes": "urgent: flu"}, headers=AUTH)
        assert hit.status_code == 503
        assert hit.json()["error"]["message"] == f"busy with {SEED_ID}"
        with_doctor = http.patch(
            PATCH,
            json={"status": "cancelled", "notes": "urgent", "assigned_doctor": "Dr"},
            headers=AUTH,
        )
        assert with_doctor.status_code == 200
    hit_entry, doctor_entry = engine.requests()
    assert hit_entry["interaction"]["name"] == "interaction 1"
    assert doctor_entry["interaction"] is None


def test_query_header_and_path_regex_matchers(tmp_path):
    engine = engine_with(
        tmp_path,
        """
        - match:
            method: GET
            path_regex: "^/v1/appointments$"
            query: {limit: "5", status: {regex: "^cancel"}}
            headers: {X-Test-Case: {present: true}}
          respond:
            status: 429
            headers: {Retry-After: "7"}
            body: {error: {code: RATE_LIMIT_EXCEEDED, message: "slow down"}}
    """,
    )
    with client(engine) as http:
        assert (
            http.get(
                "/v1/appointments", params={"limit": 5, "status": "cancelled"}, headers=AUTH
            ).status_code
            == 200
        )
        limited = http.get(
            "/v1/appointments",
            params={"limit": 5, "status": "cancelled"},
            headers={**AUTH, "X-Test-Case": "1"},
        )
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "7"
        assert (
            http.get(
                "/v1/appointments",
                params={"limit": 6, "status": "cancelled"},
                headers={**AUTH, "X-Test-Case": "1"},
            ).status_code
            == 200
        )
    assert engine.violations() == []


# Responses -------------------------------------------------------------------------------------------


def test_templates_read_request_appointment_clock_state_and_faker(tmp_path):
    engine = engine_with(
        tmp_path,
        """
        - match: {method: GET, path: "/v1/appointments/{appointment_id}"}
          respond:
            status: 200
            body:
              success: true
              data:
                appointment_id: "{{path.appointment_id}}"
                appointment_type: "{{appointment.appointment_type}}"
                branch_id: "{{query.branch}}"
                date: "{{appointment.date}}"
                session: "{{appointment.session}}"
                batch: "{{header.x-batch}}"
                token: "{{appointment.token}}"
                patient_name: "{{faker.first_name}}"
                parent_phone: "{{appointment.parent_phone}}"
                assigned_doctor: "{{request.method}} {{state}}"
                status: "{{appointment.status}}"
                external_reference_id: null
                created_at: "{{appointment.created_at}}"
                updated_at: "{{now}}"
    """,
    )
    with client(engine) as http:
        reply = http.get(
            f"/v1/appointments/{SEED_ID}",
            params={"branch": "b-7"},
            headers={**AUTH, "X-Batch": "MZ"},
        )
    data = reply.json()["data"]
    assert data["appointment_id"] == SEED_ID
    assert (data["branch_id"], data["batch"], data["token"]) == ("b-7", "MZ", None)
    assert data["assigned_doctor"] == "GET started"
    assert data["updated_at"] == "2026-05-26T12:00:00.000Z"
    assert data["patient_name"] and isinstance(data["patient_name"], str)
    # The answer keeps to the contract; the request does not: GET one appointment declares no
    # query parameter, whatever answers it.
    [violation] = engine.violations()
    assert [p["location"] for p in violation["problems"]] == ["request"]
    assert "takes no query parameters; got 'branch'" in violation["problems"][0]["message"]


def test_error_form_uses_the_providers_envelope_with_emr_error(mock_for):
    leyr = mock_for("leyr/emr-error")
    reply = leyr_cancel(leyr, "/api/emrs/anitasystems/care-units/L0_1/appointments/2001")
    assert reply.status_code == 502
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["code"] == "EMR_ERROR"
    assert problem["errors"][0]["emr_error"]["message"] == "Timetable locked for maintenance"
    assert problem["detail"] == "The EHR rejected the cancellation of appointment 2001 in L0_1"
    other = leyr_cancel(leyr, "/api/emrs/anitasystems/care-units/L0_1/appointments/2002")
    assert other.json()["status"] == "awaiting_confirmation"
    assert leyr.http.get("/__admin/messages").json()["messages"][0]["original_id"] == "2002"


def test_service_unavailable_scenario(mock_for):
    leyr = mock_for("leyr/service-unavailable")
    reply = leyr_cancel(leyr, "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001")
    assert (reply.status_code, reply.headers["retry-after"], reply.json()["code"]) == (
        503,
        "30",
        "SERVICE_UNAVAILABLE",
    )
    leyr.http.put("/__admin/scenario", json={"name": "leyr/direct-cancel"})
    assert (
        leyr.http.get(
            "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001", headers=LEYR
        ).json()["status"]
        == "booked"
    )


def test_flaky_scenario_fails_once_per_appointment_then_cancels(mock_for):
    mock = mock_for("huskyvoice/flaky")
    first = mock.cancel()
    assert (first.status_code, first.headers["retry-after"]) == (503, "1")
    assert first.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert mock.appointment()["status"] == "confirmed"
    assert mock.cancel().status_code == 200
    assert mock.cancel("appt_0f1e2d3c4b").status_code == 503
    assert mock.engine.violations() == []


def test_times_then_fall_through(tmp_path):
    engine = engine_with(
        tmp_path,
        """
        - match: {method: GET, path: /v1/appointment-config}
          times: 2
          respond: {status: 500, body: {success: false, error: {code: INTERNAL_ERROR, message: boom}}}
    """,
    )
    with client(engine) as http:
        statuses = [http.get("/v1/appointment-config", headers=AUTH).status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]


def test_states_are_kept_per_appointment(tmp_path):
    engine = engine_with(
        tmp_path,
        """
        - name: first attempt
          match: {method: PATCH, path: "/v1/appointments/{appointment_id}"}
          when_state: started
          set_state: tried
          respond: {status: 503, body: {success: false, error: {code: TRY_AGAIN, message: later}}}
        - name: second attempt
          match: {method: PATCH, path: "/v1/appointments/{appointment_id}"}
          when_state: tried
          set_state: done
          respond: {passthrough: true}
    """,
    )
    with MockServer(engine) as server, httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        ids = ["appt_a1b2c3d4e5", "appt_0f1e2d3c4b"]

        def attempt(appointment_id: str) -> int:
            return http.patch(
                f"/v1/appointments/{appointment_id}", json={"status": "cancelled"}
            ).status_code

        with ThreadPoolExecutor(4) as pool:
            first = list(pool.map(attempt, ids * 1))
            second = list(pool.map(attempt, ids))
            third = list(pool.map(attempt, ids))
    assert first == [503, 503]
    assert second == [200, 200]
    assert third == [200, 200]  # state "done": no interaction matches, the provider answers
    assert [e["interaction"]["name"] if e["interaction"] else None for e in engine.requests()][
        :4
    ] == [
        "first attempt",
        "first attempt",
        "second attempt",
        "second attempt",
    ]


def test_violates_contract_is_answered_as_written_and_marked(tmp_path):
    engine = engine_with(
        tmp_path,
        """
        - match: {method: GET, path: /v1/appointment-config}
          violates_contract: true
          respond: {status: 200, body: {ok: "not the documented shape"}}
    """,
    )
    with client(engine) as http:
        reply = http.get("/v1/appointment-config", headers=AUTH)
    assert reply.json() == {"ok": "not the documented shape"}
    assert engine.violations() == []
    assert engine.requests()[0]["interaction"]["violates_contract"] is True


# Faults -------------------------------------------------------------------------------------------


@pytest.fixture
def faults_engine(tmp_path):
    return engine_with(
        tmp_path,
        """
        - match: {method: GET, path: /v1/appointment-config}
          respond: {passthrough: true, fault: malformed_body}
        - match: {method: GET, path: "/v1/appointments/{appointment_id}"}
          respond: {passthrough: true, fault: truncated_body}
        - match: {method: GET, path: /v1/appointments}
          respond: {status: 200, raw_body: "<html>gateway</html>", headers: {Content-Type: text/html}}
          violates_contract: true
    """,
    )


def test_connection_drop_is_a_transport_error_over_sockets_and_in_process(mock_for):
    leyr = mock_for("leyr/connection-drop")
    url = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"
    with MockServer(leyr.engine) as server:
        with pytest.raises(httpx.TransportError):
            httpx.patch(f"{server.base_url}{url}", json={"status": "cancelled"}, headers=LEYR)
        retry = httpx.patch(f"{server.base_url}{url}", json={"status": "cancelled"}, headers=LEYR)
    assert retry.json()["status"] == "cancelled"
    with pytest.raises(httpx.TransportError):
        leyr_cancel(leyr, "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1002")


def test_malformed_and_truncated_bodies(faults_engine):
    with (
        MockServer(faults_engine) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as http,
    ):
        malformed = http.get("/v1/appointment-config")
        assert malformed.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            malformed.json()
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"/v1/appointments/{SEED_ID}")
        html = http.get("/v1/appointments")
        assert (html.text, html.headers["content-type"]) == ("<html>gateway</html>", "text/html")


def test_latency_does_not_hold_up_other_requests(mock_for):
    mock = mock_for("huskyvoice/slow")
    with (
        MockServer(mock.engine) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as http,
    ):
        slow_done = threading.Event()

        def slow() -> int:
            status = http.patch(PATCH, json={"status": "cancelled"}).status_code
            slow_done.set()
            return status

        with ThreadPoolExecutor(2) as pool:
            pending = pool.submit(slow)
            deadline = time.monotonic() + 10
            while not mock.engine.requests(parse_pattern({"method": "PATCH"})):
                assert time.monotonic() < deadline, "the slow cancel never reached the mock"
                threading.Event().wait(0.01)
            fast = http.get("/__admin/health")
            assert fast.status_code == 200
            assert not slow_done.is_set()  # answered while the slow cancel still waits
            assert pending.result() == 200
    statuses = [e["status"] for e in mock.engine.requests()]
    assert statuses == [200]


def test_a_timed_out_cancel_still_happened(mock_for):
    mock = mock_for("huskyvoice/slow")
    with MockServer(mock.engine) as server:
        with pytest.raises(httpx.ReadTimeout):
            httpx.patch(
                f"{server.base_url}{PATCH}", json={"status": "cancelled"}, headers=AUTH, timeout=0.3
            )
        seen = httpx.get(f"{server.base_url}{PATCH}", headers=AUTH, timeout=5)
        assert seen.json()["data"]["status"] == "cancelled"


# Load-time errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interactions", "needle"),
    [
        (
            "- match: {method: GET}\n  respond: {status: 200, body: {x: '{{nope}}'}}\n",
            "unknown placeholder {{nope}}",
        ),
        (
            "- match: {method: GET}\n  respond: {status: 200, body: {x: '{{faker.exec}}'}}\n",
            "faker calls allowed",
        ),
        (
            "- match: {method: GET, path: /v1/x}\n  respond: {status: 404, body: {x: '{{path.id}}'}}\n",
            "path parameters are none",
        ),
        (
            "- match: {method: GET}\n  respond: {status: 404, body: {x: '{{appointment.colour}}'}}\n",
            "appointment fields are",
        ),
        (
            "- match: {query: {a: {regex: '(('}}}\n  respond: {passthrough: true}\n",
            "does not compile",
        ),
        (
            "- match: {path_regex: '[z-a]'}\n  respond: {passthrough: true}\n",
            "does not compile",
        ),
        (
            "- match: {method: GET}\n  times: 0\n  respond: {passthrough: true}\n",
            "times: 0 is less than the minimum of 1",
        ),
        ("- match: {method: GET}\n", "give exactly one of respond or sequence"),
        (
            "- match: {method: GET}\n  respond: {passthrough: true, body: {}}\n",
            "not body and passthrough",
        ),
        ("- match: {method: GET}\n  respond: {fault: explode}\n", "respond.fault"),
        (
            "- match: {method: GET}\n  respond: {delay_ms: [500, 100], passthrough: true}\n",
            "low end is above its high end",
        ),
        (
            "- match: {method: GET, path: /v1/appointment-config}\n  respond: {status: 200, body: {success: true, data: {allow_cancellation: maybe}}}\n",
            "breaks huskyvoice/config.response",
        ),
        (
            "- match: {method: GET, path: /v1/elsewhere}\n  respond: {status: 200, body: {}}\n",
            "cannot be checked",
        ),
        (
            "- match: {method: PATCH, path: '/v1/appointments/{appointment_id}'}\n  respond: {status: 503, body: {success: false, error: {code: lower}}}\n",
            "breaks huskyvoice/error",
        ),
        (
            "- match: {method: GET}\n  respond: {status: 503, error: {code: BUSY, status: 502}}\n",
            "502 differs from the step's status 503",
        ),
        (
            "- match: {method: GET}\n  respond: {status: 200, error: {code: BUSY}}\n",
            "an error answers with a 4xx or 5xx status",
        ),
        (
            "- match: {method: GET}\n  respond: {error: {code: BUSY, message: '{{nope}}'}}\n",
            "unknown placeholder {{nope}}",
        ),
        (
            "- match: {body: {a: {regex: 3}}}\n  respond: {passthrough: true}\n",
            "takes a string",
        ),
    ],
)
def test_interaction_load_errors_name_file_line_and_field(tmp_path, interactions, needle):
    problems = load_errors(tmp_path, interactions)
    assert any(needle in p for p in problems), problems
    file = str(tmp_path / "huskyvoice" / "case.yaml")
    assert all(p.startswith(f"{file}:") for p in problems), problems
    assert all(":1:" not in p.split(file)[1][:3] for p in problems if "interactions" in p)


def test_a_contract_error_points_at_the_line_of_the_field(tmp_path):
    problems = load_errors(
        tmp_path,
        """
        - match: {method: GET, path: /v1/appointment-config}
          respond:
            status: 200
            body:
              success: true
              data:
                allow_cancellation: maybe
    """,
    )
    text = (tmp_path / "huskyvoice" / "case.yaml").read_text().splitlines()
    line = next(n for n, row in enumerate(text, 1) if "allow_cancellation: maybe" in row)
    assert problems[0].split(":")[1] == str(line)
    assert "interactions[0].respond.body.data.allow_cancellation" in problems[0]


def test_validate_reports_every_interaction_problem_in_one_run(tmp_path):
    import subprocess
    import sys

    scenario(
        tmp_path,
        "one",
        "extends: huskyvoice/direct-cancel\ndescription: x\ninteractions:\n  - match: {method: GET}\n    times: 0\n    respond: {body: {x: '{{bad}}'}}\n",
    )
    scenario(tmp_path, "two", "extends: huskyvoice/nope\ndescription: x\n")
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "times: 0 is less than the minimum of 1" in result.stderr
    assert "unknown scenario 'huskyvoice/nope'" in result.stderr


# extends and overrides ------------------------------------------------------------------------------------


def test_extends_merges_mappings_and_replaces_lists(tmp_path):
    scenario(
        tmp_path,
        "strict",
        """
        extends: huskyvoice/direct-cancel
        description: stricter notice
        org: {cancellation_notice_hours: 999}
        api_keys:
          - {key: OTHER_KEY, scopes: [appointments:read, appointments:write]}
    """,
    )
    engine = MockEngine(["huskyvoice/strict"], [tmp_path])
    data = engine.active()["huskyvoice"].data
    assert data["org"]["cancellation_notice_hours"] == 999
    assert data["org"]["timezone"] == "Asia/Kolkata"
    assert [k["key"] for k in data["api_keys"]] == ["OTHER_KEY"]
    with client(engine) as http:
        reply = http.patch(
            PATCH, json={"status": "cancelled"}, headers={"Authorization": "Bearer OTHER_KEY"}
        )
    assert reply.json()["error"]["code"] == "CANCELLATION_NOTICE_PERIOD"


def test_extends_errors_point_at_the_child(tmp_path):
    a = scenario(tmp_path, "a", "extends: huskyvoice/b\ndescription: a\n")
    scenario(tmp_path, "b", "extends: huskyvoice/a\ndescription: b\n")
    c = scenario(
        tmp_path,
        "c",
        "extends: huskyvoice/direct-cancel\ndescription: c\norg: {cancellation_notice_hours: soon}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        MockEngine([], [tmp_path])
    text = str(caught.value)
    assert f"{a}:1: extends: extends cycle: huskyvoice/a -> huskyvoice/b -> huskyvoice/a" in text
    assert f"{c}:3: org.cancellation_notice_hours:" in text


def test_inherited_problem_points_at_the_parent_file(tmp_path):
    parent = scenario(
        tmp_path,
        "parent",
        (
            Path(__file__).parent.parent / "scenarios" / "huskyvoice" / "direct-cancel.yaml"
        ).read_text(),
    )
    scenario(
        tmp_path,
        "child",
        "extends: huskyvoice/parent\ndescription: child\norg: {timezone: Mars/Base}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        MockEngine([], [tmp_path])
    assert (
        f"{tmp_path / 'huskyvoice' / 'child.yaml'}:3: org.timezone: unknown IANA time zone"
        in str(caught.value)
    )
    assert str(parent)  # the parent itself is fine


def test_overrides_replaces_a_builtin_and_may_extend_it(tmp_path):
    scenario(
        tmp_path,
        "direct-cancel",
        """
        extends: huskyvoice/direct-cancel
        overrides: true
        description: the team's own direct-cancel, cancellation switched off
        org: {allow_cancellation: false}
    """,
    )
    engine = MockEngine([], [tmp_path])
    active = engine.active()["huskyvoice"]
    assert active.description.startswith("the team's own")
    assert active.data["appointments"][0]["appointment_id"] == SEED_ID
    with client(engine) as http:
        assert http.patch(PATCH, json={"status": "cancelled"}, headers=AUTH).status_code == 403


def test_two_user_files_with_one_name(tmp_path):
    scenario(tmp_path / "one", "same", "extends: huskyvoice/direct-cancel\ndescription: a\n")
    scenario(tmp_path / "two", "same", "extends: huskyvoice/direct-cancel\ndescription: b\n")
    with pytest.raises(ScenarioError, match="'huskyvoice/same' is already defined by"):
        MockEngine([], [tmp_path / "one", tmp_path / "two"])


# Hot reload -----------------------------------------------------------------------------------------------


def test_watch_reloads_good_edits_and_keeps_the_last_good_version(tmp_path):
    path = scenario(tmp_path, "live", "extends: huskyvoice/direct-cancel\ndescription: live\n")
    engine = MockEngine(["huskyvoice/live"], [tmp_path])
    reports: list[str] = []
    watcher = ScenarioWatcher(engine, report=reports.append)
    assert watcher.check() is False
    path.write_text(
        "extends: huskyvoice/direct-cancel\ndescription: live\norg: {allow_cancellation: false}\n"
    )
    assert watcher.check() is True
    assert "restarted huskyvoice/live" in reports[-1]
    with client(engine) as http:
        assert http.patch(PATCH, json={"status": "cancelled"}, headers=AUTH).status_code == 403
        path.write_text(
            "extends: huskyvoice/direct-cancel\ndescription: live\norg: {allow_cancellation: perhaps}\n"
        )
        assert watcher.check() is True
        assert "not reloaded, still serving the last good ones" in reports[-1]
        assert f"{path}:3: org.allow_cancellation" in reports[-1]
        assert http.patch(PATCH, json={"status": "cancelled"}, headers=AUTH).status_code == 403
        assert engine.active()["huskyvoice"].data["org"]["allow_cancellation"] is False


def test_serve_watch_reloads_a_running_server(tmp_path):
    from servers import running_cli

    path = scenario(tmp_path, "live", "extends: huskyvoice/direct-cancel\ndescription: live\n")
    with running_cli(
        ["--watch", "--scenarios-dir", str(tmp_path), "--scenario", "huskyvoice/live"]
    ) as run:
        assert (
            httpx.patch(
                f"{run.base_url}{PATCH}", json={"status": "cancelled"}, headers=AUTH
            ).status_code
            == 200
        )
        path.write_text(
            "extends: huskyvoice/direct-cancel\ndescription: live\norg: {allow_cancellation: false}\n"
        )
        for _ in range(100):
            if (
                httpx.get(f"{run.base_url}/__admin/scenario").json()["huskyvoice"]["seeded"]["org"][
                    "allow_cancellation"
                ]
                is False
            ):
                break
            threading.Event().wait(0.1)
        assert (
            httpx.patch(
                f"{run.base_url}{PATCH}", json={"status": "cancelled"}, headers=AUTH
            ).status_code
            == 403
        )
    assert "scenario files reloaded" in run.stderr


# X-Mock-Scenario -------------------------------------------------------------------------------------------


def test_scenario_header_answers_one_request_from_another_scenario(mock):
    other = mock.http.patch(
        PATCH,
        json={"status": "cancelled"},
        headers={**AUTH, "X-Mock-Scenario": "huskyvoice/cancellation-disabled"},
    )
    assert other.json()["error"]["code"] == "CANCELLATION_NOT_ALLOWED"
    assert (
        mock.http.get("/__admin/health").json()["active"]["huskyvoice"]
        == "huskyvoice/direct-cancel"
    )
    assert mock.appointment()["status"] == "confirmed"
    assert mock.cancel().status_code == 200
    assert mock.engine.requests()[0]["scenario"] == "huskyvoice/cancellation-disabled"
    unknown = mock.http.get(PATCH, headers={**AUTH, "X-Mock-Scenario": "huskyvoice/nope"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "UNKNOWN_SCENARIO")
    assert mock.engine.requests()[-1]["response"] == unknown.json()
    wrong = mock.http.get(PATCH, headers={**AUTH, "X-Mock-Scenario": "leyr/two-step"})
    assert "is not a huskyvoice scenario" in wrong.json()["error"]["message"]


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("{status: 503, error: {code: SERVICE_UNAVAILABLE}}", 503),
        ("{error: {code: SERVICE_UNAVAILABLE, status: 502}}", 502),
        ("{status: 504, error: {code: SERVICE_UNAVAILABLE, status: 504}}", 504),
        ("{error: {code: NOT_FOUND}}", 404),  # the provider's own status for the code
        ("{error: {code: SOMETHING_NEW}}", 400),  # an unknown code: the provider's default
    ],
)
def test_a_step_status_and_its_error_compose_by_one_rule(tmp_path, step, status):
    engine = engine_with(tmp_path, f"- match: {{method: PATCH}}\n  respond: {step}\n")
    with client(engine) as http:
        reply = http.patch(PATCH, json={"status": "cancelled"}, headers=AUTH)
    assert reply.status_code == status
    assert reply.json()["success"] is False
    assert engine.violations() == []


def test_leyr_per_appointment_counters_know_both_spellings_of_an_id(mock_for):
    leyr = mock_for("leyr/connection-drop")
    base = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/"
    with pytest.raises(httpx.TransportError):
        leyr_cancel(leyr, base + "1001")
    # emr_id:1001 is the same appointment: its one dropped answer is spent.
    retry = leyr_cancel(leyr, base + "emr_id:1001")
    assert (retry.status_code, retry.json()["status"]) == (200, "cancelled")
    first, second = leyr.engine.requests()
    assert first["interaction"]["key"] == "webdoc/1001"
    assert (second["interaction"], second["appointment"]) == (None, "webdoc/1001")


def test_generate_belongs_to_huskyvoice_only(tmp_path):
    scenario(
        tmp_path,
        "generated",
        "extends: leyr/direct-cancel\ndescription: x\ngenerate: {appointments: 500}\n",
        "leyr",
    )
    with pytest.raises(ScenarioError, match="generate: unknown field"):
        MockEngine([], [tmp_path])


def test_a_client_timeout_holds_in_process_as_over_sockets(mock_for):
    mock = mock_for("huskyvoice/slow")
    with pytest.raises(httpx.ReadTimeout):
        mock.http.patch(PATCH, json={"status": "cancelled"}, headers=AUTH, timeout=0.3)
    seen = mock.http.get(PATCH, headers=AUTH, timeout=5)  # slow, in time
    assert (seen.status_code, seen.json()["data"]["status"]) == (200, "cancelled")


def test_a_client_timeout_holds_for_async_clients_and_inside_a_running_loop(mock_for):
    import asyncio

    from mockserver import create_app
    from mockserver.testing.transport import ASGITransport

    mock = mock_for("huskyvoice/slow")
    transport = ASGITransport(create_app(mock.engine))

    async def scenario() -> None:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://mock", headers=AUTH
        ) as client:
            with pytest.raises(httpx.ReadTimeout):
                await client.patch(PATCH, json={"status": "cancelled"}, timeout=0.3)
            assert (await client.get(PATCH, timeout=5)).status_code == 200
        # A sync client inside a running loop (a sync library in an async test) times out too.
        with (
            httpx.Client(transport=transport, base_url="http://mock", headers=AUTH) as client,
            pytest.raises(httpx.ReadTimeout),
        ):
            client.patch(PATCH, json={"status": "cancelled"}, timeout=0.3)

    asyncio.run(scenario())


def test_a_scripted_connection_drop_is_no_server_error_in_the_log():
    url = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments/1001"
    with running_cli(["--scenario", "leyr/connection-drop"]) as run:
        with pytest.raises(httpx.TransportError):
            httpx.patch(f"{run.base_url}{url}", json={"status": "cancelled"}, headers=LEYR)
        retry = httpx.patch(f"{run.base_url}{url}", json={"status": "cancelled"}, headers=LEYR)
        assert retry.json()["status"] == "cancelled"
    assert "without completing response" not in run.stderr, run.stderr
    assert "ERROR" not in run.stderr, run.stderr


def test_the_faults_a_scenario_may_name_are_the_ones_the_server_knows():
    """One list of faults: the scenario schema's enum is the Fault enum's values."""
    from mockserver.core.contracts import default_contracts
    from mockserver.core.reply import Fault

    schema = default_contracts().documents["scenario.schema"]
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("fault"), dict) and "enum" in node["fault"]:
                found.append(sorted(node["fault"]["enum"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert found and all(enum == sorted(f.value for f in Fault) for enum in found)
