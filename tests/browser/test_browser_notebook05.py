"""Notebook 05 in JupyterLab: moving the explorer's bake-time slider recomputes its table and plot;
the scrubber's slider redraws the pipeline as it was."""

import pytest

import labdriver
from pipeline_workbook.simulate import format_minutes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "05-phased-rollout.ipynb"


def test_every_cell_runs_once_in_order_without_an_error(notebook):
    labdriver.check_no_errors(notebook)
    labdriver.check_every_cell_ran_once_in_order(notebook)


def test_markdown_reads_as_written(notebook):
    labdriver.check_markdown_shows_no_math(notebook)


def test_every_pipeline_drawing_shows_as_svg_with_its_stage_names(notebook):
    assert labdriver.check_drawings(notebook) > 0


def test_widgets_show_live_not_their_static_view(notebook):
    assert labdriver.check_live_widgets(notebook) > 0  # the scrubber and the explorer


def slider(output, label: str):
    """The handle of the slider called `label` in a widget output."""
    page = output.page
    return output.locator(".widget-slider", has=page.locator(".widget-label", has_text=label)).locator(".noUi-handle")


def explorer_view(output) -> tuple[list[list[str]], list[list[str]]]:
    """What the explorer shows: its table (rows of cell texts) and the points of its plot."""
    table = output.locator("table").first.evaluate(labdriver.TABLE_JS)
    points = output.locator("svg").first.evaluate(labdriver.POINTS_JS)
    return table, points


def test_moving_the_bake_time_slider_changes_the_table_and_the_plot(notebook):
    explorer = notebook.output_with(".widget-label", "bake (min)")
    bake = slider(explorer, "bake (min)")
    table, points = explorer_view(explorer)
    value_before = bake.get_attribute("aria-valuenow")
    bake_before = int(float(value_before))
    assert table[0][2].endswith(f"bake {bake_before} min"), table[0]

    bake.focus()
    notebook.page.keyboard.press("ArrowRight")  # one step up, as a person would with the keyboard
    labdriver.expect(bake).not_to_have_attribute("aria-valuenow", value_before)
    bake_after = int(float(bake.get_attribute("aria-valuenow")))
    assert bake_after > bake_before
    labdriver.expect(explorer.locator("table").first).to_contain_text(f"bake {bake_after} min", timeout=60_000)

    table_after, points_after = explorer_view(explorer)
    metric_rows = range(1, len(table))
    assert [table_after[r][1] for r in metric_rows] == [table[r][1] for r in metric_rows], \
        "the reference column (notebook 04's pipeline) should not change"
    assert [table_after[r][2] for r in metric_rows] != [table[r][2] for r in metric_rows], \
        "the plan's figures did not change with its bake time"
    assert points_after != points and len(points_after) == len(points), (points, points_after)
    notebook.screenshot(labdriver.screenshot_path(NOTEBOOK, "-explorer-bake-moved"), element=explorer)


def test_moving_the_scrubber_redraws_the_pipeline_as_it_was(notebook):
    scrubber = notebook.output_with(".widget-label", "time")
    time_slider = slider(scrubber, "time")
    caption = scrubber.locator(".widget-html-content").first
    before_caption = caption.text_content()
    before = scrubber.locator("svg").first.evaluate(labdriver.STAGE_LABELS_JS)

    time_slider.focus()
    notebook.page.keyboard.press("Home")  # back to the start of the afternoon
    start = float(time_slider.get_attribute("aria-valuemin"))
    labdriver.expect(caption).to_contain_text(f"{format_minutes(start)}:", timeout=30_000)

    after = labdriver.changed(lambda: scrubber.locator("svg").first.evaluate(labdriver.STAGE_LABELS_JS), before)
    assert caption.text_content() != before_caption
    assert list(after) == list(before), "the same stages"
    assert after != before, "the stage boxes should show an earlier state"
