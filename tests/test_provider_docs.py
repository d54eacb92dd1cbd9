"""docs/providers.md tells what the exported contract says: each operation's answers, as
declared once (and marked [doc] or [mock] as the export marks them), and every [doc] statement
with its source sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver import MockEngine
from mockserver.providers.huskyvoice import sources as husky_sources
from mockserver.providers.leyr import sources as leyr_sources

PAGE = Path(__file__).resolve().parent.parent / "docs" / "providers.md"
SOURCES = {"huskyvoice": husky_sources, "leyr": leyr_sources}


def answers_table(provider: str) -> str:
    """The table of what each operation can answer, from the exported document."""
    document = MockEngine().openapi(provider)
    lines = ["| operation | answers |", "| --- | --- |"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            said = []
            for status, response in operation["responses"].items():
                codes = response.get("x-error-codes")
                if codes is None:
                    mark = "[mock]" if operation.get("x-mock-inferred") else "[doc]"
                    said.append(f"`{status}` {mark}")
                for code in codes or []:
                    mark = "[mock]" if code.get("x-mock-inferred") else "[doc]"
                    said.append(f"`{status} {code['code']}` {mark}")
            lines.append(f"| `{method.upper()} {path}` | {', '.join(said)} |")
    return "\n".join(lines)


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_the_page_lists_every_answer_each_operation_declares(provider):
    table = answers_table(provider)
    assert table in PAGE.read_text(), f"docs/providers.md should hold:\n{table}"


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_the_page_quotes_every_doc_statement_with_its_sentence(provider):
    text = " ".join(PAGE.read_text().split())
    for statement, source in SOURCES[provider].STATEMENTS.items():
        assert source.sentence in text, statement
        assert statement in text, statement


def test_every_documented_error_carries_its_sentence_in_the_export():
    husky = MockEngine().openapi("huskyvoice")["paths"]["/v1/appointments/{appointment_id}"]
    codes = {c["code"]: c for c in husky["patch"]["responses"]["403"]["x-error-codes"]}
    assert codes["INSUFFICIENT_SCOPE"]["x-doc-source"]["sentence"].startswith(
        "403 INSUFFICIENT_SCOPE"
    )
    assert codes["CANCELLATION_NOT_ALLOWED"]["x-mock-inferred"] is True
    assert "x-mock-inferred" not in husky["patch"]["responses"]["403"]  # one code is documented
    assert husky["patch"]["responses"]["429"]["x-mock-inferred"] is True  # the page is silent
    assert husky["patch"]["x-doc-source"]["page"] == husky_sources.PAGE
