"""Where the built-in scenarios and schemas live, installed or in a source checkout."""

from __future__ import annotations

import stat
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the `mockserver` package


def data_dir(name: str) -> Path:
    """Return the directory of bundled data `name` ("scenarios" or "schemas").

    A built wheel carries them under `mockserver/_bundled/`; a source checkout
    (and an editable install) keeps them at the project root.
    """
    bundled = _PACKAGE_DIR / "_bundled" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / name


def schemas_dir() -> Path:
    return data_dir("schemas")


def scenarios_dir() -> Path:
    return data_dir("scenarios")


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; OSError where it cannot
    be read, ValueError (its message the refusal) where it is no regular file or too large."""
    # Checked before opening: a device (/dev/zero) never ends, a FIFO blocks on open.
    found = path.stat()
    if not stat.S_ISREG(found.st_mode):
        raise ValueError("not a regular file; refused")
    if found.st_size > limit:
        raise ValueError(f"over {limit} bytes; refused")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)  # a file that grew meanwhile stops here
    if len(data) > limit:
        raise ValueError(f"over {limit} bytes; refused")
    return data


def scenario_files(directory: Path) -> list[Path]:
    """The scenario files under `directory` (any depth), in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def package_version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("appointment-cancellation-mockserver")
    except PackageNotFoundError:
        return "unknown (not installed)"
