"""The world model: durations, working hours, commits and their defects, what checks catch, what
a deploy exposes, and what role each action plays.

Statistical tests use a fixed seed and a tolerance derived from the sampling error (4 standard
deviations unless said otherwise), so they are deterministic and would still pass on another seed.
Timelines use fixed durations and are worked out by hand in the comments.
"""

import json
import math
import random
from pathlib import Path
from statistics import NormalDist

import pytest

from pipeline_workbook import actions as a
from pipeline_workbook import metrics
from pipeline_workbook import patterns
from pipeline_workbook.model import Pipeline
from pipeline_workbook.simulate import Simulator
from pipeline_workbook.world import (
    QUANTILE_TABLE_SIZE,
    keyed_uniform,
    is_production,
    DEFECT_KINDS,
    Defect,
    DefectProfile,
    Duration,
    Role,
    World,
    WorkingHours,
    classify,
    combine,
    cron_matches,
    load_data,
    load_durations,
    load_region_weights,
    variable_check_passes,
)

FIXTURES = Path(__file__).parent / "fixtures" / "pipelines"
DAY = 24 * 60
MONDAY_9 = 9 * 60
Z90 = NormalDist().inv_cdf(0.9)  # 1.2816: the p90 of a standard normal

# Every action takes a whole number of minutes, so timelines can be worked out by hand.
ACTION_MINUTES = {"source": 1, "build": 5, "unit-tests": 2, "acceptance-tests": 5, "deploy": 5, "other": 1,
                  "self-update": 1}


def constant_world_timings(**minutes: float) -> dict[str, Duration]:
    """The data's durations with some made constant (a Duration whose p90 is its median)."""
    return {**load_durations(), **{key: Duration(value, value) for key, value in minutes.items()}}


def quiet_world(seed: int = 3, profile: DefectProfile | None = None, **timings: float) -> World:
    """A world where nothing arrives by itself, actions take ACTION_MINUTES and the given world
    timings (alarm, shows_after, incident_response, fix, review) are constant."""
    return World(seed=seed, defects=profile, fixed_durations=ACTION_MINUTES,
                 durations=constant_world_timings(**timings))


def run_commit(sim: Simulator, world: World, at: float, kinds: list[str]):
    """Push a commit carrying `kinds` at minute `at` and start the pipeline on it."""
    commit = world.add_commit(at, defects=kinds)
    sim.start(revision=commit.number, at=at)
    return commit


def lognormal_sigma(d: Duration) -> float:
    return math.log(d.p90 / d.median) / Z90 if d.p90 > d.median else 0.0


def binomial_tolerance(p: float, n: int, sigmas: float = 4.0) -> float:
    return sigmas * math.sqrt(p * (1 - p) / n)


# --------------------------------------------------------------------------------------------
# Durations


DRAWS = 200_000


@pytest.mark.parametrize("role", sorted(load_durations()))
def test_keyed_draws_have_the_median_and_p90_of_their_role(role):
    """200,000 draws by key: the sample median and p90 match load_durations() within 4 standard errors.

    The standard error of a sample quantile q of a lognormal, in log space, is
    sigma * sqrt(q(1-q)) / (phi(z_q) sqrt(n)): 1.25 sigma / sqrt(n) for the median, 1.71 sigma /
    sqrt(n) for the p90. For the widest role (shows_after, sigma 1.94) 4 of them are 2.2% and 3.0%.
    """
    duration = load_durations()[role]
    # as the world draws: a keyed uniform number picks one of the role's 4096 quantiles
    table = duration.quantiles(QUANTILE_TABLE_SIZE)
    values = sorted(table[int(keyed_uniform(20, 1, key) * len(table))] for key in range(DRAWS))
    sigma = lognormal_sigma(duration)
    normal = NormalDist()
    for q, expected in ((0.5, duration.median), (0.9, duration.p90)):
        z = normal.inv_cdf(q)
        log_error = sigma * math.sqrt(q * (1 - q)) / (normal.pdf(z) * math.sqrt(DRAWS))
        measured = values[int(q * DRAWS)]
        assert abs(math.log(measured / expected)) <= 4 * log_error + 1e-12, (role, q, measured, expected)


def test_the_quantile_table_of_five_is_p10_p30_median_p70_p90():
    # quantiles(5) are the values at (i + 0.5) / 5 = 0.1, 0.3, 0.5, 0.7, 0.9; for a lognormal
    # p10 = median^2 / p90 and p30 * p70 = median^2.
    table = Duration(10.0, 20.0).quantiles(5)
    assert table[2] == pytest.approx(10.0, rel=1e-12)
    assert table[4] == pytest.approx(20.0, rel=1e-12)
    assert table[0] == pytest.approx(10.0 ** 2 / 20.0, rel=1e-12)
    assert table[1] * table[3] == pytest.approx(100.0, rel=1e-12)
    assert list(table) == sorted(table)


def test_the_quantile_table_holds_the_distribution_and_its_mean():
    duration = Duration(8.0, 20.0)
    table = duration.quantiles(4096)
    assert len(table) == 4096 and list(table) == sorted(table)
    assert (table[2047] + table[2048]) / 2 == pytest.approx(8.0, rel=1e-3)
    # 4096 equally likely values have nearly the lognormal mean (median * exp(sigma^2 / 2))
    sigma = math.log(20.0 / 8.0) / Z90
    assert duration.mean == pytest.approx(8.0 * math.exp(sigma ** 2 / 2), rel=1e-12)
    assert sum(table) / len(table) == pytest.approx(duration.mean, rel=1e-3)


def test_a_duration_without_spread_is_constant():
    assert set(Duration(7.5, 7.5).quantiles(16)) == {7.5}
    assert Duration(7.5, 7.5).mean == 7.5


def test_combine_adds_medians_and_adds_spreads_in_quadrature():
    # medians 1 + 3 = 4; spreads (p90 - median) 1 and 2 give sqrt(1 + 4)
    total = combine(Duration(1.0, 2.0), Duration(3.0, 5.0))
    assert total.median == 4.0
    assert total.p90 == pytest.approx(4.0 + math.sqrt(5.0), rel=1e-12)
    assert combine(Duration(2.0, 3.0)) == Duration(2.0, 3.0)
    assert combine(Duration(2.0, 2.0), Duration(3.0, 3.0)) == Duration(5.0, 5.0)


def test_codebuild_actions_are_composed_of_queue_phases_and_their_own_work():
    steps = load_data()["actions"]
    step = {name: Duration(entry["median"], entry["p90"]) for name, entry in steps.items()
            if entry.get("dist") == "lognormal"}
    codebuild = (step["codebuild_queue_and_provisioning"], step["codebuild_fixed_phases"])
    durations = load_durations()
    assert durations["build"] == combine(*codebuild, step["docker_build_with_cache"], step["ecr_push"])
    assert durations["unit-tests"] == combine(*codebuild, step["unit_tests_small_service"])
    assert durations["deploy"] == combine(*codebuild, step["ecs_rolling_update_default"])
    # a uniform entry keeps its median and p90: the alarm fires 3 to 5 minutes after a bad deploy
    assert durations["alarm"].median == pytest.approx(4.0) and durations["alarm"].p90 == pytest.approx(4.8)


def test_fixed_durations_are_exact_by_role_and_by_action_name():
    world = World(seed=1, fixed_durations={**ACTION_MINUTES, "BuildImage": 7.25})
    sim = Simulator(patterns.simple_but_bold(), world, seed=1)
    for at in (0, 100, 200):
        run_commit(sim, world, at, [])
    sim.run()
    taken = {}
    for detail in sim.action_executions():
        minutes = (detail["lastUpdateTime"] - detail["startTime"]).total_seconds() / 60
        taken.setdefault(detail["actionName"], set()).add(minutes)
    assert taken == {"Source": {1.0}, "BuildImage": {7.25}, "Deploy": {5.0}}


def test_action_durations_in_a_run_come_from_their_roles_distribution():
    """400 executions: the median BuildImage and Deploy times are those of "build" and "deploy"
    within 4 standard errors of a sample median (1.25 sigma / sqrt(n) in log space, 12% for build)."""
    world = World(seed=4, commits=400, commits_per_day=40)
    sim = Simulator(patterns.simple_but_bold(), world, seed=4)
    sim.run()
    taken = {}
    for detail in sim.action_executions():
        if detail["status"] == "Succeeded":
            minutes = (detail["lastUpdateTime"] - detail["startTime"]).total_seconds() / 60
            taken.setdefault(detail["actionName"], []).append(minutes)
    for action, role in (("BuildImage", "build"), ("Deploy", "deploy")):
        values = sorted(taken[action])
        expected = load_durations()[role]
        tolerance = 4 * 1.2533 * lognormal_sigma(expected) / math.sqrt(len(values))
        assert abs(math.log(values[len(values) // 2] / expected.median)) <= tolerance, action


def test_world_timings_follow_fixed_durations_too():
    """fixed_durations={"alarm": 4, "incident_response": 15} should fix the alarm and the response
    as it fixes action durations (tests/test_simulate.py passes "alarm" there too).

    Timeline (simple_but_bold, integration defect, commit at 0): live at 1 + 5 + 5 = 11, alarm
    at 11 + 4 = 15, revert pushed at 15 + 15 = 30, revert live at 30 + 11 = 41: 30 minutes.
    """
    world = World(seed=3, fixed_durations={**ACTION_MINUTES, "alarm": 4, "incident_response": 15})
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    commit = run_commit(sim, world, 0, ["integration"])
    sim.run()
    [defect] = commit.defects
    assert defect.detected_at == 15
    assert defect.exposure == 30


# --------------------------------------------------------------------------------------------
# Working hours and commits


def test_office_hours_come_from_the_data_monday_to_friday_nine_to_five():
    hours = WorkingHours.from_data()
    assert (hours.start, hours.end, hours.days) == (9, 17, (0, 1, 2, 3, 4))
    assert hours.minutes_per_day == 8 * 60


@pytest.mark.parametrize("minute, is_open", [
    (MONDAY_9 - 0.01, False), (MONDAY_9, True), (17 * 60 - 0.01, True), (17 * 60, False),
    (4 * DAY + 12 * 60, True),   # Friday noon
    (5 * DAY + 12 * 60, False),  # Saturday noon
    (6 * DAY + 12 * 60, False),  # Sunday noon
    (7 * DAY + 12 * 60, True),   # the next Monday noon
])
def test_is_open_on_weekdays_from_nine_to_five(minute, is_open):
    assert WorkingHours.from_data().is_open(minute) is is_open


@pytest.mark.parametrize("start, work, done", [
    (10 * 60, 60, 11 * 60),                        # Monday 10:00 + 1 h = Monday 11:00
    (0, 0, MONDAY_9),                              # nothing to do before opening: done when it opens
    (MONDAY_9, 8 * 60, 17 * 60),                   # a whole day ends at closing time
    (MONDAY_9, 8 * 60 + 1, DAY + MONDAY_9 + 1),    # one more minute: Tuesday 09:01
    (16 * 60 + 30, 60, DAY + MONDAY_9 + 30),       # Monday 16:30 + 1 h = Tuesday 09:30
    (20 * 60, 10, DAY + MONDAY_9 + 10),            # Monday 20:00 + 10 min = Tuesday 09:10
    (4 * DAY + 16 * 60, 120, 7 * DAY + 10 * 60),   # Friday 16:00 + 2 h = next Monday 10:00
    (5 * DAY + 12 * 60, 10, 7 * DAY + MONDAY_9 + 10),  # Saturday noon + 10 min = Monday 09:10
    (0, 5 * 8 * 60, 4 * DAY + 17 * 60),            # a working week from Monday 00:00: Friday 17:00
    (0, 5 * 8 * 60 + 1, 7 * DAY + MONDAY_9 + 1),   # and one minute more: next Monday 09:01
])
def test_adding_working_time_skips_nights_and_weekends(start, work, done):
    assert WorkingHours.from_data().add(start, work) == done


def test_adding_working_time_spends_exactly_the_open_minutes():
    """200 random whole-minute cases: the open minutes between start and the result are the work."""
    hours = WorkingHours.from_data()
    rng = random.Random(5)
    for _ in range(200):
        start = rng.randrange(0, 14 * DAY)
        work = rng.randrange(1, 3 * 8 * 60)
        done = hours.add(start, work)
        assert sum(1 for minute in range(start, int(done)) if hours.is_open(minute)) == work
        assert hours.is_open(done - 1)


def open_minutes_before(t: float, hours: WorkingHours) -> float:
    """How many working minutes there are between minute 0 and minute t."""
    whole_days = int(t // DAY)
    total = sum(hours.minutes_per_day for day in range(whole_days) if day % 7 in hours.days)
    if whole_days % 7 in hours.days:
        into_day = t - whole_days * DAY
        total += min(max(into_day, hours.start * 60), hours.end * 60) - hours.start * 60
    return total


@pytest.mark.parametrize("per_day", [12.0, 30.0])
def test_commits_arrive_in_working_hours_at_commits_per_day(per_day):
    """3,000 commits: each arrives in working hours, and commits per working day match the rate.

    The n-th arrival comes after n exponential gaps of working time, so the measured rate has a
    relative standard deviation of 1/sqrt(n) (1.8%); the tolerance is 4 of them (7.3%).
    """
    hours = WorkingHours.from_data()
    world = World(seed=8, commits=3000, commits_per_day=per_day)
    Simulator(patterns.simple_but_bold(), world, seed=8).run()
    times = sorted(commit.time for commit in world.commits.values())
    assert len(times) == 3000
    assert all(hours.is_open(t) for t in times)
    measured = len(times) / open_minutes_before(times[-1], hours) * hours.minutes_per_day
    assert abs(measured / per_day - 1) <= 4 / math.sqrt(len(times))


def test_commits_counts_the_commits_that_arrive_on_their_own_not_the_fixes():
    """World(commits=300): 300 commits arrive on their own (the World docstring); reverts and fixes
    of caught defects come on top."""
    world = World(seed=4, commits=300, defects=DefectProfile())
    Simulator(patterns.automated_acceptance(), world, seed=4).run()
    fixes = [c for c in world.commits.values() if c.fixes]
    arrived = [c for c in world.commits.values() if not c.fixes]
    assert fixes  # defects were caught and fixed
    assert len(arrived) == 300


@pytest.mark.parametrize("pipeline_change_rate", [0.0, 0.05])
def test_designs_run_on_the_same_seed_see_the_same_commits(pipeline_change_rate):
    """compare() promises every design the same stream of commits: when they arrive and which
    defects they carry must not depend on how many fixes a design needed along the way."""

    def arrived(pattern):
        world = World(seed=4, commits=200, defects=DefectProfile(), approver="person",
                      pipeline_change_rate=pipeline_change_rate)
        Simulator(pattern(), world, seed=4).run()
        return [(c.time, [d.kind for d in c.defects], c.changes_pipeline)
                for c in world.commits.values() if not c.fixes]

    bold, careful = arrived(patterns.simple_but_bold), arrived(patterns.automated_acceptance)
    shared = min(len(bold), len(careful))
    assert shared > 100
    assert bold[:shared] == careful[:shared]


# --------------------------------------------------------------------------------------------
# Defects: how often commits carry them, and which checks would catch them


def test_share_of_commits_carrying_each_kind_matches_its_rate():
    """20,000 commits with the data's profile; each kind's share within 4 binomial standard deviations."""
    profile = DefectProfile()
    assert set(profile.rates) == set(DEFECT_KINDS)
    world = World(seed=6, defects=profile)
    commits = [world.add_commit(float(i)) for i in range(20_000)]
    for kind, rate in profile.rates.items():
        share = sum(1 for c in commits if any(d.kind == kind for d in c.defects)) / len(commits)
        assert abs(share - rate) <= binomial_tolerance(rate, len(commits)), kind
    assert world.stats.defects == {kind: sum(1 for c in commits for d in c.defects if d.kind == kind)
                                   for kind in profile.rates}


def test_each_check_would_catch_each_kind_at_the_profiles_rate():
    """Half of 12,000 commits carry each kind (about 6,000 defects of each); the share a check
    would catch matches profile.catch within 4 binomial standard deviations (at most 2.6%)."""
    profile = DefectProfile(rates={kind: 0.5 for kind in DEFECT_KINDS})
    world = World(seed=7, defects=profile)
    defects = [d for i in range(12_000) for d in world.add_commit(float(i)).defects]
    assert set(profile.catch) == {"unit-tests", "acceptance-tests", "review"}
    for check, table in profile.catch.items():
        for kind in DEFECT_KINDS:
            of_kind = [d for d in defects if d.kind == kind]
            p = table.get(kind, 0.0)
            share = sum(1 for d in of_kind if d.caught_by[check]) / len(of_kind)
            assert abs(share - p) <= binomial_tolerance(p, len(of_kind)), (check, kind)


def test_the_data_calibrates_unit_tests_to_catch_three_quarters_of_unit_defects():
    profile = DefectProfile()
    assert profile.catch["unit-tests"] == {"unit": 0.75}
    assert profile.catch["acceptance-tests"] == {"unit": 0.35, "integration": 0.5}
    assert sum(rate for kind, rate in profile.rates.items() if kind != "build") == pytest.approx(0.20)


def test_an_unknown_defect_kind_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="build, unit, integration, production, regional"):
        World(seed=1).add_commit(0, defects=["typo"])


def test_regional_defects_show_in_a_quarter_of_the_pipelines_regions():
    pipeline = patterns.phased_rollout()
    world = World(seed=9)
    Simulator(pipeline, world, seed=9)
    regions = {region for _, region in world.targets}
    assert len(regions) == 12
    for i in range(50):
        [defect] = world.add_commit(float(i), defects=["regional"]).defects
        assert len(defect.regions) == round(12 * DefectProfile().regional_share) == 3
        assert defect.regions <= regions
        shown = {r for r in regions if defect.shows_in(("production", r), production=True)}
        assert shown == defect.regions
        assert not defect.shows_in(("preprod", sorted(defect.regions)[0]), production=False)


@pytest.mark.parametrize("kind, in_preprod, in_production", [
    ("build", False, False), ("unit", True, True), ("integration", True, True),
    ("production", False, True),
])
def test_where_a_defect_shows(kind, in_preprod, in_production):
    defect = Defect(number=1, commit=0, kind=kind, caught_by={})
    assert defect.shows_in(("preprod", "us-east-1"), production=False) is in_preprod
    assert defect.shows_in(("production", "us-east-1"), production=True) is in_production


DETECTION_COMMITS = 4000


def detection_run(pattern, kind: str, seed: int) -> metrics.Metrics:
    """A run where 40% of commits carry one kind of defect and tests are never flaky."""
    profile = DefectProfile(rates={kind: 0.4}, flaky_test_rate=0.0)
    return metrics.run(pattern(), commits=DETECTION_COMMITS, seed=seed, defects=profile)


def test_unit_tests_catch_unit_defects_at_the_profiles_rate_and_the_rest_reach_production():
    run = detection_run(patterns.with_unit_tests, "unit", seed=2)
    found = run.defects["unit"]
    caught = run.caught_where["Build.UnitTests"]
    assert caught + run.caught_where["production (alarm)"] == found  # every defect is found somewhere
    p = DefectProfile().catch["unit-tests"]["unit"]
    assert abs(caught / found - p) <= binomial_tolerance(p, found)


def test_acceptance_tests_catch_what_unit_tests_missed_at_the_profiles_rate():
    profile = DefectProfile()
    unit = detection_run(patterns.automated_acceptance, "unit", seed=2)
    missed_by_unit_tests = unit.defects["unit"] - unit.caught_where["Build.UnitTests"]
    p = profile.catch["acceptance-tests"]["unit"]
    caught = unit.caught_where["PreProduction.AcceptanceTests"]
    assert caught + unit.caught_where["production (alarm)"] == missed_by_unit_tests
    assert abs(caught / missed_by_unit_tests - p) <= binomial_tolerance(p, missed_by_unit_tests)

    integration = detection_run(patterns.automated_acceptance, "integration", seed=3)
    p = profile.catch["acceptance-tests"]["integration"]
    found = integration.defects["integration"]
    caught = integration.caught_where["PreProduction.AcceptanceTests"]
    assert "Build.UnitTests" not in integration.caught_where  # unit tests never catch integration defects
    assert abs(caught / found - p) <= binomial_tolerance(p, found)


def test_a_reviewer_catches_integration_defects_at_the_profiles_rate():
    run = detection_run(patterns.manual_acceptance, "integration", seed=4)
    p = DefectProfile().catch["review"]["integration"]
    found = run.defects["integration"]
    caught = run.caught_where.get("Approval.Approve (review)", 0)
    assert abs(caught / found - p) <= binomial_tolerance(p, found)


def test_a_caught_defect_is_fixed_by_a_later_commit_that_no_longer_carries_it():
    """with_unit_tests, a unit defect the unit tests always catch, fixing takes 30 working minutes.

    Commit at Monday 09:00 (540): source 1, unit tests 2: caught at 543; the fix is pushed at
    543 + 30 = 573 and deployed at 573 + 1 + 2 (unit tests) + 5 (image) + 5 (deploy) = 586.
    """
    profile = DefectProfile(catch={"unit-tests": {"unit": 1.0}}, flaky_test_rate=0.0)
    world = quiet_world(profile=profile, fix=30)
    sim = Simulator(patterns.with_unit_tests(), world, seed=3)
    commit = run_commit(sim, world, MONDAY_9, ["unit"])
    sim.run_until(580)
    [defect] = commit.defects
    assert (defect.detected_at, defect.detected_where) == (543, "Build.UnitTests")
    fix = world.commits[defect.fixed_by]
    assert fix.number > commit.number and fix.time == 573 and fix.fixes == [defect]
    assert world.defects_in(commit.number) == (defect,)
    assert world.defects_in(fix.number) == ()
    sim.run()
    assert defect.live == 0 and defect.exposure == 0  # it never reached customers
    assert world.metrics().lead_time_mean == ((586 - 540) + (586 - 573)) / 2


def test_a_defect_caught_late_in_the_day_is_fixed_the_next_morning():
    """Caught at Monday 16:43 (1003): 17 working minutes are left that day, 13 more on Tuesday
    morning: the fix is pushed at Tuesday 09:13 (1440 + 553)."""
    profile = DefectProfile(catch={"unit-tests": {"unit": 1.0}}, flaky_test_rate=0.0)
    world = quiet_world(profile=profile, fix=30)
    sim = Simulator(patterns.with_unit_tests(), world, seed=3)
    [defect] = run_commit(sim, world, 1000, ["unit"]).defects
    sim.run()
    assert defect.detected_at == 1003
    assert world.commits[defect.fixed_by].time == DAY + 553


# --------------------------------------------------------------------------------------------
# Exposure: the share of customers a defect reached, times the minutes it was live


def test_exposure_of_a_production_defect_on_one_target_is_the_minutes_it_was_live():
    """simple_but_bold, one production target (all customers), commit at minute 0 (Monday night).

    Live when the deploy ends at 1 + 5 + 5 = 11; it shows after 20 minutes and the alarm fires 4
    minutes later (35); the revert is pushed 15 minutes later, at any hour (50), and is live at
    50 + 11 = 61. Exposure 1.0 x (61 - 11) = 50 customer-minutes.
    """
    world = quiet_world(alarm=4, shows_after=20, incident_response=15)
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    assert world.targets == {("production", "us-east-1"): 1.0}
    [defect] = run_commit(sim, world, 0, ["production"]).defects
    sim.run()
    assert defect.first_live == 11
    assert (defect.detected_at, defect.detected_where) == (35, "production (alarm)")
    assert world.commits[defect.fixed_by].time == 50
    assert defect.exposure == 50
    assert defect.live == 0
    assert world.metrics().exposure == 50


def test_exposure_so_far_counts_a_live_defect_once_however_often_it_is_asked():
    world = quiet_world(alarm=4, shows_after=20, incident_response=15)
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    run_commit(sim, world, 0, ["production"])
    sim.run_until(30)  # live since 11, not yet noticed
    assert world.metrics().exposure == 19
    assert world.metrics().exposure == 19
    sim.run()
    assert world.metrics().exposure == 50


def test_phased_rollout_regions_share_all_customers_by_their_traffic_weight():
    world = World(seed=1)
    Simulator(patterns.phased_rollout(), world, seed=1)
    regions = [r for wave in patterns.DEFAULT_WAVES for r in wave]
    weights = load_region_weights()
    total = sum(weights.get(r, 1.0) for r in regions)
    assert world.targets == {("production", r): pytest.approx(weights.get(r, 1.0) / total) for r in regions}
    assert sum(world.targets.values()) == pytest.approx(1.0)


def test_a_defect_rolled_back_in_wave_one_exposes_only_wave_ones_customers():
    """phased_rollout over the default 12 regions (wave 1: ca-central-1), 60-minute bake.

    A good commit first, so that wave 1 has something to roll back to. The bad commit's wave-1
    deploy ends at t; the defect, which would show after 1.5 minutes of all the traffic, shows after
    18 minutes in a region serving a twelfth of it; the alarm fires 4 minutes after that (t + 22),
    during the bake: the onSuccess condition rolls Wave1 back, a 5-minute redeploy of the good
    revision (t + 27). Exposure: wave 1's share x 27 minutes; no other region saw it.
    """
    world = quiet_world(alarm=4, shows_after=1.5, incident_response=120)
    sim = Simulator(patterns.phased_rollout(), world, seed=3)
    run_commit(sim, world, 0, [])
    sim.run()
    [defect] = run_commit(sim, world, sim.now, ["production"]).defects
    sim.run()
    wave_one = ("production", patterns.DEFAULT_WAVES[0][0])
    share = world.targets[wave_one]
    live_at = defect.first_live
    assert share == pytest.approx(1 / 12)
    assert defect.detected_at == pytest.approx(live_at + 4 + 1.5 * 12)
    assert defect.exposure == pytest.approx(share * 27, rel=1e-9)
    metrics_now = world.metrics()
    assert metrics_now.exposure == pytest.approx(share * 27, rel=1e-9)
    assert metrics_now.time_to_restore_mean == pytest.approx(27, rel=1e-9)
    rollbacks = [e for e in sim.executions() if e["executionType"] == "ROLLBACK"]
    assert len(rollbacks) == 1 and rollbacks[0]["status"] == "Succeeded"


# --------------------------------------------------------------------------------------------
# Roles


REGION = patterns.REGION
SOURCE, BUILD_IMAGE, UNIT_TESTS = Role("source"), Role("build"), Role("unit-tests")
PRODUCTION = Role("deploy", "production", REGION, production=True)
PREPROD = Role("deploy", "preprod", REGION)
ACCEPTANCE = Role("acceptance-tests", "preprod")


def roles_of(pipeline: Pipeline) -> dict[tuple[str, str], Role]:
    return {(stage.name, action.name): classify(action, stage, pipeline)
            for _, stage, _, action in pipeline.iter_actions()}


def phased_roles() -> dict:
    waves = {(f"Wave{n}", f"Deploy-{r}"): Role("deploy", "production", r, production=True)
             for n, wave in enumerate(patterns.DEFAULT_WAVES, 1) for r in wave}
    return {("Source", "Source"): SOURCE, ("Build", "UnitTests"): UNIT_TESTS, ("Build", "BuildImage"): BUILD_IMAGE,
            ("PreProduction", "Deploy"): PREPROD, ("PreProduction", "AcceptanceTests"): ACCEPTANCE, **waves}


def per_customer_roles() -> dict:
    # default waves (1, 5, rest): Acme; the next five; Granite with Halcyon (pinned last, with approval)
    slugs = [patterns.as_customer(c).slug for c in patterns.DEFAULT_CUSTOMERS]
    wave_of = {slug: 1 if i == 0 else 2 if i <= 5 else 3 for i, slug in enumerate(slugs)}
    customers = {(f"Wave{wave_of[s]}", f"Deploy-{s}"): Role("deploy", f"customer-{s}", REGION, production=True) for s in slugs}
    return {("Source", "Source"): SOURCE, ("Build", "UnitTests"): UNIT_TESTS, ("Build", "BuildImage"): BUILD_IMAGE,
            ("PreProduction", "Deploy"): PREPROD, ("PreProduction", "AcceptanceTests"): ACCEPTANCE,
            ("Wave3", "Approve-halcyon-public-services"): Role("approval"), **customers}


EXPECTED_ROLES = {
    "simple_but_bold": lambda: {
        ("Source", "Source"): SOURCE, ("Build", "BuildImage"): BUILD_IMAGE, ("Production", "Deploy"): PRODUCTION},
    "with_unit_tests": lambda: {
        ("Source", "Source"): SOURCE, ("Build", "UnitTests"): UNIT_TESTS, ("Build", "BuildImage"): BUILD_IMAGE,
        ("Production", "Deploy"): PRODUCTION},
    "manual_acceptance": lambda: {
        ("Source", "Source"): SOURCE, ("Build", "UnitTests"): UNIT_TESTS, ("Build", "BuildImage"): BUILD_IMAGE,
        ("PreProduction", "Deploy"): PREPROD, ("Approval", "Approve"): Role("approval"),
        ("Production", "Deploy"): PRODUCTION},
    "automated_acceptance": lambda: {
        ("Source", "Source"): SOURCE, ("Build", "UnitTests"): UNIT_TESTS, ("Build", "BuildImage"): BUILD_IMAGE,
        ("PreProduction", "Deploy"): PREPROD, ("PreProduction", "AcceptanceTests"): ACCEPTANCE,
        ("Production", "Deploy"): PRODUCTION},
    "phased_rollout": phased_roles,
    "per_customer": per_customer_roles,
    "self_updating": lambda: {
        ("Source", "Source"): SOURCE, ("Build", "UnitTests"): UNIT_TESTS, ("Build", "BuildImage"): BUILD_IMAGE,
        ("PreProduction", "Deploy"): PREPROD, ("PreProduction", "AcceptanceTests"): ACCEPTANCE,
        ("Production", "Deploy"): PRODUCTION, ("UpdatePipeline", "SelfMutate"): Role("self-update")},
}


@pytest.mark.parametrize("name", sorted(patterns.PATTERNS))
def test_every_action_of_every_pattern_has_its_role(name):
    assert set(EXPECTED_ROLES) == set(patterns.PATTERNS)
    assert roles_of(patterns.PATTERNS[name]()) == EXPECTED_ROLES[name]()


def test_pattern_variants_keep_their_roles():
    kept = roles_of(patterns.automated_acceptance(keep_manual_approval=True))
    assert kept[("Approval", "Approve")] == Role("approval")
    assert kept[("PreProduction", "AcceptanceTests")] == ACCEPTANCE
    safe = roles_of(patterns.self_updating(safe=True))
    assert safe[("UpdatePipeline", "SelfMutate")] == Role("self-update")


def test_production_means_customers_are_served():
    assert PRODUCTION.production and PRODUCTION.target == ("production", REGION)
    assert is_production("customer-acme") and is_production("orders-api-production")
    assert not is_production("orders-preprod") and not is_production("orders-service")
    assert not PREPROD.production
    assert not ACCEPTANCE.production and ACCEPTANCE.target is None


def fixture_pipeline(file_name: str) -> Pipeline:
    return Pipeline.from_api(json.loads((FIXTURES / file_name).read_text()))


def fixture_role(file_name: str, action_name: str, pipeline_stack: str | None = None) -> Role:
    pipeline = fixture_pipeline(file_name)
    for _, stage, _, action in pipeline.iter_actions():
        if action.name == action_name:
            return classify(action, stage, pipeline, pipeline_stack)
    raise KeyError(action_name)


@pytest.mark.parametrize("file_name, action, kind", [
    ("get-cross-region-artifactstores.json", "Source", "source"),
    ("cli-ecr-ecs-blue-green.json", "Image", "source"),
    ("get-changeset-stepfunctions.json", "Schemas", "source"),
    ("bare-cross-account-kms.json", "UnitTests", "unit-tests"),
    ("bare-cross-account-kms.json", "Package", "build"),
    ("cli-jenkins-custom-actions.json", "JenkinsBuild", "build"),
    ("get-v2-stage-conditions.json", "IntegrationTests", "acceptance-tests"),
    ("cli-cfn-test-stack-and-change-sets.json", "IntegrationTests", "acceptance-tests"),
    ("bare-serverless-invokes.json", "SmokeTest", "acceptance-tests"),
    ("bare-thirdparty-test-s3-deploy.json", "UiSmokeTests", "acceptance-tests"),
    ("get-codecommit-cfn-namespaces.json", "ApproveRelease", "approval"),
    ("bare-serverless-invokes.json", "ReplaySampleOrders", "other"),
    ("get-v2-parallel-s3-lambda.json", "InvalidateCache", "other"),
    ("get-v2-stage-conditions.json", "DeployBeta", "deploy"),
    ("get-github-v1-codedeploy.json", "DeployToStaging", "deploy"),
])
def test_imported_actions_have_the_role_their_provider_and_names_say(file_name, action, kind):
    role = fixture_role(file_name, action)
    assert role.kind == kind
    assert not role.production  # none of these serves customers


def test_an_imported_stack_of_the_pipeline_itself_is_a_self_update():
    pipeline = a.pipeline("team-service", [
        a.stage("Source", a.codecommit_source(repository="team-service", output="Src")),
        a.stage("Deploy", a.cloudformation_deploy(
            "DeployPipelineStack", stack="team-service-cicd", template="Src::pipeline.yaml",
            role_arn="arn:aws:iam::123456789012:role/cfn")),
    ])
    stage = pipeline.stages[1]
    action = stage.actions[0]
    assert classify(action, stage, pipeline, pipeline_stack="team-service-cicd") == Role("self-update")
    assert classify(action, stage, pipeline).kind == "deploy"


@pytest.mark.parametrize("file_name, action", [
    ("get-v2-stage-conditions.json", "DeployProduction"),          # stack payments-service-production
    ("get-codecommit-cfn-namespaces.json", "DeployProductionStack"),  # stack orders-api-production
    ("get-github-v1-codedeploy.json", "DeployToFleet"),            # group legacy-webapp-production
    ("bare-serverless-invokes.json", "DeployProd"),                # stack orders-serverless-prod
    ("cli-jenkins-custom-actions.json", "DeployToBeanstalk"),      # environment legacy-monolith-prod
])
def test_imported_deploys_to_production_serve_customers(file_name, action):
    role = fixture_role(file_name, action)
    assert role.kind == "deploy"
    assert role.production, role


def test_an_imported_pipeline_deploys_to_customers_in_the_simulator():
    run = metrics.run(fixture_pipeline("get-v2-stage-conditions.json"), commits=100, seed=1)
    assert run.deployments > 0
    assert run.commits_in_production > 0


@pytest.mark.parametrize("file_name, action, deploys", [
    ("cli-cfn-test-stack-and-change-sets.json", "CreateChangeSet", False),  # CHANGE_SET_REPLACE
    ("cli-cfn-test-stack-and-change-sets.json", "DeleteTestStack", False),  # DELETE_ONLY
    ("cli-cfn-test-stack-and-change-sets.json", "ExecuteChangeSet", True),  # CHANGE_SET_EXECUTE
    ("get-changeset-stepfunctions.json", "CreateChangeSet", False),
    ("get-changeset-stepfunctions.json", "ExecuteChangeSet", True),
])
def test_only_cloudformation_actions_that_change_a_stack_deploy_the_revision(file_name, action, deploys):
    """CHANGE_SET_REPLACE (re)creates a change set without executing it and DELETE_ONLY removes the
    stack (reference, CloudFormation action modes): neither puts the revision in front of anyone."""
    assert (fixture_role(file_name, action).kind == "deploy") is deploys


# --------------------------------------------------------------------------------------------
# Stage condition rules: deployment windows and variable checks


WINDOW = "0 0 9-16 ? * MON-FRI *"  # AWS's example shape: weekdays 09:00-16:59


@pytest.mark.parametrize("expression, minute, matches", [
    (WINDOW, 10 * 60, True),                     # Monday 10:00
    (WINDOW, 9 * 60 - 1, False),                 # Monday 08:59
    (WINDOW, 17 * 60 - 1, True),                 # Monday 16:59
    (WINDOW, 17 * 60, False),                    # Monday 17:00
    (WINDOW, 5 * DAY + 10 * 60, False),          # Saturday 10:00
    ("0 0 * ? * 1 *", 6 * DAY + 10 * 60, True),  # day-of-week 1 is Sunday
    ("0 0 * ? * 1 *", 10 * 60, False),
    ("0 0 * ? * 2 *", 10 * 60, True),            # 2 is Monday
    ("0 0 0/6 * * ? *", 6 * 60, True),           # every sixth hour from midnight
    ("0 0 0/6 * * ? *", 7 * 60, False),
    ("0 0 1/10 * * ? *", 11 * 60, True),         # 1/10: the 1st, 11th and 21st hour (EventBridge's example)
    ("0 0 1/10 * * ? *", 10 * 60, False),
    ("0 0 * ? JAN *", 0, True),                  # minute 0 is Monday 5 January 2026
    ("0 0 * ? FEB *", 0, False),
    ("0 0 * ? FEB *", 27 * DAY, True),           # 1 February
    ("0 0 * 5 * ? *", 0, True),                  # day-of-month 5
    ("0 0 * 5 * ? *", DAY, False),
    ("0 0 * * * ? 2027", 0, False),
    ("0 0 9-16 ? * MON-FRI", 10 * 60, True),     # the year may be left out
])
def test_deployment_window_cron(expression, minute, matches):
    assert cron_matches(expression, minute) is matches


def test_a_cron_with_the_wrong_number_of_fields_is_refused_with_an_example():
    with pytest.raises(ValueError, match="6 or 7 fields"):
        cron_matches("0 9-16 * * MON-FRI", 600)


@pytest.mark.parametrize("operator, value, passes", [
    ("EQ", "prod", True), ("EQ", "beta", False), ("NE", "beta", True), ("NE", "prod", False),
    ("CONTAINS", "ro", True), ("CONTAINS", "x", False), ("MATCHES", "^p.o", True), ("MATCHES", "^r", False),
])
def test_variable_check_compares_a_pipeline_variable(operator, value, passes):
    rule = {"Variable": "#{variables.TARGET}", "Operator": operator, "Value": value}
    assert variable_check_passes(rule, {"TARGET": "prod"}) is passes


def test_variable_check_reads_a_missing_variable_as_empty_and_a_literal_as_itself():
    assert variable_check_passes({"Variable": "#{variables.NOPE}", "Operator": "EQ", "Value": ""}, {})
    assert variable_check_passes({"Variable": "release-1", "Operator": "CONTAINS", "Value": "release"}, {})
    with pytest.raises(ValueError, match="EQ, NE, CONTAINS or MATCHES"):
        variable_check_passes({"Variable": "x", "Operator": "GT", "Value": "1"}, {})
