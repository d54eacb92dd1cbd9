"""Health tells the truth about hot reload: a broken edit shows in `GET /__admin/health` (file,
line and message, no absolute path) for as long as it lasts, and the fix clears it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import in_process_client
from mockserver import MockEngine, ScenarioError
from servers import running_cli

GOOD = "extends: huskyvoice/direct-cancel\ndescription: live\n"
BROKEN = GOOD + "org: {allow_cancellation: perhaps}\n"


def live_file(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "my-scenarios"
    path = folder / "huskyvoice" / "live.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(GOOD)
    return folder, path


def test_health_reports_a_failed_reload_until_the_fix(tmp_path):
    folder, path = live_file(tmp_path)
    engine = MockEngine(["huskyvoice/live"], [folder])
    with in_process_client(engine) as http:
        assert http.get("/__admin/health").json()["reload"] == {
            "ok": True,
            "error": None,
            "at": None,
        }
        path.write_text(BROKEN)
        with pytest.raises(ScenarioError):
            engine.reload()
        health = http.get("/__admin/health").json()
        assert health["active"]["huskyvoice"] == "huskyvoice/live"  # the last good one serves
        reload = health["reload"]
        assert reload["ok"] is False
        assert reload["error"].startswith(
            "my-scenarios/huskyvoice/live.yaml:3: org.allow_cancellation: "
        )
        assert str(tmp_path) not in reload["error"]
        failed_at = datetime.fromisoformat(reload["at"].replace("Z", "+00:00"))
        path.write_text(GOOD.replace("live\n", "fixed\n"))
        engine.reload()
        reload = http.get("/__admin/health").json()["reload"]
        assert reload["ok"] is True and reload["error"] is None
        assert datetime.fromisoformat(reload["at"].replace("Z", "+00:00")) >= failed_at


def test_an_unexpected_reload_failure_is_reported_too(monkeypatch):
    engine = MockEngine()

    def broken() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(engine, "_read_catalog", broken)
    with pytest.raises(RuntimeError):
        engine.reload()
    assert engine.reload_status()["error"] == "RuntimeError: disk on fire"
    assert engine.reload_status()["ok"] is False


def wait_for(check: Callable[[], Any], seconds: float = 15) -> Any:
    """Poll until `check()` is truthy, or fail after the deadline."""
    deadline = threading.Event()
    for _ in range(int(seconds / 0.1)):
        value = check()
        if value:
            return value
        deadline.wait(0.1)
    raise AssertionError("not reached before the deadline")


def test_serve_watch_health_shows_a_broken_edit_and_its_fix(tmp_path):
    folder, path = live_file(tmp_path)
    with running_cli(
        ["--watch", "--scenarios-dir", str(folder), "--scenario", "huskyvoice/live"]
    ) as run:
        health = f"{run.base_url}/__admin/health"
        path.write_text(BROKEN)
        wait_for(lambda: httpx.get(health).json()["reload"]["at"])
        reload = httpx.get(health).json()["reload"]
        assert reload["ok"] is False
        assert "my-scenarios/huskyvoice/live.yaml:3" in reload["error"]
        path.write_text(GOOD.replace("live\n", "fixed\n"))
        wait_for(lambda: httpx.get(health).json()["reload"]["ok"])
    assert run.returncode == 0


def test_an_edit_made_while_the_server_starts_is_reloaded(tmp_path):
    from mockserver.cli.watch import ScenarioWatcher, watched_files

    folder, path = live_file(tmp_path)
    before = watched_files([folder])  # as `serve --watch` takes it, before reading the files
    engine = MockEngine(["huskyvoice/live"], [folder])
    path.write_text(BROKEN)  # after the read, before the watcher's first look
    said: list[str] = []
    watcher = ScenarioWatcher(engine, report=said.append, seen=before)
    assert watcher.check() is True
    assert engine.reload_status()["ok"] is False
    assert "not reloaded" in said[-1]


def test_a_session_reports_its_server_s_reload(tmp_path):
    folder, path = live_file(tmp_path)
    engine = MockEngine(["huskyvoice/live"], [folder])
    with in_process_client(engine) as http:
        http.get("/__session/qa-1/__admin/health")  # the session starts on first use
        path.write_text(BROKEN)
        with pytest.raises(ScenarioError):
            engine.reload()
        reload = http.get("/__session/qa-1/__admin/health").json()["reload"]
    assert reload["ok"] is False and "live.yaml:3" in reload["error"]
