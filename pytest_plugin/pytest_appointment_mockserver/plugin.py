"""pytest glue for the mock, registered through the `pytest11` entry point.

One server per test session (per xdist worker), on a free loopback port; each test gets a
handle reset to the scenarios it asks for, and fails at teardown if its client broke a
provider's contract.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import uuid
import warnings
from collections.abc import Generator, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.engine.facade import MockEngine
    from mockserver.testing.handle import MockServerHandle
    from mockserver.testing.session import MockSession

MARKER = "mockserver_scenario"
STRICT_MARKER = "mockserver_strict"
# The fixture drives the mock with httpx, which the base package does not install.
MISSING_HTTPX = (
    "mockserver: the fixture needs httpx; install the plugin's extra: "
    "pip install 'appointment-cancellation-mockserver[pytest]'"
)


def _has_httpx() -> bool:
    return importlib.util.find_spec("httpx") is not None


class MockServerContractWarning(UserWarning):
    """A client broke a provider's contract while --mockserver-lenient was on."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver", "appointment-cancellation mock server")
    _coverage_options(group)
    _server_options(group)
    _mode_options(group)
    _ini_options(parser)


def _coverage_options(group: pytest.OptionGroup) -> None:
    """Where scenarios come from, and what the run reports at its end."""
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
        "--mockserver-report-dir",
        metavar="DIR",
        default=None,
        help="write the run's report there at the end: JUnit XML, summary.md, violations, "
        "coverage, journal (as `mockserver run --report-dir`)",
    )


def _server_options(group: pytest.OptionGroup) -> None:
    """Which mock server the fixture drives."""
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
        help="port for the mock server the plugin starts (default: a free one); "
        "under xdist, worker n listens on PORT + n",
    )


def _mode_options(group: pytest.OptionGroup) -> None:
    """How strictly a test is judged."""
    group.addoption(
        "--mockserver-lenient",
        action="store_true",
        default=None,
        help="only warn when a client breaks a provider's contract (default: the test fails)",
    )
    group.addoption(
        "--mockserver-strict",
        action="store_true",
        default=None,
        help="fail a test that made a request none of its assertions matched and none of its "
        "stubs answered, or left a stub with times unused",
    )


def _ini_options(parser: pytest.Parser) -> None:
    parser.addini(
        "mockserver_strict", "strict mode for every test (--mockserver-strict)", type="bool"
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
    config.addinivalue_line(
        "markers",
        f"{STRICT_MARKER}(on=True): strict mode for this test, class or module "
        "(every request asserted or answered by a stub; stubs with times used up)",
    )
    settings = _Settings(config)
    config.stash[_SETTINGS] = settings
    if settings.explicit or settings.report_dir:
        settings.check()


class _Settings:
    """The plugin's options, checked once at start so a mistake fails fast in one line."""

    def __init__(self, config: pytest.Config) -> None:
        option = config.option
        dirs = [Path(d) for d in option.mockserver_scenarios_dirs or []]
        self.scenarios_dirs = dirs or [Path(p) for p in config.getini("mockserver_scenarios_dir")]
        self.default_scenarios = [s for s in config.getini("mockserver_scenario") if s.strip()]
        self.url: str | None = option.mockserver_url
        self.asked_port: int | None = option.mockserver_port
        # Under xdist, worker n listens on the asked port + n, so workers never collide.
        self.worker = _worker_index(config)
        self.port = None if self.asked_port is None else self.asked_port + (self.worker or 0)
        self.workers = _worker_count(config)
        lenient = option.mockserver_lenient
        self.lenient = bool(config.getini("mockserver_lenient") if lenient is None else lenient)
        strict = option.mockserver_strict
        self.strict = bool(config.getini("mockserver_strict") if strict is None else strict)
        self.explicit = bool(
            self.scenarios_dirs or self.default_scenarios or self.url or self.asked_port
        )
        report_dir = option.mockserver_report_dir
        self.report_dir: Path | None = Path(report_dir) if report_dir else None
        self.coverage_json: str | None = option.mockserver_coverage_json
        self.coverage_fail_under: float | None = option.mockserver_coverage_fail_under
        self.coverage = bool(
            option.mockserver_coverage or self.coverage_json or self.coverage_fail_under is not None
        )

    def check(self) -> None:
        if self.url and self.report_dir:
            raise pytest.UsageError(
                "--mockserver-report-dir: the report is written from the plugin's own server; "
                "with --mockserver-url, start that server with `mockserver serve --report-dir`"
            )
        if self.url:
            if not _has_httpx():
                raise pytest.UsageError(MISSING_HTTPX)
            from mockserver.testing.control import ControlError, HttpBackend, MockControl

            backend = HttpBackend(self.url, timeout=3.0)
            control = MockControl(backend)
            control.local = self.local_scenarios
            try:
                backend.health()
                if self.default_scenarios:
                    control.start(*self.default_scenarios)
            except ControlError as error:
                raise pytest.UsageError(f"--mockserver-url: {error}") from None
            finally:
                backend.close()
            return
        _ = self.engine
        if self.asked_port and self.worker is None:  # the controller checks every worker's port
            for offset in range(max(self.workers, 1)):
                _check_port(self.asked_port + offset, offset if self.workers else None)

    @cached_property
    def local_scenarios(self) -> dict[str, Any]:
        """The suite's own scenarios (its folders' files), fully merged, by name: a server
        started elsewhere gets them as data, so markers naming them work against it too."""
        if not self.scenarios_dirs:
            return {}
        from mockserver import MockEngine, ScenarioError

        try:
            catalog = MockEngine((), self.scenarios_dirs).catalog
        except ScenarioError as error:
            raise pytest.UsageError(f"broken mock scenario files:\n{error}") from None
        # JSON-safe, as the admin API takes them (a YAML date becomes its text).
        return {
            scenario.name: json.loads(json.dumps(dict(scenario.data), default=str))
            for scenario in catalog
            if scenario.source != "builtin"
        }

    @cached_property
    def engine(self) -> MockEngine:
        """The engine, built once: by the start-up check when options are given, else lazily."""
        from mockserver import MockEngine, ScenarioError

        try:
            return MockEngine(self.default_scenarios, self.scenarios_dirs)
        except ScenarioError as error:
            raise pytest.UsageError(f"broken mock scenario files:\n{error}") from None
        except (LookupError, ValueError) as error:
            raise pytest.UsageError(f"mockserver_scenario: {error}") from None


def _worker_index(config: pytest.Config) -> int | None:
    """This xdist worker's number (gw3 -> 3), None outside a worker."""
    worker = getattr(config, "workerinput", {}).get("workerid", "")
    return int(worker[2:]) if worker[:2] == "gw" and worker[2:].isdigit() else None


def _worker_count(config: pytest.Config) -> int:
    """How many xdist workers this run starts (0 without xdist); xdist has turned `auto` into a
    number by the time plugins are configured."""
    count = getattr(config.option, "numprocesses", None)
    if getattr(config.option, "dist", "no") == "no" or not isinstance(count, int):
        return 0
    return count


def _check_port(port: int, worker: int | None = None) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            who = (
                ""
                if worker is None
                else f" (xdist worker gw{worker} listens on the port + {worker})"
            )
            raise pytest.UsageError(
                f"--mockserver-port: cannot listen on 127.0.0.1:{port}{who}: {error.strerror}"
            ) from None


_SETTINGS = pytest.StashKey[_Settings]()


def _start_session(settings: _Settings) -> MockSession:
    from mockserver.testing.session import MockSession
    from mockserver.web.server import PortInUseError

    if settings.url:
        # A session of the shared server per pytest process (per xdist worker): parallel
        # workers and other suites on the same server never see each other's state.
        session = MockSession(url=settings.url, session=f"pytest-{uuid.uuid4().hex[:12]}")
        session.control.local = settings.local_scenarios
        return session
    try:
        return MockSession(settings.engine, port=settings.port or 0)
    except PortInUseError as error:
        if settings.worker is not None:  # exiting a worker would crash xdist: fail its tests
            pytest.fail(f"mockserver: --mockserver-port: {error}", pytrace=False)
        pytest.exit(f"mockserver: {error}", returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def mockserver_session(pytestconfig: pytest.Config) -> Iterator[MockSession]:
    settings = pytestconfig.stash[_SETTINGS]
    if not _has_httpx():
        pytest.fail(MISSING_HTTPX, pytrace=False)
    session = _start_session(settings)
    yield session
    if settings.coverage:
        pytestconfig.stash[_COVERAGE] = [session.backend.coverage()]
    if settings.report_dir and session.engine is not None:
        from pytest_appointment_mockserver.reporting import worker_record

        expected = pytestconfig.stash.get(_EXPECTED, set())
        pytestconfig.stash[_RECORDS] = [worker_record(session.engine, expected)]
    session.close()


# Contract coverage: each worker's report, combined and told at the end of the run ------------

_COVERAGE = pytest.StashKey[list[dict[str, Any]]]()
# The report: each worker's run record, the violations tests expected, and the line told.
_RECORDS = pytest.StashKey[list[dict[str, Any]]]()
_EXPECTED = pytest.StashKey[set[int]]()
_REPORT_LINE = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    settings = session.config.stash.get(_SETTINGS, None)
    if settings is not None and settings.coverage:
        _finish_coverage(session, settings)
    if settings is not None and settings.report_dir:
        _finish_report(session.config, settings.report_dir, settings)


def _finish_report(config: pytest.Config, directory: Path, settings: _Settings) -> None:
    """A worker hands its run to the controller; the controller writes the combined report."""
    records = config.stash.get(_RECORDS, [])
    if hasattr(config, "workeroutput"):
        config.workeroutput["mockserver_report"] = json.dumps(records)
        return
    from pytest_appointment_mockserver.reporting import worker_record, write

    if not records:  # no test used the mock: an empty report, still a report
        records = [worker_record(settings.engine, set())]
    try:
        verdict = write(records, directory, settings.coverage_fail_under)
    except OSError as error:  # said at the end; the tests' own outcome stands
        told = f"the report was not written to {directory}: {error}"
    else:
        told = f"report written to {directory}: {verdict.headline()}"
    config.stash[_REPORT_LINE] = f"mockserver: {told}"


def _finish_coverage(session: pytest.Session, settings: _Settings) -> None:
    config = session.config
    reports = config.stash.get(_COVERAGE, [])
    if hasattr(config, "workeroutput"):  # an xdist worker: hand the report to the controller
        config.workeroutput["mockserver_coverage"] = json.dumps(reports)
        return
    from mockserver.journal.coverage import combine, percent

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
    records = getattr(node, "workeroutput", {}).get("mockserver_report")
    if records:
        node.config.stash.setdefault(_RECORDS, []).extend(json.loads(records))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    told = config.stash.get(_REPORT_LINE, None)
    if told is not None:
        terminalreporter.write_line(told)
    settings = config.stash.get(_SETTINGS, None)
    reports = config.stash.get(_COVERAGE, [])
    if settings is None or not settings.coverage or not reports or not reports[0]:
        return
    from mockserver.journal.coverage import percent, text

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


def _strict(node: pytest.Item, settings: _Settings) -> bool:
    """The closest mockserver_strict marker decides, else the option or ini setting."""
    marker = node.get_closest_marker(STRICT_MARKER)
    if marker is None:
        return settings.strict
    return bool(marker.args[0]) if marker.args else bool(marker.kwargs.get("on", True))


# The test's handle, for the report hook; whether its call failed, for the fixture's teardown.
_HANDLE = pytest.StashKey["MockServerHandle"]()
_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def mockserver(
    request: pytest.FixtureRequest, mockserver_session: MockSession
) -> Iterator[MockServerHandle]:
    """A handle on the mock, reset for this test to the scenarios its markers name.

    `base_url`, `client`/`async_client`, `transport`; `load()`, `stub()`, `reset()`;
    `requests` (the journal: `assert_called`, `filter`, `last`), `messages` (the outbox),
    `clock`, `violations`, `expect_violation()`, `near_misses()`. The test fails at teardown
    if its client broke a provider's contract, and in strict mode if it made a request that
    none of its assertions matched nor its stubs answered. See docs/pytest.md.
    """
    from mockserver.testing.control import ControlError
    from mockserver.testing.handle import MockServerHandle

    settings = request.config.stash[_SETTINGS]
    try:
        mockserver_session.control.start(*_requested(request.node, settings))
        refused = None
    except ControlError as error:
        refused = str(error)
    if refused is not None:  # failed outside the except block: one message, no chained traceback
        pytest.fail(f"mockserver: {refused}", pytrace=False)
    handle = MockServerHandle(mockserver_session)
    request.node.stash[_HANDLE] = handle
    yield handle
    request.config.stash.setdefault(_EXPECTED, set()).update(handle.expected)
    if request.node.stash.get(_CALL_FAILED, False):
        return  # already told with the test's own failure: one report per failing test
    message = _findings(handle, request.node, settings)
    if message:
        pytest.fail(message, pytrace=False)


def _findings(handle: MockServerHandle, node: pytest.Item, settings: _Settings) -> str:
    """What the test left unexplained, as a failure message; lenient mode only warns about
    contract violations."""
    from mockserver.testing.control import describe_violations
    from mockserver.testing.strict import audit

    found = audit(handle.control, handle.expected, strict=_strict(node, settings))
    parts = []
    if found.violations:
        told = describe_violations(found.violations)
        if settings.lenient:
            warnings.warn(MockServerContractWarning(told), stacklevel=1)
        else:
            parts.append(f"mock contract violations:\n{told}")
    if found.failures:
        parts.append(found.failures)
    return "\n".join(parts)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that failed gets the mock's findings in its own report, not in a second one."""
    report: pytest.TestReport = yield
    handle = item.stash.get(_HANDLE, None)
    if call.when != "call" or not report.failed or handle is None:
        return report
    item.stash[_CALL_FAILED] = True
    try:
        message = _findings(handle, item, item.config.stash[_SETTINGS])
    except Exception as error:  # the mock could not be read: the test's own failure still shows
        message = f"(the mock could not be read: {error})"
    if message:
        report.sections.append(("mockserver", message))
    return report
