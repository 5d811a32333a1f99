"""Exercise checks of notebook 07: the pitfall of a self-updating pipeline.

07.1 moves a self-update to the safe place and proves it by simulation: a commit that changes the
pipeline must reach production on the new definition, with no deploy of it on the old one.
07.2 asks for the statuses of four executions in a scripted morning, and runs that morning.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from .. import actions as a
from ..model import Pipeline
from ..patterns import PLACEHOLDER_CONNECTION_ID, self_updating
from .base import Result, WrongShape, _no, _ok, _problems_verdict, as_pipeline

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}

ACCOUNT = "123456789012"


# --------------------------------------------------------------------------------------------
# 07.1: move the self-update to the safe place


def orders_pipeline_07_1() -> Pipeline:
    """A pipeline that updates its own stack between staging and production: the pitfall."""
    connection = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/{PLACEHOLDER_CONNECTION_ID}"

    def deploy(environment: str) -> a.Action:
        return a.codebuild("Deploy", project="orders-deploy", inputs="BuildOutput",
                           environment_variables={"DEPLOY_ENVIRONMENT": environment, "DEPLOY_REGION": "us-east-1"},
                           run_order=1)

    return a.pipeline("orders-service", [
        a.stage("Source", a.github_source(connection_arn=connection, repository="octo-org/orders-service")),
        a.stage("Build",
                a.codebuild_test("UnitTests", project="orders-unit-tests", inputs="SourceOutput",
                                 environment_variables={"TEST_SUITE": "unit"}, run_order=1),
                a.codebuild("BuildImage", project="orders-build-image", inputs="SourceOutput",
                            outputs="BuildOutput", run_order=2)),
        a.stage("Staging",
                deploy("staging"),
                a.codebuild_test("AcceptanceTests", project="orders-acceptance-tests", inputs="SourceOutput",
                                 environment_variables={"TEST_SUITE": "acceptance", "TEST_ENVIRONMENT": "staging"},
                                 run_order=2)),
        a.stage("UpdatePipeline", a.cloudformation_deploy(
            "SelfMutate", stack="orders-pipeline", template="BuildOutput::pipeline.yaml",
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/orders-cloudformation-role",
            capabilities=("CAPABILITY_NAMED_IAM",))),
        a.stage("Production", deploy("production")),
    ], account=ACCOUNT, pipeline_type="V2")


STARTING_POINTS["07.1"] = orders_pipeline_07_1
EXPECTS["07.1"] = "the orders pipeline with its self-update moved to the safe place"


def _kinds(pipeline: Pipeline) -> Counter:
    return Counter((act.name, act.category, act.provider) for _, _, _, act in pipeline.iter_actions())


def _roles(pipeline: Pipeline) -> dict[tuple[str, str], Any]:
    """(stage, action) -> role, read as the simulator reads it."""
    from ..world import classify

    return {(str(stage.name), str(act.name)): classify(act, stage, pipeline)
            for _, stage, _, act in pipeline.iter_actions()}


def _simulate_pipeline_change(pipeline: Pipeline) -> tuple[Any, str, Any]:
    """A release, then a commit that changes the pipeline, with RestartExecutionOnUpdate: (sim, revision, world)."""
    from ..simulate import Simulator
    from ..world import World

    world = World(seed=0)
    sim = Simulator(pipeline, world, seed=0, restart_on_update=True)
    sim.start()
    sim.run()
    change = world.add_commit(sim.now, defects=[], message="Pipeline: add a smoke-test stage",
                              changes_pipeline=True)
    sim.start(revision=change.number)
    sim.run()
    return sim, world.revision_label(change.number), world


def check_07_1(answer: Any) -> Result:
    """Same actions, valid, no WB205; a pipeline-changing commit is deployed only on the new definition
    and reaches production."""
    from ..lint import lint

    pipeline = as_pipeline(answer)
    start = orders_pipeline_07_1()
    before, after = _kinds(start), _kinds(pipeline)
    if before != after:
        lost = sorted(name for name, _, _ in (before - after))
        added = sorted(name for name, _, _ in (after - before))
        what = f"{', '.join(lost)} {'is' if len(lost) == 1 else 'are'} gone" if lost else \
            f"{', '.join(added)} {'is' if len(added) == 1 else 'are'} new"
        return _no("07.1", f"The actions are not the ones the exercise started with: {what}.",
                   "Keep every action, the self-update included, and only move the UpdatePipeline stage: "
                   "answer = starting_point(\"07.1\"), then reorder answer.stages.")
    verdict = _problems_verdict("07.1", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    found = [f for f in lint(pipeline) if f.code == "WB205"]
    if found:
        return _no("07.1", f"lint still finds WB205: {found[0].title}.",
                   "The pipeline must update itself before it deploys anything: right after Build, "
                   "before Staging.")
    sim, revision, _ = _simulate_pipeline_change(pipeline)
    if sim.version < 2:
        return _no("07.1", "The pipeline never updated itself when a commit changed its definition.",
                   "Keep the SelfMutate action where it runs in every execution.")
    roles = _roles(pipeline)
    runs = [d for d in sim.action_executions()
            if d["status"] == "Succeeded" and roles.get((d["stageName"], d["actionName"])) is not None
            and roles[(d["stageName"], d["actionName"])].kind == "deploy"
            and sim.execution(d["pipelineExecutionId"])["artifactRevisions"][0]["revisionId"] == revision]
    old = [d for d in runs if d["pipelineVersion"] < sim.version]
    if old:
        first = min(old, key=lambda d: d["startTime"])
        return _no("07.1", f"{first['stageName']}.{first['actionName']} deployed the pipeline-changing commit "
                           f"with the old definition (version {first['pipelineVersion']}), before the pipeline "
                           "had updated itself.",
                   "Move the UpdatePipeline stage in front of every deploy.")
    production = [d for d in runs if roles[(d["stageName"], d["actionName"])].production]
    if not production:
        return _no("07.1", "The commit that changed the pipeline never reached production.",
                   "After the self-update, the restarted execution must still run every later stage.")
    order = " -> ".join(str(s.name) for s in pipeline.stages)
    return _ok("07.1", f"Stages: {order}. No WB205. The commit that changed the pipeline stopped its first run at "
                       f"the self-update; the restarted run deployed it on version {sim.version} only, to staging "
                       "and then to production.")


CHECKS["07.1"] = check_07_1


# --------------------------------------------------------------------------------------------
# 07.2: predict the statuses of a morning's executions

# The scripted morning: fixed durations (minutes) by what an action does, and four pushes.
DURATIONS_07_2 = {"source": 1, "unit-tests": 4, "build": 6, "deploy": 10, "acceptance-tests": 15, "self-update": 3}
PUSHES_07_2 = (
    ("A", 9 * 60, "Pipeline: add a smoke-test stage", True),
    ("B", 9 * 60 + 5, "Fix the invoice rounding", False),
    ("C", 9 * 60 + 8, "Log slow requests", False),
    ("D", 10 * 60 + 30, "Update the help text", False),
)
STATUSES = ("Succeeded", "Failed", "Cancelled", "Superseded", "Stopped", "InProgress")


def morning_07_2() -> dict:
    """What exercise 07.2 starts from: the pipeline, the durations and the pushes."""
    return {
        "pipeline": self_updating(safe=False),
        "durations": dict(DURATIONS_07_2),
        "pushes": [{"commit": letter, "at": minute, "message": message, "changes_pipeline": changes}
                   for letter, minute, message, changes in PUSHES_07_2],
    }


STARTING_POINTS["07.2"] = morning_07_2
EXPECTS["07.2"] = 'a dict of statuses, e.g. {"A": "Succeeded", "B": "...", "C": "...", "D": "..."}'


def run_morning_07_2() -> tuple[Any, dict[str, str]]:
    """Run the morning in the simulator: (simulator, commit letter -> execution id)."""
    from ..simulate import Simulator
    from ..world import World

    morning = morning_07_2()
    world = World(seed=0, fixed_durations=morning["durations"])
    sim = Simulator(morning["pipeline"], world, seed=0)
    ids = {}
    for push in morning["pushes"]:
        sim.run_until(push["at"])
        commit = world.add_commit(push["at"], defects=[], message=push["message"],
                                  changes_pipeline=push["changes_pipeline"])
        ids[push["commit"]] = sim.start(revision=commit.number, trigger="WebhookV2", trigger_detail="push")
    sim.run()
    return sim, ids


# Questions that lead to each execution's fate without giving it away.
LEADS_07_2 = {
    "A": "When SelfMutate finishes updating the stack, what does CodePipeline do with the execution that "
         "ran it, even though its code is already in production?",
    "B": "Where is B when C arrives, and what does SUPERSEDED mode do with an execution waiting in front of "
         "a busy stage when a newer one arrives (notebook 03)?",
    "C": "Where is C at the moment the update lands, and what happens to every execution in flight then?",
    "D": "D starts after the update has landed, on the new definition. Does its commit change the pipeline?",
}


def _status_word(value: Any) -> str | None:
    text = str(value).strip().lower().replace(" ", "")
    if text == "canceled":
        text = "cancelled"
    return next((s for s in STATUSES if s.lower() == text), None)


def check_07_2(answer: Any) -> Result:
    """Each execution's final status, compared with what the simulator says for the scripted morning."""
    if not isinstance(answer, dict):
        raise WrongShape("The answer is not a dict; this exercise asks for one status per commit.",
                         'Write answer = {"A": "...", "B": "...", "C": "...", "D": "..."}.')
    given = {str(k).strip().upper(): v for k, v in answer.items()}
    letters = [letter for letter, *_ in PUSHES_07_2]
    missing = [x for x in letters if x not in given]
    if missing:
        return _no("07.2", f"No status for {', '.join(missing)}.",
                   'Give a status for each of the four commits, e.g. {"A": "Succeeded", ...}.')
    unknown = {k: v for k, v in given.items() if _status_word(v) is None or k not in letters}
    if unknown:
        key, value = next(iter(unknown.items()))
        what = f"{value!r} is not an execution status" if key in letters else f"there is no commit {key}"
        return _no("07.2", f"In your answer, {what}.",
                   f"Use the commits A to D and the statuses CodePipeline reports: {', '.join(STATUSES[:4])}.")
    sim, ids = run_morning_07_2()
    actual = {letter: sim.execution(ids[letter])["status"] for letter in letters}
    wrong = [x for x in letters if _status_word(given[x]) != actual[x]]
    if wrong:
        right = len(letters) - len(wrong)
        return _no("07.2", f"{right} of {len(letters)} right; {', '.join(wrong)} "
                           f"{'is' if len(wrong) == 1 else 'are'} not.", LEADS_07_2[wrong[0]])
    summaries = "; ".join(f"{x} {actual[x]}" + (f" ({sim.execution(ids[x]).get('statusSummary')})"
                                                if sim.execution(ids[x]).get("statusSummary") else "")
                          for x in letters)
    return _ok("07.2", f"The simulator agrees: {summaries}.")


CHECKS["07.2"] = check_07_2
