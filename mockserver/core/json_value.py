"""A JSON value as the standard library parses it: the one recursive type for bodies that
are only carried, stored and written again (journal entries, rendered answers)."""

from __future__ import annotations

# Every value `json.loads` can give; a dict's keys are always strings.
JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]
