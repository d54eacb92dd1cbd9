"""JSON Schema contracts, loaded and compiled once to check traffic (openapi.py reads them)."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jsonschema_rs
import msgspec

from mockserver.core.documents import ProblemDocument
from mockserver.core.ecma_regex import exact_patterns, pattern_problems
from mockserver.core.exchange import clip, deeper_than
from mockserver.core.reference_validator import (
    DRAFT_2020_12,
    ReferenceValidator,
    WalkTooLong,
    as_reference_schema,
    bounded_walk,
    reference_class,
)
from mockserver.core.resources import schemas_dir
from mockserver.core.schema_graph import recursive

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from referencing.jsonschema import SchemaRegistry

# Schemas reference each other by relative file name; this base only gives them absolute ids.
# It is never fetched: the registry holds every document.
SCHEMA_BASE = "https://schemas.mockserver.invalid/"


class Problem(msgspec.Struct, frozen=True):
    """One way an instance breaks a schema."""

    location: str
    message: str
    schema_path: str
    path: tuple[str | int, ...] = ()
    # The field a `required` keyword found absent (its parent is `path`).
    missing: str | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def to_json(self) -> ProblemDocument:
        return {"location": self.location, "message": self.message, "schema_path": self.schema_path}


def _clipped(path: Iterable[object]) -> tuple[str | int, ...]:
    """A path into an instance, each name clipped: a client's names are echoed back."""
    return tuple(part if isinstance(part, int) else clip(str(part), MAX_NAME) for part in path)


def _location(path: Iterable[object], root: str) -> str:
    parts = [root] if root else []
    parts += (f"[{part}]" if isinstance(part, int) else part for part in _clipped(path))
    return ".".join(parts).replace(".[", "[")


def _path(error: ValidationError) -> tuple[str | int, ...]:
    """Where the problem is; for an unknown field, the field itself rather than its parent."""
    path = _clipped(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        extra = sorted(str(key) for key in error.instance if key not in known)
        if extra:
            return (*path, clip(extra[0], MAX_NAME))
    return path


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known))
        named = ", ".join(repr(clip(str(name), MAX_NAME)) for name in extra[:MAX_NAMED])
        if len(extra) > MAX_NAMED:
            named += f" and {len(extra) - MAX_NAMED} more"
        return f"unknown field(s) {named}; allowed: {', '.join(known)}"
    if error.validator == "minProperties":
        return f"must have at least {error.validator_value} field(s)"
    if error.validator in {"minItems", "maxItems"} and isinstance(error.instance, list):
        bound = "at least" if error.validator == "minItems" else "at most"
        return f"has {len(error.instance)} item(s); {bound} {error.validator_value}"
    if error.validator == "unevaluatedProperties":
        return "unknown field(s) " + ", ".join(re.findall(r"'[^']*'", error.message))
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    if error.validator in {"minLength", "maxLength", "pattern", "enum", "const", "type"}:
        value = json.dumps(error.instance, ensure_ascii=False)
        if len(value) > 60:
            value = value[:59] + "…"
        return f"{value} {_constraint(error)}"
    return str(error.message)


def _constraint(error: ValidationError) -> str:
    value = error.validator_value
    if error.validator == "minLength":
        return f"is shorter than {value} characters"
    if error.validator == "maxLength":
        return f"is longer than {value} characters"
    if error.validator == "pattern":
        # A pattern that spells a format reads as the format, not as the regex.
        worded = PATTERN_WORDS.get(str(value)) or FORMAT_WORDS.get(error.schema.get("format"))
        return worded or f"does not match {value}"
    if error.validator == "enum":
        return f"is not one of {', '.join(map(json.dumps, value))}"
    if error.validator == "const":
        return f"must be {json.dumps(value)}"
    return f"is not of type {' or '.join(value) if isinstance(value, list) else value}"


# What a problem quotes of the instance: ten unknown fields at most (the rest are counted), each
# name clipped, and the whole message clipped. A client's names are echoed in the answer and
# kept among the violations: without these, ten 95,000-character names made a 950 KB answer.
MAX_NAMED = 10
MAX_NAME = 60
MAX_PROBLEM = 1_000

# Patterns read as what they spell where no format says it, or says less (huskyvoice/common.json's
# `time`: RFC 3339's `time` wants seconds and an offset; its `timestamp`: a date-time, but only
# in UTC with milliseconds, which the date-time wording would not tell a client).
PATTERN_WORDS = {
    "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$": "is not a time of day (HH:MM or HH:MM:SS)",
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$": (
        "is not a UTC timestamp with milliseconds (YYYY-MM-DDThh:mm:ss.sssZ)"
    ),
}

FORMAT_WORDS = {
    "date": "is not a date (YYYY-MM-DD)",
    "date-time": "is not an RFC 3339 date and time: YYYY-MM-DDThh:mm:ss, then Z or ±hh:mm",
}


# A compiled validator's yes or no: whether the instance is valid.
FastValidator = Callable[[object], bool]
# How deep an instance a recursive schema's compiled validator is given (see _compile_fast):
# far below where it fails (10,000 levels pass), far above any real document.
MAX_COMPILED_DEPTH = 512
# Steps (keywords applied) jsonschema may take to word a document's problems, at about 10 µs a
# step. A built-in scenario takes a few hundred, a HuskyVoice search page of 200 appointments
# 6,600; a 22 KB stub of nested matchers with one mistake took 120,000 (1.2 s of CPU). Past the
# budget, the problems found so far are given, with a last one saying there may be more.
MAX_WALK_STEPS = 20_000
# Problems one check lists at most; past them, a last one says there may be more.
MAX_PROBLEMS_FOUND = 2_000


class Contracts:
    """Every schema document under one directory, addressed as `<provider>/<name>`."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or schemas_dir()
        self.documents: dict[str, dict[str, Any]] = {}
        for path in sorted(self.root.rglob("*.json")):
            name = path.relative_to(self.root).with_suffix("").as_posix()
            document = msgspec.json.decode(path.read_bytes())
            document["$id"] = SCHEMA_BASE + name + ".json"
            self.documents[name] = document
        # False where a schema's keywords need the full engine (see _compile_fast).
        self._fast: dict[str, FastValidator | Literal[False]] = {}
        self._compiled: dict[str, jsonschema_rs.Validator] = {}
        self._validators: dict[str, ReferenceValidator] = {}
        # The documents as the compiled validators are given them (see _exact_document).
        self._exact: dict[str, dict[str, object]] = {}

    @cached_property
    def registry(self) -> SchemaRegistry:
        """Every document for jsonschema's resolver; built the first time a problem is worded."""
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        return Registry().with_resources(
            (
                doc["$id"],
                Resource.from_contents(as_reference_schema(doc), default_specification=DRAFT202012),
            )
            for doc in self.documents.values()
        )

    def _reference(self, name: str) -> ReferenceValidator:
        """jsonschema, the reference implementation: slow, exact, and it words the problems."""
        validator = self._validators.get(name)
        if validator is None:
            document = as_reference_schema(self.documents[name])
            validator = reference_class()(document, registry=self.registry)
            self._validators[name] = validator
        return validator

    @cached_property
    def _fast_registry(self) -> jsonschema_rs.Registry:
        """Every document for the compiled validators' references (never fetched: offline)."""
        return jsonschema_rs.Registry(
            [(doc["$id"], self._exact_document(name)) for name, doc in self.documents.items()]
        )

    def _exact_document(self, name: str) -> dict[str, object]:
        """Document `name` with its patterns in the form the compiled validators read as
        ECMA-262 does (core/ecma_regex.py), rewritten once for the registry and the validator."""
        exact = self._exact.get(name)
        if exact is None:
            exact = self._exact[name] = exact_patterns(self.documents[name])
        return exact

    def _compile_fast(self, name: str) -> FastValidator | Literal[False]:
        """A compiled validator for `name` (jsonschema-rs: the same Draft 2020-12, about ten
        times faster than code generated in Python, and compiled in a tenth of the time), or
        False where it cannot compile the schema and jsonschema answers alone."""
        document = self.documents[name]
        try:
            validator = jsonschema_rs.Draft202012Validator(
                self._exact_document(name),
                registry=self._fast_registry,
                validate_formats=False,
                offline=True,
            )
        except Exception:  # a keyword or a regex it does not take: jsonschema answers alone
            return False
        self._compiled[name] = validator
        is_valid = validator.is_valid
        by_id = {doc["$id"]: doc for doc in self.documents.values()}
        if not recursive(by_id, document["$id"]):
            return is_valid  # it goes no deeper than the schema, however deep the instance

        def shallow_and_valid(instance: object) -> bool:
            # A recursive schema is followed natively as deep as the instance goes, and deep
            # enough (some 100,000 levels) overflows the native stack and ends the process,
            # where jsonschema stops at Python's recursion limit: deeper instances go to it.
            return not deeper_than(instance, MAX_COMPILED_DEPTH) and is_valid(instance)

        return shallow_and_valid

    def names(self) -> Iterable[str]:
        return self.documents.keys()

    def serves(self, provider: str) -> bool:
        """Whether the scenario schema knows `provider`."""
        scenario = self.documents["scenario.schema"]
        return provider in scenario["properties"]["provider"]["enum"]

    def extended(
        self,
        documents: Mapping[str, Mapping[str, object]],
        sections: Mapping[str, Mapping[str, object]],
    ) -> Contracts:
        """These contracts plus a provider's own: its schema documents by name, and its section
        of the scenario schema (`{"properties": {…}}`, checked when `provider:` names it). The
        originals stay as they were; the copy compiles its validators afresh."""
        other = copy.copy(self)
        for built in ("registry", "_fast_registry"):  # built again, with the new documents
            other.__dict__.pop(built, None)
        other.documents = dict(self.documents)
        for name, document in documents.items():
            _check_document(name, document)
            other.documents[name] = {
                **copy.deepcopy(dict(document)),
                "$id": SCHEMA_BASE + name + ".json",
            }
        scenario = copy.deepcopy(self.documents["scenario.schema"])
        for provider, section in sections.items():
            _check_document(f"{provider}'s scenario section", section)
            scenario["properties"]["provider"]["enum"].append(provider)
            scenario["$defs"][provider] = copy.deepcopy(dict(section))
            branch = {"properties": {"provider": {"const": provider}}}
            scenario["allOf"].append({"if": branch, "then": {"$ref": f"#/$defs/{provider}"}})
        other.documents["scenario.schema"] = scenario
        other._fast, other._compiled, other._validators, other._exact = {}, {}, {}, {}
        return other

    def check(
        self, name: str, instance: object, *, root: str = "", walk_steps: int = MAX_WALK_STEPS
    ) -> list[Problem]:
        """Problems of `instance` against schema `name`, most relevant first; [] when valid.

        A compiled validator answers "valid" fast; only an instance it does not find valid is
        walked again by jsonschema, the reference implementation, which has the last word and
        words the problems, within `walk_steps` keywords applied.
        """
        fast = self._fast.get(name)
        if fast is None:
            fast = self._fast[name] = self._compile_fast(name)
        if fast is not False:
            try:
                if fast(instance):
                    return []
            except (ValueError, TypeError, OverflowError):
                pass  # a value with no JSON form (a lone surrogate): jsonschema says how it breaks
        errors: list[ValidationError] = []
        cut = ""
        try:
            with bounded_walk(walk_steps):
                for error in self._reference(name).iter_errors(instance):
                    errors.append(error)
                    if len(errors) == MAX_PROBLEMS_FOUND:
                        # One step can find many (`required`, one a missing field): 36,000
                        # problems from 20,000 steps took 0.6 s more to word.
                        cut = f"the first {MAX_PROBLEMS_FOUND} are listed"
                        break
        except WalkTooLong:
            cut = f"too large to check in full (over {walk_steps} steps)"
        if not cut:
            return _worded(errors, root)
        # What the walk found is worded as ever; found nothing, the compiled validator names
        # the first problem (it stops there: its every-error listing builds them all first,
        # 8 s for 100,000 empty appointments).
        found = _worded(errors, root) or self._first_problem(name, instance, root)
        return [*found, Problem(root, f"may have more problems: {cut}", "")]

    def _first_problem(self, name: str, instance: object, root: str) -> list[Problem]:
        """The compiled validator's first problem with `instance`, in its own words; or, where
        it cannot tell, why the instance could not be checked."""
        validator = self._compiled.get(name)
        unread = "no compiled validator takes its schema"
        if validator is not None and deeper_than(instance, MAX_COMPILED_DEPTH):
            unread = "it nests too deep for the compiled validator"
        elif validator is not None:
            try:
                validator.validate(instance)
            except jsonschema_rs.ValidationError as error:
                return [_compiled_problem(error, root)]
            except (ValueError, TypeError, OverflowError) as error:
                # A value with no JSON form (a lone surrogate, a key that is no text): no
                # answer could carry it either. Refused, saying why it was not checked.
                unread = f"the compiled validator cannot read it ({clip(str(error), MAX_NAME)})"
            else:
                return []
        message = f"cannot be checked in full: it is too large to word, and {unread}"
        return [Problem(root, message, "")]


def _worded(errors: list[ValidationError], root: str) -> list[Problem]:
    """jsonschema's errors as problems, most relevant first, each `oneOf`/`anyOf` by its branch."""
    return [
        Problem(
            _location(error.absolute_path, root),
            clip(_message(error) + note, MAX_PROBLEM),
            "/".join(map(str, error.absolute_schema_path)),
            _path(error),
            _missing(error),
        )
        for error, note in _leaves(sorted(errors, key=_relevance))
    ]


def _compiled_problem(error: jsonschema_rs.ValidationError, root: str) -> Problem:
    """One problem as jsonschema-rs words it, its quotes bounded like jsonschema's."""
    path = _clipped(error.instance_path)
    kind, missing = error.kind, None
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        missing = clip(str(kind.property), MAX_NAME)
    elif (
        isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties) and kind.unexpected
    ):
        path = (*path, clip(str(kind.unexpected[0]), MAX_NAME))  # the field itself, as _path does
    return Problem(
        _location(error.instance_path, root),
        clip(error.message, MAX_PROBLEM),
        "/".join(map(str, error.schema_path)),
        path,
        missing,
    )


def _relevance(error: ValidationError) -> tuple[int, str]:
    return (-len(error.absolute_path), str(list(error.absolute_path)))


def _leaves(errors: list[ValidationError], note: str = "") -> list[tuple[ValidationError, str]]:
    """Replace `oneOf`/`anyOf` wrappers by the error of their closest branch: the one that got
    deepest into the instance, then the one with fewest errors. Where the branches have titles,
    the error says which form it was read as and names the others."""
    out: list[tuple[ValidationError, str]] = []
    for error in errors:
        if not error.context:
            out.append((error, note))
            continue
        branches: dict[str | int, list[ValidationError]] = {}
        for inner in error.context:
            branches.setdefault(inner.relative_schema_path[0], []).append(inner)
        index, found = min(
            branches.items(),
            key=lambda item: (-max(len(e.absolute_path) for e in item[1]), len(item[1])),
        )
        best = min(found, key=lambda e: (-len(e.absolute_path), len(e.schema_path)))
        out.extend(_leaves([best], _form_note(error.validator_value, index) or note))
    return out


def _form_note(branches: object, index: object) -> str:
    """` (read as a cancellation; or send a confirmation)` for titled branches, else ``."""
    if not isinstance(branches, list) or not isinstance(index, int):
        return ""
    titles = [str(b.get("title") or "") if isinstance(b, dict) else "" for b in branches]
    if not all(titles):
        return ""
    others = " or ".join(t for i, t in enumerate(titles) if i != index)
    return f" (read as {titles[index]}; or send {others})"


def _missing(error: ValidationError) -> str | None:
    if error.validator != "required" or not isinstance(error.instance, dict):
        return None
    absent = [name for name in error.validator_value if name not in error.instance]
    return str(absent[0]) if absent else None


_default: Contracts | None = None


def default_contracts() -> Contracts:
    """The bundled schemas, loaded and compiled once per process."""
    global _default
    if _default is None:
        _default = Contracts()
    return _default


def _check_document(name: str, document: Mapping[str, object]) -> None:
    """`_checked_document`, once a document: every engine built while a provider is registered
    extends the contracts with its documents, and the meta-schema's walk costs milliseconds."""
    _checked_document(name, json.dumps(document, sort_keys=True, default=repr))


@functools.lru_cache(maxsize=256)
def _checked_document(name: str, text: str) -> None:
    """A provider's schema document (as JSON text), refused where the two validators would
    read it apart or could not read it: another dialect than Draft 2020-12 (the compiled
    validators read every document as 2020-12, so a draft-07 `dependencies` passed unchecked),
    a document that is no 2020-12 schema (a draft-07 `items: [...]` failed each request it
    met), or a `pattern` neither regex engine reads. ValueError, naming the document and what
    is wrong."""
    document = json.loads(text)
    dialect = document.get("$schema", DRAFT_2020_12)
    if dialect != DRAFT_2020_12:
        raise ValueError(
            f"schema {name!r} declares $schema {clip(str(dialect), 120)!r}: the contracts are "
            f"JSON Schema Draft 2020-12 ({DRAFT_2020_12}); write it in that dialect"
        )
    from jsonschema import Draft202012Validator  # here: a run without plug-ins never needs it

    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)  # formats unchecked: see below
    error = next(iter(meta.iter_errors(document)), None)
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "the top"
        raise ValueError(
            f"schema {name!r} is no Draft 2020-12 schema: at {where}, {clip(error.message, 200)}"
        )
    # Patterns are checked by both engines rather than by the meta-schema's `regex` format,
    # which Python's `re` would judge: ECMA's `\p{L}` or `(?<year>…)` are patterns it refuses.
    problems = pattern_problems(document)
    if problems:
        pattern, why = problems[0]
        raise ValueError(
            f"schema {name!r} has a pattern the mock cannot take, {clip(pattern, 120)!r}: {why}"
        )
