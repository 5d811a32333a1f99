"""Exercise checks of notebook 04: automated acceptance tests."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any, Callable

from .. import actions as a
from ..model import Pipeline
from .base import Result, WrongShape, _no, _ok, _problems_verdict, as_pipeline

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}

CONNECTION_ARN = ("arn:aws:codeconnections:us-east-1:123456789012:connection/"
                  "a1b2c3d4-5678-4abc-9def-0123456789ab")


# --------------------------------------------------------------------------------------------
# 04.1: put acceptance tests where they test what was just deployed


def no_acceptance_tests_04_1() -> Pipeline:
    """Unit tests, pre-production and production, but nothing tests the deployed service."""
    return a.pipeline("wb-no-acceptance-tests", [
        a.stage("Source", a.github_source(connection_arn=CONNECTION_ARN, repository="octo-org/hello-service")),
        a.stage("Build",
                a.codebuild_test("UnitTests", project="wb-unit-tests", inputs="SourceOutput",
                                 environment_variables={"TEST_SUITE": "unit"}, run_order=1),
                a.codebuild("BuildImage", project="wb-build-image", inputs="SourceOutput", outputs="BuildOutput",
                            run_order=2)),
        a.stage("PreProduction", a.codebuild(
            "Deploy", project="wb-deploy", inputs="BuildOutput",
            environment_variables={"DEPLOY_ENVIRONMENT": "preprod", "DEPLOY_REGION": "us-east-1"})),
        a.stage("Production", a.codebuild(
            "Deploy", project="wb-deploy", inputs="BuildOutput",
            environment_variables={"DEPLOY_ENVIRONMENT": "production", "DEPLOY_REGION": "us-east-1"})),
    ], pipeline_type="V2")


STARTING_POINTS["04.1"] = no_acceptance_tests_04_1
EXPECTS["04.1"] = "the pipeline with an acceptance test action that runs against pre-production"


def _roles(pipeline: Pipeline) -> list[tuple[int, int, str, Any]]:
    """(stage index, effective runOrder, action name, role) of every action, read as the simulator reads it."""
    from ..world import classify

    return [(si, act.effective_run_order, f"{stage.name}.{act.name}", classify(act, stage, pipeline))
            for si, stage, _, act in pipeline.iter_actions()]


def _integration_defect_caught_before_production(pipeline: Pipeline) -> tuple[bool, str]:
    """Run one commit with an integration defect that the acceptance tests (and only they) catch.

    Returns (caught before production, where it was caught).
    """
    from ..simulate import Simulator
    from ..world import DefectProfile, World

    profile = DefectProfile(rates={}, catch={"unit-tests": {}, "acceptance-tests": {"integration": 1.0}, "review": {}},
                            flaky_test_rate=0.0)
    world = World(seed=0, defects=profile, approver="person")
    sim = Simulator(pipeline, world=world, seed=0, record=False)
    sim.run_until(9 * 60)
    commit = world.add_commit(sim.now, defects=["integration"], message="Call the new pricing service")
    sim.start(revision=commit.number)
    sim.run()
    defect = commit.defects[0]
    where = defect.detected_where or "nowhere"
    return defect.detected_at is not None and not where.startswith("production"), where


def check_04_1(answer: Any) -> Result:
    """An acceptance test after the pre-production deploy and before production; it stops an integration defect."""
    pipeline = as_pipeline(answer)
    start = no_acceptance_tests_04_1()
    kinds = lambda p: Counter((f"{stage.name}.{act.name}", act.category, act.provider)
                              for _, stage, _, act in p.iter_actions())
    missing = kinds(start) - kinds(pipeline)
    if missing:
        lost = ", ".join(sorted(name for name, _, _ in missing.elements()))
        return _no("04.1", f"An action of the starting pipeline is gone or renamed: {lost}.",
                   "Start from answer = start.copy() and only add an action (and, if you like, a stage).")
    roles = _roles(pipeline)
    tests = [(si, order, name) for si, order, name, role in roles if role.kind == "acceptance-tests"]
    if not tests:
        return _no("04.1", "No action in the pipeline runs acceptance tests.",
                   'Add a CodeBuild test action, e.g. a.codebuild_test("AcceptanceTests", '
                   'project="wb-acceptance-tests", inputs="SourceOutput", '
                   'environment_variables={"TEST_SUITE": "acceptance"}, run_order=...).')
    verdict = _problems_verdict("04.1", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    preprod = [(si, order, name) for si, order, name, role in roles if role.kind == "deploy" and not role.production]
    production = [(si, order, name) for si, order, name, role in roles if role.kind == "deploy" and role.production]
    if not preprod or not production:
        return _no("04.1", "The pipeline no longer deploys to both pre-production and production.",
                   "Keep PreProduction.Deploy and Production.Deploy as they were.")
    deployed, first_live = preprod[0], production[0]
    placed = []
    for test in tests:
        si, order, name = test
        if (si, order) == deployed[:2]:
            return _no("04.1", f"{name} has the same runOrder as {deployed[2]}, so both start together: the tests "
                               "run against the version already in pre-production, not the one being deployed.",
                       f"Give {name.split('.')[-1]} a larger runOrder than the deploy (e.g. 2), so it starts when "
                       "the deploy has finished.")
        if (si, order) < deployed[:2]:
            return _no("04.1", f"{name} runs before {deployed[2]}, so it tests the version already in pre-production.",
                       "Acceptance tests need the new version running: put them after the pre-production deploy "
                       "(a larger runOrder in the same stage, or a stage of their own after it).")
        if (si, order) >= first_live[:2]:
            return _no("04.1", f"{name} runs after {first_live[2]} starts, so customers get a change before the "
                               "tests have looked at it.",
                       "Move the tests before the production deploy: into PreProduction after its deploy, or into "
                       "a stage between PreProduction and Production.")
        placed.append(name)
    caught, where = _integration_defect_caught_before_production(pipeline)
    if not caught:
        return _no("04.1", f"In the simulator, an integration defect that acceptance tests catch was found in {where}, "
                           "not before production.",
                   "Check that the acceptance test action runs in every execution between the two deploys.")
    return _ok("04.1", f"{', '.join(placed)} runs after {deployed[2]} and before {first_live[2]}. In the "
                       f"simulator an integration defect stopped at {where}, before any customer saw it.")


CHECKS["04.1"] = check_04_1


# --------------------------------------------------------------------------------------------
# 04.2: does keeping the person make it safer? (read from the notebook's comparison)

COMMITS_04_2 = 1000  # the notebook's comparison runs the designs on these commits
SEED_04_2 = 2
NAMES_04_2 = ("automated", "automated + approval")
QUESTIONS_04_2 = ("shorter lead time", "smaller exposure")


def designs_04_2() -> dict[str, Pipeline]:
    """The two automated designs the exercise compares, by the names the answer uses."""
    from ..patterns import automated_acceptance

    return {"automated": automated_acceptance(),
            "automated + approval": automated_acceptance(keep_manual_approval=True)}


STARTING_POINTS["04.2"] = designs_04_2
EXPECTS["04.2"] = ('a dict {"shorter lead time": name, "smaller exposure": name}, each name "automated" or '
                   '"automated + approval"')


@lru_cache(maxsize=1)
def _comparison_04_2():
    from ..metrics import compare

    return compare(designs_04_2(), commits=COMMITS_04_2, seed=SEED_04_2)


def _design_name(value: Any) -> str | None:
    text = " ".join(str(value).lower().replace("_", " ").replace("-", " ").split())
    text = text.replace("automated acceptance", "automated").replace(" with ", " + ").replace(" and ", " + ")
    text = text.replace("+approval", "+ approval")
    return text if text in NAMES_04_2 else None


def _hours(minutes: float | None) -> str:
    return "-" if minutes is None else f"{minutes / 60:.1f} h"


def check_04_2(answer: Any) -> Result:
    """Which automated design has the shorter median lead time, and which the smaller exposure."""
    if not isinstance(answer, dict):
        raise WrongShape(f"The answer is a {type(answer).__name__}; this exercise asks for a dict.",
                         'Answer with {"shorter lead time": "...", "smaller exposure": "..."}.')
    keys = {" ".join(str(k).lower().replace("_", " ").split()): v for k, v in answer.items()}
    missing = [q for q in QUESTIONS_04_2 if q not in keys]
    if missing:
        return _no("04.2", f"The dict has no {missing[0]!r} key.",
                   'Use the two keys "shorter lead time" and "smaller exposure".')
    chosen = {q: _design_name(keys[q]) for q in QUESTIONS_04_2}
    for question, name in chosen.items():
        if name is None:
            return _no("04.2", f"{keys[question]!r} (for {question!r}) is not one of the two designs.",
                       'Name a design as the comparison does: "automated" or "automated + approval".')
    comparison = _comparison_04_2()
    lead = {name: comparison[name].lead_time_p50 for name in NAMES_04_2}
    exposure = {name: comparison[name].exposure for name in NAMES_04_2}
    right = {"shorter lead time": min(NAMES_04_2, key=lambda n: lead[n]),
             "smaller exposure": min(NAMES_04_2, key=lambda n: exposure[n])}
    figures = (f"median lead time {_hours(lead['automated'])} without the approval, "
               f"{_hours(lead['automated + approval'])} with it; exposure {exposure['automated'] / 60:.1f} and "
               f"{exposure['automated + approval'] / 60:.1f} customer-hours")
    wrong = [q for q in QUESTIONS_04_2 if chosen[q] != right[q]]
    if not wrong:
        moral = (" The approval does not make customers safer: a revert has to pass the approval too, often "
                 "behind a change still waiting for an answer, so a defect that slips through stays live "
                 "longer." if right["smaller exposure"] == "automated" else "")
        return _ok("04.2", f"On the same {COMMITS_04_2} commits: {figures}.{moral}")
    question = wrong[0]
    return _no("04.2", f"{chosen[question]!r} is not the design with the {question}.",
               "In the comparison table (metrics.compare(designs, commits="
               f"{COMMITS_04_2}, seed={SEED_04_2})), compare the columns 'automated' and 'automated + approval' "
               "in the rows 'lead time p50' and 'exposure (customer-hours)'.")


CHECKS["04.2"] = check_04_2


# --------------------------------------------------------------------------------------------
# 04.3: which kinds of defect can acceptance tests against pre-production catch?

KINDS_04_3 = ("unit", "integration", "production", "regional")
WHY_04_3 = {
    "unit": "a logic error shows in pre-production too, so the acceptance tests catch some of those the unit "
            "tests missed",
    "integration": "an integration defect shows once the service talks to its real dependencies, which it does in "
                   "pre-production",
    "production": "a production-only defect needs production's traffic, data or configuration, which "
                  "pre-production does not have",
    "regional": "a regional defect shows only in some production regions, and pre-production is not one of them",
}
EXPECTS["04.3"] = 'the kinds acceptance tests can catch, as a set, e.g. {"unit"}'


def _catchable_04_3() -> set[str]:
    """The kinds the world's acceptance tests catch with a chance above zero (data/durations.json)."""
    from ..world import DefectProfile

    table = DefectProfile().catch.get("acceptance-tests", {})
    return {kind for kind in KINDS_04_3 if table.get(kind, 0.0) > 0}


def check_04_3(answer: Any) -> Result:
    """The defect kinds acceptance tests against pre-production can catch."""
    items = [answer] if isinstance(answer, str) else list(answer)
    chosen = {" ".join(str(item).lower().split()) for item in items}
    unknown = sorted(chosen - set(KINDS_04_3))
    if unknown:
        return _no("04.3", f"{unknown[0]!r} is not one of the kinds; they are {', '.join(KINDS_04_3)}.",
                   'Answer with kinds as strings, e.g. {"unit", "regional"}.')
    right = _catchable_04_3()
    if chosen == right:
        return _ok("04.3", "; ".join(f"{kind}: {WHY_04_3[kind]}" for kind in KINDS_04_3) + ".")
    first = sorted(chosen ^ right, key=KINDS_04_3.index)[0]
    if first in chosen:
        return _no("04.3", f"Acceptance tests never catch a {first} defect.",
                   f"Where does a {first} defect show itself, and is pre-production such a place?")
    return _no("04.3", f"You left out {first}.", f"Can a {first} defect show itself in pre-production?")


CHECKS["04.3"] = check_04_3
