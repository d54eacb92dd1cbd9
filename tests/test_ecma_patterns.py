"""Patterns are read as ECMA-262 reads them, by the compiled validators and by jsonschema alike:
`$` ends the text (no final newline slips past it), `\\d` is an ASCII digit."""

from __future__ import annotations

import json

import pytest

from conftest import AUTH
from mockserver import MockEngine, MockRequest
from mockserver.core.contracts import Contracts
from mockserver.core.ecma_regex import compiled, ecma_to_python

LEYR = {
    "x-leyr-client-id": "test-client-id",
    "x-leyr-client-secret": "test-client-secret",
    "content-type": "application/json",
}
TWO_STEP = "/api/emrs/anitasystems/care-units/L0_1/appointments"


@pytest.mark.parametrize(
    ("pattern", "python"),
    [
        (r"^\d{2}:\d{2}$", r"^[0-9]{2}:[0-9]{2}\Z"),
        (r"^[^/:]+$", r"^[^/:]+\Z"),
        (r"[\d$]", r"[0-9$]"),  # in a class: a digit, or a literal dollar
        (r"\$\d", r"\$[0-9]"),  # an escaped dollar stays one
        (r"\\$", r"\\\Z"),  # an escaped backslash, then the end
        (r"[]$]$", r"[]$]\Z"),  # a `]` first in a class is a literal
        (r"[^]$]\D$", r"[^]$][^0-9]\Z"),
        (r"^(a|b)$", r"^(a|b)\Z"),
    ],
)
def test_a_pattern_is_rewritten_for_python_to_read_it_as_ecma_does(pattern, python):
    assert ecma_to_python(pattern) == python


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        (r"^[A-Z_]+$", "NOT_FOUND", True),
        (r"^[A-Z_]+$", "NOT_FOUND\n", False),
        (r"^\d{4}$", "2026", True),
        (r"^\d{4}$", "٢٠٢٦", False),
        (r"^\D+$", "٢٠٢٦", True),  # not an ASCII digit
        (r"^[\d]+$", "١٢", False),
        (r"cancel", "to cancel\n", True),  # unanchored: found anywhere, as before
    ],
)
def test_the_rewritten_pattern_matches_what_ecma_matches(pattern, text, matches):
    assert bool(compiled(pattern).search(text)) is matches


@pytest.mark.parametrize("text", ["2026-06-15T09:00:00Z\n", "٢٠٢٦-06-15T09:00:00Z"])
def test_jsonschema_and_the_compiled_validator_refuse_alike(text):
    contracts = Contracts()
    contracts.documents["probe"] = {
        "$ref": "leyr/common.json#/$defs/instant",
        "$id": "https://schemas.mockserver.invalid/probe.json",
    }
    assert contracts._compile_fast("probe") is not False
    assert not contracts._compile_fast("probe")(text)
    [problem] = contracts.check("probe", text)  # jsonschema words it: it finds it broken too
    assert "date and time" in problem.message


def test_a_code_with_a_final_newline_is_a_broken_request():
    engine = MockEngine(["leyr/two-step"])
    first = engine.handle(
        MockRequest("PATCH", f"{TWO_STEP}/2001", headers=LEYR, body=b'{"status": "cancelled"}')
    )
    new_id = json.loads(first.payload)["id"]
    body = json.dumps({"confirmation": {"code": "123456\n"}}).encode()
    answer = engine.handle(MockRequest("PATCH", f"{TWO_STEP}/{new_id}", headers=LEYR, body=body))
    assert answer.status == 400
    assert answer.request_problems


def test_a_query_number_with_a_final_newline_is_a_broken_request():
    engine = MockEngine()
    headers = {k.lower(): v for k, v in AUTH.items()}
    answer = engine.handle(MockRequest("GET", "/v1/appointments", "limit=20%0A", headers))
    assert answer.status == 400
    assert answer.request_problems
