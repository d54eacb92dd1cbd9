"""The run's report: a verdict and a directory of files CI systems and reviewers read."""

from mockserver.report.target import ReportTarget
from mockserver.report.verdict import Verdict, judge, verdict_lines
from mockserver.report.writer import write_report

__all__ = ["ReportTarget", "Verdict", "judge", "verdict_lines", "write_report"]
