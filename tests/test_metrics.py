"""Metrics: streaming quantiles, lead time, deployments, change failure rate, time to restore,
exposure, compare(), and the direction of the story the notebooks tell.

Timelines use fixed durations and are worked out by hand in the comments; the story's claims are
checked on a fixed seed with wide margins (the smallest margin seen over seeds 0-7 is given with
each), never as exact figures.
"""

import math
import multiprocessing
import os
import random
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest
from matplotlib.figure import Figure

from pipeline_workbook import metrics, patterns
from pipeline_workbook.metrics import Comparison, Metrics, Quantiles, format_duration
from pipeline_workbook.model import PipelineError
from pipeline_workbook.simulate import Simulator
from pipeline_workbook.world import DefectProfile, Duration, World, load_durations

DAY = 24 * 60
ACTION_MINUTES = {"source": 1, "build": 5, "unit-tests": 2, "acceptance-tests": 5, "deploy": 5, "other": 1,
                  "self-update": 1}
# simple_but_bold: source 1 + image build 5 + deploy 5 = 11 minutes from commit to production
BOLD_PIPELINE_MINUTES = 11


def quiet_world(**timings: float) -> World:
    """Nothing arrives by itself; actions take ACTION_MINUTES, the given world timings are constant."""
    durations = {**load_durations(), **{key: Duration(value, value) for key, value in timings.items()}}
    return World(seed=3, fixed_durations=ACTION_MINUTES, durations=durations)


def push(sim: Simulator, world: World, at: float, kinds=()):
    commit = world.add_commit(at, defects=list(kinds))
    sim.start(revision=commit.number, at=at)
    return commit


# --------------------------------------------------------------------------------------------
# Quantiles


def exact_quantile(values: list[float], q: float) -> float:
    """The value of rank q * (n - 1) in sorted order (the rank Quantiles uses)."""
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


QS = [0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0]


def test_quantiles_of_one_to_ten_thousand_are_within_half_a_percent_and_the_mean_exact():
    values = list(range(1, 10_001))
    summary = Quantiles()
    for v in values:
        summary.add(v)
    assert summary.count == 10_000
    assert summary.mean == 5000.5
    assert summary.maximum == 10_000
    for q in QS:
        expected = exact_quantile(values, q)
        assert abs(summary.quantile(q) / expected - 1) <= Quantiles.RESOLUTION, q


def test_quantiles_of_lognormal_lead_times_are_within_half_a_percent():
    rng = random.Random(11)
    values = [rng.lognormvariate(math.log(60), 1.5) for _ in range(20_000)]
    summary = Quantiles()
    for v in values:
        summary.add(v)
    assert summary.mean == pytest.approx(sum(values) / len(values), rel=1e-12)
    for q in QS:
        expected = exact_quantile(values, q)
        assert abs(summary.quantile(q) / expected - 1) <= Quantiles.RESOLUTION, q


def test_quantiles_keep_fixed_memory_however_many_values():
    summary = Quantiles()
    rng = random.Random(2)
    for _ in range(50_000):
        summary.add(rng.uniform(1, 100))
    # log bins 0.5% wide: about ln(100) / ln(1.005) = 923 bins cover 1 to 100
    assert len(summary.bins) <= math.ceil(math.log(100) / math.log1p(Quantiles.RESOLUTION)) + 1


def test_empty_quantiles_say_none():
    assert Quantiles().quantile(0.5) is None
    assert Quantiles().mean is None


@pytest.mark.parametrize("minutes, text", [
    (None, "-"), (0, "0 min"), (45, "45 min"), (89, "89 min"), (90, "1.5 h"), (192, "3.2 h"),
    (2 * DAY - 1, "48.0 h"), (2 * DAY, "2.0 d"), (3024, "2.1 d"),
])
def test_format_duration(minutes, text):
    assert format_duration(minutes) == text


# --------------------------------------------------------------------------------------------
# Lead time and deployments


def test_lead_time_of_one_commit_is_the_pipelines_duration():
    world = quiet_world()
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    push(sim, world, 0)
    sim.run()
    result = world.metrics()
    assert result.commits_in_production == 1
    assert result.lead_time_mean == BOLD_PIPELINE_MINUTES
    assert result.lead_time_p50 == pytest.approx(BOLD_PIPELINE_MINUTES, rel=Quantiles.RESOLUTION)
    assert result.deployments == 1
    assert result.days == BOLD_PIPELINE_MINUTES / DAY
    assert result.deployments_per_day == pytest.approx(DAY / BOLD_PIPELINE_MINUTES)
    assert result.change_failure_rate == 0
    assert result.name == "wb-simple-but-bold"


def test_lead_time_includes_waiting_for_a_busy_stage():
    """Commits at 0 and 2. The first: Source 0-1, Build 1-6, Production 6-11. The second: Source
    2-3, waits for Build until 6, Build 6-11, Production 11-16. Lead times 11 and 14."""
    world = quiet_world()
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    push(sim, world, 0)
    push(sim, world, 2)
    sim.run()
    result = world.metrics()
    assert result.commits_in_production == 2
    assert result.lead_time_mean == (11 + 14) / 2
    assert result.deployments == 2


def test_a_superseded_execution_is_no_deployment_but_its_commit_ships_with_the_newer_one():
    """Commits at 0, 2 and 3. The second waits for Build (busy until 6); the third arrives at
    Build at 4 and supersedes it, then Build 6-11, Production 11-16. Two deployments; lead times
    11 (first), 16 - 2 = 14 and 16 - 3 = 13."""
    world = quiet_world()
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    for at in (0, 2, 3):
        push(sim, world, at)
    sim.run()
    result = world.metrics()
    assert result.deployments == 2
    assert result.executions == {"Succeeded": 2, "Superseded": 1}
    assert result.commits_in_production == 3
    assert result.lead_time_mean == pytest.approx((11 + 14 + 13) / 3, rel=1e-12)


def test_an_execution_that_fails_before_production_is_no_deployment():
    """A commit that breaks the build at 0: the image build fails at 6, the fix is pushed 30
    working minutes later, Monday 09:30 (570), and deployed at 581."""
    world = quiet_world(fix=30)
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    [defect] = push(sim, world, 0, ["build"]).defects
    sim.run()
    result = world.metrics()
    assert result.executions == {"Failed": 1, "Succeeded": 1}
    assert result.deployments == 1
    assert result.change_failure_rate == 0
    assert result.caught_where == {"Build.BuildImage": 1}
    assert world.commits[defect.fixed_by].time == 570
    assert result.lead_time_mean == ((581 - 0) + (581 - 570)) / 2


# --------------------------------------------------------------------------------------------
# Change failure rate, incidents, time to restore, exposure


def test_change_failure_rate_counts_the_deployment_that_brought_a_defect_to_customers():
    """simple_but_bold; the defect shows 20 minutes after it is live, the alarm fires 4 minutes
    later, the revert is pushed 15 minutes after that.

    good commit at 0: live at 11.
    bad commit (production defect) at 20: live at 31; alarm at 31 + 24 = 55.
    clean commit at 32, on top of the bad one: live at 43, still carrying the defect (no new failure).
    revert pushed at 55 + 15 = 70, live at 81.
    Four deployments, one failed: 25%. One incident, restored after 81 - 31 = 50 minutes.
    """
    world = quiet_world(alarm=4, shows_after=20, incident_response=15)
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    push(sim, world, 0)
    push(sim, world, 20, ["production"])
    push(sim, world, 32)
    sim.run()
    result = world.metrics()
    assert result.deployments == 4
    assert result.change_failure_rate == 1 / 4
    assert result.incidents == 1
    assert result.time_to_restore_mean == 50
    assert result.exposure == 50
    assert result.caught_where == {"production (alarm)": 1}
    assert result.row()["change failure rate"] == "25%"


@pytest.mark.parametrize("kind, shows_after, restore", [
    # integration defects hurt as soon as they are live: alarm 4 + response 15 + pipeline 11
    ("integration", 0, 4 + 15 + BOLD_PIPELINE_MINUTES),
    # production defects first need production traffic to show (20 minutes)
    ("production", 20, 20 + 4 + 15 + BOLD_PIPELINE_MINUTES),
])
def test_time_to_restore_of_one_incident_is_alarm_response_and_pipeline(kind, shows_after, restore):
    world = quiet_world(alarm=4, shows_after=20, incident_response=15)
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    push(sim, world, 0, [kind])
    sim.run()
    result = world.metrics()
    assert result.incidents == 1
    assert result.time_to_restore_mean == restore
    assert result.time_to_restore_p50 == pytest.approx(restore, rel=Quantiles.RESOLUTION)
    assert result.exposure == restore  # one target serving every customer
    assert result.change_failure_rate == 1 / 2  # the bad deployment and the revert


def test_metrics_of_a_run_without_deployments_say_so():
    world = quiet_world()
    sim = Simulator(patterns.simple_but_bold(), world, seed=3)
    result = world.metrics()
    assert result.deployments == 0 and result.change_failure_rate is None
    assert result.row()["change failure rate"] == "-" and result.row()["lead time p50"] == "-"
    assert sim.now == 0


# --------------------------------------------------------------------------------------------
# run() and compare()


def test_run_is_reproducible_with_a_seed_and_differs_with_another():
    pipeline = patterns.automated_acceptance()
    first = metrics.run(pipeline, commits=400, seed=5)
    again = metrics.run(pipeline, commits=400, seed=5)
    other = metrics.run(pipeline, commits=400, seed=6)
    assert isinstance(first, Metrics)
    assert first == again
    assert repr(first) == repr(again)
    assert first != other
    assert first.lead_time_mean != other.lead_time_mean


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return metrics.compare({"bold": patterns.simple_but_bold(), "phased": patterns.phased_rollout()},
                           commits=300, seed=3)


def test_compare_runs_every_design_and_tables_them_with_the_same_rows(comparison):
    assert isinstance(comparison, Comparison)
    assert list(comparison) == ["bold", "phased"]
    rows = comparison.table_rows()
    assert rows[0] == ["", "bold", "phased"]
    labels = [row[0] for row in rows[1:]]
    assert labels == list(comparison["bold"].row()) == list(comparison["phased"].row())
    for row in rows[1:]:
        assert row[1:] == [comparison["bold"].row()[row[0]], comparison["phased"].row()[row[0]]]
    text = repr(comparison)
    assert all(label in text for label in labels)
    assert text.splitlines()[0].split() == ["bold", "phased"]


def test_compare_gives_each_design_the_metrics_run_gives_it(comparison):
    assert comparison["bold"] == metrics.run(patterns.simple_but_bold(), commits=300, seed=3)


def test_compare_html_is_a_deterministic_table(comparison):
    html = comparison._repr_html_()
    assert html.startswith("<table>") and html.endswith("</table>")
    assert "<th>bold</th>" in html and "<th>phased</th>" in html
    assert html.count("<tr>") == len(comparison.table_rows())
    again = metrics.compare({"bold": patterns.simple_but_bold(), "phased": patterns.phased_rollout()},
                            commits=300, seed=3)
    assert again._repr_html_() == html


def test_compare_plots_five_panels_of_the_designs_figures(comparison):
    figure = comparison.plot()
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 5
    frequency_panel = figure.axes[1]
    assert [bar.get_width() for bar in frequency_panel.patches] == pytest.approx(
        [comparison["bold"].deployments_per_day, comparison["phased"].deployments_per_day])
    exposure_panel = figure.axes[4]
    assert "exposure" in exposure_panel.get_title()
    widths = [bar.get_width() for bar in exposure_panel.patches]
    assert widths == pytest.approx([comparison["bold"].exposure / 60, comparison["phased"].exposure / 60])
    lead_panel = figure.axes[0]
    assert [bar.get_width() for bar in lead_panel.patches] == pytest.approx(
        [comparison["bold"].lead_time_p50 / 60, comparison["phased"].lead_time_p50 / 60])


class CountingPool(ProcessPoolExecutor):
    """The real process pool, noting the start method of every pool compare() makes."""

    started: list[str] = []

    def __init__(self, *args, **kwargs):
        CountingPool.started.append(kwargs["mp_context"].get_start_method())
        super().__init__(*args, **kwargs)


@pytest.fixture
def pools(monkeypatch) -> list[str]:
    CountingPool.started = []
    monkeypatch.setattr(metrics, "ProcessPoolExecutor", CountingPool)
    return CountingPool.started


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_compare_in_worker_processes_gives_the_same_metrics_in_the_designs_order(start_method, pools,
                                                                                  monkeypatch):
    # phased_rollout is the biggest design, so it is sent to a worker first: the order of the
    # result must still be the order of the designs given
    monkeypatch.setattr(metrics, "_start_method", lambda: start_method)
    designs = {"bold": patterns.simple_but_bold(), "manual": patterns.manual_acceptance(),
               "phased": patterns.phased_rollout()}
    here = metrics.compare(designs, commits=300, seed=4, workers=1)
    assert pools == []
    apart = metrics.compare(designs, commits=300, seed=4, workers=2)
    assert pools == [start_method]
    assert list(apart) == ["bold", "manual", "phased"]
    assert apart == here
    assert repr(apart) == repr(here)
    assert multiprocessing.active_children() == []  # the workers are gone once compare() returns


def test_workers_are_forked_directly_only_from_a_process_with_one_thread():
    # a process forked from one with threads (a Jupyter kernel) can hang on a lock another thread held
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert metrics._start_method() == "forkserver"
    finally:
        release.set()
        other.join()
    if threading.active_count() == 1:
        assert metrics._start_method() == "fork"


def test_compare_chooses_processes_only_for_runs_big_enough_to_repay_them():
    cores = len(os.sched_getaffinity(0))
    assert metrics.worker_count(None, designs=7, commits=10_000) == min(7, cores)
    assert metrics.worker_count(None, designs=7, commits=metrics.PARALLEL_MIN_COMMITS - 1) == 1
    assert metrics.worker_count(None, designs=1, commits=10_000) == 1
    assert metrics.worker_count(8, designs=3, commits=10) == 3  # never more workers than designs
    assert metrics.worker_count(1, designs=7, commits=10_000) == 1


@pytest.mark.parametrize("workers", [0, -2, 1.5, True, "2"])
def test_compare_refuses_a_worker_count_that_is_not_a_whole_number_of_one_or_more(workers):
    with pytest.raises(ValueError, match=r"workers must be a whole number of at least 1"):
        metrics.compare({"bold": patterns.simple_but_bold()}, commits=10, workers=workers)


def test_without_forkserver_compare_stays_in_this_process_and_says_so_when_asked_for_more(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])  # as on Windows
    assert metrics.worker_count(None, designs=7, commits=10_000) == 1
    assert metrics.worker_count(1, designs=7, commits=10_000) == 1
    with pytest.raises(ValueError, match=f"needs the forkserver start method, which {sys.platform} does not "
                                         f"have; use workers=1"):
        metrics.worker_count(2, designs=7, commits=10_000)


def test_compare_refuses_a_world_since_every_design_needs_a_fresh_one():
    with pytest.raises(TypeError, match=r"fresh world for each design.*commits_per_day="):
        metrics.compare({"bold": patterns.simple_but_bold()}, commits=10, world=World(seed=1))


def test_an_invalid_design_fails_in_this_process_with_the_usual_error_before_any_worker_starts(pools):
    broken = patterns.simple_but_bold()
    broken.stages[1].name = broken.stages[0].name
    with pytest.raises(PipelineError, match=r"stages\[1\]\.name") as here:
        metrics.compare({"broken": broken}, commits=10, workers=1)
    with pytest.raises(PipelineError) as apart:
        metrics.compare({"bold": patterns.simple_but_bold(), "broken": broken}, commits=600, workers=2)
    assert str(apart.value) == str(here.value)
    assert pools == []


def test_an_error_inside_a_worker_reaches_the_caller(pools):
    designs = {"bold": patterns.simple_but_bold(), "units": patterns.with_unit_tests()}
    with pytest.raises(TypeError, match="no_such_option"):
        metrics.compare(designs, commits=600, workers=2, no_such_option=1)
    assert len(pools) == 1
    assert multiprocessing.active_children() == []


def test_an_empty_comparison_says_so():
    assert repr(Comparison()) == "(no designs)"
    assert Comparison()._repr_html_() == "<p>(no designs)</p>"


# --------------------------------------------------------------------------------------------
# The story: what the notebooks claim, on 2,000 commits of one seed


STORY_COMMITS = 2000
STORY_SEED = 1


@pytest.fixture(scope="module")
def story() -> dict[str, Metrics]:
    names = ("simple_but_bold", "manual_acceptance", "automated_acceptance", "phased_rollout")
    return {name: metrics.run(patterns.PATTERNS[name](), commits=STORY_COMMITS, seed=STORY_SEED,
                              defects=DefectProfile()) for name in names}


def test_phased_rollout_exposes_customers_far_less_than_automated_acceptance(story):
    # wave 1 serves 1/12 of customers and an alarm rolls it back; a defect that shows only under
    # traffic shows slowly in a small wave, so some pass the first bake: seeds 0-5 give 25% to 35%
    assert story["phased_rollout"].exposure < story["automated_acceptance"].exposure / 2


def test_automated_acceptance_has_fewer_incidents_than_simple_but_bold(story):
    # two test stages stop about half of the defects: seeds 0-7 give ratios 0.46 to 0.54
    assert story["automated_acceptance"].incidents < 0.75 * story["simple_but_bold"].incidents


def test_manual_acceptance_takes_far_longer_to_reach_production_than_automated(story):
    # a person answers in working hours: seeds 0-7 give 20 to 48 times the median lead time
    assert story["manual_acceptance"].lead_time_p50 > 5 * story["automated_acceptance"].lead_time_p50


def test_tests_catch_defects_before_production_and_bold_catches_only_broken_builds(story):
    bold = story["simple_but_bold"].caught_where
    assert set(bold) == {"Build.BuildImage", "production (alarm)"}
    careful = story["automated_acceptance"].caught_where
    assert careful["Build.UnitTests"] > 0 and careful["PreProduction.AcceptanceTests"] > 0
    assert careful["production (alarm)"] < 0.75 * bold["production (alarm)"]
