"""The compiled validators never pass what jsonschema, the reference, refuses.

`Contracts.check` lets an instance through without the reference only when the compiled
validator (jsonschema-rs) finds it valid, so a single instance it passes and the reference
refuses would be a contract break the mock never reports. Seeds are the documents the mock
itself checks on a tour of both providers (requests, answers, errors); Hypothesis then changes
them one place at a time, with values taken from the schemas and the edges where two regex
engines or two number models could part (a trailing newline, other scripts' digits, 1.0, a
64-bit overflow, a boolean for an integer), and the verdict of `check` must be the reference's,
but where ECMA-262 reads a pattern otherwise than Python's `re` (core/ecma_regex.py): there
`check` refuses what plain jsonschema lets through, and only there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import AUTH, SEED_ID
from mockserver import MockEngine, MockRequest
from mockserver.core.contracts import Contracts
from mockserver.core.json_value import objects_in

LEYR = {"x-leyr-client-id": "test-client-id", "x-leyr-client-secret": "test-client-secret"}
WEBDOC = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
ANITA = "/api/emrs/anitasystems/care-units/L0_1/appointments"
JSON = {"content-type": "application/json"}


def _tour(engine: MockEngine) -> None:
    """Requests of every kind on both providers: answers, refusals and errors."""

    def send(method: str, path: str, query: str = "", headers=None, body=None) -> bytes:
        headers = {k.lower(): v for k, v in {**(headers or {}), **JSON}.items()}
        data = b"" if body is None else json.dumps(body).encode()
        return engine.handle(MockRequest(method, path, query, headers, data)).payload

    send("GET", f"/v1/appointments/{SEED_ID}", headers=AUTH)
    send("GET", "/v1/appointments", "date=2026-06-15&limit=5", headers=AUTH)
    send("GET", "/v1/appointments", "limit=0", headers=AUTH)
    send("PATCH", f"/v1/appointments/{SEED_ID}", headers=AUTH, body={"status": "cancelled"})
    send("PATCH", f"/v1/appointments/{SEED_ID}", headers=AUTH, body={"status": "nope"})
    send("PATCH", "/v1/appointments/appt_missing0", headers=AUTH, body={"status": "cancelled"})
    send("PATCH", f"/v1/appointments/{SEED_ID}", body={"status": "cancelled"})
    for path in ("/v1/config", "/v1/availability"):
        send("GET", path, "date=2026-06-15", headers=AUTH)
    send("PATCH", f"{WEBDOC}/1001", headers=LEYR, body={"status": "cancelled", "comment": "c"})
    send("PATCH", WEBDOC, headers=LEYR, body={"ids": ["1002", "9999"], "status": "cancelled"})
    send("GET", WEBDOC, "status=cancelled", headers=LEYR)
    pending = json.loads(send("PATCH", f"{ANITA}/2001", headers=LEYR, body={"status": "cancelled"}))
    new_id = pending.get("id", "2001") if isinstance(pending, dict) else "2001"
    send("PATCH", f"{ANITA}/{new_id}", headers=LEYR, body={"confirmation": {"code": "000000"}})
    send("PATCH", f"{WEBDOC}/1003", headers=LEYR, body={"status": "cancelled", "extra": 1})


def _seeds() -> list[tuple[str, object]]:
    """(schema, instance) for every check the tour makes, the valid and the invalid alike."""
    engine = MockEngine(contracts=Contracts())  # its own: the check is wrapped below
    contracts = engine.contracts
    seen: list[tuple[str, object]] = []
    check = contracts.check

    def recording(name: str, instance: object, *, root: str = "") -> list[object]:
        seen.append((name, json.loads(json.dumps(instance))))
        return check(name, instance, root=root)

    contracts.check = recording  # type: ignore[method-assign]
    _tour(engine)
    unique = {
        (name, json.dumps(instance, sort_keys=True)): (name, instance) for name, instance in seen
    }
    return list(unique.values())


SEEDS = _seeds()
CONTRACTS = Contracts()
REFERENCE = {
    name: jsonschema.Draft202012Validator(CONTRACTS.documents[name], registry=CONTRACTS.registry)
    for name in {name for name, _ in SEEDS}
}


def _schema_values() -> list[object]:
    """Property names, enum members and constants the schemas themselves name."""
    found: set[str] = set()
    values: list[object] = []
    for document in CONTRACTS.documents.values():
        for node in objects_in(document):
            for key in (
                node.get("properties", {}) if isinstance(node.get("properties"), dict) else ()
            ):
                found.add(key)
            for member in node.get("enum", []) if isinstance(node.get("enum"), list) else ():
                values.append(member)
            if "const" in node:
                values.append(node["const"])
    return [*sorted(found), *values]


EDGES: list[object] = [
    "",
    " ",
    "cancelled\n",
    "2026-06-15T09:00:00Z\n",
    "2026-06-15T09:00:00+02:00",
    "2026-02-30T10:00:00Z",
    "2026-06-15",
    "2026-06-15\n",
    "٢٠٢٦-06-15",  # Arabic-Indic digits: a \\d to Python's re, not to ECMA-262
    "2026-06-15T09:00:00.1234567Z",
    "emr_id:",
    "emr_id:x",
    "a" * 201,
    "é",
    "\u2028",
    0,
    -1,
    1,
    1.0,
    1.5,
    100,
    101,
    2**63,
    -(2**63) - 1,
    10**30,
    1e308,
    True,
    False,
    None,
    [],
    {},
    [1, 1.0],
    [True, 1],
]
VALUES = st.sampled_from(EDGES + _schema_values())
SCALARS = st.one_of(VALUES, st.text(max_size=12), st.integers(), st.floats(allow_nan=False))


def _places(instance: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield path
    if isinstance(instance, dict):
        for key, value in instance.items():
            yield from _places(value, (*path, key))
    elif isinstance(instance, list):
        for index, value in enumerate(instance):
            yield from _places(value, (*path, index))


def _changed(instance: object, path: tuple[object, ...], how: str, value: object) -> object:
    """A copy of `instance` with the place at `path` replaced, removed or given a new field."""
    copy = json.loads(json.dumps(instance))
    if not path:
        return value if how == "replace" else copy
    parent = copy
    for step in path[:-1]:
        parent = parent[step]  # type: ignore[index]
    last = path[-1]
    if how == "replace":
        parent[last] = value  # type: ignore[index]
    elif how == "remove":
        del parent[last]  # type: ignore[arg-type, union-attr]
    elif isinstance(parent[last], dict):  # type: ignore[index]
        parent[last][str(value)] = value  # type: ignore[index]
    elif isinstance(parent[last], list):  # type: ignore[index]
        parent[last].append(value)  # type: ignore[index]
    return copy


@st.composite
def changed_documents(draw: st.DrawFn) -> tuple[str, object]:
    name, instance = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_places(instance))))
        how = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        value = draw(
            st.one_of(
                SCALARS,
                st.lists(SCALARS, max_size=3),
                st.dictionaries(
                    st.sampled_from(_schema_values() or ["x"]).map(str), SCALARS, max_size=3
                ),
            )
        )
        instance = _changed(instance, path, how, value)
    return name, instance


def test_the_tour_checks_requests_answers_and_errors_of_both_providers():
    names = {name for name, _ in SEEDS}
    assert {"huskyvoice/update-appointment.request", "huskyvoice/appointment.response"} <= names
    assert {"leyr/update-appointment.request", "leyr/problem"} <= names
    assert {"huskyvoice/error", "leyr/appointment.response"} <= names


def _read_otherwise_by_ecma(instance: object) -> bool:
    """Whether a string in `instance` ends with a newline or holds a digit outside 0-9: where
    ECMA-262's `$` and `\\d` part from Python's."""
    if isinstance(instance, str):
        return instance.endswith("\n") or any(
            c.isdigit() and c not in "0123456789" for c in instance
        )
    if isinstance(instance, dict):
        return any(map(_read_otherwise_by_ecma, [*instance, *instance.values()]))
    if isinstance(instance, list):
        return any(map(_read_otherwise_by_ecma, instance))
    return False


def _agrees(name: str, instance: object) -> None:
    passed = CONTRACTS.check(name, instance) == []
    valid = REFERENCE[name].is_valid(instance)
    assert passed == valid or (valid and _read_otherwise_by_ecma(instance)), (passed, valid)


@pytest.mark.parametrize(("name", "instance"), SEEDS, ids=[name for name, _ in SEEDS])
def test_check_gives_the_references_verdict_on_every_document_the_mock_checked(name, instance):
    _agrees(name, instance)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changed_documents())
def test_check_gives_the_references_verdict_on_changed_documents(case):
    _agrees(*case)
