"""Exercise checks of notebook 01: CodePipeline 101."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from ..model import Pipeline
from .base import Result, _action_kinds, _kind_words, _letters, _no, _ok, \
    _problems_verdict, as_pipeline

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}


EXPECTS["01.1"] = "a Pipeline (or the dict create_pipeline takes): CodeCommit -> CodeBuild -> CloudFormation"


def check_01_1(answer: Any) -> Result:
    """CodeCommit source, CodeBuild build, CloudFormation deploy of the build's output; valid."""
    pipeline = as_pipeline(answer)
    stages = pipeline.stages or []
    sources = [act for act in (stages[0].actions or [] if stages else []) if act.category == "Source"]
    codecommit = [act for act in sources if act.provider == "CodeCommit"]
    if not codecommit:
        found = ", ".join(str(act.provider) for act in sources) or "no source action"
        return _no("01.1", f"The first stage holds {found}; the exercise asks for a CodeCommit source.",
                   'Start with actions.codecommit_source(repository="hello-service", branch="main").')
    source_outputs = {name for act in codecommit for name in act.outputs}
    builds = [act for _, _, _, act in pipeline.iter_actions()
              if act.provider == "CodeBuild" and act.category == "Build"]
    wired_builds = [act for act in builds if source_outputs & set(act.inputs)]
    if not wired_builds:
        return _no("01.1", "No CodeBuild build action reads the CodeCommit source's output artifact "
                           f"({', '.join(sorted(source_outputs)) or 'it has none'}).",
                   'Add actions.codebuild("Build", project=..., inputs="SourceOutput", outputs="BuildOutput") '
                   "in a stage after the source.")
    build_outputs = {name for act in wired_builds for name in act.outputs}
    if not build_outputs:
        return _no("01.1", "The CodeBuild action produces no output artifact, so nothing can deploy what it built.",
                   'Give it outputs="BuildOutput".')
    deploys = [act for _, _, _, act in pipeline.iter_actions() if act.provider == "CloudFormation"]
    wired_deploys = [act for act in deploys
                     if str(act.config("TemplatePath", "")).split("::")[0] in build_outputs
                     and build_outputs & set(act.inputs)]
    if not wired_deploys:
        outputs = ", ".join(sorted(build_outputs))
        what = (f"There is no CloudFormation action deploying the build's output ({outputs})." if not deploys
                else f"The CloudFormation action does not read its template from the build's output ({outputs}).")
        return _no("01.1", what,
                   "Use actions.cloudformation_deploy(..., template=\"BuildOutput::template.yaml\", ...): "
                   "the artifact named before :: is the build's output.")
    verdict = _problems_verdict("01.1", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    return _ok("01.1", f"CodeCommit -> CodeBuild ({wired_builds[0].name}) -> CloudFormation "
                       f"({wired_deploys[0].name}), wired through {', '.join(sorted(build_outputs))}; no problems.")


CHECKS["01.1"] = check_01_1


def broken_definition_01_2() -> dict:
    """A definition with three problems, each fixable without removing an action."""
    role = "arn:aws:iam::123456789012:role/"
    return {
        "name": "orders-service",
        "roleArn": role + "orders-service-pipeline-role",
        "artifactStore": {"type": "S3", "location": "orders-service-artifacts-123456789012"},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "Source",
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
                "configuration": {"RepositoryName": "orders-service", "BranchName": "main"},
                "outputArtifacts": [{"name": "SourceOutput"}],
            }]},
            {"name": "Build", "actions": [
                {
                    "name": "Build",
                    "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                    "configuration": {"ProjectName": "orders-build"},
                    "inputArtifacts": [{"name": "SourceOuput"}],
                    "outputArtifacts": [{"name": "BuildOutput"}],
                },
                {
                    "name": "Build",
                    "actionTypeId": {"category": "Test", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                    "configuration": {"ProjectName": "orders-unit-tests"},
                    "inputArtifacts": [{"name": "SourceOutput"}],
                },
            ]},
            {"name": "Deploy", "actions": [{
                "name": "Deploy",
                "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation", "version": "1"},
                "configuration": {"ActionMode": "CREATE_UPDATE", "TemplatePath": "BuildOutput::template.yaml",
                                  "RoleArn": role + "orders-cloudformation-role"},
                "inputArtifacts": [{"name": "BuildOutput"}],
            }]},
        ],
    }


STARTING_POINTS["01.2"] = broken_definition_01_2
EXPECTS["01.2"] = "the fixed definition (a dict or a Pipeline)"


def check_01_2(answer: Any) -> Result:
    """The broken definition, fixed: no problems left and the same actions (by type) as before."""
    pipeline = as_pipeline(answer)
    before = _action_kinds(Pipeline.from_api(broken_definition_01_2()))
    after = _action_kinds(pipeline)
    missing = before - after
    if missing:
        lost = ", ".join(_kind_words(kind) for kind in sorted(missing.elements(), key=str))
        return _no("01.2", f"An action is gone: the fixed pipeline lacks the {lost} action.",
                   "Fix the problems inside the actions (a name, an artifact, a configuration key) "
                   "instead of deleting the actions they are in.")
    verdict = _problems_verdict("01.2", pipeline, "The definition still")
    if verdict is not None:
        return verdict
    return _ok("01.2", f"No problems left, and all {sum(before.values())} actions are still there.")


CHECKS["01.2"] = check_01_2


def tests_in_sequence_01_3() -> Pipeline:
    """Two test actions that run one after the other although neither needs the other."""
    from .. import actions as a
    from ..patterns import PLACEHOLDER_CONNECTION_ID

    connection = f"arn:aws:codeconnections:us-east-1:123456789012:connection/{PLACEHOLDER_CONNECTION_ID}"
    return a.pipeline("wb-parallel-tests", [
        a.stage("Source", a.github_source(connection_arn=connection, repository="octo-org/hello-service")),
        a.stage("Build",
                a.codebuild("BuildImage", project="wb-build-image", inputs="SourceOutput",
                            outputs="BuildOutput", run_order=1),
                a.codebuild_test("ContainerTests", project="wb-container-tests", inputs="BuildOutput", run_order=2),
                a.codebuild_test("ImageScan", project="wb-image-scan", inputs="BuildOutput", run_order=3)),
        a.stage("Production", a.codebuild("Deploy", project="wb-deploy", inputs="BuildOutput",
                                          environment_variables={"DEPLOY_ENVIRONMENT": "production"})),
    ])


STARTING_POINTS["01.3"] = tests_in_sequence_01_3
EXPECTS["01.3"] = "the pipeline with ContainerTests and ImageScan running in parallel after BuildImage"


def check_01_3(answer: Any) -> Result:
    """ContainerTests and ImageScan share a runOrder after BuildImage's, in BuildImage's stage."""
    pipeline = as_pipeline(answer)
    start = tests_in_sequence_01_3()
    names = lambda p: Counter((act.name, act.category, act.provider) for _, _, _, act in p.iter_actions())
    if names(pipeline) != names(start):
        return _no("01.3", "The actions are not the ones the exercise started with.",
                   "Start from answer = start.copy() and change only the runOrder of actions "
                   "(action.run_order).")
    where = {act.name: (stage, act) for _, stage, _, act in pipeline.iter_actions()}
    build_stage, build = where["BuildImage"]
    tests = [where["ContainerTests"], where["ImageScan"]]
    if any(stage is not build_stage for stage, _ in tests):
        return _no("01.3", "The tests left the stage of BuildImage.",
                   "Keep all three actions in the Build stage; inside one stage, runOrder decides "
                   "what runs together and what waits.")
    for _, act in tests:
        if act.run_order is not None and (isinstance(act.run_order, bool) or not isinstance(act.run_order, int)):
            return _no("01.3", f"{act.name}'s runOrder is {act.run_order!r}, which is not a whole number.",
                       "Write the number without quotes, e.g. action.run_order = 2.")
    orders = [act.effective_run_order for _, act in tests]
    if orders[0] != orders[1]:
        return _no("01.3", f"The tests still run one after the other (runOrder {orders[0]} and {orders[1]}).",
                   "Actions with the same runOrder start together: give both tests the same runOrder.")
    if orders[0] <= build.effective_run_order:
        return _no("01.3", f"The tests have runOrder {orders[0]}, so they start with (or before) BuildImage "
                           f"(runOrder {build.effective_run_order}), before BuildOutput exists.",
                   "Give the tests a runOrder greater than BuildImage's.")
    verdict = _problems_verdict("01.3", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    groups = [f"{order}: {', '.join(a.name for a in acts)}" for order, acts in build_stage.run_order_groups()]
    return _ok("01.3", f"Build stage by runOrder: {' | '.join(groups)}. The tests run side by side, "
                       "so the stage takes as long as the slower test instead of both added up.")


CHECKS["01.3"] = check_01_3

# Multiple choice: which events start an execution of a V2 pipeline whose GitHub source (through a
# connection) has a trigger with a push filter on branch "main" and file paths "src/**".
# letter -> (starts an execution?, why, a question that leads there without giving it away)
CHOICES_01_4: dict[str, tuple[bool, str, str]] = {
    "a": (True, "(a) a push to main that changes src/app.py matches the branch and the file-path filter.",
          "Which branch does (a) push to, and does src/app.py match src/**?"),
    "b": (False, "(b) a push that changes only README.md matches no file path in src/**.",
          "In (b), which files did the push change, and which paths does the filter include?"),
    "c": (False, "(c) a push to feature/login matches no branch in the filter, which names only main.",
          "In (c), which branch was pushed, and which branches does the filter include?"),
    "d": (True, "(d) a manual start (Release change, or start_pipeline_execution) runs the pipeline "
                "whatever its triggers say.",
          "Do triggers decide whether a person may start the pipeline by hand?"),
    "e": (False, "(e) a pull request does not start it: the trigger has only a push filter; pull requests "
                 "need a pullRequest filter.",
          "What kind of git event is (e), and what kinds of filter does the trigger hold?"),
}
EXPECTS["01.4"] = 'the letters of the events that start an execution, e.g. {"a", "b"}'


def check_01_4(answer: Any) -> Result:
    """Which events start an execution: the letters whose choice is True in CHOICES_01_4."""
    chosen = _letters(answer)
    unknown = sorted(chosen - set(CHOICES_01_4))
    if unknown:
        return _no("01.4", f"There is no choice {', '.join(unknown)}; the choices are a to e.",
                   'Answer with letters, e.g. answer = {"a", "b"}.')
    right = {letter for letter, (starts, _, _) in CHOICES_01_4.items() if starts}
    if chosen == right:
        return _ok("01.4", " ".join(CHOICES_01_4[letter][1] for letter in sorted(CHOICES_01_4)))
    wrong = sorted(chosen ^ right)
    count = f"{len(wrong)} letter" + ("s" if len(wrong) != 1 else "")
    return _no("01.4", f"You chose {', '.join(sorted(chosen)) or 'nothing'}; {count} to change.",
               CHOICES_01_4[wrong[0]][2])


CHECKS["01.4"] = check_01_4
