"""Helpers that run the real `mockserver` command in a subprocess, and talk to a server in
raw bytes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

BANNER = re.compile(r"mockserver on (http://\S+) ")


class Run:
    """A finished or running CLI process; `returncode` and `stderr` are set once it stops."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.returncode: int | None = None
        self.stderr = ""
        self.stdout = ""
        self.banner = ""  # the first line `serve` prints
        self.pid = 0


@contextmanager
def running_cli(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stop: signal.Signals = signal.SIGINT,
) -> Iterator[Run]:
    """Start `python -m mockserver serve --port 0 ARGS`, yield its base URL, then stop it
    with `stop` (Ctrl-C unless told otherwise)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = BANNER.search(line)
        if found is None:
            process.kill()
            raise AssertionError(f"no banner: {line!r} {process.communicate()[1]}")
        run = Run(found.group(1))
        run.banner = line
        run.pid = process.pid
        yield run
    finally:
        if process.poll() is None:
            process.send_signal(stop)
        try:
            stdout, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    run.returncode = process.returncode
    run.stderr = stderr
    run.stdout = stdout


def raw_exchange(url: str, data: bytes, wait: float = 5.0) -> bytes:
    """Send `data` on a connection of its own and read until the server closes it."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
