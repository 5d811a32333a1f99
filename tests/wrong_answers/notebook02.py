"""Wrong answers to notebook 02's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

from typing import Any, Callable

from pipeline_workbook import actions as a
from pipeline_workbook import metrics, patterns
from pipeline_workbook.exercises import starting_point
from pipeline_workbook.exercises.notebook02 import DEFECTIVE_COMMIT_02_1
from pipeline_workbook.model import Pipeline


def _execution_of_02_1(message: str) -> str:
    """The id of the morning's execution that ran the commit with this message."""
    sim = starting_point("02.1")
    return next(e["pipelineExecutionId"] for e in sim.executions()
                if e["sourceRevisions"][0]["revisionSummary"] == message)


def _with_tests_02_2(test_run_order: int, build_run_order: int, **test_options: Any) -> Pipeline:
    pipeline = patterns.simple_but_bold()
    build = pipeline.stage("Build")
    build.actions.append(a.codebuild_test("UnitTests", project="wb-unit-tests", inputs="SourceOutput",
                                          run_order=test_run_order, **test_options))
    build.action("BuildImage").run_order = build_run_order
    return pipeline


def _tests_without_image_02_2() -> Pipeline:
    pipeline = _with_tests_02_2(1, 2)
    build = pipeline.stage("Build")
    build.actions = [act for act in build.actions if act.name != "BuildImage"]
    pipeline.stage("Production").action("Deploy").input_artifacts[0].name = "SourceOutput"
    return pipeline


def _tests_without_production_02_2() -> Pipeline:
    pipeline = _with_tests_02_2(1, 2)
    deploy = pipeline.stage("Production").action("Deploy")
    deploy.configuration["EnvironmentVariables"] = deploy.configuration["EnvironmentVariables"].replace(
        '"production"', '"preprod"')
    return pipeline


def _misnamed_tests_02_2() -> Pipeline:
    """A test action nobody could read as unit tests: 'Checks' in a project called wb-checks."""
    pipeline = patterns.simple_but_bold()
    build = pipeline.stage("Build")
    build.actions.insert(0, a.codebuild("Checks", project="wb-checks", inputs="SourceOutput", run_order=1))
    build.action("BuildImage").run_order = 2
    return pipeline


def _broken_02_2() -> Pipeline:
    pipeline = _with_tests_02_2(1, 2)
    pipeline.stage("Build").action("UnitTests").input_artifacts[0].name = "SourceOuptut"
    return pipeline


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "02.1": [
        (lambda: _execution_of_02_1(DEFECTIVE_COMMIT_02_1), "its status is Superseded"),
        (lambda: _execution_of_02_1(DEFECTIVE_COMMIT_02_1)[:8], "never reached production"),
        (lambda: _execution_of_02_1("Show delivery dates on the order page"), "pushed before the defective"),
        (lambda: _execution_of_02_1("Revert the change that brought defect #1"), "ran the revert"),
        (lambda: _execution_of_02_1("Add a health check endpoint"), "is not the one"),
        (lambda: "1a2b3c4d", "No execution of this run"),
        (lambda: "1a2b", "too short"),
        (lambda: 3, "asks for an execution id"),
    ],
    "02.2": [
        (patterns.simple_but_bold, "No action of the pipeline is read as unit tests"),
        (lambda: _with_tests_02_2(2, 1), "run after the image build"),
        (lambda: _with_tests_02_2(1, 1), "run together with the image build"),
        (_tests_without_image_02_2, "The image build is gone"),
        (_tests_without_production_02_2, "no longer deploys to production"),
        (_misnamed_tests_02_2, "No action of the pipeline is read as unit tests"),
        (_broken_02_2, "has 1 problem"),
        (lambda: "UnitTests", "asks for a pipeline"),
    ],
    "02.3": [
        (lambda: metrics.run(patterns.simple_but_bold(), commits=300, seed=4).incidents, "without tests"),
        (lambda: metrics.run(patterns.with_unit_tests(), commits=300, seed=5).incidents + 1000, "is not the number"),
        (lambda: "46", "should be a number"),
    ],
}
