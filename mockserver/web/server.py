"""Running the app under uvicorn: in a background thread (fixtures, tests) or the foreground."""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Literal

from mockserver.core.errors import MockError
from mockserver.engine.facade import MockEngine
from mockserver.engine.sessions import Sessions, Sweeper
from mockserver.web.app import SCRIPTED_FAULT, MockApp, create_app
from mockserver.web.guard import AdminPolicy

if TYPE_CHECKING:
    import asyncio

    import uvicorn

    from mockserver.report.target import ReportTarget

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


class PortInUseError(MockError, OSError):
    """The address cannot be bound (taken, or not this machine's); `taken` when another
    process holds the port. An OSError too, as callers catching those expect."""

    code = "PORT_IN_USE"
    status = None  # not an HTTP answer: the command line says it in one line
    taken = False


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before uvicorn starts, so port 0 yields a real port and a taken port fails at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        refused = PortInUseError(f"cannot listen on {host}:{port}: {error.strerror}")
        refused.taken = error.errno == errno.EADDRINUSE
        raise refused from None
    # Listening now queues early connections until uvicorn accepts them.
    sock.listen(2048)
    return sock


def _config(app: MockApp, *, access_log: bool, log_level: str) -> uvicorn.Config:
    import uvicorn  # here, not at the top: an in-process suite never loads it

    config = uvicorn.Config(
        app,
        access_log=access_log,
        log_level=log_level,
        lifespan="off",
        server_header=False,
        # A loopback mock has no proxy in front: skip uvicorn's X-Forwarded-* rewriting.
        proxy_headers=False,
        http=_protocol(),
        # Where httptools is missing (h11): a head is refused past this size.
        h11_max_incomplete_event_size=HEAD_FALLBACK_BYTES,
    )
    quiet_scripted_faults()  # after the Config, which sets uvicorn's logging up
    return config


class _ScriptedFaultFilter(logging.Filter):
    """Drops uvicorn's "returned without completing response" for a scripted connection drop
    or truncated body: that is the fault a scenario asked for, not a server error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (SCRIPTED_FAULT.get() and "without completing response" in record.getMessage())


def quiet_scripted_faults() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _ScriptedFaultFilter) for f in logger.filters):
        logger.addFilter(_ScriptedFaultFilter())


# What h11 buffers of a request's head at most, where the guarded protocol cannot run.
HEAD_FALLBACK_BYTES = 1024 * 1024


def _protocol() -> type[asyncio.Protocol] | Literal["auto"]:
    """The guarded httptools protocol (connection cap, head deadline and size), or uvicorn's
    own choice where httptools is not installed."""
    try:
        from mockserver.web.protocol import GuardedHttpProtocol
    except ImportError:
        return "auto"
    return GuardedHttpProtocol


def url_for(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class MockServer:
    """A real uvicorn server on a loopback port, in a daemon thread. Use as a context manager."""

    def __init__(
        self,
        engine: MockEngine | None = None,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        access_log: bool = False,
        log_level: str = "warning",
        admin_policy: AdminPolicy | None = None,
        report: ReportTarget | None = None,
        sessions: Sessions | None = None,
    ) -> None:
        """`sessions`, made on `engine`, sets their limits (by default, the usual ones)."""
        self.engine = engine or MockEngine()
        self._report = report
        self._sessions = sessions
        self.host = host
        self._requested_port = port
        self._access_log, self._log_level = access_log, log_level
        self._admin_policy = admin_policy
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sweeper: Sweeper | None = None
        self.port = 0

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def base_url(self) -> str:
        return url_for(self.host, self.port)

    def start(self, timeout: float = 10.0) -> MockServer:
        import uvicorn

        sock = bind_socket(self.host, self._requested_port)
        self.port = sock.getsockname()[1]
        app = create_app(
            self.engine,
            admin_policy=self._admin_policy,
            sessions=self._sessions,
            report=self._report,
        )
        config = _config(app, access_log=self._access_log, log_level=self._log_level)
        server = self._server = uvicorn.Server(config)
        self._sweeper = Sweeper(app.sessions).start()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="mockserver", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"mock server did not start on {self.base_url}")
            time.sleep(0.002)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None or self._server is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        self._thread = None
        if self._sweeper is not None:
            self._sweeper.stop()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    engine: MockEngine,
    sock: socket.socket,
    *,
    access_log: bool = False,
    log_level: str = "info",
    admin_policy: AdminPolicy | None = None,
    sessions: Sessions | None = None,
    report: ReportTarget | None = None,
) -> None:
    """Serve on a bound socket until Ctrl-C or SIGTERM; uvicorn handles both and drains."""
    import uvicorn

    app = create_app(engine, admin_policy=admin_policy, sessions=sessions, report=report)
    server = uvicorn.Server(_config(app, access_log=access_log, log_level=log_level))
    sweeper = Sweeper(app.sessions).start()
    try:
        server.run(sockets=[sock])
    finally:
        sweeper.stop()
