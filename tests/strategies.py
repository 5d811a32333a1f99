"""Hypothesis strategies that build valid CodePipeline definitions from the model classes.

`pipelines()` draws a whole `Pipeline` that AWS would accept: 2-8 stages; a first stage of 1-3
source actions (connection, CodeCommit, S3, ECR) and later stages mixing CodeBuild build/test,
manual approval, CloudFormation (every action mode with the keys it needs), ECS, S3 deploy and
Lambda, in runOrder groups; every input artifact produced earlier; unique names drawn from the
allowed character sets; artifact counts within the catalog's bounds; optional cross-region
actions with matching artifactStores; and V2 features (variables, triggers on the connection
source, QUEUED/PARALLEL, stage conditions) only when pipelineType is V2.

Half of the drawn pipelines are "printed" the way get_pipeline prints them (runOrder on every
action, empty artifact lists, version, the home region on every action of a cross-region
pipeline); the others look like hand-written files (nothing that can be left out).

`catalog_breaches(pipeline)` is an independent, deliberately small check of the promises above
against catalog.py; the tests use it to check the strategies and the fixture corpus themselves.
"""

from __future__ import annotations

import functools
import json
import string
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from pipeline_workbook.catalog import CFN_MODES, provider_spec
from pipeline_workbook.model import (
    Action,
    ActionTypeId,
    ArtifactStore,
    BeforeEntryConditions,
    Condition,
    EncryptionKey,
    FailureConditions,
    FilterCriteria,
    GitConfiguration,
    GitPullRequestFilter,
    GitPushFilter,
    InputArtifact,
    OutputArtifact,
    Pipeline,
    PipelineVariable,
    RetryConfiguration,
    Rule,
    RuleTypeId,
    Stage,
    SuccessConditions,
    Trigger,
)

ACCOUNT = "123456789012"
HOME_REGION = "us-east-1"
OTHER_REGIONS = ("us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1")
PIPELINE_ROLE_NAME = "workbook-pipeline-role"
PIPELINE_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{PIPELINE_ROLE_NAME}"
CFN_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/workbook-cloudformation-role"

# Reproducible in CI: the same examples on every run, nothing written to .hypothesis/.
PROPERTY_SETTINGS = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

# Character sets of the API name patterns (codepipeline-rules.md 1.1-1.5, 2.2).
NAME_CHARS = string.ascii_letters + string.digits + ".@-_"  # pipeline, stage, action, rule names
ARTIFACT_CHARS = string.ascii_letters + string.digits + "-_"  # artifact names: no dot, no @
NAMESPACE_CHARS = string.ascii_letters + string.digits + "@-_"  # namespaces, variable names
SLUG_CHARS = string.ascii_lowercase + string.digits + "-"  # resource names inside configuration
GLOB_CHARS = string.ascii_letters + string.digits + "-_/*."

LATER_KINDS = ("build", "test", "approval", "cloudformation", "ecs", "s3_deploy", "lambda")
CROSS_REGION_KINDS = ("build", "test", "cloudformation", "ecs", "s3_deploy", "lambda")
SOURCE_KINDS = ("CodeStarSourceConnection", "CodeCommit", "S3", "ECR")
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND")

RUN_ORDER_SETS = st.sets(st.integers(1, 10), min_size=1, max_size=3)  # gaps allowed: 1, 3, 7
APPROVAL_TIMEOUTS = st.one_of(st.none(), st.integers(5, 86400))
PULL_REQUEST_EVENTS = st.lists(st.sampled_from(["OPEN", "UPDATED", "CLOSED"]), min_size=1, max_size=3, unique=True)
GLOB_PATTERNS = st.lists(st.text(alphabet=GLOB_CHARS, min_size=1, max_size=20), min_size=1, max_size=3)


@functools.lru_cache(maxsize=None)
def names(alphabet: str = NAME_CHARS, max_size: int = 12) -> st.SearchStrategy[str]:
    """Names drawn from an API character set."""
    return st.text(alphabet=alphabet, min_size=1, max_size=max_size)


@functools.lru_cache(maxsize=None)
def slugs() -> st.SearchStrategy[str]:
    """Lower-case resource names (projects, stacks, buckets) to put in configuration values."""
    return st.text(alphabet=SLUG_CHARS, min_size=1, max_size=12).map(lambda s: "wb-" + s)


@functools.lru_cache(maxsize=None)
def unique_names(count: int, alphabet: str = NAME_CHARS) -> st.SearchStrategy[list[str]]:
    """`count` names, distinct even ignoring case."""
    return st.lists(names(alphabet), min_size=count, max_size=count, unique_by=str.lower)


# Strategies are built once and reused: building and validating a fresh one on every draw
# costs more than the drawing itself.
@functools.lru_cache(maxsize=4096)
def _choices(options: tuple) -> st.SearchStrategy:
    return st.sampled_from(options)


@functools.lru_cache(maxsize=None)
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


@functools.lru_cache(maxsize=4096)
def _subsets(options: tuple, low: int, high: int) -> st.SearchStrategy[list]:
    return st.lists(st.sampled_from(options), min_size=low, max_size=high, unique=True)


def _pick(draw, options):
    """One of the options (a list or tuple)."""
    return draw(_choices(tuple(options)))


@dataclass
class _Drawing:
    """What one pipeline drawing has decided so far: its style and the names it has handed out."""

    printed: bool
    v2: bool
    parallel: bool
    artifact_count: int = 0
    namespace_count: int = 0
    variables: list[str] = field(default_factory=list)

    def artifact(self, base: str) -> str:
        self.artifact_count += 1
        return f"{base}_{self.artifact_count}"

    def namespace(self, base: str) -> str:
        self.namespace_count += 1
        return f"{base}_{self.namespace_count}"


# --------------------------------------------------------------------------------------------
# Small pieces


def _type_id(category: str, provider: str) -> ActionTypeId:
    return ActionTypeId(category=category, owner="AWS", provider=provider, version="1")


def _artifact_lists(drawing: _Drawing, inputs: list[str], outputs: list[str]):
    """Input and output artifact lists: empty lists printed as [] or left out, by style."""
    empty = [] if drawing.printed else None
    ins = [InputArtifact(name=n) for n in inputs] or empty
    outs = [OutputArtifact(name=n) for n in outputs] or empty
    return ins, outs


def _choose_inputs(draw, available: list[str], low: int, high: int) -> list[str]:
    high = min(high, len(available))
    return draw(_subsets(tuple(available), low, high)) if high else []


def _draw_outputs(draw, drawing: _Drawing, low: int, high: int) -> list[str]:
    bases = draw(st.lists(names(ARTIFACT_CHARS, 8), min_size=low, max_size=high))
    return [drawing.artifact(base) for base in bases]


def _maybe(draw, value):
    """The value or None (left out), half the time each."""
    return value if draw(st.booleans()) else None


# --------------------------------------------------------------------------------------------
# Source actions (first stage)


def _source_configuration(draw, provider: str) -> dict[str, str]:
    repo = draw(slugs())
    if provider == "CodeStarSourceConnection":
        connection_id = draw(st.uuids()).hex
        config = {
            "ConnectionArn": f"arn:aws:codeconnections:{HOME_REGION}:{ACCOUNT}:connection/{connection_id}",
            "FullRepositoryId": f"example-org/{repo}",
            "BranchName": _pick(draw, ["main", "master", "trunk", "release/next"]),
        }
        optional = {"OutputArtifactFormat": "CODE_ZIP", "DetectChanges": _pick(draw, ["true", "false"])}
    elif provider == "CodeCommit":
        config = {"RepositoryName": repo, "BranchName": _pick(draw, ["main", "develop"])}
        optional = {"PollForSourceChanges": "false", "OutputArtifactFormat": "CODE_ZIP"}
    elif provider == "S3":
        config = {"S3Bucket": f"{repo}-sources-{ACCOUNT}", "S3ObjectKey": f"{repo}/source.zip"}
        optional = {"PollForSourceChanges": _pick(draw, ["true", "false"])}
    else:  # ECR
        config = {"RepositoryName": repo}
        optional = {"ImageTag": _pick(draw, ["latest", "release", "v1"])}
    for key, value in optional.items():
        if draw(st.booleans()):
            config[key] = value
    return config


def _source_action(draw, drawing: _Drawing, name: str) -> Action:
    provider = _pick(draw, SOURCE_KINDS)
    output = drawing.artifact(draw(names(ARTIFACT_CHARS, 8)))
    ins, outs = _artifact_lists(drawing, [], [output])
    return Action(
        name=name,
        action_type_id=_type_id("Source", provider),
        run_order=1 if drawing.printed or draw(st.booleans()) else None,
        configuration=_source_configuration(draw, provider),
        input_artifacts=ins,
        output_artifacts=outs,
        namespace=_maybe(draw, drawing.namespace("Source")),
    )


# --------------------------------------------------------------------------------------------
# Actions of the later stages


def _codebuild(draw, drawing: _Drawing, available: list[str], category: str):
    inputs = _choose_inputs(draw, available, 1, 5)
    outputs = _draw_outputs(draw, drawing, 0, 2 if category == "Build" else 1)
    config = {"ProjectName": draw(slugs())}
    if len(inputs) > 1:
        config["PrimarySource"] = _pick(draw, inputs)
    if drawing.variables and draw(st.booleans()):
        variable = _pick(draw, drawing.variables)
        config["EnvironmentVariables"] = json.dumps(
            [{"name": "PIPELINE_VALUE", "value": f"#{{variables.{variable}}}", "type": "PLAINTEXT"}]
        )
    if draw(st.booleans()):
        config["BatchEnabled"] = _pick(draw, ["true", "false"])
    return _type_id(category, "CodeBuild"), config, inputs, outputs


def _approval(draw, drawing: _Drawing, available: list[str]):
    config = {}
    for key, value in (
        ("NotificationArn", f"arn:aws:sns:{HOME_REGION}:{ACCOUNT}:approvals"),
        ("CustomData", "Check the staging dashboard before approving."),
        ("ExternalEntityLink", "https://staging.example.com"),
    ):
        if draw(st.booleans()):
            config[key] = value
    return _type_id("Approval", "Manual"), config, [], []


def _cloudformation(draw, drawing: _Drawing, available: list[str]):
    mode = _pick(draw, CFN_MODES)
    needs_template = mode in ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "CHANGE_SET_REPLACE")
    inputs = _choose_inputs(draw, available, 1, 3) if needs_template else []
    config = {"ActionMode": mode, "StackName": draw(slugs())}
    if mode != "CHANGE_SET_EXECUTE":
        config["RoleArn"] = CFN_ROLE_ARN
    if mode.startswith("CHANGE_SET"):
        config["ChangeSetName"] = draw(slugs())
    if needs_template:
        config["TemplatePath"] = f"{inputs[0]}::template.yaml"
        config["Capabilities"] = _pick(draw, CAPABILITIES)
        if draw(st.booleans()):
            config["TemplateConfiguration"] = f"{_pick(draw, inputs)}::configuration.json"
        if draw(st.booleans()):
            config["ParameterOverrides"] = json.dumps({"Environment": draw(slugs())})
    outputs = []
    if mode in ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "CHANGE_SET_EXECUTE") and draw(st.booleans()):
        outputs = _draw_outputs(draw, drawing, 1, 1)
        config["OutputFileName"] = "stack-outputs.json"
    return _type_id("Deploy", "CloudFormation"), config, inputs, outputs


def _ecs(draw, drawing: _Drawing, available: list[str]):
    config = {"ClusterName": draw(slugs()), "ServiceName": draw(slugs())}
    if draw(st.booleans()):
        config["FileName"] = "imagedefinitions.json"
    if draw(st.booleans()):
        config["DeploymentTimeout"] = str(draw(_integers(1, 60)))
    return _type_id("Deploy", "ECS"), config, _choose_inputs(draw, available, 1, 1), []


def _s3_deploy(draw, drawing: _Drawing, available: list[str]):
    extract = _pick(draw, ["true", "false"])
    config = {"BucketName": f"{draw(slugs())}-site-{ACCOUNT}", "Extract": extract}
    if extract == "false":
        config["ObjectKey"] = "releases/site.zip"
    if draw(st.booleans()):
        config["CacheControl"] = "max-age=300"
    return _type_id("Deploy", "S3"), config, _choose_inputs(draw, available, 1, 1), []


def _lambda(draw, drawing: _Drawing, available: list[str]):
    config = {"FunctionName": draw(slugs())}
    if draw(st.booleans()):
        config["UserParameters"] = json.dumps({"check": draw(slugs())})
    inputs = _choose_inputs(draw, available, 0, 2)
    return _type_id("Invoke", "Lambda"), config, inputs, _draw_outputs(draw, drawing, 0, 2)


_BUILDERS = {
    "build": lambda draw, drawing, available: _codebuild(draw, drawing, available, "Build"),
    "test": lambda draw, drawing, available: _codebuild(draw, drawing, available, "Test"),
    "approval": _approval,
    "cloudformation": _cloudformation,
    "ecs": _ecs,
    "s3_deploy": _s3_deploy,
    "lambda": _lambda,
}


def _later_action(draw, drawing: _Drawing, name: str, run_order: int, available: list[str],
                  regions: list[str]) -> Action:
    kind = _pick(draw, LATER_KINDS)
    type_id, config, inputs, outputs = _BUILDERS[kind](draw, drawing, available)
    ins, outs = _artifact_lists(drawing, inputs, outputs)
    region = _pick(draw, [None, *regions]) if regions and kind in CROSS_REGION_KINDS else None
    timeout = draw(APPROVAL_TIMEOUTS) if kind == "approval" else None
    deploys = kind in ("cloudformation", "ecs", "s3_deploy", "lambda")
    role = _maybe(draw, f"arn:aws:iam::{ACCOUNT}:role/{draw(slugs())}-deployer") if deploys else None
    return Action(
        name=name,
        action_type_id=type_id,
        run_order=run_order if drawing.printed or run_order != 1 or draw(st.booleans()) else None,
        configuration=config or ({} if drawing.printed else None),
        input_artifacts=ins,
        output_artifacts=outs,
        role_arn=role,
        region=region,
        namespace=_maybe(draw, drawing.namespace(kind)),
        timeout_in_minutes=timeout,
    )


def _later_stage(draw, drawing: _Drawing, name: str, produced: list[str], regions: list[str]) -> Stage:
    """A stage of 1-3 runOrder groups, 1-2 actions each; inputs come from earlier actions."""
    run_orders = sorted(draw(RUN_ORDER_SETS))
    group_sizes = [draw(_integers(1, 2)) for _ in run_orders]
    action_names = draw(unique_names(sum(group_sizes)))
    actions: list[Action] = []
    for run_order, size in zip(run_orders, group_sizes):
        available = list(produced)  # what this group may read: produced before the group starts
        group = [
            _later_action(draw, drawing, action_names[len(actions) + i], run_order, available, regions)
            for i in range(size)
        ]
        actions.extend(group)
        produced.extend(out for action in group for out in action.outputs)
    return Stage(name=name, actions=actions)


# --------------------------------------------------------------------------------------------
# V2 features


def _filter_criteria(draw, with_excludes: bool = True) -> FilterCriteria:
    excludes = draw(st.one_of(st.none(), GLOB_PATTERNS)) if with_excludes else None
    return FilterCriteria(includes=draw(GLOB_PATTERNS), excludes=excludes)


def _push_filter(draw) -> GitPushFilter:
    # Tags cannot be combined with branches, and file paths need branches (aws-cdk trigger.ts).
    if draw(st.booleans()):
        return GitPushFilter(tags=_filter_criteria(draw))
    return GitPushFilter(branches=_filter_criteria(draw), file_paths=_maybe(draw, _filter_criteria(draw)))


def _pull_request_filter(draw) -> GitPullRequestFilter:
    events = draw(PULL_REQUEST_EVENTS)
    return GitPullRequestFilter(
        events=events, branches=_filter_criteria(draw), file_paths=_maybe(draw, _filter_criteria(draw))
    )


def _trigger(draw, source_action_name: str) -> Trigger:
    """A trigger on one connection source: 0-3 push and 0-3 pull-request filters, never none."""
    push_count, pull_count = draw(_integers(0, 3)), draw(_integers(0, 3))
    if push_count == pull_count == 0:
        push_count = 1
    return Trigger(
        provider_type="CodeStarSourceConnection",
        git_configuration=GitConfiguration(
            source_action_name=source_action_name,
            push=[_push_filter(draw) for _ in range(push_count)] or None,
            pull_request=[_pull_request_filter(draw) for _ in range(pull_count)] or None,
        ),
    )


def _rule(draw, provider: str, configuration: dict[str, str]) -> Rule:
    return Rule(name=draw(names()), rule_type_id=RuleTypeId(provider=provider), configuration=configuration)


def _stage_conditions(draw, drawing: _Drawing, stage: Stage) -> None:
    """Give a later stage of a V2 pipeline some of: onFailure, onSuccess, beforeEntry."""
    failure_results = ["RETRY"] if drawing.parallel else ["RETRY", "ROLLBACK"]
    if draw(st.booleans()):
        result = _pick(draw, failure_results)
        retry = RetryConfiguration(retry_mode=_pick(draw, ["FAILED_ACTIONS", "ALL_ACTIONS"]))
        stage.on_failure = FailureConditions(result=result, retry_configuration=retry if result == "RETRY" else None)
    if draw(st.booleans()):
        alarm = _rule(draw, "CloudWatchAlarm", {"AlarmName": draw(slugs()), "WaitTime": str(draw(_integers(1, 60)))})
        result = "FAIL" if drawing.parallel else _pick(draw, ["ROLLBACK", "FAIL"])
        stage.on_success = SuccessConditions(conditions=[Condition(result=result, rules=[alarm])])
    if draw(st.booleans()):
        # An entry condition that SKIPs the stage may only use LambdaInvoke or VariableCheck
        # rules (stage-conditions user guide); a deployment window FAILs the execution.
        if draw(st.booleans()):
            rule = _rule(draw, "DeploymentWindow", {"Cron": "* 0-59 9-16 ? * MON-FRI *", "TimeZone": "UTC"})
            condition = Condition(result="FAIL", rules=[rule])
        else:
            rule = _rule(draw, "LambdaInvoke", {"FunctionName": draw(slugs())})
            condition = Condition(result=_pick(draw, ["FAIL", "SKIP"]), rules=[rule])
        stage.before_entry = BeforeEntryConditions(conditions=[condition])


# --------------------------------------------------------------------------------------------
# Artifact stores


def _artifact_store(draw, region: str) -> ArtifactStore:
    key = EncryptionKey(id=f"arn:aws:kms:{region}:{ACCOUNT}:key/{draw(st.uuids())}", type="KMS")
    return ArtifactStore(location=f"wb-artifacts-{region}-{ACCOUNT}", type="S3", encryption_key=_maybe(draw, key))


def _place_artifacts(draw, drawing: _Drawing, pipeline: Pipeline) -> None:
    """One artifactStore, or artifactStores for the home region plus every action region."""
    used = [r for r in pipeline.regions() if r != HOME_REGION]
    if not used:
        for _, _, _, action in pipeline.iter_actions():
            action.region = None
        pipeline.artifact_store = _artifact_store(draw, HOME_REGION)
        return
    pipeline.artifact_stores = {r: _artifact_store(draw, r) for r in [HOME_REGION, *used]}
    if drawing.printed:  # get_pipeline names the home region on every other action
        for _, _, _, action in pipeline.iter_actions():
            action.region = action.region or HOME_REGION


# --------------------------------------------------------------------------------------------
# Whole pipelines


@st.composite
def pipelines(draw, v2: bool | None = None, cross_region: bool | None = None,
              printed: bool | None = None) -> Pipeline:
    """A valid pipeline; force V2, cross-region actions or the get_pipeline style with the flags."""
    v2 = draw(st.booleans()) if v2 is None else v2
    mode = _pick(draw, [None, "SUPERSEDED", "QUEUED", "PARALLEL"] if v2 else [None, "SUPERSEDED"])
    printed = draw(st.booleans()) if printed is None else printed
    drawing = _Drawing(printed=printed, v2=v2, parallel=mode == "PARALLEL")
    if v2:
        drawing.variables = draw(st.lists(names(NAMESPACE_CHARS), max_size=3, unique_by=str.lower))
    cross_region = draw(st.booleans()) if cross_region is None else cross_region
    regions = [HOME_REGION, *draw(_subsets(OTHER_REGIONS, 1, 3))] if cross_region else []

    stage_names = draw(unique_names(draw(_integers(2, 8))))
    source_names = draw(unique_names(draw(_integers(1, 3))))
    sources = [_source_action(draw, drawing, n) for n in source_names]
    stages = [Stage(name=stage_names[0], actions=sources)]
    produced = [out for action in sources for out in action.outputs]
    for name in stage_names[1:]:
        stages.append(_later_stage(draw, drawing, name, produced, regions))
        if v2:
            _stage_conditions(draw, drawing, stages[-1])

    pipeline = Pipeline(
        name=draw(names(max_size=40)),
        role_arn=PIPELINE_ROLE_ARN,
        stages=stages,
        version=draw(_integers(1, 50)) if printed else None,
        execution_mode=mode,
        pipeline_type=("V2" if v2 else _pick(draw, [None, "V1"])),
    )
    if v2:
        pipeline.variables = [
            PipelineVariable(name=n, default_value=_maybe(draw, draw(slugs())), description=_maybe(draw, "set at start"))
            for n in drawing.variables
        ] or None
        connections = [a.name for a in sources if a.provider == "CodeStarSourceConnection"]
        triggered = draw(_subsets(tuple(connections), 0, len(connections))) if connections else []
        pipeline.triggers = [_trigger(draw, n) for n in triggered] or None
    _place_artifacts(draw, drawing, pipeline)
    return pipeline


def pipeline_dicts(**flags) -> st.SearchStrategy[dict]:
    """The same pipelines as plain boto3 dicts (what create_pipeline(pipeline=...) takes)."""
    return pipelines(**flags).map(lambda p: p.to_api())


# --------------------------------------------------------------------------------------------
# The independent check


def catalog_breaches(pipeline: Pipeline, home_region: str = HOME_REGION) -> list[str]:
    """Where the definition breaks a rule the strategies promise to keep (empty when it keeps them).

    A small second opinion next to validate.py: stage layout, unique names, artifact flow,
    catalog keys and artifact bounds, regions and artifact stores, V2-only features.
    """
    breaches: list[str] = []
    stages = pipeline.stages or []
    if len(stages) < 2:
        breaches.append("stages: fewer than 2")
    breaches += _duplicates("stages", [s.name for s in stages])
    outputs = [(si, ai, name) for si, _, ai, a in pipeline.iter_actions() for name in a.outputs]
    breaches += _duplicates("outputArtifacts", [name for _, _, name in outputs])
    for si, stage in enumerate(stages):
        breaches += _duplicates(f"stages[{si}].actions", [a.name for a in stage.actions or []])
    for si, stage, ai, action in pipeline.iter_actions():
        path = f"stages[{si}].actions[{ai}]"
        if (action.category == "Source") != (si == 0):
            breaches.append(f"{path}: Source actions belong in the first stage, and only there")
        breaches += _artifact_flow(pipeline, si, action, path)
        breaches += _catalog_keys(action, path)
        breaches += _region(pipeline, action, path, home_region)
    breaches += _v2_features(pipeline)
    return breaches


def _duplicates(path: str, values: list) -> list[str]:
    return [f"{path}: {value!r} appears {n} times" for value, n in Counter(values).items() if n > 1]


def _artifact_flow(pipeline: Pipeline, stage_index: int, action: Action, path: str) -> list[str]:
    earlier = set()
    for si, _, _, other in pipeline.iter_actions():
        if si < stage_index or (si == stage_index and other.effective_run_order < action.effective_run_order):
            earlier.update(other.outputs)
    return [f"{path}.inputArtifacts: {name!r} is not produced earlier" for name in action.inputs if name not in earlier]


def _catalog_keys(action: Action, path: str) -> list[str]:
    type_id = action.action_type_id
    spec = provider_spec(type_id.category, type_id.owner, type_id.provider)
    if spec is None:
        return []
    config, found = action.configuration or {}, []
    required = list(spec.required) + [r.key for r in spec.required_when if r.applies(config, len(action.inputs))]
    found += [f"{path}.configuration: {key} is missing" for key in required if key not in config]
    found += [f"{path}.configuration: unknown key {key}" for key in config if key not in spec.known_keys]
    found += [f"{path}.configuration.{key}: {config[key]!r} is not one of {choices}"
              for key, choices in spec.choices.items() if key in config and config[key] not in choices]
    for what, count, (low, high) in (("inputs", len(action.inputs), spec.inputs),
                                     ("outputs", len(action.outputs), spec.outputs)):
        if not low <= count <= high:
            found.append(f"{path}: {count} {what}, {spec.title} takes {low}-{high}")
    for key in ("TemplatePath", "TemplateConfiguration"):
        if key in config and config[key].split("::")[0] not in action.inputs:
            found.append(f"{path}.configuration.{key}: names no input artifact")
    if "PrimarySource" in config and config["PrimarySource"] not in action.inputs:
        found.append(f"{path}.configuration.PrimarySource: names no input artifact")
    return found


def _region(pipeline: Pipeline, action: Action, path: str, home_region: str) -> list[str]:
    if action.region is None:
        return []
    stores = pipeline.artifact_stores or {}
    found = []
    if action.region not in stores and action.region != home_region:
        found.append(f"{path}.region: no artifactStores entry for {action.region}")
    if action.region != home_region and (action.category == "Source" or action.action_type_id.owner != "AWS"):
        found.append(f"{path}.region: this action cannot run in another region")
    if stores and home_region not in stores:
        found.append(f"artifactStores: no entry for the pipeline's region {home_region}")
    return found


def _v2_features(pipeline: Pipeline) -> list[str]:
    if pipeline.effective_type == "V2":
        return []
    used = [
        label
        for label, present in (
            ("executionMode QUEUED/PARALLEL", pipeline.effective_execution_mode != "SUPERSEDED"),
            ("variables", bool(pipeline.variables)),
            ("triggers", bool(pipeline.triggers)),
            ("stage conditions", any(s.on_failure or s.on_success or s.before_entry for s in pipeline.stages or [])),
        )
        if present
    ]
    return [f"{label}: needs pipelineType V2" for label in used]
