"""Wrong answers to notebook 01's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

from typing import Any, Callable

from pipeline_workbook import actions as a
from pipeline_workbook.exercises import starting_point
from pipeline_workbook.model import Pipeline


def _manual_source_01_1() -> Pipeline:
    return a.pipeline("wb-github-cfn", [
        a.stage("Source", a.github_source(connection_arn="arn:aws:codeconnections:us-east-1:123456789012:"
                                                         "connection/a1b2c3d4-5678-4abc-9def-0123456789ab",
                                          repository="octo-org/hello-service")),
        a.stage("Build", a.codebuild("Build", project="wb-build", inputs="SourceOutput", outputs="BuildOutput")),
        a.stage("Deploy", a.cloudformation_deploy("Deploy", stack="wb-app", template="BuildOutput::template.yaml",
                                                  role_arn="arn:aws:iam::123456789012:role/wb-cfn")),
    ])


def _codecommit_pipeline_01_1(template: str = "BuildOutput::template.yaml", build_outputs: Any = "BuildOutput",
                              deploy: bool = True) -> Pipeline:
    stages = [
        a.stage("Source", a.codecommit_source(repository="hello-service")),
        a.stage("Build", a.codebuild("Build", project="wb-build", inputs="SourceOutput", outputs=build_outputs)),
    ]
    if deploy:
        stages.append(a.stage("Deploy", a.cloudformation_deploy("Deploy", stack="wb-app", template=template,
                                                                role_arn="arn:aws:iam::123456789012:role/wb-cfn")))
    else:
        stages.append(a.stage("Deploy", a.codebuild("Deploy", project="wb-deploy", inputs="BuildOutput")))
    return a.pipeline("wb-codecommit-cfn", stages)


def _bad_name_01_1() -> Pipeline:
    pipeline = _codecommit_pipeline_01_1()
    pipeline.stage("Deploy").action("Deploy").name = "Deploy now"
    return pipeline


def _fixed_01_2(fix_typo: bool = True, fix_name: bool = True, fix_stack: bool = True) -> dict:
    definition = starting_point("01.2")
    build_stage = definition["stages"][1]
    if fix_typo:
        build_stage["actions"][0]["inputArtifacts"][0]["name"] = "SourceOutput"
    if fix_name:
        build_stage["actions"][1]["name"] = "UnitTests"
    if fix_stack:
        definition["stages"][2]["actions"][0]["configuration"]["StackName"] = "orders-service"
    return definition


def _test_removed_01_2() -> dict:
    definition = _fixed_01_2()
    del definition["stages"][1]["actions"][1]
    return definition


def _run_orders_01_3(container: int, scan: int, build: int = 1) -> Pipeline:
    pipeline = starting_point("01.3")
    stage = pipeline.stage("Build")
    stage.action("BuildImage").run_order = build
    stage.action("ContainerTests").run_order = container
    stage.action("ImageScan").run_order = scan
    return pipeline


def _tests_in_own_stage_01_3() -> Pipeline:
    pipeline = starting_point("01.3")
    build = pipeline.stage("Build")
    tests = [action for action in build.actions if action.category == "Test"]
    build.actions = [action for action in build.actions if action.category != "Test"]
    for action in tests:
        action.run_order = 1
    pipeline.stages.insert(2, a.stage("Test", tests))
    return pipeline


def _scan_removed_01_3() -> Pipeline:
    pipeline = starting_point("01.3")
    build = pipeline.stage("Build")
    build.actions = [action for action in build.actions if action.name != "ImageScan"]
    return pipeline


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "01.1": [
        (_manual_source_01_1, "asks for a CodeCommit source"),
        (lambda: _codecommit_pipeline_01_1(template="SourceOutput::template.yaml"), "does not read its template"),
        (lambda: _codecommit_pipeline_01_1(build_outputs=()), "produces no output"),
        (lambda: _codecommit_pipeline_01_1(deploy=False), "no CloudFormation action"),
        (_bad_name_01_1, "has 1 problem:"),
        (lambda: [1, 2, 3], "asks for a pipeline"),
    ],
    "01.2": [
        (lambda: starting_point("01.2"), "has 3 problems"),
        (lambda: _fixed_01_2(fix_stack=False), "StackName"),
        (_test_removed_01_2, "An action is gone"),
        (lambda: {"stages": "none"}, "cannot be read"),
    ],
    "01.3": [
        (lambda: starting_point("01.3"), "one after the other (runOrder 2 and 3)"),
        (lambda: _run_orders_01_3(1, 1), "before BuildOutput exists"),
        (_tests_in_own_stage_01_3, "left the stage"),
        (_scan_removed_01_3, "not the ones"),
        (lambda: _run_orders_01_3(2, "2"), "not a whole number"),
    ],
    "01.4": [
        (lambda: {"a"}, "1 letter to change"),
        (lambda: "abcde", "3 letters to change"),
        (lambda: {"a", "d", "z"}, "no choice z"),
    ],
}
