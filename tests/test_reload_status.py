"""Health tells the truth about hot reload: a broken edit shows in `GET /__admin/health` (file,
line and message, no absolute path) for as long as it lasts, and the fix clears it."""

from __future__ import annotations

import os
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
from test_byte_budget import rss_peak_mb

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


# Hostile files dropped in a watched folder (issue 19), each with the one line health shows.
HOSTILE_FILES = [
    ("nan.yaml", GOOD + "org: {cancellation_notice_hours: .nan}\n", "is not a finite number"),
    ("huge.yaml", GOOD + "org: {cancellation_notice_hours: 1.0e+400}\n", "is not a finite number"),
    ("digits.yaml", GOOD + "org: {cancellation_notice_hours: 1." + "9" * 5000 + "}\n", "digits"),
    ("many.yaml", "description: [" + ",".join(["1"] * 1_900_000) + "]\n", "100000 values"),
    (
        "bomb.yaml",
        GOOD + "x: &a [" + ",".join(["0"] * 1000) + "]\ny: [" + ",".join(["*a"] * 1000) + "]\n",
        "200000 values",
    ),
    (
        "template.yaml",
        GOOD
        + "interactions:\n  - {name: t, match: {path: '/v1/{a}/{a}'}, respond: {status: 404}}\n",
        "names the parameter {a} more than once",
    ),
    ("generate.yaml", GOOD + "generate: {appointments: 1000000}\n", "generate.appointments"),
]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_serve_watch_refuses_hostile_files_in_one_line_and_keeps_serving(tmp_path):
    """`serve --watch` meets what `validate` refuses: a device, a FIFO, numbers that are not
    finite, a file of a million values, an alias bomb, a repeated template parameter, a huge
    `generate`. Each is a one-line refusal in health while the last good files serve, with the
    server's memory bounded; none is read whole, none hangs the watcher."""
    folder, path = live_file(tmp_path)
    args = ["--watch", "--scenarios-dir", str(folder), "--scenario", "huskyvoice/live"]
    with running_cli(args) as run, httpx.Client(base_url=run.base_url, timeout=10) as http:
        os.mkfifo(path.parent / "pipe.yaml")
        (path.parent / "zero.yaml").symlink_to("/dev/zero")
        path.write_text(GOOD.replace("live\n", "still live\n"))  # read past them, or hang
        wait_for(lambda: http.get("/__admin/health").json()["reload"]["ok"] and reloaded(http))
        for name, text, reason in HOSTILE_FILES:
            hostile = path.parent / name
            (tmp_path / name).write_text(text)
            (tmp_path / name).replace(hostile)  # whole at once: the watcher never reads half
            failed = wait_for(lambda: not http.get("/__admin/health").json()["reload"]["ok"])
            reload = http.get("/__admin/health").json()["reload"]
            assert failed and reason in reload["error"] and "\n" not in reload["error"], reload
            assert f"huskyvoice/{name}:" in reload["error"], reload
            assert http.get("/__admin/scenario").json()["huskyvoice"]["description"] == (
                "still live"
            )
            hostile.unlink()
            wait_for(lambda: http.get("/__admin/health").json()["reload"]["ok"])
        peak = rss_peak_mb(run.pid)
    assert run.returncode == 0
    assert peak < 200, f"peak RSS {peak:.0f} MB"


def reloaded(http: httpx.Client) -> bool:
    return http.get("/__admin/scenario").json()["huskyvoice"]["description"] == "still live"
