"""What a pipeline design buys and costs, in numbers: lead time, deployment frequency, change
failure rate, time to restore, defects caught per stage, and customer exposure.

The world (world.py) feeds a `RunStats` as the simulation runs; everything is streamed into
fixed-size summaries so memory stays flat however many commits flow through. `compare()` runs
several designs on the same stream of commits (on every CPU core for long runs) and gives a
table and a plot.
"""

from __future__ import annotations

import html
import math
import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

MINUTES_PER_DAY = 24 * 60


class Quantiles:
    """Streaming count, mean and quantiles of positive values in fixed memory (log-scale bins).

    Values are binned with a relative width of 0.5%, so a quantile is exact to within 0.5%;
    the mean is exact.
    """

    RESOLUTION = 0.005

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.maximum = 0.0
        self.bins: dict[int, int] = {}
        self._log_step = math.log1p(self.RESOLUTION)

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value > self.maximum:
            self.maximum = value
        key = -1 if value <= 0.01 else int(math.log(value / 0.01) / self._log_step)
        self.bins[key] = self.bins.get(key, 0) + 1

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def quantile(self, q: float) -> float | None:
        if not self.count:
            return None
        rank = q * (self.count - 1)
        seen = 0
        for key in sorted(self.bins):
            seen += self.bins[key]
            if seen > rank:
                if key < 0:
                    return 0.0
                low = 0.01 * math.exp(key * self._log_step)
                return min(low * (1 + self.RESOLUTION / 2), self.maximum)
        return self.maximum


@dataclass
class RunStats:
    """Running totals the world keeps while a simulation runs."""

    commits: int = 0        # changes pushed (the stream's and yours)
    fix_commits: int = 0    # fixes and reverts of defects found
    deployments: int = 0
    failed_deployments: int = 0
    exposure: float = 0.0
    lead_time: Quantiles = field(default_factory=Quantiles)
    restore_time: Quantiles = field(default_factory=Quantiles)
    executions: dict[str, int] = field(default_factory=dict)
    defects: dict[str, int] = field(default_factory=dict)
    caught_where: dict[str, int] = field(default_factory=dict)
    incidents: int = 0
    last_activity: float = 0.0  # the last commit or execution end: what the figures per day count to
    _open_incidents: dict[int, float] = field(default_factory=dict)
    _pending_exposure: float = 0.0

    def caught(self, defect: Any, where: str) -> None:
        self.caught_where[where] = self.caught_where.get(where, 0) + 1

    def incident_started(self, defect: Any, now: float) -> None:
        """A defect went live for customers: an incident, counted once per defect however often
        it comes back (for instance redeployed by a newer execution after a rollback)."""
        if defect.number not in self._open_incidents:
            self._open_incidents[defect.number] = now
            if not defect.reached_customers:
                defect.reached_customers = True
                self.incidents += 1

    def incident_ended(self, defect: Any, now: float) -> None:
        started = self._open_incidents.pop(defect.number, None)
        if started is not None:
            self.restore_time.add(now - started)

    @property
    def open_incidents(self) -> int:
        return len(self._open_incidents)

    def pending_exposure(self, amount: float) -> None:
        self._pending_exposure += amount

    def clear_pending(self) -> None:
        self._pending_exposure = 0.0


@dataclass
class Metrics:
    """The figures of one run. Times are in minutes; exposure in customer-minutes: the share
    of customers who had a defect live, times how many minutes it was live."""

    name: str | None
    days: float
    commits: int
    fix_commits: int
    deployments: int
    deployments_per_day: float
    lead_time_p50: float | None
    lead_time_p90: float | None
    lead_time_mean: float | None
    commits_in_production: int
    change_failure_rate: float | None
    incidents: int
    time_to_restore_mean: float | None
    time_to_restore_p50: float | None
    exposure: float
    defects: dict[str, int]
    caught_where: dict[str, int]
    executions: dict[str, int]

    @classmethod
    def from_stats(cls, stats: RunStats, now: float, name: str | None = None) -> "Metrics":
        # figures per day count to the last thing that happened, not to the last event processed
        # (an alarm for a defect already gone can come days later and change nothing)
        span = stats.last_activity or now
        days = span / MINUTES_PER_DAY if span else 0.0
        return cls(
            name=name,
            days=days,
            commits=stats.commits,
            fix_commits=stats.fix_commits,
            deployments=stats.deployments,
            deployments_per_day=stats.deployments / days if days else 0.0,
            lead_time_p50=stats.lead_time.quantile(0.5),
            lead_time_p90=stats.lead_time.quantile(0.9),
            lead_time_mean=stats.lead_time.mean,
            commits_in_production=stats.lead_time.count,
            change_failure_rate=stats.failed_deployments / stats.deployments if stats.deployments else None,
            incidents=stats.incidents,
            time_to_restore_mean=stats.restore_time.mean,
            time_to_restore_p50=stats.restore_time.quantile(0.5),
            exposure=stats.exposure + stats._pending_exposure,
            defects=dict(sorted(stats.defects.items())),
            caught_where=dict(sorted(stats.caught_where.items(), key=lambda kv: (-kv[1], kv[0]))),
            executions=dict(sorted(stats.executions.items())),
        )

    def row(self) -> dict[str, str]:
        """The headline figures as display strings, in a fixed order."""
        return {
            "lead time p50": format_duration(self.lead_time_p50),
            "lead time p90": format_duration(self.lead_time_p90),
            "deploys/day": f"{self.deployments_per_day:.1f}",
            "change failure rate": "-" if self.change_failure_rate is None else f"{self.change_failure_rate:.0%}",
            "incidents": str(self.incidents),
            "time to restore": format_duration(self.time_to_restore_mean),
            "exposure (customer-hours)": f"{self.exposure / 60:.1f}",
            "caught before production": str(sum(v for k, v in self.caught_where.items()
                                                if not k.startswith("production"))),
        }

    def __repr__(self) -> str:
        lines = [f"Metrics for {self.name}" if self.name else "Metrics",
                 f"  {self.commits} commits and {self.fix_commits} fixes over {self.days:.1f} days"]
        lines += [f"  {k}: {v}" for k, v in self.row().items()]
        if self.caught_where:
            lines.append("  defects caught: " + ", ".join(f"{k} {v}" for k, v in self.caught_where.items()))
        return "\n".join(lines)


def format_duration(minutes: float | None) -> str:
    """Minutes as a short human duration: '45 min', '3.2 h', '2.1 d'."""
    if minutes is None:
        return "-"
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 2 * MINUTES_PER_DAY:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / MINUTES_PER_DAY:.1f} d"


class Comparison(dict):
    """Metrics of several designs by name; shows as a table in Jupyter, and can plot itself."""

    def table_rows(self) -> list[list[str]]:
        """The table: a header row of design names, then one row per figure; [] when empty."""
        if not self:
            return []
        names = list(self)
        rows = list(next(iter(self.values())).row())
        return [[""] + names] + [[r] + [self[n].row()[r] for n in names] for r in rows]

    def __repr__(self) -> str:
        rows = self.table_rows()
        if not rows:
            return "(no designs)"
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                                   for i, (cell, w) in enumerate(zip(row, widths))) for row in rows)

    def _repr_html_(self) -> str:
        rows = self.table_rows()
        if not rows:
            return "<p>(no designs)</p>"
        head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
        body = "".join("<tr>" + f"<th style='text-align:left'>{html.escape(r[0])}</th>"
                       + "".join(f"<td>{html.escape(c)}</td>" for c in r[1:]) + "</tr>" for r in rows[1:])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def plot(self, figsize: tuple[float, float] = (12, 3.2)):
        """Five small bar charts: lead time, deployments per day, change failure rate, time to
        restore, exposure."""
        import matplotlib.pyplot as plt

        names = list(self)
        panels = [
            ("lead time p50 (hours)", [(m.lead_time_p50 or 0) / 60 for m in self.values()]),
            ("deployments per day", [m.deployments_per_day for m in self.values()]),
            ("change failure rate (%)", [100 * (m.change_failure_rate or 0) for m in self.values()]),
            ("time to restore (hours)", [(m.time_to_restore_mean or 0) / 60 for m in self.values()]),
            ("exposure (customer-hours)", [m.exposure / 60 for m in self.values()]),
        ]
        fig, axes = plt.subplots(1, len(panels), figsize=figsize)
        for ax, (title, values) in zip(axes, panels):
            ax.barh(range(len(names)), values, color="#4a7ab5")
            ax.set_yticks(range(len(names)))
            ax.set_yticklabels(names if ax is axes[0] else [""] * len(names))
            ax.invert_yaxis()
            ax.set_title(title, fontsize=10)
        fig.tight_layout()
        plt.close(fig)
        return fig


def run(pipeline: Any, *, commits: int = 1000, seed: int = 0, world: Any = None, restart_on_update: bool = False,
        **world_options: Any) -> Metrics:
    """Run `commits` commits through one pipeline and return its metrics (no history kept).

    restart_on_update: the pipeline's RestartExecutionOnUpdate (see the self-updating pattern).
    """
    from .simulate import Simulator
    from .world import DefectProfile, World

    if world is None:
        world_options.setdefault("defects", DefectProfile())
        world_options.setdefault("approver", "person")
        world = World(seed=seed, commits=commits, **world_options)
    sim = Simulator(pipeline, world=world, seed=seed, record=False, restart_on_update=restart_on_update)
    sim.run()
    return world.metrics(pipeline.name)


# Below this many commits per design, compare() runs in this process. Such a run takes under a
# quarter of a second per design, which does not repay the worker processes: 15-25 ms a call, and
# in a Jupyter kernel about 0.5 s more the first time, to start their server (measured here).
PARALLEL_MIN_COMMITS = 5000
# What the server of the worker processes imports once, so that each worker starts warm.
WORKER_PRELOAD = ["pipeline_workbook.compare_worker"]


def compare(designs: dict[str, Any], *, commits: int = 1000, seed: int = 0, restart_on_update: bool = False,
            workers: int | None = None, **world_options: Any) -> Comparison:
    """Run every design on the same stream of commits (same seed) and collect their metrics.

    Every design sees the same commits with the same defects, and a commit of the stream takes the
    same time to build, test and deploy in every design that has the same action for it.

    workers: how many processes run designs side by side. None (the default) uses every CPU core
    for runs of PARALLEL_MIN_COMMITS commits or more, and this process otherwise; 1 always runs
    here. The numbers are the same either way: each design's run depends only on the seed. (An
    interrupt takes effect once the designs already running have finished.)
    """
    if "world" in world_options:
        raise TypeError("compare() makes a fresh world for each design, so that every design meets the same "
                        "commits; pass the world's options instead (commits_per_day=..., defects=...)")
    jobs = [(pipeline, dict(commits=commits, seed=seed, restart_on_update=restart_on_update, **world_options))
            for pipeline in designs.values()]
    count = worker_count(workers, designs=len(jobs), commits=commits)
    if count == 1:
        results = [_run_job(job) for job in jobs]
    else:
        results = _run_in_processes(jobs, count)
    return Comparison(zip(designs, results))


def worker_count(workers: int | None, *, designs: int, commits: int) -> int:
    """How many processes compare() uses (see its docstring)."""
    has_forkserver = "forkserver" in multiprocessing.get_all_start_methods()  # Linux and macOS, not Windows
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a whole number of at least 1 (or None to choose), got {workers!r}")
        if workers > 1 and designs > 1 and not has_forkserver:
            raise ValueError(f"workers={workers} needs the forkserver start method, which {sys.platform} "
                             f"does not have; use workers=1")
        return max(1, min(workers, designs))
    if designs < 2 or commits < PARALLEL_MIN_COMMITS or not has_forkserver:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(designs, cores))


def _run_job(job: tuple[Any, dict]) -> Metrics:
    """One design's run, as compare() hands it to this process or a worker: (pipeline, options)."""
    pipeline, options = job
    return run(pipeline, **options)


def _start_method() -> str:
    """fork where it is safe (Linux, one thread): fast, and a script needs no __main__ guard.

    Otherwise forkserver: a process forked from one with threads (a Jupyter kernel has some) can
    hang on a lock another thread held, and macOS frameworks do not survive a fork. The server is a
    fresh process that imports the library once; each worker is forked from it, ready to run.
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "forkserver"


def _run_in_processes(jobs: list[tuple[Any, dict]], count: int) -> list[Metrics]:
    """Run the jobs in `count` worker processes, biggest pipelines first so that the cores finish together."""
    for pipeline, _ in jobs:
        pipeline.validate(region="us-east-1")  # as Simulator does: a bad design fails here, in this process
    context = multiprocessing.get_context(_start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(WORKER_PRELOAD)
    by_size = sorted(range(len(jobs)), key=lambda i: sum(1 for _ in jobs[i][0].iter_actions()), reverse=True)
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        futures = {i: pool.submit(_run_job, jobs[i]) for i in by_size}
        return [futures[i].result() for i in range(len(jobs))]
