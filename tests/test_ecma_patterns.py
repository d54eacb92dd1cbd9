"""Patterns are read as ECMA-262 reads them, by the compiled validators and by jsonschema alike:
`$` ends the text (no final newline slips past it), `\\d`, `\\w` and `\\b` are ASCII, `\\s` is
ECMA's white space, and `.` takes no line terminator. Where the two validators read a pattern
otherwise, an instance one refuses the other passes, and the mock let it through unreported."""

from __future__ import annotations

import json

import pytest

from conftest import AUTH
from mockserver import MockEngine, MockRequest
from mockserver.core import ecma_regex
from mockserver.core.contracts import Contracts
from mockserver.core.ecma_regex import ecma_exact, ecma_to_python, exact_patterns, matches

LEYR = {
    "x-leyr-client-id": "test-client-id",
    "x-leyr-client-secret": "test-client-secret",
    "content-type": "application/json",
}
TWO_STEP = "/api/emrs/anitasystems/care-units/L0_1/appointments"
WEBDOC = "/api/emrs/webdoc/care-units/wd-oslo-1/appointments"
ANY = "[^\\n\\r\\u2028\\u2029]"


@pytest.mark.parametrize(
    ("pattern", "python"),
    [
        (r"^\d{2}:\d{2}$", r"^\d{2}:\d{2}\Z"),  # re.ASCII reads \d as ECMA does
        (r"^[^/:]+$", r"^[^/:]+\Z"),
        (r"[\d$.]", r"[\d$.]"),  # in a class: a digit, a literal dollar, a literal dot
        (r"\$\d\.", r"\$\d\."),  # escaped dollar and dot stay literal
        (r"\\$", r"\\\Z"),  # an escaped backslash, then the end
        (r"[]$]$", r"[]$]\Z"),  # a `]` first in a class is a literal
        (r"[^]$]\D$", r"[^]$]\D\Z"),
        (r"^(a|b)$", r"^(a|b)\Z"),
        (r"a.b", f"a{ANY}b"),
        (r"\s\S", f"[{ecma_regex.ECMA_SPACE}][^{ecma_regex.ECMA_SPACE}]"),
        (r"[\s-]", f"[{ecma_regex.ECMA_SPACE}-]"),
    ],
)
def test_a_pattern_is_rewritten_for_python_to_read_it_as_ecma_does(pattern, python):
    assert ecma_to_python(pattern) == python


@pytest.mark.parametrize(
    ("pattern", "exact"),
    [
        (r"^emr_id:.+$", f"^emr_id:{ANY}+$"),
        (r"[.]\.", r"[.]\."),  # a dot in a class, or escaped, is literal
        (r"[\b]", r"[\b]"),  # in a class, \b is a backspace
        (r"^\d{4}$", r"^\d{4}$"),  # what the compiled validators read as ECMA does is kept
    ],
)
def test_a_pattern_is_given_the_compiled_validators_in_a_form_they_read_as_ecma_does(
    pattern, exact
):
    assert ecma_exact(pattern) == exact


def test_a_word_boundary_is_given_the_compiled_validators_on_ascii_word_characters():
    assert "\\b" not in ecma_exact(r"\bx\B")
    assert "(?<=[A-Za-z0-9_])" in ecma_exact(r"\bx")


def test_jsonschema_reads_patterns_as_the_compiled_validators_do_without_python(monkeypatch):
    def unread(pattern: str) -> object:
        raise AssertionError(f"Python's re read {pattern!r}")

    monkeypatch.setattr(ecma_regex, "compiled", unread)
    contracts = Contracts()
    contracts.documents["probe"] = {
        "type": "string",
        "pattern": "^(a|a)*(?!b)$",  # exponential on a backtracking engine without a limit
        "$id": "https://schemas.mockserver.invalid/probe.json",
    }
    [problem] = contracts.check("probe", "a" * 40 + "b")
    assert "does not match" in problem.message


def test_a_text_the_compiled_validators_cannot_take_is_read_by_python():
    assert matches("^a$", "a") is True
    assert matches("^.$", "\ud800") is True  # a lone surrogate: Python reads it, as ECMA would
    assert matches("^a$", "\ud800") is False


def test_only_schema_keywords_are_rewritten_for_the_compiled_validators():
    schema = {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "pattern": "a.b"},  # a property named pattern
            "other": {"const": {"pattern": "a.b"}},  # data, not a schema
        },
        "patternProperties": {"^x.$": {"enum": [{"pattern": "."}]}},
        "items": {"pattern": "."},
        "anyOf": [{"pattern": "."}, True],
        "$defs": {"d": {"not": {"pattern": "."}}},
    }
    exact = exact_patterns(schema)
    assert exact["properties"]["pattern"] == {"type": "string", "pattern": f"a{ANY}b"}
    assert exact["properties"]["other"] == {"const": {"pattern": "a.b"}}
    assert exact["patternProperties"] == {f"^x{ANY}$": {"enum": [{"pattern": "."}]}}
    assert exact["items"] == {"pattern": ANY}
    assert exact["anyOf"] == [{"pattern": ANY}, True]
    assert exact["$defs"] == {"d": {"not": {"pattern": ANY}}}
    assert schema["items"] == {"pattern": "."}  # the original is left as it was


def test_a_bulk_cancel_of_an_id_with_a_carriage_return_is_a_broken_request():
    engine = MockEngine(["leyr/bulk-cancel"])
    body = json.dumps({"ids": ["emr_id:1001\r1"], "status": "cancelled"}).encode()
    answer = engine.handle(MockRequest("PATCH", WEBDOC, headers=LEYR, body=body))
    assert answer.status == 400
    assert answer.request_problems


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
