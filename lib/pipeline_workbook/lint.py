"""Best-practice findings on a pipeline definition: the flaws the article names, and more.

`lint(pipeline)` reads a definition, valid or not, and returns `Findings`: each one says where
(an API path), what, why it matters and what to do. It does not repeat validate.py (what AWS
would reject); it points at what AWS accepts but hurts later: missing tests and environments,
production reached all at once or without a way back, approvals nobody hears about, secrets in
plain text, polling sources, and what the pipeline type costs.

What an action does (build, test, deploy to which environment...) comes from
`world.classify`, the same reading the simulator uses, so lint and simulation agree.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator

from .catalog import provider_spec
from .model import Action, Pipeline, Rule, Stage
from .world import Role, classify

SEVERITIES = ("error", "warning", "info")

# --------------------------------------------------------------------------------------------
# The rules, as data


@dataclass(frozen=True)
class LintRule:
    """One lint rule: its stable code, how serious it is, a one-line title and its topic."""

    code: str
    severity: str
    title: str
    topic: str


RULES: tuple[LintRule, ...] = (
    LintRule("WB101", "warning", "No unit tests before the first deploy", "tests and environments"),
    LintRule("WB102", "warning", "No pre-production environment before production", "tests and environments"),
    LintRule("WB103", "warning", "No acceptance tests against a deployed environment before production",
             "tests and environments"),
    LintRule("WB104", "error", "Production deploy with no gate in front of it", "tests and environments"),
    LintRule("WB105", "warning", "Acceptance testing is only a manual approval", "tests and environments"),
    LintRule("WB106", "info", "No deploy recognised as production", "tests and environments"),
    LintRule("WB201", "warning", "All production targets deployed at once (no waves)", "rollout"),
    LintRule("WB202", "info", "Production is a single target: no waves", "rollout"),
    LintRule("WB203", "warning", "No bake time before the next wave", "rollout"),
    LintRule("WB204", "warning", "Production deploy without automatic rollback", "rollout"),
    LintRule("WB205", "error", "Pipeline updates itself after application deploys", "rollout"),
    LintRule("WB301", "warning", "Manual approval notifies nobody", "approvals and execution"),
    LintRule("WB302", "warning", "Approval before production keeps the 7-day default timeout",
             "approvals and execution"),
    LintRule("WB303", "info", "Changes waiting for an approval are superseded (SUPERSEDED mode)",
             "approvals and execution"),
    LintRule("WB304", "warning", "PARALLEL mode deploys to shared environments", "approvals and execution"),
    LintRule("WB401", "error", "Secret in a plaintext environment variable", "sources and secrets"),
    LintRule("WB402", "warning", "Legacy GitHub (version 1) source with an OAuth token", "sources and secrets"),
    LintRule("WB403", "warning", "Source polls for changes", "sources and secrets"),
    LintRule("WB501", "info", "V1 or V2: the price break-even", "cost"),
)

RULES_BY_CODE: dict[str, LintRule] = {rule.code: rule for rule in RULES}

# --------------------------------------------------------------------------------------------
# Findings


@dataclass(frozen=True)
class Finding:
    """One finding: rule code, severity, where (API path, "" = the pipeline), title, why, fix."""

    code: str
    severity: str
    where: str
    title: str
    why: str
    fix: str

    def __str__(self) -> str:
        return f"{self.severity} {self.code} {self.where or '(pipeline)'}: {self.title}"


def _where_key(where: str) -> tuple:
    """Order API paths as the definition does: stages[2] before stages[10], a stage before its actions."""
    parts = re.findall(r"\d+|[^\[\].\d]+", where)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def _order(finding: Finding) -> tuple:
    return (_where_key(finding.where), finding.code, finding.title)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 or noun == "info" else "s")


_WRAP = 96


class Findings(list):
    """A list of Finding, ordered by where then code, that reads well in a notebook."""

    def codes(self) -> list[str]:
        """The distinct rule codes found, sorted."""
        return sorted({f.code for f in self})

    def by_severity(self, *severities: str) -> "Findings":
        """Only the findings of these severities ("error", "warning", "info")."""
        unknown = [s for s in severities if s not in SEVERITIES]
        if unknown or not severities:
            raise ValueError(f"by_severity takes one or more of {', '.join(SEVERITIES)} (got {severities!r}).")
        return Findings(f for f in self if f.severity in severities)

    def serious(self) -> "Findings":
        """Errors and warnings: what to fix, leaving out the information."""
        return self.by_severity("error", "warning")

    def at(self, where: str) -> "Findings":
        """The findings at one API path ("" for the pipeline itself)."""
        return Findings(f for f in self if f.where == where)

    def summary(self) -> str:
        """e.g. "5 findings: 1 error, 3 warnings, 1 info"."""
        if not self:
            return "No findings."
        counts = [_count(sum(f.severity == s for f in self), s) for s in SEVERITIES
                  if any(f.severity == s for f in self)]
        return f"{_count(len(self), 'finding')}: {', '.join(counts)}"

    def __repr__(self) -> str:
        if not self:
            return "No findings."
        lines = [self.summary()]
        for f in self:
            lines.append(f"  {f.severity:<7} {f.code}  {f.where or '(pipeline)'}: {f.title}")
            for label, text in (("why", f.why), ("fix", f.fix)):
                lines.extend(textwrap.wrap(text, _WRAP, initial_indent=f"      {label}: ",
                                           subsequent_indent=" " * 11))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if not self:
            return "<p><b>No findings.</b></p>"
        colours = {"error": "#b00020", "warning": "#b35c00", "info": "#505050"}
        rows = "".join(
            f"<tr><td style=\"color:{colours[f.severity]}\"><b>{f.severity}</b></td><td>{f.code}</td>"
            f"<td><code>{html.escape(f.where or '(pipeline)')}</code></td><td>{html.escape(f.title)}</td>"
            f"<td>{html.escape(f.why)}</td><td>{html.escape(f.fix)}</td></tr>"
            for f in self
        )
        return (
            f"<p><b>{html.escape(self.summary())}</b></p>"
            "<table><thead><tr><th>severity</th><th>code</th><th>where</th><th>finding</th>"
            f"<th>why it matters</th><th>what to do</th></tr></thead><tbody>{rows}</tbody></table>"
        )


def _finding(code: str, where: str, title: str, why: str, fix: str) -> Finding:
    return Finding(code, RULES_BY_CODE[code].severity, where, title, why, fix)


# --------------------------------------------------------------------------------------------
# Reading the pipeline


@dataclass(frozen=True)
class _Placed:
    """An action with its place in the pipeline and its role (what it does)."""

    stage_index: int
    action_index: int
    stage: Stage
    action: Action
    role: Role

    @property
    def key(self) -> tuple[int, int]:
        """When it runs: (stage, runOrder); a smaller key finishes before a larger one starts."""
        return (self.stage_index, self.action.effective_run_order)

    @property
    def path(self) -> str:
        return f"stages[{self.stage_index}].actions[{self.action_index}]"

    @property
    def label(self) -> str:
        stage = self.stage.name if isinstance(self.stage.name, str) else f"stages[{self.stage_index}]"
        action = self.action.name if isinstance(self.action.name, str) else f"actions[{self.action_index}]"
        return f"{stage}.{action}"

    @property
    def kind(self) -> str:
        return self.role.kind

    @property
    def production(self) -> bool:
        # An environment read from broken EnvironmentVariables JSON may be a number or a list.
        return isinstance(self.role.environment, str) and self.role.production

    @property
    def target(self) -> tuple[str, str | None]:
        """(environment, region) as text, for comparing deploy targets."""
        region = self.role.region
        return (str(self.role.environment), None if region is None else str(region))


def _readable(action: Action) -> Action:
    """The action with a configuration classify can read: a map of strings (others dropped)."""
    config = action.configuration
    if config is None or (isinstance(config, dict) and all(isinstance(v, str) for v in config.values())):
        return action
    clean = {k: v for k, v in config.items() if isinstance(v, str)} if isinstance(config, dict) else None
    return replace(action, configuration=clean or None)


@dataclass
class _Context:
    """What the checks share: the pipeline and every action placed and classified."""

    pipeline: Pipeline
    placed: list[_Placed]

    @classmethod
    def of(cls, pipeline: Pipeline, pipeline_stack: str | None) -> "_Context":
        placed = []
        for si, stage in enumerate(pipeline.stages or []):
            for ai, action in enumerate(stage.actions or []):
                role = classify(_readable(action), stage, pipeline, pipeline_stack)
                placed.append(_Placed(si, ai, stage, action, role))
        return cls(pipeline, placed)

    def of_kind(self, *kinds: str) -> list[_Placed]:
        return [p for p in self.placed if p.kind in kinds]

    @property
    def deploys(self) -> list[_Placed]:
        return self.of_kind("deploy")

    @property
    def production(self) -> list[_Placed]:
        return [p for p in self.deploys if p.production]

    def first(self, placed: list[_Placed]) -> _Placed | None:
        """The one that runs first (definition order among those that start together)."""
        return min(placed, key=lambda p: (p.key, p.action_index), default=None)

    def before(self, key: tuple[int, int], *kinds: str) -> list[_Placed]:
        """Actions of these kinds that finish before an action at `key` starts."""
        return [p for p in self.of_kind(*kinds) if p.key < key]

    @property
    def is_v2(self) -> bool:
        return self.pipeline.effective_type == "V2"

    @property
    def mode(self) -> str:
        return self.pipeline.effective_execution_mode


def _rules_of(holder: Any) -> list[Rule]:
    """Every rule of an onSuccess / onFailure / beforeEntry declaration (none when absent)."""
    return [rule for condition in getattr(holder, "conditions", None) or []
            for rule in condition.rules or [] if isinstance(rule, Rule)]


def _rule_provider(rule: Rule) -> str | None:
    return rule.rule_type_id.provider if rule.rule_type_id else None


def _wait_minutes(rule: Rule) -> int:
    """A CloudWatchAlarm rule's WaitTime in minutes (0 when absent or unreadable)."""
    value = (rule.configuration or {}).get("WaitTime") if isinstance(rule.configuration, dict) else None
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def _bakes(holder: Any) -> bool:
    """Whether a condition watches an alarm for a while (a CloudWatchAlarm rule with a WaitTime)."""
    return any(_rule_provider(r) == "CloudWatchAlarm" and _wait_minutes(r) > 0 for r in _rules_of(holder))


def _has_alarm(holder: Any) -> bool:
    return any(_rule_provider(r) == "CloudWatchAlarm" for r in _rules_of(holder))


def _rolls_back(stage: Stage) -> bool:
    """Whether the stage rolls back by itself: on failure, or when an onSuccess rule fails."""
    failure = stage.on_failure
    if failure is not None and (failure.result == "ROLLBACK"
                                or any(c.result == "ROLLBACK" for c in failure.conditions or [])):
        return True
    success = stage.on_success
    return success is not None and any(c.result == "ROLLBACK" and c.rules for c in success.conditions or [])


def _names(values: Iterable[str], most: int = 3) -> str:
    """'a', 'a and b', 'a, b and c', 'a, b, c and 4 more'."""
    items = list(values)
    if len(items) > most:
        return f"{', '.join(items[:most])} and {len(items) - most} more"
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _target_words(placed: _Placed) -> str:
    environment, region = placed.target
    return f"{environment} in {region}" if region else environment


def _stage_name(ctx: _Context, index: int) -> str:
    name = ctx.pipeline.stages[index].name
    return name if isinstance(name, str) else f"stages[{index}]"


# --------------------------------------------------------------------------------------------
# Tests and environments (WB1xx)


def _unit_test_findings(ctx: _Context) -> list[Finding]:
    first = ctx.first(ctx.deploys)
    if first is None or ctx.before(first.key, "unit-tests", "acceptance-tests"):
        return []
    return [_finding(
        "WB101", first.path, f"{first.label} deploys before any unit test has run",
        "Unit tests are the cheapest check there is: they run in minutes, need no environment, and catch "
        "most logic errors. Without them every mistake that still compiles goes straight to a deployed "
        "environment, where it takes longer to notice and to fix.",
        'Add a test action before the first deploy, e.g. codebuild_test("UnitTests", project="<prefix>-unit-'
        'tests", inputs="SourceOutput", environment_variables={"TEST_SUITE": "unit"}, run_order=1) in the '
        "Build stage, with the image build at run_order=2 so that a failing test stops it "
        "(patterns.with_unit_tests shows it). If the build project already runs unit tests, lint cannot see "
        "them; a test action of their own also shows a failing test as a failed action in the console.",
    )]


def _preproduction_findings(ctx: _Context) -> list[Finding]:
    first = ctx.first(ctx.production)
    if first is None or any(not p.production for p in ctx.before(first.key, "deploy")):
        return []
    return [_finding(
        "WB102", first.path, f"{first.label} goes to production with no pre-production deploy before it",
        "The change meets real configuration, permissions, data and neighbouring services for the first "
        "time in front of customers. A pre-production environment built like production is where those "
        "problems can show without hurting anyone.",
        "Add a stage before production that deploys the same build output to a pre-production environment, "
        'e.g. stage("PreProduction", codebuild("Deploy", project="<prefix>-deploy", inputs="BuildOutput", '
        'environment_variables={"DEPLOY_ENVIRONMENT": "preprod"})) (patterns.manual_acceptance shows it).',
    )]


def _acceptance_findings(ctx: _Context) -> list[Finding]:
    first = ctx.first(ctx.production)
    if first is None:
        return []
    preprod = [p for p in ctx.before(first.key, "deploy") if not p.production]

    def after_preprod(p: _Placed) -> bool:
        return any(d.key < p.key for d in preprod)

    if any(after_preprod(t) for t in ctx.before(first.key, "acceptance-tests")):
        return []
    approvals = [p for p in ctx.before(first.key, "approval") if after_preprod(p)]
    if approvals:
        approval = ctx.first(approvals)
        return [_finding(
            "WB105", approval.path, f"The only check between pre-production and production is a person "
                                    f"({approval.label})",
            "A person trying a change by hand is slow, is there only in working hours and checks something "
            "a little different each time. Changes queue up behind them, and nothing repeats yesterday's "
            "checks on today's change.",
            "Write down what the approver checks and turn it into acceptance tests that run after the "
            'pre-production deploy: codebuild_test("AcceptanceTests", ..., environment_variables={"TEST_SUITE": '
            '"acceptance", "TEST_ENVIRONMENT": "preprod"}, run_order=2) in that stage. Keep the approval '
            "while you learn to trust the tests (patterns.automated_acceptance(keep_manual_approval=True)).",
        )]
    where_to_run = ("against the pre-production deploy" if preprod
                    else "against a pre-production environment (add one first, see WB102)")
    return [_finding(
        "WB103", first.path, f"No acceptance tests run against a deployed environment before {first.label}",
        "Unit tests check pieces on their own; they cannot see a missing permission, a wrong endpoint or a "
        "broken integration. Tests that call the deployed service catch those before customers do.",
        f"Run acceptance tests {where_to_run}, in the same stage after the deploy: "
        'codebuild_test("AcceptanceTests", project="<prefix>-acceptance-tests", inputs="SourceOutput", '
        'environment_variables={"TEST_SUITE": "acceptance", "TEST_ENVIRONMENT": "preprod"}, run_order=2) '
        "(patterns.automated_acceptance shows it).",
    )]


def _gate_findings(ctx: _Context) -> list[Finding]:
    first = ctx.first(ctx.production)
    if first is None or ctx.before(first.key, "unit-tests", "acceptance-tests", "approval"):
        return []
    stages = ctx.pipeline.stages or []
    conditions = [stages[first.stage_index].before_entry] + [
        holder for stage in stages[:first.stage_index] for holder in (stage.before_entry, stage.on_success)]
    if any(_rules_of(holder) for holder in conditions):
        return []
    return [_finding(
        "WB104", first.path, f"Nothing can stop a change before {first.label} deploys it to production",
        "There is no test, no approval and no stage condition in front of this deploy: every commit that "
        "builds goes to customers, and the first to learn about a defect are the people using the service.",
        "Put checks in front of it: unit tests in the Build stage, a pre-production stage with acceptance "
        "tests, or at the very least a manual_approval() stage. patterns.automated_acceptance has all of "
        "them but the approval.",
    )]


def _unrecognised_production_findings(ctx: _Context) -> list[Finding]:
    if not ctx.deploys or ctx.production:
        return []
    targets = sorted({str(p.role.environment) for p in ctx.deploys})
    return [_finding(
        "WB106", "", f"No deploy recognised as production (deploys to {_names(targets)})",
        "lint recognises production by the environment a deploy names: DEPLOY_ENVIRONMENT of a CodeBuild "
        "deploy, or the stack, service, deployment group or bucket of a native deploy, starting with "
        '"prod", "customer" or "live". None of these did, so the checks about production (gates, '
        "pre-production, waves, rollback) were skipped.",
        "If one of these deploys is production, say so in its environment: for a CodeBuild deploy, "
        'environment_variables={"DEPLOY_ENVIRONMENT": "production"}; for a native deploy, a stack or '
        'service name starting with "prod".',
    )]


# --------------------------------------------------------------------------------------------
# Rollout (WB2xx)


def _production_steps(ctx: _Context) -> list[list[_Placed]]:
    """Production deploys grouped by when they run (stage, runOrder), in order: the waves."""
    steps: dict[tuple[int, int], list[_Placed]] = {}
    for p in ctx.production:
        steps.setdefault(p.key, []).append(p)
    return [steps[key] for key in sorted(steps)]


def _wave_findings(ctx: _Context) -> list[Finding]:
    steps = _production_steps(ctx)
    if not steps:
        return []
    targets = {p.target for step in steps for p in step}
    first = steps[0][0]
    stage_path = f"stages[{first.stage_index}]"
    if len(targets) == 1:
        return [_finding(
            "WB202", stage_path, f"Production is one deployment ({_target_words(first)}): no waves",
            "With a single production environment there is nothing to roll out gradually: a bad change "
            "reaches every user at once. That is fine for a small service; the defence is an alarm that "
            "notices quickly and an automatic rollback.",
            "Watch production with on_success=on_success_alarm([...], wait_minutes=...) and roll back with "
            "on_failure=rollback_on_failure(). When you add regions or customers, deploy them in waves "
            "(patterns.phased_rollout, patterns.per_customer).",
        )]
    if len(steps) == 1:
        return [_finding(
            "WB201", stage_path,
            f"{_stage_name(ctx, first.stage_index)} deploys to all {len(targets)} production targets at once",
            "If the change is bad, every region or customer gets it at the same moment and they all suffer "
            "together. Deploying in waves, smallest first, keeps a bad change to the first wave while its "
            "alarms still have time to fire.",
            "Split the deploys into one stage per wave, one region (or customer) first and growing after, "
            "e.g. patterns.phased_rollout(waves=plan_waves(regions)), each wave with "
            "on_success=on_success_alarm([...], wait_minutes=60).",
        )]
    return []


def _bake_between(ctx: _Context, earlier: tuple[int, int], later: tuple[int, int]) -> bool:
    """Whether something waits between two waves: an approval, or an alarm watched for a while."""
    if any(earlier <= p.key < later for p in ctx.of_kind("approval")):
        return True
    stages = ctx.pipeline.stages or []
    watched_after = any(_bakes(stages[s].on_success) for s in range(earlier[0], later[0]))
    watched_before = any(_bakes(stages[s].before_entry) for s in range(earlier[0] + 1, later[0] + 1))
    return watched_after or watched_before


def _bake_findings(ctx: _Context) -> list[Finding]:
    steps = _production_steps(ctx)
    found = []
    for earlier, later in zip(steps, steps[1:]):
        a, b = earlier[0], later[0]
        if _bake_between(ctx, a.key, b.key):
            continue
        stage = ctx.pipeline.stages[a.stage_index]
        name = _stage_name(ctx, a.stage_index)
        if a.stage_index == b.stage_index:
            title = (f"In {name}, runOrder {b.key[1]} deploys right after runOrder {a.key[1]} "
                     "with no bake time")
            fix = ("Put the later deploys in a stage of their own and give this stage "
                   'on_success=on_success_alarm([...], wait_minutes=60, result="ROLLBACK"), or put a '
                   "manual_approval() at a runOrder between the two.")
        else:
            title = f"{_stage_name(ctx, b.stage_index)} starts as soon as {name} succeeds, with no bake time"
            fix = (f"Give {name} on_success=on_success_alarm([...], wait_minutes=60, result=\"ROLLBACK\") "
                   "so that the pipeline watches the wave's alarms for an hour before the next wave starts "
                   "(patterns.phased_rollout does this), or put a manual_approval() between the waves.")
        why = ("Many problems only show under real traffic, minutes or hours after a deploy succeeded. If the "
               "next wave starts at once, a bad change has spread before any alarm could fire.")
        if _has_alarm(stage.on_success):
            why += " The alarm rule here has no WaitTime, so it is checked once, the moment the stage ends."
        found.append(_finding("WB203", f"stages[{a.stage_index}]", title, why, fix))
    return found


def _rollback_findings(ctx: _Context) -> list[Finding]:
    if not ctx.is_v2 or ctx.mode == "PARALLEL":
        return []
    found = []
    for index in sorted({p.stage_index for p in ctx.production}):
        if _rolls_back(ctx.pipeline.stages[index]):
            continue
        found.append(_finding(
            "WB204", f"stages[{index}]",
            f"{_stage_name(ctx, index)}: production deploy without automatic rollback",
            "When a production deploy fails, or its alarm fires afterwards, the stage just stops and the "
            "broken version keeps running until someone reverts it by hand. A V2 pipeline can roll the "
            "stage back to the last version that succeeded there by itself.",
            'Give the stage on_failure=rollback_on_failure(), and on_success=on_success_alarm([...], '
            'wait_minutes=..., result="ROLLBACK") so that an alarm after the deploy rolls back too.',
        ))
    return found


def _self_update_findings(ctx: _Context) -> list[Finding]:
    found = []
    for update in ctx.of_kind("self-update"):
        deploys = [d for d in ctx.deploys if d.key <= update.key]
        if not deploys:
            continue
        found.append(_finding(
            "WB205", update.path,
            f"{update.label} updates the pipeline after {ctx.first(deploys).label} has deployed",
            "This run deploys the application with the old pipeline and changes the pipeline only afterwards, "
            "so a change to the pipeline itself (a new test, a new wave) first applies to the next run: the "
            "commit that added a safety check goes out without it. Updating a pipeline also ends the run it "
            "happens in.",
            "Move the self-update into its own stage right after Build, before any deploy, and set "
            "RestartExecutionOnUpdate: true on the pipeline's CloudFormation resource so that the run starts "
            "again on the new definition when it changed (patterns.self_updating(safe=True), as CDK "
            "Pipelines does).",
        ))
    return found


# --------------------------------------------------------------------------------------------
# Approvals and execution modes (WB3xx)

DEFAULT_APPROVAL_MINUTES = 7 * 24 * 60


def _approval_findings(ctx: _Context) -> list[Finding]:
    found = []
    production = ctx.production
    for approval in ctx.of_kind("approval"):
        topic = approval.action.config("NotificationArn") if isinstance(approval.action.configuration, dict) else None
        if not (isinstance(topic, str) and topic):
            found.append(_finding(
                "WB301", approval.path, f"{approval.label} waits for approval but tells nobody",
                "Without a NotificationArn nobody is told that a change is waiting. It waits until someone "
                "happens to open the console, and every change behind it waits too.",
                "Pass an SNS topic the approvers subscribe to: manual_approval(\"Approve\", notification_arn="
                "\"arn:aws:sns:us-east-1:123456789012:wb-approvals\") (patterns.manual_acceptance("
                "approval_topic_arn=...)).",
            ))
        timeout = approval.action.timeout_in_minutes
        long_wait = not isinstance(timeout, int) or timeout >= DEFAULT_APPROVAL_MINUTES
        if long_wait and any(approval.key < d.key for d in production):
            days = 7 if not isinstance(timeout, int) else timeout // (24 * 60)
            found.append(_finding(
                "WB302", approval.path, f"{approval.label} can wait {days} days before a production deploy",
                "An approval given days later is stale. Meanwhile newer changes have gone through "
                "pre-production, so the approver looks at one version and releases an older one, which was "
                "tested against the world of a week ago.",
                "Give the approval a timeout your team can answer in, counting nights and weekends (the "
                "timeout runs on the wall clock): e.g. manual_approval(..., timeout_minutes=4320) for three "
                "days, which spans a weekend. An expired approval fails the run, and the next change asks "
                "again.",
            ))
    return found


def _superseded_findings(ctx: _Context) -> list[Finding]:
    if ctx.mode != "SUPERSEDED" or not ctx.of_kind("approval"):
        return []
    if ctx.is_v2:
        fix = ('That is usually what you want: fewer approvals, always the latest code. If every change must '
               'be approved and deployed on its own, pass execution_mode="QUEUED" to pipeline().')
    else:
        fix = ("That is usually what you want: fewer approvals, always the latest code. If every change must "
               'be approved on its own, you need QUEUED mode, which needs pipeline_type="V2".')
    return [_finding(
        "WB303", "", "Changes waiting for an approval are superseded by newer ones",
        "While one change waits for approval, later changes wait in front of the approval stage and each "
        "replaces the one before it (SUPERSEDED mode). When the approval is given the newest waiting change "
        "goes next; the ones in between are never approved or deployed on their own, their commits ship "
        "inside the newer one.",
        fix,
    )]


def _parallel_findings(ctx: _Context) -> list[Finding]:
    if ctx.mode != "PARALLEL":
        return []
    shared = sorted({str(p.role.environment) for p in ctx.deploys if "#{" not in str(p.role.environment)})
    if not shared:
        return []
    return [_finding(
        "WB304", "", f"PARALLEL executions race to deploy to {_names(shared)}",
        "In PARALLEL mode every execution runs on its own, so two changes can deploy to the same environment "
        "at the same time and the one that finishes last wins, which may be the older one. Stage rollback is "
        "not available in this mode either.",
        'Use execution_mode="QUEUED" (or the default SUPERSEDED) for a pipeline that deploys to shared '
        "environments. Keep PARALLEL for per-branch or per-change environments whose names hold a variable, "
        "such as #{variables.Branch}.",
    )]


# --------------------------------------------------------------------------------------------
# Sources and secrets (WB4xx)

_SECRET_WORDS = {"PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "SECRETS", "TOKEN", "APIKEY", "CREDENTIAL",
                 "CREDENTIALS"}
_SECRET_PAIRS = {("API", "KEY"), ("PRIVATE", "KEY"), ("ACCESS", "KEY"), ("SIGNING", "KEY"), ("AUTH", "KEY")}
# A name ending in one of these holds where a secret is, not the secret itself (DB_PASSWORD_ARN).
_REFERENCE_WORDS = {"ARN", "NAME", "ID", "PATH", "URL", "URI", "FILE", "PARAM", "PARAMETER"}


def looks_like_secret(name: Any, value: Any = None) -> bool:
    """Whether an environment variable's name says it holds a secret (and its value is not a reference)."""
    if not isinstance(name, str):
        return False
    words = [w for w in re.split(r"[^A-Z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).upper()) if w]
    if not words or words[-1] in _REFERENCE_WORDS:
        return False
    named = any(w in _SECRET_WORDS for w in words) or any(pair in _SECRET_PAIRS for pair in zip(words, words[1:]))
    if not named:
        return False
    text = str(value or "")
    is_reference = text.startswith("arn:") or re.fullmatch(r"#\{[^}]+\}", text) is not None
    return not is_reference and text != ""


def _plaintext(kind: Any) -> bool:
    return kind is None or str(kind).upper() == "PLAINTEXT"


def _codebuild_variables(configuration: Any) -> list[dict]:
    """The EnvironmentVariables JSON of a CodeBuild action or rule, as a list of dicts ([] if unreadable)."""
    text = configuration.get("EnvironmentVariables") if isinstance(configuration, dict) else None
    if not isinstance(text, str):
        return []
    try:
        items = json.loads(text)
    except ValueError:
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _secret_finding(where: str, name: str, owner: str, fix: str) -> Finding:
    return _finding(
        "WB401", where, f"{name} looks like a secret but is a PLAINTEXT environment variable of {owner}",
        "A PLAINTEXT value is part of the pipeline definition: anyone who can read the pipeline (the console, "
        "get-pipeline, the template in git) can read it, and builds may print it in their logs. Secrets belong "
        "in Secrets Manager or Parameter Store, where reading them is controlled and logged.",
        fix + " Then change the exposed value: it has been readable for as long as it was there.",
    )


def _codebuild_secret_fix(name: str) -> str:
    return (f'Store the value in Secrets Manager and pass its name instead: {{"name": "{name}", "value": '
            '"<secret-name>", "type": "SECRETS_MANAGER"}} in environment_variables (or type PARAMETER_STORE '
            "for a SecureString parameter).")


def _secret_findings(ctx: _Context) -> list[Finding]:
    found = []
    for p in ctx.placed:
        where = f"{p.path}.configuration.EnvironmentVariables"
        for item in _codebuild_variables(p.action.configuration):
            if _plaintext(item.get("type")) and looks_like_secret(item.get("name"), item.get("value")):
                found.append(_secret_finding(where, item["name"], p.label, _codebuild_secret_fix(item["name"])))
        for k, variable in enumerate(p.action.environment_variables or []):
            if _plaintext(variable.type) and looks_like_secret(variable.name, variable.value):
                found.append(_secret_finding(
                    f"{p.path}.environmentVariables[{k}]", variable.name, p.label,
                    f'Store the value in Secrets Manager and pass its ARN instead: EnvironmentVariable(name='
                    f'"{variable.name}", value="arn:aws:secretsmanager:...", type="SECRETS_MANAGER").'))
    for where, rule in _placed_rules(ctx.pipeline):
        for item in _codebuild_variables(rule.configuration):
            if _plaintext(item.get("type")) and looks_like_secret(item.get("name"), item.get("value")):
                found.append(_secret_finding(f"{where}.configuration.EnvironmentVariables", item["name"],
                                             f"rule {rule.name}", _codebuild_secret_fix(item["name"])))
    return found


def _placed_rules(pipeline: Pipeline) -> Iterator[tuple[str, Rule]]:
    for si, stage in enumerate(pipeline.stages or []):
        for key, holder in (("beforeEntry", stage.before_entry), ("onSuccess", stage.on_success),
                            ("onFailure", stage.on_failure)):
            for ci, condition in enumerate(getattr(holder, "conditions", None) or []):
                for ri, rule in enumerate(condition.rules or []):
                    if isinstance(rule, Rule):
                        yield f"stages[{si}].{key}.conditions[{ci}].rules[{ri}]", rule


def _source_findings(ctx: _Context) -> list[Finding]:
    found = []
    for p in ctx.placed:
        type_id = p.action.action_type_id
        if type_id is None or type_id.category != "Source":
            continue
        if type_id.owner == "ThirdParty" and type_id.provider == "GitHub":
            found.append(_finding(
                "WB402", p.path, f"{p.label} uses the legacy GitHub (version 1) source with an OAuth token",
                "The version 1 GitHub action reaches the repository with a personal OAuth token kept in the "
                "pipeline, and needs a webhook you manage yourself; AWS no longer recommends it. A connection "
                "(the GitHub App) uses short-lived tokens and works with V2 triggers on branches, tags and "
                "pull requests.",
                "Create a connection (console: Developer Tools > Settings > Connections), replace the action "
                'with github_source(connection_arn=..., repository="owner/repo", branch=...), and delete the '
                "old webhook.",
            ))
        elif type_id.owner == "AWS" and type_id.provider in ("CodeCommit", "S3"):
            poll = p.action.config("PollForSourceChanges") if isinstance(p.action.configuration, dict) else None
            if poll is not None and str(poll).lower() == "false":
                continue
            if type_id.provider == "CodeCommit":
                how = ("Create an EventBridge rule that starts the pipeline on pushes to the branch, then stop "
                       "polling: codecommit_source(..., poll=False).")
            else:
                how = ("Send the bucket's events to EventBridge (or record them with a CloudTrail trail) with a "
                       "rule that starts the pipeline, then stop polling: s3_source(..., poll=False).")
            found.append(_finding(
                "WB403", p.path, f"{p.label} polls {type_id.provider} for changes",
                "A polling source looks for changes on a schedule, so a push can wait minutes before the "
                "pipeline starts, and polling stops by itself when the pipeline has been inactive for 30 days. "
                "AWS recommends event-based change detection instead"
                + (" (PollForSourceChanges is true when left out)." if poll is None else "."),
                how,
            ))
    return found


# --------------------------------------------------------------------------------------------
# Cost (WB5xx)

V1_PRICE_PER_MONTH = 1.00  # USD per active pipeline per month (reference section 5)
V2_PRICE_PER_MINUTE = 0.002  # USD per action-execution minute
V2_FREE_MINUTES = 100  # per month, shared by the account's V2 pipelines
BREAK_EVEN_MINUTES = round(V1_PRICE_PER_MONTH / V2_PRICE_PER_MINUTE)  # 500


def _billed_actions(ctx: _Context) -> int:
    """Actions V2 bills by the minute: all but manual approvals and custom actions."""
    count = 0
    for p in ctx.placed:
        type_id = p.action.action_type_id
        if type_id is None or type_id.category == "Approval" or type_id.owner == "Custom":
            continue
        count += 1
    return count


def _v2_only_features(pipeline: Pipeline) -> list[str]:
    """What in the definition exists only in V2 pipelines, in words."""
    found = []
    if pipeline.execution_mode in ("QUEUED", "PARALLEL"):
        found.append(f"{pipeline.execution_mode} mode")
    if pipeline.variables:
        found.append("pipeline variables")
    if pipeline.triggers:
        found.append("triggers")
    if any(s.on_failure or s.on_success or s.before_entry for s in pipeline.stages or []):
        found.append("stage conditions")
    for _, _, _, action in pipeline.iter_actions():
        type_id = action.action_type_id
        spec = provider_spec(type_id.category, type_id.owner, type_id.provider) if type_id else None
        if spec is not None and spec.v2_only and f"{spec.title} actions" not in found:
            found.append(f"{spec.title} actions")
    return found


def _pricing_findings(ctx: _Context) -> list[Finding]:
    billed = _billed_actions(ctx)
    if ctx.is_v2:
        title = f"V2 pricing: cheaper than V1 below about {BREAK_EVEN_MINUTES} billed action-minutes a month"
    else:
        title = "V1 pricing: $1.00 for every month the pipeline runs a change"
    why = (f"V1 costs ${V1_PRICE_PER_MONTH:.2f} for each month in which the pipeline runs a change (free in its "
           f"first 30 days). V2 costs ${V2_PRICE_PER_MINUTE} per action-minute, each action rounded up to a whole "
           f"minute, approvals free, with {V2_FREE_MINUTES} free minutes a month shared by the account's V2 "
           f"pipelines. ${V1_PRICE_PER_MONTH:.2f} buys {BREAK_EVEN_MINUTES} action-minutes, so V2 is cheaper "
           f"below about {BREAK_EVEN_MINUTES} billed minutes a month and V1 above.")
    if billed:
        runs = BREAK_EVEN_MINUTES // billed
        why += (f" One run of this pipeline bills at least {billed} action-minute{'s' if billed != 1 else ''} "
                f"({billed} billed action{'s' if billed != 1 else ''}, a minute each at the least), so the "
                f"break-even comes after about {runs} run{'s' if runs != 1 else ''} a month at the most, and "
                "sooner when its actions take longer.")
    why += " Which type is cheaper depends on how often it runs and how long its actions take."
    features = _v2_only_features(ctx.pipeline)
    if ctx.is_v2 and features:
        why += f" It uses {_names(features, most=6)}, which V1 does not have, so V1 is not an option for it."
    return [_finding(
        "WB501", "", title, why,
        "Multiply the runs you expect in a month by the minutes one run bills and compare with "
        f"${V1_PRICE_PER_MONTH:.2f}. CodeBuild, S3 and the other services the actions use are billed "
        "separately, whatever the pipeline type.",
    )]


# --------------------------------------------------------------------------------------------
# The entry point

_CHECKS = (
    _unit_test_findings,
    _preproduction_findings,
    _acceptance_findings,
    _gate_findings,
    _unrecognised_production_findings,
    _wave_findings,
    _bake_findings,
    _rollback_findings,
    _self_update_findings,
    _approval_findings,
    _superseded_findings,
    _parallel_findings,
    _secret_findings,
    _source_findings,
    _pricing_findings,
)


def lint(pipeline: Pipeline | dict, *, pipeline_stack: str | None = None) -> Findings:
    """Best-practice findings on a definition (a Pipeline, or its boto3 dict), ordered by where, then code.

    pipeline_stack: the CloudFormation stack that holds the pipeline itself, so that an action
    deploying it is read as the pipeline updating itself (names like "UpdatePipeline" are read
    that way too). The definition need not be valid; run validate() for what AWS would reject.
    """
    model = pipeline if isinstance(pipeline, Pipeline) else Pipeline.from_api(pipeline)
    ctx = _Context.of(model, pipeline_stack)
    found = [finding for check in _CHECKS for finding in check(ctx)]
    return Findings(sorted(found, key=_order))
