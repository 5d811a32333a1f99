"""The plain SimPy model (benchmarks/simpy_model.py) applies the engine's rules to the same World.

The benchmark compares the engine's speed with this model's, which only means something if both
compute the same thing: the same executions, numbered in the same order, ending the same way at
the same minute, and so the same metrics. Small scenarios with fixed durations check each rule the
patterns use; a few hundred random commits per pattern check the metrics.
"""

import sys
from pathlib import Path

import pytest  # noqa: F401  (fixtures and marks)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import simpy_model  # noqa: E402

from pipeline_workbook import actions as a  # noqa: E402
from pipeline_workbook import patterns  # noqa: E402
from pipeline_workbook.simulate import Simulator  # noqa: E402
from pipeline_workbook.world import DefectProfile, World  # noqa: E402

CONNECTION = "arn:aws:codeconnections:us-east-1:123456789012:connection/a1b2c3d4-5678-4abc-9def-0123456789ab"
FIXED = {"source": 1, "build": 5, "unit-tests": 2, "acceptance-tests": 5, "deploy": 5, "self-update": 1,
         "other": 1, "review": 30, "alarm": 10, "shows_after": 0}
WEEK = 7 * 24 * 60


class RecordingWorld(World):
    """A World that also notes how every execution ended: (number, type, revision, status, minute)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.finished = []

    def execution_finished(self, execution, now):
        self.finished.append((execution.number, execution.type, execution.revision, execution.status, now))
        super().execution_finished(execution, now)


def engine(pipeline, world):
    return Simulator(pipeline, world, seed=0, record=False)


def model(pipeline, world):
    return simpy_model.SimPyPipeline(pipeline, world)


def push(arg):
    """A commit (with the given defect kinds) that starts an execution, as the world's commits do."""
    sim, world, defects = arg
    commit = world.add_commit(sim.now, defects=defects)
    sim._start(commit.number, None, "Webhook", "commit")


def timeline(make_sim, pipeline, pushes, **world_options):
    """How each execution ended when commits are pushed at the given minutes: [(minute, defects)]."""
    world = RecordingWorld(seed=5, fixed_durations=FIXED, **world_options)
    sim = make_sim(pipeline, world)
    for minute, defects in pushes:
        sim.schedule(minute, push, (sim, world, defects))
    sim.run()
    return world.finished


def rounded(finished):
    """A timeline with its minutes to the microminute (the model reaches a time as now + delay)."""
    return [(*rest, round(minute, 6)) for *rest, minute in finished]


def both(pipeline_factory, pushes, **world_options):
    """The engine's and the model's timelines, which must be the same; returns the engine's."""
    expected = timeline(engine, pipeline_factory(), pushes, **world_options)
    got = timeline(model, pipeline_factory(), pushes, **world_options)
    assert rounded(got) == rounded(expected)
    return expected


def source():
    return a.stage("Source", a.github_source(connection_arn=CONNECTION, repository="octo/app", output="Src"))


def build(name, run_order=None):
    return a.codebuild(name, project=f"p-{name.lower()}", inputs="Src", run_order=run_order)


def deploy(name="Deploy", environment="production", run_order=None):
    return a.codebuild(name, project="p-deploy", inputs="Src", run_order=run_order,
                       environment_variables={"DEPLOY_ENVIRONMENT": environment})


# ------------------------------------------------------------------ one rule at a time


def test_runorder_groups_run_in_parallel_and_a_failure_fails_the_stage_when_its_group_ends():
    def pipeline():
        return a.pipeline("groups", [source(), a.stage("Build", build("Fast", 1), build("Slow", 1), build("Later", 2))])

    durations = dict(FIXED, Fast=2, Slow=10, Later=3)
    for make_sim in (engine, model):
        world = RecordingWorld(seed=5, fixed_durations=durations, failures={"Fast": "broken"})
        sim = make_sim(pipeline(), world)
        sim.schedule(0, push, (sim, world, []))
        sim.run()
        # Fast fails at minute 3, Slow still runs to minute 11, Later never starts
        assert world.finished == [(1, "STANDARD", 0, "Failed", 11)]


def test_an_execution_waiting_in_front_of_a_busy_stage_is_superseded_by_a_newer_one():
    def pipeline():
        return a.pipeline("approvals", [source(), a.stage("Build", build("Build")),
                                        a.stage("Approval", a.manual_approval("Approve")),
                                        a.stage("Production", deploy())])

    # Monday 09:00: the reviewer (30 working minutes) holds the Approval stage until 09:36
    nine = 9 * 60
    finished = both(pipeline, [(nine, []), (nine + 10, []), (nine + 12, []), (nine + 14, [])], approver="person")
    statuses = {number: status for number, _, _, status, _ in finished}
    assert statuses == {1: "Succeeded", 2: "Superseded", 3: "Superseded", 4: "Succeeded"}


def test_an_alarm_during_the_bake_fails_the_wave_and_rolls_it_back_to_the_last_good_revision():
    def pipeline():
        return patterns.phased_rollout(waves=[["us-east-1"], ["eu-west-1", "us-west-2"]], bake_minutes=60)

    finished = both(pipeline, [(0, []), (300, ["production"])])
    assert [(n, kind, revision, status) for n, kind, revision, status, _ in finished] == [
        (1, "STANDARD", 0, "Succeeded"),
        (2, "STANDARD", 1, "Failed"),      # the alarm fired 10 minutes into the first wave's bake
        (3, "ROLLBACK", 0, "Succeeded"),   # the first wave runs revision 0 again
        (4, "STANDARD", 2, "Succeeded"),   # the revert the alarm called for
    ]


def test_on_failure_rollback_runs_only_the_failed_stage_and_a_rollback_is_not_rolled_back():
    def pipeline():
        return a.pipeline("rollback", [source(), a.stage("Build", build("Build")),
                                       a.stage("Production", deploy(), on_failure=a.rollback_on_failure())])

    def break_deploys(world):
        world.failures["Deploy"] = "health checks failed"

    for make_sim in (engine, model):
        world = RecordingWorld(seed=5, fixed_durations=FIXED)
        sim = make_sim(pipeline(), world)
        sim.schedule(0, push, (sim, world, []))
        sim.schedule(100, break_deploys, world)
        sim.schedule(100, push, (sim, world, []))
        sim.run()
        assert world.finished == [
            (1, "STANDARD", 0, "Succeeded", 11),
            (2, "STANDARD", 1, "Failed", 111),
            (3, "ROLLBACK", 0, "Failed", 116),  # deploys fail now: the rollback fails, nothing more
        ]


def test_no_rollback_when_nothing_succeeded_in_the_stage_before():
    def pipeline():
        return a.pipeline("rollback", [source(), a.stage("Production", deploy(), on_failure=a.rollback_on_failure())])

    finished = both(pipeline, [(0, [])], failures={"Deploy": "broken"})
    assert [status for _, _, _, status, _ in finished] == ["Failed"]


def test_an_approval_nobody_answers_in_time_times_out_after_seven_days():
    def pipeline():
        return a.pipeline("slow", [source(), a.stage("Approval", a.manual_approval("Approve"))])

    slow = dict(FIXED, review=20 * 9 * 60)  # twenty working days
    world = RecordingWorld(seed=5, fixed_durations=slow, approver="person")
    sim = model(pipeline(), world)
    sim.schedule(0, push, (sim, world, []))
    sim.run()
    assert world.finished == [(1, "STANDARD", 0, "Failed", 1 + WEEK)]
    # the engine's run() does not wait for approval timeouts; letting the time pass does
    world = RecordingWorld(seed=5, fixed_durations=slow, approver="person")
    sim = engine(pipeline(), world)
    sim.schedule(0, push, (sim, world, []))
    sim.run_until(2 * WEEK)
    assert world.finished == [(1, "STANDARD", 0, "Failed", 1 + WEEK)]


def test_the_model_refuses_what_it_does_not_cover():
    queued = a.pipeline("queued", [source(), a.stage("Build", build("Build"))], execution_mode="QUEUED")
    with pytest.raises(NotImplementedError, match="SUPERSEDED"):
        model(queued, World(seed=5))
    window = a.before_entry(a.deployment_window_rule("0 0 9-16 ? * MON-FRI *"))
    gated = a.pipeline("gated", [source(), a.stage("Build", build("Build"), before_entry=window)])
    with pytest.raises(NotImplementedError, match=r"stages\[1\]\.beforeEntry"):
        model(gated, World(seed=5))


# ------------------------------------------------------------------ every pattern, random commits

HEADLINE = ("lead_time_mean", "lead_time_p50", "deployments", "change_failure_rate", "incidents",
            "time_to_restore_mean", "exposure")


def engine_metrics(pipeline, commits, seed):
    """metrics.run's figures, except that approvals nobody answers in time are let time out.

    Simulator.run() stops when what is left only waits, approval timeouts included. When the
    world's reviewer would answer after the timeout, the execution at that approval (and the one
    waiting behind it) is still in progress when metrics.run returns, so its commits never count.
    The model lets the timeout happen, as CodePipeline does; so here the engine's clock is let run
    to each such timeout, then on until nothing more happens.
    """
    world = World(seed=seed, commits=commits, defects=DefectProfile(), approver="person")
    sim = Simulator(pipeline, world, seed=seed, record=False)
    sim.run()
    while sim.pending_approvals():
        since = min((p["waitingSince"] - sim.epoch).total_seconds() / 60 for p in sim.pending_approvals())
        sim.run_until(since + WEEK + 0.001)  # the patterns' approvals have the default 7-day timeout
        sim.run()
    return world.metrics(pipeline.name)


@pytest.mark.parametrize("name", list(patterns.PATTERNS))
def test_same_metrics_as_the_engine_on_a_few_hundred_commits(name):
    expected = engine_metrics(patterns.PATTERNS[name](), commits=400, seed=11)
    got = simpy_model.run(patterns.PATTERNS[name](), commits=400, seed=11)
    assert expected.deployments > 0 and expected.lead_time_mean is not None
    for field in HEADLINE:
        assert getattr(got, field) == pytest.approx(getattr(expected, field), rel=0.02), field
    assert got.executions == expected.executions


def test_same_executions_in_the_same_order_on_random_commits_with_rollbacks():
    def run(make_sim):
        world = RecordingWorld(seed=2, commits=300, defects=DefectProfile(), approver="person")
        make_sim(patterns.phased_rollout(), world).run()
        return world.finished

    expected = run(engine)
    assert any(kind == "ROLLBACK" for _, kind, _, _, _ in expected)
    assert rounded(run(model)) == rounded(expected)
