"""Builders for the common CodePipeline actions, stages, conditions, triggers and pipelines.

Each builder returns a `model` value with the exact structure create_pipeline takes. Keyword
arguments are named like the console fields (snake_case); every configuration value comes out as
a string (booleans as "true"/"false", numbers as digits, dicts as compact JSON). The action
identity (category, owner, provider) is read from catalog.py, never retyped here.

Builders check their own arguments at once and raise ValueError naming the argument and what to
pass. The whole-pipeline checks (artifacts produced before use, quotas...) live in validate.py.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping, Sequence

from .catalog import CFN_CAPABILITIES, CFN_MODES, RULES as RULE_SPECS, provider_spec, rule_spec
from .model import (
    Action,
    ActionTypeId,
    ArtifactStore,
    BeforeEntryConditions,
    Condition,
    EnvironmentVariable,
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

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

# Name rules from the botocore model (reference section 1 and 2.2).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9.@\-_]{1,100}$")  # pipelines, stages, actions
ARTIFACT_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")  # artifact names: no dot, no @
NAMESPACE_PATTERN = re.compile(r"^[A-Za-z0-9@\-_]{1,100}$")
ENV_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,128}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")

CODEBUILD_ENV_TYPES = ("PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER")
EXECUTION_MODES = ("QUEUED", "SUPERSEDED", "PARALLEL")
PIPELINE_TYPES = ("V1", "V2")
RETRY_MODES = ("FAILED_ACTIONS", "ALL_ACTIONS")
ALARM_STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
PULL_REQUEST_EVENTS = ("OPEN", "UPDATED", "CLOSED")
CLONE_REF = "CODEBUILD_CLONE_REF"
MAX_CONFIG_VALUE = 1000  # characters in one configuration value (botocore model)
MAX_PARAMETER_OVERRIDES = 1024  # bytes of the CloudFormation ParameterOverrides JSON (1 KB quota)
MAX_RULES_PER_CONDITION = 5
MAX_FILTER_PATTERNS = 8


# --------------------------------------------------------------------------------------------
# Small checks and conversions shared by the builders


def _fail(where: str, message: str) -> ValueError:
    """An argument error that names the builder and argument: `where` is "builder(arg=...)"."""
    return ValueError(f"{where}: {message}")


def _check_name(value: Any, where: str, what: str = "name") -> str:
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        raise _fail(where, f"{what} must be 1-100 letters, digits or . @ - _ (got {value!r}); "
                           f'pass e.g. {what}="Deploy-us-east-1".')
    return value


def _check_artifact(value: Any, where: str) -> str:
    if not isinstance(value, str) or not ARTIFACT_PATTERN.match(value):
        raise _fail(where, f"artifact name {value!r} is not allowed: use 1-100 letters, digits, "
                           f'- or _ (no dots, no spaces), e.g. "BuildOutput".')
    return value


def _artifact_names(value: str | Sequence[str] | None, where: str) -> list[str]:
    """One artifact name or a sequence of them, checked, in order."""
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    return [_check_artifact(name, where) for name in names]


def _text(value: Any, where: str) -> str:
    """A configuration value as CodePipeline wants it: a string; booleans as "true"/"false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        if len(value) > MAX_CONFIG_VALUE:
            raise _fail(where, f"is {len(value)} characters; a configuration value holds at most "
                               f"{MAX_CONFIG_VALUE}. Shorten it or move it into an artifact file.")
        return value
    raise _fail(where, f"must be a string, number or boolean, found {type(value).__name__}.")


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _whole_minutes(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(where, f"must be a whole number of minutes from {low} to {high} (got {value!r}).")
    return value


def _check_region(value: Any, where: str) -> str:
    if not isinstance(value, str) or not REGION_PATTERN.match(value):
        raise _fail(where, f'must be an AWS region code such as "eu-west-1" (got {value!r}).')
    return value


def _check_run_order(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 999:
        raise _fail(where, f"must be a whole number from 1 to 999 (got {value!r}); actions with the "
                           "same runOrder run in parallel, larger ones later.")
    return value


def _check_namespace(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not NAMESPACE_PATTERN.match(value):
        raise _fail(where, f'must be 1-100 letters, digits or @ - _ (no dots), e.g. "SourceVariables" '
                           f"(got {value!r}).")
    return value


def _type_id(category: str, provider: str, owner: str = "AWS") -> ActionTypeId:
    """The ActionTypeId of a catalog provider (a KeyError here is a bug in this module)."""
    spec = provider_spec(category, owner, provider)
    if spec is None:
        raise KeyError(f"catalog.py has no provider {category}/{owner}/{provider}")
    return ActionTypeId(category=spec.category, owner=spec.owner, provider=spec.provider, version="1")


def _action(name: str, type_id: ActionTypeId, *, configuration: dict[str, str] | None = None,
            inputs: Sequence[str] = (), outputs: Sequence[str] = (), run_order: int | None = None,
            region: str | None = None, namespace: str | None = None, where: str) -> Action:
    """Assemble an Action; empty artifact lists and configuration stay absent."""
    spec = provider_spec(type_id.category, type_id.owner, type_id.provider)
    if region is not None and spec is not None and not spec.cross_region:
        raise _fail(where, f"region={region!r}: {spec.title} actions cannot run in another region; "
                           "leave region out.")
    return Action(
        name=_check_name(name, where),
        action_type_id=type_id,
        run_order=_check_run_order(run_order, f"{where}: run_order"),
        configuration=configuration or None,
        input_artifacts=[InputArtifact(name=n) for n in inputs] or None,
        output_artifacts=[OutputArtifact(name=n) for n in outputs] or None,
        region=_check_region(region, f"{where}: region") if region is not None else None,
        namespace=_check_namespace(namespace, f"{where}: namespace"),
    )


# --------------------------------------------------------------------------------------------
# Sources (first stage only; exactly one output artifact)


def connection_source(name: str = "Source", *, connection_arn: str, repository: str,
                      branch: str = "main", output: str = "SourceOutput",
                      detect_changes: bool | None = None, clone_ref: bool = False,
                      namespace: str | None = None) -> Action:
    """A source action through a CodeConnections connection (GitHub, Bitbucket, GitLab...).

    repository is "owner/name". clone_ref=True passes a git clone reference instead of a zip
    (only CodeBuild can read it). detect_changes=None leaves AWS's default (start on push).
    """
    where = f"connection_source({name!r})"
    if not isinstance(connection_arn, str) or not re.match(
            r"^arn:aws[\w-]*:(codeconnections|codestar-connections):", connection_arn):
        raise _fail(where, "connection_arn must be a connection ARN such as "
                           '"arn:aws:codeconnections:us-east-1:123456789012:connection/<id>"; '
                           "create the connection in the console (Settings > Connections) first.")
    if not isinstance(repository, str) or not re.match(r"^[^/\s]+/[^\s]+$", repository):
        raise _fail(where, f'repository must be "owner/name", e.g. "octo-org/hello-service" (got {repository!r}).')
    if not isinstance(branch, str) or not branch:
        raise _fail(where, f'branch must be a branch name such as "main" (got {branch!r}).')
    configuration = {"ConnectionArn": connection_arn, "FullRepositoryId": repository, "BranchName": branch}
    if clone_ref:
        configuration["OutputArtifactFormat"] = CLONE_REF
    if detect_changes is not None:
        configuration["DetectChanges"] = _text(bool(detect_changes), f"{where}: detect_changes")
    return _action(name, _type_id("Source", "CodeStarSourceConnection"), configuration=configuration,
                   outputs=_artifact_names(output, f"{where}: output"), namespace=namespace, where=where)


def github_source(name: str = "Source", *, connection_arn: str, repository: str, branch: str = "main",
                  output: str = "SourceOutput", detect_changes: bool | None = None,
                  clone_ref: bool = False, namespace: str | None = None) -> Action:
    """A GitHub (github.com) repository through a connection: the console's "GitHub (via GitHub App)"."""
    return connection_source(name, connection_arn=connection_arn, repository=repository, branch=branch,
                             output=output, detect_changes=detect_changes, clone_ref=clone_ref,
                             namespace=namespace)


def bitbucket_source(name: str = "Source", *, connection_arn: str, repository: str, branch: str = "main",
                     output: str = "SourceOutput", detect_changes: bool | None = None,
                     clone_ref: bool = False, namespace: str | None = None) -> Action:
    """A Bitbucket Cloud repository ("workspace/repo") through a connection."""
    return connection_source(name, connection_arn=connection_arn, repository=repository, branch=branch,
                             output=output, detect_changes=detect_changes, clone_ref=clone_ref,
                             namespace=namespace)


def github_enterprise_source(name: str = "Source", *, connection_arn: str, repository: str,
                             branch: str = "main", output: str = "SourceOutput",
                             detect_changes: bool | None = None, clone_ref: bool = False,
                             namespace: str | None = None) -> Action:
    """A GitHub Enterprise Server repository through a connection (and its host, set up in the console)."""
    return connection_source(name, connection_arn=connection_arn, repository=repository, branch=branch,
                             output=output, detect_changes=detect_changes, clone_ref=clone_ref,
                             namespace=namespace)


def gitlab_source(name: str = "Source", *, connection_arn: str, repository: str, branch: str = "main",
                  output: str = "SourceOutput", detect_changes: bool | None = None,
                  clone_ref: bool = False, namespace: str | None = None) -> Action:
    """A GitLab.com repository ("group/project") through a connection."""
    return connection_source(name, connection_arn=connection_arn, repository=repository, branch=branch,
                             output=output, detect_changes=detect_changes, clone_ref=clone_ref,
                             namespace=namespace)


def codecommit_source(name: str = "Source", *, repository: str, branch: str = "main",
                      output: str = "SourceOutput", poll: bool | None = None, clone_ref: bool = False,
                      namespace: str | None = None) -> Action:
    """A CodeCommit repository; poll=False when an EventBridge rule starts the pipeline instead."""
    where = f"codecommit_source({name!r})"
    if not isinstance(repository, str) or not repository:
        raise _fail(where, f'repository must be the CodeCommit repository name, e.g. "hello-service" (got {repository!r}).')
    configuration = {"RepositoryName": repository,
                     "BranchName": _required_text(branch, f"{where}: branch", 'branch="main"')}
    if poll is not None:
        configuration["PollForSourceChanges"] = _text(bool(poll), f"{where}: poll")
    if clone_ref:
        configuration["OutputArtifactFormat"] = CLONE_REF
    return _action(name, _type_id("Source", "CodeCommit"), configuration=configuration,
                   outputs=_artifact_names(output, f"{where}: output"), namespace=namespace, where=where)


def s3_source(name: str = "Source", *, bucket: str, key: str, poll: bool | None = None,
              output: str = "SourceOutput", namespace: str | None = None) -> Action:
    """A zip object in a versioned S3 bucket; each new version starts an execution."""
    where = f"s3_source({name!r})"
    if not isinstance(bucket, str) or not bucket:
        raise _fail(where, 'bucket must be the name of a versioned S3 bucket, e.g. "wb-source-123456789012".')
    if not isinstance(key, str) or not key:
        raise _fail(where, 'key must be the object key of the zip, e.g. "source/app.zip".')
    configuration = {"S3Bucket": bucket, "S3ObjectKey": key}
    if poll is not None:
        configuration["PollForSourceChanges"] = _text(bool(poll), f"{where}: poll")
    return _action(name, _type_id("Source", "S3"), configuration=configuration,
                   outputs=_artifact_names(output, f"{where}: output"), namespace=namespace, where=where)


def ecr_source(name: str = "Source", *, repository: str, image_tag: str | None = "latest",
               output: str = "SourceOutput", namespace: str | None = None) -> Action:
    """An ECR image: a push of `image_tag` starts an execution; the artifact holds imageDetail.json."""
    where = f"ecr_source({name!r})"
    if not isinstance(repository, str) or not repository:
        raise _fail(where, 'repository must be the ECR repository name, e.g. "hello-service".')
    configuration = {"RepositoryName": repository}
    if image_tag is not None:
        configuration["ImageTag"] = _text(image_tag, f"{where}: image_tag")
    return _action(name, _type_id("Source", "ECR"), configuration=configuration,
                   outputs=_artifact_names(output, f"{where}: output"), namespace=namespace, where=where)


# --------------------------------------------------------------------------------------------
# Build and test


def _codebuild_variables(value: Mapping[str, Any] | Sequence[Mapping[str, Any]], where: str) -> list[dict]:
    """Normalise a {name: value} dict or a [{name, value, type}] list to the CodeBuild shape."""
    if isinstance(value, Mapping):
        items = [{"name": k, "value": v} for k, v in value.items()]
    elif isinstance(value, Sequence) and not isinstance(value, str):
        items = list(value)
    else:
        raise _fail(where, 'must be a dict {"NAME": "value"} or a list of {"name", "value", "type"} dicts.')
    variables = []
    for item in items:
        if not isinstance(item, Mapping) or "name" not in item or "value" not in item:
            raise _fail(where, f'each variable needs "name" and "value" (got {item!r}).')
        name, kind = item["name"], item.get("type", "PLAINTEXT")
        if not isinstance(name, str) or not ENV_NAME_PATTERN.match(name):
            raise _fail(where, f"variable name {name!r} must be letters, digits and _ only.")
        if kind not in CODEBUILD_ENV_TYPES:
            raise _fail(where, f"variable {name} has type {kind!r}; use one of {', '.join(CODEBUILD_ENV_TYPES)}.")
        variables.append({"name": name, "value": _text(item["value"], f"{where}[{name}]"), "type": kind})
    return variables


def codebuild(name: str, *, project: str, inputs: str | Sequence[str], outputs: str | Sequence[str] = (),
              primary_source: str | None = None,
              environment_variables: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
              batch: bool = False, combine_artifacts: bool = False, run_order: int | None = None,
              region: str | None = None, namespace: str | None = None, category: str = "Build") -> Action:
    """A CodeBuild action running `project` on 1-5 input artifacts, producing 0-5 outputs.

    With several inputs, primary_source (default: the first input) is the one CodeBuild checks
    out into $CODEBUILD_SRC_DIR. environment_variables become the JSON string the action expects.
    """
    where = f"codebuild({name!r})"
    if category not in ("Build", "Test"):
        raise _fail(where, f'category must be "Build" or "Test" (got {category!r}).')
    if not isinstance(project, str) or not project:
        raise _fail(where, 'project must be the CodeBuild project name, e.g. "wb-build-image".')
    input_names = _artifact_names(inputs, f"{where}: inputs")
    if not 1 <= len(input_names) <= 5:
        raise _fail(where, f'inputs must name 1 to 5 artifacts (got {len(input_names)}), e.g. inputs="SourceOutput".')
    output_names = _artifact_names(outputs, f"{where}: outputs")
    if len(output_names) > 5:
        raise _fail(where, f"outputs may name at most 5 artifacts (got {len(output_names)}).")
    configuration = {"ProjectName": project}
    if len(input_names) > 1:
        primary = primary_source or input_names[0]
        if primary not in input_names:
            raise _fail(where, f"primary_source {primary!r} is not one of the inputs {input_names}.")
        configuration["PrimarySource"] = primary
    elif primary_source is not None and primary_source not in input_names:
        raise _fail(where, f"primary_source {primary_source!r} is not one of the inputs {input_names}.")
    if environment_variables:
        text = _compact_json(_codebuild_variables(environment_variables, f"{where}: environment_variables"))
        configuration["EnvironmentVariables"] = _text(text, f"{where}: environment_variables")
    if combine_artifacts and not batch:
        raise _fail(where, "combine_artifacts=True needs batch=True (it merges the batch builds' artifacts).")
    if batch:
        configuration["BatchEnabled"] = "true"
    if combine_artifacts:
        configuration["CombineArtifacts"] = "true"
    return _action(name, _type_id(category, "CodeBuild"), configuration=configuration, inputs=input_names,
                   outputs=output_names, run_order=run_order, region=region, namespace=namespace, where=where)


def codebuild_test(name: str, *, project: str, inputs: str | Sequence[str], outputs: str | Sequence[str] = (),
                   primary_source: str | None = None,
                   environment_variables: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
                   batch: bool = False, run_order: int | None = None, region: str | None = None,
                   namespace: str | None = None) -> Action:
    """A CodeBuild action in the Test category (same provider; the console shows it as a test)."""
    return codebuild(name, project=project, inputs=inputs, outputs=outputs, primary_source=primary_source,
                     environment_variables=environment_variables, batch=batch, run_order=run_order,
                     region=region, namespace=namespace, category="Test")


def environment_variables_of(action: Action) -> dict[str, str]:
    """The CodeBuild EnvironmentVariables of an action as {name: value} ({} when absent or unreadable)."""
    text = action.config("EnvironmentVariables")
    if not isinstance(text, str):
        return {}
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        return {}
    if not isinstance(items, list):
        return {}
    return {item["name"]: item.get("value") for item in items
            if isinstance(item, dict) and isinstance(item.get("name"), str)}


def commands(name: str, *, commands: Sequence[str], inputs: str | Sequence[str],
             outputs: str | Sequence[str] = (), output_files: Sequence[str] | None = None,
             output_variables: Sequence[str] | None = None,
             environment_variables: Mapping[str, Any] | None = None, run_order: int | None = None,
             region: str | None = None, namespace: str | None = None) -> Action:
    """A V2 Commands (Compute) action: shell commands on managed CodeBuild compute, no project needed.

    output_files lists the files (globs) the single output artifact exports.
    """
    where = f"commands({name!r})"
    lines = [commands] if isinstance(commands, str) else list(commands)
    if not 1 <= len(lines) <= 50 or not all(isinstance(c, str) and 1 <= len(c) <= 1000 for c in lines):
        raise _fail(where, 'commands must be 1-50 one-line shell commands, e.g. commands=["make test"].')
    input_names = _artifact_names(inputs, f"{where}: inputs")
    if not 1 <= len(input_names) <= 10:
        raise _fail(where, f"inputs must name 1 to 10 artifacts (got {len(input_names)}).")
    output_names = _artifact_names(outputs, f"{where}: outputs")
    if len(output_names) > 1:
        raise _fail(where, f"a Commands action has at most one output artifact (got {output_names}).")
    if output_files is not None and not output_names:
        raise _fail(where, 'output_files needs an output artifact: pass outputs="CommandsOutput" too.')
    action = _action(name, _type_id("Compute", "Commands"), inputs=input_names, run_order=run_order,
                     region=region, namespace=namespace, where=where)
    action.commands = lines
    if output_names:
        files = list(output_files) if output_files is not None else None
        if files is not None and not 1 <= len(files) <= 10:
            raise _fail(where, f"output_files must list 1 to 10 paths (got {len(files)}).")
        action.output_artifacts = [OutputArtifact(name=output_names[0], files=files)]
    if output_variables:
        variables = list(output_variables)
        if len(variables) > 15:
            raise _fail(where, f"output_variables may list at most 15 names (got {len(variables)}).")
        action.output_variables = variables
    if environment_variables:
        action.environment_variables = [
            EnvironmentVariable(name=k, value=_text(v, f"{where}: environment_variables[{k}]"), type="PLAINTEXT")
            for k, v in environment_variables.items()
        ]
        if len(action.environment_variables) > 10:
            raise _fail(where, "environment_variables may hold at most 10 variables.")
    return action


# --------------------------------------------------------------------------------------------
# Approval


def manual_approval(name: str = "Approve", *, notification_arn: str | None = None,
                    external_link: str | None = None, custom_data: str | None = None,
                    timeout_minutes: int | None = None, run_order: int | None = None) -> Action:
    """A manual approval: the stage waits until someone approves or rejects (7 days by default).

    notification_arn: an SNS topic told when approval is needed; external_link: the URL to
    review (e.g. the pre-production site); custom_data: a note for the reviewer.
    """
    where = f"manual_approval({name!r})"
    configuration: dict[str, str] = {}
    if notification_arn is not None:
        if not isinstance(notification_arn, str) or not notification_arn.startswith("arn:aws") or ":sns:" not in notification_arn:
            raise _fail(where, "notification_arn must be an SNS topic ARN such as "
                               '"arn:aws:sns:us-east-1:123456789012:wb-approvals".')
        configuration["NotificationArn"] = notification_arn
    if external_link is not None:
        configuration["ExternalEntityLink"] = _text(external_link, f"{where}: external_link")
    if custom_data is not None:
        configuration["CustomData"] = _text(custom_data, f"{where}: custom_data")
    action = _action(name, _type_id("Approval", "Manual"), configuration=configuration,
                     run_order=run_order, where=where)
    if timeout_minutes is not None:
        action.timeout_in_minutes = _whole_minutes(timeout_minutes, f"{where}: timeout_minutes", 5, 86400)
    return action


# --------------------------------------------------------------------------------------------
# Deploy: CloudFormation

_CFN_NEEDS_TEMPLATE = ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "CHANGE_SET_REPLACE")
_CFN_NEEDS_ROLE = ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "DELETE_ONLY", "CHANGE_SET_REPLACE")
_CFN_NEEDS_CHANGE_SET = ("CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE")


def _artifact_path(value: str, where: str) -> tuple[str, str]:
    """Split "Artifact::path/in/artifact" and check both halves."""
    if not isinstance(value, str) or "::" not in value:
        raise _fail(where, f'must be "ArtifactName::path/in/artifact", e.g. "BuildOutput::template.yaml" (got {value!r}).')
    artifact, path = value.split("::", 1)
    _check_artifact(artifact, where)
    if not path:
        raise _fail(where, f"names no file after '::' (got {value!r}).")
    return artifact, path


def cloudformation(name: str, *, mode: str = "CREATE_UPDATE", stack: str, template: str | None = None,
                   role_arn: str | None = None, change_set: str | None = None,
                   capabilities: str | Sequence[str] = (),
                   parameter_overrides: Mapping[str, Any] | str | None = None,
                   template_configuration: str | None = None, output_file: str | None = None,
                   inputs: str | Sequence[str] = (), outputs: str | Sequence[str] = (),
                   region: str | None = None, run_order: int | None = None,
                   namespace: str | None = None) -> Action:
    """A CloudFormation action on `stack` in one of the five action modes (catalog.CFN_MODES).

    template and template_configuration are "Artifact::path"; when inputs is empty it is taken
    from them. role_arn is the CloudFormation service role (not the action's role).
    """
    where = f"cloudformation({name!r})"
    if mode not in CFN_MODES:
        raise _fail(where, f"mode {mode!r} is not an action mode; pass one of {', '.join(CFN_MODES)}.")
    if not isinstance(stack, str) or not re.match(r"^[A-Za-z][A-Za-z0-9-]{0,127}$", stack):
        raise _fail(where, f'stack must be a stack name (letters, digits, hyphens; starts with a letter), e.g. "wb-app" (got {stack!r}).')
    configuration = {"ActionMode": mode, "StackName": stack}
    referenced: list[str] = []
    if mode in _CFN_NEEDS_CHANGE_SET:
        if not change_set:
            raise _fail(where, f'mode {mode} needs change_set, the change set name, e.g. change_set="wb-app-changes".')
        configuration["ChangeSetName"] = _text(change_set, f"{where}: change_set")
    if template is not None:
        referenced.append(_artifact_path(template, f"{where}: template")[0])
        configuration["TemplatePath"] = template
    elif mode in _CFN_NEEDS_TEMPLATE:
        raise _fail(where, f'mode {mode} needs template="Artifact::file", e.g. template="BuildOutput::template.yaml".')
    if role_arn is not None:
        if not isinstance(role_arn, str) or not re.match(r"^arn:aws[\w-]*:iam::\d{12}:role/.+", role_arn):
            raise _fail(where, "role_arn must be an IAM role ARN such as "
                               '"arn:aws:iam::123456789012:role/wb-cloudformation-role".')
        configuration["RoleArn"] = role_arn
    elif mode in _CFN_NEEDS_ROLE:
        raise _fail(where, f"mode {mode} needs role_arn, the role CloudFormation assumes to change the stack, "
                           'e.g. role_arn="arn:aws:iam::123456789012:role/wb-cloudformation-role".')
    wanted = [capabilities] if isinstance(capabilities, str) else list(capabilities)
    for capability in wanted:
        if capability not in CFN_CAPABILITIES:
            raise _fail(where, f"capability {capability!r} is unknown; use {', '.join(CFN_CAPABILITIES)}.")
    if wanted:
        configuration["Capabilities"] = ",".join(wanted)
    if parameter_overrides is not None:
        if isinstance(parameter_overrides, Mapping):
            text = _compact_json({k: _text(v, f"{where}: parameter_overrides[{k}]")
                                  for k, v in parameter_overrides.items()})
        else:
            text = parameter_overrides
            try:
                json.loads(text)
            except (TypeError, json.JSONDecodeError):
                raise _fail(where, 'parameter_overrides must be a dict or a JSON object text, e.g. {"ImageTag": "v1"}.') from None
        if len(text.encode()) > MAX_PARAMETER_OVERRIDES:
            raise _fail(where, f"parameter_overrides is {len(text.encode())} bytes of JSON; the quota is 1 KB. "
                               "Put the values in a template_configuration file instead.")
        configuration["ParameterOverrides"] = text
    if template_configuration is not None:
        referenced.append(_artifact_path(template_configuration, f"{where}: template_configuration")[0])
        configuration["TemplateConfiguration"] = template_configuration
    output_names = _artifact_names(outputs, f"{where}: outputs")
    if len(output_names) > 1:
        raise _fail(where, f"a CloudFormation action has at most one output artifact (got {output_names}).")
    if output_file is not None:
        if not output_names:
            raise _fail(where, 'output_file needs an output artifact to write to: pass outputs="StackOutputs" too.')
        configuration["OutputFileName"] = _text(output_file, f"{where}: output_file")
    input_names = _artifact_names(inputs, f"{where}: inputs")
    if not input_names:
        input_names = list(dict.fromkeys(referenced))
    for artifact in referenced:
        if artifact not in input_names:
            raise _fail(where, f"template/template_configuration read artifact {artifact!r}, which is not one "
                               f"of the inputs {input_names}; add it to inputs.")
    if len(input_names) > 10:
        raise _fail(where, f"inputs may name at most 10 artifacts (got {len(input_names)}).")
    return _action(name, _type_id("Deploy", "CloudFormation"), configuration=configuration, inputs=input_names,
                   outputs=output_names, run_order=run_order, region=region, namespace=namespace, where=where)


def cloudformation_deploy(name: str, *, stack: str, template: str, role_arn: str, **options: Any) -> Action:
    """Create the stack, or update it (CREATE_UPDATE): the everyday deploy."""
    return cloudformation(name, mode="CREATE_UPDATE", stack=stack, template=template, role_arn=role_arn, **options)


def cloudformation_replace_on_failure(name: str, *, stack: str, template: str, role_arn: str,
                                      **options: Any) -> Action:
    """Like CREATE_UPDATE, but delete and recreate a stack stuck in a failed state (test stacks only)."""
    return cloudformation(name, mode="REPLACE_ON_FAILURE", stack=stack, template=template, role_arn=role_arn,
                          **options)


def cloudformation_create_change_set(name: str, *, stack: str, template: str, role_arn: str, change_set: str,
                                     **options: Any) -> Action:
    """Create (or replace) a change set without running it (CHANGE_SET_REPLACE): review before executing."""
    return cloudformation(name, mode="CHANGE_SET_REPLACE", stack=stack, template=template, role_arn=role_arn,
                          change_set=change_set, **options)


def cloudformation_execute_change_set(name: str, *, stack: str, change_set: str, **options: Any) -> Action:
    """Run a change set created earlier (CHANGE_SET_EXECUTE); needs no template and no role."""
    return cloudformation(name, mode="CHANGE_SET_EXECUTE", stack=stack, change_set=change_set, **options)


def cloudformation_delete(name: str, *, stack: str, role_arn: str, **options: Any) -> Action:
    """Delete the stack (DELETE_ONLY); succeeds when the stack is already gone."""
    return cloudformation(name, mode="DELETE_ONLY", stack=stack, role_arn=role_arn, **options)


# --------------------------------------------------------------------------------------------
# Deploy: CodeDeploy, ECS, S3


def _one_input(value: Any, where: str) -> list[str]:
    names = _artifact_names(value, f"{where}: input")
    if len(names) != 1:
        raise _fail(where, f'input must name exactly one artifact, e.g. input="BuildOutput" (got {value!r}).')
    return names


def _required_text(value: Any, where: str, example: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(where, f"is required, e.g. {example}.")
    return value


def codedeploy(name: str, *, application: str, deployment_group: str, input: str,
               region: str | None = None, run_order: int | None = None) -> Action:
    """A CodeDeploy deployment (EC2 / on-premises) of the revision in `input`."""
    where = f"codedeploy({name!r})"
    configuration = {
        "ApplicationName": _required_text(application, f"{where}: application", 'application="wb-app"'),
        "DeploymentGroupName": _required_text(deployment_group, f"{where}: deployment_group",
                                              'deployment_group="wb-production"'),
    }
    return _action(name, _type_id("Deploy", "CodeDeploy"), configuration=configuration,
                   inputs=_one_input(input, where), run_order=run_order, region=region, where=where)


def ecs_deploy(name: str, *, cluster: str, service: str, input: str, file_name: str | None = None,
               deployment_timeout: int | None = None, region: str | None = None,
               run_order: int | None = None) -> Action:
    """An ECS rolling update of `service` to the image in `input`'s imagedefinitions.json."""
    where = f"ecs_deploy({name!r})"
    configuration = {
        "ClusterName": _required_text(cluster, f"{where}: cluster", 'cluster="wb-cluster"'),
        "ServiceName": _required_text(service, f"{where}: service", 'service="wb-web-production"'),
    }
    if file_name is not None:
        configuration["FileName"] = _text(file_name, f"{where}: file_name")
    if deployment_timeout is not None:
        configuration["DeploymentTimeout"] = _text(
            _whole_minutes(deployment_timeout, f"{where}: deployment_timeout", 1, 60), where)
    return _action(name, _type_id("Deploy", "ECS"), configuration=configuration,
                   inputs=_one_input(input, where), run_order=run_order, region=region, where=where)


def ecs_blue_green(name: str, *, application: str, deployment_group: str, task_definition_artifact: str,
                   appspec_artifact: str, task_definition_path: str | None = None,
                   appspec_path: str | None = None, images: Sequence[tuple[str, str]] = (),
                   region: str | None = None, run_order: int | None = None) -> Action:
    """An ECS blue/green deployment through CodeDeploy (provider CodeDeployToECS).

    images: up to 4 (artifact, placeholder) pairs; each artifact's imageDetail.json replaces the
    placeholder (e.g. "IMAGE1_NAME") in the task definition. Inputs are derived from the artifacts.
    """
    where = f"ecs_blue_green({name!r})"
    configuration = {
        "ApplicationName": _required_text(application, f"{where}: application", 'application="wb-app"'),
        "DeploymentGroupName": _required_text(deployment_group, f"{where}: deployment_group",
                                              'deployment_group="wb-production"'),
        "TaskDefinitionTemplateArtifact": _check_artifact(task_definition_artifact, f"{where}: task_definition_artifact"),
        "AppSpecTemplateArtifact": _check_artifact(appspec_artifact, f"{where}: appspec_artifact"),
    }
    if task_definition_path is not None:
        configuration["TaskDefinitionTemplatePath"] = _text(task_definition_path, f"{where}: task_definition_path")
    if appspec_path is not None:
        configuration["AppSpecTemplatePath"] = _text(appspec_path, f"{where}: appspec_path")
    pairs = list(images)
    if len(pairs) > 4:
        raise _fail(where, f"images may hold at most 4 (artifact, placeholder) pairs (got {len(pairs)}).")
    inputs = [task_definition_artifact, appspec_artifact]
    for n, pair in enumerate(pairs, 1):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise _fail(where, f'images[{n - 1}] must be (artifact, placeholder), e.g. ("ImageOutput", "IMAGE1_NAME").')
        artifact, placeholder = pair
        configuration[f"Image{n}ArtifactName"] = _check_artifact(artifact, f"{where}: images[{n - 1}]")
        configuration[f"Image{n}ContainerName"] = _text(placeholder, f"{where}: images[{n - 1}]")
        inputs.append(artifact)
    return _action(name, _type_id("Deploy", "CodeDeployToECS"), configuration=configuration,
                   inputs=list(dict.fromkeys(inputs)), run_order=run_order, region=region, where=where)


def s3_deploy(name: str, *, bucket: str, input: str, extract: bool = True, object_key: str | None = None,
              kms_key_arn: str | None = None, canned_acl: str | None = None, cache_control: str | None = None,
              region: str | None = None, run_order: int | None = None) -> Action:
    """Copy `input` to an S3 bucket: unzipped (extract=True) or as one object at object_key."""
    where = f"s3_deploy({name!r})"
    configuration = {
        "BucketName": _required_text(bucket, f"{where}: bucket", 'bucket="wb-website-123456789012"'),
        "Extract": _text(bool(extract), f"{where}: extract"),
    }
    if object_key is not None:
        configuration["ObjectKey"] = _text(object_key, f"{where}: object_key")
    elif not extract:
        raise _fail(where, 'extract=False copies the artifact as one object: pass object_key="site/app.zip".')
    if kms_key_arn is not None:
        configuration["KMSEncryptionKeyARN"] = _text(kms_key_arn, f"{where}: kms_key_arn")
    if canned_acl is not None:
        configuration["CannedACL"] = _text(canned_acl, f"{where}: canned_acl")
    if cache_control is not None:
        configuration["CacheControl"] = _text(cache_control, f"{where}: cache_control")
    return _action(name, _type_id("Deploy", "S3"), configuration=configuration,
                   inputs=_one_input(input, where), run_order=run_order, region=region, where=where)


# --------------------------------------------------------------------------------------------
# Invoke


def lambda_invoke(name: str, *, function: str, user_parameters: str | Mapping[str, Any] | None = None,
                  inputs: str | Sequence[str] = (), outputs: str | Sequence[str] = (),
                  region: str | None = None, run_order: int | None = None,
                  namespace: str | None = None) -> Action:
    """Invoke a Lambda function that reports back with PutJobSuccessResult / PutJobFailureResult."""
    where = f"lambda_invoke({name!r})"
    configuration = {"FunctionName": _required_text(function, f"{where}: function", 'function="wb-smoke-test"')}
    if user_parameters is not None:
        text = _compact_json(user_parameters) if isinstance(user_parameters, Mapping) else user_parameters
        configuration["UserParameters"] = _text(text, f"{where}: user_parameters")
    input_names = _artifact_names(inputs, f"{where}: inputs")
    output_names = _artifact_names(outputs, f"{where}: outputs")
    if len(input_names) > 5 or len(output_names) > 5:
        raise _fail(where, "a Lambda action takes at most 5 inputs and 5 outputs.")
    return _action(name, _type_id("Invoke", "Lambda"), configuration=configuration, inputs=input_names,
                   outputs=output_names, run_order=run_order, region=region, namespace=namespace, where=where)


def step_functions(name: str, *, state_machine_arn: str, input: str | Mapping[str, Any] | None = None,
                   input_type: str | None = None, execution_name_prefix: str | None = None,
                   inputs: str | Sequence[str] = (), outputs: str | Sequence[str] = (),
                   region: str | None = None, run_order: int | None = None,
                   namespace: str | None = None) -> Action:
    """Start a Step Functions execution; input is literal JSON, or a file path with input_type="FilePath"."""
    where = f"step_functions({name!r})"
    if not isinstance(state_machine_arn, str) or ":states:" not in state_machine_arn:
        raise _fail(where, "state_machine_arn must be a state machine ARN such as "
                           '"arn:aws:states:us-east-1:123456789012:stateMachine:wb-release".')
    configuration = {"StateMachineArn": state_machine_arn}
    if input_type is not None and input_type not in ("Literal", "FilePath"):
        raise _fail(where, f'input_type must be "Literal" or "FilePath" (got {input_type!r}).')
    input_names = _artifact_names(inputs, f"{where}: inputs")
    if input_type == "FilePath":
        if not isinstance(input, str) or not input:
            raise _fail(where, 'input_type="FilePath" needs input, the path of the JSON file in the input artifact.')
        if len(input_names) != 1:
            raise _fail(where, 'input_type="FilePath" reads the file from one input artifact: pass inputs="BuildOutput".')
    if input_type is not None:
        configuration["InputType"] = input_type
    if input is not None:
        text = _compact_json(input) if isinstance(input, Mapping) else input
        configuration["Input"] = _text(text, f"{where}: input")
    if execution_name_prefix is not None:
        configuration["ExecutionNamePrefix"] = _text(execution_name_prefix, f"{where}: execution_name_prefix")
    output_names = _artifact_names(outputs, f"{where}: outputs")
    if len(input_names) > 1 or len(output_names) > 1:
        raise _fail(where, "a Step Functions action takes at most one input and one output artifact.")
    return _action(name, _type_id("Invoke", "StepFunctions"), configuration=configuration, inputs=input_names,
                   outputs=output_names, run_order=run_order, region=region, namespace=namespace, where=where)


# --------------------------------------------------------------------------------------------
# Stage conditions (V2)

RULE_TYPE_ALARM = "CloudWatchAlarm"
RULE_TYPE_WINDOW = "DeploymentWindow"


def _rule_type_id(provider: str) -> RuleTypeId:
    """The RuleTypeId of a catalog rule provider (a KeyError here is a bug in this module)."""
    spec = rule_spec(provider)
    if spec is None:
        raise KeyError(f"catalog.py has no rule provider {provider}")
    return RuleTypeId(category="Rule", owner="AWS", provider=spec.provider, version="1")


def rollback_on_failure(*rules: Rule) -> FailureConditions:
    """When the stage fails, roll it back to the last execution that succeeded in it (V2)."""
    conditions = [Condition(result="ROLLBACK", rules=list(rules))] if rules else None
    return FailureConditions(result="ROLLBACK", conditions=conditions)


def retry_on_failure(mode: str = "FAILED_ACTIONS") -> FailureConditions:
    """When the stage fails, retry it once automatically: only the failed actions, or all of them."""
    if mode not in RETRY_MODES:
        raise _fail("retry_on_failure", f"mode must be one of {', '.join(RETRY_MODES)} (got {mode!r}).")
    return FailureConditions(result="RETRY", retry_configuration=RetryConfiguration(retry_mode=mode))


def alarm_rule(alarm_name: str, *, wait_minutes: int | None = None, alarm_states: Sequence[str] = ("ALARM",),
               rule_name: str | None = None, region: str | None = None) -> Rule:
    """A CloudWatchAlarm rule: fails when the alarm is in one of alarm_states.

    wait_minutes (configuration WaitTime, in minutes) is how long the rule watches for a state
    change before its result applies; on an onSuccess condition this is the bake time.
    """
    where = f"alarm_rule({alarm_name!r})"
    if not isinstance(alarm_name, str) or not alarm_name:
        raise _fail("alarm_rule", 'alarm_name must be the name of an existing CloudWatch alarm, e.g. "wb-5xx-errors".')
    states = [alarm_states] if isinstance(alarm_states, str) else list(alarm_states)
    if not states or any(s not in ALARM_STATES for s in states):
        raise _fail(where, f"alarm_states must be taken from {', '.join(ALARM_STATES)} (got {alarm_states!r}).")
    configuration = {"AlarmName": alarm_name, "AlarmStates": ",".join(states)}
    if wait_minutes is not None:
        configuration["WaitTime"] = str(_whole_minutes(wait_minutes, f"{where}: wait_minutes", 1, 86400))
    name = rule_name or re.sub(r"[^A-Za-z0-9.@\-_]", "-", f"Alarm-{alarm_name}")[:100]
    return Rule(
        name=_check_name(name, where, "rule_name"),
        rule_type_id=_rule_type_id(RULE_TYPE_ALARM),
        configuration=configuration,
        region=_check_region(region, f"{where}: region") if region is not None else None,
    )


def alarm_rules(alarm_names: str | Sequence[str], *, wait_minutes: int | None = None,
                alarm_states: Sequence[str] = ("ALARM",), region: str | None = None) -> list[Rule]:
    """One CloudWatchAlarm rule per alarm name (a condition holds at most 5 rules)."""
    names = [alarm_names] if isinstance(alarm_names, str) else list(alarm_names)
    if not 1 <= len(names) <= MAX_RULES_PER_CONDITION:
        raise _fail("alarm_rules", f"alarm_names must list 1 to {MAX_RULES_PER_CONDITION} alarms, the rules one "
                                   f"condition can hold (got {len(names)}); combine alarms into a composite alarm.")
    return [alarm_rule(n, wait_minutes=wait_minutes, alarm_states=alarm_states, region=region) for n in names]


def deployment_window_rule(cron: str, timezone: str | None = None, *, rule_name: str = "DeploymentWindow") -> Rule:
    """A DeploymentWindow rule: passes only while the cron expression matches (e.g. office hours).

    cron has 6 or 7 fields (seconds first), e.g. "0 0 9-17 ? * MON-FRI *"; timezone such as
    "Europe/Berlin", "UTC+01:00" or "PST" (AWS's default is UTC).
    """
    fields = cron.split() if isinstance(cron, str) else []
    if len(fields) not in (6, 7):
        raise _fail("deployment_window_rule", f"cron must have 6 or 7 space-separated fields, seconds first, "
                                              f'e.g. "0 0 9-17 ? * MON-FRI *" (got {cron!r}).')
    configuration = {"Cron": " ".join(fields)}
    if timezone is not None:
        configuration["TimeZone"] = _text(timezone, "deployment_window_rule: timezone")
    return Rule(name=_check_name(rule_name, "deployment_window_rule", "rule_name"),
                rule_type_id=_rule_type_id(RULE_TYPE_WINDOW),
                configuration=configuration)


def _rule_list(rules: Iterable[Rule], where: str) -> list[Rule]:
    flat: list[Rule] = []
    for item in rules:
        flat.extend(item if isinstance(item, (list, tuple)) else [item])
    if not 1 <= len(flat) <= MAX_RULES_PER_CONDITION:
        raise _fail(where, f"a condition holds 1 to {MAX_RULES_PER_CONDITION} rules (got {len(flat)}).")
    if not all(isinstance(r, Rule) for r in flat):
        raise _fail(where, "rules must be Rule values, e.g. alarm_rule(...) or deployment_window_rule(...).")
    return flat


def on_success_alarm(alarm_names: str | Sequence[str], *, wait_minutes: int | None = None,
                     result: str = "ROLLBACK", alarm_states: Sequence[str] = ("ALARM",),
                     region: str | None = None) -> SuccessConditions:
    """After the stage succeeds, watch the alarms for wait_minutes (bake time); on alarm, ROLLBACK or FAIL."""
    if result not in ("ROLLBACK", "FAIL"):
        raise _fail("on_success_alarm", f'result must be "ROLLBACK" or "FAIL" (got {result!r}).')
    rules = alarm_rules(alarm_names, wait_minutes=wait_minutes, alarm_states=alarm_states, region=region)
    return on_success(*rules, result=result)


def on_success(*rules: Rule | Sequence[Rule], result: str = "ROLLBACK") -> SuccessConditions:
    """An onSuccess condition from any rules (1-5); result ROLLBACK or FAIL when a rule fails."""
    if result not in ("ROLLBACK", "FAIL"):
        raise _fail("on_success", f'result must be "ROLLBACK" or "FAIL" (got {result!r}).')
    return SuccessConditions(conditions=[Condition(result=result, rules=_rule_list(rules, "on_success"))])


def before_entry(*rules: Rule | Sequence[Rule], result: str = "FAIL") -> BeforeEntryConditions:
    """A beforeEntry condition (1-5 rules): when a rule fails, FAIL the stage or SKIP it."""
    if result not in ("FAIL", "SKIP"):
        raise _fail("before_entry", f'result must be "FAIL" or "SKIP" (got {result!r}).')
    flat = _rule_list(rules, "before_entry")
    if result == "SKIP":
        for rule in flat:
            spec = rule_spec(rule.rule_type_id.provider if rule.rule_type_id else None)
            if spec is not None and not spec.allowed_with_skip:
                allowed = ", ".join(r.provider for r in RULE_SPECS if r.allowed_with_skip)
                raise _fail("before_entry", f"result='SKIP' works only with {allowed} rules; rule "
                                            f"{rule.name!r} is {spec.provider}. Use result='FAIL'.")
    return BeforeEntryConditions(conditions=[Condition(result=result, rules=flat)])


# --------------------------------------------------------------------------------------------
# Triggers (V2)


def _criteria(value: Any, where: str) -> FilterCriteria | None:
    """Glob patterns: a string or list (includes), a {"includes", "excludes"} dict, or FilterCriteria."""
    if value is None:
        return None
    if isinstance(value, FilterCriteria):
        criteria = value
    elif isinstance(value, Mapping):
        unknown = set(value) - {"includes", "excludes"}
        if unknown:
            raise _fail(where, f'takes only "includes" and "excludes" (got {sorted(unknown)}).')
        criteria = FilterCriteria(includes=_patterns(value.get("includes")),
                                  excludes=_patterns(value.get("excludes")))
    else:
        criteria = FilterCriteria(includes=_patterns(value))
    for side in ("includes", "excludes"):
        patterns = getattr(criteria, side) or []
        if len(patterns) > MAX_FILTER_PATTERNS:
            raise _fail(where, f"{side} holds at most {MAX_FILTER_PATTERNS} patterns (got {len(patterns)}).")
        if not all(isinstance(p, str) and 1 <= len(p) <= 255 for p in patterns):
            raise _fail(where, f"{side} patterns must be strings of 1-255 characters.")
    if not criteria.includes and not criteria.excludes:
        raise _fail(where, "needs at least one include or exclude pattern.")
    return criteria


def _patterns(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _source_action_name(source_action: Action | str, where: str) -> str:
    if isinstance(source_action, Action):
        if source_action.provider != "CodeStarSourceConnection":
            raise _fail(where, f"source_action {source_action.name!r} has provider {source_action.provider!r}; "
                               "triggers work only on connection sources (github_source, bitbucket_source...).")
        return source_action.name
    return _check_name(source_action, where, "source_action")


def git_push_trigger(source_action: Action | str, *, branches: Any = None, file_paths: Any = None,
                     tags: Any = None) -> Trigger:
    """Start the pipeline on pushes that match branches (and file paths), or on pushed tags.

    Each filter is a glob string, a list of globs (included), or {"includes": [...],
    "excludes": [...]}. A push filter uses tags or branches, not both; file paths need branches.
    """
    where = "git_push_trigger"
    name = _source_action_name(source_action, where)
    if tags is not None and branches is not None:
        raise _fail(where, "pass branches or tags, not both (one push filter matches one or the other); "
                           "make two triggers' worth of filters with git_trigger() if you need both.")
    if file_paths is not None and branches is None:
        raise _fail(where, 'file_paths needs branches too, e.g. branches="main", file_paths="src/**".')
    if branches is None and tags is None:
        raise _fail(where, 'pass branches (e.g. branches="main") or tags (e.g. tags="v*").')
    push = GitPushFilter(tags=_criteria(tags, f"{where}: tags"),
                         branches=_criteria(branches, f"{where}: branches"),
                         file_paths=_criteria(file_paths, f"{where}: file_paths"))
    return Trigger(provider_type="CodeStarSourceConnection",
                   git_configuration=GitConfiguration(source_action_name=name, push=[push]))


def git_pull_request_trigger(source_action: Action | str, *, events: Sequence[str] = ("OPEN", "UPDATED"),
                             branches: Any = None, file_paths: Any = None) -> Trigger:
    """Start the pipeline on pull-request events (OPEN, UPDATED, CLOSED) targeting matching branches."""
    where = "git_pull_request_trigger"
    name = _source_action_name(source_action, where)
    wanted = [events] if isinstance(events, str) else list(events)
    if not wanted or any(e not in PULL_REQUEST_EVENTS for e in wanted) or len(set(wanted)) != len(wanted):
        raise _fail(where, f"events must be distinct values from {', '.join(PULL_REQUEST_EVENTS)} (got {events!r}).")
    pull_request = GitPullRequestFilter(events=wanted, branches=_criteria(branches, f"{where}: branches"),
                                        file_paths=_criteria(file_paths, f"{where}: file_paths"))
    return Trigger(provider_type="CodeStarSourceConnection",
                   git_configuration=GitConfiguration(source_action_name=name, pull_request=[pull_request]))


def git_trigger(*triggers: Trigger) -> Trigger:
    """Merge several git triggers on the same source action into one (one trigger per source action)."""
    if not triggers:
        raise _fail("git_trigger", "pass at least one trigger from git_push_trigger() or git_pull_request_trigger().")
    names = {t.git_configuration.source_action_name for t in triggers}
    if len(names) != 1:
        raise _fail("git_trigger", f"all triggers must watch the same source action (got {sorted(names)}).")
    push = [f for t in triggers for f in t.git_configuration.push or []]
    pull = [f for t in triggers for f in t.git_configuration.pull_request or []]
    if len(push) > 3 or len(pull) > 3:
        raise _fail("git_trigger", "a trigger holds at most 3 push filters and 3 pull-request filters.")
    return Trigger(provider_type="CodeStarSourceConnection",
                   git_configuration=GitConfiguration(source_action_name=names.pop(), push=push or None,
                                                      pull_request=pull or None))


# --------------------------------------------------------------------------------------------
# Stages and pipelines


def stage(name: str, *actions: Action | Sequence[Action], on_failure: FailureConditions | None = None,
          on_success: SuccessConditions | None = None,
          before_entry: BeforeEntryConditions | None = None) -> Stage:
    """A stage holding the actions in order (lists of actions are flattened)."""
    where = f"stage({name!r})"
    _check_name(name, where)
    flat: list[Action] = []
    for item in actions:
        flat.extend(item if isinstance(item, (list, tuple)) else [item])
    if not flat:
        raise _fail(where, "a stage needs at least one action.")
    if not all(isinstance(a, Action) for a in flat):
        raise _fail(where, "actions must be Action values from the builders (codebuild(), manual_approval()...).")
    return Stage(name=name, actions=flat, on_failure=on_failure, on_success=on_success, before_entry=before_entry)


def _bucket_stem(name: str) -> str:
    """A pipeline name made fit for an S3 bucket name: lowercase letters, digits and hyphens."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", name.lower())).strip("-") or "pipeline"


def artifact_bucket_name(pipeline_name: str, account: str = DEFAULT_ACCOUNT, region: str | None = None) -> str:
    """The workbook's artifact bucket name for a pipeline: "<name>-artifacts-<account>[-<region>]" (<= 63)."""
    suffix = f"-artifacts-{account}" + (f"-{region}" if region else "")
    return _bucket_stem(pipeline_name)[: 63 - len(suffix)].rstrip("-") + suffix


def pipeline_role_arn(pipeline_name: str, account: str = DEFAULT_ACCOUNT) -> str:
    """The workbook's service role ARN for a pipeline: role "<name>-pipeline-role" (IAM names <= 64)."""
    role = f"{pipeline_name[:64 - len('-pipeline-role')]}-pipeline-role"
    return f"arn:aws:iam::{account}:role/{role}"


def _v2_features(stages: Sequence[Stage], execution_mode: str | None, variables: Any, triggers: Any) -> list[str]:
    """What in the definition needs a V2 pipeline, in words."""
    found = []
    if execution_mode in ("QUEUED", "PARALLEL"):
        found.append(f"executionMode {execution_mode}")
    if variables:
        found.append("pipeline variables")
    if triggers:
        found.append("triggers")
    for st in stages:
        if st.on_failure or st.on_success or st.before_entry:
            found.append(f"conditions on stage {st.name!r}")
        for action in st.actions or []:
            spec = provider_spec(action.category, action.action_type_id.owner if action.action_type_id else None,
                                 action.provider)
            if spec and spec.v2_only:
                found.append(f"{spec.title} action {action.name!r}")
    return found


def _variables(value: Any) -> list[PipelineVariable] | None:
    if not value:
        return None
    if isinstance(value, Mapping):
        return [PipelineVariable(name=k, default_value=_text(v, f"pipeline: variables[{k}]")) for k, v in value.items()]
    items = list(value)
    if not all(isinstance(v, PipelineVariable) for v in items):
        raise _fail("pipeline", "variables must be a {name: default} dict or a list of PipelineVariable.")
    return items


def pipeline(name: str, stages: Sequence[Stage], *, role_arn: str | None = None,
             artifact_bucket: str | Mapping[str, str] | None = None, account: str = DEFAULT_ACCOUNT,
             region: str = DEFAULT_REGION, pipeline_type: str | None = None, execution_mode: str | None = None,
             variables: Mapping[str, Any] | Sequence[PipelineVariable] | None = None,
             triggers: Sequence[Trigger] | None = None) -> Pipeline:
    """A whole pipeline with its service role and artifact store(s) filled in.

    When any action runs in a region other than `region`, the pipeline gets `artifactStores`
    with one bucket per region (its own region included) instead of `artifactStore`.
    artifact_bucket: the home bucket name (other regions get "-<region>" appended) or a
    {region: bucket} dict. pipeline_type None becomes V2 when V2-only features are used.
    """
    where = f"pipeline({name!r})"
    _check_name(name, where)
    if not isinstance(account, str) or not re.match(r"^\d{12}$", account):
        raise _fail(where, f'account must be a 12-digit account id such as "123456789012" (got {account!r}).')
    _check_region(region, f"{where}: region")
    stage_list = list(stages)
    if not all(isinstance(s, Stage) for s in stage_list):
        raise _fail(where, "stages must be Stage values from stage().")
    if execution_mode is not None and execution_mode not in EXECUTION_MODES:
        raise _fail(where, f"execution_mode must be one of {', '.join(EXECUTION_MODES)} (got {execution_mode!r}).")
    if pipeline_type is not None and pipeline_type not in PIPELINE_TYPES:
        raise _fail(where, f'pipeline_type must be "V1" or "V2" (got {pipeline_type!r}).')
    v2_needed = _v2_features(stage_list, execution_mode, variables, triggers)
    if pipeline_type == "V1" and v2_needed:
        raise _fail(where, f"pipeline_type='V1' cannot have {', '.join(v2_needed)}; pass pipeline_type='V2'.")
    if pipeline_type is None and v2_needed:
        pipeline_type = "V2"
    if execution_mode == "PARALLEL" and any(
            (s.on_failure and s.on_failure.result == "ROLLBACK") for s in stage_list):
        raise _fail(where, "PARALLEL mode cannot roll stages back; drop rollback_on_failure() or use QUEUED.")
    if role_arn is None:
        role_arn = pipeline_role_arn(name, account)
    elif not re.match(r"^arn:aws[\w-]*:iam::\d{12}:role/.+", role_arn):
        raise _fail(where, f'role_arn must be an IAM role ARN such as "arn:aws:iam::{account}:role/wb-pipeline-role".')

    result = Pipeline(name=name, role_arn=role_arn, stages=stage_list, pipeline_type=pipeline_type,
                      execution_mode=execution_mode, variables=_variables(variables),
                      triggers=list(triggers) if triggers else None)
    other_regions = [r for r in result.regions() if r != region]
    buckets = _buckets(name, artifact_bucket, account, region, other_regions, where)
    if other_regions:
        result.artifact_stores = {r: ArtifactStore(location=buckets[r], type="S3") for r in [region] + other_regions}
    else:
        result.artifact_store = ArtifactStore(location=buckets[region], type="S3")
    return result


def _buckets(name: str, artifact_bucket: Any, account: str, home: str, others: list[str], where: str) -> dict[str, str]:
    """The artifact bucket of each region the pipeline needs."""
    if isinstance(artifact_bucket, Mapping):
        missing = [r for r in [home] + others if r not in artifact_bucket]
        if missing:
            raise _fail(where, f"artifact_bucket has no bucket for region(s) {', '.join(missing)}; "
                               "every action region and the pipeline's own region need one.")
        return dict(artifact_bucket)
    if artifact_bucket is None:
        out = {home: artifact_bucket_name(name, account)}
        out.update({r: artifact_bucket_name(name, account, r) for r in others})
        return out
    if not isinstance(artifact_bucket, str) or not re.match(r"^[a-z0-9][a-z0-9.-]{1,62}$", artifact_bucket):
        raise _fail(where, f"artifact_bucket must be an S3 bucket name (3-63 lowercase letters, digits, . -) "
                           f"or a {{region: bucket}} dict (got {artifact_bucket!r}).")
    out = {home: artifact_bucket}
    for r in others:
        bucket = f"{artifact_bucket[: 62 - len(r)]}-{r}"
        out[r] = bucket
    return out
