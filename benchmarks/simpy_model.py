"""A plain SimPy model of the workbook's execution rules: what a user would write instead of the engine.

It follows SimPy's documentation: each pipeline execution and each action is a process (a generator
function), a stage is a `simpy.PriorityResource` of capacity 1 (one execution at a time), an action
takes `env.timeout(duration)`, a runOrder group waits for `env.all_of(its actions)`, and an execution
waiting in front of a busy stage is superseded by `Process.interrupt` (it then cancels its request).

It covers what the seven patterns of patterns.py use, in SUPERSEDED mode (the default):
- stages in order, runOrder groups in parallel and in ascending order; a failed action fails the
  stage once its group has finished, and the execution with it;
- manual approvals, decided by the world's approver (or timed out);
- onSuccess conditions: alarm rules watched for their wait time (bake), result ROLLBACK or FAIL;
- onFailure ROLLBACK: a rollback execution runs only that stage again, with the last revision that
  succeeded there, ahead of any execution waiting in front; a rollback is not rolled back again;
- commits and fix commits started by the world.

It drives the same World (world.py) through the same hooks as the engine (simulate.Simulator):
`SimPyPipeline` exposes what the world reads (now, schedule, _start, _plan, _stages, pipeline,
region, record, restart_on_update, _log). Executions are numbered in the same order as the engine's,
and the world draws every outcome by key, so the two give the same metrics. The only engine code
used is `compile_plan`, which arranges the definition into the stage plans the world classifies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import simpy

from pipeline_workbook.metrics import Metrics
from pipeline_workbook.model import Pipeline
from pipeline_workbook.simulate import StagePlan, compile_plan

IN_PROGRESS = "InProgress"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
SUPERSEDED = "Superseded"
STANDARD = "STANDARD"
ROLLBACK = "ROLLBACK"

EXECUTION_FIRST = 1  # request priority of an execution arriving at a stage
ROLLBACK_FIRST = 0   # a rollback is let into its stage before anyone waiting in front


# --------------------------------------------------------------------------------------------
# What the world reads: an execution, its passage through a stage, one run of an action


@dataclass(eq=False, slots=True)
class Execution:
    number: int
    revision: Any
    trigger: str
    trigger_detail: str
    start: float
    type: str = STANDARD
    status: str = IN_PROGRESS
    summary: str | None = None
    end: float | None = None
    current: StageRun | None = None  # the stage it is in (the world reads retry counts from it)
    variables: dict | None = None
    process: simpy.Process | None = None


@dataclass(eq=False, slots=True)
class StageRun:
    execution: Execution
    stage: StagePlan
    auto_retries: int = 0  # no retries in this model; the world keys its draws on the attempt
    manual_retries: int = 0


@dataclass(eq=False, slots=True)
class ActionRun:
    plan: Any  # simulate.ActionPlan
    run: StageRun
    start: float
    end: float | None = None
    status: str = IN_PROGRESS
    summary: str | None = None
    outcome: Any = None
    updated_by: str | None = None


@dataclass(eq=False)
class Stage:
    """A stage: its lock, the one execution waiting in front of it, the last revision that passed."""

    plan: StagePlan
    lock: simpy.PriorityResource
    waiting: Execution | None = None
    waiting_request: Any = None
    last_success_revision: Any = None
    last_success_execution: Execution | None = None


@dataclass
class StageOutcome:
    passed: bool
    reason: str | None = None
    rollback: bool = False


# --------------------------------------------------------------------------------------------
# The model


class SimPyPipeline:
    """One pipeline's executions as SimPy processes, acting on a World like the engine does."""

    record = False
    restart_on_update = False

    def __init__(self, pipeline: Pipeline, world: Any, region: str = "us-east-1"):
        pipeline.validate(region=region)
        self.pipeline = pipeline
        self.region = region
        self.world = world
        self.env = simpy.Environment()
        self._plan = compile_plan(pipeline)
        _check_supported(pipeline, self._plan)
        self._stages = [Stage(plan, simpy.PriorityResource(self.env, capacity=1)) for plan in self._plan]
        self._numbers = 0
        world.bind(self)

    # ---------------------------------------------------------------- what the world calls

    @property
    def now(self) -> float:
        return self.env.now

    def schedule(self, at: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call fn(arg) at minute `at` (a timeout with a callback)."""
        event = self.env.timeout(max(at - self.env.now, 0.0), arg)
        event.callbacks.append(lambda done: fn(done.value))

    def _start(self, revision: Any = None, at: float | None = None, trigger: str = "StartPipelineExecution",
               trigger_detail: str = "", variables: dict | None = None) -> Execution:
        if at is not None and at > self.env.now:
            raise NotImplementedError("the SimPy model starts executions now only")
        self._numbers += 1
        if revision is None:
            revision = self.world.latest_revision(self.env.now)
        ex = Execution(self._numbers, revision, trigger, trigger_detail, self.env.now)
        ex.variables = dict(variables) if variables else None
        ex.process = self.env.process(self._execution(ex))
        return ex

    def start(self, revision: Any = None, trigger: str = "StartPipelineExecution", trigger_detail: str = "") -> int:
        return self._start(revision, None, trigger, trigger_detail).number

    def update_pipeline(self, pipeline: Pipeline) -> None:
        raise NotImplementedError("the SimPy model does not model pipeline updates (self-updates that "
                                  "change the definition); use World(pipeline_change_rate=0)")

    def _log(self, *args: Any, **kwargs: Any) -> None:
        pass  # no history is kept (like the engine with record=False)

    def run(self) -> "SimPyPipeline":
        self.env.run()
        return self

    # ---------------------------------------------------------------- processes

    def _execution(self, ex: Execution):
        """One execution: through the stages in order, holding each stage while it is in it."""
        stages = self._stages
        k = 0
        request = self._arrive(ex, stages[0])
        while True:
            stage = stages[k]
            try:
                yield request
            except simpy.Interrupt:  # superseded while waiting in front of the stage
                if request.triggered:
                    stage.lock.release(request)
                else:
                    request.cancel()
                self._finish(ex, SUPERSEDED, None)
                return
            outcome = yield from self._run_stage(ex, stage)
            if not outcome.passed:
                self._finish(ex, FAILED, outcome.reason)
                if outcome.rollback:
                    self._start_rollback(stage, ex)
                stage.lock.release(request)
                return
            stage.last_success_revision = ex.revision
            stage.last_success_execution = ex
            if k + 1 == len(stages):
                self._finish(ex, SUCCEEDED, None)
                stage.lock.release(request)
                return
            # move on to the next stage (entering or waiting in front), then let the next one in here
            k += 1
            next_request = self._arrive(ex, stages[k])
            stage.lock.release(request)
            request = next_request

    def _arrive(self, ex: Execution, stage: Stage):
        """Ask for the stage; if it is busy, wait in front of it, superseding whoever waited there."""
        request = stage.lock.request(priority=EXECUTION_FIRST)
        if request.triggered:
            return request
        older = stage.waiting
        if older is not None and not stage.waiting_request.triggered:
            older.process.interrupt("superseded")
        stage.waiting = ex
        stage.waiting_request = request
        return request

    def _run_stage(self, ex: Execution, stage: Stage):
        """Run the stage's runOrder groups, then watch its onSuccess rules; the outcome says how it went."""
        env = self.env
        plan = stage.plan
        run = StageRun(ex, plan)
        ex.current = run
        for group in plan.groups:
            now = env.now
            runs = [ActionRun(ap, run, now) for ap in group]
            yield env.all_of([env.process(self._action(ar)) for ar in runs])
            failed = [ar for ar in runs if ar.status == FAILED]
            if failed:
                reason = "; ".join(f"{ar.plan.name}: {ar.summary or 'failed'}" for ar in failed)
                on_failure = plan.on_failure
                rollback = on_failure is not None and on_failure.result == "ROLLBACK" and ex.type != ROLLBACK
                return StageOutcome(False, f"Stage {plan.name} failed: {reason}", rollback)
        condition = plan.on_success
        if condition is not None and ex.type != ROLLBACK:
            now = env.now
            alarm = self.world.first_alarm(condition.rules, run, now, now + condition.wait_minutes)
            if alarm is not None:
                yield env.timeout(alarm[0] - now)
                return StageOutcome(False, f"onSuccess condition of stage {plan.name} failed: {alarm[1]}",
                                    condition.result == "ROLLBACK")
            yield env.timeout(condition.wait_minutes)
        return StageOutcome(True)

    def _action(self, ar: ActionRun):
        """One action: an approval waits for its decision; any other action takes its duration."""
        env = self.env
        ap = ar.plan
        ex = ar.run.execution
        if ap.is_approval:
            decision = self.world.approval(ap, ex, env.now)
            if decision is None or decision[0] >= ap.timeout:
                yield env.timeout(ap.timeout)
                ar.status, ar.summary, ar.updated_by = FAILED, "Approval timed out", "timeout"
            else:
                delay, approve, summary, who = decision
                yield env.timeout(delay)
                ar.status, ar.summary, ar.updated_by = (SUCCEEDED if approve else FAILED), summary, who
            ar.end = env.now
            return
        duration, ok, summary, outcome = self.world.action_outcome(ap, ex, env.now)
        if duration >= ap.timeout:
            duration, ok, summary = ap.timeout, False, f"Timed out after {ap.timeout:g} minutes"
        yield env.timeout(duration)
        ar.end = env.now
        ar.status = SUCCEEDED if ok else FAILED
        ar.summary = summary
        ar.outcome = outcome
        if ap.has_effect:
            self.world.action_done(ar, env.now)

    def _start_rollback(self, stage: Stage, failed: Execution) -> None:
        """Run this stage again with the last revision that succeeded in it, before anyone waiting."""
        target = stage.last_success_execution
        if target is None:
            return  # nothing ever succeeded here: nothing to roll back to
        self._numbers += 1
        ex = Execution(self._numbers, stage.last_success_revision, "AutomatedRollback", str(failed.number),
                       self.env.now, type=ROLLBACK)
        request = stage.lock.request(priority=ROLLBACK_FIRST)  # asked while the failed one still holds it
        ex.process = self.env.process(self._rollback(ex, stage, request))

    def _rollback(self, ex: Execution, stage: Stage, request):
        yield request
        outcome = yield from self._run_stage(ex, stage)
        if outcome.passed:
            stage.last_success_revision = ex.revision
            stage.last_success_execution = ex
            self._finish(ex, SUCCEEDED, None)
        else:
            self._finish(ex, FAILED, outcome.reason)
        stage.lock.release(request)

    def _finish(self, ex: Execution, status: str, summary: str | None) -> None:
        ex.status = status
        ex.summary = summary
        ex.end = self.env.now
        ex.current = None
        self.world.execution_finished(ex, self.env.now)


def _check_supported(pipeline: Pipeline, plan: list[StagePlan]) -> None:
    """Refuse what this model does not cover, rather than run it differently from the engine."""
    if pipeline.effective_execution_mode != "SUPERSEDED":
        raise NotImplementedError(f"executionMode {pipeline.effective_execution_mode}: the SimPy model covers "
                                  f"SUPERSEDED only")
    for stage in plan:
        where = f"stages[{stage.index}]"
        if stage.before_entry is not None:
            raise NotImplementedError(f"{where}.beforeEntry: not covered by the SimPy model")
        if stage.on_failure is not None and stage.on_failure.result != "ROLLBACK":
            raise NotImplementedError(f"{where}.onFailure result {stage.on_failure.result}: only ROLLBACK is covered")
        if stage.on_success is not None and stage.on_success.result not in ("ROLLBACK", "FAIL"):
            raise NotImplementedError(f"{where}.onSuccess result {stage.on_success.result}: only ROLLBACK or FAIL")


def run(pipeline: Pipeline, *, commits: int = 1000, seed: int = 0, world: Any = None,
        **world_options: Any) -> Metrics:
    """Like metrics.run, with the SimPy model instead of the engine."""
    from pipeline_workbook.world import DefectProfile, World

    if world is None:
        world_options.setdefault("defects", DefectProfile())
        world_options.setdefault("approver", "person")
        world = World(seed=seed, commits=commits, **world_options)
    SimPyPipeline(pipeline, world).run()
    return world.metrics(pipeline.name)


if __name__ == "__main__":
    from pipeline_workbook import patterns

    print("The SimPy model of the execution rules; benchmarks/simulate.py compares it with the engine.")
    for name, make in patterns.PATTERNS.items():
        print(f"{name}: {run(make(), commits=200).row()}")
