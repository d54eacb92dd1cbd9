"""The run's report: a verdict and a directory of files CI systems and reviewers read.

Its modules are imported where they are used (`report.target`, `report.verdict`,
`report.writer`, `report.pact`): a test suite that writes no report never loads the XML and
Markdown writers.
"""
