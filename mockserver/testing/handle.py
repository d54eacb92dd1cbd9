"""`MockServerHandle`: what the `mockserver` pytest fixture gives a test.

Everything a test reads from the mock or changes in it between its requests: scenarios, stubs,
the journal with its assertions, the outbox, the clock, contract violations, and httpx clients
and transports bound to the mock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mockserver.core.documents import ActiveScenario, NearMiss, Violation
from mockserver.core.routing import compile_template
from mockserver.testing.control import (
    ClockControl,
    MockControl,
    Outbox,
    RequestLog,
    Stub,
    StubFields,
    describe_violations,
)

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Unpack

    from mockserver.testing.session import MockSession


class MockServerHandle:
    """A test's handle on the mock. See docs/pytest.md."""

    def __init__(self, session: MockSession) -> None:
        self._session = session
        self._control = session.control
        self.requests: RequestLog = self._control.requests
        self.messages: Outbox = self._control.messages
        self.clock: ClockControl = self._control.clock
        # Violations a test declared with expect_violation: not reported at teardown.
        self.expected: set[int] = set()

    @property
    def control(self) -> MockControl:
        """The session's control over the mock, which this handle fronts."""
        return self._control

    def near_misses(self, limit: int = 50) -> list[NearMiss]:
        """The latest `limit` requests nothing answered as the client meant, newest first:
        off-contract ones, and those that missed every stub for their method and path, each
        with the closest operation and interaction and how it differs from them."""
        return self._control.backend.near_misses(limit)

    @property
    def base_url(self) -> str:
        """The mock's address over HTTP (`http://127.0.0.1:<port>`); under --mockserver-url,
        that server's. The socket server starts on first use."""
        return self._session.base_url

    @contextmanager
    def expect_violation(
        self, problem: str | None = None, *, method: str | None = None, path: str | None = None
    ) -> Iterator[list[Violation]]:
        """Declare that the block breaks a provider's contract on purpose (a test of a client's
        error handling): it must record at least one matching violation, and those are not
        reported at teardown. `problem` is a field path (`"body.status"`) or a substring of a
        problem's message; `path` may be a template. Yields the matching violations; when none
        matches, the failure lists every violation the block recorded."""
        seen = {v["request_id"] for v in self._control.violations}
        found: list[Violation] = []
        yield found
        recorded = [v for v in self._control.violations if v["request_id"] not in seen]
        found += [v for v in recorded if _violation_matches(v, problem, method, path)]
        if not found:
            raise AssertionError(_no_violation(recorded, problem, method, path))
        self.expected.update(v["request_id"] for v in found)
        self.requests.matched.update(v["request_id"] for v in found)

    def load(self, *names: str | Mapping[str, object]) -> dict[str, str]:
        """Switch the named providers to these scenarios now, with fresh state for them; the
        other providers keep theirs (one name per provider). A scenario may be given as data,
        `{"extends": "huskyvoice/direct-cancel", "org": {"cancellation_notice_hours": 48}}`."""
        return self._control.load(*names)

    def stub(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        expect: bool | None = None,
        **interaction: Unpack[StubFields],
    ) -> Stub:
        """An interaction for this test only, tried before the scenario's own, in the
        scenario-file language: `mockserver.stub("PATCH", "/v1/appointments/{id}", sequence=[…])`.
        Checked at once; `.calls` lists the exchanges it answered. With `expect=True` the test
        fails when it ends if the stub was not used (exactly `times` times per appointment when
        `times` is given; in strict mode `times` alone is an expectation too)."""
        return self._control.stub(method, path, expect=expect, **interaction)

    def reset(self) -> None:
        """Fresh state in the active scenarios; empty journal, outbox and violations."""
        self._control.reset()

    @property
    def active(self) -> dict[str, str]:
        """The active scenario per provider."""
        return dict(self._control.active)

    @property
    def scenario(self) -> dict[str, ActiveScenario]:
        """Per provider: the active scenario, its clock and its seeded data."""
        return self._control.scenario

    def seeded(self, provider: str) -> dict[str, Any]:
        """The provider's seeded data (clients, appointments, EMRs…)."""
        return self._control.seeded(provider)

    @property
    def violations(self) -> list[Violation]:
        """Contract violations recorded since the test started."""
        return self._control.violations

    @property
    def transport(self) -> httpx.BaseTransport:
        """An httpx transport to the mock for `httpx.Client`: in process, with no socket, when
        the plugin runs the mock; plain HTTP under --mockserver-url."""
        return self._session.transport()

    @property
    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The same for `httpx.AsyncClient`."""
        return self._session.transport()

    @property
    def client(self) -> httpx.Client:
        """An `httpx.Client` on the mock (in process, or the --mockserver-url server), built
        once per session: pass your own headers per request."""
        return self._session.client

    @property
    def async_client(self) -> httpx.AsyncClient:
        """The same as an `httpx.AsyncClient`."""
        return self._session.async_client


def _violation_matches(
    violation: Violation, problem: str | None, method: str | None, path: str | None
) -> bool:
    if method and violation["method"] != method.upper():
        return False
    if path and compile_template(path).match(violation["path"]) is None:
        return False
    texts = [f"{p['location']}: {p['message']}" for p in violation["problems"]]
    return not problem or any(problem in text for text in texts)


def _no_violation(
    recorded: list[Violation], problem: str | None, method: str | None, path: str | None
) -> str:
    wanted = " ".join(filter(None, [method, path, problem and repr(problem)])) or "of any kind"
    if not recorded:
        return f"expected a contract violation {wanted}; the block recorded none"
    return (
        f"expected a contract violation {wanted}; none of the {len(recorded)} the block "
        f"recorded matches:\n{describe_violations(recorded)}"
    )
