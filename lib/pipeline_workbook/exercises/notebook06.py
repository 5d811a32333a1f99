"""Exercise checks of notebook 06: one environment per customer.

The checks find each customer's deploys in the answer (a deploy whose environment is
"customer-<slug>", as patterns.per_customer writes it, or the bare slug), then run releases
through the simulator: approvals must hold back exactly the customers who asked for them, and
every customer must receive a release exactly once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from ..model import Pipeline
from ..patterns import DEFAULT_CUSTOMERS, MAX_ACTIONS_PER_STAGE, as_customer, deploy_target, slugify
from .base import Result, WrongShape, _no, _ok, _problems_verdict, as_pipeline

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}

MAX_APPROVAL_ROUNDS = 60  # a release waits for approvals at most this often before the check gives up


# --------------------------------------------------------------------------------------------
# Reading customers' deploys from a definition


@dataclass(frozen=True)
class _Deploy:
    """One deploy of one customer: where it sits in the pipeline."""

    slug: str
    stage_index: int
    stage: str
    action: str


def _slug_of(environment: Any, slugs: set[str]) -> str | None:
    """The customer an environment belongs to ("customer-acme-corp" or "acme-corp"), or None."""
    if not isinstance(environment, str):
        return None
    name = environment.removeprefix("customer-")
    return name if name in slugs else None


def _customer_deploys(pipeline: Pipeline, slugs: set[str]) -> list[_Deploy]:
    """Every deploy to one of the customers, in definition order."""
    found = []
    for si, stage, _, action in pipeline.iter_actions():
        target = deploy_target(action)
        slug = _slug_of(target[0], slugs) if target else None
        if slug is not None:
            found.append(_Deploy(slug, si, str(stage.name), str(action.name)))
    return found


def _names(customers: list[Any]) -> dict[str, str]:
    """slug -> customer name, for the customers of an exercise."""
    people = [as_customer(c) for c in customers]
    return {c.slug: c.name for c in people}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _listed(names: list[str], most: int = 4) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _each_deployed_once(exercise: str, deploys: list[_Deploy], names: dict[str, str]) -> Result | None:
    """A "not yet" when a customer is never deployed, or deployed more than once; None when all is well."""
    counts = Counter(d.slug for d in deploys)
    missing = [names[s] for s in names if counts[s] == 0]
    if missing:
        return _no(exercise, f"{_listed(missing)} {'is' if len(missing) == 1 else 'are'} never deployed.",
                   "Pass every customer of the list to patterns.per_customer(customers=...).")
    twice = [f"{names[s]} ({counts[s]} times)" for s in names if counts[s] > 1]
    if twice:
        return _no(exercise, f"Some customers are deployed more than once per release: {_listed(twice)}.",
                   "Each customer's environment needs exactly one deploy action.")
    return None


def _waves(deploys: list[_Deploy]) -> list[list[_Deploy]]:
    """The customers' deploys grouped by stage, in stage order: the waves as the pipeline runs them."""
    by_stage: dict[int, list[_Deploy]] = {}
    for d in deploys:
        by_stage.setdefault(d.stage_index, []).append(d)
    return [by_stage[k] for k in sorted(by_stage)]


def _last_wave_verdict(exercise: str, deploys: list[_Deploy], special: set[str], names: dict[str, str],
                       what: str) -> Result | None:
    """A "not yet" when a special customer is not deployed in the last wave."""
    last = max(d.stage_index for d in deploys)
    early = [d for d in deploys if d.slug in special and d.stage_index != last]
    if not early:
        return None
    later = next(d for d in deploys if d.stage_index == last)
    d = early[0]
    return _no(exercise, f"{names[d.slug]} deploys in {d.stage}, but {names[later.slug]} still deploys after it, "
                         f"in {later.stage}.",
               f"{what} must be in the last wave: give {'it' if len(special) == 1 else 'them'} last_wave=True.")


# --------------------------------------------------------------------------------------------
# One release through the simulator


@dataclass
class _Release:
    """What happened to one release: the approvals it waited for and the deploys it made."""

    status: str
    waits: list[tuple[list[str], set[str]]] = field(default_factory=list)  # (approvals waiting, slugs started)
    deployed: Counter = field(default_factory=Counter)  # slug -> successful deploys in this release
    started_before_any_wait: set[str] = field(default_factory=set)


def _started(sim: Any, execution_id: str, where: dict[tuple[str, str], str], succeeded: bool = False) -> list[str]:
    """Slugs of the customers whose deploy has started (or succeeded) in one execution."""
    slugs = []
    for detail in sim.action_executions(execution_id):
        slug = where.get((detail["stageName"], detail["actionName"]))
        if slug is not None and (not succeeded or detail["status"] == "Succeeded"):
            slugs.append(slug)
    return slugs


def _deploy_map(deploys: list[_Deploy]) -> dict[tuple[str, str], str]:
    return {(d.stage, d.action): d.slug for d in deploys}


def _run_release(pipeline: Pipeline, deploys: list[_Deploy]) -> _Release:
    """Start one release in a quiet world; approve whatever waits, noting who was deployed meanwhile."""
    from ..simulate import Simulator
    from ..world import World

    where = _deploy_map(deploys)
    sim = Simulator(pipeline, World(seed=0), seed=0)
    execution = sim.start()
    sim.run()
    release = _Release(status="")
    for _ in range(MAX_APPROVAL_ROUNDS):
        pending = sim.pending_approvals()
        if not pending:
            break
        started = set(_started(sim, execution, where))
        release.waits.append(([f"{p['stageName']}.{p['actionName']}" for p in pending], started))
        for p in pending:
            sim.approve(p["stageName"], p["actionName"], token=p["token"])
        sim.run()
    if not release.waits:
        release.started_before_any_wait = set(_started(sim, execution, where))
    release.status = sim.execution(execution)["status"]
    release.deployed = Counter(_started(sim, execution, where, succeeded=True))
    return release


def _approval_verdict(exercise: str, release: _Release, special: set[str], names: dict[str, str],
                      who: str) -> Result | None:
    """A "not yet" unless approvals hold back exactly the special customers (and nobody else)."""
    if not release.waits:
        return _no(exercise, f"No approval waited during a release: {who} received it without anyone approving.",
                   "Give the customer approval=True: per_customer puts a manual approval before its deploy.")
    waiting, started = release.waits[0]
    early = sorted(names[s] for s in started & special)
    if early:
        return _no(exercise, f"{_listed(early)} received the release before any approval was asked for.",
                   "The approval must come before the deploy: approval=True puts it at runOrder 1 "
                   "and the deploy at runOrder 2, in the same stage.")
    held = sorted(names[s] for s in set(names) - special - started)
    if held:
        return _no(exercise, f"While {_listed(waiting, 2)} waited, {_listed(held)} had not received the release: "
                             "the approval held back customers who never asked for one.",
                   f"Make the approval {who}'s own (approval=True on that customer) instead of an approval "
                   "in front of everyone.")
    return None


def _release_verdict(exercise: str, release: _Release, names: dict[str, str]) -> Result | None:
    """A "not yet" unless the release succeeded and reached every customer exactly once."""
    if release.status != "Succeeded":
        return _no(exercise, f"A release with every approval given ended {release.status}.",
                   "Display the pipeline and check its stages; simulate it as the notebook does to see the log.")
    missing = [names[s] for s in names if release.deployed[s] != 1]
    if missing:
        return _no(exercise, f"After a release, {_listed(missing)} did not receive it exactly once.",
                   "Every customer needs one deploy that runs in every release.")
    return None


def _first(*checks: Callable[[], Result | None]) -> Result | None:
    """The first "not yet" of several checks run in order (a Result is falsy when not passed, so
    `a or b` would skip it), or None when every check is happy."""
    for run in checks:
        verdict = run()
        if verdict is not None:
            return verdict
    return None


def special_customer_release(exercise: str, pipeline: Pipeline, deploys: list[_Deploy], names: dict[str, str],
                             special: set[str], special_name: str) -> tuple[Result | None, _Release | None]:
    """The checks every "one customer is special" exercise makes, in order: each customer deployed
    once, the special one in the last wave, then a simulated release that waits for its approval
    while the others receive it. Returns the first failing verdict (or None) and the release."""
    verdict = _first(lambda: _each_deployed_once(exercise, deploys, names),
                     lambda: _last_wave_verdict(exercise, deploys, special, names, special_name))
    if verdict is not None:
        return verdict, None
    release = _run_release(pipeline, deploys)
    verdict = _first(lambda: _approval_verdict(exercise, release, special, names, special_name),
                     lambda: _release_verdict(exercise, release, names))
    return verdict, release


def _wave_words(waves: list[list[_Deploy]]) -> str:
    return ", ".join(f"{w[0].stage}: {_count(len(w), 'customer')}" for w in waves)


# --------------------------------------------------------------------------------------------
# 06.1: one customer last, approving its own deploys

CUSTOMERS_06_1 = ("Juniper Books", "Kestrel Airways", "Lumen Health", "Maple Schools", "Northwind Traders",
                  "Orchid Hotels", "Pelican Ports")
SPECIAL_06_1 = "Lumen Health"


def customers_06_1() -> list[str]:
    """The customers of exercise 06.1, by name (Lumen Health is the one with its own rules)."""
    return list(CUSTOMERS_06_1)


STARTING_POINTS["06.1"] = customers_06_1
EXPECTS["06.1"] = "a per-customer pipeline where Lumen Health comes last and approves its own deploys"


def check_06_1(answer: Any) -> Result:
    """Valid; every customer deployed once; Lumen Health in the last wave, behind its own approval."""
    pipeline = as_pipeline(answer)
    verdict = _problems_verdict("06.1", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    names = _names(list(CUSTOMERS_06_1))
    special = {slugify(SPECIAL_06_1)}
    deploys = _customer_deploys(pipeline, set(names))
    if not deploys:
        raise WrongShape("The pipeline deploys to none of the customers.",
                         "Build it with patterns.per_customer(customers=[...]) from the list above.")
    verdict, release = special_customer_release("06.1", pipeline, deploys, names, special, SPECIAL_06_1)
    if verdict is not None:
        return verdict
    waiting = release.waits[0][0]
    return _ok("06.1", f"Waves: {_wave_words(_waves(deploys))}. A release reached the other "
                       f"{len(names) - 1} customers while {', '.join(waiting)} waited; once approved, "
                       f"{SPECIAL_06_1} received it too. Every customer was deployed exactly once.")


CHECKS["06.1"] = check_06_1


# --------------------------------------------------------------------------------------------
# 06.2: fifty customers in three waves, within the quota

REGULATED_06_2 = ("Aster Savings", "Birch Mutual", "Cobalt Clearing", "Dune Credit", "Ember Pensions",
                  "Fern Trust", "Garnet Bank", "Harbor Reinsurance")


def customers_06_2() -> list[Any]:
    """Fifty customers: 42 by name, then eight regulated ones that approve each release and go last."""
    regular = [f"Customer {n:02d}" for n in range(1, 43)]
    regulated = [{"name": name, "last_wave": True, "approval": True} for name in REGULATED_06_2]
    return regular + regulated


STARTING_POINTS["06.2"] = customers_06_2
EXPECTS["06.2"] = "a per-customer pipeline for the 50 customers: three waves, the first a single customer"


def check_06_2(answer: Any) -> Result:
    """Valid (so within the quotas); three waves, the first of one customer; the regulated ones last."""
    pipeline = as_pipeline(answer)
    verdict = _problems_verdict("06.2", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    customers = customers_06_2()
    names = _names(customers)
    special = {slugify(name) for name in REGULATED_06_2}
    deploys = _customer_deploys(pipeline, set(names))
    if not deploys:
        raise WrongShape("The pipeline deploys to none of the 50 customers.",
                         "Build it with patterns.per_customer(customers=fifty, wave_sizes=(...)).")
    verdict = _each_deployed_once("06.2", deploys, names)
    if verdict is not None:
        return verdict
    waves = _waves(deploys)
    stages = pipeline.stages or []
    if len(waves) != 3:
        sizes = ", ".join(f"{w[0].stage} ({_count(len(stages[w[0].stage_index].actions or []), 'action')})"
                          for w in waves)
        split = any("-part" in w[0].stage for w in waves)
        hint = ("per_customer split a wave into parts because it held more than "
                f"{MAX_ACTIONS_PER_STAGE} actions: a customer with an approval takes two, its approval and its "
                "deploy. Make the middle wave larger so that the last one fits in one stage."
                if split else "wave_sizes gives the size of each wave; None as the last size means "
                              "'everyone left'.")
        return _no("06.2", f"The plan has {len(waves)} waves, the exercise asks for 3: {sizes}.", hint)
    if len(waves[0]) != 1:
        return _no("06.2", f"The first wave, {waves[0][0].stage}, deploys {len(waves[0])} customers.",
                   "Start with a single customer, so that a bad release hurts one customer first.")
    regulated_stages = list(dict.fromkeys(d.stage for d in deploys if d.slug in special))
    final_stages = [w[0].stage for w in waves[-len(regulated_stages):]]
    if len(regulated_stages) > 1 and regulated_stages == final_stages:  # the last wave, split for the quota
        return _no("06.2", f"The regulated customers are spread over {', '.join(regulated_stages)}: their wave "
                           f"held more than {MAX_ACTIONS_PER_STAGE} actions, so per_customer split it into stages "
                           "that run one after the other.",
                   "A customer with an approval takes two actions, its approval and its deploy. Put more "
                   "customers in the earlier waves so that the last one fits in one stage.")
    verdict = _last_wave_verdict("06.2", deploys, special, names, "The eight regulated customers")
    if verdict is not None:
        return verdict
    release = _run_release(pipeline, deploys)
    verdict = _first(lambda: _approval_verdict("06.2", release, special, names, "each regulated customer"),
                     lambda: _release_verdict("06.2", release, names))
    if verdict is not None:
        return verdict
    actions = [len(stages[w[0].stage_index].actions or []) for w in waves]
    sizes = ", ".join(f"{_count(len(w), 'customer')} ({_count(n, 'action')})" for w, n in zip(waves, actions))
    return _ok("06.2", f"Three waves: {sizes}. Every stage is within the {MAX_ACTIONS_PER_STAGE}-action quota, "
                       "the eight regulated customers wait for their own approvals in the last wave, and a "
                       "release reaches all 50 customers once.")


CHECKS["06.2"] = check_06_2


# --------------------------------------------------------------------------------------------
# 06.3: a special customer's approval must not hold back the others

SPECIAL_06_3 = "Halcyon Public Services"


def default_per_customer_06_3() -> Pipeline:
    """patterns.per_customer() as it is: Halcyon's approval shares the last stage with Granite's deploy."""
    from ..patterns import per_customer

    return per_customer()


STARTING_POINTS["06.3"] = default_per_customer_06_3
EXPECTS["06.3"] = "the per-customer pipeline changed so that Halcyon's approval holds back nobody else"


def _second_release_blocked(pipeline: Pipeline, deploys: list[_Deploy], special: set[str]) -> tuple[list[str], str]:
    """Start release 1 and leave its approval unanswered, then start release 2: which customers
    other than the special ones did release 2 not reach, and where did it stop?"""
    from ..simulate import Simulator
    from ..world import World

    where = _deploy_map(deploys)
    world = World(seed=0)
    sim = Simulator(pipeline, world, seed=0)
    sim.start()
    sim.run()
    second = sim.start(revision=world.add_commit(sim.now, defects=[], message="Release 2").number)
    sim.run()
    reached = set(_started(sim, second, where, succeeded=True))
    missing = sorted({d.slug for d in deploys} - special - reached)
    stopped = ""
    for state in sim.state()["stageStates"]:
        waiting = [e["pipelineExecutionId"] for e in state.get("inboundExecutions", [])]
        if second in waiting:
            stopped = state["stageName"]
    return missing, stopped


def check_06_3(answer: Any) -> Result:
    """Halcyon still last and behind its own approval; while that approval waits, the next release
    still reaches every other customer."""
    pipeline = as_pipeline(answer)
    verdict = _problems_verdict("06.3", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    if pipeline.effective_execution_mode == "PARALLEL":
        return _no("06.3", "PARALLEL mode lets the releases run side by side, but then an older release can "
                           "finish after a newer one and put the older version back on a customer (lint WB304).",
                   "Keep the execution mode and change the stages instead.")
    names = _names(list(DEFAULT_CUSTOMERS))
    special = {slugify(SPECIAL_06_3)}
    deploys = _customer_deploys(pipeline, set(names))
    if not deploys:
        raise WrongShape("The pipeline deploys to none of the eight customers.",
                         'Start from answer = starting_point("06.3") and move actions between stages.')
    verdict, _ = special_customer_release("06.3", pipeline, deploys, names, special, SPECIAL_06_3)
    if verdict is not None:
        return verdict
    missing, stopped = _second_release_blocked(pipeline, deploys, special)
    if missing:
        where = f" in front of {stopped}" if stopped else ""
        return _no("06.3", f"While Halcyon's approval of release 1 waited, release 2 stopped{where} and never "
                           f"reached {_listed([names[s] for s in missing])}.",
                   "An approval holds its whole stage. Put Halcyon's approval and deploy in a stage of "
                   "their own, after every other customer's deploy.")
    return _ok("06.3", f"While Halcyon's approval of release 1 waited, release 2 reached the other "
                       f"{len(names) - 1} customers and waited in front of {stopped or 'the last stage'}. "
                       "Halcyon still comes last and approves its own deploys.")


CHECKS["06.3"] = check_06_3
