"""The run as Markdown for a CI step summary: the verdict, the counts, the violations table and
the coverage table.

Every value from a request is escaped: step summaries render HTML and Markdown, and a request's
path or a problem's text is the client's input.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from mockserver.core.documents import ProviderCoverage, Violation
from mockserver.journal.run import RunRecord
from mockserver.report.verdict import Verdict, clip_line

# Markdown's active characters, escaped with a backslash (CommonMark: any ASCII punctuation; GFM
# tables: `\|` too) so a value shows as the text it is.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]|~"})
MAX_ROWS = 200  # violations listed; the files hold them all


def summary_markdown(record: RunRecord, verdict: Verdict) -> str:
    lines = [
        "# mockserver contract report",
        "",
        f"**{'✅ PASS' if verdict.passed else '❌ FAIL'}**"
        + ("" if verdict.passed else f": {cell('; '.join(verdict.reasons()))}"),
        "",
        "| exchanges | contract violations | near misses | contract coverage |",
        "| ---: | ---: | ---: | ---: |",
        f"| {verdict.exchanges} | {verdict.violations}"
        f"{' (allowed)' if verdict.violations and verdict.allow_violations else ''} "
        f"| {verdict.near_misses} | {verdict.coverage_percent:g}%"
        + (
            f" (required: {verdict.coverage_fail_under:g}%)"
            if verdict.coverage_fail_under is not None
            else ""
        )
        + " |",
        "",
        "Active scenarios at the end: "
        + ", ".join(f"{p}: {cell(name)}" for p, name in record.active.items()),
        "",
    ]
    lines += _violations(record)
    lines += _coverage(record.coverage)
    return "\n".join(lines) + "\n"


def _violations(record: RunRecord) -> list[str]:
    if not record.violations:
        return ["## Contract violations", "", "None.", ""]
    rows = [
        "## Contract violations",
        "",
        "| request | exchange | problems |",
        "| --- | --- | --- |",
    ]
    rows += [_violation_row(v) for v in record.violations[-MAX_ROWS:]]
    hidden = record.violations_seen - min(len(record.violations), MAX_ROWS)
    if hidden > 0:
        rows += ["", f"{hidden} more in `violations.json` or the journal."]
    return [*rows, ""]


def _violation_row(violation: Violation) -> str:
    problems = "<br>".join(
        f"{cell(p['location'] or '(whole body)')}: {cell(p['message'])}"
        + (f" <sub>{cell(p['schema_path'])}</sub>" if p["schema_path"] else "")
        for p in violation["problems"]
    )
    kind = "" if violation["kind"] == "request" else " (the mock's answer)"
    exchange = f"{violation['method']} {cell(violation['path'])} → {violation['status']}{kind}"
    return f"| #{violation['request_id']} | {exchange} | {problems} |"


def _coverage(coverage: Mapping[str, ProviderCoverage]) -> list[str]:
    rows = ["## Contract coverage", ""]
    for provider, section in coverage.items():
        rows += [
            f"**{cell(provider)}**: {section['covered']}/{section['total']} outcomes "
            f"({section['percent']:g}%)",
            "",
            "| operation | exercised | never |",
            "| --- | --- | --- |",
        ]
        for entry in section["operations"]:
            outcomes = entry["outcomes"]
            seen = [f"{cell(o)}: {n}" for o, n in outcomes.items() if n]
            never = [cell(o) for o, n in outcomes.items() if not n]
            rows.append(
                f"| {cell(entry['operation'])} | {', '.join(seen) or '—'} "
                f"| {', '.join(never) or '—'} |"
            )
        rows.append("")
    return rows


def cell(text: str) -> str:
    """A value as inert text inside a table cell, on one line."""
    # HTML first: the backslashes Markdown needs are not HTML's business.
    return html.escape(clip_line(str(text), 300), quote=False).translate(_MARKDOWN)
