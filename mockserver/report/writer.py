"""The report directory: every file written from one run record, each one atomically (a reader
never sees half a file, and a failed write leaves the previous version)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson

from mockserver.core.exchange import dumps
from mockserver.journal.har import har_log
from mockserver.journal.run import RunRecord, problems_by_request
from mockserver.report.junit import junit_xml
from mockserver.report.summary import summary_markdown
from mockserver.report.verdict import Verdict

# The address HAR entries name when the caller does not say how clients reached the mock.
DEFAULT_BASE_URL = "http://127.0.0.1"


def write_report(
    record: RunRecord,
    directory: Path,
    verdict: Verdict,
    *,
    base_url: str = DEFAULT_BASE_URL,
    extra: dict[str, bytes] | None = None,
) -> list[Path]:
    """Write the report's files into `directory` (made if missing); the paths written.

    `extra` adds files by relative name (the Pact files). Raises OSError when the directory
    cannot be written; the caller decides whether that fails its run.
    """
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Callable[[], bytes]] = {
        "junit.xml": lambda: junit_xml(record, verdict),
        "violations.json": lambda: _json(
            {"violations": list(record.violations), "total_seen": record.violations_seen}
        ),
        "near-misses.json": lambda: _json({"near_misses": list(record.near_misses)}),
        "coverage.json": lambda: _json(dict(record.coverage)),
        "journal.jsonl": lambda: journal_lines(record),
        "journal.har": lambda: _json(har_log(list(record.exchanges), base_url, record.version)),
        "summary.md": lambda: summary_markdown(record, verdict).encode(),
    }
    written = []
    for name, build in files.items():
        written.append(atomic_write(directory / name, build()))
    for name, data in (extra or {}).items():
        written.append(atomic_write(directory / name, data))
    return written


def journal_lines(record: RunRecord) -> bytes:
    """One JSON line an exchange; one that broke the contract carries its `problems`."""
    problems = problems_by_request(record.violations)
    lines = []
    for entry in record.exchanges:
        line: dict[str, object] = dict(entry)
        if entry["broke_contract"]:
            line["problems"] = problems.get(entry["id"], [])
        lines.append(dumps(line) + b"\n")
    return b"".join(lines)


def _json(document: object) -> bytes:
    """Indented JSON, written by orjson (a 500-test suite's HAR took the json module a quarter
    of a second); the json module takes over for what orjson refuses, an integer of more than
    64 bits, written exactly."""
    try:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def atomic_write(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file beside it: readers see the old file or
    the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
