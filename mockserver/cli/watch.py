"""`mockserver serve --watch`: reload scenario files when they change, keep the last good ones."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

from mockserver.core.resources import scenarios_dir
from mockserver.engine.facade import MockEngine
from mockserver.scenarios.catalog import ScenarioError, scenario_files

Snapshot = dict[Path, tuple[float, int]]


def snapshot(directories: list[Path]) -> Snapshot:
    """Modification time and size of every scenario file, to notice edits, additions, removals."""
    found: Snapshot = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in scenario_files(directory):
            try:
                stat = path.stat()
            except OSError:
                continue
            found[path] = (stat.st_mtime, stat.st_size)
    return found


def watched_files(scenarios_dirs: list[Path]) -> Snapshot:
    """The scenario files a watcher will look at, as they are now."""
    return snapshot([scenarios_dir(), *scenarios_dirs])


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ScenarioWatcher:
    """Polls the scenario directories (no extra dependency, works on every file system)."""

    def __init__(
        self,
        engine: MockEngine,
        *,
        interval: float = 0.3,
        report: Callable[[str], None] = _say,
        seen: Snapshot | None = None,
    ) -> None:
        """`seen`: the files as they were before the engine read them (`watched_files`), so an
        edit made while the server starts is reloaded too; by default, as they are now."""
        self.engine = engine
        self.interval = interval
        self.report = report
        self.directories = [scenarios_dir(), *engine.scenarios_dirs]
        self._seen = snapshot(self.directories) if seen is None else seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mockserver-watch", daemon=True)

    def start(self) -> ScenarioWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def check(self) -> bool:
        """Reload if anything changed since the last look; True when a reload was tried."""
        current = snapshot(self.directories)
        if current == self._seen:
            return False
        self._seen = current
        try:
            restarted = self.engine.reload()
        except ScenarioError as error:
            self.report(
                "mockserver: scenario files not reloaded, still serving the last good ones:\n"
                f"{error}"
            )
            return True
        detail = f"; restarted {', '.join(restarted)}" if restarted else ""
        self.report(
            f"mockserver: scenario files reloaded ({len(self.engine.catalog.names())}){detail}"
        )
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception as error:  # the watcher outlives whatever one reload meets
                self.report(
                    "mockserver: scenario files not reloaded, still serving the last good ones: "
                    f"{type(error).__name__}: {error}"
                )
