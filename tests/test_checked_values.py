"""Values are checked where they enter: numbers finite and in range, JSON that is JSON, files
that are regular files, integers kept exactly. A refusal is a 4xx or one line, never later a
500, and never a journal listing that stops answering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AUTH, SEED_ID, in_process_client
from mockserver import MockEngine

HUGE = 10**310  # past any float, past orjson's 64 bits


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"org": {"cancellation_notice_hours": 1e300}}, "cancellation_notice_hours"),
        ({"org": {"cancellation_notice_hours": HUGE}}, "cancellation_notice_hours"),
        ({"behaviour": {"search": {"max_limit": 1e20}}}, "max_limit"),
        ({"generate": {"appointments": 1_000_000}}, "generate.appointments"),
        ({"seed": HUGE}, "seed"),
    ],
    ids=["float", "huge-int", "max-limit", "generate", "seed"],
)
def test_inline_numbers_out_of_range_are_a_400_naming_the_field(mock, change, needle):
    before = mock.http.get("/__admin/scenario").json()
    scenario = {"extends": "huskyvoice/direct-cancel", **change}
    reply = mock.http.put(
        "/__admin/scenario",
        content=json.dumps({"scenario": scenario}),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 400, reply.text[:300]
    assert needle in reply.text
    assert mock.http.get("/__admin/scenario").json() == before


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_numbers_are_a_400_that_never_poisons_a_listing(mock, literal):
    body = b'{"status": ' + literal + b"}"
    reply = mock.http.patch(
        f"/v1/appointments/{SEED_ID}",
        content=body,
        headers={**AUTH, "content-type": "application/json"},
    )
    assert reply.status_code == 400, reply.text[:200]
    assert mock.appointment()["status"] == "confirmed"
    for route in ("/__admin/requests", "/__admin/near-misses", "/__admin/requests/closest"):
        listed = mock.http.get(route)
        assert listed.status_code == 200, (route, listed.text[:200])
    [entry] = mock.http.get("/__admin/requests").json()["requests"][:1]
    assert entry["body"] == body.decode()
    assert mock.http.get("/__admin/requests", params={"format": "har"}).status_code == 200
    assert (
        mock.http.put(
            "/__admin/clock", content=b'{"advance_seconds": ' + literal + b"}"
        ).status_code
        == 400
    )


def test_integers_of_any_size_are_kept_exactly_in_the_journal_file_and_exports(tmp_path):
    journal = tmp_path / "journal.jsonl"
    engine = MockEngine(journal_file=journal)
    body = b'{"status": "cancelled", "notes": "x", "n": ' + str(HUGE).encode() + b"}"
    with in_process_client(engine) as client:
        reply = client.patch(
            f"/v1/appointments/{SEED_ID}",
            content=body,
            headers={**AUTH, "content-type": "application/json"},
        )
        assert reply.status_code == 400  # an unknown field: the client's mistake, journaled
        listed = client.get("/__admin/requests").json()["requests"]
        har = client.get("/__admin/requests", params={"format": "har"}).text
    engine.close()
    assert listed[-1]["body"]["n"] == HUGE
    [line] = journal.read_text().splitlines()
    assert json.loads(line)["body"]["n"] == HUGE
    assert str(HUGE) in har


def validate(*paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "validate", *paths],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_validate_refuses_a_device_in_one_line():
    result = validate("/dev/zero")
    assert result.returncode == 1
    assert "/dev/zero: not a regular file; refused" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_validate_refuses_a_fifo_without_waiting_on_it(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result = validate(str(fifo))
    assert result.returncode == 1
    assert f"{fifo}: not a regular file; refused" in result.stderr


# Runs its arguments as a command; prints that command's peak memory (KiB) on stdout.
_LAUNCHER = (
    "import resource, subprocess, sys;"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode;"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def test_a_file_of_a_million_values_is_refused_within_200_mb(tmp_path):
    """Refused while it is parsed, so the tree of a million values is never built."""
    folder = tmp_path / "huskyvoice"
    folder.mkdir()
    text = "provider: huskyvoice\ndescription: [" + ",".join(["1"] * 1_900_000) + "]\n"
    (folder / "many.yaml").write_text(text)
    # Started from a small launcher, not from this (large) test process: a child's peak
    # memory counts the address space it was spawned from until it execs, so measured
    # straight from here it would include this process's own.
    command = [sys.executable, "-m", "mockserver", "validate", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command], capture_output=True, text=True
    )
    peak_mb = int(result.stdout.strip()) / 1024
    assert result.returncode == 1
    assert "many.yaml:2: holds more than 100000 values" in result.stderr, result.stderr
    assert peak_mb < 200, f"{peak_mb:.0f} MB"
