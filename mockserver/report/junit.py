"""The run as JUnit XML, the format CI systems display as test results.

One `testsuite` per provider: a passing `testcase` per documented operation the client exercised,
and a failing one per exchange that broke the contract, named `METHOD path → status`, its failure
listing each problem (field, message, schema path) and the request id. With a coverage
threshold, a `contract coverage` suite holds one test case for it, failing when the run is under
it, so a CI system that shows only the test results shows why the gate failed. Attributes and
elements are those of the common JUnit schema (Jenkins, GitLab, GitHub test reporters read them).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from mockserver.core.documents import ProblemDocument, ProviderCoverage, Violation
from mockserver.journal.coverage import provider_line
from mockserver.journal.run import RunRecord
from mockserver.report.verdict import Verdict, clip_line

# Characters XML 1.0 cannot hold, even escaped: a hostile request's text must not break the file.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def junit_xml(record: RunRecord, verdict: Verdict | None = None) -> bytes:
    """The JUnit document for `record` (and `verdict`'s coverage threshold, if it has one),
    UTF-8 with its XML declaration."""
    suites = ET.Element("testsuites", name="mockserver contract")
    totals = [0, 0]
    found = [
        _suite(provider, record.coverage[provider], _of(provider, record.violations))
        for provider in record.providers
    ]
    if verdict is not None and verdict.coverage_fail_under is not None:
        found.append(_coverage_suite(record, verdict))
    for suite in found:
        suites.append(suite)
        totals[0] += int(suite.get("tests", "0"))
        totals[1] += int(suite.get("failures", "0"))
    suites.set("tests", str(totals[0]))
    suites.set("failures", str(totals[1]))
    suites.set("errors", "0")
    ET.indent(suites)
    document: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _of(provider: str, violations: Sequence[Violation]) -> dict[int, list[Violation]]:
    """The provider's violations grouped by exchange (a request and its answer may both break)."""
    grouped: dict[int, list[Violation]] = {}
    for violation in violations:
        if violation["provider"] == provider:
            grouped.setdefault(violation["request_id"], []).append(violation)
    return grouped


def _suite(
    provider: str, coverage: ProviderCoverage, broken: Mapping[int, list[Violation]]
) -> ET.Element:
    suite = ET.Element("testsuite", name=provider)
    tests = 0
    for entry in coverage["operations"]:
        seen = {outcome: n for outcome, n in entry["outcomes"].items() if n}
        if seen:
            case = ET.SubElement(
                suite, "testcase", name=entry["operation"], classname=f"{provider}.operations"
            )
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"{outcome}: {n}" for outcome, n in seen.items())
            tests += 1
    for request_id, violations in broken.items():
        suite.append(_failing_case(provider, request_id, violations))
        tests += 1
    for name, value in (("tests", tests), ("failures", len(broken)), ("errors", 0), ("skipped", 0)):
        suite.set(name, str(value))
    return suite


def _coverage_suite(record: RunRecord, verdict: Verdict) -> ET.Element:
    """The coverage threshold as a test case: failing when the run is under it."""
    suite = ET.Element("testsuite", name="contract coverage")
    case = ET.SubElement(
        suite,
        "testcase",
        name=f"contract coverage ≥ {verdict.coverage_fail_under:g}%",
        classname="contract.coverage",
    )
    counts = "\n".join(provider_line(*each) for each in record.coverage.items())
    if verdict.under_coverage:
        failure = ET.SubElement(
            case, "failure", message=verdict.coverage_shortfall(), type="CoverageUnderThreshold"
        )
        failure.text = counts
    else:
        ET.SubElement(case, "system-out").text = counts
    failures = 1 if verdict.under_coverage else 0
    for name, value in (("tests", 1), ("failures", failures), ("errors", 0), ("skipped", 0)):
        suite.set(name, str(value))
    return suite


def _failing_case(provider: str, request_id: int, violations: list[Violation]) -> ET.Element:
    first = violations[0]
    name = f"{first['method']} {_safe(clip_line(first['path']))} → {first['status']}"
    case = ET.Element("testcase", name=name, classname=f"{provider}.contract")
    lines = [
        _problem_line(violation["kind"], problem)
        for violation in violations
        for problem in violation["problems"]
    ]
    failure = ET.SubElement(
        case,
        "failure",
        message=_safe(clip_line(f"request #{request_id}: " + "; ".join(lines), 1000)),
        type="ContractViolation",
    )
    failure.text = _safe("\n".join([f"request id: {request_id}", *lines]))
    return case


def _problem_line(kind: str, problem: ProblemDocument) -> str:
    side = "request" if kind == "request" else "the mock's answer"
    field = problem["location"] or "(whole " + side + ")"
    schema = f" (schema: {problem['schema_path']})" if problem["schema_path"] else ""
    where = side if field == side else f"{side} {field}"  # never `request request`
    return f"{where}: {problem['message']}{schema}"


def _safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
