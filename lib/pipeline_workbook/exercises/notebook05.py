"""Exercise checks of notebook 05: phased rollout."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any, Callable

from ..model import Pipeline
from .base import Result, WrongShape, _no, _ok, _problems_verdict, as_pipeline

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}


# --------------------------------------------------------------------------------------------
# Reading waves back from a pipeline


def production_waves(pipeline: Pipeline) -> list[tuple[int, str, list[str]]]:
    """(stage index, stage name, regions) of every stage that deploys to production, in order."""
    from ..world import classify

    home = "us-east-1"
    waves: list[tuple[int, str, list[str]]] = []
    for si, stage, _, action in pipeline.iter_actions():
        role = classify(action, stage, pipeline)
        if role.kind != "deploy" or not role.production:
            continue
        if not waves or waves[-1][0] != si:
            waves.append((si, stage.name or "", []))
        waves[-1][2].append(role.region or action.region or home)
    return waves


def _wait_times(stage: Any) -> list[int]:
    """The WaitTime (minutes) of each CloudWatchAlarm rule of a stage's onSuccess condition."""
    waits = []
    for condition in (stage.on_success.conditions or []) if stage.on_success else []:
        for rule in condition.rules or []:
            if rule.rule_type_id and rule.rule_type_id.provider == "CloudWatchAlarm":
                try:
                    waits.append(int((rule.configuration or {}).get("WaitTime", 0)))
                except ValueError:
                    waits.append(0)
    return waits


def _safety_gap(stage: Any) -> str | None:
    """What a wave stage lacks of bake time and automatic rollback, in words; None when it has both."""
    waits = _wait_times(stage)
    if not waits:
        return "watches no CloudWatch alarm after it succeeds (no onSuccess alarm rule)"
    if max(waits) <= 0:
        return "watches its alarms for no time at all (WaitTime missing or 0: no bake time)"
    results = {condition.result for condition in stage.on_success.conditions or []}
    if results != {"ROLLBACK"}:
        return f"answers an alarm during the bake with {', '.join(sorted(str(r) for r in results))}, not ROLLBACK"
    if stage.on_failure is None or stage.on_failure.result != "ROLLBACK":
        found = "no onFailure condition" if stage.on_failure is None else f"onFailure {stage.on_failure.result}"
        return f"does not roll back when a deploy fails ({found})"
    return None


def _run_release_and_defect(pipeline: Pipeline, *, defects: list[str], failures: dict | None = None):
    """A clean release, then a commit carrying `defects` that start to hurt 5 minutes after they go
    live; returns (simulator, id of the second execution)."""
    from ..simulate import Simulator
    from ..world import DefectProfile, World

    profile = DefectProfile(rates={}, catch={"unit-tests": {}, "acceptance-tests": {}, "review": {}},
                            flaky_test_rate=0.0)
    world = World(seed=0, defects=profile, fixed_durations={"shows_after": 5}, failures=failures)
    sim = Simulator(pipeline, world=world, seed=0)
    sim.run_until(9 * 60)
    sim.start(revision=world.add_commit(sim.now, defects=[], message="A good change").number)
    sim.run()
    second = sim.start(revision=world.add_commit(sim.now, defects=defects, message="A change").number)
    sim.run()
    return sim, second


# --------------------------------------------------------------------------------------------
# 05.1: a wave plan under constraints

REGIONS_05_1 = ("us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-northeast-1", "ap-southeast-2",
                "ca-central-1", "sa-east-1")
LOW_TRAFFIC_05_1 = ("ca-central-1", "sa-east-1")
BIGGEST_05_1 = "us-east-1"
MAX_PER_WAVE_05_1 = 3

EXPECTS["05.1"] = "patterns.phased_rollout(waves=[...]) with your wave plan for the eight regions"


def check_05_1(answer: Any) -> Result:
    """Every region once; first wave one low-traffic region; at most 3 per wave; us-east-1 last;
    every wave bakes and rolls back; a production defect never leaves the first wave."""
    if isinstance(answer, (list, tuple)):
        return _no("05.1", "The answer is the wave plan itself; the exercise asks for the pipeline made from it.",
                   "Pass your plan to the pattern: answer = patterns.phased_rollout(waves=your_plan).")
    pipeline = as_pipeline(answer)
    verdict = _problems_verdict("05.1", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    waves = production_waves(pipeline)
    if not waves:
        return _no("05.1", "The pipeline deploys to no production region.",
                   "Make it with patterns.phased_rollout(waves=[[...], [...], ...]).")
    deployed = Counter(region for _, _, regions in waves for region in regions)
    twice = sorted(r for r, n in deployed.items() if n > 1)
    if twice:
        return _no("05.1", f"{twice[0]} is deployed more than once.", "Put every region in exactly one wave.")
    missing = [r for r in REGIONS_05_1 if r not in deployed]
    if missing:
        return _no("05.1", f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} in no wave.",
                   f"Deploy to all eight regions: {', '.join(REGIONS_05_1)}.")
    extra = sorted(set(deployed) - set(REGIONS_05_1))
    if extra:
        return _no("05.1", f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not one of the eight regions.",
                   f"Use only these regions: {', '.join(REGIONS_05_1)}.")
    first_index, first_name, first_regions = waves[0]
    if len(first_regions) != 1 or first_regions[0] not in LOW_TRAFFIC_05_1:
        return _no("05.1", f"The first wave ({first_name}) is {', '.join(first_regions)}.",
                   f"Start with a single low-traffic region: one of {', '.join(LOW_TRAFFIC_05_1)}.")
    crowded = [(name, regions) for _, name, regions in waves if len(regions) > MAX_PER_WAVE_05_1]
    if crowded:
        name, regions = crowded[0]
        return _no("05.1", f"{name} has {len(regions)} regions.",
                   f"At most {MAX_PER_WAVE_05_1} regions per wave: split it into two waves.")
    if BIGGEST_05_1 not in waves[-1][2]:
        where = next(name for _, name, regions in waves if BIGGEST_05_1 in regions)
        return _no("05.1", f"{BIGGEST_05_1}, the region with the most customers, is in {where}, not in the last wave.",
                   f"Move {BIGGEST_05_1} to the last wave, so that it gets a change after every other region "
                   "has run it.")
    for si, name, _ in waves:
        gap = _safety_gap(pipeline.stages[si])
        if gap:
            return _no("05.1", f"{name} {gap}.",
                       "Keep the pattern's defaults: phased_rollout(waves=..., bake_minutes=60, alarms=True, "
                       "rollback=True).")
    sim, second = _run_release_and_defect(pipeline, defects=["production"])
    reached = sorted({d["stageName"] for d in sim.action_executions(second) if d["status"] == "Succeeded"}
                     & {name for _, name, _ in waves}, key=[name for _, name, _ in waves].index)
    if reached != [first_name]:
        return _no("05.1", f"In the simulator, a production defect that shows 5 minutes after it goes live "
                           f"reached {', '.join(reached)}.",
                   "Give every wave a bake time long enough for the alarm to fire (bake_minutes of at least 15).")
    plan = " | ".join(", ".join(regions) for _, _, regions in waves)
    return _ok("05.1", f"Waves: {plan}. In the simulator a production defect went live only in "
                       f"{first_regions[0]}, whose alarm fired during the bake; the wave rolled back and no "
                       "other region ran it.")


CHECKS["05.1"] = check_05_1


# --------------------------------------------------------------------------------------------
# 05.2: the bake time that protects customers best

BAKE_OPTIONS_05_2 = (0, 15, 30, 60, 120, 240)
COMMITS_05_2 = 1000
SEED_05_2 = 3


def wave_plan_05_2() -> tuple[tuple[str, ...], ...]:
    """Three waves over the twelve default regions: one region, then three, then eight."""
    from ..patterns import DEFAULT_WAVES, plan_waves

    return plan_waves([region for wave in DEFAULT_WAVES for region in wave], first=1, growth=3)


STARTING_POINTS["05.2"] = wave_plan_05_2
EXPECTS["05.2"] = f"a bake time in minutes, one of {', '.join(str(b) for b in BAKE_OPTIONS_05_2)}"


@lru_cache(maxsize=1)
def _bake_results_05_2() -> dict[int, Any]:
    from ..metrics import run
    from ..patterns import phased_rollout

    plan = wave_plan_05_2()
    return {bake: run(phased_rollout(waves=plan, bake_minutes=bake), commits=COMMITS_05_2, seed=SEED_05_2)
            for bake in BAKE_OPTIONS_05_2}


def check_05_2(answer: Any) -> Result:
    """The option with the least customer exposure (its lead time is reported, not judged)."""
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        raise WrongShape(f"The answer is {type(answer).__name__}; this exercise asks for a number of minutes.",
                         f"Answer with one of the options, e.g. answer = {BAKE_OPTIONS_05_2[1]}.")
    if answer not in BAKE_OPTIONS_05_2:
        return _no("05.2", f"{answer:g} minutes is not one of the options.",
                   f"Choose among {', '.join(str(b) for b in BAKE_OPTIONS_05_2)}.")
    bake = int(answer)
    results = _bake_results_05_2()
    best = min(BAKE_OPTIONS_05_2, key=lambda b: (results[b].exposure, b))
    hours = lambda b: f"{results[b].exposure / 60:.1f} customer-hours"
    lead = lambda b: f"{(results[b].lead_time_p50 or 0) / 60:.1f} h"
    if bake != best:
        return _no("05.2", f"With {bake} minutes the exposure is {hours(bake)}; another option exposes "
                           f"customers less.",
                   "Run metrics.run for every option and compare .exposure; the longest bake is not "
                   "necessarily the best.")
    longest = BAKE_OPTIONS_05_2[-1]
    return _ok("05.2", f"{bake} minutes: exposure {hours(bake)} against {hours(0)} without bake time and "
                       f"{hours(longest)} with {longest} minutes, for a median lead time of {lead(bake)} "
                       f"(against {lead(0)} without bake). A bake makes every change wait in every wave, "
                       f"the revert of a bad one included.")


CHECKS["05.2"] = check_05_2


# --------------------------------------------------------------------------------------------
# 05.3: a wave that cannot roll back


def wave_without_rollback_05_3() -> Pipeline:
    """The default phased rollout, except that Wave2 fails instead of rolling back."""
    from ..patterns import phased_rollout

    pipeline = phased_rollout()
    wave = pipeline.stage("Wave2")
    wave.on_failure = None
    for condition in wave.on_success.conditions:
        condition.result = "FAIL"
    return pipeline


STARTING_POINTS["05.3"] = wave_without_rollback_05_3
EXPECTS["05.3"] = "start.copy() with every wave rolling back, on a failed deploy and on an alarm during the bake"


def check_05_3(answer: Any) -> Result:
    """Every wave rolls back on a failed deploy and on an alarm; a failed deploy in Wave2 starts a rollback."""
    from ..lint import lint

    pipeline = as_pipeline(answer)
    start = wave_without_rollback_05_3()
    kinds = lambda p: Counter((stage.name, act.name, act.category, act.provider)
                              for _, stage, _, act in p.iter_actions())
    if kinds(pipeline) != kinds(start):
        return _no("05.3", "The stages and actions are not the ones the exercise started with.",
                   "Start from answer = start.copy() and change only the conditions of the stage that lacks them.")
    verdict = _problems_verdict("05.3", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    for si, name, _ in production_waves(pipeline):
        gap = _safety_gap(pipeline.stages[si])
        if gap:
            return _no("05.3", f"{name} {gap}.",
                       "Look at Wave1 in answer.to_api(): give the stage on_failure=a.rollback_on_failure() and set "
                       'the result of its onSuccess condition to "ROLLBACK".')
    left = [f for f in lint(pipeline) if f.code in ("WB203", "WB204")]
    if left:
        return _no("05.3", f"lint still reports: {left[0]}.", "Read lint(answer) for the why and the fix.")
    failures = {("Deploy-us-east-2", 1): "Deployment failed: tasks did not become healthy"}
    sim, failed = _run_release_and_defect(pipeline, defects=[], failures=failures)
    rollbacks = [e for e in sim.executions()
                 if e["executionType"] == "ROLLBACK" and e["trigger"]["triggerDetail"] == failed]
    stages = sorted({d["stageName"] for e in rollbacks for d in sim.action_executions(e["pipelineExecutionId"])})
    if stages != ["Wave2"]:
        return _no("05.3", f"In the simulator a failed deploy in Wave2 was followed by rollbacks of "
                           f"{', '.join(stages) or 'nothing'}.",
                   "The rollback belongs to the stage that failed: give Wave2 on_failure=a.rollback_on_failure().")
    return _ok("05.3", "Every wave now rolls back on a failed deploy and on an alarm during its bake. In the "
                       "simulator a failed deploy to us-east-2 started a ROLLBACK execution that put Wave2 back on "
                       "the last release that had succeeded there.")


CHECKS["05.3"] = check_05_3
