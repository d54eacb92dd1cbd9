"""pytest glue for the mock, registered through the `pytest11` entry point.

One server per test session (per xdist worker), on a free loopback port; each test gets a
handle reset to the scenarios it asks for, and fails at teardown if its client broke a
provider's contract.
"""

from __future__ import annotations

import json
import socket
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.documents import Violation

MARKER = "mockserver_scenario"


class MockServerContractWarning(UserWarning):
    """A client broke a provider's contract while --mockserver-lenient was on."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver", "appointment-cancellation mock server")
    group.addoption(
        "--mockserver-scenarios-dir",
        action="append",
        default=[],
        metavar="DIR",
        dest="mockserver_scenarios_dirs",
        help="a directory of your own scenario files (repeatable)",
    )
    group.addoption(
        "--mockserver-coverage",
        action="store_true",
        help="print which outcome of each documented operation the suite exercised",
    )
    group.addoption(
        "--mockserver-coverage-json",
        metavar="PATH",
        default=None,
        help="also write the contract coverage to PATH as JSON",
    )
    group.addoption(
        "--mockserver-coverage-fail-under",
        metavar="PCT",
        type=float,
        default=None,
        help="fail the run when the contract coverage is below PCT percent",
    )
    group.addoption(
        "--mockserver-url",
        default=None,
        metavar="URL",
        help="use this running mock server (mockserver serve) instead of starting one",
    )
    group.addoption(
        "--mockserver-port",
        type=int,
        default=None,
        metavar="PORT",
        help="port for the mock server the plugin starts (default: a free one)",
    )
    group.addoption(
        "--mockserver-lenient",
        action="store_true",
        default=None,
        help="only warn when a client breaks a provider's contract (default: the test fails)",
    )
    parser.addini(
        "mockserver_scenarios_dir", "directories of your own scenario files", type="paths"
    )
    parser.addini("mockserver_scenario", "default scenario(s), one per provider", type="linelist")
    parser.addini(
        "mockserver_lenient", "only warn on contract violations", type="bool", default=False
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*names): the mock scenarios this test runs against, one per provider "
        "(e.g. 'leyr/two-step')",
    )
    settings = _Settings(config)
    config.stash[_SETTINGS] = settings
    if settings.explicit:
        settings.check()


class _Settings:
    """The plugin's options, checked once at start so a mistake fails fast in one line."""

    def __init__(self, config: pytest.Config) -> None:
        option = config.option
        dirs = [Path(d) for d in option.mockserver_scenarios_dirs or []]
        self.scenarios_dirs = dirs or [Path(p) for p in config.getini("mockserver_scenarios_dir")]
        self.default_scenarios = [s for s in config.getini("mockserver_scenario") if s.strip()]
        self.url: str | None = option.mockserver_url
        self.port: int | None = option.mockserver_port
        lenient = option.mockserver_lenient
        self.lenient = bool(config.getini("mockserver_lenient") if lenient is None else lenient)
        self.explicit = bool(self.scenarios_dirs or self.default_scenarios or self.url or self.port)
        self.coverage_json: str | None = option.mockserver_coverage_json
        self.coverage_fail_under: float | None = option.mockserver_coverage_fail_under
        self.coverage = bool(
            option.mockserver_coverage or self.coverage_json or self.coverage_fail_under is not None
        )

    def check(self) -> None:
        if self.url:
            from mockserver.control import ControlError, HttpBackend

            backend = HttpBackend(self.url, timeout=3.0)
            try:
                backend.health()
                if self.default_scenarios:
                    backend.activate(self.default_scenarios)
            except ControlError as error:
                raise pytest.UsageError(f"--mockserver-url: {error}") from None
            finally:
                backend.close()
            return
        _ = self.engine
        if self.port:
            _check_port(self.port)

    @cached_property
    def engine(self) -> Any:
        """The engine, built once: by the start-up check when options are given, else lazily."""
        from mockserver import MockEngine, ScenarioError

        try:
            return MockEngine(self.default_scenarios, self.scenarios_dirs)
        except ScenarioError as error:
            raise pytest.UsageError(f"broken mock scenario files:\n{error}") from None
        except (LookupError, ValueError) as error:
            raise pytest.UsageError(f"mockserver_scenario: {error}") from None


def _check_port(port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise pytest.UsageError(
                f"--mockserver-port: cannot listen on 127.0.0.1:{port}: {error.strerror}"
            ) from None


_SETTINGS = pytest.StashKey[_Settings]()


class _Session:
    """The mock this session's tests share: a server the plugin runs, or one named by URL."""

    def __init__(self, settings: _Settings) -> None:
        from mockserver.control import EngineBackend, HttpBackend, MockControl

        self.settings = settings
        self.server: Any = None
        self.engine: Any = None
        if settings.url:
            self.backend: Any = HttpBackend(settings.url)
            self.control = MockControl(self.backend, settings.url.rstrip("/"))
            return
        from mockserver import MockServer
        from mockserver.server import PortInUseError

        self.engine = settings.engine
        self.server = MockServer(self.engine, port=settings.port or 0)
        try:
            self.server.start()
        except PortInUseError as error:
            pytest.exit(f"mockserver: {error}", returncode=pytest.ExitCode.USAGE_ERROR)
        self.backend = EngineBackend(self.engine)
        self.control = MockControl(self.backend, self.server.base_url)

    @cached_property
    def app(self) -> Any:
        """The ASGI app over this session's engine, for in-process transports."""
        from mockserver import create_app

        return create_app(self.engine)

    def transport(self) -> Any:
        from mockserver.transport import ASGITransport, ForwardingTransport

        if self.engine is None:  # --mockserver-url: the server runs elsewhere
            return ForwardingTransport(self.control.base_url)
        return ASGITransport(self.app)

    @cached_property
    def client(self) -> Any:
        """One httpx client for the whole session: building one costs tens of milliseconds."""
        import httpx

        return httpx.Client(transport=self.transport(), base_url=self.control.base_url)

    @cached_property
    def async_client(self) -> Any:
        import httpx

        return httpx.AsyncClient(transport=self.transport(), base_url=self.control.base_url)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()
        if self.server is not None:
            self.server.stop()
        else:
            self.backend.close()


class MockServerHandle:
    """What the `mockserver` fixture gives a test. See the README's pytest section."""

    def __init__(self, session: _Session) -> None:
        self._session = session
        self._control = session.control
        self.base_url: str = self._control.base_url
        self.requests = self._control.requests
        self.messages = self._control.messages
        self.clock = self._control.clock
        # Violations a test declared with expect_violation: not reported at teardown.
        self.expected: set[int] = set()

    @contextmanager
    def expect_violation(
        self, method: str | None = None, path: str | None = None, *, problem: str = ""
    ) -> Iterator[list[Violation]]:
        """Declare that the block breaks a provider's contract on purpose (a test of a client's
        error handling): it must record at least one matching violation, and those are not
        reported at teardown. `path` may be a template; `problem` is a substring of one of the
        violation's problems (its location or message). Yields the matching violations."""
        from mockserver.routing import compile_template

        seen = {v["request_id"] for v in self._control.violations}
        found: list[Violation] = []
        yield found
        route = compile_template(path) if path else None
        for violation in self._control.violations:
            if violation["request_id"] in seen:
                continue
            if method and violation["method"] != method.upper():
                continue
            if route and not route.match(violation["path"]):
                continue
            texts = [f"{p['location']}: {p['message']}" for p in violation["problems"]]
            if problem and not any(problem in text for text in texts):
                continue
            found.append(violation)
        if not found:
            wanted = " ".join(filter(None, [method, path, problem and f"({problem!r})"]))
            raise AssertionError(f"expected a contract violation {wanted}; none was recorded")
        self.expected.update(v["request_id"] for v in found)

    def load(self, *names: str | Mapping[str, Any]) -> dict[str, str]:
        """Switch the named providers to these scenarios now, with fresh state for them; the
        other providers keep theirs (one name per provider)."""
        return self._control.load(*names)

    def stub(self, method: str | None = None, path: str | None = None, **interaction: Any) -> Any:
        """An interaction for this test only, before the scenario's own; see MockControl.stub.
        `mockserver.stub("PATCH", "/v1/appointments/{appointment_id}", sequence=[…])`"""
        return self._control.stub(method, path, **interaction)

    def reset(self) -> None:
        self._control.reset()

    @property
    def active(self) -> dict[str, str]:
        return dict(self._control.active)

    @property
    def scenario(self) -> dict[str, Any]:
        return self._control.scenario

    def seeded(self, provider: str) -> dict[str, Any]:
        return self._control.seeded(provider)

    @property
    def violations(self) -> list[Violation]:
        return self._control.violations

    @property
    def transport(self) -> Any:
        """An httpx transport to the mock for `httpx.Client`: in-process, with no socket,
        when the plugin runs the mock; plain HTTP when it uses --mockserver-url."""
        return self._transport()

    @property
    def async_transport(self) -> Any:
        """The same for `httpx.AsyncClient`."""
        return self._transport(asynchronous=True)

    def _transport(self, asynchronous: bool = False) -> Any:
        return self._session.transport()

    @property
    def client(self) -> Any:
        """An `httpx.Client` on the mock (in process, or the --mockserver-url server), built
        once per session: pass your own headers per request."""
        return self._session.client

    @property
    def async_client(self) -> Any:
        """The same as an `httpx.AsyncClient`."""
        return self._session.async_client


@pytest.fixture(scope="session")
def mockserver_session(pytestconfig: pytest.Config) -> Iterator[_Session]:
    session = _Session(pytestconfig.stash[_SETTINGS])
    yield session
    if session.settings.coverage:
        pytestconfig.stash[_COVERAGE] = [session.backend.coverage()]
    session.close()


# Contract coverage: each worker's report, combined and told at the end of the run ------------

_COVERAGE = pytest.StashKey[list[dict[str, Any]]]()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    settings = config.stash.get(_SETTINGS, None)
    if settings is None or not settings.coverage:
        return
    reports = config.stash.get(_COVERAGE, [])
    if hasattr(config, "workeroutput"):  # an xdist worker: hand the report to the controller
        config.workeroutput["mockserver_coverage"] = json.dumps(reports)
        return
    from mockserver.coverage import combine, percent

    combined = combine(reports)
    config.stash[_COVERAGE] = [combined]
    if settings.coverage_json and combined:
        Path(settings.coverage_json).write_text(json.dumps(combined, indent=2))
    below = settings.coverage_fail_under
    if combined and below is not None and percent(combined) < below:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist: a worker finished; keep its coverage report for the combined one."""
    part = getattr(node, "workeroutput", {}).get("mockserver_coverage")
    if part:
        node.config.stash.setdefault(_COVERAGE, []).extend(json.loads(part))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    settings = config.stash.get(_SETTINGS, None)
    reports = config.stash.get(_COVERAGE, [])
    if settings is None or not settings.coverage or not reports or not reports[0]:
        return
    from mockserver.coverage import percent, text

    terminalreporter.section("mockserver contract coverage")
    for line in text(reports[0]):
        terminalreporter.line(line)
    total = percent(reports[0])
    below = settings.coverage_fail_under
    if below is not None and total < below:
        terminalreporter.line(f"FAIL: contract coverage {total}% is under {below:g}%", red=True)


def _requested(node: pytest.Item, settings: _Settings) -> list[str]:
    """The closest marker's scenario wins per provider; then the ini default."""
    chosen: dict[str, str] = {}
    for marker in node.iter_markers(MARKER):
        mine: dict[str, str] = {}
        for name in marker.args:
            if not isinstance(name, str) or "/" not in name:
                pytest.fail(
                    f"{MARKER}: {name!r} is not a scenario name like 'leyr/two-step'",
                    pytrace=False,
                )
            provider = name.split("/", 1)[0]
            if provider in mine:
                pytest.fail(
                    f"{MARKER}: {mine[provider]!r} and {name!r} are both {provider} scenarios; "
                    "name one per provider",
                    pytrace=False,
                )
            mine[provider] = name
        for provider, name in mine.items():
            chosen.setdefault(provider, name)  # the closest marker wins
    for name in settings.default_scenarios:
        chosen.setdefault(name.split("/", 1)[0], name)
    return list(chosen.values())


@pytest.fixture
def mockserver(
    request: pytest.FixtureRequest, mockserver_session: _Session
) -> Iterator[MockServerHandle]:
    from mockserver.control import ControlError, describe_violations

    settings = mockserver_session.settings
    try:
        mockserver_session.control.start(*_requested(request.node, settings))
        refused = None
    except ControlError as error:
        refused = str(error)
    if refused is not None:  # failed outside the except block: one message, no chained traceback
        pytest.fail(f"mockserver: {refused}", pytrace=False)
    handle = MockServerHandle(mockserver_session)
    yield handle
    violations = [
        v for v in mockserver_session.control.violations if v["request_id"] not in handle.expected
    ]
    if not violations:
        return
    message = describe_violations(violations)
    if settings.lenient:
        warnings.warn(MockServerContractWarning(message), stacklevel=1)
    else:
        pytest.fail(f"mock contract violations:\n{message}", pytrace=False)
