"""A mock for a whole test session: a server this process runs, or one named by its URL.

The pytest plugin builds one per session (per xdist worker); other runners can too. It owns
the server, the control over it, the transports to it and one shared pair of httpx clients
(building an httpx client costs tens of milliseconds: an SSL context).
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING

from mockserver.engine.facade import MockEngine
from mockserver.testing.control import EngineBackend, HttpBackend, MockControl
from mockserver.web.server import MockServer

if TYPE_CHECKING:
    import httpx

    from mockserver.testing.control import Backend
    from mockserver.testing.transport import ASGITransport, ForwardingTransport
    from mockserver.web.app import MockApp


# The address in-process clients name (no socket is opened for it).
IN_PROCESS_URL = "http://mockserver.local"


class MockSession:
    """Start with an engine (this process serves it) or the URL of a running mock.

    With an engine, the socket server starts on the first use of `base_url`, or at once when
    a `port` is asked for: a suite that only uses the in-process transport never waits for it.
    """

    def __init__(
        self,
        engine: MockEngine | None = None,
        *,
        url: str | None = None,
        port: int = 0,
        session: str | None = None,
    ) -> None:
        if (engine is None) == (url is None):
            raise ValueError("give an engine to serve or the URL of a running mock, not both")
        if session is not None and url is None:
            raise ValueError("a session is addressed on a running mock: give its URL")
        self.engine = engine
        self.server: MockServer | None = None
        self.backend: Backend
        self._url = (url or IN_PROCESS_URL).rstrip("/")
        # On a shared server, a session of its own: nobody else's requests, resets or scenarios.
        self.session_id = session
        if session is not None:
            self._url += f"/__session/{session}"
        self._lock = threading.Lock()
        if url is not None:
            self.backend = HttpBackend(self._url)
        else:
            assert engine is not None
            self.server = MockServer(engine, port=port)
            self.backend = EngineBackend(engine)
            if port:
                self.server.start()  # PortInUseError when it is taken
        self.control = MockControl(self.backend)

    @property
    def base_url(self) -> str:
        """The mock's address over HTTP; for an engine, its server starts on first use."""
        if self.server is None:
            return self._url
        with self._lock:
            if not self.server.running:
                self.server.start()
        return self.server.base_url

    @cached_property
    def app(self) -> MockApp:
        """The ASGI app over this session's engine, for in-process transports."""
        from mockserver.web.app import create_app

        assert self.engine is not None
        return create_app(self.engine)

    def transport(self) -> ASGITransport | ForwardingTransport:
        """In process (no socket) when this process runs the mock; else plain HTTP to it,
        whatever host a client's `base_url` names."""
        from mockserver.testing.transport import ASGITransport, ForwardingTransport

        if self.engine is None:
            return ForwardingTransport(self._url)
        return ASGITransport(self.app)

    @cached_property
    def client(self) -> httpx.Client:
        import httpx

        return httpx.Client(transport=self.transport(), base_url=self._url)

    @cached_property
    def async_client(self) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(transport=self.transport(), base_url=self._url)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()
        if self.server is not None:
            self.server.stop()
        elif isinstance(self.backend, HttpBackend):
            if self.session_id is not None:
                self.backend.end_session()
            self.backend.close()
