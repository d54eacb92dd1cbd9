"""Write the built-in scenarios' prepared copy again.

`python -m mockserver.scenarios.write_prepared`; with `--check` it only says whether the copy is
stale, and exits 1 if so.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import msgspec

from mockserver.core.resources import scenario_files, scenarios_dir
from mockserver.scenarios.catalog import read_document
from mockserver.scenarios.prepared import (
    ABOUT,
    PREPARED_FILE,
    PreparedEntry,
    PreparedFile,
    document_digest,
    prepared_key,
)


def prepare(directory: Path) -> bytes:
    """The copy of every scenario file under `directory`, as `PREPARED_FILE` holds it; a
    ScenarioError for a file a scenario could not be built from (a duplicated key, say)."""
    files: dict[str, PreparedEntry] = {}
    for path in scenario_files(directory):
        data = path.read_bytes()
        document = read_document(data.decode("utf-8"), str(path))
        files[prepared_key(path)] = PreparedEntry(
            hashlib.sha256(data).hexdigest(),
            document_digest(document),
            msgspec.Raw(msgspec.json.encode(document)),
        )
    encoded = msgspec.json.encode(PreparedFile(ABOUT, files))
    return msgspec.json.format(encoded, indent=1) + b"\n"


def main(argv: list[str]) -> int:
    directory = scenarios_dir()
    wanted = prepare(directory)
    target = directory / PREPARED_FILE
    current = target.read_bytes() if target.is_file() else b""
    if "--check" in argv:
        stale = current != wanted
        print(f"{target}: {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    if current != wanted:
        target.write_bytes(wanted)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
