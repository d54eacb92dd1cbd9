"""Where the built-in scenarios and schemas live, installed or in a source checkout."""

from __future__ import annotations

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
