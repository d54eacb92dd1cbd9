"""The typed scenario: what every provider's scenario has, parsed once from a checked document.

Each default is declared here once; `schemas/scenario.schema.json` carries the same value as
its `default` (a test holds the two together). Providers extend `ScenarioModel` with their own
fields and read nothing else from the YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import msgspec

from mockserver.core.clock import parse_instant

if TYPE_CHECKING:
    from mockserver.scenarios.interactions import Interaction

T = TypeVar("T", bound=msgspec.Struct)
DEFAULT_NOW = "2026-05-26T12:00:00.000Z"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class ErrorOverride(msgspec.Struct, frozen=True):
    """What to answer instead for one error code (`behaviour.errors.<CODE>`)."""

    status: int | None = None
    code: str | None = None
    message: str | None = None


class ScenarioModel(msgspec.Struct, frozen=True):
    """The fields every scenario has, whichever provider it is for."""

    seed: int = 0
    now: datetime = msgspec.field(default_factory=lambda: parse_instant(DEFAULT_NOW))
    frozen: bool = True
    errors: Mapping[str, ErrorOverride] = msgspec.field(default_factory=dict)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Compiled once the document passed every check (see Provider.read).
    interactions: tuple[Interaction, ...] = ()


def section(data: Mapping[str, object], name: str) -> Mapping[str, Any]:
    """An optional mapping of a checked document (absent: empty)."""
    value = data.get(name)
    return value if isinstance(value, Mapping) else {}


def items(data: Mapping[str, object], name: str) -> list[Mapping[str, Any]]:
    """An optional list of mappings of a checked document (absent: empty)."""
    value = data.get(name)
    return list(value) if isinstance(value, list) else []


def known_fields(cls: type[msgspec.Struct], raw: Mapping[str, object]) -> dict[str, Any]:
    """The fields of `raw` that record `cls` declares (the schema has refused any other)."""
    return {name: raw[name] for name in cls.__struct_fields__ if name in raw}


def declared_defaults(cls: type[msgspec.Struct]) -> dict[str, Any]:
    """The defaults record `cls` declares, by field (a factory shows as msgspec's `Factory`).
    On a record class, `cls.name` is the field's slot, not its default: read them here."""
    # The defaults belong to the last fields (a field without one cannot follow one with one).
    fields, defaults = cls.__struct_fields__, cls.__struct_defaults__
    return dict(zip(fields[len(fields) - len(defaults) :], defaults, strict=True))


def each(cls: type[T], data: Mapping[str, object], name: str) -> tuple[T, ...]:
    """The optional list `name` of a checked document, each item as a `cls`."""
    return tuple(cls(**known_fields(cls, raw)) for raw in items(data, name))


class CommonFields(TypedDict, total=False):
    """`ScenarioModel`'s own fields, as keyword arguments for it or a provider's model."""

    seed: int
    now: datetime
    frozen: bool
    errors: Mapping[str, ErrorOverride]
    max_body_bytes: int


def common_fields(data: Mapping[str, Any]) -> CommonFields:
    """The `ScenarioModel` fields of a schema-checked document, as keyword arguments."""
    clock = section(data, "clock")
    behaviour = section(data, "behaviour")
    defaults = declared_defaults(ScenarioModel)
    fields: CommonFields = {
        "seed": int(data.get("seed", defaults["seed"])),
        "frozen": bool(clock.get("frozen", defaults["frozen"])),
        "errors": {
            code: ErrorOverride(
                status=override.get("status"),
                code=override.get("code"),
                message=override.get("message"),
            )
            for code, override in section(behaviour, "errors").items()
        },
        "max_body_bytes": int(behaviour.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
    }
    if "now" in clock:
        fields["now"] = parse_instant(str(clock["now"]))
    return fields
