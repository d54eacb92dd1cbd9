"""One error type: every refusal carries a code, a message and a status, rendered once a surface."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest

import mockserver
from mockserver.core.errors import MockError, error_document
from mockserver.engine.facade import MockEngine
from mockserver.testing.control import ControlError, EngineBackend, HttpBackend
from mockserver.testing.transport import ASGITransport
from mockserver.web.app import create_app
from mockserver.web.server import PortInUseError, bind_socket

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("name", "also"),
    [
        ("ScenarioError", Exception),
        ("UnknownScenarioError", LookupError),
        ("ControlError", RuntimeError),
    ],
)
def test_the_public_errors_are_mock_errors_still_caught_as_before(name, also):
    error_type = getattr(mockserver, name)
    assert name in mockserver.__all__
    assert issubclass(error_type, MockError)
    assert issubclass(error_type, also)


def test_an_unknown_scenario_says_its_code_and_status():
    with pytest.raises(mockserver.UnknownScenarioError) as refused:
        MockEngine().load("huskyvoice/no-such")
    assert (refused.value.code, refused.value.status) == ("UNKNOWN_SCENARIO", 404)
    assert "did you mean" in refused.value.message or "Known:" in refused.value.message


def test_both_controls_carry_the_admin_apis_code_and_status():
    engine = MockEngine()
    http = HttpBackend("http://mock.test")
    http.http.close()
    http.http = httpx.Client(
        transport=ASGITransport(create_app(engine)), base_url="http://mock.test/__admin"
    )
    try:
        for backend in (EngineBackend(engine), http):
            with pytest.raises(ControlError) as refused:
                backend.load("leyr/no-such")
            assert (refused.value.code, refused.value.status) == ("UNKNOWN_SCENARIO", 404)
            with pytest.raises(ControlError) as refused:
                backend.set_clock({"now": "yesterday"})
            assert (refused.value.code, refused.value.status) == ("BAD_REQUEST", 400)
    finally:
        http.close()


def test_the_admin_error_body_is_error_document():
    client = httpx.Client(transport=ASGITransport(create_app(MockEngine())), base_url="http://m")
    with client:
        answer = client.get("/__admin/requests", params={"limit": "0"})
        assert answer.status_code == 400
        message = answer.json()["error"]["message"]
        assert answer.json() == error_document(MockError(message, field="limit"))
        assert message == "limit: a whole number from 1 to 1000"
        unrouted = client.get("/elsewhere")
        assert unrouted.status_code == 404
        assert unrouted.json()["error"]["code"] == "NOT_FOUND"


def test_a_taken_port_is_a_mock_error_and_an_os_error():
    held = bind_socket("127.0.0.1", 0)
    try:
        with pytest.raises(PortInUseError) as refused:
            bind_socket("127.0.0.1", held.getsockname()[1])
    finally:
        held.close()
    assert isinstance(refused.value, OSError) and refused.value.taken
    assert refused.value.code == "PORT_IN_USE"
    assert str(refused.value).startswith("cannot listen on 127.0.0.1:")


def _error_bodies_built(tree: ast.AST) -> list[int]:
    """Lines of dict literals shaped like the admin error body: `{"error": {"code": …}}`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                inner = value.keys if isinstance(value, ast.Dict) else []
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "error"
                    and any(isinstance(k, ast.Constant) and k.value == "code" for k in inner)
                ):
                    found.append(node.lineno)
    return found


def test_one_function_writes_the_admin_error_body():
    """Providers write their own envelopes; the mock's own body is written in one place."""
    places = {}
    for path in sorted((ROOT / "mockserver").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("mockserver/providers/"):
            continue
        lines = _error_bodies_built(ast.parse(path.read_text()))
        if lines:
            places[relative] = lines
    assert list(places) == ["mockserver/core/errors.py"], places


def test_the_error_classes_of_the_package_are_few_and_mock_errors():
    """Every exception class a caller may meet is a MockError; the rest are internal signals
    translated where they are raised (named here, so a new one is a decision)."""
    internal = {
        "StubFault",
        "RenderTooLarge",
        "TemplateError",
        "RegexError",
        "_Terminated",
        "WalkTooLong",  # jsonschema's walk past its budget: Contracts.check words it otherwise
    }
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "mockserver").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(base) for base in node.bases]
                if any(b.endswith(("Error", "Exception", "Fault")) for b in bases):
                    found[node.name] = bases
    outside = sorted(
        name
        for name, bases in found.items()
        if name != "MockError" and "MockError" not in bases and name not in internal
    )
    assert outside == [], outside
    family = sorted(name for name, bases in found.items() if "MockError" in bases)
    assert family == [
        "ApiError",
        "CommandError",
        "ControlError",
        "PatternError",
        "PortInUseError",
        "ScenarioError",
        "UnknownScenarioError",
    ]
