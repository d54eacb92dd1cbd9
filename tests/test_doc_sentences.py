"""Every sentence the mock calls documented is the provider's own, word for word, and every
sentence of the two cancellation pages is either quoted as a [doc] statement or named here as
stating nothing the mock serves. The pages are kept verbatim in tests/fixtures/provider-pages/
(their error tables lost the gaps between cells when captured as text, so sentences are compared
with whitespace removed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver import MockEngine
from mockserver.core.json_value import objects_in
from mockserver.providers.huskyvoice import sources as husky_sources
from mockserver.providers.leyr import sources as leyr_sources

PAGES = Path(__file__).resolve().parent / "fixtures" / "provider-pages"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "providers.md"
SOURCES = {"huskyvoice": husky_sources, "leyr": leyr_sources}

# Sentences of the pages that state no behaviour of the API, each with why.
STATE_NOTHING = {
    "huskyvoice": {
        "Response — 200 OK": "the heading of the example answer (exported as the 200 example)",
    },
    "leyr": {
        "This is called two-step cancellation.": "names the preceding sentence's behaviour",
        "Response:": "the heading of the example answer",
        "...": "the page's elision inside its example answers",
        "Your only job is to present an input field where they can enter that code.": (
            "advice on the client's own screen; the mock's outbox holds the code for tests"
        ),
        "Step 2 — Confirm the cancellation": "a heading; the next sentence says it",
    },
}


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page(provider: str) -> str:
    return (PAGES / f"{provider}.txt").read_text(encoding="utf-8")


def prose(provider: str) -> Iterator[str]:
    """The page's sentences, its code and example bodies left out."""
    for raw in page(provider).splitlines():
        line = raw.strip().lstrip("•").strip()
        code = line.startswith(("{", "}", '"', "curl", "-H", "-d", "PATCH https"))
        if not line or code or not (line.endswith((".", ":")) or "—" in line):
            continue
        yield from re.split(r"(?<=\.)\s+(?=[A-Z])", line)


def doc_sources(node: object) -> Iterator[object]:
    """Every `x-doc-source` in an exported document, at any depth."""
    for found in objects_in(node):
        if "x-doc-source" in found:
            yield found["x-doc-source"]


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_every_quoted_sentence_is_on_the_page(provider):
    text = squeezed(page(provider))
    module = SOURCES[provider]
    quoted = [
        *module.STATEMENTS.values(),
        *module.DOCUMENTED_ERRORS.values(),
        *module.DOCUMENTED_FIELDS.values(),
    ]
    assert quoted
    for source in quoted:
        assert source.page == module.PAGE
        assert squeezed(source.sentence) in text, source.sentence


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_every_x_doc_source_in_the_export_is_on_the_page(provider):
    text = squeezed(page(provider))
    found = list(doc_sources(MockEngine().openapi(provider)))
    assert len(found) > 5
    for source in found:
        assert source["page"] == SOURCES[provider].PAGE
        assert squeezed(source["sentence"]) in text, source["sentence"]


@pytest.mark.parametrize("provider", ["huskyvoice", "leyr"])
def test_every_sentence_of_the_page_is_a_statement_or_said_to_state_nothing(provider):
    quoted = [squeezed(s.sentence) for s in SOURCES[provider].STATEMENTS.values()]
    silent = STATE_NOTHING[provider]
    sentences = list(prose(provider))
    assert len(sentences) > 10
    left = [s for s in sentences if s not in silent and not any(squeezed(s) in q for q in quoted)]
    assert left == []
    assert set(silent) <= set(sentences)  # no stale entry


def test_the_docs_quote_only_the_pages_sentences():
    """docs/providers.md's list of sources quotes each sentence from its page."""
    section = DOCS.read_text(encoding="utf-8").split("## Sources:")[1].split("\n## ")[0]
    pages = {"HuskyVoice": squeezed(page("huskyvoice")), "Leyr": squeezed(page("leyr"))}
    quotes = 0
    for part in re.split(r"\n(?=HuskyVoice, page|Leyr, page)", section):
        name = part.split(",")[0].strip()
        if name not in pages:
            continue
        for line in part.splitlines():
            if line.startswith("- "):
                sentence = line.split(': "', 1)[1].removesuffix('"')
                assert squeezed(sentence) in pages[name], line
                quotes += 1
    assert quotes == sum(len(m.STATEMENTS) for m in SOURCES.values())
