"""Notebook 01 in JupyterLab: Run All Cells through the menu; every drawing shows with its stages."""

import pytest

import labdriver

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "01-codepipeline-101.ipynb"


def test_every_cell_runs_once_in_order_without_an_error(notebook):
    labdriver.check_no_errors(notebook)
    labdriver.check_every_cell_ran_once_in_order(notebook)


def test_markdown_reads_as_written(notebook):
    labdriver.check_markdown_shows_no_math(notebook)


def test_every_pipeline_drawing_shows_as_svg_with_its_stage_names(notebook):
    assert labdriver.check_drawings(notebook) > 0
