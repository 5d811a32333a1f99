"""The execution engine follows CodePipeline's documented execution rules (reference section 4).

Each test builds a small pipeline, fixes every action's duration so the timeline is exact, and
checks what CodePipeline documents: which executions run, wait, are superseded, fail or roll back.
"""

import pytest

from pipeline_workbook import actions as a
from pipeline_workbook import patterns
from pipeline_workbook.model import PipelineError
from pipeline_workbook.simulate import (
    ApprovalAlreadyCompletedException,
    DuplicatedStopRequestException,
    InvalidApprovalTokenException,
    InvalidStageDeclarationException,
    NotLatestPipelineExecutionException,
    PipelineExecutionNotFoundException,
    PipelineExecutionNotStoppableException,
    Simulator,
    StageNotFoundException,
    StageNotRetryableException,
    ValidationException,
)
from pipeline_workbook.world import World

CONNECTION = "arn:aws:codeconnections:us-east-1:123456789012:connection/a1b2c3d4-5678-4abc-9def-0123456789ab"


def source():
    return a.stage("Source", a.github_source(connection_arn=CONNECTION, repository="octo/app", output="Src"))


def build(name="Build", run_order=None, inputs="Src", outputs=()):
    return a.codebuild(name, project=f"p-{name.lower()}", inputs=inputs, outputs=outputs, run_order=run_order)


def make(*stages, mode=None, name="demo"):
    return a.pipeline(name, [source(), *stages], execution_mode=mode,
                      pipeline_type="V2" if mode else None)


def sim_for(pipeline, durations=None, failures=None, **world):
    """A simulator whose actions take exactly the given minutes (by action name; default 1)."""
    fixed = {"source": 1, "build": 1, "unit-tests": 1, "acceptance-tests": 1, "deploy": 1, "other": 1,
             "self-update": 1}
    fixed.update(durations or {})
    return Simulator(pipeline, World(fixed_durations=fixed, failures=failures, **world), seed=7)


def status(sim, execution_id):
    return sim.execution(execution_id)["status"]


def stage_status(sim, stage, at=None):
    for s in sim.state(at)["stageStates"]:
        if s["stageName"] == stage:
            return s.get("latestExecution", {}).get("status")
    raise KeyError(stage)


def action_status(sim, stage, action, at=None):
    for s in sim.state(at)["stageStates"]:
        if s["stageName"] == stage:
            for act in s["actionStates"]:
                if act["actionName"] == action:
                    return act.get("latestExecution", {}).get("status")
    raise KeyError(action)


# ------------------------------------------------------------------ inside one execution


def test_stages_run_in_order_and_run_order_groups_in_parallel_then_ascending():
    p = make(a.stage("Build", build("A", 1), build("B", 1), build("C", 2)),
             a.stage("Deploy", build("D")))
    sim = sim_for(p, durations={"A": 5, "B": 3, "C": 2, "D": 4})
    run = sim.start()
    sim.run()
    runs = {d["actionName"]: d for d in sim.action_executions(run)}
    minute = lambda d, key: (d[key] - runs["Source"]["startTime"]).total_seconds() / 60
    assert minute(runs["A"], "startTime") == minute(runs["B"], "startTime") == 1  # same runOrder: together
    assert minute(runs["C"], "startTime") == 6  # after the slower of the first group (A, 5 minutes)
    assert minute(runs["D"], "startTime") == 8  # next stage only after the whole stage
    assert minute(runs["D"], "lastUpdateTime") == 12
    assert status(sim, run) == "Succeeded"


def test_a_failed_action_fails_stage_and_execution_while_its_group_finishes():
    p = make(a.stage("Build", build("Fast", 1), build("Slow", 1), build("Later", 2)),
             a.stage("Deploy", build("D")))
    sim = sim_for(p, durations={"Fast": 2, "Slow": 10}, failures={"Fast": "unit tests failed"})
    run = sim.start()
    sim.run_until(5)
    # Fast failed at minute 3, Slow still runs: the stage is still in progress
    assert action_status(sim, "Build", "Fast") == "Failed"
    assert action_status(sim, "Build", "Slow") == "InProgress"
    assert stage_status(sim, "Build") == "InProgress"
    sim.run()
    assert action_status(sim, "Build", "Slow") == "Succeeded"
    assert stage_status(sim, "Build") == "Failed"
    assert action_status(sim, "Build", "Later") is None  # the next group never started
    assert stage_status(sim, "Deploy") is None
    assert status(sim, run) == "Failed"
    assert "unit tests failed" in sim.execution(run)["statusSummary"]


def test_action_timeout_fails_the_action():
    p = make(a.stage("Build", build("Build")))
    sim = sim_for(p, durations={"Build": 10_000})  # CodeBuild's limit is 8 hours
    run = sim.start()
    sim.run()
    [detail] = [d for d in sim.action_executions(run) if d["actionName"] == "Build"]
    assert detail["status"] == "Failed"
    assert detail["output"]["executionResult"]["errorDetails"]["code"] == "TimeoutError"
    assert (detail["lastUpdateTime"] - detail["startTime"]).total_seconds() == 8 * 3600


# ------------------------------------------------------------------ approvals


def approval_pipeline(timeout=None, mode=None):
    return make(a.stage("Build", build("Build", outputs="Out")),
                a.stage("Approval", a.manual_approval("Approve", timeout_minutes=timeout)),
                a.stage("Production", a.codebuild("Deploy", project="deploy", inputs="Out")), mode=mode)


def test_approval_waits_for_a_person_and_approving_moves_on():
    sim = sim_for(approval_pipeline())
    run = sim.start()
    sim.run()
    assert action_status(sim, "Approval", "Approve") == "InProgress"
    [waiting] = sim.pending_approvals()
    state = sim.state()
    token = [s for s in state["stageStates"] if s["stageName"] == "Approval"][0]["actionStates"][0][
        "latestExecution"]["token"]
    assert waiting["token"] == token
    answer = sim.put_approval_result("Approval", "Approve", {"status": "Approved", "summary": "looks good"}, token)
    assert "approvedAt" in answer
    sim.run()
    assert status(sim, run) == "Succeeded"
    with pytest.raises(ApprovalAlreadyCompletedException):
        sim.put_approval_result("Approval", "Approve", {"status": "Approved"}, token)


def test_rejecting_fails_the_execution_and_a_wrong_token_is_refused():
    sim = sim_for(approval_pipeline())
    run = sim.start()
    sim.run()
    with pytest.raises(InvalidApprovalTokenException, match="get_pipeline_state"):
        sim.put_approval_result("Approval", "Approve", {"status": "Approved"}, "not-a-token")
    sim.reject(summary="wrong colour")
    sim.run()
    assert status(sim, run) == "Failed"
    assert action_status(sim, "Approval", "Approve") == "Failed"


@pytest.mark.parametrize("timeout, expected_minutes", [(None, 7 * 24 * 60), (60, 60)])
def test_an_approval_times_out_after_seven_days_or_its_timeout(timeout, expected_minutes):
    sim = sim_for(approval_pipeline(timeout))
    run = sim.start()
    sim.run()  # run() does not wait for a timeout ...
    assert status(sim, run) == "InProgress"
    sim.advance(8 * 24 * 60)  # ... letting time pass does
    assert status(sim, run) == "Failed"
    [detail] = [d for d in sim.action_executions(run) if d["actionName"] == "Approve"]
    assert (detail["lastUpdateTime"] - detail["startTime"]).total_seconds() == expected_minutes * 60


# ------------------------------------------------------------------ between executions


def test_superseded_three_commits_arriving_while_an_approval_waits():
    sim = sim_for(approval_pipeline())
    first = sim.start()
    sim.run()  # first waits at the approval
    second = sim.start(revision="b")
    sim.run()
    third = sim.start(revision="c")
    sim.run()
    fourth = sim.start(revision="d")
    sim.run()
    # each newer execution replaced the one waiting in front of the locked Approval stage
    assert status(sim, second) == "Superseded"
    assert status(sim, third) == "Superseded"
    assert status(sim, fourth) == "InProgress"
    approval = [s for s in sim.state()["stageStates"] if s["stageName"] == "Approval"][0]
    assert approval["inboundExecution"]["pipelineExecutionId"] == fourth
    sim.approve()
    sim.run()
    assert status(sim, first) == "Succeeded"
    # the newest then entered the approval stage
    assert [p["pipelineExecutionId"] for p in sim.pending_approvals()] == [fourth]


def test_queued_mode_runs_every_execution_in_arrival_order():
    sim = sim_for(approval_pipeline(mode="QUEUED"))
    ids = [sim.start(revision=r) for r in "abc"]
    sim.run()
    for _ in ids:
        sim.approve()
        sim.run()
    assert [status(sim, i) for i in ids] == ["Succeeded"] * 3
    prod = [d for d in sim.action_executions() if d["actionName"] == "Deploy"]
    assert [d["pipelineExecutionId"] for d in sorted(prod, key=lambda d: d["startTime"])] == ids


def test_parallel_mode_runs_executions_side_by_side():
    p = make(a.stage("Build", build("Build")), mode="PARALLEL")
    sim = sim_for(p, durations={"Build": 30})
    ids = [sim.start(revision=r) for r in "abc"]
    sim.run_until(10)
    builds = [d for d in sim.action_executions() if d["actionName"] == "Build"]
    assert len(builds) == 3 and all(d["status"] == "InProgress" for d in builds)
    sim.run()
    assert [status(sim, i) for i in ids] == ["Succeeded"] * 3


def test_one_execution_per_stage_at_a_time():
    p = make(a.stage("Build", build("Build")))
    sim = sim_for(p, durations={"Build": 30})
    first = sim.start()
    sim.run_until(5)
    second = sim.start(revision="b")
    sim.run_until(10)
    build_stage = [s for s in sim.state()["stageStates"] if s["stageName"] == "Build"][0]
    assert build_stage["latestExecution"]["pipelineExecutionId"] == first
    assert build_stage["inboundExecution"]["pipelineExecutionId"] == second
    sim.run()
    assert status(sim, first) == status(sim, second) == "Succeeded"


def test_a_disabled_transition_holds_the_newest_execution_and_supersedes_older_ones():
    p = make(a.stage("Build", build("Build")), a.stage("Deploy", build("Deploy")))
    sim = sim_for(p)
    sim.disable_transition("Deploy", "Release freeze")
    first = sim.start()
    sim.run()
    second = sim.start(revision="b")
    sim.run()
    deploy = [s for s in sim.state()["stageStates"] if s["stageName"] == "Deploy"][0]
    assert deploy["inboundTransitionState"]["enabled"] is False
    assert deploy["inboundTransitionState"]["disabledReason"] == "Release freeze"
    assert deploy["inboundExecution"]["pipelineExecutionId"] == second
    assert status(sim, first) == "Superseded"
    sim.enable_transition("Deploy")
    sim.run()
    assert status(sim, second) == "Succeeded"
    with pytest.raises(InvalidStageDeclarationException):
        sim.disable_transition("Source", "nothing comes before the first stage")


# ------------------------------------------------------------------ retry and stop


def test_retry_failed_actions_reruns_only_what_failed():
    p = make(a.stage("Build", build("Lint", 1), build("Test", 1)), a.stage("Deploy", build("Deploy")))
    sim = sim_for(p, failures={("Test", 0): "flaky"})
    run = sim.start(revision=0)
    sim.run()
    assert status(sim, run) == "Failed"
    sim.world.failures.clear()
    assert sim.retry_stage("Build", run, "FAILED_ACTIONS") == run
    sim.run()
    assert status(sim, run) == "Succeeded"
    names = [d["actionName"] for d in sim.action_executions(run)]
    assert names.count("Test") == 2 and names.count("Lint") == 1
    build_stage = [s for s in sim.state()["stageStates"] if s["stageName"] == "Build"][0]
    assert build_stage["retryStageMetadata"]["manualStageRetryAttempt"] == 1


def test_retry_all_actions_reruns_the_whole_stage():
    p = make(a.stage("Build", build("Lint", 1), build("Test", 2)))
    sim = sim_for(p, failures={"Test": "broken"})
    run = sim.start()
    sim.run()
    sim.world.failures.clear()
    sim.retry_stage("Build", run, "ALL_ACTIONS")
    sim.run()
    names = [d["actionName"] for d in sim.action_executions(run)]
    assert names.count("Lint") == 2 and names.count("Test") == 2
    assert status(sim, run) == "Succeeded"


def test_retry_is_refused_for_a_stage_that_did_not_fail_or_an_older_execution():
    p = make(a.stage("Build", build("Build")))
    sim = sim_for(p, failures={("Build", "a"): "broken"})
    first = sim.start(revision="a")
    sim.run()
    with pytest.raises(StageNotRetryableException, match="Succeeded"):
        sim.retry_stage("Source", first)
    second = sim.start(revision="b")
    sim.run()
    with pytest.raises(NotLatestPipelineExecutionException):
        sim.retry_stage("Build", first)
    with pytest.raises(StageNotFoundException, match="Build"):
        sim.retry_stage("Nope", second)


def test_stop_lets_running_actions_finish_and_abandon_does_not():
    p = make(a.stage("Build", build("Build")), a.stage("Deploy", build("Deploy")))
    sim = sim_for(p, durations={"Build": 20})
    run = sim.start()
    sim.run_until(5)
    sim.stop(run, reason="wrong branch")
    assert status(sim, run) == "Stopping"
    with pytest.raises(DuplicatedStopRequestException):
        sim.stop(run)
    sim.run()
    assert status(sim, run) == "Stopped"
    assert action_status(sim, "Build", "Build") == "Succeeded"
    assert stage_status(sim, "Deploy") is None
    with pytest.raises(PipelineExecutionNotStoppableException):
        sim.stop(run)

    other = sim.start(revision="b")
    sim.advance(5)
    sim.stop(other, abandon=True)
    assert status(sim, other) == "Stopped"
    assert action_status(sim, "Build", "Build") == "Abandoned"
    summary = [e for e in sim.executions() if e["pipelineExecutionId"] == other][0]
    assert summary["stopTrigger"]["reason"] == "Stopped and abandoned by user"


def test_unknown_execution_ids_are_refused():
    sim = sim_for(make(a.stage("Build", build("Build"))))
    with pytest.raises(PipelineExecutionNotFoundException, match="executions"):
        sim.execution("a1b2c3d4-5678-4abc-9def-0123456789ab")
    with pytest.raises(PipelineExecutionNotFoundException):
        sim.stop("nope")


def test_an_invalid_pipeline_is_refused_with_its_problems():
    broken = make(a.stage("Build", build("Build", inputs="Nothing")))
    with pytest.raises(PipelineError, match="Nothing"):
        Simulator(broken)


# ------------------------------------------------------------------ V2 stage conditions


def test_on_failure_retry_retries_the_stage_once_automatically():
    p = make(a.stage("Build", build("Build"), on_failure=a.retry_on_failure("FAILED_ACTIONS")), mode="QUEUED")
    sim = sim_for(p, failures={("Build", "a"): "broken"})
    run = sim.start(revision="a")
    sim.run()
    builds = [d for d in sim.action_executions(run) if d["actionName"] == "Build"]
    assert len(builds) == 2  # the first run and one automatic retry
    assert status(sim, run) == "Failed"
    build_stage = [s for s in sim.state()["stageStates"] if s["stageName"] == "Build"][0]
    assert build_stage["retryStageMetadata"]["autoStageRetryAttempt"] == 1
    assert build_stage["retryStageMetadata"]["latestRetryTrigger"] == "AutomatedStageRetry"


def test_on_failure_rollback_redeploys_the_last_good_revision():
    p = make(a.stage("Build", build("Build")),
             a.stage("Production", build("Deploy"), on_failure=a.rollback_on_failure()), mode="QUEUED")
    sim = sim_for(p, failures={("Deploy", "bad"): "health checks failed"})
    good = sim.start(revision="good")
    sim.run()
    bad = sim.start(revision="bad")
    sim.run()
    assert status(sim, good) == "Succeeded" and status(sim, bad) == "Failed"
    rollbacks = [e for e in sim.executions() if e["executionType"] == "ROLLBACK"]
    assert len(rollbacks) == 1
    rollback = rollbacks[0]
    assert rollback["trigger"]["triggerType"] == "AutomatedRollback"
    assert rollback["rollbackMetadata"]["rollbackTargetPipelineExecutionId"] == good
    assert rollback["status"] == "Succeeded"
    assert rollback["sourceRevisions"][0]["revisionId"] == "good"
    deploys = [d for d in sim.action_executions(rollback["pipelineExecutionId"])]
    assert [d["actionName"] for d in deploys] == ["Deploy"]  # only the stage that failed runs again


def test_before_entry_deployment_window_fails_or_skips_outside_the_window():
    window = a.deployment_window_rule("0 0 9-16 ? * MON-FRI *")
    failing = make(a.stage("Build", build("Build")),
                   a.stage("Production", build("Deploy"), before_entry=a.before_entry(window)), mode="QUEUED")
    sim = sim_for(failing)
    night = sim.start()  # minute 0 is Monday 00:00: outside the window
    sim.run()
    assert status(sim, night) == "Failed"
    assert "deployment window" in sim.execution(night)["statusSummary"]
    day = sim.start(at=10 * 60)  # Monday 10:00
    sim.run()
    assert status(sim, day) == "Succeeded"



def test_before_entry_skip_skips_the_stage_and_the_execution_goes_on():
    from pipeline_workbook.model import PipelineVariable, Rule, RuleTypeId

    wanted = Rule(name="LoadTestsWanted", rule_type_id=RuleTypeId(provider="VariableCheck"),
                  configuration={"Variable": "#{variables.LOAD_TESTS}", "Operator": "EQ", "Value": "yes"})
    p = make(a.stage("Build", build("Build")),
             a.stage("LoadTests", build("Load"), before_entry=a.before_entry(wanted, result="SKIP")),
             a.stage("Production", build("Deploy")), mode="QUEUED")
    p.variables = [PipelineVariable(name="LOAD_TESTS", default_value="no")]
    sim = sim_for(p)
    skipped = sim.start()
    sim.run()
    assert stage_status(sim, "LoadTests") == "Skipped"
    assert stage_status(sim, "Production") == "Succeeded"
    assert status(sim, skipped) == "Succeeded"
    ran = sim.start(variables={"LOAD_TESTS": "yes"})
    sim.run()
    assert stage_status(sim, "LoadTests") == "Succeeded"
    assert [d["actionName"] for d in sim.action_executions(ran)].count("Load") == 1


def test_on_success_alarm_rolls_back_a_wave_when_its_alarm_fires_during_bake():
    p = patterns.phased_rollout(waves=[["us-east-1"], ["eu-west-1", "us-west-2"]], bake_minutes=60)
    world = World(seed=3, fixed_durations={"source": 1, "build": 5, "unit-tests": 2, "acceptance-tests": 5,
                                           "deploy": 5, "alarm": 10})
    sim = Simulator(p, world, seed=3)
    good = sim.start(revision=world.add_commit(0, defects=[]).number)
    sim.run()
    assert status(sim, good) == "Succeeded"
    bad_commit = world.add_commit(sim.now, defects=["production"])
    bad = sim.start(revision=bad_commit.number)
    sim.run()
    assert status(sim, bad) == "Failed"
    summary = sim.execution(bad)["statusSummary"]
    assert "onSuccess condition" in summary and "defect" in summary
    rollbacks = [e for e in sim.executions() if e["executionType"] == "ROLLBACK"]
    assert len(rollbacks) == 1 and rollbacks[0]["status"] == "Succeeded"
    # the defect reached only the first wave; the rollback took it away again
    assert bad_commit.defects[0].live == 0
    assert bad_commit.defects[0].detected_where == "production (alarm)"


# ------------------------------------------------------------------ updating the pipeline


def test_updating_the_pipeline_cancels_executions_in_flight():
    p = make(a.stage("Build", build("Build")), a.stage("Deploy", build("Deploy")))
    sim = sim_for(p, durations={"Build": 20})
    running = sim.start()
    sim.run_until(3)
    waiting = sim.start(revision="b")
    sim.run_until(5)
    version = sim.update_pipeline(p.copy())
    assert version == 2
    assert status(sim, waiting) == "Cancelled"  # it was waiting between stages: ends at once
    assert status(sim, running) == "InProgress"  # its running action finishes first
    sim.run()
    assert status(sim, running) == "Cancelled"
    assert action_status(sim, "Build", "Build") == "Succeeded"
    fresh = sim.start(revision="c")
    sim.run()
    assert status(sim, fresh) == "Succeeded"
    assert sim.execution(fresh)["pipelineVersion"] == 2


def test_self_update_after_deploys_cancels_itself_and_restart_on_update_runs_again():
    unsafe = patterns.self_updating(safe=False)
    world = World(seed=5, fixed_durations={"source": 1, "build": 5, "unit-tests": 2, "acceptance-tests": 5,
                                           "deploy": 5, "self-update": 3})
    sim = Simulator(unsafe, world, seed=5)
    commit = world.add_commit(0, defects=[], changes_pipeline=True)
    run = sim.start(revision=commit.number)
    sim.run()
    assert status(sim, run) == "Cancelled"
    assert sim.version == 2

    safe = patterns.self_updating(safe=True)
    world = World(seed=5, fixed_durations={"source": 1, "build": 5, "unit-tests": 2, "acceptance-tests": 5,
                                           "deploy": 5, "self-update": 3})
    sim = Simulator(safe, world, seed=5, restart_on_update=True)
    commit = world.add_commit(0, defects=[], changes_pipeline=True)
    run = sim.start(revision=commit.number)
    sim.run()
    summaries = sim.executions()
    assert status(sim, run) == "Cancelled"
    restarted = summaries[0]
    assert restarted["trigger"]["triggerType"] == "StartPipelineExecution"
    assert restarted["status"] == "Succeeded"
    assert restarted["sourceRevisions"][0]["revisionId"] == world.revision_label(commit.number)


# ------------------------------------------------------------------ reads


def test_state_at_an_earlier_minute_shows_that_moment():
    p = make(a.stage("Build", build("Build")), a.stage("Deploy", build("Deploy")))
    sim = sim_for(p, durations={"Build": 10, "Deploy": 10})
    run = sim.start()
    sim.run()
    assert stage_status(sim, "Build", at=5) == "InProgress"
    assert stage_status(sim, "Deploy", at=5) is None
    assert stage_status(sim, "Build", at=15) == "Succeeded"
    assert stage_status(sim, "Deploy", at=15) == "InProgress"
    assert stage_status(sim, "Deploy") == "Succeeded"
    assert status(sim, run) == "Succeeded"


def test_same_seed_same_run():
    def run_once():
        p = patterns.manual_acceptance()
        world = World(seed=11, commits=30, approver="person")
        sim = Simulator(p, world, seed=11)
        sim.run()
        return [(e["pipelineExecutionId"], e["status"], e["startTime"]) for e in sim.executions()], \
            [str(e) for e in sim.events]

    assert run_once() == run_once()


def test_approving_when_nothing_waits_says_so():
    sim = sim_for(approval_pipeline())
    with pytest.raises(ValidationException, match="No manual approval is waiting"):
        sim.approve()


# ------------------------------------------------------------------ response shapes


def _assert_shape(value, shape, path="response"):
    """Every key and type in a simulated response exists in botocore's output shape."""
    import datetime

    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), path
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{path}: {sorted(unknown)} are not in {shape.name}"
        for key, item in value.items():
            _assert_shape(item, shape.members[key], f"{path}.{key}")
    elif kind == "list":
        assert isinstance(value, list), path
        for i, item in enumerate(value):
            _assert_shape(item, shape.member, f"{path}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), path
        for key, item in value.items():
            _assert_shape(item, shape.value, f"{path}.{key}")
    elif kind == "string":
        assert isinstance(value, str), f"{path}: {value!r}"
        if shape.enum:
            assert value in shape.enum, f"{path}: {value!r} not in {shape.enum}"
    elif kind == "timestamp":
        assert isinstance(value, datetime.datetime), path
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), path
    elif kind == "boolean":
        assert isinstance(value, bool), path


def test_reads_have_codepipelines_response_shapes():
    import botocore.session

    model = botocore.session.get_session().get_service_model("codepipeline")
    output = lambda op: model.operation_model(op).output_shape
    p = patterns.phased_rollout(waves=[["us-east-1"], ["eu-west-1"]])
    world = World(seed=2, commits=6, approver="person")
    sim = Simulator(p, world, seed=2)
    sim.disable_transition("Wave2", "hold")
    sim.run_until(3 * 24 * 60)
    _assert_shape(sim.state(), output("GetPipelineState"))
    _assert_shape({"pipelineExecutionSummaries": sim.executions()}, output("ListPipelineExecutions"))
    for summary in sim.executions():
        _assert_shape({"pipelineExecution": sim.execution(summary["pipelineExecutionId"])},
                      output("GetPipelineExecution"))
    _assert_shape({"actionExecutionDetails": sim.action_executions()}, output("ListActionExecutions"))
    approval = sim_for(approval_pipeline())
    approval.start()
    approval.run()
    _assert_shape(approval.approve(), output("PutApprovalResult"))
