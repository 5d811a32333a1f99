"""Notebook 08 in JupyterLab, on the local endpoint: deploy, run (reject, retry, approve), import
and clean up, end to end, through Run All Cells."""

import re

import pytest

import labdriver

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "08-sandbox-account.ipynb"

# A line of a deploy or cleanup report: "  created    S3 bucket          nb08-artifacts-...  (us-east-1)"
REPORT_LINE = re.compile(r"^\s*(created|removed)\s+(\S+(?: \S+)*)\s{2,}(\S+)", re.MULTILINE)


def report_lines(text: str, verb: str) -> set[tuple[str, str]]:
    """(kind, name) of each resource a report says it `verb` (created, removed)."""
    return {(kind, name) for found_verb, kind, name in REPORT_LINE.findall(text) if found_verb == verb}


def test_every_cell_runs_once_in_order_without_an_error(notebook):
    labdriver.check_no_errors(notebook)
    labdriver.check_every_cell_ran_once_in_order(notebook)


def test_markdown_reads_as_written(notebook):
    labdriver.check_markdown_shows_no_math(notebook)


def test_every_pipeline_drawing_shows_as_svg_with_its_stage_names(notebook):
    assert labdriver.check_drawings(notebook) > 0


def deploy_report(notebook) -> str:
    return notebook.output_text(notebook.cell_index("report = sandbox.deploy(pipeline)"))


def test_deploy_creates_the_pipeline_and_what_it_needs_on_the_local_endpoint(notebook):
    text = deploy_report(notebook)
    deployed = re.search(r"Deployed (\S+) to account 123456789012 \(local endpoint\)", text)
    assert deployed, text[:1000]
    created = report_lines(text, "created")
    assert ("pipeline", deployed.group(1)) in created, created
    assert {kind for kind, _ in created} >= {"IAM role", "S3 bucket", "CodeBuild project", "pipeline"}, created


def last_drawing(notebook, source: str, *, whole: bool = False) -> dict[str, str]:
    """Stage name -> status line of the last drawing shown by the cell whose source has `source`."""
    drawings = notebook.drawings(notebook.cell_index(source, whole=whole))
    assert drawings, f"no drawing in the cell with {source!r}"
    return drawings[-1]["labels"]


def test_the_execution_runs_to_the_approval_is_rejected_retried_and_approved_to_production(notebook):
    waiting = last_drawing(notebook, "sandbox.watch()", whole=True)  # the first watch: until the approval waits
    assert waiting["Approval"].startswith("In progress"), waiting
    rejected = last_drawing(notebook, "sandbox.reject(")
    assert rejected["Approval"].startswith("Failed"), rejected
    assert "exec" not in rejected["Production"], rejected
    approved = last_drawing(notebook, "sandbox.approve(")
    assert all(label.startswith("Succeeded") for label in approved.values()), approved
    executions = {re.search(r"exec (\w+)", label).group(1) for label in approved.values()}
    assert len(executions) == 1, f"one execution went through every stage: {approved}"


def test_cleanup_removes_everything_the_deploy_created(notebook):
    created = report_lines(deploy_report(notebook), "created")
    cleanup = notebook.output_text(notebook.cell_index("sandbox.cleanup()", whole=True))
    removed = report_lines(cleanup, "removed")
    # An S3 object goes with its bucket, so cleanup does not list it on its own.
    assert {(kind, name) for kind, name in created if kind != "S3 object"} <= removed, (created, removed)
    again = notebook.output_text(notebook.cell_index("print(sandbox.cleanup())"))
    assert "no resource of the workbook is left" in again and "No resources." in again, again
