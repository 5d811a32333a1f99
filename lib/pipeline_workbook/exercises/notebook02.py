"""Exercise checks of notebook 02: simple but bold."""

from __future__ import annotations

from typing import Any, Callable

from .base import Result, WrongShape, _no, _ok, _problems_verdict, as_pipeline

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}


# --------------------------------------------------------------------------------------------
# 02.1: which execution brought the defect to production?

DEFECTIVE_COMMIT_02_1 = "Apply the loyalty discount at checkout"

# (minute, commit message, defect kinds): one morning of the team's commits. The times and the
# fixed durations below make the defect's own execution wait in front of Production, where a
# newer execution replaces it; the newer one carries the defect to customers.
MORNING_02_1: tuple[tuple[float, str, tuple[str, ...]], ...] = (
    (9 * 60 + 5, "Update the README", ()),
    (9 * 60 + 30, "Show delivery dates on the order page", ()),
    (9 * 60 + 32, DEFECTIVE_COMMIT_02_1, ("unit",)),
    (9 * 60 + 36, "Log the payment provider's response time", ()),
    (11 * 60 + 20, "Add a health check endpoint", ()),
)
DURATIONS_02_1 = {"source": 1, "build": 4, "deploy": 12, "alarm": 4, "incident_response": 25}
SEED_02_1 = 21


def busy_morning_02_1():
    """A simple-but-bold pipeline after a morning of commits, one of which carries a defect.

    Returns the Simulator, run to the end (record=True, so its executions, action executions
    and events can all be read).
    """
    from ..patterns import simple_but_bold
    from ..simulate import Simulator
    from ..world import World

    world = World(seed=SEED_02_1, fixed_durations=DURATIONS_02_1)
    sim = Simulator(simple_but_bold(), world, seed=SEED_02_1)
    for minute, message, defects in MORNING_02_1:
        sim.run_until(minute)
        commit = world.add_commit(minute, defects=list(defects), message=message)
        sim.start(revision=commit.number, trigger="WebhookV2", trigger_detail="commit")
    sim.run()
    return sim


STARTING_POINTS["02.1"] = busy_morning_02_1
EXPECTS["02.1"] = 'the id of one execution (the whole id, or its first 8 characters as the event log shows it)'


def _execution_id(sim: Any, answer: Any) -> str:
    """The full execution id an answer names: a whole id, or a prefix of at least 8 characters."""
    if isinstance(answer, dict) and isinstance(answer.get("pipelineExecutionId"), str):
        answer = answer["pipelineExecutionId"]
    if not isinstance(answer, str):
        raise WrongShape(f"The answer is {type(answer).__name__} {answer!r}; this exercise asks for an execution id.",
                         'Answer with the id as a string, e.g. answer = "1a2b3c4d" (the first 8 characters '
                         "are enough).")
    text = answer.strip().lower()
    if len(text) < 8:
        raise WrongShape(f"{answer!r} is too short to name one execution.",
                         "Give at least the first 8 characters of the id, as the event log shows them.")
    ids = [e["pipelineExecutionId"] for e in sim.executions()]
    matches = [i for i in ids if i.startswith(text)]
    if not matches:
        raise WrongShape(f"No execution of this run has an id starting with {answer!r}.",
                         "Copy the id from the run's executions() or from its event log (the 8 characters "
                         "after the time).")
    return matches[0]


def _commit_number(sim: Any, revision_id: str) -> int | None:
    """The world's commit number of a revision id (a made-up SHA), or None."""
    for number, commit in sim.world.commits.items():
        if commit.sha == revision_id:
            return number
    return None


def _production_deploys(sim: Any) -> list[dict]:
    """Successful Production deploys of the run, oldest first (list_action_executions shapes)."""
    found = [d for d in sim.action_executions() if d["stageName"] == "Production" and d["status"] == "Succeeded"]
    return sorted(found, key=lambda d: d["lastUpdateTime"])


def defect_bringer_02_1(sim: Any) -> str:
    """The execution whose production deploy first ran a revision containing the defective commit."""
    defective = next(c for c in sim.world.commits.values() if c.message == DEFECTIVE_COMMIT_02_1)
    defect = defective.defects[0]
    for detail in _production_deploys(sim):
        execution = sim.execution(detail["pipelineExecutionId"])
        number = _commit_number(sim, execution["artifactRevisions"][0]["revisionId"])
        if number is not None and defect.in_revision(number):
            return detail["pipelineExecutionId"]
    raise RuntimeError("the scenario of 02.1 no longer brings its defect to production")


def check_02_1(answer: Any) -> Result:
    """The id of the execution that put the defective commit in front of customers."""
    sim = busy_morning_02_1()
    chosen = _execution_id(sim, answer)
    right = defect_bringer_02_1(sim)
    summary = sim.execution(chosen)
    message = summary["artifactRevisions"][0]["revisionSummary"]
    if chosen == right:
        return _ok("02.1", f"Execution {right[:8]} ran {message!r}. That commit came after the defective one, so "
                           "its revision contains it: revisions are whole states of the branch, not single "
                           "changes. The defective commit's own execution was superseded while it waited in front "
                           "of Production, and never deployed anything.")
    status = summary["status"]
    if message == DEFECTIVE_COMMIT_02_1:
        return _no("02.1", f"Execution {chosen[:8]} started on the defective commit, but its status is {status}: "
                           "it never reached production.",
                   "Read its statusSummary in executions(): it names the execution that replaced it. What "
                   "did that one deploy, and does its revision contain the defective commit?")
    number = _commit_number(sim, summary["artifactRevisions"][0]["revisionId"])
    defective = next(c for c in sim.world.commits.values() if c.message == DEFECTIVE_COMMIT_02_1)
    if number is not None and number < defective.number:
        return _no("02.1", f"Execution {chosen[:8]} ran {message!r}, which was pushed before the defective commit.",
                   "A revision contains every commit up to it, never a later one. Look at executions that "
                   "started after the defective commit was pushed.")
    if message.startswith("Revert"):
        return _no("02.1", f"Execution {chosen[:8]} ran the revert: it took the defect out of production.",
                   "Look earlier: which execution's Production deploy came right before the alarm?")
    return _no("02.1", f"Execution {chosen[:8]} ({message!r}, {status}) is not the one that first put the defect "
                       "in front of customers.",
               "Follow the defective commit: its own execution did not deploy. Find the first Production.Deploy "
               "that succeeded after the commit was pushed.")


CHECKS["02.1"] = check_02_1


# --------------------------------------------------------------------------------------------
# 02.2: unit tests before the image build


def _roles(pipeline: Any) -> list[tuple[int, int, Any, Any]]:
    """(stage index, runOrder, role, action) of every action, as the simulator reads them."""
    from ..world import classify

    found = []
    for si, stage in enumerate(pipeline.stages or []):
        for action in stage.actions or []:
            found.append((si, action.effective_run_order, classify(action, stage, pipeline), action))
    return found


def simple_but_bold_02_2():
    """The pipeline exercise 02.2 starts from."""
    from ..patterns import simple_but_bold

    return simple_but_bold()


STARTING_POINTS["02.2"] = simple_but_bold_02_2
EXPECTS["02.2"] = "the simple-but-bold pipeline with a unit test action that runs before the image build"

# Unit tests that always catch a unit defect, and nothing flaky: the simulated check is then
# about where the tests sit, not about luck.
_CERTAIN_UNIT_TESTS = {"unit-tests": {"unit": 1.0}, "acceptance-tests": {}, "review": {}}


def _simulate_02_2(pipeline: Any) -> tuple[str, str, Any]:
    """Push a clean commit, then a commit with a unit defect: (clean status, defect status, defect)."""
    from ..simulate import Simulator
    from ..world import DefectProfile, World

    profile = DefectProfile(catch=_CERTAIN_UNIT_TESTS, flaky_test_rate=0.0)
    world = World(seed=2, defects=profile, approver="person")
    sim = Simulator(pipeline, world, seed=2)
    clean = sim.start(revision=world.add_commit(9 * 60, defects=[], message="A clean change").number, at=9 * 60)
    sim.run()
    commit = world.add_commit(sim.now, defects=["unit"], message="A change with a logic error")
    bad = sim.start(revision=commit.number)
    sim.run()
    return sim.execution(clean)["status"], sim.execution(bad)["status"], commit.defects[0]


def check_02_2(answer: Any) -> Result:
    """Unit tests before the image build: lint has no WB101 and a unit defect stops before production."""
    from ..lint import lint

    pipeline = as_pipeline(answer)
    verdict = _problems_verdict("02.2", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    roles = _roles(pipeline)
    tests = [(si, order, act) for si, order, role, act in roles if role.kind == "unit-tests"]
    builds = [(si, order, act) for si, order, role, act in roles if role.kind == "build"]
    production = [act for _, _, role, act in roles if role.kind == "deploy" and role.production]
    if not tests:
        return _no("02.2", "No action of the pipeline is read as unit tests.",
                   'Add a.codebuild_test("UnitTests", project="wb-unit-tests", inputs="SourceOutput", '
                   'environment_variables={"TEST_SUITE": "unit"}, run_order=1) to the Build stage.')
    if not builds:
        return _no("02.2", "The image build is gone.",
                   "Keep BuildImage: production needs the image it builds. Add the tests next to it.")
    if not production:
        return _no("02.2", "The pipeline no longer deploys to production.",
                   "Keep the Production stage as it was; only the Build stage changes.")
    first_test = min((si, order) for si, order, _ in tests)
    first_build = min((si, order) for si, order, _ in builds)
    if first_test >= first_build:
        where = "together with" if first_test == first_build else "after"
        return _no("02.2", f"The unit tests run {where} the image build (stage {first_test[0]}, runOrder "
                           f"{first_test[1]}; BuildImage: stage {first_build[0]}, runOrder {first_build[1]}).",
                   "Give the tests a smaller runOrder than BuildImage in the same stage (1 and 2), so that a "
                   "failing test stops the build before it starts.")
    codes = lint(pipeline).codes()
    if "WB101" in codes:
        return _no("02.2", "lint still reports WB101: a deploy runs before any unit test.",
                   "Display lint(answer) and read the WB101 finding: where is the deploy it names?")
    clean_status, bad_status, defect = _simulate_02_2(pipeline)
    if clean_status != "Succeeded":
        return _no("02.2", f"A clean commit did not get through the pipeline: its execution ended {clean_status}.",
                   "Run it yourself: Simulator(answer).start(); sim.run(); sim.events shows where it stopped.")
    if defect.first_live is not None:
        return _no("02.2", "In the simulation, a commit with a logic error still reached production.",
                   "Is the test action read as unit tests? Its name, project or TEST_SUITE should say 'unit'.")
    return _ok("02.2", f"lint no longer reports WB101. Simulated: a clean commit reached production, and a commit "
                       f"with a logic error stopped at {defect.detected_where} (its execution: {bad_status}). "
                       "Customers never saw it, and nobody had to revert anything.")


CHECKS["02.2"] = check_02_2


# --------------------------------------------------------------------------------------------
# 02.3 (optional): read a metric

COMMITS_02 = 300
SEED_02 = 4

EXPECTS["02.3"] = "a number: the incidents with_unit_tests lets through on the same commits"


def check_02_3(answer: Any) -> Result:
    """The number of incidents with_unit_tests lets through on the notebook's 300 commits (seed 4)."""
    from .. import metrics
    from ..patterns import simple_but_bold, with_unit_tests

    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return _no("02.3", f"The answer is {answer!r}; it should be a number of incidents.",
                   "Read it from the metrics: m = metrics.run(patterns.with_unit_tests(), commits=300, seed=4); "
                   "answer = m.incidents")
    bold = metrics.run(simple_but_bold(), commits=COMMITS_02, seed=SEED_02)
    tested = metrics.run(with_unit_tests(), commits=COMMITS_02, seed=SEED_02)
    if answer == tested.incidents:
        stopped = bold.incidents - tested.incidents
        return _ok("02.3", f"{tested.incidents} incidents with unit tests against {bold.incidents} without: "
                           f"the tests kept {stopped} defects from customers. The rest got past them: most show only "
                           "when the service runs with its real dependencies or under production traffic, "
                           "where no unit test looks, and a few were logic errors the tests did not cover "
                           "(unit tests catch most logic errors, not all).")
    if answer == bold.incidents:
        return _no("02.3", f"{answer} is the figure of simple_but_bold, the pipeline without tests.",
                   "Run patterns.with_unit_tests() with the same commits=300, seed=4.")
    return _no("02.3", f"{answer} is not the number of incidents of with_unit_tests on these commits.",
               "Use exactly commits=300, seed=4, so that both pipelines see the same commits; then read "
               ".incidents of the result.")


CHECKS["02.3"] = check_02_3
