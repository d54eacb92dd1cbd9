"""What `serve` and `run` do around the server: the port file a script waits for, and the
verdict and report at the end."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from mockserver.engine.facade import MockEngine
from mockserver.report.target import ReportTarget
from mockserver.report.verdict import Verdict, verdict_lines
from mockserver.report.writer import atomic_write


class PortFile:
    """`--port-file PATH`: the port on its first line and the server's PID on its second,
    written atomically once the socket listens and removed at exit."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._written = False

    def write(self, port: int) -> None:
        if self.path is not None:
            atomic_write(self.path, f"{port}\n{os.getpid()}\n".encode())
            self._written = True

    def remove(self) -> None:
        if self.path is not None and self._written:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self._written = False


def conclude(
    engine: MockEngine, target: ReportTarget, base_url: str, command_status: int | None = None
) -> Verdict:
    """Judge the run, write its report and print the verdict. A report that cannot be written
    is said on stderr: it never costs the verdict."""
    record = engine.run_record()
    verdict = target.judge(record, command_status)
    try:
        written = target.write(record, verdict, base_url)
    except Exception as error:  # a full disk or a bug: the verdict still stands
        print(
            f"mockserver: warning: the report was not written to {target.directory}: "
            f"{type(error).__name__}: {error}",
            file=sys.stderr,
            flush=True,
        )
    else:
        if written:
            print(f"mockserver: report written to {target.directory}", flush=True)
    for line in verdict_lines(record, verdict):
        print(f"mockserver: {line}", flush=True)
    return verdict
