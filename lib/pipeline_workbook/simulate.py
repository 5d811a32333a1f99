"""The execution engine: CodePipeline's execution rules on a simulated clock.

A `Simulator` runs executions of one pipeline. Time is in minutes and only moves when you ask
(`run_until`, `run`), so hours of pipeline time take milliseconds and runs are reproducible with a
seed. The rules followed are those of ../shared/reference/codepipeline-rules.md section 4:

- stages in order; actions grouped by runOrder, each group in parallel, groups in ascending order;
- one failed action fails its stage and the execution, while actions already running in that
  group finish;
- a stage holds one execution at a time; in SUPERSEDED mode a newer execution replaces one waiting
  in front of a locked stage (or a disabled transition); QUEUED waits in arrival order; PARALLEL
  runs executions independently;
- manual approvals wait until decided or timed out; every action has its timeout;
- V2 stage conditions: beforeEntry (FAIL or SKIP), onSuccess (alarm rules with a wait time: bake
  time; ROLLBACK or FAIL), onFailure (RETRY or ROLLBACK);
- updating the pipeline while executions run cancels them once their running actions finish.

What the actions do (how long they take, whether they fail, what a deploy exposes) comes from a
world (world.py). Reads come back in CodePipeline's own response shapes (get_pipeline_state,
list_pipeline_executions, list_action_executions), so the same drawing shows simulated and real
executions.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .catalog import action_timeout_minutes
from .model import Pipeline

# Status values, exactly as the CodePipeline API spells them.
IN_PROGRESS = "InProgress"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
STOPPED = "Stopped"
STOPPING = "Stopping"
SUPERSEDED = "Superseded"
CANCELLED = "Cancelled"
SKIPPED = "Skipped"
ABANDONED = "Abandoned"

STANDARD = "STANDARD"
ROLLBACK = "ROLLBACK"

# The simulated clock's minute 0, a Monday, so that office hours and deployment windows read well.
EPOCH = datetime(2026, 1, 5, 0, 0, tzinfo=timezone.utc)

# How many automatic retries an onFailure RETRY result makes (AWS does not document a number).
MAX_AUTOMATIC_RETRIES = 1


def timestamp(minutes: float) -> datetime:
    """The wall-clock time of a simulated minute (to the millisecond, as the API gives it)."""
    return EPOCH + timedelta(milliseconds=round(minutes * 60_000))


# --------------------------------------------------------------------------------------------
# Errors, named like the real API's exceptions so that code written against one reads the same


class SimulationError(Exception):
    """Base of the simulator's errors; `code` is the CodePipeline exception name."""

    code = "ValidationException"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PipelineExecutionNotFoundException(SimulationError):
    code = "PipelineExecutionNotFoundException"


class StageNotFoundException(SimulationError):
    code = "StageNotFoundException"


class ActionNotFoundException(SimulationError):
    code = "ActionNotFoundException"


class InvalidApprovalTokenException(SimulationError):
    code = "InvalidApprovalTokenException"


class ApprovalAlreadyCompletedException(SimulationError):
    code = "ApprovalAlreadyCompletedException"


class StageNotRetryableException(SimulationError):
    code = "StageNotRetryableException"


class NotLatestPipelineExecutionException(SimulationError):
    code = "NotLatestPipelineExecutionException"


class PipelineExecutionNotStoppableException(SimulationError):
    code = "PipelineExecutionNotStoppableException"


class DuplicatedStopRequestException(SimulationError):
    code = "DuplicatedStopRequestException"


class InvalidStageDeclarationException(SimulationError):
    code = "InvalidStageDeclarationException"


class ValidationException(SimulationError):
    code = "ValidationException"


# --------------------------------------------------------------------------------------------
# The compiled plan: the pipeline definition arranged for fast execution


@dataclass
class RulePlan:
    """One condition rule, reduced to what the engine and the world need."""

    name: str
    provider: str
    configuration: dict
    region: str | None


@dataclass
class ConditionPlan:
    """A stage condition: its result when a rule fails, its rules, and how long it watches."""

    kind: str  # "beforeEntry", "onSuccess", "onFailure"
    result: str | None
    rules: list[RulePlan]
    wait_minutes: float
    retry_mode: str | None = None


@dataclass
class ActionPlan:
    """One action of the definition, with what the world made of it (its role)."""

    index: int
    stage_index: int
    name: str
    declaration: Any  # model.Action
    category: str
    provider: str
    is_approval: bool
    is_source: bool
    timeout: float
    role: Any = None  # set by the world: what this action does (build, test, deploy, ...)
    has_effect: bool = False  # the world wants to hear when it finishes (deploys, self-updates)
    draw_key: int = 0  # set by the world: a stable number for this action in its random draws
    draw: Any = None  # set by the world: what it needs to draw this action's duration quickly


@dataclass
class StagePlan:
    index: int
    name: str
    actions: list[ActionPlan]
    groups: list[list[ActionPlan]]
    before_entry: ConditionPlan | None
    on_success: ConditionPlan | None
    on_failure: ConditionPlan | None


def _condition_plan(kind: str, declaration: Any) -> ConditionPlan | None:
    if declaration is None:
        return None
    rules: list[RulePlan] = []
    result = getattr(declaration, "result", None)
    for condition in declaration.conditions or []:
        result = condition.result or result
        for rule in condition.rules or []:
            provider = rule.rule_type_id.provider if rule.rule_type_id else ""
            rules.append(RulePlan(rule.name or "", provider or "", dict(rule.configuration or {}), rule.region))
    wait = 0.0
    for rule in rules:
        try:
            wait = max(wait, float(rule.configuration.get("WaitTime", 0)))
        except ValueError:
            pass
    retry_mode = None
    if kind == "onFailure" and declaration.retry_configuration is not None:
        retry_mode = declaration.retry_configuration.retry_mode
    if kind == "onFailure" and result == "RETRY" and retry_mode is None:
        retry_mode = "FAILED_ACTIONS"
    return ConditionPlan(kind, result, rules, wait, retry_mode)


def compile_plan(pipeline: Pipeline) -> list[StagePlan]:
    """Arrange a (valid) definition into stages of runOrder groups, ready to execute."""
    stages: list[StagePlan] = []
    index = 0
    for si, stage in enumerate(pipeline.stages or []):
        actions = []
        for action in stage.actions or []:
            type_id = action.action_type_id
            category, owner, provider = type_id.category, type_id.owner, type_id.provider
            actions.append(
                ActionPlan(
                    index=index,
                    stage_index=si,
                    name=action.name,
                    declaration=action,
                    category=category,
                    provider=provider,
                    is_approval=category == "Approval",
                    is_source=category == "Source",
                    timeout=float(action_timeout_minutes(category, owner, provider, action.timeout_in_minutes)),
                )
            )
            index += 1
        groups: dict[int, list[ActionPlan]] = {}
        for plan in actions:
            groups.setdefault(plan.declaration.effective_run_order, []).append(plan)
        stages.append(
            StagePlan(
                index=si,
                name=stage.name,
                actions=actions,
                groups=[groups[k] for k in sorted(groups)],
                before_entry=_condition_plan("beforeEntry", stage.before_entry),
                on_success=_condition_plan("onSuccess", stage.on_success),
                on_failure=_condition_plan("onFailure", stage.on_failure),
            )
        )
    return stages


# --------------------------------------------------------------------------------------------
# Runtime records


class Execution:
    """One pipeline execution: its revision, status and the stages it went through."""

    __slots__ = (
        "sim", "number", "_id", "revision", "trigger", "trigger_detail", "type", "status", "summary",
        "start", "end", "version", "plan", "stage_index", "current", "runs", "waits", "stop_reason",
        "stop_requested_at", "abandon", "cancel_requested", "only_stage", "rollback_of", "variables",
        "stages", "superseded_by", "superseded_at",
    )

    def __init__(self, sim: "Simulator", number: int, revision: Any, trigger: str, trigger_detail: str,
                 start: float, plan: list[StagePlan], kind: str = STANDARD):
        self.sim = sim
        self.number = number
        self._id: str | None = None
        self.revision = revision
        self.trigger = trigger
        self.trigger_detail = trigger_detail
        self.type = kind
        self.status = IN_PROGRESS
        self.summary: str | None = None
        self.start = start
        self.end: float | None = None
        self.version = sim.version
        self.plan = plan
        self.stage_index = -1
        self.current: StageRun | None = None
        self.runs: list[StageRun] = []
        self.waits: list[list] = []  # [stage_index, since, until or None]
        self.stop_reason: str | None = None
        self.stop_requested_at: float | None = None
        self.abandon = False
        self.cancel_requested = False
        self.only_stage: int | None = None
        self.rollback_of: Execution | None = None
        self.variables: dict | None = None
        self.stages: list[StageRuntime] = sim._stages  # the runtimes of the definition it runs
        self.superseded_by: Execution | None = None
        self.superseded_at: str | None = None

    @property
    def id(self) -> str:
        if self._id is None:
            self._id = self.sim._uuid("execution", self.number)
        return self._id

    @property
    def done(self) -> bool:
        return self.status not in (IN_PROGRESS, STOPPING)

    def status_at(self, t: float) -> str:
        if t < self.start:
            return ""
        if self.end is not None and t >= self.end:
            return self.status
        if self.stop_requested_at is not None and t >= self.stop_requested_at:
            return STOPPING
        return IN_PROGRESS

    def __repr__(self) -> str:
        return f"<Execution {self.id[:8]} #{self.number} revision={self.revision!r} {self.status}>"


class StageRun:
    """One execution's passage through one stage (a retry continues the same run)."""

    __slots__ = (
        "execution", "stage", "status", "start", "end", "group", "token", "actions", "group_runs",
        "pending", "failed", "condition", "auto_retries", "manual_retries", "latest_retry_trigger",
    )

    def __init__(self, execution: Execution, stage: StagePlan, start: float):
        self.execution = execution
        self.stage = stage
        self.status = IN_PROGRESS
        self.start = start
        self.end: float | None = None
        self.group = 0
        self.token = 0
        self.actions: list[ActionRun] = []  # every action run, retries included, in start order
        self.group_runs: dict[int, ActionRun] = {}  # action index -> its latest run
        self.pending = 0
        self.failed = False  # some action of the current group failed
        self.condition: ConditionRun | None = None
        self.auto_retries = 0
        self.manual_retries = 0
        self.latest_retry_trigger: str | None = None

    def status_at(self, t: float) -> str:
        if self.end is not None and t >= self.end:
            return self.status
        return IN_PROGRESS


class ActionRun:
    """One run of one action; for an approval, `token` is what put_approval_result needs."""

    __slots__ = ("plan", "run", "number", "start", "end", "status", "summary", "token", "error_code",
                 "updated_by", "outcome")

    def __init__(self, plan: ActionPlan, run: StageRun, number: int, start: float):
        self.plan = plan
        self.run = run
        self.number = number
        self.start = start
        self.end: float | None = None
        self.status = IN_PROGRESS  # the final status once `end` is known
        self.summary: str | None = None
        self.token: str | None = None
        self.error_code: str | None = None
        self.updated_by: str | None = None
        self.outcome: Any = None  # what the world said about this run (e.g. the defect it caught)

    def status_at(self, t: float) -> str:
        if self.end is not None and t >= self.end:
            return self.status
        return IN_PROGRESS


class ConditionRun:
    """An onSuccess or beforeEntry condition being evaluated (e.g. the bake time of a wave)."""

    __slots__ = ("plan", "start", "end", "status", "summary")

    def __init__(self, plan: ConditionPlan, start: float):
        self.plan = plan
        self.start = start
        self.end: float | None = None
        self.status = IN_PROGRESS
        self.summary: str | None = None


class StageRuntime:
    """The live state of one stage: who holds it, who waits in front of it, its transition."""

    __slots__ = ("plan", "holder", "inbound", "queue", "enabled", "transitions", "runs", "action_runs",
                 "last_success_revision", "last_success_execution")

    def __init__(self, plan: StagePlan):
        self.plan = plan
        self.holder: Execution | None = None
        self.inbound: Execution | None = None  # SUPERSEDED: the one execution waiting in front
        self.queue: deque[Execution] = deque()  # QUEUED and PARALLEL: waiting in arrival order
        self.enabled = True
        self.transitions: list[tuple[float, bool, str | None, str]] = []  # (time, enabled, reason, by)
        self.runs: list[StageRun] = []  # recorded runs in start order
        self.action_runs: dict[str, list[ActionRun]] = {}
        self.last_success_revision: Any = None
        self.last_success_execution: Execution | None = None


@dataclass(frozen=True)
class Event:
    """One line of the event log: what happened, when, to which execution, stage and action."""

    time: float
    kind: str
    execution: str | None = None
    stage: str | None = None
    action: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = ".".join(x for x in (self.stage, self.action) if x)
        who = f" {self.execution[:8]}" if self.execution else ""
        text = f"{format_minutes(self.time):>12}{who} {self.kind}"
        if where:
            text += f" {where}"
        return f"{text}: {self.detail}" if self.detail else text


class EventLog(list):
    """The event log; displays as one line per event."""

    def __repr__(self) -> str:
        return "\n".join(str(e) for e in self) if self else "(no events)"


def format_minutes(minutes: float) -> str:
    """Simulated time as day and clock, e.g. 'Mon 09:05'; days after the first week get a number."""
    t = timestamp(minutes)
    week = int(minutes // (7 * 24 * 60))
    day = t.strftime("%a")
    prefix = f"w{week + 1} " if week else ""
    return f"{prefix}{day} {t:%H:%M}"


# --------------------------------------------------------------------------------------------
# The simulator


class Simulator:
    """Runs executions of one pipeline on a simulated clock (minutes), by CodePipeline's rules.

    `world` decides what actions do (durations, failures, approvals, deploy effects); the default
    is a quiet world: typical durations, nothing fails, approvals wait for you.
    `record=False` keeps only what metrics need, so memory stays flat over long runs.
    """

    def __init__(self, pipeline: Pipeline, world: Any = None, seed: int = 0, *, record: bool = True,
                 restart_on_update: bool = False, region: str = "us-east-1",
                 account: str = "123456789012", epoch: datetime = EPOCH):
        pipeline.validate(region=region)
        from .world import World

        self.pipeline = pipeline
        self.seed = seed
        self.record = record
        self.region = region
        self.account = account
        self.restart_on_update = restart_on_update
        self.epoch = epoch  # the wall-clock time of simulated minute 0
        self.mode = pipeline.effective_execution_mode
        self.version = pipeline.version or 1
        self.now = 0.0
        self.created = 0.0
        self.updated = 0.0
        self.world = world if world is not None else World(seed=seed)
        self.events = EventLog()
        self._queue: list = []
        self._seq = 0
        self._active_events = 0
        self._executions: list[Execution] = []  # recorded executions, in start order
        self._by_id: dict[str, Execution] = {}
        self._active: dict[int, Execution] = {}  # executions not yet done, by number
        self._recent: deque[Execution] = deque(maxlen=100)
        self._numbers = 0
        self._action_numbers = 0
        self._plan = compile_plan(pipeline)
        self._stages = [StageRuntime(p) for p in self._plan]
        self._approvals: dict[str, ActionRun] = {}  # token -> pending approval run
        self.world.bind(self)

    # ---------------------------------------------------------------- clock and scheduling

    def schedule(self, at: float, fn: Callable[[Any], None], arg: Any = None, passive: bool = False) -> None:
        """Call fn(arg) when the clock reaches `at` (used by the engine and by the world).

        A passive event (a timeout) happens only if time is let pass; run() does not wait for it.
        """
        self._seq += 1
        if not passive:
            self._active_events += 1
        heapq.heappush(self._queue, (at if at > self.now else self.now, self._seq, fn, arg, passive))

    def _pop(self) -> None:
        at, _, fn, arg, passive = heapq.heappop(self._queue)
        if not passive:
            self._active_events -= 1
        self.now = at
        fn(arg)

    def run_until(self, t: float) -> "Simulator":
        """Process everything that happens up to minute t (timeouts included), then stop the clock at t."""
        queue = self._queue
        while queue and queue[0][0] <= t:
            self._pop()
        if t > self.now:
            self.now = t
        return self

    def run(self, until: float | None = None) -> "Simulator":
        """Process events until nothing more happens without a person (or until minute `until`).

        Stops when what is left only waits: an approval for its answer (its timeout is not
        awaited), or a disabled transition. Events that turn out to change nothing (an alarm for a
        defect already gone) are still processed, so the clock may end after the last change.
        Safe to call again after you act.
        """
        if until is not None:
            return self.run_until(until)
        queue = self._queue
        pop = heapq.heappop
        while queue and self._active_events > 0:
            at, _, fn, arg, passive = pop(queue)
            if not passive:
                self._active_events -= 1
            self.now = at
            fn(arg)
        return self

    def advance(self, minutes: float) -> "Simulator":
        """Let `minutes` of simulated time pass."""
        return self.run_until(self.now + minutes)

    # ---------------------------------------------------------------- ids and logging

    def _time(self, minutes: float) -> datetime:
        """The wall-clock time of a simulated minute, from this simulator's epoch."""
        return self.epoch + timedelta(milliseconds=round(minutes * 60_000))

    def _uuid(self, kind: str, number: int) -> str:
        digest = hashlib.blake2b(f"{self.seed}:{kind}:{number}".encode(), digest_size=16).digest()
        return str(uuid.UUID(bytes=digest, version=4))

    def _log(self, kind: str, execution: Execution | None = None, stage: str | None = None,
             action: str | None = None, detail: str = "") -> None:
        if self.record:
            self.events.append(Event(self.now, kind, execution.id if execution else None, stage, action, detail))

    # ---------------------------------------------------------------- starting

    def start(self, revision: Any = None, at: float | None = None, trigger: str = "StartPipelineExecution",
              trigger_detail: str = "", variables: dict | None = None) -> str:
        """Start an execution (now, or at minute `at`) and return its id.

        `revision` is what the source fetches: a commit number of the world's stream, or any
        label; by default the world's latest commit.
        """
        return self._start(revision, at, trigger, trigger_detail, variables).id

    def _start(self, revision: Any = None, at: float | None = None, trigger: str = "StartPipelineExecution",
               trigger_detail: str = "", variables: dict | None = None) -> Execution:
        number = self._numbers = self._numbers + 1
        when = self.now if at is None else at
        if when < self.now:
            raise ValidationException(f"cannot start an execution in the past (at={at}, now={self.now})")
        if revision is None:
            revision = self.world.latest_revision(when)
        execution = Execution(self, number, revision, trigger, trigger_detail, when, self._plan)
        execution.variables = dict(variables) if variables else None
        if self.record:
            self._executions.append(execution)
            self._by_id[execution.id] = execution
        self._active[number] = execution
        if when > self.now:
            self.schedule(when, self._begin, execution)
        else:
            self._begin(execution)
        return execution

    def _begin(self, execution: Execution) -> None:
        execution.start = self.now
        if self.record:
            self._log("execution started", execution, detail=f"revision "
                      f"{self.world.revision_label(execution.revision)[:8]}, trigger {execution.trigger}")
        self._arrive(execution, 0)

    # ---------------------------------------------------------------- moving between stages

    def _arrive(self, ex: Execution, k: int) -> None:
        """Execution `ex` wants to enter stage k: enter, wait, or supersede/be superseded."""
        if ex.done:
            return
        st = ex.stages[k]
        ex.stage_index = k
        ex.current = None
        mode = self.mode
        if mode == "PARALLEL":
            if st.enabled:
                self._enter(ex, k)
            else:
                self._wait(ex, st, k)
            return
        if st.enabled and st.holder is None and not st.queue and st.inbound is None:
            self._enter(ex, k)
            return
        if mode == "QUEUED":
            self._wait(ex, st, k)
            return
        old = st.inbound
        if old is not None:
            if old.number < ex.number:
                self._end_wait(old)
                st.inbound = None
                self._supersede(old, ex, st.plan.name)
            else:
                self._supersede(ex, old, st.plan.name)
                return
        if st.enabled and st.holder is None:
            self._enter(ex, k)
            return
        st.inbound = ex
        ex.waits.append([k, self.now, None])
        if self.record:
            self._log("waiting", ex, st.plan.name, detail="transition disabled" if not st.enabled else "stage busy")

    def _supersede(self, older: Execution, newer: Execution, stage_name: str) -> None:
        older.superseded_by = newer
        older.superseded_at = stage_name
        self._finish_execution(older, SUPERSEDED, None)

    def _wait(self, ex: Execution, st: StageRuntime, k: int) -> None:
        st.queue.append(ex)
        ex.waits.append([k, self.now, None])
        if self.record:
            self._log("waiting", ex, st.plan.name, detail="transition disabled" if not st.enabled else "queued")

    def _end_wait(self, ex: Execution) -> None:
        if ex.waits and ex.waits[-1][2] is None:
            ex.waits[-1][2] = self.now

    def _admit(self, st: StageRuntime) -> None:
        """Let the waiting execution(s) into stage `st` if it is free and its transition enabled."""
        if not st.enabled:
            return
        k = st.plan.index
        if self.mode == "PARALLEL":
            while st.queue:
                ex = st.queue.popleft()
                self._end_wait(ex)
                self._enter(ex, k)
            return
        if st.holder is not None:
            return
        if st.inbound is not None:
            ex, st.inbound = st.inbound, None
            self._end_wait(ex)
            self._enter(ex, k)
        elif st.queue:
            ex = st.queue.popleft()
            self._end_wait(ex)
            self._enter(ex, k)

    def _enter(self, ex: Execution, k: int) -> None:
        st = ex.stages[k]
        if self.mode != "PARALLEL":
            st.holder = ex
        plan = st.plan
        run = StageRun(ex, plan, self.now)
        ex.current = run
        ex.stage_index = k
        if self.record:
            ex.runs.append(run)
            st.runs.append(run)
        else:
            st.runs[:] = [run]
        if self.record:
            self._log("stage started", ex, plan.name)
        condition = plan.before_entry
        if condition is not None:
            reason = self.world.entry_rule_fails(condition.rules, run, self.now)
            run.condition = ConditionRun(condition, self.now)
            run.condition.end = self.now
            if reason is not None:
                run.condition.status = FAILED
                run.condition.summary = reason
                if condition.result == "SKIP":
                    self._log("stage skipped", ex, plan.name, detail=reason)
                    self._close_stage(run, SKIPPED)
                    self._leave(run, next_stage=True)
                else:
                    self._log("entry condition failed", ex, plan.name, detail=reason)
                    self._close_stage(run, FAILED)
                    self._finish_execution(ex, FAILED, f"Entry condition of stage {plan.name} failed: {reason}")
                    self._leave(run, next_stage=False)
                return
            run.condition.status = SUCCEEDED
        self._start_group(run, 0)

    # ---------------------------------------------------------------- running actions

    def _start_group(self, run: StageRun, gi: int, only_failed: bool = False) -> None:
        """Start every action of runOrder group `gi` at once; the group ends when the last one does.

        Non-approval actions learn their duration and outcome from the world now; their end is
        recorded and the group's end is one event. Approvals wait for a decision (or timeout).
        """
        run.group = gi
        run.token += 1
        run.pending = 0
        run.failed = False
        now = self.now
        end = now
        world = self.world
        record = self.record
        group_runs = run.group_runs
        for ap in run.stage.groups[gi]:
            if only_failed:
                previous = group_runs.get(ap.index)
                if previous is not None and previous.status == SUCCEEDED:
                    continue
            self._action_numbers += 1
            ar = ActionRun(ap, run, self._action_numbers, now)
            group_runs[ap.index] = ar
            if record:
                run.actions.append(ar)
                run.execution.stages[ap.stage_index].action_runs.setdefault(ap.name, []).append(ar)
            if ap.is_approval:
                self._start_approval(run, ap, ar)
                continue
            duration, ok, summary, outcome = world.action_outcome(ap, run.execution, now)
            if duration >= ap.timeout:
                duration, ok = ap.timeout, False
                summary = f"Timed out after {ap.timeout:g} minutes"
                ar.error_code = "TimeoutError"
            ar_end = ar.end = now + duration
            if ok:
                ar.status = SUCCEEDED
            else:
                ar.status = FAILED
                run.failed = True
            ar.summary = summary
            ar.outcome = outcome
            if ar_end > end:
                end = ar_end
            if ap.has_effect:
                self.schedule(ar_end, self._action_effect, (ar, ar_end))
        if run.pending == 0:
            self.schedule(end, self._group_done, (run, run.token))

    def _start_approval(self, run: StageRun, ap: ActionPlan, ar: ActionRun) -> None:
        now = self.now
        run.pending += 1
        ar.token = self._uuid("token", ar.number)
        self._approvals[ar.token] = ar
        decision = self.world.approval(ap, run.execution, now)
        # A timeout waits passively for a person (run() stops before it). When the world answers
        # in time, its answer is the event that matters; when it would answer too late, nothing
        # waits for a person and the timeout is an ordinary event.
        answered_in_time = decision is not None and decision[0] < ap.timeout
        self.schedule(now + ap.timeout, self._approval_timeout, ar,
                      passive=decision is None or answered_in_time)
        if answered_in_time:
            delay, approve, summary, who = decision
            self.schedule(now + delay, self._automatic_decision, (ar, approve, summary, who))
        if self.record:
            self._log("approval waiting", run.execution, run.stage.name, ap.name)

    def _action_effect(self, arg: tuple) -> None:
        ar, end = arg
        if ar.end != end or ar.status == ABANDONED:  # abandoned, or replaced by a retry
            return
        self.world.action_done(ar, self.now)

    def _group_finished_at(self, run: StageRun) -> float:
        ends = [ar.end for ar in run.group_runs.values() if ar.plan in run.stage.groups[run.group]]
        return max([self.now] + [e for e in ends if e is not None])

    def _group_done(self, arg: tuple) -> None:
        run, token = arg
        if token != run.token or run.end is not None:
            return
        ex = run.execution
        if self.record:
            for ap in run.stage.groups[run.group]:
                ar = run.group_runs[ap.index]
                self._log(f"action {ar.status.lower()}", ex, run.stage.name, ap.name, ar.summary or "")
        if ex.status == STOPPING:
            self._close_stage(run, STOPPED)
            self._finish_execution(ex, STOPPED, ex.stop_reason)
            self._leave(run, next_stage=False)
        elif ex.cancel_requested:
            self._close_stage(run, CANCELLED)
            self._finish_execution(ex, CANCELLED, "Pipeline definition was updated while this execution ran")
            self._leave(run, next_stage=False)
        elif run.failed:
            self._stage_failed(run)
        elif run.group + 1 < len(run.stage.groups):
            self._start_group(run, run.group + 1)
        elif run.stage.on_success is None or ex.type == ROLLBACK:
            self._stage_succeeded(run)
        else:
            self._watch_on_success(run)

    def _stage_failed(self, run: StageRun) -> None:
        ex = run.execution
        plan = run.stage
        failed = [run.group_runs[ap.index] for ap in plan.groups[run.group]
                  if run.group_runs[ap.index].status == FAILED]
        reason = "; ".join(f"{ar.plan.name}: {ar.summary or 'failed'}" for ar in failed)
        on_failure = plan.on_failure
        if on_failure is not None and on_failure.result == "RETRY" and run.auto_retries < MAX_AUTOMATIC_RETRIES:
            run.auto_retries += 1
            run.latest_retry_trigger = "AutomatedStageRetry"
            self._log("automatic retry", ex, plan.name, detail=f"{on_failure.retry_mode}: {reason}")
            self._restart_stage(run, on_failure.retry_mode or "FAILED_ACTIONS")
            return
        self._close_stage(run, FAILED)
        self._log("stage failed", ex, plan.name, detail=reason)
        self._finish_execution(ex, FAILED, f"Stage {plan.name} failed: {reason}")
        rollback = on_failure is not None and on_failure.result == "ROLLBACK" and ex.type != ROLLBACK
        self._leave(run, next_stage=False, rollback=rollback)

    def _watch_on_success(self, run: StageRun) -> None:
        """All actions succeeded: watch the onSuccess rules for their wait time (the bake)."""
        condition = run.stage.on_success
        run.condition = ConditionRun(condition, self.now)
        fires = self.world.first_alarm(condition.rules, run, self.now, self.now + condition.wait_minutes)
        if self.record:
            self._log("condition watching", run.execution, run.stage.name,
                      detail=f"onSuccess rules for {condition.wait_minutes:g} minutes")
        if fires is not None:
            self.schedule(fires[0], self._condition_failed, (run, run.token, fires[1]))
        else:
            self.schedule(self.now + condition.wait_minutes, self._condition_passed, (run, run.token))

    def _condition_passed(self, arg: tuple) -> None:
        run, token = arg
        if token != run.token or run.end is not None:
            return
        run.condition.status = SUCCEEDED
        run.condition.end = self.now
        run.condition.summary = "All rules succeeded"
        ex = run.execution
        if ex.status == STOPPING:
            self._close_stage(run, STOPPED)
            self._finish_execution(ex, STOPPED, ex.stop_reason)
            self._leave(run, next_stage=False)
        elif ex.cancel_requested:
            self._close_stage(run, CANCELLED)
            self._finish_execution(ex, CANCELLED, "Pipeline definition was updated while this execution ran")
            self._leave(run, next_stage=False)
        else:
            self._stage_succeeded(run)

    def _condition_failed(self, arg: tuple) -> None:
        run, token, reason = arg
        if token != run.token or run.end is not None:
            return
        condition = run.condition
        condition.status = FAILED
        condition.end = self.now
        condition.summary = reason
        ex = run.execution
        self._log("condition failed", ex, run.stage.name, detail=reason)
        self._close_stage(run, FAILED)
        self._finish_execution(ex, FAILED, f"onSuccess condition of stage {run.stage.name} failed: {reason}")
        self._leave(run, next_stage=False, rollback=condition.plan.result == "ROLLBACK")

    def _stage_succeeded(self, run: StageRun) -> None:
        ex = run.execution
        index = run.stage.index
        st = ex.stages[index]
        run.status = SUCCEEDED
        run.end = self.now
        run.token += 1
        if ex.type == STANDARD:  # a rollback may not target a rollback (AWS's rollback considerations)
            st.last_success_revision = ex.revision
            st.last_success_execution = ex
        if self.record:
            self._log("stage succeeded", ex, run.stage.name)
        if st.holder is ex:
            st.holder = None
        if ex.only_stage is not None or index + 1 >= len(ex.plan):
            self._finish_execution(ex, SUCCEEDED, None)
        else:
            self._arrive(ex, index + 1)
        if st.inbound is not None or st.queue:
            self._admit(st)

    def _close_stage(self, run: StageRun, status: str) -> None:
        run.status = status
        run.end = self.now
        run.token += 1

    def _leave(self, run: StageRun, next_stage: bool, rollback: bool = False) -> None:
        """The execution leaves its stage: free the stage, move on (or not), admit the next one."""
        ex = run.execution
        stages = ex.stages
        st = stages[run.stage.index]
        if st.holder is ex:
            st.holder = None
        if rollback:
            self._start_rollback(st, ex)
        if next_stage and not ex.done:
            self._arrive(ex, run.stage.index + 1)
        self._admit(st)

    def _finish_execution(self, ex: Execution, status: str, summary: str | None) -> None:
        if ex.done:
            return
        ex.status = status
        ex.summary = summary
        ex.end = self.now
        self._active.pop(ex.number, None)
        if not self.record:
            self._recent.append(ex)
        else:
            self._log(f"execution {status.lower()}", ex, detail=self._summary(ex) or "")
        self.world.execution_finished(ex, self.now)

    # ---------------------------------------------------------------- approvals

    def _approval_timeout(self, ar: ActionRun) -> None:
        if ar.end is not None:
            return
        self._decide(ar, False, "Approval timed out", "timeout", timed_out=True)

    def _automatic_decision(self, arg: tuple) -> None:
        ar, approve, summary, who = arg
        if ar.end is None:
            self._decide(ar, approve, summary, who)

    def _decide(self, ar: ActionRun, approve: bool, summary: str, who: str, timed_out: bool = False) -> None:
        ar.end = self.now
        ar.status = SUCCEEDED if approve else FAILED
        ar.summary = summary
        ar.updated_by = who
        if not approve and ar is ar.run.group_runs.get(ar.plan.index):
            ar.run.failed = True
        if timed_out:
            ar.error_code = "TimeoutError"
        self._approvals.pop(ar.token, None)
        run = ar.run
        if run.end is not None or ar is not run.group_runs.get(ar.plan.index):
            return
        run.pending -= 1
        if run.pending == 0:
            self.schedule(self._group_finished_at(run), self._group_done, (run, run.token))

    def pending_approvals(self) -> list[dict]:
        """Approvals waiting for a person: stage, action, token and execution id of each."""
        return [
            {"stageName": ar.run.stage.name, "actionName": ar.plan.name,
             "token": token, "pipelineExecutionId": ar.run.execution.id, "waitingSince": self._time(ar.start)}
            for token, ar in sorted(self._approvals.items(), key=lambda kv: kv[1].number)
        ]

    def put_approval_result(self, stage_name: str, action_name: str, result: dict, token: str) -> dict:
        """Approve or reject a waiting manual approval, like the API call of the same name."""
        plan = self._stage_plan(stage_name)
        action = next((a for a in plan.actions if a.name == action_name), None)
        if action is None:
            raise ActionNotFoundException(f"Action {action_name} not found in stage {stage_name}")
        if not action.is_approval:
            raise ValidationException(f"Action {action_name} in stage {stage_name} is not a manual approval")
        status = (result or {}).get("status")
        if status not in ("Approved", "Rejected"):
            raise ValidationException("result.status must be 'Approved' or 'Rejected'")
        ar = self._approvals.get(token)
        if ar is None:
            for runs in (s.action_runs.get(action_name, []) for s in self._stages if s.plan.name == stage_name):
                if any(r.token == token for r in runs):
                    raise ApprovalAlreadyCompletedException(
                        f"The approval for action {action_name} in stage {stage_name} was already completed")
            raise InvalidApprovalTokenException(
                f"The token {token!r} is not the token of a waiting approval of {stage_name}.{action_name}; "
                f"read it from get_pipeline_state (actionStates[].latestExecution.token)")
        if ar.plan.name != action_name or ar.run.stage.name != stage_name:
            raise InvalidApprovalTokenException(
                f"The token belongs to {ar.run.stage.name}.{ar.plan.name}, not {stage_name}.{action_name}")
        summary = (result or {}).get("summary", "")
        self._decide(ar, status == "Approved", summary or status, f"arn:aws:iam::{self.account}:user/learner")
        self._log("approval " + status.lower(), ar.run.execution, stage_name, action_name, summary)
        return {"approvedAt": self._time(self.now)}

    def approve(self, stage_name: str | None = None, action_name: str | None = None, summary: str = "Approved",
                token: str | None = None) -> dict:
        """Approve the (only, or named) waiting approval; a shortcut for put_approval_result."""
        return self._answer(stage_name, action_name, "Approved", summary, token)

    def reject(self, stage_name: str | None = None, action_name: str | None = None, summary: str = "Rejected",
               token: str | None = None) -> dict:
        """Reject the (only, or named) waiting approval."""
        return self._answer(stage_name, action_name, "Rejected", summary, token)

    def _answer(self, stage_name, action_name, status, summary, token) -> dict:
        waiting = [p for p in self.pending_approvals()
                   if (stage_name is None or p["stageName"] == stage_name)
                   and (action_name is None or p["actionName"] == action_name)
                   and (token is None or p["token"] == token)]
        if not waiting:
            raise ValidationException("No manual approval is waiting" + (
                f" in stage {stage_name}" if stage_name else "") + "; run the simulator until one is")
        if len(waiting) > 1 and token is None:
            names = ", ".join(f"{p['stageName']}.{p['actionName']}" for p in waiting)
            raise ValidationException(f"Several approvals are waiting ({names}); name the stage and action")
        p = waiting[-1] if token is None else waiting[0]
        return self.put_approval_result(p["stageName"], p["actionName"], {"status": status, "summary": summary},
                                        p["token"])

    # ---------------------------------------------------------------- transitions

    def disable_transition(self, stage_name: str, reason: str, transition_type: str = "Inbound") -> None:
        """Stop executions from entering a stage (Inbound) or leaving it (Outbound) until enabled."""
        st = self._transition_stage(stage_name, transition_type)
        if not reason:
            raise ValidationException("A reason is required to disable a transition")
        st.enabled = False
        st.transitions.append((self.now, False, reason, "user"))
        self._log("transition disabled", stage=st.plan.name, detail=reason)

    def enable_transition(self, stage_name: str, transition_type: str = "Inbound") -> None:
        """Let executions through again; the newest one waiting enters first (SUPERSEDED)."""
        st = self._transition_stage(stage_name, transition_type)
        st.enabled = True
        st.transitions.append((self.now, True, None, "user"))
        self._log("transition enabled", stage=st.plan.name)
        self._admit(st)

    def _transition_stage(self, stage_name: str, transition_type: str) -> StageRuntime:
        plan = self._stage_plan(stage_name)
        if transition_type not in ("Inbound", "Outbound"):
            raise ValidationException("transitionType must be 'Inbound' or 'Outbound'")
        index = plan.index if transition_type == "Inbound" else plan.index + 1
        if index == 0:
            raise InvalidStageDeclarationException(
                f"Stage {stage_name} is the first stage; it has no inbound transition to disable")
        if index >= len(self._stages):
            raise InvalidStageDeclarationException(
                f"Stage {stage_name} is the last stage; it has no outbound transition to disable")
        return self._stages[index]

    def _stage_plan(self, stage_name: str) -> StagePlan:
        for plan in self._plan:
            if plan.name == stage_name:
                return plan
        names = ", ".join(p.name for p in self._plan)
        raise StageNotFoundException(f"Stage {stage_name} not found; the stages are: {names}")

    # ---------------------------------------------------------------- retry, stop, update

    def retry_stage(self, stage_name: str, execution_id: str, retry_mode: str = "FAILED_ACTIONS") -> str:
        """Retry a failed (or stopped) stage of the latest execution in it, like RetryStageExecution."""
        if retry_mode not in ("FAILED_ACTIONS", "ALL_ACTIONS"):
            raise ValidationException("retryMode must be FAILED_ACTIONS or ALL_ACTIONS")
        plan = self._stage_plan(stage_name)
        ex = self._execution(execution_id)
        st = self._stages[plan.index]
        latest = self._latest_run(st)
        if latest is None or latest.execution is not ex:
            raise NotLatestPipelineExecutionException(
                f"Execution {execution_id} is not the latest execution in stage {stage_name}; "
                f"only the latest one can be retried")
        if latest.status not in (FAILED, STOPPED):
            raise StageNotRetryableException(
                f"Stage {stage_name} of execution {execution_id[:8]} has status {latest.status}; only a failed "
                f"or stopped stage can be retried")
        if st.holder is not None or ex.plan is not self._plan:
            raise StageNotRetryableException(
                f"Stage {stage_name} cannot be retried now (another execution holds it, or the pipeline "
                f"was updated since)")
        latest.manual_retries += 1
        latest.latest_retry_trigger = "ManualStageRetry"
        ex.status = IN_PROGRESS
        ex.end = None
        ex.summary = None
        ex.stop_requested_at = None
        self._active[ex.number] = ex
        if self.mode != "PARALLEL":
            st.holder = ex
        ex.current = latest
        ex.stage_index = plan.index
        latest.status = IN_PROGRESS
        latest.end = None
        self.world.execution_resumed(ex, self.now)
        self._log("manual retry", ex, stage_name, detail=retry_mode)
        self._restart_stage(latest, retry_mode)
        return ex.id

    def _restart_stage(self, run: StageRun, retry_mode: str) -> None:
        if retry_mode == "ALL_ACTIONS":
            run.group_runs = {}
            self._start_group(run, 0)
        else:
            self._start_group(run, run.group, only_failed=True)

    def stop(self, execution_id: str, abandon: bool = False, reason: str | None = None) -> str:
        """Stop an execution: let running actions finish (or abandon them), start nothing more."""
        ex = self._execution(execution_id)
        if ex.status == STOPPING and not abandon:
            raise DuplicatedStopRequestException(f"Execution {execution_id} is already stopping")
        if ex.status not in (IN_PROGRESS, STOPPING):
            raise PipelineExecutionNotStoppableException(
                f"Execution {execution_id} has status {ex.status}; only an execution in progress can be stopped")
        ex.stop_reason = reason or ("Stopped and abandoned by user" if abandon else "Stopped by user")
        ex.stop_requested_at = self.now
        run = ex.current
        if run is None or run.end is not None:
            self._remove_waiting(ex)
            self._finish_execution(ex, STOPPED, ex.stop_reason)
            return ex.id
        if abandon:
            for ar in run.group_runs.values():
                if ar.end is None or ar.end > self.now:
                    ar.end = self.now
                    ar.status = ABANDONED
                    ar.summary = "Abandoned by stop request"
                    self._approvals.pop(ar.token, None)
            if run.condition is not None and run.condition.end is None:
                run.condition.end = self.now
                run.condition.status = "Abandoned"
            self._close_stage(run, STOPPED)
            self._finish_execution(ex, STOPPED, ex.stop_reason)
            self._leave(run, next_stage=False)
        else:
            ex.status = STOPPING
            self._log("execution stopping", ex, detail=ex.stop_reason)
        return ex.id

    def _remove_waiting(self, ex: Execution) -> None:
        for st in ex.stages:
            if st.inbound is ex:
                st.inbound = None
            if ex in st.queue:
                st.queue.remove(ex)
        self._end_wait(ex)

    def update_pipeline(self, pipeline: Pipeline) -> int:
        """Replace the definition, as UpdatePipeline does: executions in flight are cancelled.

        Running actions finish first; executions waiting between stages end at once. New
        executions use the new definition. Returns the new version.
        """
        pipeline.validate(region=self.region)
        old_stages = self._stages
        self.pipeline = pipeline
        self.mode = pipeline.effective_execution_mode
        self.version += 1
        self.updated = self.now
        self._plan = compile_plan(pipeline)
        by_name = {st.plan.name: st for st in old_stages}
        self._stages = []
        for plan in self._plan:
            st = StageRuntime(plan)
            previous = by_name.get(plan.name)
            if previous is not None:
                # Transitions keep their state; rollback targets do not: a stage rolls back only to
                # an execution of the current pipeline version.
                st.enabled = previous.enabled
                st.transitions = list(previous.transitions)
                if self.record:
                    st.runs = list(previous.runs)
                    st.action_runs = {k: list(v) for k, v in previous.action_runs.items()}
            self._stages.append(st)
        self.world.pipeline_updated(self)
        self._log("pipeline updated", detail=f"version {self.version}")
        for ex in sorted(self._active.values(), key=lambda e: e.number):
            if ex.plan is self._plan:
                continue
            if ex.start > self.now:  # scheduled with start(at=...), not begun: it runs the new definition
                ex.plan, ex.stages, ex.version = self._plan, self._stages, self.version
                continue
            run = ex.current
            if run is None or run.end is not None:
                self._remove_waiting(ex)
                self._finish_execution(ex, CANCELLED, "Pipeline definition was updated while this execution waited")
            else:
                ex.cancel_requested = True
                for ar in run.group_runs.values():
                    if ar.plan.is_approval and ar.end is None:
                        ar.end = self.now
                        ar.status = ABANDONED
                        ar.summary = "Abandoned: the pipeline was updated"
                        self._approvals.pop(ar.token, None)
                        run.pending -= 1
                if run.pending == 0 and run.condition is None:
                    self.schedule(self._group_finished_at(run), self._group_done, (run, run.token))
        return self.version

    def _start_rollback(self, st: StageRuntime, failed: Execution) -> None:
        """ROLLBACK result: run this stage again with the last revision that succeeded in it."""
        if st.last_success_execution is None:
            self._log("rollback skipped", failed, st.plan.name, detail="no earlier successful execution")
            return
        number = self._numbers = self._numbers + 1
        target = st.last_success_execution
        ex = Execution(self, number, st.last_success_revision, "AutomatedRollback", failed.id, self.now,
                       self._plan, kind=ROLLBACK)
        ex.only_stage = st.plan.index
        ex.rollback_of = target
        if self.record:
            self._executions.append(ex)
            self._by_id[ex.id] = ex
        self._active[number] = ex
        self._log("rollback started", ex, st.plan.name,
                  detail=f"to revision {self.world.revision_label(ex.revision)[:8]} of execution {target.id[:8]}")
        if self.mode != "PARALLEL" and st.holder is not None:
            st.queue.appendleft(ex)
            ex.waits.append([st.plan.index, self.now, None])
            return
        self._enter(ex, st.plan.index)

    # ---------------------------------------------------------------- reads, in API shapes

    def _summary(self, ex: Execution) -> str | None:
        if ex.superseded_by is not None:
            return f"Superseded by {ex.superseded_by.id[:8]} at stage {ex.superseded_at}"
        return ex.summary

    def _execution(self, execution_id: str) -> Execution:
        ex = self._by_id.get(execution_id)
        if ex is None:
            for candidate in list(self._active.values()) + list(self._recent):
                if candidate.id == execution_id:
                    return candidate
            raise PipelineExecutionNotFoundException(
                f"Execution {execution_id!r} does not exist in pipeline {self.pipeline.name}; "
                f"list them with executions()")
        return ex

    def _latest_run(self, st: StageRuntime, at: float | None = None) -> StageRun | None:
        runs = st.runs
        if not runs:
            return None
        if at is None:
            return runs[-1]
        i = bisect.bisect_right([r.start for r in runs], at)
        return runs[i - 1] if i else None

    def _require_record(self, what: str) -> None:
        if not self.record:
            raise ValidationException(f"{what} needs the history; create the Simulator with record=True")

    def state(self, at: float | None = None) -> dict:
        """The pipeline's state at minute `at` (default: now), shaped like get_pipeline_state."""
        self._require_record("state()")
        t = self.now if at is None else min(at, self.now)
        stage_states = []
        for st in self._stages:
            stage_states.append(self._stage_state(st, t))
        return {
            "pipelineName": self.pipeline.name,
            "pipelineVersion": self.version,
            "stageStates": stage_states,
            "created": self._time(self.created),
            "updated": self._time(self.updated),
        }

    def _stage_state(self, st: StageRuntime, t: float) -> dict:
        plan = st.plan
        state: dict[str, Any] = {"stageName": plan.name}
        if plan.index > 0:
            enabled, reason, changed_at, by = True, None, None, None
            for when, is_enabled, why, who in st.transitions:
                if when <= t:
                    enabled, reason, changed_at, by = is_enabled, why, when, who
            transition: dict[str, Any] = {"enabled": enabled}
            if changed_at is not None:
                transition.update(lastChangedBy=by, lastChangedAt=self._time(changed_at))
            if reason:
                transition["disabledReason"] = reason
            state["inboundTransitionState"] = transition
        waiting = [ex for ex in self._waiting_at(plan.index, t)]
        if waiting:
            entries = [{"pipelineExecutionId": ex.id, "status": IN_PROGRESS, "type": ex.type} for ex in waiting]
            state["inboundExecution"] = entries[-1]
            state["inboundExecutions"] = entries
        run = self._latest_run(st, t)
        action_states = []
        for ap in plan.actions:
            action_states.append(self._action_state(st, ap, t))
        state["actionStates"] = action_states
        if run is not None:
            state["latestExecution"] = {"pipelineExecutionId": run.execution.id, "status": run.status_at(t),
                                        "type": run.execution.type}
            if run.condition is not None and run.condition.start <= t:
                key = {"onSuccess": "onSuccessConditionState", "beforeEntry": "beforeEntryConditionState",
                       "onFailure": "onFailureConditionState"}[run.condition.plan.kind]
                done = run.condition.end is not None and run.condition.end <= t
                status = run.condition.status if done else IN_PROGRESS
                state[key] = {
                    "latestExecution": {"status": status, "summary": run.condition.summary or ""},
                    "conditionStates": [{
                        "latestExecution": {"status": status, "summary": run.condition.summary or ""},
                        "ruleStates": [{"ruleName": r.name, "latestExecution": {"status": status}}
                                       for r in run.condition.plan.rules],
                    }],
                }
            if run.auto_retries or run.manual_retries:
                state["retryStageMetadata"] = {
                    "autoStageRetryAttempt": run.auto_retries,
                    "manualStageRetryAttempt": run.manual_retries,
                    "latestRetryTrigger": run.latest_retry_trigger,
                }
        return state

    def _action_state(self, st: StageRuntime, ap: ActionPlan, t: float) -> dict:
        state: dict[str, Any] = {"actionName": ap.name}
        runs = st.action_runs.get(ap.name, [])
        i = bisect.bisect_right([r.start for r in runs], t)
        if not i:
            return state
        ar = runs[i - 1]
        ex = ar.run.execution
        status = ar.status_at(t)
        latest: dict[str, Any] = {
            "actionExecutionId": self._uuid("action", ar.number),
            "status": status,
            "lastStatusChange": self._time(ar.end if status != IN_PROGRESS else ar.start),
        }
        if status != IN_PROGRESS and ar.summary:
            latest["summary"] = ar.summary
        if status == FAILED:
            latest["errorDetails"] = {"code": ar.error_code or "JobFailed", "message": ar.summary or "Action failed"}
        if ap.is_approval:
            if status == IN_PROGRESS:
                latest["token"] = ar.token
            if ar.updated_by and status != IN_PROGRESS:
                latest["lastUpdatedBy"] = ar.updated_by
        else:
            latest["externalExecutionId"] = self._uuid("external", ar.number)
        state["latestExecution"] = latest
        if ap.is_source:
            label = self.world.revision_label(ex.revision)
            state["currentRevision"] = {"revisionId": label, "revisionChangeId": label,
                                        "created": self._time(ex.start)}
        return state

    def _waiting_at(self, stage_index: int, t: float) -> list[Execution]:
        found = []
        for ex in self._executions:
            if ex.plan is not self._plan:
                continue
            for k, since, until in ex.waits:
                if k == stage_index and since <= t and (until is None or t < until) and not (
                        ex.end is not None and ex.end <= t):
                    found.append(ex)
        return found

    def executions(self, max_results: int | None = None) -> list[dict]:
        """Execution summaries, newest first, shaped like list_pipeline_executions."""
        source = self._executions if self.record else list(self._recent) + sorted(
            self._active.values(), key=lambda e: e.number)
        summaries = []
        for ex in sorted(source, key=lambda e: (e.start, e.number), reverse=True):
            summary = {
                "pipelineExecutionId": ex.id,
                "status": ex.status,
                "startTime": self._time(ex.start),
                "lastUpdateTime": self._time(ex.end if ex.end is not None else self.now),
                "sourceRevisions": self._source_revisions(ex),
                "trigger": {"triggerType": ex.trigger, "triggerDetail": ex.trigger_detail},
                "executionMode": self.mode,
                "executionType": ex.type,
            }
            if self._summary(ex):
                summary["statusSummary"] = self._summary(ex)
            if ex.status in (STOPPED, STOPPING) and ex.stop_reason:
                summary["stopTrigger"] = {"reason": ex.stop_reason}
            if ex.type == ROLLBACK and ex.rollback_of is not None:
                summary["rollbackMetadata"] = {"rollbackTargetPipelineExecutionId": ex.rollback_of.id}
            summaries.append(summary)
        return summaries[:max_results] if max_results else summaries

    def _source_revisions(self, ex: Execution) -> list[dict]:
        label = self.world.revision_label(ex.revision)
        return [{"actionName": ap.name, "revisionId": label, "revisionSummary": self.world.revision_summary(ex.revision)}
                for ap in ex.plan[0].actions]

    def execution(self, execution_id: str) -> dict:
        """One execution, shaped like get_pipeline_execution's pipelineExecution."""
        ex = self._execution(execution_id)
        result = {
            "pipelineName": self.pipeline.name,
            "pipelineVersion": ex.version,
            "pipelineExecutionId": ex.id,
            "status": ex.status,
            "artifactRevisions": [
                {"name": out, "revisionId": self.world.revision_label(ex.revision),
                 "revisionSummary": self.world.revision_summary(ex.revision)}
                for ap in ex.plan[0].actions for out in ap.declaration.outputs
            ],
            "trigger": {"triggerType": ex.trigger, "triggerDetail": ex.trigger_detail},
            "executionMode": self.mode,
            "executionType": ex.type,
        }
        if self._summary(ex):
            result["statusSummary"] = self._summary(ex)
        if ex.variables:
            result["variables"] = [{"name": k, "resolvedValue": v} for k, v in ex.variables.items()]
        if ex.type == ROLLBACK and ex.rollback_of is not None:
            result["rollbackMetadata"] = {"rollbackTargetPipelineExecutionId": ex.rollback_of.id}
        return result

    def action_executions(self, execution_id: str | None = None) -> list[dict]:
        """Action runs, newest first, shaped like list_action_executions' actionExecutionDetails."""
        self._require_record("action_executions()")
        if execution_id is not None:
            executions = [self._execution(execution_id)]
        else:
            executions = self._executions
        details = []
        for ex in executions:
            for run in ex.runs:
                for ar in run.actions:
                    details.append(self._action_detail(ex, run, ar))
        details.sort(key=lambda d: (d["startTime"], d["_number"]), reverse=True)
        for d in details:
            del d["_number"]
        return details

    def _action_detail(self, ex: Execution, run: StageRun, ar: ActionRun) -> dict:
        decl = ar.plan.declaration
        status = ar.status_at(self.now)
        detail: dict[str, Any] = {
            "pipelineExecutionId": ex.id,
            "actionExecutionId": self._uuid("action", ar.number),
            "pipelineVersion": ex.version,
            "stageName": run.stage.name,
            "actionName": ar.plan.name,
            "startTime": self._time(ar.start),
            "lastUpdateTime": self._time(ar.end if status != IN_PROGRESS else ar.start),
            "status": status,
            "input": {
                "actionTypeId": decl.action_type_id.to_api(),
                "configuration": dict(decl.configuration or {}),
                "resolvedConfiguration": dict(decl.configuration or {}),
                "region": decl.region or self.region,
                "inputArtifacts": [
                    {"name": name, "s3location": {"bucket": self._bucket(decl.region),
                                                  "key": f"{self.pipeline.name[:20]}/{name[:20]}/{ex.id[:7]}"}}
                    for name in decl.inputs
                ],
            },
            "output": {"outputArtifacts": [
                {"name": name, "s3location": {"bucket": self._bucket(decl.region),
                                              "key": f"{self.pipeline.name[:20]}/{name[:20]}/{ex.id[:7]}"}}
                for name in decl.outputs
            ] if status == SUCCEEDED else []},
            "_number": ar.number,
        }
        if decl.namespace:
            detail["input"]["namespace"] = decl.namespace
        if status != IN_PROGRESS:
            result: dict[str, Any] = {"externalExecutionId": ar.token or self._uuid("external", ar.number),
                                      "externalExecutionSummary": ar.summary or status}
            if status == FAILED:
                result["errorDetails"] = {"code": ar.error_code or "JobFailed", "message": ar.summary or "Failed"}
            detail["output"]["executionResult"] = result
        elif ar.plan.is_approval:
            detail["output"]["executionResult"] = {"externalExecutionId": ar.token}
        if ar.updated_by:
            detail["updatedBy"] = ar.updated_by
        return detail

    def _bucket(self, region: str | None) -> str:
        p = self.pipeline
        if p.artifact_stores:
            store = p.artifact_stores.get(region or self.region) or next(iter(p.artifact_stores.values()))
            return store.location
        return p.artifact_store.location if p.artifact_store else "artifacts"

    # ---------------------------------------------------------------- conveniences

    def latest_execution(self) -> dict | None:
        """The most recently started execution's summary, or None."""
        listed = self.executions(max_results=1)
        return listed[0] if listed else None

    def draw(self, at: float | None = None, **options: Any):
        """The pipeline drawn with its state at minute `at` (default: now)."""
        return self.pipeline.draw(state=self.state(at), **options)

    def __repr__(self) -> str:
        running = len(self._active)
        return (f"<Simulator {self.pipeline.name!r} at {format_minutes(self.now)}: "
                f"{self._numbers} executions started, {running} in progress>")
