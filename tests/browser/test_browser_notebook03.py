"""Notebook 03 in JupyterLab: the approval panel is a live widget; Approve moves the execution on."""

import re

import pytest

import labdriver

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "03-manual-acceptance.ipynb"


def test_every_cell_runs_once_in_order_without_an_error(notebook):
    labdriver.check_no_errors(notebook)
    labdriver.check_every_cell_ran_once_in_order(notebook)


def test_markdown_reads_as_written(notebook):
    labdriver.check_markdown_shows_no_math(notebook)


def test_every_pipeline_drawing_shows_as_svg_with_its_stage_names(notebook):
    assert labdriver.check_drawings(notebook) > 0


def test_widgets_show_live_not_their_static_view(notebook):
    assert labdriver.check_live_widgets(notebook) > 0  # the approval panel and the scrubber


def approval_panel(notebook):
    return notebook.output_with("button.jupyter-button", "Approve")


def status_line(panel) -> str:
    return panel.locator(".widget-html-content").first.text_content()


def stage_labels(panel) -> dict[str, str]:
    """Per stage of the panel's drawing, the status line of the stage box."""
    return panel.locator("svg").first.evaluate(labdriver.STAGE_LABELS_JS)


def clock(status: str) -> str:
    """The simulated time a status line starts with, such as 'Mon 09:42'."""
    return re.match(r"\w{3} \d\d:\d\d", status).group(0)


def execution_id(stage_label: str) -> str | None:
    found = re.search(r"exec (\w+)", stage_label)
    return found.group(1) if found else None


def test_approve_moves_the_waiting_execution_on_and_redraws_the_pipeline(notebook):
    panel = approval_panel(notebook)
    status, before = status_line(panel), stage_labels(panel)
    assert "1 approval waiting: Approval.Approve" in status
    approved = execution_id(before["Approval"])
    assert approved and "In progress" in before["Approval"]
    assert execution_id(before["Production"]) is None, before

    panel.locator("button.jupyter-button", has_text="Approve").click()
    status_after = labdriver.changed(lambda: status_line(panel), status)
    after = labdriver.changed(lambda: stage_labels(panel), before)

    assert clock(status_after) != clock(status), "the simulated clock did not move"
    # The approved execution went on to Production; the one that waited behind it took its place.
    assert execution_id(after["Production"]) == approved, after
    assert re.match(r"(In progress|Succeeded) ", after["Production"]), after
    assert execution_id(after["Approval"]) not in (None, approved), after
    notebook.screenshot(labdriver.screenshot_path(NOTEBOOK, "-approved"), element=panel)


def test_the_buttons_are_disabled_once_nothing_waits(notebook):
    panel = approval_panel(notebook)
    approve = panel.locator("button.jupyter-button", has_text="Approve")
    for _ in range(10):  # a few executions at most wait in this notebook
        if approve.is_disabled():
            break
        status = status_line(panel)
        approve.click()
        labdriver.changed(lambda: status_line(panel), status)
    labdriver.expect(panel.locator(".widget-html-content").first).to_contain_text("no approval is waiting")
    labdriver.expect(approve).to_be_disabled()
    labdriver.expect(panel.locator("button.jupyter-button", has_text="Reject")).to_be_disabled()
    labdriver.expect(panel.locator("button.jupyter-button", has_text="Let 1 h pass")).to_be_enabled()
