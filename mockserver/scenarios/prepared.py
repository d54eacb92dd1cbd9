"""The built-in scenario files as already read, so that a start needs neither PyYAML nor a parse.

`prepared.json`, beside the built-in files' provider folders, holds each file's SHA-256 and the
document its YAML reads as. A file whose bytes no longer have that digest (edited and not
prepared again) is read from its YAML: the copy can make a start slower, never different.
`python -m mockserver.scenarios.write_prepared` writes the copy again; a test fails while it is
stale.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import msgspec

from mockserver.core.resources import read_bounded

PREPARED_FILE = "prepared.json"
# A copy past this size is no copy of the package's files (which make about 33 KB): passed over.
MAX_PREPARED_BYTES = 4 * 1024 * 1024
ABOUT = (
    "The built-in scenario files as read, for a fast start: each file's SHA-256 and its "
    "document. Written by `python -m mockserver.scenarios.write_prepared`; a file whose digest "
    "differs is read from its YAML."
)


class PreparedEntry(msgspec.Struct, frozen=True):
    sha256: str  # of the YAML file's bytes
    document_sha256: str  # of the document as msgspec encodes it: a damaged copy is passed over
    document: msgspec.Raw  # decoded afresh for every reader: no two catalogs share a document


class PreparedFile(msgspec.Struct, frozen=True):
    about: str
    files: dict[str, PreparedEntry]


def prepared_key(path: Path) -> str:
    """A built-in file's name in the copy: `<provider folder>/<file name>`."""
    return f"{path.parent.name}/{path.name}"


def document_digest(document: object) -> str:
    return hashlib.sha256(msgspec.json.encode(document)).hexdigest()


@functools.cache
def _entries(directory: Path) -> dict[str, PreparedEntry]:
    try:
        # Read as a scenario file is: a FIFO in its place would block the start.
        prepared = read_bounded(directory / PREPARED_FILE, MAX_PREPARED_BYTES)
        return msgspec.json.decode(prepared, type=PreparedFile).files
    except Exception:  # missing, unreadable, too large, damaged, nested past the decoder
        return {}  # every file is read from its YAML


def prepared_document(path: Path, data: bytes) -> dict[str, object] | None:
    """The document of the built-in file at `path`, whose bytes are `data`, if its copy is of
    exactly these bytes; else None."""
    entry = _entries(path.parent.parent).get(prepared_key(path))
    if entry is None or entry.sha256 != hashlib.sha256(data).hexdigest():
        return None
    try:
        document = msgspec.json.decode(entry.document)
    except Exception:  # a document nested deeper than the decoder goes
        return None
    if not isinstance(document, dict) or document_digest(document) != entry.document_sha256:
        return None  # damaged, or edited by hand, since it was written
    return document
