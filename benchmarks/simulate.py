"""How fast is the engine, compared with what a user would write instead (a plain SimPy model)?

For every pattern of patterns.PATTERNS, runs the same stream of commits (fixed seed) through the
engine (metrics.run) and through the SimPy model of benchmarks/simpy_model.py, and prints:
- the time of each (best of --repeat runs, time.perf_counter) per pattern and in total, and the ratio;
- where the time goes: both drive the same World, whose own code is a share of every run;
- the headline metrics of both side by side, with their relative difference (the target: within 2%);
- the engine's peak memory (tracemalloc) for phased_rollout at N and 10 x N commits;
- all seven patterns through one metrics.compare(), as a notebook asks for them, in one process
  and on every core (the target: under 1 second in total for 10,000 commits on 2 cores).

    .venv/bin/python benchmarks/simulate.py              # 10,000 commits per pattern
    .venv/bin/python benchmarks/simulate.py --quick      # 1,000 commits, for a fast look
    .venv/bin/python benchmarks/simulate.py --commits 3000 --repeat 3

Known difference: Simulator.run() (and so metrics.run) does not wait for approval timeouts, even
when the world's reviewer would answer only after the timeout; the SimPy model lets the timeout
happen, as CodePipeline does. When that happens near the end of a run, the engine leaves the last
executions in progress and their commits uncounted (tests/test_simpy_model.py shows that the two
agree once the engine's clock is let run to such timeouts).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import simpy_model  # noqa: E402  (benchmarks/simpy_model.py, next to this file)

from pipeline_workbook import metrics, patterns  # noqa: E402
from pipeline_workbook.metrics import Metrics  # noqa: E402
from pipeline_workbook.world import DefectProfile, World  # noqa: E402

TARGET_RATIO = 20.0
TARGET_DIFFERENCE = 0.02
TARGET_TOTAL_SECONDS = 1.0
TARGET_COMMITS = 10_000
MEMORY_PATTERN = "phased_rollout"

# (label, how to read it from Metrics, how to show it)
HEADLINE = (
    ("lead time mean (min)", lambda m: m.lead_time_mean, "{:.1f}"),
    ("lead time p50 (min)", lambda m: m.lead_time_p50, "{:.1f}"),
    ("deployments", lambda m: m.deployments, "{:d}"),
    ("change failure rate", lambda m: m.change_failure_rate, "{:.4f}"),
    ("incidents", lambda m: m.incidents, "{:d}"),
    ("time to restore mean (min)", lambda m: m.time_to_restore_mean, "{:.1f}"),
    ("exposure (customer-min)", lambda m: m.exposure, "{:.1f}"),
)

ENGINES: dict[str, Callable[..., Metrics]] = {"engine": metrics.run, "SimPy": simpy_model.run}


@dataclass
class Timed:
    seconds: float
    metrics: Metrics


def best_of(repeat: int, run: Callable[[], Metrics]) -> Timed:
    """The fastest of `repeat` runs (the runs are deterministic, so their metrics are the same)."""
    best = None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - started
        if best is None or seconds < best.seconds:
            best = Timed(seconds, result)
    return best


def relative_difference(engine: Any, other: Any) -> float | None:
    if engine is None or other is None:
        return None if engine is None and other is None else float("inf")
    if engine == other:
        return 0.0
    return abs(other - engine) / abs(engine) if engine else float("inf")


# --------------------------------------------------------------------------------------------
# Where the time goes: the World's own code, apart from the engine's (or the model's)


class WorldStopwatch:
    """Exclusive time spent in the World's code, not counting engine code it calls back.

    Wraps the hooks on one World instance (and the callbacks it schedules, and the engine methods
    it calls back) so that every switch between world and engine notes the time. The wrapping
    costs a little, so the figures are estimates.
    """

    HOOKS = ("bind", "action_outcome", "approval", "entry_rule_fails", "first_alarm", "action_done",
             "execution_finished", "execution_resumed", "pipeline_updated", "latest_revision",
             "_commit_arrives", "_alarm_fires", "_fix_arrives")
    CALLBACKS = ("_start", "schedule", "start", "update_pipeline")

    def __init__(self) -> None:
        self.world_seconds = 0.0
        self._in_world: list[bool] = []
        self._since = 0.0

    def _enter(self, world: bool) -> None:
        now = time.perf_counter()
        if self._in_world and self._in_world[-1]:
            self.world_seconds += now - self._since
        self._in_world.append(world)
        self._since = now

    def _leave(self) -> None:
        now = time.perf_counter()
        if self._in_world.pop():
            self.world_seconds += now - self._since
        self._since = now

    def _wrap(self, fn: Callable, world: bool) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._enter(world)
            try:
                return fn(*args, **kwargs)
            finally:
                self._leave()
        return timed

    def watch(self, world: World) -> World:
        for name in self.HOOKS:
            setattr(world, name, self._wrap(getattr(world, name), world=True))
        bind = world.bind

        def bind_and_watch(sim: Any) -> None:
            for name in self.CALLBACKS:
                if hasattr(sim, name):
                    setattr(sim, name, self._wrap(getattr(sim, name), world=False))
            bind(sim)

        world.bind = bind_and_watch
        return world


def world_share(run: Callable[..., Metrics], pipeline_factory: Callable, commits: int,
                seed: int) -> tuple[float, float]:
    """(total seconds, seconds in the World's code) of one instrumented run."""
    stopwatch = WorldStopwatch()
    world = stopwatch.watch(World(seed=seed, commits=commits, defects=DefectProfile(), approver="person"))
    gc.collect()
    started = time.perf_counter()
    run(pipeline_factory(), world=world)
    return time.perf_counter() - started, stopwatch.world_seconds


# --------------------------------------------------------------------------------------------
# All patterns at once, as compare() runs them


def time_compare(commits: int, seed: int, repeat: int) -> dict[int, float]:
    """Best wall-clock seconds of metrics.compare() over every pattern, with 1 and 2 worker processes."""
    designs = {name: factory() for name, factory in patterns.PATTERNS.items()}
    seconds = {}
    for workers in (1, 2):
        def compare_all() -> Any:
            return metrics.compare(designs, commits=commits, seed=seed, workers=workers)
        seconds[workers] = best_of(repeat, compare_all).seconds
    return seconds


# --------------------------------------------------------------------------------------------
# Memory


def engine_peak_memory(pattern: str, commits: int, seed: int) -> float:
    """Peak bytes allocated (tracemalloc) while the engine runs `commits` commits through a pattern."""
    pipeline = patterns.PATTERNS[pattern]()
    gc.collect()
    tracemalloc.start()
    try:
        metrics.run(pipeline, commits=commits, seed=seed)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


# --------------------------------------------------------------------------------------------
# The report


def print_timings(results: dict[str, dict[str, Timed]]) -> float:
    print(f"{'pattern':22} {'engine s':>9} {'SimPy s':>9} {'ratio':>7}")
    totals = {name: 0.0 for name in ENGINES}
    for pattern, timed in results.items():
        for name in ENGINES:
            totals[name] += timed[name].seconds
        ratio = timed["SimPy"].seconds / timed["engine"].seconds
        print(f"{pattern:22} {timed['engine'].seconds:9.2f} {timed['SimPy'].seconds:9.2f} {ratio:6.1f}x")
    ratio = totals["SimPy"] / totals["engine"]
    print(f"{'total':22} {totals['engine']:9.2f} {totals['SimPy']:9.2f} {ratio:6.1f}x")
    return ratio


def print_world_share(shares: dict[str, dict[str, tuple[float, float]]]) -> None:
    print(f"{'pattern':22} {'engine: world / own s':>22} {'SimPy: world / own s':>22} {'own ratio':>10} "
          f"{'best possible':>14}")
    for pattern, share in shares.items():
        (engine_total, engine_world), (simpy_total, simpy_world) = share["engine"], share["SimPy"]
        engine_own, simpy_own = engine_total - engine_world, simpy_total - simpy_world
        ceiling = simpy_total / engine_world  # an engine taking no time at all
        print(f"{pattern:22} {engine_world:10.2f} / {engine_own:<9.2f} {simpy_world:10.2f} / {simpy_own:<9.2f} "
              f"{simpy_own / engine_own:9.1f}x {ceiling:13.1f}x")
    print("own = the run minus the World's code; best possible = SimPy's run / the World's share of the "
          "engine's (an engine taking no time)")


def print_metrics(results: dict[str, dict[str, Timed]]) -> float:
    worst = 0.0
    print(f"{'pattern':22} {'metric':28} {'engine':>12} {'SimPy':>12} {'difference':>11}")
    for pattern, timed in results.items():
        for label, read, fmt in HEADLINE:
            a, b = read(timed["engine"].metrics), read(timed["SimPy"].metrics)
            diff = relative_difference(a, b)
            worst = max(worst, diff if diff is not None else 0.0)
            shown = "-" if diff is None else f"{diff:.2%}"
            print(f"{pattern:22} {label:28} {_show(a, fmt):>12} {_show(b, fmt):>12} {shown:>11}")
            pattern = ""
    return worst


def _show(value: Any, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=10_000, help="commits per pattern (default 10000)")
    parser.add_argument("--quick", action="store_true", help="1000 commits per pattern, for a fast look")
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement; the best counts (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="the World's seed (default 0)")
    args = parser.parse_args(argv)
    commits = 1_000 if args.quick else args.commits
    repeat = max(2, args.repeat)

    print(f"Engine (metrics.run) vs a plain SimPy model (benchmarks/simpy_model.py): {commits} commits per "
          f"pattern, seed {args.seed}, best of {repeat} runs, Python {sys.version.split()[0]}\n")
    results: dict[str, dict[str, Timed]] = {}
    for pattern, factory in patterns.PATTERNS.items():
        results[pattern] = {name: best_of(repeat, lambda run=run: run(factory(), commits=commits, seed=args.seed))
                            for name, run in ENGINES.items()}
    ratio = print_timings(results)

    print("\nWhere the time goes (one instrumented run per pattern; estimates):")
    shares = {pattern: {name: world_share(run, factory, commits, args.seed) for name, run in ENGINES.items()}
              for pattern, factory in patterns.PATTERNS.items()}
    print_world_share(shares)

    print("\nHeadline metrics, engine vs SimPy model (difference relative to the engine):")
    worst = print_metrics(results)

    print(f"\nPeak memory of the engine (tracemalloc), {MEMORY_PATTERN}:")
    for n in (commits, 10 * commits):
        peak = engine_peak_memory(MEMORY_PATTERN, n, args.seed)
        print(f"  {n:>7} commits: {peak / 2**20:6.1f} MiB")

    print(f"\nAll {len(patterns.PATTERNS)} patterns through one metrics.compare(), {commits} commits each:")
    by_workers = time_compare(commits, args.seed, repeat)
    for workers, seconds in by_workers.items():
        print(f"  {workers} worker process{'es' if workers > 1 else '':2} {seconds:6.2f} s")
    fastest = min(by_workers.values())

    print(f"\nTarget: {TARGET_COMMITS} commits through every pattern in under {TARGET_TOTAL_SECONDS:g} s in total "
          f"on 2 cores (this machine has {len(os.sched_getaffinity(0))}).")
    verdict = ("met" if fastest < TARGET_TOTAL_SECONDS else "NOT met") if commits == TARGET_COMMITS \
        else f"not measured: this run had {commits} commits"
    print(f"  total: {fastest:.2f} s ({verdict})")
    print(f"\nTarget: at least {TARGET_RATIO:g}x faster than the SimPy model with metrics within "
          f"{TARGET_DIFFERENCE:.0%}.")
    print(f"  speed: {ratio:.1f}x in total ({'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    print(f"  metrics: largest difference {worst:.2%} ({'met' if worst <= TARGET_DIFFERENCE else 'NOT met'})")


if __name__ == "__main__":
    main()
