"""The workbook's pipelines as functions: from "simple but bold" to a phased multi-region rollout.

The application is a containerised web service ("octo-org/hello-service"). CodeBuild does the
work: `<prefix>-unit-tests`, `<prefix>-build-image` (builds the image, exports it in BuildOutput),
`<prefix>-deploy` (pushes the image to the target's registry and deploys it),
`<prefix>-acceptance-tests`. A deploy is a CodeBuild action (category Build) whose environment
variables say where it goes: DEPLOY_ENVIRONMENT ("preprod", "production", "customer-acme") and
DEPLOY_REGION; `deploy_target(action)` reads them back. Test actions say TEST_SUITE ("unit" or
"acceptance") and, for acceptance tests, TEST_ENVIRONMENT and TEST_REGION.

Every function returns a valid V2 `Pipeline`; `prefix` (default "wb") goes into every pipeline,
project, bucket, stack and alarm name, so workshop participants do not collide.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from . import actions as a
from .model import Action, Pipeline, Stage

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
REGIONS_FILE = DATA_DIR / "regions.json"

ACCOUNT = a.DEFAULT_ACCOUNT
REGION = a.DEFAULT_REGION
REPOSITORY = "octo-org/hello-service"
BRANCH = "main"
PLACEHOLDER_CONNECTION_ID = "a1b2c3d4-5678-4abc-9def-0123456789ab"
PREFIX = "wb"

SOURCE_OUTPUT = "SourceOutput"
BUILD_OUTPUT = "BuildOutput"
PIPELINE_TEMPLATE = "pipeline.yaml"  # written by the image build next to the image (self_updating)

PREPROD = "preprod"
PRODUCTION = "production"

MAX_ACTIONS_PER_STAGE = 50  # CodePipeline quota (reference 2.3)
MAX_STAGES = 50
MAX_RULES_PER_CONDITION = a.MAX_RULES_PER_CONDITION


# --------------------------------------------------------------------------------------------
# Regions and waves (data/regions.json)


@dataclass(frozen=True)
class Region:
    """An AWS region CodePipeline runs in; opt_in regions must be enabled in the account first."""

    code: str
    name: str
    opt_in: bool


def _load_regions() -> tuple[tuple[Region, ...], tuple[tuple[str, ...], ...]]:
    try:
        data = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{REGIONS_FILE} is missing: pipeline_workbook reads its data from the repository's data/ "
            "folder, so install it editable (pip install -e .) from a checkout.") from None
    regions = tuple(Region(r["code"], r["name"], bool(r["opt_in"])) for r in data["regions"])
    waves = tuple(tuple(wave) for wave in data["default_waves"])
    return regions, waves


REGIONS, DEFAULT_WAVES = _load_regions()
REGION_NAMES = {r.code: r.name for r in REGIONS}


def plan_waves(regions: Sequence[str], *, first: int = 1, growth: int = 2, max_size: int = 10) -> tuple[tuple[str, ...], ...]:
    """Split regions, in order, into waves that grow: first, first*growth, ... capped at max_size.

    plan_waves(all 30 regions) gives waves of 1, 2, 4, 8, 10 and 5 regions.
    """
    for label, value in (("first", first), ("growth", growth), ("max_size", max_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"plan_waves: {label} must be a whole number of at least 1 (got {value!r}).")
    remaining = list(regions)
    waves: list[tuple[str, ...]] = []
    size = min(first, max_size)
    while remaining:
        waves.append(tuple(remaining[:size]))
        remaining = remaining[size:]
        size = min(size * growth, max_size)
    return tuple(waves)


def _check_waves(waves: Any) -> list[list[str]]:
    """Waves as lists of known region codes, each region once, each wave within the action quota."""
    if isinstance(waves, str) or not isinstance(waves, Iterable):
        raise ValueError('phased_rollout: waves must be a list of lists of regions, e.g. [["ca-central-1"], '
                         '["us-east-2", "eu-west-2"]].')
    checked: list[list[str]] = []
    seen: set[str] = set()
    for n, wave in enumerate(waves, 1):
        regions = [wave] if isinstance(wave, str) else list(wave)
        if not regions:
            raise ValueError(f"phased_rollout: wave {n} is empty; give every wave at least one region.")
        if len(regions) > MAX_ACTIONS_PER_STAGE:
            raise ValueError(f"phased_rollout: wave {n} has {len(regions)} regions; a stage holds at most "
                             f"{MAX_ACTIONS_PER_STAGE} actions. Split it into smaller waves.")
        for code in regions:
            if code not in REGION_NAMES:
                raise ValueError(f"phased_rollout: wave {n} names {code!r}, which is not a CodePipeline region; "
                                 f"use codes such as 'eu-west-1' (see patterns.REGIONS).")
            if code in seen:
                raise ValueError(f"phased_rollout: region {code!r} appears in more than one wave; deploy each once.")
            seen.add(code)
        checked.append(regions)
    if not checked:
        raise ValueError("phased_rollout: waves is empty; pass at least one wave of regions.")
    return checked


# --------------------------------------------------------------------------------------------
# Customers (per_customer)


@dataclass(frozen=True)
class Customer:
    """One customer with its own environment; last_wave pins it to the final wave."""

    name: str
    slug: str
    last_wave: bool = False
    approval: bool = False
    region: str | None = None

    @property
    def environment(self) -> str:
        return f"customer-{self.slug}"


DEFAULT_CUSTOMERS: tuple[str | dict, ...] = (
    "Acme Corp",
    "Blue Harbor Bank",
    "Cedar Logistics",
    "Delta Clinics",
    "Evergreen Retail",
    "Fjord Media",
    "Granite Insurance",
    {"name": "Halcyon Public Services", "last_wave": True, "approval": True},
)


def slugify(name: str) -> str:
    """'Blue Harbor Bank' -> 'blue-harbor-bank' (lowercase letters, digits, hyphens)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def as_customer(value: str | Mapping[str, Any] | Customer) -> Customer:
    """A Customer from a name or a dict {name, slug?, last_wave?, approval?, region?}."""
    if isinstance(value, Customer):
        return value
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping) or not isinstance(value.get("name"), str) or not value["name"].strip():
        raise ValueError(f"per_customer: each customer is a name or a dict with a 'name' (got {value!r}).")
    unknown = set(value) - {"name", "slug", "last_wave", "approval", "region"}
    if unknown:
        raise ValueError(f"per_customer: customer {value['name']!r} has unknown options {sorted(unknown)}; "
                         "use slug, last_wave, approval or region.")
    slug = value.get("slug") or slugify(value["name"])
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,59}$", slug):
        raise ValueError(f"per_customer: customer {value['name']!r} needs a slug of 1-60 lowercase letters, "
                         f"digits or hyphens (got {slug!r}); pass 'slug'.")
    region = value.get("region")
    if region is not None and region not in REGION_NAMES:
        raise ValueError(f"per_customer: customer {value['name']!r} has region {region!r}, which is not a "
                         "CodePipeline region.")
    return Customer(name=value["name"], slug=slug, last_wave=bool(value.get("last_wave", False)),
                    approval=bool(value.get("approval", False)), region=region)


def _customer_waves(customers: list[Customer], wave_sizes: Sequence[int | None]) -> list[list[Customer]]:
    """Customers in waves of the given sizes (None: all the rest; past the end: the last size again)."""
    sizes = list(wave_sizes)
    if not sizes:
        raise ValueError("per_customer: wave_sizes is empty; pass e.g. (1, 5, None).")
    for i, size in enumerate(sizes):
        if size is None and i != len(sizes) - 1:
            raise ValueError("per_customer: None (all remaining customers) may only be the last wave size.")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise ValueError(f"per_customer: wave sizes must be whole numbers of at least 1 or None (got {size!r}).")
    regular = [c for c in customers if not c.last_wave]
    pinned = [c for c in customers if c.last_wave]
    waves: list[list[Customer]] = []
    index = 0
    while regular:
        size = sizes[min(index, len(sizes) - 1)]
        take = len(regular) if size is None else size
        waves.append(regular[:take])
        regular = regular[take:]
        index += 1
    if pinned:
        if waves:
            waves[-1] = waves[-1] + pinned
        else:
            waves.append(pinned)
    return waves


def _pack_stages(wave: list[Customer], limit: int = MAX_ACTIONS_PER_STAGE) -> list[list[Customer]]:
    """Split one wave into parts of at most `limit` actions (a customer with approval takes two)."""
    parts: list[list[Customer]] = [[]]
    used = 0
    for customer in wave:
        cost = 2 if customer.approval else 1
        if used + cost > limit:
            parts.append([])
            used = 0
        parts[-1].append(customer)
        used += cost
    return parts


# --------------------------------------------------------------------------------------------
# Shared pieces


@dataclass(frozen=True)
class _Setup:
    """The names every pattern shares, derived from the prefix, account and region."""

    prefix: str
    account: str
    region: str
    repository: str
    branch: str
    connection_arn: str

    def project(self, what: str) -> str:
        return f"{self.prefix}-{what}"

    def pipeline_name(self, pattern: str) -> str:
        return f"{self.prefix}-{pattern}"

    @property
    def cloudformation_role(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.prefix}-cloudformation-role"

    def alarm(self, what: str) -> str:
        return f"{self.prefix}-health-{what}"


def _setup(prefix: str, account: str, region: str, repository: str, branch: str,
           connection_arn: str | None) -> _Setup:
    if not isinstance(prefix, str) or not re.match(r"^[a-z][a-z0-9-]{0,19}$", prefix) or prefix.endswith("-"):
        raise ValueError(f"prefix must be 1-20 lowercase letters, digits or hyphens, starting with a letter "
                         f"(it goes into S3 bucket names), e.g. prefix='alice' (got {prefix!r}).")
    if not isinstance(account, str) or not re.match(r"^\d{12}$", account):
        raise ValueError(f"account must be a 12-digit account id such as '123456789012' (got {account!r}).")
    if region not in REGION_NAMES:
        raise ValueError(f"region must be a CodePipeline region such as 'us-east-1' (got {region!r}).")
    if connection_arn is None:
        connection_arn = f"arn:aws:codeconnections:{region}:{account}:connection/{PLACEHOLDER_CONNECTION_ID}"
    return _Setup(prefix, account, region, repository, branch, connection_arn)


def _source_stage(s: _Setup) -> Stage:
    return a.stage("Source", a.github_source("Source", connection_arn=s.connection_arn, repository=s.repository,
                                             branch=s.branch, output=SOURCE_OUTPUT))


def _build_image(s: _Setup, run_order: int | None = None) -> Action:
    return a.codebuild("BuildImage", project=s.project("build-image"), inputs=SOURCE_OUTPUT,
                       outputs=BUILD_OUTPUT, run_order=run_order)


def _build_stage(s: _Setup, unit_tests: bool = True) -> Stage:
    """Build: unit tests (runOrder 1) gate the image build (runOrder 2), so a failing test stops it."""
    if not unit_tests:
        return a.stage("Build", _build_image(s))
    return a.stage("Build",
                   a.codebuild_test("UnitTests", project=s.project("unit-tests"), inputs=SOURCE_OUTPUT,
                                    environment_variables={"TEST_SUITE": "unit"}, run_order=1),
                   _build_image(s, run_order=2))


def _deploy(s: _Setup, environment: str, *, region: str | None = None, name: str = "Deploy",
            run_order: int | None = None) -> Action:
    """A CodeBuild deploy of the image to one environment; cross-region when region is given."""
    target_region = region or s.region
    return a.codebuild(name, project=s.project("deploy"), inputs=BUILD_OUTPUT,
                       environment_variables={"DEPLOY_ENVIRONMENT": environment, "DEPLOY_REGION": target_region},
                       region=region, run_order=run_order)


def _acceptance_tests(s: _Setup, environment: str = PREPROD, run_order: int = 2) -> Action:
    """Acceptance tests (kept in the repository) run against a deployed environment."""
    return a.codebuild_test("AcceptanceTests", project=s.project("acceptance-tests"), inputs=SOURCE_OUTPUT,
                            environment_variables={"TEST_SUITE": "acceptance", "TEST_ENVIRONMENT": environment,
                                                   "TEST_REGION": s.region},
                            run_order=run_order)


def _approval(approval_topic_arn: str | None) -> Action:
    return a.manual_approval("Approve", notification_arn=approval_topic_arn,
                             custom_data="Try the change in pre-production, then approve it for production.")


def _pipeline(s: _Setup, pattern: str, stages: list[Stage]) -> Pipeline:
    return a.pipeline(s.pipeline_name(pattern), stages, account=s.account, region=s.region, pipeline_type="V2")


# --------------------------------------------------------------------------------------------
# The story, in order


def simple_but_bold(*, prefix: str = PREFIX, account: str = ACCOUNT, region: str = REGION,
                    repository: str = REPOSITORY, branch: str = BRANCH,
                    connection_arn: str | None = None) -> Pipeline:
    """Source -> Build (image) -> Production. Fast, and bold: no tests, no pre-production."""
    s = _setup(prefix, account, region, repository, branch, connection_arn)
    return _pipeline(s, "simple-but-bold", [
        _source_stage(s),
        _build_stage(s, unit_tests=False),
        a.stage("Production", _deploy(s, PRODUCTION)),
    ])


def with_unit_tests(*, prefix: str = PREFIX, account: str = ACCOUNT, region: str = REGION,
                    repository: str = REPOSITORY, branch: str = BRANCH,
                    connection_arn: str | None = None) -> Pipeline:
    """Unit tests run before the image build; a failing test stops the change before production."""
    s = _setup(prefix, account, region, repository, branch, connection_arn)
    return _pipeline(s, "with-unit-tests", [
        _source_stage(s),
        _build_stage(s),
        a.stage("Production", _deploy(s, PRODUCTION)),
    ])


def manual_acceptance(*, approval_topic_arn: str | None = None, prefix: str = PREFIX, account: str = ACCOUNT,
                      region: str = REGION, repository: str = REPOSITORY, branch: str = BRANCH,
                      connection_arn: str | None = None) -> Pipeline:
    """Pre-production, then a person tries the change and approves it before production.

    approval_topic_arn: an SNS topic that tells the approvers a change is waiting.
    """
    s = _setup(prefix, account, region, repository, branch, connection_arn)
    return _pipeline(s, "manual-acceptance", [
        _source_stage(s),
        _build_stage(s),
        a.stage("PreProduction", _deploy(s, PREPROD)),
        a.stage("Approval", _approval(approval_topic_arn)),
        a.stage("Production", _deploy(s, PRODUCTION)),
    ])


def automated_acceptance(*, keep_manual_approval: bool = False, approval_topic_arn: str | None = None,
                         prefix: str = PREFIX, account: str = ACCOUNT, region: str = REGION,
                         repository: str = REPOSITORY, branch: str = BRANCH,
                         connection_arn: str | None = None) -> Pipeline:
    """Acceptance tests run against pre-production (runOrder 2, after the deploy) instead of a person.

    keep_manual_approval=True keeps the approval stage after the tests, for teams not ready to drop it.
    """
    s = _setup(prefix, account, region, repository, branch, connection_arn)
    stages = [
        _source_stage(s),
        _build_stage(s),
        _preproduction_stage(s),
    ]
    if keep_manual_approval:
        stages.append(a.stage("Approval", _approval(approval_topic_arn)))
    stages.append(a.stage("Production", _deploy(s, PRODUCTION)))
    return _pipeline(s, "automated-acceptance", stages)


def _preproduction_stage(s: _Setup) -> Stage:
    return a.stage("PreProduction", _deploy(s, PREPROD, run_order=1), _acceptance_tests(s))


def _wave_alarm_condition(s: _Setup, wave_number: int, regions: list[str], bake_minutes: int, rollback: bool):
    """The wave's bake time: alarms watched for bake_minutes after it succeeds (one rule per region
    up to 5, the most a condition holds; beyond that one wave-level alarm in the pipeline's region)."""
    wait = bake_minutes or None
    result = "ROLLBACK" if rollback else "FAIL"
    if len(regions) <= MAX_RULES_PER_CONDITION:
        rules = [a.alarm_rule(s.alarm(r), wait_minutes=wait, region=r, rule_name=f"Alarms-{r}") for r in regions]
    else:
        rules = [a.alarm_rule(s.alarm(f"wave{wave_number}"), wait_minutes=wait,
                              rule_name=f"Alarms-wave{wave_number}")]
    return a.on_success(*rules, result=result)


def phased_rollout(waves: Sequence[Sequence[str]] = DEFAULT_WAVES, bake_minutes: int = 60, alarms: bool = True,
                   rollback: bool = True, *, prefix: str = PREFIX, account: str = ACCOUNT, region: str = REGION,
                   repository: str = REPOSITORY, branch: str = BRANCH,
                   connection_arn: str | None = None) -> Pipeline:
    """Pre-production and acceptance tests, then production one wave of regions at a time.

    Each wave is a stage whose regions deploy in parallel as cross-region actions. With alarms,
    the wave's alarms are watched for bake_minutes after it succeeds (an onSuccess condition);
    with rollback, a failed wave (or an alarm during the bake) rolls back to the last good release.
    """
    s = _setup(prefix, account, region, repository, branch, connection_arn)
    checked = _check_waves(waves)
    if isinstance(bake_minutes, bool) or not isinstance(bake_minutes, int) or not 0 <= bake_minutes <= 86400:
        raise ValueError(f"phased_rollout: bake_minutes must be a whole number of minutes from 0 to 86400 "
                         f"(got {bake_minutes!r}).")
    if 3 + len(checked) > MAX_STAGES:
        raise ValueError(f"phased_rollout: {len(checked)} waves make {3 + len(checked)} stages; a pipeline holds "
                         f"at most {MAX_STAGES}. Use fewer, larger waves.")
    stages = [_source_stage(s), _build_stage(s), _preproduction_stage(s)]
    for number, regions in enumerate(checked, 1):
        deploys = [_deploy(s, PRODUCTION, region=r, name=f"Deploy-{r}") for r in regions]
        stages.append(a.stage(
            f"Wave{number}", deploys,
            on_success=_wave_alarm_condition(s, number, regions, bake_minutes, rollback) if alarms else None,
            on_failure=a.rollback_on_failure() if rollback else None,
        ))
    return _pipeline(s, "phased-rollout", stages)


def _customer_actions(s: _Setup, customer: Customer, approval_topic_arn: str | None) -> list[Action]:
    deploy = _deploy(s, customer.environment, region=customer.region, name=f"Deploy-{customer.slug}",
                     run_order=2 if customer.approval else 1)
    if not customer.approval:
        return [deploy]
    approve = a.manual_approval(f"Approve-{customer.slug}", notification_arn=approval_topic_arn,
                                custom_data=f"{customer.name} asked to approve each release before it reaches them.",
                                run_order=1)
    return [approve, deploy]


def per_customer(customers: Sequence[str | Mapping[str, Any] | Customer] = DEFAULT_CUSTOMERS,
                 wave_sizes: Sequence[int | None] = (1, 5, None), *, approval_topic_arn: str | None = None,
                 prefix: str = PREFIX, account: str = ACCOUNT, region: str = REGION,
                 repository: str = REPOSITORY, branch: str = BRANCH,
                 connection_arn: str | None = None) -> Pipeline:
    """One environment per customer, released in waves of customers after pre-production.

    customers: names, or dicts {name, slug?, last_wave?, approval?, region?}; last_wave pins a
    customer to the final wave, approval puts a manual approval before its deploy. A wave with
    more actions than a stage holds (50) is split into several stages.
    """
    s = _setup(prefix, account, region, repository, branch, connection_arn)
    people = [as_customer(c) for c in customers]
    if not people:
        raise ValueError("per_customer: customers is empty; pass at least one customer name.")
    slugs = [c.slug for c in people]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicates:
        raise ValueError(f"per_customer: several customers share the slug(s) {duplicates}; give them distinct "
                         "names or a 'slug'.")
    stages = [_source_stage(s), _build_stage(s), _preproduction_stage(s)]
    for number, wave in enumerate(_customer_waves(people, wave_sizes), 1):
        parts = _pack_stages(wave)
        for part_number, part in enumerate(parts, 1):
            name = f"Wave{number}" if len(parts) == 1 else f"Wave{number}-part{part_number}"
            stages.append(a.stage(name, [act for c in part for act in _customer_actions(s, c, approval_topic_arn)]))
    if len(stages) > MAX_STAGES:
        raise ValueError(f"per_customer: the waves make {len(stages)} stages; a pipeline holds at most "
                         f"{MAX_STAGES}. Use larger wave_sizes.")
    return _pipeline(s, "per-customer", stages)


def _update_pipeline_stage(s: _Setup) -> Stage:
    """The pipeline deploys its own CloudFormation stack (template written by the image build)."""
    return a.stage("UpdatePipeline", a.cloudformation_deploy(
        "SelfMutate", stack=s.project("pipeline"), template=f"{BUILD_OUTPUT}::{PIPELINE_TEMPLATE}",
        role_arn=s.cloudformation_role, capabilities=("CAPABILITY_NAMED_IAM",)))


def self_updating(safe: bool = False, *, prefix: str = PREFIX, account: str = ACCOUNT, region: str = REGION,
                  repository: str = REPOSITORY, branch: str = BRANCH,
                  connection_arn: str | None = None) -> Pipeline:
    """A pipeline that updates its own definition (stack "<prefix>-pipeline") from the repository.

    safe=False: the self-update comes after the application deploys, so a change to the pipeline
    (a new test stage, say) only applies to the next run: the change that added it went out
    without it. safe=True: an UpdatePipeline stage right after Build, before any deploy (as CDK
    Pipelines does); when the pipeline changed, the run restarts on the new definition
    (RestartExecutionOnUpdate on the stack's pipeline resource).
    """
    s = _setup(prefix, account, region, repository, branch, connection_arn)
    stages = [_source_stage(s), _build_stage(s)]
    if safe:
        stages.append(_update_pipeline_stage(s))
    stages += [_preproduction_stage(s), a.stage("Production", _deploy(s, PRODUCTION))]
    if not safe:
        stages.append(_update_pipeline_stage(s))
    return _pipeline(s, "self-updating", stages)


PATTERNS: dict[str, Callable[..., Pipeline]] = {
    "simple_but_bold": simple_but_bold,
    "with_unit_tests": with_unit_tests,
    "manual_acceptance": manual_acceptance,
    "automated_acceptance": automated_acceptance,
    "phased_rollout": phased_rollout,
    "per_customer": per_customer,
    "self_updating": self_updating,
}


# --------------------------------------------------------------------------------------------
# Reading deploys back

# Native deploy providers and the configuration key that names what they deploy to.
# CloudFormation action modes that change a running stack (CHANGE_SET_REPLACE only prepares a
# change set; DELETE_ONLY removes the stack).
STACK_CHANGING_MODES = ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "CHANGE_SET_EXECUTE")

NATIVE_DEPLOY_TARGETS = {
    "CloudFormation": "StackName",
    "ECS": "ServiceName",
    "CodeDeploy": "DeploymentGroupName",
    "CodeDeployToECS": "DeploymentGroupName",
    "S3": "BucketName",
    "ElasticBeanstalk": "EnvironmentName",
}


def deploy_target(action: Action) -> tuple[str, str | None] | None:
    """(environment, region) an action deploys to, or None when it deploys nothing.

    A CodeBuild Build action deploys when its environment variables hold DEPLOY_ENVIRONMENT
    (region: DEPLOY_REGION, else the action's region). A native Deploy action (CloudFormation,
    ECS, CodeDeploy, S3, Elastic Beanstalk) deploys to its stack/service/group/bucket, in
    action.region (None: the pipeline's own region).
    """
    if action.category == "Build" and action.provider == "CodeBuild":
        variables = a.environment_variables_of(action)
        environment = variables.get("DEPLOY_ENVIRONMENT")
        if not environment:
            return None
        return environment, variables.get("DEPLOY_REGION") or action.region
    if action.category == "Deploy":
        if action.provider == "CloudFormation" and action.config("ActionMode") not in STACK_CHANGING_MODES:
            return None  # a change set that is only prepared, or a stack deleted, deploys nothing
        key = NATIVE_DEPLOY_TARGETS.get(action.provider or "")
        value = action.config(key) if key else None
        if value:
            return value, action.region
    return None


def deployments(pipeline: Pipeline) -> list[tuple[str, str, str, str | None]]:
    """Every deploy in the pipeline, in order: (stage, action, environment, region)."""
    found = []
    for _, stage, _, action in pipeline.iter_actions():
        target = deploy_target(action)
        if target:
            found.append((stage.name, action.name, target[0], target[1]))
    return found
