"""Wrong answers to notebook 04's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

from typing import Any, Callable

from pipeline_workbook import actions as a
from pipeline_workbook.exercises import starting_point
from pipeline_workbook.model import Pipeline


def _acceptance_tests(run_order: int | None = None, inputs: str = "SourceOutput") -> Any:
    return a.codebuild_test("AcceptanceTests", project="wb-acceptance-tests", inputs=inputs,
                            environment_variables={"TEST_SUITE": "acceptance", "TEST_ENVIRONMENT": "preprod"},
                            run_order=run_order)


def _tests_in_stage_04_1(stage: str, run_order: int | None) -> Pipeline:
    pipeline = starting_point("04.1")
    pipeline.stage(stage).actions.append(_acceptance_tests(run_order))
    return pipeline


def _tests_after_production_04_1() -> Pipeline:
    pipeline = starting_point("04.1")
    pipeline.stages.append(a.stage("Acceptance", _acceptance_tests()))
    return pipeline


def _production_removed_04_1() -> Pipeline:
    pipeline = _tests_in_stage_04_1("PreProduction", 2)
    pipeline.stages = [stage for stage in pipeline.stages if stage.name != "Production"]
    return pipeline


def _misspelled_input_04_1() -> Pipeline:
    pipeline = starting_point("04.1")
    pipeline.stage("PreProduction").actions.append(_acceptance_tests(2, inputs="SourceOuptut"))
    return pipeline


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "04.1": [
        (lambda: starting_point("04.1"), "No action in the pipeline runs acceptance tests"),
        (lambda: _tests_in_stage_04_1("PreProduction", None), "same runOrder as PreProduction.Deploy"),
        (lambda: _tests_in_stage_04_1("Build", 3), "runs before PreProduction.Deploy"),
        (_tests_after_production_04_1, "customers get a change before the tests"),
        (_production_removed_04_1, "gone or renamed: Production.Deploy"),
        (_misspelled_input_04_1, "has 1 problem:"),
        (lambda: [1, 2], "asks for a pipeline"),
    ],
    "04.2": [
        (lambda: {"shorter lead time": "automated + approval", "smaller exposure": "automated"},
         "not the design with the shorter lead time"),
        (lambda: {"shorter lead time": "automated", "smaller exposure": "automated + approval"},
         "not the design with the smaller exposure"),
        (lambda: {"shorter lead time": "automated"}, "no 'smaller exposure' key"),
        (lambda: {"shorter lead time": "manual acceptance", "smaller exposure": "automated"},
         "not one of the two designs"),
        (lambda: "automated", "asks for a dict"),
    ],
    "04.3": [
        (lambda: {"integration"}, "You left out unit"),
        (lambda: {"unit", "integration", "production"}, "never catch a production defect"),
        (lambda: {"unit", "build"}, "'build' is not one of the kinds"),
    ],
}
