"""What flows through a pipeline: commits with hidden defects, the actions that act on them,
the environments and customers a deploy exposes, the alarms that notice, the people who fix.

The simulator (simulate.py) asks the world four things: how long an action takes and whether it
fails, whether a person approves, whether a stage condition's rules pass, and what a finished
deploy changes. The world answers from its commits and their defects, so that a unit test fails
because the commit it tests carries a defect unit tests catch, and a deploy exposes customers to
exactly the defects of the revision it deployed.

Time is in minutes from Monday 00:00 (simulate.EPOCH). Working hours are when people commit,
review and fix; pipelines and alarms run around the clock.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
import json
import math
import random
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import metrics as metrics_module

DATA = Path(__file__).resolve().parents[2] / "data"
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

# Kinds of defect, by where they can be caught.
BUILD = "build"              # breaks the build: every build catches it
UNIT = "unit"                # a logic error unit tests are meant to catch
INTEGRATION = "integration"  # shows only when the service talks to real dependencies
PRODUCTION = "production"    # shows only under production traffic (load, data, configuration)
REGIONAL = "regional"        # shows only in some regions (capacity, a regional dependency)
DEFECT_KINDS = (BUILD, UNIT, INTEGRATION, PRODUCTION, REGIONAL)


# --------------------------------------------------------------------------------------------
# Roles: what an action does, read from its definition


@dataclass(frozen=True)
class Role:
    """What an action does for the world: build, test, deploy to an environment, approve...

    For a deploy, `environment` names what it deploys (an environment, a stack, a service) and
    `production` says whether customers use it.
    """

    kind: str  # source, build, unit-tests, acceptance-tests, approval, deploy, self-update, other
    environment: str | None = None
    region: str | None = None
    production: bool = False

    @property
    def target(self) -> tuple[str, str | None] | None:
        return (self.environment, self.region) if self.kind == "deploy" else None


_NOT_PRODUCTION = ("preprod", "pre-prod", "nonprod", "non-prod", "staging", "stage", "test", "dev", "beta",
                   "gamma", "qa", "uat", "sandbox", "demo")


def environment_kind(words: str | None) -> str | None:
    """"production", "preproduction" or None (the words do not say) for an environment's name."""
    if not isinstance(words, str):
        return None  # a broken definition (DEPLOY_ENVIRONMENT given as a number...) says nothing
    text = words.lower()
    if text.startswith("customer"):
        return "production"
    if any(marker in text for marker in _NOT_PRODUCTION):
        return "preproduction"
    if "prod" in text or "live" in text:
        return "production"
    return None


def is_production(environment: str | None) -> bool:
    """Whether customers use an environment, judged by its name (production, prod, live, customer-...)."""
    return environment_kind(environment) == "production"


_ACCEPTANCE_WORDS = ("accept", "integ", "e2e", "end-to-end", "smoke", "system", "functional", "canary")
_UNIT_WORDS = ("unit",)


def _words(action: Any) -> str:
    config = action.configuration or {}
    return " ".join(str(x) for x in (action.name, config.get("ProjectName", ""), config.get("FunctionName", ""),
                                     config.get("EnvironmentVariables", ""))).lower()


def classify(action: Any, stage: Any, pipeline: Any, pipeline_stack: str | None = None) -> Role:
    """The role of an action, from its type, its configuration and (as a last resort) its name.

    The workbook's patterns say it explicitly (DEPLOY_ENVIRONMENT / TEST_SUITE variables of the
    CodeBuild action); imported pipelines are read by provider and by words in their names.
    """
    from .patterns import deploy_target

    type_id = action.action_type_id
    category = type_id.category if type_id else None
    provider = type_id.provider if type_id else None
    config = action.configuration or {}
    if category == "Source":
        return Role("source")
    if category == "Approval":
        return Role("approval")
    stack = config.get("StackName", "")
    names = f"{action.name} {stage.name}".lower()
    if provider == "CloudFormation" and (
        (pipeline_stack and stack == pipeline_stack) or "selfmutate" in names or "updatepipeline" in names
        or "update-pipeline" in names or stack.endswith("-pipeline")
    ):
        return Role("self-update")
    if provider == "CodeBuild" and ("selfmutate" in names or "self-mutate" in names):
        return Role("self-update")  # CDK Pipelines: a CodeBuild action running `cdk deploy` on the pipeline stack
    target = deploy_target(action)
    if target is not None:
        environment, region = target
        # The target's own name decides (wb-preprod, orders-prod); when it says nothing
        # (a stack called orders-service), the action's and the stage's names do; a deploy
        # nothing marks as pre-production is taken to serve customers.
        kind = environment_kind(environment) or environment_kind(f"{action.name} {stage.name}") or "production"
        return Role("deploy", environment, region or action.region or None, kind == "production")
    words = _words(action)
    suite = _test_suite(config)
    if suite or category == "Test" or "test" in words:
        if suite == "unit" or (not suite and any(w in words for w in _UNIT_WORDS)):
            return Role("unit-tests")
        if suite or any(w in words for w in _ACCEPTANCE_WORDS):
            return Role("acceptance-tests", _environment_of(words))
        return Role("unit-tests")
    if category == "Build":
        return Role("build")
    if category == "Deploy" and provider not in ("CloudFormation",):
        kind = environment_kind(f"{words} {stage.name}") or "production"
        return Role("deploy", f"{stage.name}.{action.name}", action.region, kind == "production")
    return Role("other")


def _test_suite(config: dict) -> str | None:
    raw = config.get("EnvironmentVariables")
    if not raw:
        return None
    try:
        variables = json.loads(raw)
    except (TypeError, ValueError):
        return None
    for variable in variables if isinstance(variables, list) else []:
        if isinstance(variable, dict) and variable.get("name") == "TEST_SUITE":
            value = str(variable.get("value", "")).lower()
            return "unit" if value.startswith("unit") else "acceptance"
    return None


def _environment_of(words: str) -> str | None:
    for marker, env in (("preprod", "preprod"), ("pre-prod", "preprod"), ("staging", "preprod"),
                        ("beta", "preprod"), ("gamma", "preprod"), ("test", "preprod"), ("prod", "production")):
        if marker in words:
            return env
    return None


# --------------------------------------------------------------------------------------------
# Distributions and data


QUANTILE_TABLE_SIZE = 4096
QUICK_REVIEW_MINUTES = 5.0  # rejecting a change that still carries a defect already known
OWN_COMMIT_KEYS = 1_000_000_000  # keys of commits that are not from the world's stream (fixes, yours)
_MASK64 = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64's finaliser: a well-spread 64-bit hash of a 64-bit number."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


# a fixed number per kind of draw, so that different draws with the same key differ
_WHAT = {name: i for i, name in enumerate((
    "source", "build", "unit-tests", "acceptance-tests", "deploy", "self-update", "other", "approval",
    "review", "fix", "incident_response", "alarm", "shows_after"), start=1)}


def keyed_uniform(seed: int, what: int, a: int, b: int = 0, c: int = 0) -> float:
    """A number in [0, 1) that depends only on the seed and the key (what, a, b, c).

    The world draws what happens to an action from (execution, action, attempt) rather than from
    one shared stream, so the draws do not depend on the order in which the engine asks: two
    designs compared on the same seed see the same build times for the same commit (common
    random numbers), and any engine with the same rules gives the same results.
    """
    x = (seed * 0x9E3779B97F4A7C15 + what * 0xC2B2AE3D27D4EB4F + a * 0x165667B19E3779F9
         + b * 0xD6E8FEB86659FD93 + c * 0xFF51AFD7ED558CCD) & _MASK64
    return _mix(x) / 18446744073709551616.0


@dataclass(frozen=True)
class Duration:
    """A lognormal duration given by its median and 90th percentile (minutes)."""

    median: float
    p90: float
    low: float | None = None   # set for a uniform distribution (then median and p90 follow from it)
    high: float | None = None

    @functools.lru_cache(maxsize=256)
    def quantiles(self, n: int) -> tuple[float, ...]:
        """n equally likely values of the distribution (its quantiles at (i + 0.5) / n)."""
        from statistics import NormalDist

        if self.low is not None and self.high is not None:
            return tuple(self.low + (self.high - self.low) * (i + 0.5) / n for i in range(n))
        if self.p90 <= self.median:  # no spread: always the median
            return (self.median,) * n
        mu = math.log(self.median)
        sigma = math.log(self.p90 / self.median) / 1.2815515655446004
        normal = NormalDist()
        return tuple(math.exp(mu + sigma * normal.inv_cdf((i + 0.5) / n)) for i in range(n))

    @property
    def mean(self) -> float:
        if self.p90 <= self.median:
            return self.median
        sigma = math.log(self.p90 / self.median) / 1.2815515655446004
        return self.median * math.exp(sigma * sigma / 2)


def load_data(path: Path | None = None) -> dict:
    """data/durations.json: durations, people, alarms and defect rates, each with its source."""
    path = path or DATA / "durations.json"
    if path == DATA / "durations.json":
        if not _DATA_CACHE:
            _DATA_CACHE.append(json.loads(path.read_text()))
        return _DATA_CACHE[0]
    return json.loads(path.read_text())


_DATA_CACHE: list[dict] = []


def _duration_of(entry: dict) -> Duration:
    dist = entry.get("dist", "lognormal")
    if dist == "lognormal":
        return Duration(float(entry["median"]), float(entry["p90"]))
    if dist == "uniform":
        low, high = float(entry["low"]), float(entry["high"])
        return Duration((low + high) / 2, low + 0.9 * (high - low), low, high)
    if dist == "fixed":
        return Duration(float(entry["value"]), float(entry["value"]))
    raise ValueError(f"unknown distribution {dist!r} in data/durations.json")


def combine(*parts: Duration) -> Duration:
    """One lognormal for a sum of steps: medians add, spreads (p90 - median) add in quadrature.

    An approximation (a sum of lognormals is not lognormal) that keeps one random draw per
    action, which the simulator's speed depends on.
    """
    median = sum(p.median for p in parts)
    spread = math.sqrt(sum((p.p90 - p.median) ** 2 for p in parts))
    return Duration(median, median + spread)


def load_durations(path: Path | None = None) -> dict[str, Duration]:
    """Durations by role, composed from the steps in data/durations.json.

    A CodeBuild action is its queue and provisioning, its fixed phases and its own work; a
    deploy here is a CodeBuild project updating an ECS service (rolling update, default settings).
    """
    data = load_data(path)
    act, people, alarms = data["actions"], data["people"], data["alarms"]
    step = {name: _duration_of(entry) for name, entry in act.items() if "dist" in entry}
    codebuild = (step["codebuild_queue_and_provisioning"], step["codebuild_fixed_phases"])
    return {
        "source": step["source_codestar_connection"],
        "build": combine(*codebuild, step["docker_build_with_cache"], step["ecr_push"]),
        "unit-tests": combine(*codebuild, step["unit_tests_small_service"]),
        "acceptance-tests": combine(*codebuild, step["acceptance_tests_preprod"]),
        "deploy": combine(*codebuild, step["ecs_rolling_update_default"]),
        "self-update": step["cloudformation_small_stack_update"],
        "other": combine(*codebuild),
        "review": _duration_of(people["manual_approval"]),
        "fix": _duration_of(people["fix_caught_defect"]),
        "incident_response": _duration_of(people["incident_response"]),
        "alarm": _duration_of(alarms["time_to_fire_after_bad_deploy"]),
        "shows_after": _duration_of(alarms["defect_shows_after"]),
    }


# check names in data/durations.json -> role kinds of the world
_CHECK_NAMES = {"unit_tests": "unit-tests", "acceptance_tests": "acceptance-tests", "review": "review"}


@dataclass
class DefectProfile:
    """How likely a commit carries each kind of defect, and how likely each check catches it.

    `DefectProfile()` reads the calibrated model in data/durations.json (defects.kind_model);
    pass your own numbers to explore ("what if our unit tests caught only half?").
    """

    rates: dict[str, float] = field(default_factory=lambda: {
        kind: entry["p"] for kind, entry in load_data()["defects"]["kind_model"]["rates"].items()})
    catch: dict[str, dict[str, float]] = field(default_factory=lambda: {
        _CHECK_NAMES[check]: {kind: entry["p"] for kind, entry in table.items()}
        for check, table in load_data()["defects"]["kind_model"]["catch"].items()})
    regional_share: float = 0.25  # a regional defect shows in this share of regions (at least one)
    # a test run that fails without a defect; the failed execution stays failed (nobody retries it
    # in the simulation) until a newer commit runs
    flaky_test_rate: float = field(default_factory=lambda: load_data()["defects"]["p_flaky_test_run"]["p"])
    deploy_failure_rate: float = 0.0  # a deploy fails by itself (a retry passes)


# --------------------------------------------------------------------------------------------
# Commits and defects


@dataclass(eq=False)
class Defect:
    """A hidden defect: which commit brought it, what kind, and which checks would catch it."""

    number: int
    commit: int
    kind: str
    caught_by: dict[str, bool]
    regions: frozenset | None = None  # REGIONAL: the regions where it shows
    fixed_by: int | None = None       # the commit that removes it
    fix_planned: bool = False
    detected_at: float | None = None
    detected_where: str | None = None
    first_live: float | None = None
    reached_customers: bool = False   # it went live for customers at least once (an incident)
    times_live: int = 0               # how often it went live in a production target
    live: int = 0                     # production targets where it is live now
    exposure: float = 0.0             # share of customers x minutes live

    def in_revision(self, revision: int) -> bool:
        return self.commit <= revision and (self.fixed_by is None or revision < self.fixed_by)

    def shows_in(self, target: tuple[str, str | None], production: bool) -> bool:
        """Whether this defect hurts (and so can be noticed) in a deploy target."""
        if self.kind == BUILD:
            return False
        if self.kind in (PRODUCTION, REGIONAL) and not production:
            return False
        if self.kind == REGIONAL:
            return target[1] in (self.regions or ())
        return True


@dataclass
class Commit:
    """A change pushed to the repository: when, by whom, and what it fixes or changes."""

    number: int
    time: float
    seed: int
    message: str
    defects: list[Defect] = field(default_factory=list)
    fixes: list[Defect] = field(default_factory=list)
    changes_pipeline: bool = False

    @property
    def sha(self) -> str:
        """A commit id, made up but stable for a seed and commit number."""
        return commit_sha(self.seed, self.number)


def commit_sha(seed: int, number: int) -> str:
    return hashlib.sha1(f"{seed}:commit:{number}".encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# Working hours


@dataclass(frozen=True)
class WorkingHours:
    """When people work: weekdays from `start` to `end` o'clock (simulated clock, UTC)."""

    start: int = 9
    end: int = 17
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0

    @classmethod
    def from_data(cls) -> "WorkingHours":
        """The office hours of data/durations.json (people.office_hours)."""
        hours = load_data()["people"]["office_hours"]
        start, end = (int(hours[k].split(":")[0]) for k in ("start", "end"))
        return cls(start, end, tuple(hours["weekdays"]))

    @property
    def minutes_per_day(self) -> int:
        return (self.end - self.start) * 60

    def is_open(self, t: float) -> bool:
        day = int(t // MINUTES_PER_DAY) % 7
        minute = t % MINUTES_PER_DAY
        return day in self.days and self.start * 60 <= minute < self.end * 60

    def add(self, t: float, working_minutes: float) -> float:
        """The time when `working_minutes` of work starting at t are done (skipping nights, weekends)."""
        remaining = working_minutes
        while True:
            day_start = (t // MINUTES_PER_DAY) * MINUTES_PER_DAY
            day = int(t // MINUTES_PER_DAY) % 7
            open_at = day_start + self.start * 60
            close_at = day_start + self.end * 60
            if day not in self.days or t >= close_at:
                t = day_start + MINUTES_PER_DAY
                continue
            if t < open_at:
                t = open_at
            available = close_at - t
            if remaining <= available:
                return t + remaining
            remaining -= available
            t = day_start + MINUTES_PER_DAY


# --------------------------------------------------------------------------------------------
# The world


class World:
    """Commits, defects, checks, environments and people around one simulated pipeline.

    commits: how many commits arrive on their own (Poisson, `commits_per_day` spread over working
    hours); 0 for a quiet world where you start executions yourself. `approver`: "person" (a
    person answers approvals in working hours and catches some defects) or None (approvals wait
    for you). `defects`: a DefectProfile, or None for a world where nothing goes wrong.
    """

    def __init__(self, seed: int = 0, *, commits: int = 0, commits_per_day: float = 12.0,
                 defects: DefectProfile | None = None, approver: str | None = None,
                 durations: dict[str, Duration] | None = None, hours: WorkingHours | None = None,
                 region_weights: dict[str, float] | None = None, pipeline_change_rate: float = 0.0,
                 pipeline_stack: str | None = None, pipeline_changes_every_run: bool = False,
                 fixed_durations: dict[str, float] | None = None,
                 failures: dict | None = None):
        self.seed = seed
        # Commits (arrivals, defects, which checks catch them) have their own random stream, so
        # that every design compared with the same seed sees the same commits.
        self.commit_rng = random.Random(seed)
        self.commit_budget = commits
        self.commits_per_day = commits_per_day
        self.profile = defects
        self.approver = approver
        self.durations = durations or load_durations()
        self.hours = hours or WorkingHours.from_data()
        self.region_weights = region_weights or load_region_weights()
        self.pipeline_change_rate = pipeline_change_rate
        self.pipeline_stack = pipeline_stack
        # True: the pipeline's template differs on every run (a timestamp, an asset hash), so every
        # self-update changes it: with RestartExecutionOnUpdate, the restart loop of reference 7.
        self.pipeline_changes_every_run = pipeline_changes_every_run
        self.fixed_durations = dict(fixed_durations or {})
        self.failures = dict(failures or {})
        self.sim = None
        self.commits: dict[int, Commit] = {}
        self.commit_count = 0
        self.organic_commits = 0  # commits of the stream (fixes and reverts not counted)
        self._defect_numbers = 0
        self.open_defects: list[Defect] = []
        self.stats = metrics_module.RunStats()
        self._tables: dict[str, tuple[float, ...]] = {}  # quantile tables by role or person
        self._targets: dict[tuple, float] = {}
        self._deployed: dict[tuple, int | None] = {}
        self._live: dict[tuple, dict[Defect, tuple[float, float]]] = {}
        self._pending_commits: deque[tuple[int, float]] = deque()
        self._full_revision = -1
        self._execution_targets: dict[int, dict] = {}
        self._applied_pipeline_revision = -1
        self._defects_cache: dict[Any, tuple[Defect, ...]] = {}  # cleared whenever defects change
        self._commit_keys: dict[int, int] = {}  # revision -> its commit's key (see add_commit)
        self._targets_waiting = 0  # production targets not deployed yet
        self._fixes_waiting = 0  # fixed defects not yet forgotten
        self._keep_commits = True

    # ---------------------------------------------------------------- binding to a simulator

    def bind(self, sim) -> None:
        """Called by Simulator: classify the actions and start the commit stream."""
        self.sim = sim
        self._keep_commits = sim.record
        for key, duration in self.durations.items():
            self._tables[key] = duration.quantiles(QUANTILE_TABLE_SIZE)
        self._classify(sim)
        self._trigger = self._trigger_type()
        if self.commit_budget:
            first = self.hours.add(0.0, self._next_gap())
            sim.schedule(first, self._commit_arrives, None)

    def _classify(self, sim) -> None:
        pipeline = sim.pipeline
        targets: list[tuple[str, str | None]] = []
        for stage_plan in sim._plan:
            stage = pipeline.stages[stage_plan.index]
            for ap in stage_plan.actions:
                ap.role = classify(ap.declaration, stage, pipeline, self.pipeline_stack)
                # the same action (by stage and name) draws the same way in every design
                ap.draw_key = zlib.crc32(f"{stage.name}.{ap.name}".encode())
                ap.has_effect = ap.role.kind in ("deploy", "self-update")
                if ap.role.kind == "deploy" and ap.role.region is None:
                    ap.role = Role("deploy", ap.role.environment, sim.region, ap.role.production)
                ap.draw = self._action_draw(ap)
                if ap.role.production and ap.role.target not in targets:
                    targets.append(ap.role.target)
        weights = [self._weight(t) for t in targets]
        total = sum(weights) or 1.0
        self._targets = {t: w / total for t, w in zip(targets, weights)}
        for t in self._targets:
            self._deployed.setdefault(t, None)
            self._live.setdefault(t, {})
        self._deployed = {t: self._deployed[t] for t in self._targets}
        self._target_index = {t: i for i, t in enumerate(self._targets)}
        self._targets_waiting = sum(1 for t in self._targets if self._deployed[t] is None)

    def _weight(self, target: tuple[str, str | None]) -> float:
        environment, region = target
        if environment and environment.lower().startswith("customer"):
            return 1.0
        return self.region_weights.get(region or "", 1.0)

    def pipeline_updated(self, sim) -> None:
        self._classify(sim)

    @property
    def targets(self) -> dict[tuple, float]:
        """Production targets (environment, region) and the share of customers each serves."""
        return dict(self._targets)

    # ---------------------------------------------------------------- commits

    def _next_gap(self) -> float:
        per_minute = self.commits_per_day / self.hours.minutes_per_day
        return self.commit_rng.expovariate(per_minute)

    def _commit_arrives(self, _: Any) -> None:
        commit = self.add_commit(self.sim.now, key=self.organic_commits)
        self.sim._start(commit.number, None, self._trigger, "commit")
        self.organic_commits += 1
        if self.organic_commits < self.commit_budget:
            nxt = self.hours.add(self.sim.now, self._next_gap())
            self.sim.schedule(nxt, self._commit_arrives, None)

    def _trigger_type(self) -> str:
        plan = self.sim._plan[0]
        providers = {ap.provider for ap in plan.actions}
        if "CodeStarSourceConnection" in providers:
            return "WebhookV2" if self.sim.pipeline.effective_type == "V2" else "Webhook"
        return "CloudWatchEvent"

    def add_commit(self, time: float, defects: list[str] | None = None, message: str | None = None,
                   changes_pipeline: bool | None = None, fixes: list[Defect] | None = None,
                   key: int | None = None) -> Commit:
        """Push a commit at minute `time`: with the given defect kinds, or random ones by the profile.

        `key` identifies a commit of the world's stream (its place in the stream), so that the same
        stream commit builds, tests and deploys in the same time in every design compared on a
        seed, whatever fixes came in between; other commits get keys of their own.
        """
        number = self.commit_count
        self.commit_count += 1
        if key is None:
            key = OWN_COMMIT_KEYS + number
        commit = Commit(number, time, self.seed, message or (
            f"Change {key + 1}" if key < OWN_COMMIT_KEYS else f"Change {number}"))
        self._commit_keys[number] = key
        if defects is None:
            defects = self._random_defect_kinds()
        for kind in defects:
            commit.defects.append(self._new_defect(number, kind))
        for defect in fixes or []:
            commit.fixes.append(defect)
            if defect.fixed_by is None:  # an urgent revert may have fixed it already: the first fix counts
                defect.fixed_by = number
                self._fixes_waiting += 1
        if changes_pipeline is None:  # drawn by key: asking does not shift the stream of commits
            changes_pipeline = self.pipeline_change_rate > 0 and keyed_uniform(
                self.seed, 103, key) < self.pipeline_change_rate
        commit.changes_pipeline = changes_pipeline
        self.open_defects.extend(commit.defects)
        if commit.defects or commit.fixes:
            self._defects_cache.clear()
        if self._keep_commits:
            self.commits[number] = commit
        elif changes_pipeline:
            self.commits[number] = commit
        self._pending_commits.append((number, time))
        if commit.fixes:
            self.stats.fix_commits += 1
        else:
            self.stats.commits += 1
        if time > self.stats.last_activity:
            self.stats.last_activity = time
        return commit

    def _random_defect_kinds(self) -> list[str]:
        if self.profile is None:
            return []
        rnd = self.commit_rng.random
        return [kind for kind, rate in self.profile.rates.items() if rnd() < rate]

    def _new_defect(self, commit: int, kind: str) -> Defect:
        if kind not in DEFECT_KINDS:
            raise ValueError(f"unknown defect kind {kind!r}; use one of {', '.join(DEFECT_KINDS)}")
        self._defect_numbers += 1
        profile = self.profile or DefectProfile()
        rnd = self.commit_rng.random
        caught = {check: rnd() < table.get(kind, 0.0) for check, table in profile.catch.items()}
        regions = None
        if kind == REGIONAL:
            # which regions depends on the pipeline's regions: drawn from a stream of its own
            names = sorted({t[1] for t in self._targets if t[1]}) or [self.sim.region if self.sim else "us-east-1"]
            count = max(1, round(len(names) * profile.regional_share))
            regions = frozenset(random.Random(f"{self.seed}:regions:{self._defect_numbers}").sample(names, count))
        self.stats.defects[kind] = self.stats.defects.get(kind, 0) + 1
        return Defect(self._defect_numbers, commit, kind, caught, regions)

    def latest_revision(self, at: float) -> Any:
        """The revision a source fetches: the newest commit, or 'initial' when there is none."""
        if self.commit_count == 0:
            self.add_commit(at, defects=[], message="Initial commit")
        return self.commit_count - 1

    def revision_label(self, revision: Any) -> str:
        if isinstance(revision, int):
            return commit_sha(self.seed, revision)
        return str(revision)

    def revision_summary(self, revision: Any) -> str:
        commit = self.commits.get(revision) if isinstance(revision, int) else None
        return commit.message if commit else str(revision)

    def defects_in(self, revision: Any) -> tuple[Defect, ...]:
        """The defects a revision carries (of the ones not yet fixed everywhere)."""
        cached = self._defects_cache.get(revision)
        if cached is not None:
            return cached
        if not isinstance(revision, int):
            return ()
        found = tuple(d for d in self.open_defects if d.in_revision(revision))
        self._defects_cache[revision] = found
        return found

    # ---------------------------------------------------------------- what actions do

    def _action_draw(self, ap) -> tuple:
        """(fixed duration or None, quantile table, the constant part of the action's key, its
        "deployed" summary): what an action's runs need, worked out once (the same numbers as
        _draw gives)."""
        fixed = self.fixed_durations.get(ap.name, self.fixed_durations.get(ap.role.kind))
        kind = ap.role.kind
        table = self._tables.get(kind) or self._tables["other"]
        base = self.seed * 0x9E3779B97F4A7C15 + _WHAT[kind] * 0xC2B2AE3D27D4EB4F + ap.draw_key * 0xD6E8FEB86659FD93
        role = ap.role
        deployed = f"Deployed to {role.environment}" + (f" in {role.region}" if role.region else "")
        return (None if fixed is None else float(fixed)), table, base, deployed

    def _draw(self, what: str, *key: int) -> float:
        """A duration of `what` (a role or a person's step), drawn by key from its quantile table."""
        fixed = self.fixed_durations.get(what)
        if fixed is not None:
            return float(fixed)
        table = self._tables.get(what) or self._tables["other"]
        return table[int(keyed_uniform(self.seed, _WHAT[what], *key) * len(table))]

    def revision_key(self, revision: Any) -> int:
        """The key random draws use for a revision: its commit's key, or a number from its label."""
        if isinstance(revision, int):
            return self._commit_keys.get(revision, OWN_COMMIT_KEYS + revision)
        return zlib.crc32(str(revision).encode())

    def _duration(self, ap, execution) -> float:
        """This run's duration: keyed by the revision's commit, the action and the attempt."""
        fixed, table, base, _ = ap.draw
        if fixed is not None:
            return fixed
        run = execution.current
        attempt = run.auto_retries + run.manual_retries if run is not None else 0
        revision = execution.revision
        key = self._commit_keys.get(revision, OWN_COMMIT_KEYS + revision) if type(revision) is int \
            else zlib.crc32(str(revision).encode())
        x = (base + key * 0x165667B19E3779F9 + attempt * 0xFF51AFD7ED558CCD + 0x9E3779B97F4A7C15) & _MASK64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64  # _mix, inlined: this is the hottest draw
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
        return table[int((x ^ (x >> 31)) / 18446744073709551616.0 * len(table))]

    def action_outcome(self, ap, execution, now: float) -> tuple[float, bool, str, Any]:
        """(duration, succeeded, summary, what it caught) for one run of one action."""
        duration = self._duration(ap, execution)
        kind = ap.role.kind
        if self.failures:
            scripted = self.failures.get((ap.name, execution.revision), self.failures.get(ap.name))
            if scripted:
                return duration, False, scripted if isinstance(scripted, str) else f"{ap.name} failed", None
        revision = execution.revision
        if kind == "build":
            for d in self.defects_in(revision):
                if d.kind == BUILD:
                    self._caught(d, ap, now + duration)
                    return duration, False, "Build failed: compilation error", d
            return duration, True, "Build succeeded", None
        if kind in ("unit-tests", "acceptance-tests"):
            for d in self.defects_in(revision):
                if d.kind == BUILD:
                    self._caught(d, ap, now + duration)
                    return duration, False, "Build failed: compilation error", d
                if d.caught_by.get(kind):
                    self._caught(d, ap, now + duration)
                    what = "unit" if kind == "unit-tests" else "acceptance"
                    return duration, False, f"{what} tests failed: defect #{d.number} ({d.kind})", d
            profile = self.profile
            if profile and profile.flaky_test_rate and keyed_uniform(
                    self.seed, 101, self.revision_key(execution.revision), ap.draw_key, int(now * 1000)) < profile.flaky_test_rate:
                return duration, False, "Tests failed: flaky test (passes on retry)", None
            return duration, True, "Tests passed", None
        if kind == "deploy":
            profile = self.profile
            if profile and profile.deploy_failure_rate and keyed_uniform(
                    self.seed, 102, self.revision_key(execution.revision), ap.draw_key, int(now * 1000)) < profile.deploy_failure_rate:
                return duration, False, "Deployment failed: tasks did not become healthy in time", None
            return duration, True, ap.draw[3], None
        return duration, True, "Succeeded", None

    def approval(self, ap, execution, now: float):
        """None: the approval waits for you. Otherwise (delay, approve, summary, who).

        The simulated reviewer reviews in working hours and catches some defects. Two things a
        real reviewer does too: while customers are hurt by an incident, the approval that could
        carry the revert is answered at once, at any hour (someone is watching); and a change
        that still carries a defect the reviewer already rejected is rejected again quickly.
        """
        if self.approver != "person":
            return None
        where = f"{self.sim._plan[ap.stage_index].name}.{ap.name} (review)"
        carried = self.defects_in(execution.revision)
        known = [d for d in carried if d.detected_at is not None and d.detected_at <= now]
        if known:
            d = known[0]
            return QUICK_REVIEW_MINUTES, False, f"Rejected: still carries defect #{d.number} ({d.kind})", "reviewer"
        if self.stats.open_incidents:
            done = now + self._draw("incident_response", self.revision_key(execution.revision), ap.draw_key)
        else:
            done = self.hours.add(now, self._draw("review", self.revision_key(execution.revision), ap.draw_key))
        for d in carried:
            if d.kind != BUILD and d.caught_by.get("review"):
                self._caught_at(d, done, where=where)
                return done - now, False, f"Rejected: reviewer found defect #{d.number} ({d.kind})", "reviewer"
        return done - now, True, "Approved after review", "reviewer"

    def entry_rule_fails(self, rules, run, now: float) -> str | None:
        """The reason a beforeEntry condition fails now, or None when all its rules pass."""
        for rule in rules:
            if rule.provider == "DeploymentWindow":
                cron = rule.configuration.get("Cron", "")
                if not cron_matches(cron, now):
                    return f"{rule.name}: outside the deployment window ({cron})"
            elif rule.provider == "CloudWatchAlarm":
                alarm = self._alarm_in_scope(run, now, now)
                if alarm is not None:
                    return f"{rule.name}: alarm is in ALARM ({alarm[1]})"
            elif rule.provider == "VariableCheck":
                if not variable_check_passes(rule.configuration, self._variables(run.execution)):
                    config = rule.configuration
                    return (f"{rule.name}: {config.get('Variable')} {config.get('Operator')} "
                            f"{config.get('Value')!r} is false")
            elif self.failures.get(rule.name):
                return f"{rule.name}: {self.failures[rule.name]}"
        return None

    def _variables(self, execution) -> dict[str, str]:
        """Pipeline variables of an execution: declared defaults, overridden at start."""
        values = {v.name: v.default_value for v in self.sim.pipeline.variables or [] if v.default_value is not None}
        values.update(execution.variables or {})
        return values

    def first_alarm(self, rules, run, t0: float, t1: float):
        """(minute, reason) of the first alarm an onSuccess condition sees in [t0, t1], or None."""
        if not any(r.provider == "CloudWatchAlarm" for r in rules):
            return None
        return self._alarm_in_scope(run, t0, t1)

    def _alarm_in_scope(self, run, t0: float, t1: float):
        scope = list(dict.fromkeys(ap.role.target for ap in run.stage.actions if ap.role and ap.role.kind == "deploy"))
        if not scope:
            scope = list(self._targets)
        first = None
        for target in scope:
            for defect, (since, detect_at) in self._live.get(target, {}).items():
                if detect_at <= t1 and (first is None or detect_at < first[0]):
                    region = f" in {target[1]}" if target[1] else ""
                    first = (max(detect_at, t0), f"defect #{defect.number} ({defect.kind}) seen{region}")
        return first

    # ---------------------------------------------------------------- effects

    def action_done(self, ar, now: float) -> None:
        """A deploy or self-update finished: change what runs where, or the pipeline itself."""
        ap = ar.plan
        if ar.status != "Succeeded":
            return
        if ap.role.kind == "self-update":
            self._self_update(ar, now)
            return
        target = ap.role.target
        revision = ar.run.execution.revision
        if target not in self._targets:
            # pre-production and other non-production environments: nobody is exposed
            return
        self._execution_targets.setdefault(ar.run.execution.number, {})[target] = self._deployed.get(target)
        self._set_target_revision(target, revision, now)

    def _set_target_revision(self, target, revision, now: float) -> None:
        if self._deployed.get(target) is None:
            self._targets_waiting -= 1
        self._deployed[target] = revision
        live = self._live[target]
        new_defects = self.defects_in(revision)
        if live:
            share = self._targets[target]
            for defect in list(live):
                if defect not in new_defects:
                    since, _ = live.pop(defect)
                    self._end_live(defect, target, share, since, now)
        for defect in new_defects:
            if defect in live or not defect.shows_in(target, True):
                continue
            # keyed by defect, target and how often the defect went live before: the first time a
            # defect reaches a target draws the same in every design
            episode = defect.times_live
            target_index = self._target_index[target]
            detect_at = now + self._draw("alarm", defect.number, target_index, episode)
            if defect.kind in (PRODUCTION, REGIONAL):
                # A defect on a rare path shows after a number of requests, not of minutes: an
                # environment with a share s of the traffic takes 1/s times as long to show it.
                detect_at += self._draw("shows_after", defect.number, target_index, episode) / self._targets[target]
            defect.times_live += 1
            live[defect] = (now, detect_at)
            if defect.live == 0:
                defect.first_live = now if defect.first_live is None else defect.first_live
                self.stats.incident_started(defect, now)
            defect.live += 1
            self.sim.schedule(detect_at, self._alarm_fires, (defect, target, now))
        self._advance_full_revision(now)

    def _end_live(self, defect: Defect, target, share: float, since: float, now: float) -> None:
        defect.exposure += share * (now - since)
        self.stats.exposure += share * (now - since)
        defect.live -= 1
        if defect.live == 0:
            self.stats.incident_ended(defect, now)

    def _alarm_fires(self, arg) -> None:
        defect, target, since = arg
        current = self._live.get(target, {}).get(defect)
        if current is None or current[0] != since:
            return
        if defect.detected_at is None:
            self._caught_at(defect, self.sim.now, where="production (alarm)")
        self.sim._log("alarm", stage=None, detail=f"defect #{defect.number} ({defect.kind}) in "
                      f"{target[0]}" + (f" {target[1]}" if target[1] else ""))

    def _caught(self, defect: Defect, ap, at: float) -> None:
        stage = self.sim._plan[ap.stage_index].name if self.sim else ""
        self._caught_at(defect, at, where=f"{stage}.{ap.name}")

    def _caught_at(self, defect: Defect, at: float, where: str) -> None:
        if defect.detected_at is None:
            defect.detected_at = at
            defect.detected_where = where
            self.stats.caught(defect, where)
        if defect.fix_planned:
            return
        defect.fix_planned = True
        # In production, or while customers are hurt by an incident (so someone is watching
        # the pipeline carry the revert), fixing is urgent: any hour. Otherwise it waits for
        # working hours.
        if where.startswith("production") or self.stats.open_incidents:
            fixed_at = at + self._draw("incident_response", defect.number)
            message = f"Revert the change that brought defect #{defect.number}"
        else:
            fixed_at = self.hours.add(at, self._draw("fix", defect.number))
            message = f"Fix defect #{defect.number} ({defect.kind})"
        self.sim.schedule(fixed_at, self._fix_arrives, (defect, message))

    def _fix_arrives(self, arg) -> None:
        defect, message = arg
        fixes = [defect]
        if defect.detected_where and defect.detected_where.startswith("production"):
            # An urgent revert also reverts whatever else is known to be broken, so that the
            # pipeline is green enough to carry it ("stop the line").
            fixes += [d for d in self.open_defects
                      if d is not defect and d.fixed_by is None and d.detected_at is not None]
        commit = self.add_commit(self.sim.now, defects=[], message=message, fixes=fixes, changes_pipeline=False)
        self.sim._start(commit.number, None, self._trigger, "commit")

    def _advance_full_revision(self, now: float) -> None:
        """Record lead times for the commits now running in every production target."""
        if self._targets_waiting:
            return  # some production target has never been deployed
        try:
            full = min(self._deployed.values())
        except TypeError:
            return  # revisions given as labels, not commit numbers: no lead times to measure
        if full <= self._full_revision:
            return
        self._full_revision = full
        pending = self._pending_commits
        add = self.stats.lead_time.add
        while pending and pending[0][0] <= full:
            add(now - pending.popleft()[1])
        if self._fixes_waiting:
            self._forget_fixed()

    def _forget_fixed(self) -> None:
        """Drop defects whose fix runs everywhere, so memory stays flat over long runs."""
        low = self._full_revision
        for st in self.sim._stages:
            revision = st.last_success_revision
            if isinstance(revision, int) and revision < low:
                low = revision
        keep = [d for d in self.open_defects if not (d.fixed_by is not None and d.fixed_by <= low and d.live == 0)]
        if len(keep) != len(self.open_defects):
            self.open_defects = keep
            self._defects_cache.clear()
        self._fixes_waiting = sum(1 for d in keep if d.fixed_by is not None)
        if not self._keep_commits:
            for number in [n for n in self.commits if n < low]:
                del self.commits[number]
            for number in [n for n in self._commit_keys if n < low]:
                del self._commit_keys[number]

    def execution_finished(self, execution, now: float) -> None:
        """Count production deployments and the ones that brought a defect to customers."""
        stats = self.stats
        stats.executions[execution.status] = stats.executions.get(execution.status, 0) + 1
        if now > stats.last_activity:
            stats.last_activity = now
        before = self._execution_targets.pop(execution.number, None)
        if not before:
            return
        stats.deployments += 1
        revision = execution.revision
        if not isinstance(revision, int):
            return
        for target, previous in before.items():
            old = set(self.defects_in(previous)) if isinstance(previous, int) else set()
            for d in self.defects_in(revision):
                if d not in old and d.shows_in(target, True):
                    stats.failed_deployments += 1
                    return

    def execution_resumed(self, execution, now: float) -> None:
        pass

    def _self_update(self, ar, now: float) -> None:
        revision = ar.run.execution.revision
        if not isinstance(revision, int):
            return
        changed = self.pipeline_changes_every_run or any(
            c.changes_pipeline for n, c in self.commits.items() if self._applied_pipeline_revision < n <= revision)
        if not changed:
            return
        self._applied_pipeline_revision = revision
        sim = self.sim
        updated = sim.pipeline.copy()
        updated.version = None
        sim.update_pipeline(updated)
        if sim.restart_on_update:
            # StartPipelineExecution processes the latest commit, not the one that updated the pipeline
            sim.start(trigger="StartPipelineExecution",
                      trigger_detail="RestartExecutionOnUpdate after a pipeline update")

    # ---------------------------------------------------------------- metrics

    def metrics(self, name: str | None = None) -> "metrics_module.Metrics":
        """The run's figures so far: lead time, deployment frequency, failures, restore, exposure."""
        now = self.sim.now if self.sim else 0.0
        for target, live in self._live.items():
            share = self._targets.get(target, 0.0)
            for defect, (since, _) in live.items():
                self.stats.pending_exposure(share * (now - since))
        result = metrics_module.Metrics.from_stats(self.stats, now, name=name or (
            self.sim.pipeline.name if self.sim else None))
        self.stats.clear_pending()
        return result


# --------------------------------------------------------------------------------------------
# Cron (deployment windows) and regions


_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTH_NAMES = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}


_CRON_RANGES = {"hour": (0, 23), "day": (1, 31), "month": (1, 12), "weekday": (1, 7), "year": (1970, 2199)}


def _cron_field(field_text: str, value: int, kind: str, names: dict[str, int] | None = None) -> bool:
    """Whether `value` matches one Quartz cron field: *, ?, numbers, names, ranges, lists, a/b steps."""
    if field_text in ("*", "?"):
        return True
    first, last = _CRON_RANGES[kind]
    for part in field_text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        for name, number in (names or {}).items():
            part = part.replace(name, str(number))
        if part in ("*", "?"):
            low, high = first, last
        elif "-" in part:
            low_text, high_text = part.split("-", 1)
            low, high = int(low_text), int(high_text)
        else:
            low = int(part)
            high = last if step > 1 else low  # "1/10" means 1, 11, 21, ... up to the field's end
        if low <= value <= high and (value - low) % step == 0:
            return True
    return False


def cron_matches(expression: str, minutes: float) -> bool:
    """Whether a simulated minute falls in a DeploymentWindow rule's window.

    The rule's Cron is a Quartz-style expression: seconds minutes hours day-of-month month
    day-of-week [year], e.g. "0 0 9-16 ? * MON-FRI *" (AWS's own example has this shape).
    Read as a window, it is open while the hours, day and month fields match; the seconds and
    minutes fields only say when within an hour it would fire, so they are not used here.
    Day-of-week 1 is Sunday, as in Quartz and EventBridge.
    """
    from .simulate import timestamp

    fields_ = expression.split()
    if len(fields_) == 6:
        fields_.append("*")
    if len(fields_) != 7:
        raise ValueError(f"cron {expression!r} needs 6 or 7 fields: seconds minutes hours day-of-month month "
                         f"day-of-week [year], e.g. '0 0 9-16 ? * MON-FRI *'")
    t = timestamp(minutes)
    _seconds, _minutes, hour, dom, month, dow, year = fields_
    weekday = (t.weekday() + 1) % 7 + 1  # Monday -> 2, Sunday -> 1
    return (_cron_field(hour, t.hour, "hour") and _cron_field(dom, t.day, "day")
            and _cron_field(month, t.month, "month", _MONTH_NAMES)
            and _cron_field(dow, weekday, "weekday", _DAY_NAMES) and _cron_field(year, t.year, "year"))


def variable_check_passes(configuration: dict, variables: dict[str, str]) -> bool:
    """A VariableCheck rule: compare `#{variables.NAME}` (or a literal) with Value by Operator."""
    import re

    raw = str(configuration.get("Variable", ""))
    match = re.fullmatch(r"#\{variables\.([A-Za-z0-9@\-_]+)\}", raw)
    actual = variables.get(match.group(1), "") if match else raw
    expected = str(configuration.get("Value", ""))
    operator = configuration.get("Operator", "EQ")
    if operator == "EQ":
        return actual == expected
    if operator == "NE":
        return actual != expected
    if operator == "CONTAINS":
        return expected in actual
    if operator == "MATCHES":
        return re.search(expected, actual) is not None
    raise ValueError(f"VariableCheck Operator must be EQ, NE, CONTAINS or MATCHES (got {operator!r})")


def load_region_weights(path: Path | None = None) -> dict[str, float]:
    """Traffic weight per region from data/regions.json (all equal when it says nothing)."""
    path = path or DATA / "regions.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    weights = {}
    regions = data.get("regions", [])
    for entry in regions if isinstance(regions, list) else []:
        if isinstance(entry, dict) and "code" in entry:
            weights[entry["code"]] = float(entry.get("traffic_weight", entry.get("weight", 1.0)))
    return weights
