"""A mock for a whole test session: a server this process runs, or one named by its URL.

The pytest plugin builds one per session (per xdist worker); other runners can too. It owns
the server, the control over it, the transports to it and one shared pair of httpx clients
(building an httpx client costs tens of milliseconds: an SSL context).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from mockserver.control import EngineBackend, HttpBackend, MockControl
from mockserver.engine import MockEngine
from mockserver.server import MockServer

if TYPE_CHECKING:
    import httpx

    from mockserver.app import MockApp
    from mockserver.control import Backend
    from mockserver.transport import ASGITransport, ForwardingTransport


class MockSession:
    """Start with an engine (this process serves it, on `port` or a free one) or a URL."""

    def __init__(
        self, engine: MockEngine | None = None, *, url: str | None = None, port: int = 0
    ) -> None:
        if (engine is None) == (url is None):
            raise ValueError("give an engine to serve or the URL of a running mock, not both")
        self.engine = engine
        self.server: MockServer | None = None
        self.backend: Backend
        if url is not None:
            self.backend = HttpBackend(url)
            self.control = MockControl(self.backend, url.rstrip("/"))
            return
        assert engine is not None
        self.server = MockServer(engine, port=port)
        self.server.start()  # PortInUseError when `port` is taken
        self.backend = EngineBackend(engine)
        self.control = MockControl(self.backend, self.server.base_url)

    @cached_property
    def app(self) -> MockApp:
        """The ASGI app over this session's engine, for in-process transports."""
        from mockserver.app import create_app

        assert self.engine is not None
        return create_app(self.engine)

    def transport(self) -> ASGITransport | ForwardingTransport:
        """In process (no socket) when this process runs the mock; else plain HTTP to it,
        whatever host a client's `base_url` names."""
        from mockserver.transport import ASGITransport, ForwardingTransport

        if self.engine is None:
            return ForwardingTransport(self.control.base_url)
        return ASGITransport(self.app)

    @cached_property
    def client(self) -> httpx.Client:
        import httpx

        return httpx.Client(transport=self.transport(), base_url=self.control.base_url)

    @cached_property
    def async_client(self) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(transport=self.transport(), base_url=self.control.base_url)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()
        if self.server is not None:
            self.server.stop()
        elif isinstance(self.backend, HttpBackend):
            self.backend.close()
