"""CloudFormation and pipelines, both ways: a complete template from a Pipeline, Pipelines from templates.

`to_cloudformation(pipeline)` writes a template to take to production: the
AWS::CodePipeline::Pipeline itself (every field of the model, V2 included), and with
include_resources its service role (least privilege, worked out from the actions), the artifact
bucket, one CodeBuild project (with its own role) per project the pipeline runs in its region,
parameters (connections, cross-region buckets) and outputs. The template is portable: the
pipeline's account id and region become ${AWS::AccountId} and ${AWS::Region}, its prefix
becomes a `Prefix` parameter when one is given. `to_yaml(template)` prints it with short-form tags.

`from_cloudformation(template)` reads real-world templates (YAML with !Ref/!Sub..., or JSON;
decoded by cfn-lint's decoder) and returns one Pipeline per AWS::CodePipeline::Pipeline
resource; `read_cloudformation` returns the same with what only CloudFormation holds (tags,
disabled transitions, RestartExecutionOnUpdate) and how the template was read (parameter values,
conditions, which conditions were assumed). What cannot be resolved becomes a readable
placeholder: ${Ref:Name}, ${GetAtt:Resource.Attribute}, ${ImportValue:Name}; Fn::Sub text keeps
its ${...} variables. Mapping facts: codepipeline-rules.md sections 7 and 8.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

from .model import Pipeline, PipelineError, Problem

TEMPLATE_FORMAT_VERSION = "2010-09-09"
PIPELINE_TYPE = "AWS::CodePipeline::Pipeline"
PIPELINE_ID = "Pipeline"

# What the API has and the CloudFormation resource cannot carry (reference section 8, CFNS).
CFN_FAILURE_RESULTS = ("ROLLBACK", "RETRY")

CODEBUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
ARTIFACT_EXPIRY_DAYS = 30
NONCURRENT_EXPIRY_DAYS = 7
PREFIX_PATTERN = r"^[a-z][a-z0-9-]{0,19}$"
DISABLED_REASON = re.compile(r"^[a-zA-Z0-9!@ \(\)\.\*\?\-]{1,300}$")  # botocore DisabledReason
MAX_DESCRIPTION = 1024

_ACCOUNT_IN_ROLE = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(.*)$")
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


# ============================================================================================
# Part 1: a template from a pipeline


@dataclass
class _Names:
    """How literal text from the model becomes portable Fn::Sub text in the template."""

    account: str | None
    region: str | None
    prefix: str | None

    def sub_text(self, literal: str) -> str:
        """Fn::Sub text for a literal: ${ escaped, account / region / prefix replaced."""
        text = literal.replace("${", "${!")
        if text.startswith("arn:aws:"):
            text = "arn:${AWS::Partition}:" + text[len("arn:aws:"):]
        if self.account:
            text = re.sub(rf"(?<!\d){self.account}(?!\d)", "${AWS::AccountId}", text)
        if self.region:
            text = re.sub(rf"(?<![a-z0-9]){re.escape(self.region)}(?![0-9])", "${AWS::Region}", text)
        if self.prefix:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(self.prefix)}-", "${Prefix}-", text)
        return text

    def value(self, literal: Any) -> Any:
        """The template value for a literal string: itself, a Ref, or an Fn::Sub."""
        if not isinstance(literal, str):
            return literal
        return sub_value(self.sub_text(literal))


def sub_value(text: str) -> Any:
    """Fn::Sub text as a template value: plain when it has no variable, Ref when it is one."""
    variables = _SUB_VARIABLE.findall(text)
    if not variables:
        return text.replace("${!", "${")
    whole = re.fullmatch(r"\$\{([A-Za-z0-9:]+)\}", text)
    if whole:
        return {"Ref": whole.group(1)}
    return {"Fn::Sub": text}


def _camel(text: str) -> str:
    """'wb-build-image' -> 'WbBuildImage' (a CloudFormation logical id is letters and digits)."""
    words = re.split(r"[^A-Za-z0-9]+", text)
    joined = "".join(w[:1].upper() + w[1:] for w in words if w)
    return joined if joined[:1].isalpha() else "R" + joined


def _home_region(pipeline: Pipeline, region: str | None) -> str | None:
    """The pipeline's own region: given, else what the definition shows (None when it does not).

    Source actions run in the pipeline's region; so does its connection; and with artifactStores,
    a store that no action's region names can only be the pipeline's own.
    """
    if region:
        return region
    for _, _, _, action in pipeline.iter_actions():
        if action.category == "Source" and action.region:
            return action.region
    for _, _, _, action in pipeline.iter_actions():
        match = re.match(r"^arn:aws[\w-]*:(?:codestar-connections|codeconnections):([a-z0-9-]+):",
                         str(action.config("ConnectionArn") or ""))
        if action.category == "Source" and match:
            return match.group(1)
    if pipeline.artifact_stores:
        named = {action.region for _, _, _, action in pipeline.iter_actions() if action.region}
        unnamed = [r for r in pipeline.artifact_stores if r not in named]
        if len(unnamed) == 1:
            return unnamed[0]
    return None


def _account_of(pipeline: Pipeline) -> str | None:
    match = _ACCOUNT_IN_ROLE.match(pipeline.role_arn or "")
    return match.group(1) if match else None


def pseudo_parameters(pipeline: Pipeline, region: str | None = None) -> dict[str, str]:
    """The account and region a pipeline was written for, as pseudo parameter values.

    to_cloudformation turns them into ${AWS::AccountId} / ${AWS::Region}; pass these to
    from_cloudformation(parameters=...) to read the template back as it deploys there.
    """
    values = {}
    account, home = _account_of(pipeline), _home_region(pipeline, region)
    if account:
        values["AWS::AccountId"] = account
    if home:
        values["AWS::Region"] = home
    return values


def _cfn_problems(pipeline: Pipeline) -> list[Problem]:
    """What the pipeline holds that AWS::CodePipeline::Pipeline cannot carry."""
    found = []
    for si, stage in enumerate(pipeline.stages or []):
        result = stage.on_failure.result if stage.on_failure else None
        if result is not None and result not in CFN_FAILURE_RESULTS:
            found.append(Problem(f"stages[{si}].onFailure.result",
                                 f"{result} cannot be written in CloudFormation (the resource accepts only "
                                 f"{' or '.join(CFN_FAILURE_RESULTS)}).",
                                 "Leave onFailure.result out (a failed stage fails the execution) or use ROLLBACK."))
        for where, conditions in _stage_conditions(stage):
            for ci, condition in enumerate(conditions):
                for ri, rule in enumerate(condition.rules or []):
                    if rule.timeout_in_minutes is not None:
                        found.append(Problem(
                            f"stages[{si}].{where}.conditions[{ci}].rules[{ri}].timeoutInMinutes",
                            "CloudFormation has no TimeoutInMinutes on condition rules.",
                            "Leave it out; the rule then uses its default timeout."))
    return found


def _stage_conditions(stage) -> list[tuple[str, list]]:
    out = []
    for where, holder in (("onFailure", stage.on_failure), ("onSuccess", stage.on_success),
                          ("beforeEntry", stage.before_entry)):
        if holder is not None and holder.conditions:
            out.append((where, holder.conditions))
    return out


# --------------------------------------------------------------------------------------------
# The pipeline resource's properties


# API keys whose string values hold account ids, regions or prefixed names (made portable).
_PORTABLE_KEYS = ("roleArn", "location", "id", "region", "value")


def _capitalised(key: str) -> str:
    return key[:1].upper() + key[1:]


def _cfn_value(value: Any, key: str, names: _Names) -> Any:
    """An API value in CloudFormation's shape: keys capitalised, except inside configuration."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "configuration" and isinstance(v, dict):
                out["Configuration"] = {ck: names.value(cv) for ck, cv in v.items()}
            else:
                out[_capitalised(k)] = _cfn_value(v, k, names)
        return out
    if isinstance(value, list):
        return [_cfn_value(item, key, names) for item in value]
    if isinstance(value, str) and key in _PORTABLE_KEYS:
        return names.value(value)
    return copy.deepcopy(value)


@dataclass
class _Plan:
    """What the template creates or takes as parameters, decided before writing it."""

    names: _Names
    pipeline_name: str
    home_bucket_id: str | None = None                         # logical id of the created bucket
    bucket_parameters: dict[str, str] = field(default_factory=dict)  # region -> parameter name
    connection_parameters: dict[str, str] = field(default_factory=dict)  # ARN -> parameter name
    projects: dict[str, str] = field(default_factory=dict)    # project name -> logical id
    role_id: str | None = None
    notes: list[str] = field(default_factory=list)


def _pipeline_properties(pipeline: Pipeline, plan: _Plan) -> dict:
    """The Properties of the AWS::CodePipeline::Pipeline resource (everything but CFN-only ones)."""
    api = pipeline.to_api()
    api.pop("version", None)  # read-only in CloudFormation (GetAtt Version)
    names = plan.names
    order = ["name", "pipelineType", "executionMode", "roleArn", "artifactStore", "artifactStores",
             "variables", "triggers", "stages"]
    keys = [k for k in order if k in api] + [k for k in api if k not in order]
    props: dict[str, Any] = {}
    for key in keys:
        value = api[key]
        if key == "name":
            props["Name"] = names.value(value)
        elif key == "roleArn" and plan.role_id:
            props["RoleArn"] = {"Fn::GetAtt": [plan.role_id, "Arn"]}
        elif key == "artifactStore":
            props["ArtifactStore"] = _store_value(value, pipeline_region=None, plan=plan)
        elif key == "artifactStores":
            props["ArtifactStores"] = [
                {"Region": names.value(region), "ArtifactStore": _store_value(store, region, plan)}
                for region, store in value.items()
            ]
        elif key == "stages":
            props["Stages"] = [_stage_value(stage, plan) for stage in value]
        else:
            props[_capitalised(key)] = _cfn_value(value, key, names)
    return props


def _store_value(store: dict, pipeline_region: str | None, plan: _Plan) -> dict:
    out = _cfn_value(store, "artifactStore", plan.names)
    home = pipeline_region is None or pipeline_region == plan.names.region
    if home and plan.home_bucket_id:
        out["Location"] = {"Ref": plan.home_bucket_id}
    elif pipeline_region in plan.bucket_parameters:
        out["Location"] = {"Ref": plan.bucket_parameters[pipeline_region]}
    return _ordered(out, ["Type", "Location", "EncryptionKey"])


def _ordered(d: dict, first: Sequence[str]) -> dict:
    return {**{k: d[k] for k in first if k in d}, **{k: v for k, v in d.items() if k not in first}}


def _stage_value(stage: dict, plan: _Plan) -> dict:
    out = {}
    for key, value in stage.items():
        if key == "actions":
            out["Actions"] = [_action_value(action, plan) for action in value]
        else:
            out[_capitalised(key)] = _cfn_value(value, key, plan.names)
    return out


def _action_value(action: dict, plan: _Plan) -> dict:
    out = _cfn_value(action, "action", plan.names)
    configuration = out.get("Configuration")
    if not isinstance(configuration, dict):
        return out
    type_id = action.get("actionTypeId") or {}
    region = action.get("region")
    in_home = region is None or region == plan.names.region
    project = (action.get("configuration") or {}).get("ProjectName")
    if type_id.get("provider") == "CodeBuild" and in_home and project in plan.projects:
        configuration["ProjectName"] = {"Ref": plan.projects[project]}
    connection = (action.get("configuration") or {}).get("ConnectionArn")
    if type_id.get("provider") == "CodeStarSourceConnection" and connection in plan.connection_parameters:
        configuration["ConnectionArn"] = {"Ref": plan.connection_parameters[connection]}
    return out


# --------------------------------------------------------------------------------------------
# The service role's policy, worked out from what the actions do


class _Policy:
    """IAM statements collected by purpose (Sid); resources and actions kept in first-seen order."""

    def __init__(self) -> None:
        self._statements: dict[str, dict] = {}

    def allow(self, sid: str, actions: Iterable[str], resources: Iterable[Any], condition: dict | None = None) -> None:
        statement = self._statements.setdefault(sid, {"Sid": sid, "Effect": "Allow", "Action": [], "Resource": []})
        for action in actions:
            if action not in statement["Action"]:
                statement["Action"].append(action)
        seen = {json.dumps(r, sort_keys=True) for r in statement["Resource"]}
        for resource in resources:
            key = json.dumps(resource, sort_keys=True)
            if key not in seen:
                statement["Resource"].append(resource)
                seen.add(key)
        if condition:
            _merge_condition(statement.setdefault("Condition", {}), condition)

    def document(self) -> dict:
        statements = []
        for statement in self._statements.values():
            out = dict(statement)
            out["Resource"] = _any_region(out["Resource"])
            if len(out["Action"]) == 1:
                out["Action"] = out["Action"][0]
            if len(out["Resource"]) == 1:
                out["Resource"] = out["Resource"][0]
            statements.append(out)
        return {"Version": "2012-10-17", "Statement": statements}


def _merge_condition(into: dict, condition: dict) -> None:
    """Add a condition to a statement's: values of the same operator and key become a list."""
    for operator, entries in condition.items():
        target = into.setdefault(operator, {})
        for key, value in entries.items():
            if key not in target:
                target[key] = copy.deepcopy(value)
                continue
            values = target[key] if isinstance(target[key], list) else [target[key]]
            for item in value if isinstance(value, list) else [value]:
                if item not in values:
                    values.append(copy.deepcopy(item))
            target[key] = values[0] if len(values) == 1 else values


MAX_REGIONS_PER_RESOURCE = 3
_REGIONAL_ARN = re.compile(r"^arn:\$\{AWS::Partition\}:([a-z0-9-]+):([a-z0-9-]+|\$\{AWS::Region\}):(.*)$")


def _any_region(resources: list) -> list:
    """ARNs of one resource in more than MAX_REGIONS_PER_RESOURCE regions, as one ARN with region *.

    Keeps the policy small (IAM allows 10,240 characters of inline policy per role) while each
    resource stays named.
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for i, resource in enumerate(resources):
        match = _REGIONAL_ARN.match(resource.get("Fn::Sub", "")) if isinstance(resource, dict) else None
        if match:
            groups.setdefault((match.group(1), match.group(3)), []).append(i)
    merged: dict[int, Any] = {}
    dropped: set[int] = set()
    for (service, rest), indexes in groups.items():
        if len(indexes) > MAX_REGIONS_PER_RESOURCE:
            merged[indexes[0]] = sub_value(f"arn:${{AWS::Partition}}:{service}:*:{rest}")
            dropped.update(indexes[1:])
    return [merged.get(i, r) for i, r in enumerate(resources) if i not in dropped]


def _arn(service: str, region_text: str, resource_text: str, account_text: str = "${AWS::AccountId}") -> Any:
    """An ARN in this account as a template value, from Fn::Sub text parts."""
    return sub_value(f"arn:${{AWS::Partition}}:{service}:{region_text}:{account_text}:{resource_text}")


def _region_text(region: str | None, names: _Names) -> str:
    return names.sub_text(region) if region else "${AWS::Region}"


def _bucket_resources(bucket: Any) -> tuple[Any, Any]:
    """(bucket ARN, objects ARN) for a bucket given as a Ref or as a literal name's Sub text."""
    if isinstance(bucket, dict) and "Ref" in bucket:
        name = "${" + bucket["Ref"] + "}"
    else:
        name = bucket
    return sub_value(f"arn:${{AWS::Partition}}:s3:::{name}"), sub_value(f"arn:${{AWS::Partition}}:s3:::{name}/*")


def _key_statements(policy: _Policy, sid: str, key_id: str, names: _Names, region: str | None) -> None:
    """KMS use of an artifact key: by ARN, or through kms:ResourceAliases for an alias."""
    actions = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    alias = re.match(r"^(?:arn:aws[\w-]*:kms:[^:]*:\d{12}:)?(alias/.+)$", key_id)
    if alias:
        policy.allow(sid + "Alias", actions, ["*"],
                     {"ForAnyValue:StringEquals": {"kms:ResourceAliases": names.value(alias.group(1))}})
    elif key_id.startswith("arn:"):
        policy.allow(sid, actions, [names.value(key_id)])
    else:
        policy.allow(sid, actions, [_arn("kms", _region_text(region, names), f"key/{names.sub_text(key_id)}")])


def _stores(pipeline: Pipeline) -> list[tuple[str | None, dict]]:
    """(region, store) for every artifact store; region None for the single artifactStore."""
    stores: list[tuple[str | None, dict]] = []
    if pipeline.artifact_store:
        stores.append((None, pipeline.artifact_store.to_api()))
    for region, store in (pipeline.artifact_stores or {}).items():
        stores.append((region, store.to_api()))
    return stores


PIPELINE_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl")
PROJECT_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject")


def _artifact_statements(policy: _Policy, stores: list[tuple[str | None, dict]], plan: _Plan,
                         object_actions: Sequence[str]) -> None:
    """Read and write these artifact buckets (in this account) and use their KMS keys."""
    names = plan.names
    account_condition = {"StringEquals": {"aws:ResourceAccount": {"Ref": "AWS::AccountId"}}}
    for region, store in stores:
        home = region is None or region == names.region
        if home and plan.home_bucket_id:
            bucket: Any = {"Ref": plan.home_bucket_id}
        elif region in plan.bucket_parameters:
            bucket = {"Ref": plan.bucket_parameters[region]}
        else:
            bucket = names.sub_text(store.get("location", ""))
        bucket_arn, objects_arn = _bucket_resources(bucket)
        policy.allow("ArtifactBuckets", ["s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketLocation"],
                     [bucket_arn], account_condition)
        policy.allow("ArtifactObjects", list(object_actions), [objects_arn], account_condition)
        key = (store.get("encryptionKey") or {}).get("id")
        if key:
            _key_statements(policy, "ArtifactKeys", key, names, region or names.region)


def _pipeline_policy(pipeline: Pipeline, plan: _Plan) -> _Policy:
    """Least privilege for the pipeline's service role: exactly what its actions and rules use."""
    policy = _Policy()
    names = plan.names
    _artifact_statements(policy, _stores(pipeline), plan, PIPELINE_OBJECT_ACTIONS)
    for _, _, _, action in pipeline.iter_actions():
        if action.role_arn:
            # The action role does the work; the pipeline role only assumes it.
            policy.allow("AssumeActionRoles", ["sts:AssumeRole"], [names.value(action.role_arn)])
            continue
        _action_permissions(policy, action, plan)
    for stage in pipeline.stages or []:
        for _, conditions in _stage_conditions(stage):
            for condition in conditions:
                for rule in condition.rules or []:
                    _rule_permissions(policy, rule, plan)
    return policy


def _action_permissions(policy: _Policy, action, plan: _Plan) -> None:
    names = plan.names
    owner = action.action_type_id.owner if action.action_type_id else None
    if owner != "AWS":
        return  # custom and third-party job workers poll with their own credentials
    config = action.configuration or {}
    region = _region_text(action.region, names)
    provider, category = action.provider, action.category
    if provider == "CodeStarSourceConnection":
        arn = config.get("ConnectionArn", "")
        service = "codeconnections" if ":codeconnections:" in arn else "codestar-connections"
        resource = {"Ref": plan.connection_parameters[arn]} if arn in plan.connection_parameters else names.value(arn)
        policy.allow("UseConnections", [f"{service}:UseConnection"], [resource])
    elif provider == "CodeCommit":
        policy.allow("ReadCodeCommit", ["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:GetRepository",
                                        "codecommit:UploadArchive", "codecommit:GetUploadArchiveStatus",
                                        "codecommit:CancelUploadArchive"],
                     [_arn("codecommit", region, names.sub_text(config.get("RepositoryName", "*")))])
    elif provider == "S3" and category == "Source":
        bucket = names.sub_text(config.get("S3Bucket", "*"))
        key = names.sub_text(config.get("S3ObjectKey", "*"))
        policy.allow("ReadSourceBuckets", ["s3:GetBucketVersioning"],
                     [sub_value(f"arn:${{AWS::Partition}}:s3:::{bucket}")])
        policy.allow("ReadSourceObjects", ["s3:GetObject", "s3:GetObjectVersion"],
                     [sub_value(f"arn:${{AWS::Partition}}:s3:::{bucket}/{key}")])
    elif provider == "ECR" and category == "Source":
        policy.allow("ReadImages", ["ecr:DescribeImages"],
                     [_arn("ecr", region, f"repository/{names.sub_text(config.get('RepositoryName', '*'))}")])
    elif provider == "CodeBuild":
        project = config.get("ProjectName", "*")
        in_home = action.region is None or action.region == names.region
        if in_home and project in plan.projects:
            resource: Any = {"Fn::GetAtt": [plan.projects[project], "Arn"]}
        else:
            resource = _arn("codebuild", region, f"project/{names.sub_text(project)}")
        policy.allow("RunBuilds", ["codebuild:BatchGetBuilds", "codebuild:StartBuild",
                                   "codebuild:BatchGetBuildBatches", "codebuild:StartBuildBatch"], [resource])
    elif provider == "Manual":
        if config.get("NotificationArn"):
            policy.allow("NotifyApprovers", ["sns:Publish"], [names.value(config["NotificationArn"])])
    elif provider == "CloudFormation":
        stack = names.sub_text(config.get("StackName", "*"))
        policy.allow("DeployStacks", ["cloudformation:CreateStack", "cloudformation:DeleteStack",
                                      "cloudformation:DescribeStacks", "cloudformation:UpdateStack",
                                      "cloudformation:CreateChangeSet", "cloudformation:DeleteChangeSet",
                                      "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
                                      "cloudformation:SetStackPolicy"],
                     [_arn("cloudformation", region, f"stack/{stack}/*")])
        policy.allow("ValidateTemplates", ["cloudformation:ValidateTemplate"], ["*"])
        if config.get("RoleArn"):
            policy.allow("PassRoleToCloudFormation", ["iam:PassRole"], [names.value(config["RoleArn"])],
                         {"StringEqualsIfExists": {"iam:PassedToService": "cloudformation.amazonaws.com"}})
    elif provider in ("CodeDeploy", "CodeDeployToECS"):
        app = names.sub_text(config.get("ApplicationName", "*"))
        group = names.sub_text(config.get("DeploymentGroupName", "*"))
        policy.allow("Deployments", ["codedeploy:CreateDeployment", "codedeploy:GetApplication",
                                     "codedeploy:GetApplicationRevision", "codedeploy:GetDeployment",
                                     "codedeploy:RegisterApplicationRevision"],
                     [_arn("codedeploy", region, f"application:{app}"),
                      _arn("codedeploy", region, f"deploymentgroup:{app}/{group}")])
        policy.allow("DeploymentConfigs", ["codedeploy:GetDeploymentConfig"],
                     [_arn("codedeploy", region, "deploymentconfig:*")])
        if provider == "CodeDeployToECS":
            _task_definition_permissions(policy)
    elif provider == "ECS":
        cluster = names.sub_text(config.get("ClusterName", "*"))
        service = names.sub_text(config.get("ServiceName", "*"))
        policy.allow("UpdateServices", ["ecs:DescribeServices", "ecs:UpdateService"],
                     [_arn("ecs", region, f"service/{cluster}/{service}")])
        _task_definition_permissions(policy)
    elif provider == "S3" and category == "Deploy":
        bucket = names.sub_text(config.get("BucketName", "*"))
        actions = ["s3:PutObject"] + (["s3:PutObjectAcl"] if config.get("CannedACL") else [])
        policy.allow("PublishToBuckets", actions, [sub_value(f"arn:${{AWS::Partition}}:s3:::{bucket}/*")])
        if config.get("KMSEncryptionKeyARN"):
            policy.allow("PublishKeys", ["kms:GenerateDataKey"], [names.value(config["KMSEncryptionKeyARN"])])
    elif provider == "ElasticBeanstalk":
        app = names.sub_text(config.get("ApplicationName", "*"))
        env = names.sub_text(config.get("EnvironmentName", "*"))
        policy.allow("DeployBeanstalk", ["elasticbeanstalk:CreateApplicationVersion",
                                         "elasticbeanstalk:DescribeApplicationVersions",
                                         "elasticbeanstalk:DescribeEnvironments", "elasticbeanstalk:DescribeEvents",
                                         "elasticbeanstalk:UpdateEnvironment"],
                     [_arn("elasticbeanstalk", region, f"application/{app}"),
                      _arn("elasticbeanstalk", region, f"applicationversion/{app}/*"),
                      _arn("elasticbeanstalk", region, f"environment/{app}/{env}")])
    elif provider == "Lambda":
        policy.allow("InvokeFunctions", ["lambda:InvokeFunction"],
                     [_function_arn(config.get("FunctionName", "*"), region, names)])
    elif provider == "StepFunctions":
        machine = config.get("StateMachineArn", "")
        policy.allow("StartStateMachines", ["states:StartExecution", "states:DescribeStateMachine"],
                     [names.value(machine)])
        match = re.match(r"^arn:aws[\w-]*:states:([^:]+):(\d{12}):stateMachine:(.+)$", machine)
        if match:
            execution = f"arn:aws:states:{match.group(1)}:{match.group(2)}:execution:{match.group(3)}:*"
            policy.allow("WatchExecutions", ["states:DescribeExecution"], [names.value(execution)])
    elif provider == "Commands":
        _compute_logs(policy, plan)
        variables = [(v.type, v.value) for v in action.environment_variables or []]
        _secret_statements(policy, variables, names)
    elif provider == "DeviceFarm":
        policy.allow("RunDeviceTests", ["devicefarm:ListProjects", "devicefarm:ListDevicePools", "devicefarm:GetRun",
                                        "devicefarm:GetUpload", "devicefarm:CreateUpload", "devicefarm:ScheduleRun"],
                     ["*"])


def _task_definition_permissions(policy: _Policy) -> None:
    # Task definitions are registered from a file in the artifact: their roles are not known here.
    policy.allow("RegisterTaskDefinitions", ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition",
                                             "ecs:TagResource"], ["*"])
    policy.allow("PassTaskRoles", ["iam:PassRole"],
                 [sub_value("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*")],
                 {"StringEqualsIfExists": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})


def _secret_statements(policy: _Policy, variables: Iterable[tuple[str | None, Any]], names: _Names) -> None:
    """Read the Secrets Manager secrets and SSM parameters that environment variables name."""
    for kind, value in variables:
        if not isinstance(value, str) or not value:
            continue
        if kind == "SECRETS_MANAGER":
            if value.startswith("arn:"):
                resource = names.value(":".join(value.split(":")[:7]))
            else:
                resource = _arn("secretsmanager", "${AWS::Region}", f"secret:{names.sub_text(value.split(':')[0])}-*")
            policy.allow("ReadSecrets", ["secretsmanager:GetSecretValue"], [resource])
        elif kind == "PARAMETER_STORE":
            if value.startswith("arn:"):
                resource = names.value(value)
            else:
                resource = _arn("ssm", "${AWS::Region}", f"parameter/{names.sub_text(value.lstrip('/'))}")
            policy.allow("ReadParameters", ["ssm:GetParameters"], [resource])


def _codebuild_variables(actions: Sequence) -> list[tuple[str | None, Any]]:
    """(type, value) of the EnvironmentVariables the actions pass to a CodeBuild project."""
    found = []
    for action in actions:
        try:
            items = json.loads(action.config("EnvironmentVariables") or "[]")
        except (TypeError, json.JSONDecodeError):
            continue
        if isinstance(items, list):
            found += [(item.get("type"), item.get("value")) for item in items if isinstance(item, dict)]
    return found


def _function_arn(function: str, region: str, names: _Names) -> Any:
    if function.startswith("arn:"):
        return names.value(function)
    return _arn("lambda", region, f"function:{names.sub_text(function)}")


def _compute_logs(policy: _Policy, plan: _Plan) -> None:
    """Commands actions and rules log to /aws/codepipeline/<pipeline name>."""
    group = f"log-group:/aws/codepipeline/{plan.names.sub_text(plan.pipeline_name)}"
    policy.allow("ComputeLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                 [_arn("logs", "${AWS::Region}", group), _arn("logs", "${AWS::Region}", group + ":log-stream:*")])


def _rule_permissions(policy: _Policy, rule, plan: _Plan) -> None:
    names = plan.names
    if rule.role_arn:
        policy.allow("AssumeActionRoles", ["sts:AssumeRole"], [names.value(rule.role_arn)])
        return
    provider = rule.rule_type_id.provider if rule.rule_type_id else None
    config = rule.configuration or {}
    region = _region_text(rule.region, names)
    if provider == "CloudWatchAlarm":
        alarm = names.sub_text(config.get("AlarmName", "*"))
        policy.allow("WatchAlarms", ["cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms"],
                     [_arn("cloudwatch", region, f"alarm:{alarm}")])
    elif provider == "LambdaInvoke":
        policy.allow("InvokeFunctions", ["lambda:InvokeFunction"],
                     [_function_arn(config.get("FunctionName", "*"), region, names)])
    elif provider == "CodeBuild":
        policy.allow("RunBuilds", ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
                     [_arn("codebuild", region, f"project/{names.sub_text(config.get('ProjectName', '*'))}")])
    elif provider == "Commands":
        _compute_logs(policy, plan)


# --------------------------------------------------------------------------------------------
# Resources: role, bucket, CodeBuild projects


def _tag_list(tags: Mapping[str, str] | Sequence[Mapping[str, str]] | None) -> list[dict] | None:
    if tags is None:
        return None
    if isinstance(tags, Mapping):
        items = [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]
    else:
        items = []
        for tag in tags:
            if not isinstance(tag, Mapping) or "Key" not in tag or "Value" not in tag:
                raise ValueError(f"to_cloudformation: tags must be a {{key: value}} dict or a list of "
                                 f"{{'Key', 'Value'}} dicts (got {tag!r}).")
            items.append({"Key": str(tag["Key"]), "Value": str(tag["Value"])})
    return items or None


def _with_tags(properties: dict, tags: list[dict] | None) -> dict:
    if tags:
        properties["Tags"] = copy.deepcopy(tags)
    return properties


def _service_role(service: str, description: str, policy_name: str, policy: _Policy, tags: list[dict] | None,
                  role_name: Any = None, path: str | None = None) -> dict:
    properties: dict[str, Any] = {}
    if role_name is not None:
        properties["RoleName"] = role_name
    if path:
        properties["Path"] = path
    properties["Description"] = description
    properties["AssumeRolePolicyDocument"] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    properties["Policies"] = [{"PolicyName": policy_name, "PolicyDocument": policy.document()}]
    return {"Type": "AWS::IAM::Role", "Properties": _with_tags(properties, tags)}


def _artifact_bucket(location: str, store: dict, names: _Names, tags: list[dict] | None) -> dict:
    key = (store.get("encryptionKey") or {}).get("id")
    if key:
        encryption = {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": names.value(key)},
                      "BucketKeyEnabled": True}
    else:
        encryption = {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    properties = {
        "BucketName": names.value(location),
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [encryption]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "LifecycleConfiguration": {"Rules": [{
            "Id": "ExpireOldArtifacts",
            "Status": "Enabled",
            "ExpirationInDays": ARTIFACT_EXPIRY_DAYS,
            "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_EXPIRY_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }]},
    }
    return {"Type": "AWS::S3::Bucket", "Properties": _with_tags(properties, tags)}


def _bucket_policy(bucket_id: str) -> dict:
    """Refuse any request that is not over TLS."""
    return {"Type": "AWS::S3::BucketPolicy", "Properties": {
        "Bucket": {"Ref": bucket_id},
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [{"Fn::GetAtt": [bucket_id, "Arn"]}, {"Fn::Sub": "${" + bucket_id + ".Arn}/*"}],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }]},
    }}


@dataclass(frozen=True)
class ProjectKind:
    """What a CodeBuild project does, which decides its buildspec and environment."""

    kind: str
    buildspec: str
    description: str
    privileged: bool = False
    timeout_minutes: int = 60


PROJECT_KINDS = {
    "image": ProjectKind("image", "buildspecs/build-image.yml", "Builds the container image", privileged=True),
    "test": ProjectKind("test", "buildspecs/test.yml", "Runs the tests", timeout_minutes=30),
    "deploy": ProjectKind("deploy", "buildspecs/deploy.yml", "Deploys the build to the environment "
                           "its DEPLOY_ENVIRONMENT variable names", timeout_minutes=30),
    "build": ProjectKind("build", "buildspec.yml", "Builds the source"),
}


def project_kind(project: str, actions: Sequence) -> ProjectKind:
    """The kind of a CodeBuild project from its name and the actions that run it."""
    lowered = project.lower()
    variables = " ".join(a.config("EnvironmentVariables") or "" for a in actions)
    if "image" in lowered or "docker" in lowered:
        return PROJECT_KINDS["image"]
    if "DEPLOY_ENVIRONMENT" in variables or "deploy" in lowered:
        return PROJECT_KINDS["deploy"]
    if any(a.category == "Test" for a in actions) or "test" in lowered:
        return PROJECT_KINDS["test"]
    return PROJECT_KINDS["build"]


def _home_projects(pipeline: Pipeline, home: str | None, account: str | None) -> dict[str, list]:
    """CodeBuild projects the stack can create: run in the pipeline's region by this account."""
    projects: dict[str, list] = {}
    for _, _, _, action in pipeline.iter_actions():
        if action.provider != "CodeBuild" or (action.action_type_id and action.action_type_id.owner != "AWS"):
            continue
        name = action.config("ProjectName")
        if not isinstance(name, str) or not name or "#{" in name:
            continue
        if action.region and action.region != home:
            continue
        role_account = _ACCOUNT_IN_ROLE.match(action.role_arn or "")
        if role_account and account and role_account.group(1) != account:
            continue
        projects.setdefault(name, []).append(action)
    return projects


def _remote_projects(pipeline: Pipeline, home: str | None) -> dict[str, list[str]]:
    """{project: [regions]} for CodeBuild projects the pipeline runs in other regions."""
    found: dict[str, list[str]] = {}
    for _, _, _, action in pipeline.iter_actions():
        if action.provider == "CodeBuild" and action.region and action.region != home:
            regions = found.setdefault(str(action.config("ProjectName")), [])
            if action.region not in regions:
                regions.append(action.region)
    return found


def _project_resources(name: str, actions: Sequence, logical_id: str, pipeline: Pipeline, plan: _Plan,
                       tags: list[dict] | None) -> dict[str, dict]:
    """The project and its service role: logs, the artifact bucket, reports and batch builds."""
    names = plan.names
    kind = project_kind(name, actions)
    batch = any((a.config("BatchEnabled") or "").lower() == "true" for a in actions)
    role_id = f"{logical_id}Role"
    name_text = names.sub_text(name)
    policy = _Policy()
    log_group = f"log-group:/aws/codebuild/{name_text}"
    policy.allow("Logs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                 [_arn("logs", "${AWS::Region}", log_group), _arn("logs", "${AWS::Region}", log_group + ":*")])
    home_stores = [(r, store) for r, store in _stores(pipeline) if r is None or r == names.region]
    _artifact_statements(policy, home_stores, plan, PROJECT_OBJECT_ACTIONS)
    _secret_statements(policy, _codebuild_variables(actions), names)
    if kind.kind == "test":
        policy.allow("TestReports", ["codebuild:CreateReportGroup", "codebuild:CreateReport",
                                     "codebuild:UpdateReport", "codebuild:BatchPutTestCases",
                                     "codebuild:BatchPutCodeCoverages"],
                     [_arn("codebuild", "${AWS::Region}", f"report-group/{name_text}-*")])
    if batch:
        policy.allow("BatchBuilds", ["codebuild:StartBuild", "codebuild:StopBuild", "codebuild:RetryBuild"],
                     [_arn("codebuild", "${AWS::Region}", f"project/{name_text}")])
    role = _service_role("codebuild.amazonaws.com", f"Service role of the CodeBuild project {name}",
                         "logs-and-artifacts", policy, tags)
    environment = {"Type": "LINUX_CONTAINER", "ComputeType": "BUILD_GENERAL1_SMALL", "Image": CODEBUILD_IMAGE,
                   "ImagePullCredentialsType": "CODEBUILD"}
    if kind.privileged:
        environment["PrivilegedMode"] = True
    properties: dict[str, Any] = {
        "Name": names.value(name),
        "Description": f"{kind.description} for the pipeline {plan.pipeline_name}",
        "ServiceRole": {"Fn::GetAtt": [role_id, "Arn"]},
        "Source": {"Type": "CODEPIPELINE", "BuildSpec": kind.buildspec},
        "Artifacts": {"Type": "CODEPIPELINE"},
        "Environment": environment,
        "TimeoutInMinutes": kind.timeout_minutes,
        "LogsConfig": {"CloudWatchLogs": {"Status": "ENABLED"}},
    }
    home_store = _home_store(pipeline, names.region)
    key = (home_store or {}).get("encryptionKey", {}).get("id") if home_store else None
    if key:
        properties["EncryptionKey"] = names.value(key)
    if batch:
        properties["BuildBatchConfig"] = {"ServiceRole": {"Fn::GetAtt": [role_id, "Arn"]}}
    project = {"Type": "AWS::CodeBuild::Project", "Properties": _with_tags(properties, tags)}
    return {role_id: role, logical_id: project}


def _home_store(pipeline: Pipeline, home: str | None) -> dict | None:
    if pipeline.artifact_store:
        return pipeline.artifact_store.to_api()
    if pipeline.artifact_stores and home in pipeline.artifact_stores:
        return pipeline.artifact_stores[home].to_api()
    return None


# --------------------------------------------------------------------------------------------
# Parameters, CFN-only properties, description


CONNECTION_ARN_PATTERN = r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/.+$"


def _connection_parameters(pipeline: Pipeline) -> dict[str, str]:
    """A parameter per connection ARN (values that are not ARNs, such as dynamic references, stay)."""
    arns: list[str] = []
    for _, _, _, action in pipeline.iter_actions():
        arn = action.config("ConnectionArn") if action.provider == "CodeStarSourceConnection" else None
        if isinstance(arn, str) and re.match(CONNECTION_ARN_PATTERN, arn) and arn not in arns:
            arns.append(arn)
    return {arn: "ConnectionArn" if i == 0 else f"ConnectionArn{i + 1}" for i, arn in enumerate(arns)}


def _transitions(pipeline: Pipeline, disabled: Any) -> list[dict] | None:
    """DisableInboundStageTransitions from {stage: reason} or [(stage, reason)] / [{StageName, Reason}]."""
    if not disabled:
        return None
    if isinstance(disabled, Mapping):
        pairs = list(disabled.items())
    else:
        pairs = []
        for item in disabled:
            if isinstance(item, Mapping):
                pairs.append((item.get("StageName"), item.get("Reason")))
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                pairs.append((item[0], item[1]))
            else:
                raise ValueError(f"to_cloudformation: disabled_transitions items are (stage, reason) pairs or "
                                 f"{{'StageName', 'Reason'}} dicts (got {item!r}).")
    stages = [s.name for s in pipeline.stages or []]
    out = []
    for stage, reason in pairs:
        if stage not in stages:
            raise ValueError(f"to_cloudformation: disabled_transitions names stage {stage!r}, which the pipeline "
                             f"does not have; its stages are {stages}.")
        if not isinstance(reason, str) or not DISABLED_REASON.match(reason):
            raise ValueError(f"to_cloudformation: the reason for stage {stage!r} must be 1-300 letters, digits, "
                             f"spaces and !@().*?- (got {reason!r}).")
        out.append({"StageName": stage, "Reason": reason})
    return out


def _description(pipeline: Pipeline, plan: _Plan, restart: bool) -> str:
    stages = pipeline.stages or []
    actions = sum(len(s.actions or []) for s in stages)
    text = (f"CodePipeline {pipeline.name} ({pipeline.effective_type}, {len(stages)} stages, {actions} actions), "
            f"written by pipeline_workbook.")
    if restart:
        text += (" RestartExecutionOnUpdate: when a run updates this stack, the pipeline starts again on the new "
                 "definition.")
    for note in plan.notes:
        text += " " + note
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 3].rstrip() + "..."
    return text


def to_cloudformation(pipeline: Pipeline | Mapping, *, restart_execution_on_update: bool = False,
                      include_resources: bool = True,
                      tags: Mapping[str, str] | Sequence[Mapping[str, str]] | None = None,
                      disabled_transitions: Mapping[str, str] | Sequence[Any] | None = None,
                      description: str | None = None, prefix: str | None = None,
                      region: str | None = None) -> dict:
    """A CloudFormation template (a JSON-able dict) for the pipeline, ready to deploy.

    include_resources adds the service role, the artifact bucket, the CodeBuild projects run in
    the pipeline's region and their roles; without it the template holds the pipeline alone.
    tags go on every resource; disabled_transitions is {stage: reason}; prefix (e.g. "wb")
    becomes a `Prefix` parameter used in every name that starts with it; region is the
    pipeline's own region (found from its source actions or artifact stores when not given).
    The account id and region in names and ARNs become ${AWS::AccountId} / ${AWS::Region}.
    """
    if isinstance(pipeline, Mapping):
        pipeline = Pipeline.from_api(dict(pipeline))
    if not isinstance(pipeline, Pipeline):
        raise TypeError(f"to_cloudformation: pass a Pipeline (or its API dict), not {type(pipeline).__name__}.")
    problems = _cfn_problems(pipeline)
    if problems:
        raise PipelineError(problems, pipeline.name)
    if prefix is not None and (not isinstance(prefix, str) or not re.match(PREFIX_PATTERN, prefix)):
        raise ValueError(f"to_cloudformation: prefix must be 1-20 lowercase letters, digits or hyphens starting "
                         f"with a letter, e.g. 'wb' (got {prefix!r}).")
    home = _home_region(pipeline, region)
    if home is None and pipeline.artifact_stores:
        raise ValueError(f"to_cloudformation: pipeline {pipeline.name!r} has artifact stores in "
                         f"{', '.join(pipeline.artifact_stores)} and nothing in it says which region is its own; "
                         f"pass region='...' (the region the stack is deployed to).")
    account = _account_of(pipeline)
    used_prefix = prefix if prefix and _mentions_prefix(pipeline, prefix) else None
    names = _Names(account=account, region=home, prefix=used_prefix)
    tag_list = _tag_list(tags)
    transitions = _transitions(pipeline, disabled_transitions)
    plan = _Plan(names=names, pipeline_name=pipeline.name or PIPELINE_ID,
                 connection_parameters=_connection_parameters(pipeline))

    parameters = _base_parameters(plan)
    resources: dict[str, dict] = {}
    if include_resources:
        _plan_resources(pipeline, plan, parameters)
        resources.update(_supporting_resources(pipeline, plan, tag_list))
    properties = _pipeline_properties(pipeline, plan)
    if transitions:
        properties["DisableInboundStageTransitions"] = transitions
    if restart_execution_on_update:
        properties["RestartExecutionOnUpdate"] = True
    if tag_list:
        properties["Tags"] = copy.deepcopy(tag_list)
    resources[PIPELINE_ID] = {"Type": PIPELINE_TYPE, "Properties": properties}
    _note_secrets(pipeline, plan)

    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": TEMPLATE_FORMAT_VERSION,
        "Description": description if description is not None else _description(
            pipeline, plan, restart_execution_on_update),
    }
    if parameters:
        template["Parameters"] = parameters
    template["Resources"] = resources
    template["Outputs"] = _outputs(plan)
    return template


def _base_parameters(plan: _Plan) -> dict[str, dict]:
    """The Prefix parameter (when names use it) and one parameter per connection."""
    parameters: dict[str, dict] = {}
    if plan.names.prefix:
        parameters["Prefix"] = {"Type": "String", "Default": plan.names.prefix, "AllowedPattern": PREFIX_PATTERN,
                                "Description": "Starts the name of every resource, so that several copies of "
                                               "this stack can live in one account (one per participant)."}
    for arn, name in plan.connection_parameters.items():
        parameters[name] = {"Type": "String", "Default": arn, "AllowedPattern": CONNECTION_ARN_PATTERN,
                            "Description": "ARN of the CodeConnections connection to the repository (create it "
                                           "and complete the handshake in the console first)."}
    return parameters


def _supporting_resources(pipeline: Pipeline, plan: _Plan, tags: list[dict] | None) -> dict[str, dict]:
    """The pipeline's service role, its artifact bucket (and policy), its CodeBuild projects and their roles."""
    names = plan.names
    role_name, role_path = _role_name_and_path(pipeline.role_arn)
    resources = {plan.role_id: _service_role(
        "codepipeline.amazonaws.com", f"Service role of the pipeline {pipeline.name}", "pipeline-actions",
        _pipeline_policy(pipeline, plan), tags,
        role_name=names.value(role_name) if role_name else None, path=role_path)}
    if plan.home_bucket_id:
        store = _home_store(pipeline, names.region) or {}
        resources[plan.home_bucket_id] = _artifact_bucket(store.get("location", ""), store, names, tags)
        resources[plan.home_bucket_id + "Policy"] = _bucket_policy(plan.home_bucket_id)
    for project, actions in _home_projects(pipeline, names.region, names.account).items():
        resources.update(_project_resources(project, actions, plan.projects[project], pipeline, plan, tags))
    return resources


def _outputs(plan: _Plan) -> dict[str, dict]:
    outputs = {
        "PipelineName": {"Description": "Name of the pipeline", "Value": {"Ref": PIPELINE_ID}},
        "PipelineConsoleUrl": {
            "Description": "The pipeline in the CodePipeline console",
            "Value": {"Fn::Sub": "https://${AWS::Region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/"
                                 "${" + PIPELINE_ID + "}/view?region=${AWS::Region}"},
        },
    }
    if plan.role_id:
        outputs["PipelineRoleArn"] = {"Description": "Service role of the pipeline",
                                      "Value": {"Fn::GetAtt": [plan.role_id, "Arn"]}}
    if plan.home_bucket_id:
        outputs["ArtifactBucketName"] = {"Description": "Artifact bucket in the pipeline's region",
                                         "Value": {"Ref": plan.home_bucket_id}}
    return outputs


def _mentions_prefix(pipeline: Pipeline, prefix: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(prefix)}-", json.dumps(pipeline.to_api())) is not None


def _role_name_and_path(role_arn: str | None) -> tuple[str | None, str | None]:
    """('name', '/path/') of a role ARN; path None when it is '/'."""
    match = _ACCOUNT_IN_ROLE.match(role_arn or "")
    if not match:
        return None, None
    full = match.group(2)
    if "/" not in full:
        return full, None
    path, name = full.rsplit("/", 1)
    return name, f"/{path}/"


def _plan_resources(pipeline: Pipeline, plan: _Plan, parameters: dict[str, dict]) -> None:
    """Decide the logical ids of what the stack creates and the parameters it takes for the rest."""
    names = plan.names
    plan.role_id = "PipelineRole"
    taken = {PIPELINE_ID, plan.role_id, "Prefix", *parameters}
    if _home_store(pipeline, names.region) is not None:
        plan.home_bucket_id = "ArtifactBucket"
        taken |= {"ArtifactBucket", "ArtifactBucketPolicy"}
    others = [r for r in (pipeline.artifact_stores or {}) if r != names.region]
    for region in others:
        param = _unique(f"ArtifactBucket{_camel(region)}", taken)
        plan.bucket_parameters[region] = param
        parameters[param] = {
            "Type": "String",
            "Default": pipeline.artifact_stores[region].location or "",
            "AllowedPattern": r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            "Description": f"Artifact bucket in {region}, created there beforehand (one stack cannot create "
                           f"buckets in other regions).",
        }
    if others:
        plan.notes.append(f"Artifact buckets in {', '.join(others)} are parameters: create them in those regions "
                          f"first (a stack creates resources in its own region only).")
    if pipeline.artifact_stores and names.region not in pipeline.artifact_stores:
        plan.notes.append("No artifact store is for the pipeline's own region.")
    strip = f"{names.prefix}-" if names.prefix else ""
    for project in _home_projects(pipeline, names.region, names.account):
        stem = project[len(strip):] if strip and project.startswith(strip) else project
        plan.projects[project] = _unique(f"{_camel(stem)}Project", taken)
        taken.add(plan.projects[project] + "Role")
    remote = _remote_projects(pipeline, names.region)
    if remote:
        where = "; ".join(f"{project} in {', '.join(regions)}" for project, regions in remote.items())
        plan.notes.append(f"CodeBuild projects run in other regions must exist there: {where}.")


def _unique(candidate: str, taken: set[str]) -> str:
    name, n = candidate, 2
    while name in taken:
        name, n = f"{candidate}{n}", n + 1
    taken.add(name)
    return name


def _note_secrets(pipeline: Pipeline, plan: _Plan) -> None:
    for _, _, _, action in pipeline.iter_actions():
        token = action.config("OAuthToken")
        if isinstance(token, str) and not token.startswith("{{resolve:"):
            plan.notes.append(f"Action {action.name}: OAuthToken is written as given; keep the token in "
                              "Secrets Manager and read it with a dynamic reference (resolve:secretsmanager).")


# --------------------------------------------------------------------------------------------
# YAML


class _TemplateDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, writing intrinsic functions as short-form tags (!Ref, !Sub ...).

    No anchors or aliases (CloudFormation rejects them), and a tagged scalar is written plain
    (`!Ref Bucket`, not `!Ref 'Bucket'`) whenever YAML allows it.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        event, analysis = self.event, self.analysis
        plain_allowed = analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain
        if style == "'" and not event.style and (event.tag or "").startswith("!") and not analysis.multiline \
                and not analysis.empty and plain_allowed:
            return ""
        return style


_SHORT_TAGS = {"Ref": "!Ref", "Condition": "!Condition"} | {
    f"Fn::{name}": f"!{name}" for name in (
        "Sub", "GetAtt", "Join", "If", "Equals", "And", "Or", "Not", "Select", "Split", "FindInMap",
        "ImportValue", "Base64", "GetAZs", "Cidr", "Length", "ToJsonString")
}


def _represent_dict(dumper, data: dict):
    if len(data) == 1:
        ((key, value),) = data.items()
        tag = _SHORT_TAGS.get(key)
        if tag and key == "Fn::GetAtt" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            return dumper.represent_scalar(tag, ".".join(value))
        if tag and isinstance(value, str):
            return dumper.represent_scalar(tag, value)
        if tag and isinstance(value, list) and key != "Condition":
            return dumper.represent_sequence(tag, value, flow_style=_is_flat(value))
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items())


def _is_flat(items: list) -> bool:
    return all(isinstance(v, (str, int, float, bool)) and "\n" not in str(v) for v in items) and len(items) <= 4


def _represent_str(dumper, data: str):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_TemplateDumper.add_representer(dict, _represent_dict)
_TemplateDumper.add_representer(str, _represent_str)


def to_yaml(template: Mapping) -> str:
    """The template as YAML with short-form tags (!Ref X, !Sub '...', !GetAtt R.Arn), keys in order."""
    return yaml.dump(dict(template), Dumper=_TemplateDumper, sort_keys=False, default_flow_style=False,
                     width=10_000, allow_unicode=True)


def to_json(template: Mapping) -> str:
    """The template as indented JSON."""
    return json.dumps(template, indent=2) + "\n"


# ============================================================================================
# Part 2: pipelines from a template

PSEUDO_PARAMETERS = ("AWS::AccountId", "AWS::Region", "AWS::StackName", "AWS::StackId", "AWS::Partition",
                     "AWS::URLSuffix", "AWS::NotificationARNs")
# Parameter types whose Default is not the value the stack gets (it is looked up at deploy time).
_LOOKED_UP_TYPES = ("AWS::SSM::Parameter::Value<",)


class _Unknown(Exception):
    """A value the template does not determine (raised only while evaluating conditions)."""


_NO_VALUE = object()


@dataclass
class PipelineResource:
    """One AWS::CodePipeline::Pipeline read from a template, with what only CloudFormation holds."""

    logical_id: str
    pipeline: Pipeline
    tags: dict[str, str] | None = None
    disabled_transitions: dict[str, str] | None = None
    restart_execution_on_update: bool | None = None


@dataclass
class TemplateReading:
    """The pipelines of a template and how it was read.

    parameters: the value each parameter was read with (given, else its Default);
    missing_parameters: parameters that have neither and stay as ${Ref:Name} placeholders;
    conditions: the value of every condition used; assumed_conditions: those the given
    values could not decide, taken as true; skipped: pipeline resources whose own Condition is false.
    """

    pipelines: list[PipelineResource]
    parameters: dict[str, Any] = field(default_factory=dict)
    missing_parameters: list[str] = field(default_factory=list)
    conditions: dict[str, bool] = field(default_factory=dict)
    assumed_conditions: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# Resources whose name the template sets, and how Ref / GetAtt read from it (Fn::Sub text over
# their properties). Anything not listed, or without the name property, stays a placeholder.
_ARN = "arn:${AWS::Partition}:"
NAMED_RESOURCES: dict[str, dict[str, str]] = {
    "AWS::IAM::Role": {"Ref": "${RoleName}", "Arn": _ARN + "iam::${AWS::AccountId}:role${Path}${RoleName}"},
    "AWS::S3::Bucket": {"Ref": "${BucketName}", "Arn": _ARN + "s3:::${BucketName}",
                        "DomainName": "${BucketName}.s3.${AWS::URLSuffix}"},
    "AWS::CodeBuild::Project": {"Ref": "${Name}",
                                "Arn": _ARN + "codebuild:${AWS::Region}:${AWS::AccountId}:project/${Name}"},
    "AWS::CodeCommit::Repository": {
        "Name": "${RepositoryName}",
        "Arn": _ARN + "codecommit:${AWS::Region}:${AWS::AccountId}:${RepositoryName}",
        "CloneUrlHttp": "https://git-codecommit.${AWS::Region}.${AWS::URLSuffix}/v1/repos/${RepositoryName}"},
    "AWS::SNS::Topic": {"Ref": _ARN + "sns:${AWS::Region}:${AWS::AccountId}:${TopicName}",
                        "TopicArn": _ARN + "sns:${AWS::Region}:${AWS::AccountId}:${TopicName}",
                        "TopicName": "${TopicName}"},
    "AWS::ECR::Repository": {"Ref": "${RepositoryName}",
                             "Arn": _ARN + "ecr:${AWS::Region}:${AWS::AccountId}:repository/${RepositoryName}"},
    "AWS::Lambda::Function": {"Ref": "${FunctionName}",
                              "Arn": _ARN + "lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}"},
    "AWS::StepFunctions::StateMachine": {
        "Ref": _ARN + "states:${AWS::Region}:${AWS::AccountId}:stateMachine:${StateMachineName}",
        "Arn": _ARN + "states:${AWS::Region}:${AWS::AccountId}:stateMachine:${StateMachineName}",
        "Name": "${StateMachineName}"},
    "AWS::CodePipeline::Pipeline": {"Ref": "${Name}"},
    "AWS::KMS::Alias": {"Ref": "${AliasName}"},
    "AWS::ECS::Cluster": {"Ref": "${ClusterName}"},
    "AWS::CodeDeploy::Application": {"Ref": "${ApplicationName}"},
    "AWS::CodeDeploy::DeploymentGroup": {"Ref": "${DeploymentGroupName}"},
    "AWS::ElasticBeanstalk::Application": {"Ref": "${ApplicationName}"},
    "AWS::ElasticBeanstalk::Environment": {"Ref": "${EnvironmentName}"},
    "AWS::CloudWatch::Alarm": {"Ref": "${AlarmName}"},
}
_PROPERTY_DEFAULTS = {"Path": "/"}


def _partition(region: Any) -> str:
    if isinstance(region, str) and region.startswith("cn-"):
        return "aws-cn"
    if isinstance(region, str) and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class _Reader:
    """Resolves intrinsic functions over one template, given parameter and condition values."""

    def __init__(self, template: dict, parameters: Mapping[str, Any] | None, conditions: Mapping[str, bool] | None):
        self.template = template
        self.resources: dict = template.get("Resources") or {}
        self.mappings: dict = template.get("Mappings") or {}
        self.condition_specs: dict = template.get("Conditions") or {}
        given = dict(parameters or {})
        declared: dict = template.get("Parameters") or {}
        self.values: dict[str, Any] = {}
        self.missing: list[str] = []
        self.parameter_values: dict[str, Any] = {}
        for name, spec in declared.items():
            spec = spec if isinstance(spec, dict) else {}
            if name in given:
                self.values[name] = _parameter_value(given[name], spec)
            elif "Default" in spec and not str(spec.get("Type", "")).startswith(_LOOKED_UP_TYPES):
                self.values[name] = _parameter_value(spec["Default"], spec)
            else:
                continue
            self.parameter_values[name] = self.values[name]
        unknown = [k for k in given if k not in declared and k not in PSEUDO_PARAMETERS]
        if unknown:
            raise ValueError(f"from_cloudformation: parameters {sorted(unknown)} are not in the template; its "
                             f"parameters are {sorted(declared)} (and the pseudo parameters "
                             f"{list(PSEUDO_PARAMETERS)}).")
        for pseudo in PSEUDO_PARAMETERS:
            if pseudo in given:
                self.values[pseudo] = given[pseudo]
        self.values.setdefault("AWS::Partition", _partition(self.values.get("AWS::Region")))
        self.values.setdefault("AWS::URLSuffix", "amazonaws.com.cn" if self.values["AWS::Partition"] == "aws-cn"
                               else "amazonaws.com")
        unknown_conditions = [c for c in (conditions or {}) if c not in self.condition_specs]
        if unknown_conditions:
            raise ValueError(f"from_cloudformation: conditions {sorted(unknown_conditions)} are not in the template; "
                             f"its conditions are {sorted(self.condition_specs)}.")
        self.given_conditions = {k: bool(v) for k, v in (conditions or {}).items()}
        self.condition_values: dict[str, bool] = {}
        self.assumed: list[str] = []
        self._evaluating: set[str] = set()
        self._naming: set[tuple[str, str]] = set()

    # -- conditions

    def condition(self, name: Any) -> bool:
        """A condition's value: given, else evaluated from the template, else assumed true (recorded)."""
        if not isinstance(name, str) or name not in self.condition_specs:
            raise ValueError(f"from_cloudformation: the template uses condition {name!r}, which its Conditions "
                             f"section does not define.")
        if name in self.given_conditions:
            value = self.given_conditions[name]
        elif name in self.condition_values:
            return self.condition_values[name]
        elif name in self._evaluating:
            raise _Unknown(name)
        else:
            self._evaluating.add(name)
            try:
                value = bool(self.resolve(self.condition_specs[name], strict=True))
            except _Unknown:
                value = True
                if name not in self.assumed:
                    self.assumed.append(name)
            finally:
                self._evaluating.discard(name)
        self.condition_values[name] = value
        return value

    # -- values

    def resolve(self, node: Any, strict: bool = False) -> Any:
        """The node with every intrinsic function applied; _NO_VALUE for AWS::NoValue."""
        if isinstance(node, list):
            items = [self.resolve(item, strict) for item in node]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                return self._ref(value, strict)
            if key == "Condition" and isinstance(value, str) and value in self.condition_specs:
                return self.condition(value)
            if key.startswith("Fn::"):
                return self._function(key, value, strict)
        out = {}
        for key, value in node.items():
            resolved = self.resolve(value, strict)
            if resolved is not _NO_VALUE:
                out[key] = resolved
        return out

    def _ref(self, name: Any, strict: bool) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.values:
            return self.values[name]
        if name in (self.template.get("Parameters") or {}):
            if name not in self.missing:
                self.missing.append(name)
            if strict:
                raise _Unknown(name)
            return f"${{Ref:{name}}}"
        if name in PSEUDO_PARAMETERS:
            if strict:
                raise _Unknown(name)
            return f"${{{name}}}"
        named = None if strict else self._named(name, "Ref")
        if named is not None:
            return named
        if strict:
            raise _Unknown(name)
        return f"${{Ref:{name}}}"

    def _named(self, logical_id: str, attribute: str) -> str | None:
        """Ref / GetAtt of a resource whose name the template sets, as text; None when not known."""
        resource = self.resources.get(logical_id)
        if not isinstance(resource, dict):
            return None
        pattern = NAMED_RESOURCES.get(resource.get("Type"), {}).get(attribute)
        if pattern is None or (logical_id, attribute) in self._naming:
            return None
        properties = resource.get("Properties") or {}
        variables = {}
        for var in _SUB_VARIABLE.findall(pattern):
            if var.startswith("AWS::"):
                continue
            if var not in properties and var not in _PROPERTY_DEFAULTS:
                return None
            self._naming.add((logical_id, attribute))
            try:
                value = self.resolve(properties.get(var, _PROPERTY_DEFAULTS.get(var)))
            finally:
                self._naming.discard((logical_id, attribute))
            if not isinstance(value, str):
                return None
            variables[var] = value
        return self._sub_text(pattern, variables, strict=False)

    def _function(self, key: str, value: Any, strict: bool) -> Any:
        handler = getattr(self, "_fn_" + key[4:].replace("::", "_"), None)
        if handler is None:
            if strict:
                raise _Unknown(key)
            return f"${{{key[4:]}:{json.dumps(self.resolve(value), sort_keys=True)}}}"
        return handler(value, strict)

    def _fn_If(self, value: Any, strict: bool) -> Any:
        if not isinstance(value, list) or len(value) != 3:
            raise ValueError(f"from_cloudformation: Fn::If takes [condition, value if true, value if false] "
                             f"(got {value!r}).")
        return self.resolve(value[1] if self.condition(value[0]) else value[2], strict)

    def _fn_Equals(self, value: Any, strict: bool) -> bool:
        left, right = (self.resolve(v, strict) for v in value)
        return _text(left) == _text(right)

    def _fn_And(self, value: Any, strict: bool) -> bool:
        return all(bool(self.resolve(v, strict)) for v in value)

    def _fn_Or(self, value: Any, strict: bool) -> bool:
        return any(bool(self.resolve(v, strict)) for v in value)

    def _fn_Not(self, value: Any, strict: bool) -> bool:
        return not bool(self.resolve(value[0] if isinstance(value, list) else value, strict))

    def _fn_GetAtt(self, value: Any, strict: bool) -> Any:
        if isinstance(value, str):
            value = value.split(".", 1)
        logical_id, attribute = (self.resolve(v, strict) for v in value)
        named = None if strict else self._named(logical_id, attribute)
        if named is not None:
            return named
        if strict:
            raise _Unknown(f"{logical_id}.{attribute}")
        return f"${{GetAtt:{logical_id}.{attribute}}}"

    def _fn_Sub(self, value: Any, strict: bool) -> Any:
        if isinstance(value, list):
            text, variables = value[0], {k: self.resolve(v, strict) for k, v in (value[1] or {}).items()}
        else:
            text, variables = value, {}
        return self._sub_text(text, variables, strict)

    def _sub_text(self, text: str, variables: Mapping[str, Any], strict: bool) -> str:
        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _text(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                named = None if strict else self._named(logical_id, attribute)
                if named is not None:
                    return named
                if strict:
                    raise _Unknown(name)
                return match.group(0)
            if name in self.values:
                return _text(self.values[name])
            if name in (self.template.get("Parameters") or {}) and name not in self.missing:
                self.missing.append(name)
            named = None if strict else self._named(name, "Ref")
            if named is not None:
                return named
            if strict:
                raise _Unknown(name)
            return match.group(0)

        return re.sub(r"\$\{([^}]*)\}", replace, text)

    def _fn_Join(self, value: Any, strict: bool) -> str:
        delimiter, items = value[0], self.resolve(value[1], strict)
        if isinstance(items, str):
            return items
        return str(delimiter).join(_text(item) for item in items)

    def _fn_Select(self, value: Any, strict: bool) -> Any:
        index, items = self.resolve(value[0], strict), self.resolve(value[1], strict)
        if isinstance(items, list):
            try:
                return items[int(index)]
            except (IndexError, ValueError, TypeError):
                raise ValueError(f"from_cloudformation: Fn::Select index {index!r} is outside {items!r}.") from None
        if strict:
            raise _Unknown("Fn::Select")
        return f"${{Select:{index}:{_text(items)}}}"

    def _fn_Split(self, value: Any, strict: bool) -> list:
        delimiter, text = value[0], self.resolve(value[1], strict)
        return _text(text).split(delimiter)

    def _fn_FindInMap(self, value: Any, strict: bool) -> Any:
        keys = [self.resolve(v, strict) for v in value[:3]]
        found = self.mappings.get(keys[0], {})
        for key in keys[1:]:
            found = found.get(_text(key)) if isinstance(found, dict) else None
        if found is not None:
            return self.resolve(found, strict)
        if len(value) > 3 and isinstance(value[3], dict) and "DefaultValue" in value[3]:
            return self.resolve(value[3]["DefaultValue"], strict)
        if strict:
            raise _Unknown("Fn::FindInMap")
        return f"${{FindInMap:{'.'.join(_text(k) for k in keys)}}}"

    def _fn_ImportValue(self, value: Any, strict: bool) -> str:
        if strict:
            raise _Unknown("Fn::ImportValue")
        return f"${{ImportValue:{_text(self.resolve(value))}}}"

    def _fn_Base64(self, value: Any, strict: bool) -> Any:
        return self.resolve(value, strict)

    def _fn_GetAZs(self, value: Any, strict: bool) -> str:
        if strict:
            raise _Unknown("Fn::GetAZs")
        return f"${{GetAZs:{_text(self.resolve(value))}}}"

    def _fn_ToJsonString(self, value: Any, strict: bool) -> str:
        return json.dumps(self.resolve(value, strict), separators=(",", ":"))

    def _fn_Length(self, value: Any, strict: bool) -> Any:
        items = self.resolve(value, strict)
        return len(items) if isinstance(items, list) else f"${{Length:{_text(items)}}}"


def _text(value: Any) -> str:
    """A resolved value as CloudFormation writes it into a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _parameter_value(value: Any, spec: Mapping) -> Any:
    kind = str(spec.get("Type", "String"))
    if kind.startswith("List<") or kind == "CommaDelimitedList":
        return [v.strip() for v in value.split(",")] if isinstance(value, str) else [_text(v) for v in value]
    return _text(value)


# --------------------------------------------------------------------------------------------
# From CloudFormation's shape back to the API's

_INTEGER_KEYS = ("RunOrder", "TimeoutInMinutes")


def _lower_first(key: str) -> str:
    return key[:1].lower() + key[1:]


def _config_text(value: Any) -> str:
    """A configuration value as the API wants it: always a string."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return _text(value)


def _api_value(value: Any, key: str = "", path: str = "") -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            child = f"{path}.{_lower_first(k)}" if path else _lower_first(k)
            if k == "Configuration":
                out["configuration"] = _configuration(v, child)
            else:
                out[_lower_first(k)] = _api_value(v, k, child)
        return out
    if isinstance(value, list):
        return [_api_value(item, key, f"{path}[{i}]") for i, item in enumerate(value)]
    if key in _INTEGER_KEYS:
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        return value
    if value is None or isinstance(value, str):
        return value
    return _text(value)


def _configuration(value: Any, path: str) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"from_cloudformation: {path} is a string but not JSON; write Configuration as a "
                             f"map of keys to values.") from None
    if not isinstance(value, dict):
        raise ValueError(f"from_cloudformation: {path} must be a map of keys to values (got {value!r}).")
    return {k: _config_text(v) for k, v in value.items()}


def _pipeline_resource(logical_id: str, properties: dict) -> PipelineResource:
    properties = dict(properties)
    tags = properties.pop("Tags", None)
    transitions = properties.pop("DisableInboundStageTransitions", None)
    restart = properties.pop("RestartExecutionOnUpdate", None)
    stores = properties.pop("ArtifactStores", None)
    api = _api_value(properties, path=f"Resources.{logical_id}.Properties")
    if stores is not None:
        if not isinstance(stores, list):
            raise ValueError(f"from_cloudformation: Resources.{logical_id}.Properties.ArtifactStores must be a "
                             f"list of {{Region, ArtifactStore}}.")
        api["artifactStores"] = {
            _text(item.get("Region")): _api_value(item.get("ArtifactStore"), "ArtifactStore")
            for item in stores if isinstance(item, dict)
        }
    api.setdefault("name", logical_id)
    api = _ordered(api, ["name", "roleArn", "artifactStore", "artifactStores", "stages"])
    pipeline = Pipeline.from_api(api)
    return PipelineResource(
        logical_id=logical_id,
        pipeline=pipeline,
        tags={_text(t.get("Key")): _text(t.get("Value")) for t in tags if isinstance(t, dict)} if tags else None,
        disabled_transitions={_text(t.get("StageName")): _text(t.get("Reason"))
                              for t in transitions if isinstance(t, dict)} if transitions else None,
        restart_execution_on_update=_boolean(restart),
    )


def _boolean(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return str(value).lower() == "true"


# --------------------------------------------------------------------------------------------
# Loading


def _plain(node: Any) -> Any:
    """cfn-lint's decoded nodes (dict_node, str_node...) as plain Python values."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if hasattr(node, "isoformat"):
        return node.isoformat()
    return node


def load_template(template: str | Path | Mapping) -> dict:
    """A template as a plain dict, from a dict, a path, or YAML / JSON text (cfn-lint's decoder)."""
    if isinstance(template, Mapping):
        return _plain(copy.deepcopy(dict(template)))
    if isinstance(template, Path):
        text = template.read_text(encoding="utf-8")
    elif isinstance(template, str):
        looks_like_path = "\n" not in template and len(template) < 1024 and not template.lstrip().startswith("{")
        text = Path(template).read_text(encoding="utf-8") if looks_like_path and Path(template).is_file() else template
    else:
        raise TypeError(f"from_cloudformation: pass template text, a path or a dict, not {type(template).__name__}.")
    from cfnlint.decode.decode import decode_str

    decoded, matches = decode_str(text)
    if matches:
        messages = "; ".join(f"line {m.linenumber}: {m.message}" for m in matches[:5])
        raise ValueError(f"from_cloudformation: the template cannot be read: {messages}")
    if not isinstance(decoded, dict):
        raise ValueError("from_cloudformation: the template must be a mapping with a Resources section.")
    return _plain(decoded)


def read_cloudformation(template: str | Path | Mapping, *, conditions: Mapping[str, bool] | None = None,
                        parameters: Mapping[str, Any] | None = None) -> TemplateReading:
    """Every AWS::CodePipeline::Pipeline in the template, with its CloudFormation-only properties.

    parameters: values for template parameters and pseudo parameters ("AWS::AccountId",
    "AWS::Region", ...); a parameter not given takes its Default, else stays ${Ref:Name}.
    AWS::Partition defaults to the region's partition ("aws"). conditions: {name: bool}
    overriding the template's; the others are evaluated from the parameter values, and those
    that depend on values nobody gave are taken as true (listed in assumed_conditions).
    """
    data = load_template(template)
    resources = data.get("Resources")
    if not isinstance(resources, dict):
        raise ValueError("from_cloudformation: the template has no Resources section.")
    reader = _Reader(data, parameters, conditions)
    found: list[PipelineResource] = []
    skipped: list[str] = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != PIPELINE_TYPE:
            continue
        if "Condition" in resource and not reader.condition(resource["Condition"]):
            skipped.append(logical_id)
            continue
        properties = reader.resolve(resource.get("Properties") or {})
        if not isinstance(properties, dict):
            raise ValueError(f"from_cloudformation: Resources.{logical_id}.Properties must be a mapping.")
        found.append(_pipeline_resource(logical_id, properties))
    return TemplateReading(
        pipelines=found,
        parameters=dict(reader.parameter_values),
        missing_parameters=list(reader.missing),
        conditions=dict(reader.condition_values),
        assumed_conditions=list(reader.assumed),
        skipped=skipped,
    )


def from_cloudformation(template: str | Path | Mapping, *, conditions: Mapping[str, bool] | None = None,
                        parameters: Mapping[str, Any] | None = None) -> list[Pipeline]:
    """The pipelines of a template, in template order (see read_cloudformation for the options).

    Each pipeline is named by its Name property, or by its logical id when the template leaves
    the name to CloudFormation. Use read_cloudformation for tags, disabled transitions and
    RestartExecutionOnUpdate, and to see which conditions were assumed.
    """
    reading = read_cloudformation(template, conditions=conditions, parameters=parameters)
    return [item.pipeline for item in reading.pipelines]


# ============================================================================================
# Part 3: cfn-lint


@functools.lru_cache(maxsize=8)
def _lint_runner(regions: tuple[str, ...]):
    """A cfn-lint runner for these regions; loading its rules takes ~0.4 s, so it is kept."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=list(regions)))


def lint_template(template: str | Mapping, regions: Sequence[str] = ("us-east-1",)) -> list[str]:
    """cfn-lint's errors and warnings for a template (dict or YAML / JSON text); [] when clean.

    Each finding reads "W3005 Resources/Pipeline/Properties/...: message (line N)"; messages
    longer than 300 characters (cfn-lint lists every valid IAM action, say) are cut short.
    """
    from cfnlint.decode.decode import decode_str

    text = json.dumps(template) if isinstance(template, Mapping) else template
    decoded, matches = decode_str(text)
    if not matches:
        matches = list(_lint_runner(tuple(regions)).validate_template(decoded))
    findings = []
    for match in matches:
        path = "/".join(str(p) for p in (getattr(match, "path", None) or []))
        message = match.message if len(match.message) <= 300 else match.message[:297] + "..."
        findings.append(f"{match.rule.id} {path}: {message} (line {match.linenumber})")
    return findings
