"""Exercise checks of notebook 09: compare the designs, and choose one for three teams.

Each exercise describes a team and its requirements; the answer is a pipeline (usually a pattern
with parameters, e.g. patterns.phased_rollout(bake_minutes=30)) or the name of a pattern
("with_unit_tests"). The checks judge the answer against the stated requirements, never against
one expected design: the structure with the validator and lint, the behaviour with the simulator
(metrics on the same commits as the notebook's first three seeds), so any design that meets the
requirements passes.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from typing import Any, Callable

from ..metrics import Metrics, format_duration
from ..model import Pipeline
from .base import Result, WrongShape, _no, _ok, _problems_verdict, as_pipeline
from .notebook06 import _customer_deploys, _names, _wave_words, _waves, special_customer_release

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}

# The commits the checks judge on: the notebook's robustness section uses these seeds too.
SEEDS_09 = (1, 2, 3)
COMMITS_09 = 500


# --------------------------------------------------------------------------------------------
# Shared: reading the answer, measuring it


def as_design(answer: Any) -> Pipeline:
    """A Pipeline from a pipeline, a definition dict, or the name of a pattern ("phased_rollout")."""
    from ..patterns import PATTERNS

    if isinstance(answer, str):
        name = "_".join(answer.strip().lower().replace("-", " ").split())
        if name not in PATTERNS:
            raise WrongShape(f"There is no pattern called {answer!r}.",
                             f"Name one of {', '.join(PATTERNS)}, or give the pipeline itself, e.g. "
                             "patterns.phased_rollout(bake_minutes=30).")
        return PATTERNS[name]()
    return as_pipeline(answer)


def _definition_key(pipeline: Pipeline) -> str:
    """The definition as text: the same design measured twice is simulated once."""
    return json.dumps(pipeline.to_api(), sort_keys=True)


@lru_cache(maxsize=64)
def _measure(definition: str, seed: int) -> Metrics:
    from ..metrics import run

    return run(Pipeline.from_api(json.loads(definition)), commits=COMMITS_09, seed=seed)


def measured(pipeline: Pipeline) -> list[Metrics]:
    """The design's metrics on the checks' commits, one per seed of SEEDS_09."""
    key = _definition_key(pipeline)
    return [_measure(key, seed) for seed in SEEDS_09]


def median_lead_time(runs: list[Metrics]) -> float:
    """The median lead time (minutes), averaged over the seeds; infinite when nothing reached production."""
    values = [m.lead_time_p50 for m in runs]
    return float("inf") if any(v is None for v in values) else sum(values) / len(values)


def total_exposure(runs: list[Metrics]) -> float:
    """Exposure summed over the seeds, in customer-hours."""
    return sum(m.exposure for m in runs) / 60


def _hours(minutes: float) -> str:
    return "never (nothing reached production)" if minutes == float("inf") else format_duration(minutes)


def _one_production() -> Pipeline:
    """The benchmark of the exposure requirements: one shared production behind tests (notebook 04)."""
    from ..patterns import automated_acceptance

    return automated_acceptance()


def _approvals(pipeline: Pipeline) -> list[str]:
    return [f"{stage.name}.{act.name}" for _, stage, _, act in pipeline.iter_actions() if act.category == "Approval"]


def _production_deploys(pipeline: Pipeline) -> list[tuple[str, str, str]]:
    """(stage, action, region) of every deploy customers use, read as the simulator reads it
    (an action without a region runs in the simulator's home region, us-east-1)."""
    from ..patterns import REGION
    from ..world import classify

    found = []
    for _, stage, _, act in pipeline.iter_actions():
        role = classify(act, stage, pipeline)
        if role.kind == "deploy" and role.production:
            found.append((str(stage.name), str(act.name), str(role.region or act.region or REGION)))
    return found


def _lint_verdict(exercise: str, pipeline: Pipeline, severities: tuple[str, ...], why: str) -> Result | None:
    """A "not yet" naming the first lint finding of these severities; None when there is none."""
    from ..lint import lint

    found = lint(pipeline).by_severity(*severities)
    if not found:
        return None
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return _no(exercise, f"{why}, and lint finds {first.severity} {first.code}{more}: {first.title}.",
               f"{first.fix} Display lint(answer) to see every finding.")


def _listed(items: list[str], most: int = 4) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


# --------------------------------------------------------------------------------------------
# 09.1: two people shipping an internal tool

LEAD_TIME_BOUND_09_1 = 2 * 60  # minutes
EXPECTS["09.1"] = 'a pipeline for the two-person team (a pattern, e.g. patterns.simple_but_bold(), or its name)'


def check_09_1(answer: Any) -> Result:
    """No person in the pipeline, no lint errors, unit tests before the first deploy, and a median
    lead time within two hours on the checks' commits."""
    pipeline = as_design(answer)
    verdict = _problems_verdict("09.1", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    if not _production_deploys(pipeline):
        return _no("09.1", "The pipeline deploys nothing customers use, so the tool never changes.",
                   "Choose one of the story's patterns: every one of them ends in a production deploy.")
    approvals = _approvals(pipeline)
    if approvals:
        return _no("09.1", f"{_listed(approvals)} waits for a person, and both people on the team are busy "
                           "writing the tool.",
                   "Choose a design in which checks run by themselves: tests instead of an approval.")
    verdict = _lint_verdict("09.1", pipeline, ("error",), "A bad change must not go straight to the users")
    if verdict is not None:
        return verdict
    from ..lint import lint

    if "WB101" in lint(pipeline).codes():
        return _no("09.1", "No unit tests run before the first deploy (lint WB101): every logic error that "
                           "compiles reaches the users.",
                   "Unit tests are the cheapest check there is; choose a design that runs them before the "
                   "image build.")
    runs = measured(pipeline)
    lead = median_lead_time(runs)
    if lead > LEAD_TIME_BOUND_09_1:
        return _no("09.1", f"A change takes {_hours(lead)} to reach the users (median lead time, averaged over "
                           f"seeds {', '.join(map(str, SEEDS_09))}); the team wants it within "
                           f"{format_duration(LEAD_TIME_BOUND_09_1)}.",
                   "Look at the lead time row of the comparison: which designs without a person stay "
                   "within two hours?")
    bold = measured(as_design("simple_but_bold"))
    incidents = sum(m.incidents for m in runs)
    return _ok("09.1", f"No person to wait for, unit tests before the image build, and a median lead time of "
                       f"{_hours(lead)}. Over the same commits the users met {incidents} defects, against "
                       f"{sum(m.incidents for m in bold)} with simple_but_bold.")


CHECKS["09.1"] = check_09_1


# --------------------------------------------------------------------------------------------
# 09.2: a payments service in twelve regions


def regions_09_2() -> list[str]:
    """The payments service's twelve regions: those of patterns.DEFAULT_WAVES."""
    from ..patterns import DEFAULT_WAVES

    return [region for wave in DEFAULT_WAVES for region in wave]


LEAD_TIME_BOUND_09_2 = 8 * 60  # minutes: a change pushed in the morning runs everywhere by the evening
EXPOSURE_SHARE_09_2 = 0.5  # at most half the exposure of one shared production
EXPECTS["09.2"] = "a pipeline for the payments team (e.g. patterns.phased_rollout(...) with your parameters)"


def check_09_2(answer: Any) -> Result:
    """All twelve regions, each once; no serious lint finding; median lead time within 8 hours; and
    at most half the exposure of one shared production (notebook 04's design) on the same commits."""
    pipeline = as_design(answer)
    verdict = _problems_verdict("09.2", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    wanted = regions_09_2()
    deployed = Counter(region for _, _, region in _production_deploys(pipeline))
    missing = [r for r in wanted if deployed[r] == 0]
    if missing:
        return _no("09.2", f"Customers in {_listed(missing)} get no release: the service runs in "
                           f"{len(wanted)} regions.",
                   "Deploy production to every region of patterns.DEFAULT_WAVES: "
                   "patterns.phased_rollout() does, wave by wave.")
    twice = sorted(r for r, n in deployed.items() if n > 1)
    if twice:
        return _no("09.2", f"{_listed(twice)} {'is' if len(twice) == 1 else 'are'} deployed more than once per "
                           "release.", "Put every region in exactly one wave.")
    verdict = _lint_verdict("09.2", pipeline, ("error", "warning"),
                            "The payments team accepts no serious lint finding")
    if verdict is not None:
        return verdict
    runs = measured(pipeline)
    lead = median_lead_time(runs)
    seeds = ", ".join(map(str, SEEDS_09))
    if lead > LEAD_TIME_BOUND_09_2:
        return _no("09.2", f"A change takes {_hours(lead)} to run in every region (median lead time, averaged "
                           f"over seeds {seeds}); the team wants it within {format_duration(LEAD_TIME_BOUND_09_2)}.",
                   "Every wave waits out its bake time before the next one starts: fewer waves or a shorter "
                   "bake shorten the lead time.")
    exposure = total_exposure(runs)
    single = total_exposure(measured(_one_production()))
    if exposure > EXPOSURE_SHARE_09_2 * single:
        return _no("09.2", f"Customers had defects live for {exposure:.1f} customer-hours over seeds {seeds}; "
                           f"the limit is half of what one shared production behind tests gives on the same "
                           f"commits ({single:.1f}), so at most {EXPOSURE_SHARE_09_2 * single:.1f}.",
                   "A small first wave, a bake long enough for the alarms to fire, and automatic rollback keep "
                   "a defect with the first wave's customers.")
    default = total_exposure(measured(as_design("phased_rollout")))
    return _ok("09.2", f"Every region once, no serious lint finding, a median lead time of {_hours(lead)}, and "
                       f"{exposure:.1f} customer-hours of exposure over seeds {seeds}, against {single:.1f} for "
                       f"one shared production (the default phased_rollout: {default:.1f}).")


CHECKS["09.2"] = check_09_2


# --------------------------------------------------------------------------------------------
# 09.3: a B2B product with one environment per customer

CUSTOMERS_09_3 = ("Rowan Clinics", "Atlas Freight", "Birchwood Schools", "Corvid Analytics", "Dune Energy",
                  "Elm Street Credit Union")
SPECIAL_09_3 = "Rowan Clinics"


def customers_09_3() -> list[str]:
    """The B2B team's customers, by name (Rowan Clinics is the one that approves its releases)."""
    return list(CUSTOMERS_09_3)


STARTING_POINTS["09.3"] = customers_09_3
EXPECTS["09.3"] = "a pipeline for the B2B team (e.g. patterns.per_customer(...) with your parameters)"


def check_09_3(answer: Any) -> Result:
    """An environment per customer, each deployed once; Rowan Clinics last and behind its own approval;
    its approvers notified and no lint errors; less exposure than one shared production."""
    pipeline = as_design(answer)
    verdict = _problems_verdict("09.3", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    names = _names(list(CUSTOMERS_09_3))
    special = {slug for slug, name in names.items() if name == SPECIAL_09_3}
    deploys = _customer_deploys(pipeline, set(names))
    if not deploys:
        return _no("09.3", "The pipeline deploys to none of the team's customers: each of them has an environment "
                           "of its own.",
                   "Build it with patterns.per_customer(customers=[...]) from the team's list.")
    verdict, _ = special_customer_release("09.3", pipeline, deploys, names, special, SPECIAL_09_3)
    if verdict is not None:
        return verdict
    verdict = _lint_verdict("09.3", pipeline, ("error",), "A release must not reach customers unchecked")
    if verdict is not None:
        return verdict
    from ..lint import lint

    if "WB301" in lint(pipeline).codes():
        return _no("09.3", f"Nobody at {SPECIAL_09_3} hears that a release waits for them (lint WB301): it waits "
                           "until someone happens to open the console, and so does everything behind it.",
                   "per_customer(..., approval_topic_arn=\"arn:aws:sns:us-east-1:123456789012:wb-approvals\") "
                   "sends each approval request to an SNS topic the approvers subscribe to.")
    runs = measured(pipeline)
    exposure = total_exposure(runs)
    single = total_exposure(measured(_one_production()))
    seeds = ", ".join(map(str, SEEDS_09))
    if exposure >= single:
        return _no("09.3", f"Customers had defects live for {exposure:.1f} customer-hours over seeds {seeds}, "
                           f"no less than one shared production behind tests gives on the same commits "
                           f"({single:.1f}): the waves buy nothing here.",
                   f"An approval holds its whole stage: while {SPECIAL_09_3} thinks, the customers in the same "
                   "wave get no revert either. Release the others in earlier waves (wave_sizes), so that only a "
                   "few share the last stage with the approval.")
    return _ok("09.3", f"Waves: {_wave_words(_waves(deploys))}. {SPECIAL_09_3} approves each release, notified, "
                       f"after everyone else has it; exposure {exposure:.1f} customer-hours over seeds {seeds}, "
                       f"against {single:.1f} for one shared production.")


CHECKS["09.3"] = check_09_3
