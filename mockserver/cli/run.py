"""`mockserver run -- COMMAND`: the mock on a free port for the life of a client's test command,
then one verdict and one exit status for CI."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from types import FrameType

import msgspec

from mockserver.cli.reporting import PortFile, conclude
from mockserver.engine.facade import MockEngine
from mockserver.report.target import ReportTarget
from mockserver.web.guard import AdminPolicy
from mockserver.web.server import MockServer

# The shell's status for a command that cannot be run.
NOT_STARTED = 127
# Signals that stop a run: handed on to the command, whose end then ends the run.
FORWARDED = (signal.SIGINT, signal.SIGTERM)


class RunSettings(msgspec.Struct, frozen=True):
    host: str
    port: int
    policy: AdminPolicy
    target: ReportTarget
    port_file: PortFile
    access_log: bool = False


def run_command(
    engine: MockEngine,
    command: Sequence[str],
    settings: RunSettings,
    started: Callable[[str], None],
) -> int:
    """Serve, run `command` against the mock, stop, judge; the run's exit status."""
    server = MockServer(
        engine,
        host=settings.host,
        port=settings.port,
        access_log=settings.access_log,
        admin_policy=settings.policy,
        report=settings.target,
    ).start()  # PortInUseError when the port is taken
    try:
        settings.port_file.write(server.port)
        started(server.base_url)
        status = _run_child(command, _environment(server.base_url))
    finally:
        server.stop()
        settings.port_file.remove()
    if status is None:
        return NOT_STARTED
    return conclude(engine, settings.target, server.base_url, status).exit_status()


def _environment(url: str) -> dict[str, str]:
    return {**os.environ, "MOCKSERVER_URL": url, "MOCKSERVER_ADMIN_URL": f"{url}/__admin"}


def _run_child(command: Sequence[str], env: dict[str, str]) -> int | None:
    """The command's exit status (128 + N for a signal, as shells say), or None when it
    cannot start (said in one line)."""
    with _Forwarder() as forwarder:
        try:
            child = _start(command, env)
        except OSError as error:
            reason = error.strerror or str(error)
            print(f"mockserver: cannot run {shlex.quote(command[0])}: {reason}", file=sys.stderr)
            return None
        forwarder.attach(child.pid)
        code = child.wait()
    status = 128 - code if code < 0 else code
    if forwarder.received and not status:
        # Cancelled, yet ended cleanly (a test runner that stops on the signal and exits 0):
        # the tests did not all run, so the run fails as the shell would have said it.
        return 128 + forwarder.received[0]
    return status


# What `signal.signal` takes and hands back: a function, or SIG_DFL / SIG_IGN (None: not
# set from Python).
_Handler = Callable[[int, FrameType | None], object] | int | None


def _start(command: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The command in a process group of its own: a Ctrl-C reaches it once, from us, and so do
    its children."""
    if sys.version_info >= (3, 11):
        return subprocess.Popen(list(command), env=env, process_group=0)
    return subprocess.Popen(list(command), env=env, start_new_session=True)


class _Forwarder:
    """While the command runs, Ctrl-C and SIGTERM go to its process group; it then ends, and
    the run concludes as usual (report and verdict).

    The handlers are in place before the command starts: a signal that comes first is handed
    on as soon as it exists, and the command starts with these signals at their defaults (a
    caught signal is reset by exec; an ignored one, inherited from a runner, would stay so).
    """

    def __init__(self) -> None:
        self._pid: int | None = None
        self._previous: dict[int, _Handler] = {}
        self._received: list[int] = []

    def __enter__(self) -> _Forwarder:
        self._previous = {signum: signal.signal(signum, self._forward) for signum in FORWARDED}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    @property
    def received(self) -> list[int]:
        """The signals handed on (or waiting to be), first first."""
        return self._received

    def attach(self, pid: int) -> None:
        self._pid = pid
        for signum in self._received:  # those that came before it existed
            self._send(signum)

    def _forward(self, signum: int, frame: FrameType | None) -> None:
        self._received.append(signum)
        if self._pid is not None:
            self._send(signum)

    def _send(self, signum: int) -> None:
        assert self._pid is not None
        with contextlib.suppress(ProcessLookupError):  # it has just ended
            os.killpg(self._pid, signum)
