"""Wrong answers to notebook 00's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

from typing import Any, Callable

from pipeline_workbook import patterns
from pipeline_workbook.model import Pipeline


def _renamed_00_2() -> Pipeline:
    pipeline = patterns.simple_but_bold()
    pipeline.name = "ada-simple-but-bold"
    return pipeline


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {

    "00.1": [
        (lambda: (5, 5), "actions is not"),
        (lambda: (4, 6), "stages is not right"),
        (lambda: "5 and 6", "two numbers"),
    ],
    "00.2": [
        (lambda: patterns.simple_but_bold(), "default 'wb'"),
        (lambda: patterns.with_unit_tests(prefix="ada"), "not the simple-but-bold"),
        (lambda: "ada", "a string"),
        (_renamed_00_2, "do not start with 'ada-'"),
    ],
}
