"""Exercise checks of notebook 03: manual acceptance testing."""

from __future__ import annotations

import re
from typing import Any, Callable

from .base import Result, WrongShape, _no, _ok, _problems_verdict, as_pipeline

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}

# Fixed durations (minutes) for the scenarios, so that their stories do not depend on chance or on
# the duration data: a commit reaches the approval 18 minutes after its push.
DURATIONS_03 = {"source": 1, "unit-tests": 4, "build": 5, "deploy": 8}


def _push(sim: Any, minute: float, message: str) -> str:
    """Run the clock to `minute`, push a clean commit and start the pipeline on it, as a push would."""
    sim.run_until(minute)
    commit = sim.world.add_commit(minute, defects=[], message=message)
    return sim.start(revision=commit.number, trigger="WebhookV2", trigger_detail="commit")


def _new_simulator(seed: int, pipeline: Any = None):
    from ..patterns import manual_acceptance
    from ..simulate import Simulator
    from ..world import World

    world = World(seed=seed, fixed_durations=DURATIONS_03)
    return Simulator(pipeline or manual_acceptance(), world, seed=seed)


def _execution_ids(sim: Any, answer: Any) -> set[str]:
    """The full ids an answer names: ids or prefixes of at least 8 characters, in any collection."""
    if isinstance(answer, str):
        items = [part for part in re.split(r"[\s,;]+", answer) if part]
    elif isinstance(answer, (list, tuple, set, frozenset)):
        items = list(answer)
    else:
        raise WrongShape(f"The answer is {type(answer).__name__} {answer!r}; this exercise asks for execution ids.",
                         'Answer with a set of ids, e.g. answer = {"1a2b3c4d", "5e6f7a8b"}, or with how many '
                         "there are.")
    ids = [e["pipelineExecutionId"] for e in sim.executions()]
    found = set()
    for item in items:
        if isinstance(item, dict):
            item = item.get("pipelineExecutionId")
        if not isinstance(item, str) or len(item.strip()) < 8:
            raise WrongShape(f"{item!r} does not name an execution.",
                             "Give each id as a string of at least its first 8 characters, as the event log "
                             "shows it.")
        matches = [i for i in ids if i.startswith(item.strip().lower())]
        if not matches:
            raise WrongShape(f"No execution of this run has an id starting with {item!r}.",
                             "Copy the ids from the run's executions() or from its event log.")
        found.add(matches[0])
    return found


# --------------------------------------------------------------------------------------------
# 03.1: which executions were superseded?

# (minute, what happens): a Tuesday of commits and decisions on one manual-acceptance pipeline.
# Tuesday is day 1 of the simulated clock (minute 1440 is Tuesday 00:00).
TUESDAY = 24 * 60
DAY_03_1: tuple[tuple[float, str, str], ...] = (
    (TUESDAY + 9 * 60, "push", "Add an order history page"),
    (TUESDAY + 9 * 60 + 25, "push", "Show delivery dates on the order page"),
    (TUESDAY + 9 * 60 + 50, "push", "Cache product images"),
    (TUESDAY + 10 * 60 + 30, "reject", "The order history shows other customers' orders"),
    (TUESDAY + 10 * 60 + 40, "push", "Fix a typo in the footer"),
    (TUESDAY + 11 * 60, "approve", "Tried it in pre-production"),
    (TUESDAY + 11 * 60 + 10, "push", "Translate the checkout into Dutch"),
    (TUESDAY + 11 * 60 + 20, "push", "Log the payment provider's response time"),
    (TUESDAY + 13 * 60, "approve", "Tried it in pre-production"),
    (TUESDAY + 14 * 60, "approve", "Tried it in pre-production"),
)
SEED_03_1 = 31


def approvals_day_03_1():
    """A manual-acceptance pipeline after a Tuesday of commits, approvals and one rejection.

    Returns the Simulator, run to the end (record=True: executions, action executions and the
    event log can all be read).
    """
    sim = _new_simulator(SEED_03_1)
    for minute, what, text in DAY_03_1:
        if what == "push":
            _push(sim, minute, text)
            continue
        sim.run_until(minute)
        if what == "approve":
            sim.approve(summary=text)
        else:
            sim.reject(summary=text)
    sim.run()
    return sim


STARTING_POINTS["03.1"] = approvals_day_03_1
EXPECTS["03.1"] = 'the ids of the superseded executions, e.g. {"1a2b3c4d", "5e6f7a8b"} (or how many there are)'


def check_03_1(answer: Any) -> Result:
    """The superseded executions of the Tuesday: their ids (or their count)."""
    sim = approvals_day_03_1()
    executions = {e["pipelineExecutionId"]: e for e in sim.executions()}
    superseded = {i for i, e in executions.items() if e["status"] == "Superseded"}

    def words(ids: set[str]) -> str:
        return ", ".join(sorted(i[:8] for i in ids))

    def by_whom() -> str:
        in_order = [i for i in reversed(list(executions)) if i in superseded]  # oldest first
        return "; ".join(f"{i[:8]} ({executions[i]['sourceRevisions'][0]['revisionSummary']!r}): "
                         f"{executions[i]['statusSummary']}" for i in in_order)

    if isinstance(answer, bool):
        raise WrongShape("The answer is True or False; this exercise asks for execution ids.",
                         'Answer with a set of ids, e.g. answer = {"1a2b3c4d", "5e6f7a8b"}.')
    if isinstance(answer, int):
        if answer == len(superseded):
            return _ok("03.1", f"{answer} executions were superseded: {by_whom()}. Their commits were not lost: "
                               "the newer execution's revision contains them.")
        return _no("03.1", f"{answer} is not how many executions were superseded.",
                   "Read the status of each execution in executions(); Failed (a rejection) is not Superseded.")
    chosen = _execution_ids(sim, answer)
    if chosen == superseded:
        return _ok("03.1", f"Superseded: {by_whom()}. Each waited in front of the Approval stage while another "
                           "execution held it, and a newer execution took its place. Their commits were not lost: "
                           "the newer execution's revision contains them.")
    extra = chosen - superseded
    if extra:
        first = sorted(extra)[0]
        status = executions[first]["status"]
        hint = {"Failed": "A rejected approval fails its execution; Failed is not Superseded.",
                "Succeeded": "That execution went all the way to production."}.get(
            status, "Read the status of each execution in executions().")
        return _no("03.1", f"Execution {first[:8]} has status {status}, not Superseded.", hint)
    return _no("03.1", f"{len(superseded - chosen)} superseded execution(s) missing from your answer "
                       f"(you named {words(chosen) or 'none'}).",
               "List every execution whose status is Superseded: "
               "[e for e in day.executions() if e['status'] == 'Superseded'].")


CHECKS["03.1"] = check_03_1


# --------------------------------------------------------------------------------------------
# 03.2: tell the approvers, and do not wait a week


def manual_acceptance_03_2():
    """The pipeline exercise 03.2 starts from."""
    from ..patterns import manual_acceptance

    return manual_acceptance()


STARTING_POINTS["03.2"] = manual_acceptance_03_2
EXPECTS["03.2"] = "the manual-acceptance pipeline with a notification topic and a shorter approval timeout"

MIN_SENSIBLE_TIMEOUT = 60  # minutes: below this nobody can look at the change in time
SNS_TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")


def _expired_approvals(pipeline: Any) -> tuple[int, int]:
    """(approvals, expired) over two simulated weeks with a person approving in office hours."""
    from ..simulate import Simulator
    from ..world import DefectProfile, World

    world = World(seed=5, commits=120, defects=DefectProfile(), approver="person")
    sim = Simulator(pipeline, world, seed=5)
    sim.run()
    approvals = [d for d in sim.action_executions() if d["input"]["actionTypeId"]["category"] == "Approval"]
    expired = [d for d in approvals if d["output"].get("executionResult", {}).get("errorDetails", {})
               .get("code") == "TimeoutError"]
    return len(approvals), len(expired)


def check_03_2(answer: Any) -> Result:
    """The approval notifies a topic and times out sooner than 7 days (but not absurdly soon)."""
    from ..lint import lint
    from ..world import classify

    pipeline = as_pipeline(answer)
    verdict = _problems_verdict("03.2", pipeline, "The pipeline")
    if verdict is not None:
        return verdict
    placed = [(si, action.effective_run_order, classify(action, stage, pipeline), action)
              for si, stage in enumerate(pipeline.stages or []) for action in stage.actions or []]
    approvals = [(si, order, act) for si, order, role, act in placed if role.kind == "approval"]
    production = [(si, order) for si, order, role, _ in placed if role.kind == "deploy" and role.production]
    if not production:
        return _no("03.2", "The pipeline no longer deploys to production.",
                   "Start again from patterns.manual_acceptance(...) and change only the approval.")
    gates = [(si, order, act) for si, order, act in approvals if (si, order) < min(production)]
    if not gates:
        return _no("03.2", "No manual approval is left before the production deploy.",
                   "Keep the Approval stage: the exercise is about making it better, not about removing it.")
    codes = lint(pipeline).codes()
    _, _, approval = gates[0]
    topic = approval.config("NotificationArn")
    if "WB301" in codes or not topic:
        return _no("03.2", "lint still reports WB301: the approval tells nobody that a change is waiting.",
                   'Give it an SNS topic: patterns.manual_acceptance(approval_topic_arn="arn:aws:sns:us-east-1:'
                   '123456789012:wb-approvals"), or a.manual_approval(..., notification_arn=...).')
    if not SNS_TOPIC.match(str(topic)):
        return _no("03.2", f"{topic!r} is not the ARN of an SNS topic.",
                   'A topic ARN looks like "arn:aws:sns:us-east-1:123456789012:wb-approvals".')
    timeout = approval.timeout_in_minutes
    if "WB302" in codes or timeout is None:
        return _no("03.2", "lint still reports WB302: the approval can wait 7 days, the default.",
                   'Set the action\'s timeout_in_minutes, e.g. answer.stage("Approval").action("Approve")'
                   ".timeout_in_minutes = 1440 for a day.")
    if timeout < MIN_SENSIBLE_TIMEOUT:
        return _no("03.2", f"A timeout of {timeout} minutes expires before anyone can try the change.",
                   "Count the time a person needs to notice, try and decide, with nights in between: "
                   "a working day or a few days, not minutes.")
    total, expired = _expired_approvals(pipeline)
    days = timeout / (24 * 60)
    length = f"{timeout / 60:g} hours" if timeout < 24 * 60 else f"{days:g} day" + ("s" if days != 1 else "")
    return _ok("03.2", f"The approval tells {topic.rsplit(':', 1)[-1]} when a change waits, and expires after "
                       f"{length}; lint has no WB301 or WB302 left. In two simulated weeks with a person "
                       f"approving in office hours, {expired} of {total} approvals expired before an answer "
                       "(the timeout counts nights and weekends too). An expired approval fails its execution, "
                       "and the next change asks again.")


CHECKS["03.2"] = check_03_2


# --------------------------------------------------------------------------------------------
# 03.3 (optional): rejected, and shipped anyway

REJECTED_COMMIT_03_3 = "Offer free shipping on every order"
SEED_03_3 = 33


def rejection_03_3():
    """A manual-acceptance pipeline with a change waiting for approval and a newer one behind it.

    The Simulator is paused at Monday 09:35: execution 1 ("Offer free shipping on every order")
    waits for approval, execution 2 ("Fix a typo in the footer") waits in front of the Approval stage.
    """
    sim = _new_simulator(SEED_03_3)
    _push(sim, 9 * 60, REJECTED_COMMIT_03_3)
    _push(sim, 9 * 60 + 10, "Fix a typo in the footer")
    sim.run_until(9 * 60 + 35)
    return sim


STARTING_POINTS["03.3"] = rejection_03_3
EXPECTS["03.3"] = "the id of the execution that brings the rejected commit to production"


def _bringer_03_3() -> tuple[Any, str]:
    """Reject the first approval, approve the next: the execution whose production deploy ships the
    rejected commit."""
    sim = rejection_03_3()
    sim.reject(summary="We do not offer free shipping")
    sim.run()
    sim.approve(summary="Tried it in pre-production")
    sim.run()
    commits = {c.sha: c for c in sim.world.commits.values()}
    rejected = next(c for c in commits.values() if c.message == REJECTED_COMMIT_03_3)
    for event in sim.events:
        if event.kind == "action succeeded" and event.stage == "Production":
            sha = sim.execution(event.execution)["artifactRevisions"][0]["revisionId"]
            if commits[sha].number >= rejected.number:
                return sim, event.execution
    raise RuntimeError("the scenario of 03.3 no longer ships the rejected commit")


def check_03_3(answer: Any) -> Result:
    """The execution that ships the rejected commit: the next one, whose revision contains it."""
    sim, right = _bringer_03_3()
    if isinstance(answer, bool) or not isinstance(answer, (str, dict)):
        raise WrongShape(f"The answer is {type(answer).__name__} {answer!r}; this exercise asks for one "
                         "execution id.", 'Answer with the id as a string, e.g. answer = "1a2b3c4d".')
    chosen = _execution_ids(sim, [answer])
    if len(chosen) != 1:
        raise WrongShape("Name one execution.", 'Answer with one id, e.g. answer = "1a2b3c4d".')
    (chosen_id,) = chosen
    summary = sim.execution(chosen_id)
    message = summary["artifactRevisions"][0]["revisionSummary"]
    if chosen_id == right:
        return _ok("03.3", f"Execution {right[:8]} ran {message!r}, pushed after the rejected commit, so its "
                           "revision contains the rejected change too, and approving it shipped both. Rejecting "
                           "stops one execution; it does not take a commit off the branch. To keep a change out, "
                           "revert it, and reject until the revert comes through.")
    if message == REJECTED_COMMIT_03_3:
        return _no("03.3", f"Execution {chosen_id[:8]} ran the commit you rejected; the rejection failed it, so "
                           "it deployed nothing.",
                   "Rejecting fails that execution, but the commit stays on main. Which execution came next, "
                   "and does its revision contain the rejected commit?")
    return _no("03.3", f"Execution {chosen_id[:8]} ({message!r}) is not the one.",
               "Reject the first approval, approve the next one, and look for the production deploy that "
               "ran a revision containing the rejected commit.")


CHECKS["03.3"] = check_03_3
