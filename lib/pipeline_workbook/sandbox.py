"""Deploy the workbook's pipelines to a sandbox, run them, approve, watch, import and clean up.

    sandbox = Sandbox("local", prefix="alice")       # the embedded local endpoint (the default)
    sandbox = Sandbox("aws", prefix="alice")         # a real account you named as a sandbox

    pipeline = sandbox.pattern("manual_acceptance")  # the article's pipeline, named for the prefix
    sandbox.deploy(pipeline)                         # prints the cost estimate, creates what it needs
    sandbox.watch()                                  # redraws until it ends or an approval waits
    sandbox.approve()
    sandbox.import_pipelines()                       # the account's pipelines as Pipeline values
    sandbox.cleanup()                                # removes everything made for the prefix

The same boto3 calls go to the local endpoint (local_aws: CodePipeline from the simulator, the
rest from moto) or to AWS. Against AWS nothing is changed until STS says the credentials belong
to the account named in WORKBOOK_SANDBOX_ACCOUNT or confirmed with confirm_account=.

What a deploy creates for a pipeline (all named with the prefix and tagged workbook=
codepipeline-workbook, workbook-prefix=<prefix>, workbook-participant=<name>): an artifact bucket
per region the pipeline runs actions in (encrypted, public access blocked, objects expire), a
versioned source bucket holding the sample app (data/app) so that the pipeline needs no GitHub
connection, the pipeline's role and the CodeBuild role with least-privilege inline policies, a
log group, CodeBuild project (buildspec from data/buildspecs) per project and region, an ECR
repository per region it deploys to, the alarms its stage conditions watch, and the pipeline.
A local record (JSON) of what was created lets cleanup find what tags cannot, even after a
deploy stopped half-way.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import os
import re
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from . import actions as a
from . import local_aws
from .model import Action, ArtifactStore, Pipeline
from .patterns import DATA_DIR, PATTERNS

# --------------------------------------------------------------------------------------------
# Names, tags and settings

WORKBOOK = "codepipeline-workbook"
TAG_WORKBOOK = "workbook"
TAG_PREFIX = "workbook-prefix"
TAG_PARTICIPANT = "workbook-participant"
SANDBOX_ACCOUNT_VARIABLE = "WORKBOOK_SANDBOX_ACCOUNT"
TARGETS = ("local", "aws")

ROLE_PATH = "/codepipeline-workbook/"  # every role the workbook makes lives under this IAM path
APP_DIR = DATA_DIR / "app"
BUILDSPEC_DIR = DATA_DIR / "buildspecs"
APP_NAME = "hello-service"
SOURCE_KEY = "source/hello-service.zip"
CODEBUILD_IMAGE = "aws/codebuild/standard:7.0"
COMPUTE_TYPE = "BUILD_GENERAL1_SMALL"
PRIVILEGED_KINDS = ("build-image", "deploy", "acceptance-tests")  # they run Docker
BUILD_TIMEOUT_MINUTES = 30
LOG_RETENTION_DAYS = 7
ARTIFACT_EXPIRY_DAYS = 30
OLD_SOURCE_VERSIONS_DAYS = 30
ECR_IMAGES_KEPT = 10
ALARM_NAMESPACE = "CodePipelineWorkbook"
DEFAULT_RECORD_DIR = Path.home() / ".codepipeline-workbook"
PREFIX_PATTERN = re.compile(r"^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$")
PARTICIPANT_PATTERN = re.compile(r"^[\w .:/=+@-]{1,64}$")
ACCOUNT_PATTERN = re.compile(r"^\d{12}$")

# The kinds of resources, in the order deploy creates them; cleanup removes them in CLEANUP_ORDER.
ROLE = "IAM role"
BUCKET = "S3 bucket"
OBJECT = "S3 object"
LOG_GROUP = "log group"
REPOSITORY = "ECR repository"
PROJECT = "CodeBuild project"
ALARM = "CloudWatch alarm"
STACK = "CloudFormation stack"
PIPELINE = "pipeline"
DEPLOY_ORDER = (ROLE, BUCKET, OBJECT, LOG_GROUP, REPOSITORY, PROJECT, ALARM, STACK, PIPELINE)
CLEANUP_ORDER = (PIPELINE, STACK, PROJECT, LOG_GROUP, ALARM, REPOSITORY, BUCKET, ROLE)

NOT_DONE = ("InProgress", "Stopping")
RETRY_MODE = "standard"


@dataclass(frozen=True)
class Names:
    """Every name the sandbox gives a resource, from the prefix, the account and the home region."""

    prefix: str
    account: str
    region: str

    def artifact_bucket(self, region: str) -> str:
        return f"{self.prefix}-artifacts-{self.account}-{region}"

    @property
    def source_bucket(self) -> str:
        return f"{self.prefix}-source-{self.account}-{self.region}"

    @property
    def codebuild_role(self) -> str:
        return f"{self.prefix}-codebuild-role"

    @property
    def cloudformation_role(self) -> str:
        return f"{self.prefix}-cloudformation-role"

    def pipeline_role(self, pipeline_name: str) -> str:
        return a.pipeline_role_arn(pipeline_name, self.account).rsplit("/", 1)[1]

    @property
    def repository(self) -> str:
        return f"{self.prefix}-{APP_NAME}"

    @property
    def pipeline_stack(self) -> str:
        return f"{self.prefix}-pipeline"

    def role_arn(self, role: str) -> str:
        return f"arn:aws:iam::{self.account}:role{ROLE_PATH}{role}"

    def project_arn(self, project: str, region: str) -> str:
        return f"arn:aws:codebuild:{region}:{self.account}:project/{project}"

    def repository_arn(self, region: str) -> str:
        return f"arn:aws:ecr:{region}:{self.account}:repository/{self.repository}"

    def alarm_arn(self, alarm: str, region: str) -> str:
        return f"arn:aws:cloudwatch:{region}:{self.account}:alarm:{alarm}"

    def stack_arn(self, stack: str) -> str:
        return f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{stack}/*"

    def pipeline_arn(self, pipeline_name: str) -> str:
        return f"arn:aws:codepipeline:{self.region}:{self.account}:{pipeline_name}"


def log_group_name(project: str) -> str:
    """The log group CodeBuild writes a project's builds to (the sandbox creates it first)."""
    return f"/aws/codebuild/{project}"


def check_prefix(prefix: Any) -> str:
    """The prefix, checked: it goes into S3 bucket names, so lowercase letters, digits and hyphens."""
    if not isinstance(prefix, str) or not PREFIX_PATTERN.match(prefix):
        raise ValueError(f"prefix must be 1-20 lowercase letters, digits or hyphens, starting with a letter and "
                         f"not ending with a hyphen (it goes into S3 bucket names), e.g. prefix='alice' "
                         f"(got {prefix!r}).")
    return prefix


def workbook_tags(prefix: str, participant: str | None = None) -> dict[str, str]:
    """The tags every resource carries: which workbook, which prefix, which participant."""
    tags = {TAG_WORKBOOK: WORKBOOK, TAG_PREFIX: prefix}
    if participant:
        tags[TAG_PARTICIPANT] = participant
    return tags


# --------------------------------------------------------------------------------------------
# Errors a learner can act on


class SandboxError(Exception):
    """Something the sandbox could not do: what, why (cause) and what to do about it (fix)."""

    def __init__(self, doing: str, cause: str, fix: str, code: str | None = None):
        self.doing = doing
        self.cause = cause
        self.fix = fix
        self.code = code
        super().__init__(f"{doing[:1].upper()}{doing[1:]} failed: {cause} Fix: {fix}")


class AccountNotAllowed(SandboxError):
    """The credentials belong to an account nobody named as a sandbox: nothing was changed."""


class NameInUse(SandboxError):
    """A resource the sandbox would create already exists and is not the workbook's."""


AUTH_CODES = ("ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId",
              "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidSignatureException",
              "InvalidAccessKeyId", "AuthFailure")
DENIED_CODES = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
                "Forbidden", "403", "AuthorizationError")
THROTTLE_CODES = ("Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
                  "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown",
                  "ProvisionedThroughputExceededException", "LimitExceededException")


def explain(error: Exception, doing: str) -> SandboxError:
    """A botocore error as a SandboxError: a short cause in plain words and the fix."""
    from botocore.exceptions import (ClientError, ConnectTimeoutError, EndpointConnectionError,
                                     NoCredentialsError, NoRegionError, PartialCredentialsError,
                                     ReadTimeoutError)

    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return SandboxError(doing, "no AWS credentials were found (boto3 looked in the environment, "
                            "~/.aws/credentials, ~/.aws/config and the instance role).",
                            "sign in to your sandbox account first, e.g. `aws sso login --profile sandbox` and "
                            "AWS_PROFILE=sandbox, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; then "
                            "restart the kernel so that boto3 reads them.", "NoCredentials")
    if isinstance(error, NoRegionError):
        return SandboxError(doing, "no AWS region was given.", "pass region='us-east-1' (or your sandbox's "
                            "region) to Sandbox(...).", "NoRegion")
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return SandboxError(doing, f"the AWS endpoint could not be reached ({error}).",
                            "check the network and the region name; with the local endpoint, check that it "
                            "is still running (sandbox.close() stops it).", "EndpointConnectionError")
    if not isinstance(error, ClientError):
        return SandboxError(doing, f"{type(error).__name__}: {error}.", "read the message above; deploy and "
                            "cleanup can be run again safely once it is fixed.", type(error).__name__)
    details = error.response.get("Error", {})
    code = str(details.get("Code") or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "")
    message = str(details.get("Message") or "").strip()
    operation = getattr(error, "operation_name", "the call")
    said = f" AWS said: {message}" if message else ""
    if code in AUTH_CODES:
        return SandboxError(doing, f"AWS rejected the credentials ({code}): they are expired or not valid.{said}",
                            "renew them (e.g. `aws sso login --profile sandbox`) and restart the kernel.", code)
    if code in DENIED_CODES:
        return SandboxError(doing, f"your identity is not allowed to call {operation} ({code}).{said}",
                            f"attach a policy that allows {operation} to the role or user you use; in a "
                            "sandbox account, AdministratorAccess is the simplest choice.", code)
    if code in THROTTLE_CODES:
        attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        return SandboxError(doing, f"AWS throttled {operation} ({code}) and was still throttling after "
                            f"botocore's standard retries ({attempts} attempts).",
                            "wait a minute and run the same call again: deploy and cleanup pick up where "
                            "they stopped.", code)
    if code == "BucketAlreadyExists":
        return NameInUse(doing, "the S3 bucket name is already taken by another AWS account (bucket names are "
                         "global).", "choose another prefix: Sandbox(..., prefix='something-else').", code)
    return SandboxError(doing, f"{operation} returned {code}.{said}",
                        "correct what the message names, then run it again: deploy and cleanup are "
                        "idempotent.", code or None)


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code") or "")


# --------------------------------------------------------------------------------------------
# Adapting a pattern to the sandbox


def adapt(pipeline: Pipeline, names: Names, *, connection_arn: str | None = None,
          repository: str | None = None, branch: str | None = None) -> Pipeline:
    """The pipeline as the sandbox deploys it: real role, buckets and source, still valid.

    A connection source (GitHub through CodeConnections) becomes an S3 source on the versioned
    source bucket holding the sample app, with the same action name and output artifact, so no
    console hand-shake is needed; with connection_arn, the connection source stays and uses it.
    The role ARNs and artifact buckets become the sandbox's own (one bucket per region).
    """
    if not isinstance(pipeline, Pipeline):
        raise TypeError(f"deploy takes a Pipeline (e.g. sandbox.pattern('manual_acceptance')), not "
                        f"{type(pipeline).__name__}.")
    _check_prefixed(pipeline, names.prefix)
    adapted = pipeline.copy()
    adapted.metadata = None
    adapted.version = None
    adapted.role_arn = names.role_arn(names.pipeline_role(adapted.name))
    replaced: list[str] = []
    for stage in adapted.stages or []:
        stage.actions = [_adapted_action(action, names, connection_arn, repository, branch, replaced)
                         for action in stage.actions or []]
    if replaced and adapted.triggers:
        kept = [t for t in adapted.triggers
                if not (t.git_configuration and t.git_configuration.source_action_name in replaced)]
        adapted.triggers = kept or None
    regions = [names.region] + [r for r in adapted.regions() if r != names.region]
    if len(regions) > 1:
        adapted.artifact_store = None
        adapted.artifact_stores = {r: ArtifactStore(location=names.artifact_bucket(r), type="S3") for r in regions}
    else:
        adapted.artifact_stores = None
        adapted.artifact_store = ArtifactStore(location=names.artifact_bucket(names.region), type="S3")
    adapted.validate(region=names.region)
    return adapted


def _check_prefixed(pipeline: Pipeline, prefix: str) -> None:
    """The sandbox finds its resources by prefix: the pipeline and its projects must carry it."""
    wanted = f"{prefix}-"
    if not str(pipeline.name or "").startswith(wanted):
        raise ValueError(f"pipeline {pipeline.name!r} does not start with the sandbox's prefix {wanted!r}; build "
                         f"it with prefix={prefix!r} (sandbox.pattern(...) does).")
    for _, stage, _, action in pipeline.iter_actions():
        project = action.config("ProjectName") if action.provider == "CodeBuild" else None
        if project is not None and not str(project).startswith(wanted):
            raise ValueError(f"stage {stage.name!r}, action {action.name!r}: CodeBuild project {project!r} does not "
                             f"start with the sandbox's prefix {wanted!r}; build the pipeline with "
                             f"prefix={prefix!r}.")


def _adapted_action(action: Action, names: Names, connection_arn: str | None, repository: str | None,
                    branch: str | None, replaced: list[str]) -> Action:
    if action.category == "Source" and action.provider == "CodeStarSourceConnection":
        if connection_arn:
            configuration = dict(action.configuration or {}, ConnectionArn=connection_arn)
            if repository:
                configuration["FullRepositoryId"] = repository
            if branch:
                configuration["BranchName"] = branch
            action.configuration = configuration
            return action
        replaced.append(action.name)
        source = a.s3_source(action.name, bucket=names.source_bucket, key=SOURCE_KEY, poll=False,
                             output=action.outputs[0] if action.outputs else "SourceOutput",
                             namespace=action.namespace)
        source.run_order = action.run_order
        return source
    if action.provider == "CloudFormation" and action.config("RoleArn"):
        action.configuration = dict(action.configuration, RoleArn=names.role_arn(names.cloudformation_role))
    return action


# --------------------------------------------------------------------------------------------
# What a pipeline needs: the plan


@dataclass(frozen=True)
class Resource:
    """One AWS resource the sandbox makes: its kind, name and region (None for IAM), and its settings."""

    kind: str
    name: str
    region: str | None = None
    spec: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.name, self.region or "")

    def __str__(self) -> str:
        return f"{self.kind} {self.name}" + (f" ({self.region})" if self.region else "")


class Resources(list):
    """A list of Resource that counts itself by kind and reads well in a notebook."""

    def counts(self) -> dict[str, int]:
        """How many of each kind, in deploy order: {"IAM role": 2, "S3 bucket": 2, ...}."""
        found: dict[str, int] = {}
        for kind in DEPLOY_ORDER:
            n = sum(1 for r in self if r.kind == kind)
            if n:
                found[kind] = n
        return found

    def names(self, kind: str) -> list[str]:
        return [r.name for r in self if r.kind == kind]

    def __repr__(self) -> str:
        if not self:
            return "No resources."
        width = max(len(r.kind) for r in self)
        lines = [f"{plural(len(self), 'resource')}: "
                 + ", ".join(plural(n, kind) for kind, n in self.counts().items())]
        lines += [f"  {r.kind:<{width}}  {r.name}" + (f"  ({r.region})" if r.region else "") for r in self]
        return "\n".join(lines)


def plural(count: int, noun: str) -> str:
    """'1 IAM role', '2 IAM roles', '3 ECR repositories'."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def project_kind(project: str, prefix: str) -> str:
    """'alice-build-image' -> 'build-image': the buildspec a project runs."""
    return project[len(prefix) + 1:] if project.startswith(f"{prefix}-") else project


def buildspec(kind: str) -> str:
    """The text of data/buildspecs/<kind>.yml."""
    path = BUILDSPEC_DIR / f"{kind}.yml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in BUILDSPEC_DIR.glob("*.yml")))
        raise ValueError(f"no buildspec for CodeBuild projects of kind {kind!r} in {BUILDSPEC_DIR}; the sandbox "
                         f"knows {known}. Use the workbook's patterns, or add {kind}.yml there.")
    return path.read_text(encoding="utf-8")


def app_zip() -> bytes:
    """The sample app (data/app) as a zip, byte for byte the same on every call (fixed dates)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in APP_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            info = zipfile.ZipInfo(path.relative_to(APP_DIR).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _codebuild_actions(pipeline: Pipeline, home: str) -> list[tuple[str, str, Action]]:
    """(project, region, action) of every CodeBuild action."""
    found = []
    for _, _, _, action in pipeline.iter_actions():
        if action.provider == "CodeBuild" and action.config("ProjectName"):
            found.append((action.config("ProjectName"), action.region or home, action))
    return found


def _deploy_regions(pipeline: Pipeline, home: str) -> list[str]:
    """Regions the pipeline deploys images to or tests them in: each needs an ECR repository."""
    regions: list[str] = []
    for _, region, action in _codebuild_actions(pipeline, home):
        variables = a.environment_variables_of(action)
        wanted = []
        if variables.get("DEPLOY_ENVIRONMENT"):
            wanted.append(variables.get("DEPLOY_REGION") or region)
        if variables.get("TEST_ENVIRONMENT"):
            wanted.append(variables.get("TEST_REGION") or region)
        regions += [r for r in wanted if r not in regions]
    return regions


def _alarms(pipeline: Pipeline, home: str) -> list[tuple[str, str]]:
    """(alarm name, region) of every CloudWatchAlarm rule in the stage conditions."""
    found: list[tuple[str, str]] = []
    for stage in pipeline.stages or []:
        for holder in (stage.before_entry, stage.on_success, stage.on_failure):
            for condition in getattr(holder, "conditions", None) or []:
                for rule in condition.rules or []:
                    provider = rule.rule_type_id.provider if rule.rule_type_id else None
                    name = (rule.configuration or {}).get("AlarmName")
                    if provider == "CloudWatchAlarm" and name:
                        for alarm in str(name).split(","):
                            entry = (alarm.strip(), rule.region or home)
                            if entry not in found:
                                found.append(entry)
    return found


def _stacks(pipeline: Pipeline) -> list[str]:
    """Stacks CloudFormation actions create when the pipeline runs."""
    return sorted({str(action.config("StackName")) for _, _, _, action in pipeline.iter_actions()
                   if action.provider == "CloudFormation" and action.config("StackName")})


def _approval_topics(pipeline: Pipeline) -> list[str]:
    return sorted({str(action.config("NotificationArn")) for _, _, _, action in pipeline.iter_actions()
                   if action.category == "Approval" and action.config("NotificationArn")})


def plan(pipeline: Pipeline, names: Names, *, participant: str | None = None,
         https: bool = True) -> Resources:
    """Every resource the (adapted) pipeline needs, in the order deploy creates them; pure.

    https: whether the endpoint speaks HTTPS (AWS does); the buckets then also refuse plain-HTTP
    requests (a bucket policy), which would lock out a plain-HTTP local endpoint.
    """
    tags = workbook_tags(names.prefix, participant)
    home = names.region
    builds = _codebuild_actions(pipeline, home)
    bucket_regions = list((pipeline.artifact_stores or {home: None}).keys())
    deploy_regions = _deploy_regions(pipeline, home)
    stacks = _stacks(pipeline)
    uses_s3_source = any(action.provider == "S3" and action.category == "Source"
                         and action.config("S3Bucket") == names.source_bucket
                         for _, _, _, action in pipeline.iter_actions())
    projects: list[tuple[str, str]] = []
    for project, region, _ in builds:
        if (project, region) not in projects:
            projects.append((project, region))

    found = Resources()
    if builds:
        found.append(Resource(ROLE, names.codebuild_role, None, {
            "service": "codebuild.amazonaws.com", "tags": tags,
            "policy": codebuild_policy(names, projects, bucket_regions, deploy_regions)}))
    if stacks:
        found.append(Resource(ROLE, names.cloudformation_role, None, {
            "service": "cloudformation.amazonaws.com", "tags": tags,
            "policy": cloudformation_policy(names, pipeline.name)}))
    found.append(Resource(ROLE, names.pipeline_role(pipeline.name), None, {
        "service": "codepipeline.amazonaws.com", "tags": tags,
        "policy": pipeline_policy(pipeline, names)}))
    for region in bucket_regions:
        found.append(Resource(BUCKET, names.artifact_bucket(region), region, {
            "tags": tags, "versioned": False, "https": https, "lifecycle": artifact_lifecycle()}))
    if uses_s3_source:
        found.append(Resource(BUCKET, names.source_bucket, home, {
            "tags": tags, "versioned": True, "https": https, "lifecycle": source_lifecycle()}))
        found.append(Resource(OBJECT, f"{names.source_bucket}/{SOURCE_KEY}", home, {
            "bucket": names.source_bucket, "key": SOURCE_KEY}))
    for project, region in projects:
        found.append(Resource(LOG_GROUP, log_group_name(project), region, {"tags": tags}))
    for region in deploy_regions:
        found.append(Resource(REPOSITORY, names.repository, region, {"tags": tags}))
    for project, region in projects:
        found.append(Resource(PROJECT, project, region, {
            "tags": tags, "settings": project_settings(names, project, region)}))
    for alarm, region in _alarms(pipeline, home):
        found.append(Resource(ALARM, alarm, region, {"tags": tags, "settings": alarm_settings(names, alarm, region)}))
    for stack in stacks:
        found.append(Resource(STACK, stack, home, {}))
    found.append(Resource(PIPELINE, pipeline.name, home, {"tags": tags, "definition": pipeline.to_api()}))
    return found


# --------------------------------------------------------------------------------------------
# Settings of each kind of resource (pure; compared with what exists so a second deploy changes nothing)


def trust_policy(service: str) -> dict:
    """A role trust policy for one AWS service (Principal.Service as a plain string: valid IAM,
    and what moto's CodePipeline check understands)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


def _bucket_arns(buckets: list[str], objects: bool = True) -> list[str]:
    arns = [f"arn:aws:s3:::{b}" for b in buckets]
    return arns + [f"arn:aws:s3:::{b}/*" for b in buckets] if objects else arns


def pipeline_policy(pipeline: Pipeline, names: Names) -> dict:
    """What the pipeline's role may do: exactly its buckets, projects, stacks, alarms and topics."""
    home = names.region
    artifact_buckets = [store.location for store in (pipeline.artifact_stores or {}).values()] or \
        [pipeline.artifact_store.location if pipeline.artifact_store else names.artifact_bucket(home)]
    statements: list[dict] = [{
        "Sid": "ArtifactBuckets", "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning",
                   "s3:GetBucketLocation"],
        "Resource": _bucket_arns(artifact_buckets)}]
    sources = sorted({str(action.config("S3Bucket")) for _, _, _, action in pipeline.iter_actions()
                      if action.category == "Source" and action.provider == "S3"})
    if sources:
        statements.append({"Sid": "SourceBuckets", "Effect": "Allow",
                           "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning",
                                      "s3:GetBucketLocation"],
                           "Resource": _bucket_arns(sources)})
    connections = sorted({str(action.config("ConnectionArn")) for _, _, _, action in pipeline.iter_actions()
                          if action.provider == "CodeStarSourceConnection" and action.config("ConnectionArn")})
    if connections:
        statements.append({"Sid": "Connections", "Effect": "Allow",
                           "Action": ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
                           "Resource": connections})
    projects = sorted({names.project_arn(project, region) for project, region, _ in _codebuild_actions(pipeline, home)})
    if projects:
        statements.append({"Sid": "CodeBuildProjects", "Effect": "Allow",
                           "Action": ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StartBuildBatch",
                                      "codebuild:BatchGetBuildBatches"],
                           "Resource": projects})
    stacks = _stacks(pipeline)
    if stacks:
        statements.append({"Sid": "Stacks", "Effect": "Allow",
                           "Action": ["cloudformation:CreateStack", "cloudformation:UpdateStack",
                                      "cloudformation:DeleteStack", "cloudformation:DescribeStacks",
                                      "cloudformation:DescribeStackEvents", "cloudformation:CreateChangeSet",
                                      "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
                                      "cloudformation:DeleteChangeSet"],
                           "Resource": [names.stack_arn(stack) for stack in stacks]})
        statements.append({"Sid": "PassCloudFormationRole", "Effect": "Allow", "Action": "iam:PassRole",
                           "Resource": names.role_arn(names.cloudformation_role),
                           "Condition": {"StringEqualsIfExists": {
                               "iam:PassedToService": "cloudformation.amazonaws.com"}}})
    alarms = [names.alarm_arn(alarm, region) for alarm, region in _alarms(pipeline, home)]
    if alarms:
        statements.append({"Sid": "AlarmRules", "Effect": "Allow", "Action": "cloudwatch:DescribeAlarms",
                           "Resource": alarms})
    topics = _approval_topics(pipeline)
    if topics:
        statements.append({"Sid": "ApprovalTopics", "Effect": "Allow", "Action": "sns:Publish", "Resource": topics})
    return {"Version": "2012-10-17", "Statement": statements}


def codebuild_policy(names: Names, projects: list[tuple[str, str]], bucket_regions: list[str],
                     deploy_regions: list[str]) -> dict:
    """What the CodeBuild projects may do: write their logs, use the artifacts, push and pull images."""
    logs = [f"arn:aws:logs:{region}:{names.account}:log-group:{log_group_name(project)}:*"
            for project, region in projects]
    buckets = [names.artifact_bucket(region) for region in bucket_regions]
    statements: list[dict] = [
        {"Sid": "BuildLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": logs},
        {"Sid": "Artifacts", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketAcl", "s3:GetBucketLocation"],
         "Resource": _bucket_arns(buckets)},
    ]
    if deploy_regions:
        statements.append({"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
                           "Resource": "*"})  # the one ECR action that has no resource to scope it to
        statements.append({"Sid": "Images", "Effect": "Allow",
                           "Action": ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
                                      "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
                                      "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages"],
                           "Resource": [names.repository_arn(region) for region in deploy_regions]})
    return {"Version": "2012-10-17", "Statement": statements}


def cloudformation_policy(names: Names, pipeline_name: str) -> dict:
    """What CloudFormation may do for the pipeline's own stack: manage that pipeline and pass its role."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ThePipeline", "Effect": "Allow",
         "Action": ["codepipeline:GetPipeline", "codepipeline:CreatePipeline", "codepipeline:UpdatePipeline",
                    "codepipeline:DeletePipeline", "codepipeline:TagResource", "codepipeline:UntagResource",
                    "codepipeline:ListTagsForResource"],
         "Resource": names.pipeline_arn(pipeline_name)},
        {"Sid": "PassPipelineRole", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": names.role_arn(names.pipeline_role(pipeline_name)),
         "Condition": {"StringEqualsIfExists": {"iam:PassedToService": "codepipeline.amazonaws.com"}}},
    ]}


def artifact_lifecycle() -> list[dict]:
    """Artifacts expire: nothing in the artifact bucket lives longer than ARTIFACT_EXPIRY_DAYS."""
    return [{"ID": "workbook-expire-artifacts", "Status": "Enabled", "Filter": {"Prefix": ""},
             "Expiration": {"Days": ARTIFACT_EXPIRY_DAYS},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]


def source_lifecycle() -> list[dict]:
    """The current source zip stays; older versions expire."""
    return [{"ID": "workbook-expire-old-sources", "Status": "Enabled", "Filter": {"Prefix": ""},
             "NoncurrentVersionExpiration": {"NoncurrentDays": OLD_SOURCE_VERSIONS_DAYS},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]


def tls_only_policy(bucket: str) -> dict:
    """A bucket policy that refuses requests not made over TLS."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": _bucket_arns([bucket]), "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]}
PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                       "RestrictPublicBuckets": True}


def ecr_lifecycle_policy() -> dict:
    return {"rules": [{"rulePriority": 1, "description": f"keep the last {ECR_IMAGES_KEPT} images",
                       "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                                     "countNumber": ECR_IMAGES_KEPT},
                       "action": {"type": "expire"}}]}


def project_settings(names: Names, project: str, region: str) -> dict:
    """The CodeBuild project as create_project takes it (without tags): buildspec inline, logs on."""
    kind = project_kind(project, names.prefix)
    return {
        "name": project,
        "description": f"{WORKBOOK}: {kind} for {APP_NAME} (data/buildspecs/{kind}.yml)",
        "source": {"type": "CODEPIPELINE", "buildspec": buildspec(kind)},
        "artifacts": {"type": "CODEPIPELINE"},
        "environment": {
            "type": "LINUX_CONTAINER", "image": CODEBUILD_IMAGE, "computeType": COMPUTE_TYPE,
            "privilegedMode": kind in PRIVILEGED_KINDS,
            "environmentVariables": [
                {"name": "AWS_ACCOUNT_ID", "value": names.account, "type": "PLAINTEXT"},
                {"name": "APP_NAME", "value": APP_NAME, "type": "PLAINTEXT"},
                {"name": "ECR_REPOSITORY", "value": names.repository, "type": "PLAINTEXT"},
            ],
        },
        "serviceRole": names.role_arn(names.codebuild_role),
        "timeoutInMinutes": BUILD_TIMEOUT_MINUTES,
        "logsConfig": {"cloudWatchLogs": {"status": "ENABLED", "groupName": log_group_name(project)}},
    }


def alarm_settings(names: Names, alarm: str, region: str) -> dict:
    """The alarm a stage condition watches: errors of the deployed service (data/durations.json's
    default alarm: 3 of 3 one-minute datapoints). Nothing sends the metric in the sandbox, so it
    stays OK until you set it to ALARM yourself (cloudwatch.set_alarm_state) to see a rollback."""
    from .world import load_data

    default = load_data()["alarms"]["default_alarm"]
    return {
        "AlarmName": alarm,
        "AlarmDescription": f"{WORKBOOK}: errors of {APP_NAME} in {region}; set it to ALARM to see the "
                            "stage condition react.",
        "ActionsEnabled": False,
        "Namespace": ALARM_NAMESPACE,
        "MetricName": "Errors",
        "Dimensions": [{"Name": "Service", "Value": names.repository}],
        "Statistic": "Sum",
        "Period": int(default["period_seconds"]),
        "EvaluationPeriods": int(default["evaluation_periods"]),
        "DatapointsToAlarm": int(default["datapoints_to_alarm"]),
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": str(default["treat_missing_data"]),
    }


# --------------------------------------------------------------------------------------------
# The cost estimate (reference section 5)


@dataclass(frozen=True)
class Price:
    """A unit price, where it comes from, and whether the workbook's reference confirms it."""

    usd: float
    unit: str
    url: str
    confirmed: bool
    note: str = ""


PRICES = {
    "codepipeline_v2_minute": Price(0.002, "action-minute", "https://aws.amazon.com/codepipeline/pricing/", True,
                                    "V2: each action rounded up to a whole minute; approvals are free; 100 free "
                                    "minutes a month per account"),
    "codepipeline_v1_month": Price(1.00, "active pipeline-month", "https://aws.amazon.com/codepipeline/pricing/",
                                   True, "V1: free for 30 days after creation, then only in months a change runs "
                                   "through it; the account's first active V1 pipeline is free"),
    "codebuild_small_minute": Price(0.005, "build-minute (BUILD_GENERAL1_SMALL, Linux)",
                                    "https://aws.amazon.com/codebuild/pricing/", False,
                                    "seen only on third-party pages (c3x.dev, kindatechnical.com), as is the free "
                                    "tier of 100 build-minutes a month"),
    "s3_gb_month": Price(0.023, "GB-month (S3 Standard)", "https://aws.amazon.com/s3/pricing/", False,
                         "not in the workbook's reference; the commonly quoted us-east-1 price"),
    "ecr_gb_month": Price(0.10, "GB-month (private repositories)", "https://aws.amazon.com/ecr/pricing/", False,
                          "not in the workbook's reference; the commonly quoted price"),
    "cloudwatch_alarm_month": Price(0.10, "alarm-month (standard resolution)",
                                    "https://aws.amazon.com/cloudwatch/pricing/", False,
                                    "not in the workbook's reference; the commonly quoted price"),
    "cloudwatch_logs_gb": Price(0.50, "GB of logs ingested", "https://aws.amazon.com/cloudwatch/pricing/", False,
                                "not in the workbook's reference; the commonly quoted price"),
}
CODEPIPELINE_V2_FREE_MINUTES = 100
CODEBUILD_FREE_MINUTES = 100
IMAGE_GB = 0.06  # the saved image (python:3.12-slim and the app), compressed: an estimate
LOG_GB_PER_BUILD = 0.001  # about 1 MB of build log per CodeBuild run: an estimate


@dataclass(frozen=True)
class CostLine:
    """One service's share of the monthly estimate."""

    service: str
    usd: float
    how: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class CostEstimate:
    """The monthly cost of running a pipeline in the sandbox, line by line, with the price sources."""

    pipeline: str
    pipeline_type: str
    region: str
    runs_per_month: int
    lines: tuple[CostLine, ...]
    billed_action_minutes: int  # per run, V2 rounding
    build_minutes: int  # per run

    @property
    def total(self) -> float:
        return round(sum(line.usd for line in self.lines), 2)

    def usd(self, service: str) -> float:
        """The estimate for one service ("CodePipeline", "CodeBuild", "S3", "ECR", "CloudWatch")."""
        for line in self.lines:
            if line.service == service:
                return line.usd
        raise KeyError(f"no line {service!r}; the lines are {[line.service for line in self.lines]}")

    @property
    def text(self) -> str:
        keys = list(dict.fromkeys(key for line in self.lines for key in line.sources))
        number = {key: i for i, key in enumerate(keys, 1)}
        out = [f"Estimated monthly cost of {self.pipeline} ({self.pipeline_type}) in {self.region}, "
               f"at {self.runs_per_month} runs a month:"]
        for line in self.lines:
            refs = "".join(f"[{number[key]}]" for key in line.sources)
            out.append(f"  {line.service:<12} ${line.usd:>6.2f}  {line.how} {refs}")
        out.append(f"  {'Total':<12} ${self.total:>6.2f}  a month (prices of us-east-1; other regions differ)")
        out.append("Free allowances are per account and shared with everything else you run. Durations are "
                   "the workbook's planning medians (data/durations.json), rounded up per action; the "
                   "sandbox's deploy (a push and a tag) is quicker than the ECS update they assume, so this "
                   "errs high.")
        out.append("Sources:")
        for key in keys:
            price = PRICES[key]
            status = "workbook reference, section 5" if price.confirmed else "UNCONFIRMED"
            out.append(f"  [{number[key]}] {_money(price.usd)} per {price.unit}: {price.url} ({status}; {price.note})")
        out.append("Nothing costs anything once sandbox.cleanup() has removed it.")
        return "\n".join(out)

    def __repr__(self) -> str:
        return self.text


def _money(usd: float) -> str:
    """$0.002, $0.005, $0.10, $1.00: enough decimals to show a unit price."""
    return f"${usd:.2f}" if round(usd, 2) == usd else f"${usd:.3f}"


def _action_minutes(pipeline: Pipeline) -> list[tuple[Action, int, bool]]:
    """(action, minutes rounded up, runs on CodeBuild) for every billed action (approvals are free)."""
    from .world import classify, load_durations

    durations = load_durations()
    billed = []
    for _, stage, _, action in pipeline.iter_actions():
        type_id = action.action_type_id
        if type_id is None or type_id.category == "Approval" or type_id.owner == "Custom":
            continue
        role = classify(action, stage, pipeline)
        duration = durations.get(role.kind) or durations["other"]
        billed.append((action, max(1, math.ceil(duration.median)), action.provider == "CodeBuild"))
    return billed


def estimate_cost(pipeline: Pipeline, *, runs_per_month: int = 20, region: str | None = None) -> CostEstimate:
    """The monthly cost of a pipeline in the sandbox at `runs_per_month` runs; deterministic."""
    if isinstance(runs_per_month, bool) or not isinstance(runs_per_month, int) or runs_per_month < 0:
        raise ValueError(f"runs_per_month must be a whole number, 0 or more (got {runs_per_month!r}).")
    home = region or a.DEFAULT_REGION
    runs = runs_per_month
    billed = _action_minutes(pipeline)
    action_minutes = sum(minutes for _, minutes, _ in billed)
    build_minutes = sum(minutes for _, minutes, on_codebuild in billed if on_codebuild)
    regions = max(1, len(pipeline.artifact_stores or {}) or 1)
    deploy_regions = max(1, len(_deploy_regions(pipeline, home)))
    alarms = len(_alarms(pipeline, home))
    lines = [_pipeline_line(pipeline, runs, action_minutes)]
    paid_build = max(0, runs * build_minutes - CODEBUILD_FREE_MINUTES)
    lines.append(CostLine("CodeBuild", round(paid_build * PRICES["codebuild_small_minute"].usd, 2),
                          f"{build_minutes} build-minutes a run x {runs} = {runs * build_minutes}, less "
                          f"{CODEBUILD_FREE_MINUTES} free = {paid_build} on {COMPUTE_TYPE}",
                          ("codebuild_small_minute",)))
    artifact_gb = runs * IMAGE_GB * regions  # each run's image, kept up to 30 days, copied to every region
    lines.append(CostLine("S3", round(artifact_gb * PRICES["s3_gb_month"].usd, 2),
                          f"artifacts about {artifact_gb:.2f} GB-month ({runs} runs x {IMAGE_GB} GB x {regions} "
                          f"region{'s' if regions != 1 else ''}, expiring after {ARTIFACT_EXPIRY_DAYS} days)",
                          ("s3_gb_month",)))
    image_gb = IMAGE_GB * deploy_regions  # versions share their base layers
    lines.append(CostLine("ECR", round(image_gb * PRICES["ecr_gb_month"].usd, 2),
                          f"images about {image_gb:.2f} GB-month ({deploy_regions} "
                          f"repositor{'ies' if deploy_regions != 1 else 'y'}, last {ECR_IMAGES_KEPT} images kept)",
                          ("ecr_gb_month",)))
    builds = sum(1 for _, _, on_codebuild in billed if on_codebuild)
    logs_gb = runs * builds * LOG_GB_PER_BUILD
    watch_usd = alarms * PRICES["cloudwatch_alarm_month"].usd + logs_gb * PRICES["cloudwatch_logs_gb"].usd
    lines.append(CostLine("CloudWatch", round(watch_usd, 2),
                          f"{alarms} alarm{'s' if alarms != 1 else ''}; build logs about {logs_gb:.2f} GB "
                          f"(kept {LOG_RETENTION_DAYS} days)",
                          ("cloudwatch_alarm_month", "cloudwatch_logs_gb")))
    return CostEstimate(pipeline.name, pipeline.effective_type, home, runs, tuple(lines), action_minutes,
                        build_minutes)


def _pipeline_line(pipeline: Pipeline, runs: int, action_minutes: int) -> CostLine:
    if pipeline.effective_type == "V2":
        paid = max(0, runs * action_minutes - CODEPIPELINE_V2_FREE_MINUTES)
        return CostLine("CodePipeline", round(paid * PRICES["codepipeline_v2_minute"].usd, 2),
                        f"V2: {action_minutes} billed action-minutes a run x {runs} = {runs * action_minutes}, "
                        f"less {CODEPIPELINE_V2_FREE_MINUTES} free = {paid}", ("codepipeline_v2_minute",))
    return CostLine("CodePipeline", 0.0, "V1: $0 in its first 30 days, then $1.00 in each month it runs a change "
                    "(the account's first active V1 pipeline is free)", ("codepipeline_v1_month",))


# --------------------------------------------------------------------------------------------
# The local record of what was created


class Record:
    """What the sandbox created for a prefix, saved before and after each creation (JSON file, or
    memory when path is None), so cleanup finds what tags cannot and survives a half-finished deploy."""

    def __init__(self, path: Path | None, prefix: str):
        self.path = path
        self.prefix = prefix
        self.account: str | None = None
        self.entries: dict[tuple[str, str, str], dict] = {}
        if path is not None and path.exists():
            self._load()

    def _load(self) -> None:
        data = json.loads(self.path.read_text(encoding="utf-8"))
        if data.get("workbook") != WORKBOOK or data.get("prefix") != self.prefix:
            raise ValueError(f"{self.path} is not the workbook's record for prefix {self.prefix!r}.")
        self.account = data.get("account")
        for entry in data.get("resources", []):
            resource = Resource(entry["kind"], entry["name"], entry.get("region"))
            self.entries[resource.key] = {"kind": resource.kind, "name": resource.name,
                                          "region": resource.region, "created": bool(entry.get("created"))}

    def note(self, resource: Resource, account: str, *, created: bool) -> None:
        """Remember a resource (created=False before creating it, True once it exists)."""
        if self.account is None:
            self.account = account
        entry = self.entries.setdefault(resource.key, {"kind": resource.kind, "name": resource.name,
                                                       "region": resource.region, "created": False})
        entry["created"] = entry["created"] or created
        self.save()

    def forget(self, resource: Resource) -> None:
        if self.entries.pop(resource.key, None) is not None:
            self.save()

    def created(self, resource: Resource) -> bool:
        entry = self.entries.get(resource.key)
        return bool(entry and entry["created"])

    def resources(self) -> list[Resource]:
        return [Resource(e["kind"], e["name"], e["region"]) for e in self.entries.values()]

    def regions(self) -> list[str]:
        return sorted({e["region"] for e in self.entries.values() if e["region"]})

    def save(self) -> None:
        if self.path is None:
            return
        if not self.entries:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entries = sorted(self.entries.values(), key=lambda e: (DEPLOY_ORDER.index(e["kind"]), e["name"],
                                                               e["region"] or ""))
        data = {"workbook": WORKBOOK, "prefix": self.prefix, "account": self.account, "resources": entries}
        temporary = self.path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        temporary.replace(self.path)


# --------------------------------------------------------------------------------------------
# Reports


@dataclass
class DeployReport:
    """What deploy did to each resource: created, updated or unchanged (or 'at run time' for stacks)."""

    pipeline: str
    account: str
    where: str
    changes: list[tuple[str, Resource]] = field(default_factory=list)

    def counts(self, what: str | None = None) -> dict[str, int]:
        """Resources by kind (only those `what` happened to, e.g. "created", when given)."""
        return Resources(r for done, r in self.changes if what is None or done == what).counts()

    def done(self, what: str) -> list[Resource]:
        return [r for done, r in self.changes if done == what]

    @property
    def changed(self) -> bool:
        return any(done in ("created", "updated") for done, _ in self.changes)

    def __repr__(self) -> str:
        width = max((len(r.kind) for _, r in self.changes), default=0)
        lines = [f"Deployed {self.pipeline} to account {self.account} ({self.where}):"]
        for done, r in self.changes:
            lines.append(f"  {done:<10} {r.kind:<{width}}  {r.name}" + (f"  ({r.region})" if r.region else ""))
        tally = {what: len(self.done(what)) for what in ("created", "updated", "unchanged", "at run time")}
        lines.append("  " + ", ".join(f"{n} {what}" for what, n in tally.items() if n))
        return "\n".join(lines)


@dataclass
class CleanupReport:
    """What cleanup removed, what it left (and why), in the order it went."""

    prefix: str
    removed: list[Resource] = field(default_factory=list)
    failed: list[tuple[Resource, str]] = field(default_factory=list)
    kept: list[tuple[Resource, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.failed and not self.kept

    def __repr__(self) -> str:
        if not self.removed and self.clean:
            return f"Nothing to remove for prefix {self.prefix!r}: no resource of the workbook is left."
        width = max(len(r.kind) for r in self.removed + [r for r, _ in self.failed + self.kept])
        lines = [f"Cleanup of prefix {self.prefix!r}: removed {len(self.removed)}"
                 + (f", could not remove {len(self.failed)}" if self.failed else "")
                 + (f", left {len(self.kept)} that are not the workbook's" if self.kept else "") + "."]
        lines += [f"  removed    {r.kind:<{width}}  {r.name}" + (f"  ({r.region})" if r.region else "")
                  for r in self.removed]
        lines += [f"  NOT removed {r}: {why}" for r, why in self.failed]
        lines += [f"  left       {r}: {why}" for r, why in self.kept]
        return "\n".join(lines)


@dataclass
class Inventory:
    """What cleanup would remove for a prefix (found by tags and by the record), and what it leaves."""

    found: Resources
    kept: list[tuple[Resource, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return self.found.counts()

    def __len__(self) -> int:
        return len(self.found)

    def __iter__(self):
        return iter(self.found)

    def __repr__(self) -> str:
        text = repr(self.found)
        if self.kept:
            text += "\n" + "\n".join(f"  left alone: {r}: {why}" for r, why in self.kept)
        return text


# --------------------------------------------------------------------------------------------
# The state of a pipeline, drawn like a simulated execution


@dataclass
class PipelineState:
    """get_pipeline_state with the definition and latest execution: statuses, waiting approvals, a drawing."""

    name: str
    pipeline: Pipeline
    raw: dict
    execution: dict | None  # the latest list_pipeline_executions summary
    answered: frozenset = frozenset()  # approval tokens already answered through this sandbox

    @property
    def status(self) -> str | None:
        """The latest execution's status (None before any execution)."""
        return self.execution.get("status") if self.execution else None

    @property
    def trigger(self) -> str | None:
        return ((self.execution or {}).get("trigger") or {}).get("triggerType")

    @property
    def done(self) -> bool:
        return self.status is not None and self.status not in NOT_DONE

    def waiting_approvals(self) -> list[tuple[str, str, str]]:
        """(stage, action, token) of each manual approval waiting for an answer."""
        found = []
        for stage in self.raw.get("stageStates", []):
            for action in stage.get("actionStates", []):
                latest = action.get("latestExecution") or {}
                token = latest.get("token")
                if token and latest.get("status") == "InProgress" and token not in self.answered:
                    found.append((stage["stageName"], action["actionName"], token))
        return found

    @property
    def settled(self) -> bool:
        """The execution ended, or it waits for a person."""
        return self.done or bool(self.waiting_approvals())

    def stage_statuses(self) -> list[tuple[str, str]]:
        """(stage, status words) for every stage of the definition, in order."""
        by_name = {s.get("stageName"): s for s in self.raw.get("stageStates", [])}
        waiting = {stage: action for stage, action, _ in self.waiting_approvals()}
        rows = []
        for stage in self.pipeline.stages or []:
            latest = (by_name.get(stage.name) or {}).get("latestExecution") or {}
            if stage.name in waiting:
                words = f"waiting for approval ({waiting[stage.name]})"
            elif latest.get("status"):
                words = latest["status"]
                failed = [act.get("actionName") for act in (by_name.get(stage.name) or {}).get("actionStates", [])
                          if (act.get("latestExecution") or {}).get("status") == "Failed"]
                if failed and words == "Failed":
                    words += f" ({', '.join(failed)})"
            else:
                words = "not run yet"
            latest_id = (self.execution or {}).get("pipelineExecutionId")
            if latest.get("pipelineExecutionId") and latest_id and latest["pipelineExecutionId"] != latest_id:
                words += " (an earlier execution)"
            rows.append((stage.name, words))
        return rows

    def draw(self, **options: Any):
        """The pipeline drawn with this state (the same drawing as a simulated execution)."""
        from .draw import draw

        return draw(self.pipeline, state=self.raw, **options)

    def summary(self) -> str:
        """Statuses in words: no ids, no times."""
        if self.execution is None:
            head = f"{self.name}: no execution yet"
        else:
            head = f"{self.name}: latest execution {self.status} (started by {self.trigger})"
        width = max((len(stage) for stage, _ in self.stage_statuses()), default=0)
        return "\n".join([head] + [f"  {stage:<{width}}  {words}" for stage, words in self.stage_statuses()])

    def __repr__(self) -> str:
        return self.summary()

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.draw()._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = self.summary()
        return bundle


class _LiveView:
    """What watch() shows while it polls: a progress line over the current drawing (SVG)."""

    def __init__(self, line: str, svg: str | None = None):
        self.line = line
        self.svg = svg

    def _repr_mimebundle_(self, include=None, exclude=None):
        import html

        if self.svg is None:
            return {"text/plain": self.line}
        return {"text/plain": self.line, "text/html": f"<p><b>{html.escape(self.line)}</b></p>{self.svg}"}


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


# --------------------------------------------------------------------------------------------
# The sandbox


_DEFAULT = object()


class Sandbox:
    """Deploys pipelines to the local endpoint (target="local") or a named sandbox account ("aws").

    prefix: goes into every name and tag, so workshop participants do not collide.
    participant: a name for the workbook-participant tag. region: the home region.
    confirm_account: the 12-digit account id you confirm as a sandbox (or WORKBOOK_SANDBOX_ACCOUNT).
    connection_arn / repository / branch: keep a GitHub (CodeConnections) source instead of the
    S3 source with the sample app. record_dir: where the record of created resources goes
    (default ~/.codepipeline-workbook for "aws", memory for "local"; None: memory).
    local: a running local_aws endpoint to use (otherwise "local" starts one and close() stops it);
    speed: the local clock (0, the default, moves only when watch() or advance() moves it).
    endpoint_url: send the "aws" target's calls elsewhere (tests point it at the local endpoint).
    session: a boto3 Session to use. max_attempts: botocore's standard retry attempts.
    """

    def __init__(self, target: str = "local", *, prefix: str = "wb", region: str = a.DEFAULT_REGION,
                 participant: str | None = None, confirm_account: str | None = None,
                 connection_arn: str | None = None, repository: str | None = None, branch: str | None = None,
                 record_dir: Any = _DEFAULT, local: "local_aws.LocalAWS | None" = None,
                 speed: float | None = None, endpoint_url: str | None = None, session: Any = None,
                 max_attempts: int | None = None, out: Callable[[str], None] | None = None):
        if target not in TARGETS:
            raise ValueError(f"target must be 'local' (the embedded endpoint) or 'aws' (a sandbox account), "
                             f"got {target!r}.")
        self.target = target
        self.prefix = check_prefix(prefix)
        if not isinstance(region, str) or not a.REGION_PATTERN.match(region):
            raise ValueError(f"region must be an AWS region such as 'us-east-1' (got {region!r}).")
        self.region = region
        if participant is not None and not (isinstance(participant, str) and PARTICIPANT_PATTERN.match(participant)):
            raise ValueError(f"participant must be 1-64 letters, digits, spaces or _ . : / = + - @ "
                             f"(it becomes a tag value), got {participant!r}.")
        self.participant = participant
        self._confirmed = self._checked_account_id(confirm_account, "confirm_account") if confirm_account else None
        self.connection_arn = connection_arn
        self.repository = repository
        self.branch = branch
        self._print = out or print
        self._max_attempts = max_attempts
        self._clients: dict[tuple[str, str], Any] = {}
        self._identity: dict | None = None
        self._definitions: dict[tuple[str, int], Pipeline] = {}
        self._answered: set[str] = set()
        self._current: str | None = None
        self._owns_local = False
        self.local = None
        if target == "local":
            if endpoint_url is not None:
                raise ValueError("endpoint_url is for target='aws' (tests); target='local' uses the local endpoint.")
            if local is None:
                local = local_aws.start(speed=0 if speed is None else speed, region=region)
                self._owns_local = True
            elif speed is not None:
                raise ValueError("speed is set when the local endpoint starts; pass it to local_aws.start().")
            if local.region != region:
                raise ValueError(f"the local endpoint serves {local.region}; pass region={local.region!r}.")
            self.local = local
            self._endpoint_url = local.endpoint_url
            self._session = session or _local_session(region)
        else:
            if local is not None or speed is not None:
                raise ValueError("local= and speed= are for target='local'.")
            self._endpoint_url = endpoint_url
            self._session = session or _aws_session(region)
        if record_dir is _DEFAULT:
            record_dir = DEFAULT_RECORD_DIR if target == "aws" else None
        self.record_path = Path(record_dir).expanduser() / f"{self.prefix}.json" if record_dir is not None else None
        self.record = Record(self.record_path, self.prefix)

    # -- where the calls go

    def _client(self, service: str, region: str | None = None):
        """A boto3 client for one service and region (cached): standard retries, path-style S3 locally."""
        from botocore.config import Config

        region = region or self.region
        key = (service, region)
        if key not in self._clients:
            retries: dict[str, Any] = {"mode": RETRY_MODE}
            if self._max_attempts is not None:
                retries["max_attempts"] = self._max_attempts
            options: dict[str, Any] = {"retries": retries}
            if self._endpoint_url is not None:
                options["s3"] = {"addressing_style": "path"}
            self._clients[key] = self._session.client(service, region_name=region, endpoint_url=self._endpoint_url,
                                                      config=Config(**options))
        return self._clients[key]

    def client(self, service: str, region: str | None = None):
        """The boto3 client the sandbox uses for a service (the same for local and AWS)."""
        return self._client(service, region)

    @property
    def https(self) -> bool:
        return self._endpoint_url is None or self._endpoint_url.startswith("https://")

    @property
    def on_aws(self) -> bool:
        """Whether the calls go to AWS itself (not the local endpoint or another endpoint_url)."""
        return self._endpoint_url is None

    @property
    def where(self) -> str:
        if self.target == "local":
            return "local endpoint"
        return "AWS" if self._endpoint_url is None else f"AWS API at {self._endpoint_url}"

    # -- whose account

    def identity(self) -> dict:
        """Who the credentials are (STS get_caller_identity): Account, Arn, UserId; read-only."""
        if self._identity is None:
            with self._explained("reading who the credentials belong to (sts:GetCallerIdentity)"):
                response = self._client("sts").get_caller_identity()
            self._identity = {k: response[k] for k in ("Account", "Arn", "UserId") if k in response}
        return self._identity

    @property
    def account(self) -> str:
        return self.identity()["Account"]

    @property
    def names(self) -> Names:
        return Names(self.prefix, self.account, self.region)

    def confirm_account(self, account_id: str) -> None:
        """Confirm, in the notebook, that this account id is a sandbox the workbook may change."""
        self._confirmed = self._checked_account_id(account_id, "confirm_account")

    @staticmethod
    def _checked_account_id(value: Any, what: str) -> str:
        text = str(value).strip() if value is not None else ""
        if not ACCOUNT_PATTERN.match(text):
            raise ValueError(f"{what} must be a 12-digit AWS account id such as '123456789012' (got {value!r}).")
        return text

    def _require_sandbox_account(self, doing: str) -> None:
        """Refuse to change anything in an account nobody named as a sandbox (target="aws")."""
        if self.target == "local":
            return
        identity = self.identity()
        account = identity["Account"]
        named = (os.environ.get(SANDBOX_ACCOUNT_VARIABLE) or "").strip()
        if account in (named, self._confirmed):
            return
        who = identity.get("Arn", "these credentials")
        if named or self._confirmed:
            said = []
            if named:
                said.append(f"{SANDBOX_ACCOUNT_VARIABLE} says {named}")
            if self._confirmed:
                said.append(f"confirm_account says {self._confirmed}")
            cause = (f"the credentials ({who}) belong to account {account}, but {' and '.join(said)}. Nothing "
                     f"was created or changed.")
            fix = (f"switch to the credentials of the sandbox you named (e.g. AWS_PROFILE), or, if {account} "
                   f"really is a sandbox, name it: {SANDBOX_ACCOUNT_VARIABLE}={account}, or "
                   f"Sandbox(..., confirm_account=\"{account}\").")
        else:
            cause = (f"the credentials ({who}) belong to account {account}, which nobody named as a sandbox, and "
                     f"the workbook only changes an account you name. Nothing was created or changed.")
            fix = (f"if {account} is a sandbox account (no production workloads), allow it: set "
                   f"{SANDBOX_ACCOUNT_VARIABLE}={account} in the environment before starting Jupyter, or pass "
                   f"confirm_account=\"{account}\" to Sandbox(...), or call "
                   f"sandbox.confirm_account(\"{account}\").")
        raise AccountNotAllowed(doing, cause, fix, "AccountNotAllowed")

    @contextmanager
    def _explained(self, doing: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except SandboxError:
            raise
        except (BotoCoreError, ClientError) as error:
            raise explain(error, doing) from error

    # -- building what to deploy

    def pattern(self, name: str, **options: Any) -> Pipeline:
        """One of the article's pipelines (patterns.PATTERNS), named for this sandbox's prefix and account."""
        if name not in PATTERNS:
            raise KeyError(f"no pattern {name!r}; the patterns are: {', '.join(PATTERNS)}")
        return PATTERNS[name](prefix=self.prefix, account=self.account, region=self.region, **options)

    def adapt(self, pipeline: Pipeline) -> Pipeline:
        """The pipeline as deploy creates it: S3 source with the sample app, the sandbox's roles and buckets."""
        return adapt(pipeline, self.names, connection_arn=self.connection_arn, repository=self.repository,
                     branch=self.branch)

    def plan(self, pipeline: Pipeline) -> Resources:
        """Every resource deploy would create or check for this pipeline (no AWS call but STS)."""
        adapted = pipeline if _is_adapted(pipeline, self.names) else self.adapt(pipeline)
        return plan(adapted, self.names, participant=self.participant, https=self.https)

    def estimate(self, pipeline: Pipeline, *, runs_per_month: int = 20) -> CostEstimate:
        """The monthly cost estimate deploy prints, with the sources of the prices."""
        adapted = pipeline if _is_adapted(pipeline, self.names) else self.adapt(pipeline)
        return estimate_cost(adapted, runs_per_month=runs_per_month, region=self.region)

    # -- deploy

    def deploy(self, pipeline: Pipeline, *, runs_per_month: int = 20, show_estimate: bool = True) -> DeployReport:
        """Create or update everything the pipeline needs, then the pipeline; a second run changes nothing.

        Prints the monthly cost estimate first (runs_per_month runs). Returns what was done to each
        resource. Against AWS, refuses unless the account is the named sandbox.
        """
        doing = f"deploying {getattr(pipeline, 'name', pipeline)!r}"
        with self._explained(doing):
            self._require_sandbox_account(doing)
            self._check_record_account(doing)
            adapted = self.adapt(pipeline)
            if show_estimate:
                self._print(estimate_cost(adapted, runs_per_month=runs_per_month, region=self.region).text)
            report = DeployReport(adapted.name, self.account, self.where)
            for resource in plan(adapted, self.names, participant=self.participant, https=self.https):
                with self._explained(f"{doing}: {resource}"):
                    report.changes.append((self._ensure(resource), resource))
            self._current = adapted.name
            return report

    def _check_record_account(self, doing: str) -> None:
        """The record file is per prefix: refuse to mix another account's resources into it."""
        if self.record.account not in (None, self.account):
            raise SandboxError(doing, f"the record {self.record_path} lists resources of account "
                               f"{self.record.account}, and these credentials are for {self.account}.",
                               "clean up that account first (with its credentials), or give this sandbox another "
                               "prefix or record_dir.", "RecordOfAnotherAccount")

    def _ensure(self, resource: Resource) -> str:
        ensure = {ROLE: self._ensure_role, BUCKET: self._ensure_bucket, OBJECT: self._ensure_object,
                  LOG_GROUP: self._ensure_log_group, REPOSITORY: self._ensure_repository,
                  PROJECT: self._ensure_project, ALARM: self._ensure_alarm, STACK: self._note_stack,
                  PIPELINE: self._ensure_pipeline}[resource.kind]
        return ensure(resource)

    def _creating(self, resource: Resource, create: Callable[[], Any]) -> str:
        """Record the resource, create it, record that it exists."""
        self.record.note(resource, self.account, created=False)
        create()
        self.record.note(resource, self.account, created=True)
        return "created"

    def _check_ours(self, resource: Resource, tags: dict[str, str]) -> None:
        """An existing resource must be the workbook's (by its tags, or by the record)."""
        if tags.get(TAG_WORKBOOK) == WORKBOOK and tags.get(TAG_PREFIX) == self.prefix:
            return
        if self.record.created(resource):
            return
        if tags.get(TAG_WORKBOOK) == WORKBOOK:
            cause = (f"{resource} already exists for the workbook prefix {tags.get(TAG_PREFIX)!r}, not "
                     f"{self.prefix!r}.")
        else:
            cause = (f"{resource} already exists in account {self.account} and was not made by the workbook (it "
                     f"has no {TAG_WORKBOOK}={WORKBOOK} tag), so the sandbox will not touch it.")
        raise NameInUse(f"deploying {resource}", cause,
                        "choose another prefix (Sandbox(..., prefix='...')), or remove or rename that resource "
                        "if it is yours and unused.", "NameInUse")

    def _missing_tags(self, resource: Resource, tags: dict[str, str]) -> dict[str, str]:
        wanted = resource.spec["tags"]
        return {k: v for k, v in wanted.items() if tags.get(k) != v}

    def _with_role_retry(self, call: Callable[[], Any]) -> Any:
        """Run `call`, waiting out IAM's propagation delay for a role just created (AWS only)."""
        attempts = 12 if self.on_aws else 1
        for attempt in range(attempts):
            try:
                return call()
            except Exception as error:
                text = str(error)
                propagating = _error_code(error) in ("InvalidInputException", "InvalidStructureException") and (
                    "AssumeRole" in text or "not authorized" in text)
                if not propagating or attempt == attempts - 1:
                    raise
                time.sleep(5)

    # roles

    def _ensure_role(self, resource: Resource) -> str:
        iam = self._client("iam")
        trust = trust_policy(resource.spec["service"])
        policy = resource.spec["policy"]
        policy_name = "workbook-least-privilege"
        tags = resource.spec["tags"]
        try:
            role = iam.get_role(RoleName=resource.name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            def create() -> None:
                iam.create_role(RoleName=resource.name, Path=ROLE_PATH, AssumeRolePolicyDocument=json.dumps(trust),
                                Description=f"{WORKBOOK} ({self.prefix})", Tags=_key_value(tags))
                iam.put_role_policy(RoleName=resource.name, PolicyName=policy_name, PolicyDocument=json.dumps(policy))
            return self._creating(resource, create)
        existing = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=resource.name)["Tags"]}
        self._check_ours(resource, existing)
        self.record.note(resource, self.account, created=True)
        changed = False
        if _policy_document(role.get("AssumeRolePolicyDocument")) != trust:
            iam.update_assume_role_policy(RoleName=resource.name, PolicyDocument=json.dumps(trust))
            changed = True
        try:
            current = _policy_document(
                iam.get_role_policy(RoleName=resource.name, PolicyName=policy_name)["PolicyDocument"])
        except iam.exceptions.NoSuchEntityException:
            current = None
        if current != policy:
            iam.put_role_policy(RoleName=resource.name, PolicyName=policy_name, PolicyDocument=json.dumps(policy))
            changed = True
        missing = self._missing_tags(resource, existing)
        if missing:
            iam.tag_role(RoleName=resource.name, Tags=_key_value(missing))
            changed = True
        return "updated" if changed else "unchanged"

    # buckets

    def _bucket_exists(self, s3: Any, bucket: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            s3.head_bucket(Bucket=bucket)
            return True
        except ClientError as error:
            code = _error_code(error)
            if code in ("404", "NoSuchBucket", "NotFound"):
                return False
            if code in ("403", "Forbidden", "AccessDenied"):
                raise NameInUse(f"deploying S3 bucket {bucket}", f"the bucket name {bucket} is taken and this "
                                f"account may not use it (S3 names are global; another account owns it).",
                                "choose another prefix: Sandbox(..., prefix='something-else').", "NameInUse") from None
            raise

    def _ensure_bucket(self, resource: Resource) -> str:
        s3 = self._client("s3", resource.region)
        bucket = resource.name
        spec = resource.spec
        created = False
        if not self._bucket_exists(s3, bucket):
            def create() -> None:
                options = {} if resource.region == "us-east-1" else {
                    "CreateBucketConfiguration": {"LocationConstraint": resource.region}}
                s3.create_bucket(Bucket=bucket, **options)
            self._creating(resource, create)
            created = True
            existing: dict[str, str] = {}
        else:
            existing = _bucket_tags(s3, bucket)
            self._check_ours(resource, existing)
            self.record.note(resource, self.account, created=True)
        changed = False
        missing = self._missing_tags(resource, existing)
        if missing:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _key_value(dict(existing, **spec["tags"]))})
            changed = True
        if created:
            self._configure_new_bucket(s3, resource)
            return "created"
        if _bucket_setting(s3.get_public_access_block, bucket, "PublicAccessBlockConfiguration") != PUBLIC_ACCESS_BLOCK:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
            changed = True
        if _bucket_setting(s3.get_bucket_encryption, bucket, "ServerSideEncryptionConfiguration") != ENCRYPTION:
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ENCRYPTION)
            changed = True
        if spec["versioned"] and s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            changed = True
        if _bucket_setting(s3.get_bucket_lifecycle_configuration, bucket, "Rules") != spec["lifecycle"]:
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": spec["lifecycle"]})
            changed = True
        if spec["https"]:
            current = _bucket_setting(s3.get_bucket_policy, bucket, "Policy")
            if _policy_document(current) != tls_only_policy(bucket):
                s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only_policy(bucket)))
                changed = True
        return "updated" if changed else "unchanged"

    def _configure_new_bucket(self, s3: Any, resource: Resource) -> None:
        """Everything a new bucket gets: public access blocked, encryption, versioning, expiry, TLS."""
        bucket = resource.name
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ENCRYPTION)
        if resource.spec["versioned"]:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                              LifecycleConfiguration={"Rules": resource.spec["lifecycle"]})
        if resource.spec["https"]:
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only_policy(bucket)))

    def _ensure_object(self, resource: Resource) -> str:
        s3 = self._client("s3", resource.region)
        body = app_zip()
        digest = hashlib.sha256(body).hexdigest()
        from botocore.exceptions import ClientError

        try:
            current = s3.head_object(Bucket=resource.spec["bucket"], Key=resource.spec["key"])
        except ClientError as error:
            if _error_code(error) not in ("404", "NoSuchKey", "NotFound"):
                raise
            current = None
        if current is not None and current.get("Metadata", {}).get("sha256") == digest:
            return "unchanged"
        s3.put_object(Bucket=resource.spec["bucket"], Key=resource.spec["key"], Body=body,
                      ContentType="application/zip", Metadata={"sha256": digest})
        return "created" if current is None else "updated"

    # log groups

    def _ensure_log_group(self, resource: Resource) -> str:
        logs = self._client("logs", resource.region)
        group = _log_group(logs, resource.name)
        tags = resource.spec["tags"]
        if group is None:
            def create() -> None:
                logs.create_log_group(logGroupName=resource.name, tags=tags)
                logs.put_retention_policy(logGroupName=resource.name, retentionInDays=LOG_RETENTION_DAYS)
            return self._creating(resource, create)
        arn = _log_group_arn(group)
        existing = logs.list_tags_for_resource(resourceArn=arn).get("tags", {})
        self._check_ours(resource, existing)
        self.record.note(resource, self.account, created=True)
        changed = False
        if group.get("retentionInDays") != LOG_RETENTION_DAYS:
            logs.put_retention_policy(logGroupName=resource.name, retentionInDays=LOG_RETENTION_DAYS)
            changed = True
        missing = self._missing_tags(resource, existing)
        if missing:
            logs.tag_resource(resourceArn=arn, tags=missing)
            changed = True
        return "updated" if changed else "unchanged"

    # ECR repositories

    def _ensure_repository(self, resource: Resource) -> str:
        ecr = self._client("ecr", resource.region)
        lifecycle = ecr_lifecycle_policy()
        try:
            repository = ecr.describe_repositories(repositoryNames=[resource.name])["repositories"][0]
        except ecr.exceptions.RepositoryNotFoundException:
            def create() -> None:
                ecr.create_repository(repositoryName=resource.name, tags=_key_value(resource.spec["tags"]),
                                      imageTagMutability="MUTABLE", imageScanningConfiguration={"scanOnPush": True},
                                      encryptionConfiguration={"encryptionType": "AES256"})
                ecr.put_lifecycle_policy(repositoryName=resource.name, lifecyclePolicyText=json.dumps(lifecycle))
            return self._creating(resource, create)
        arn = repository["repositoryArn"]
        existing = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=arn).get("tags", [])}
        self._check_ours(resource, existing)
        self.record.note(resource, self.account, created=True)
        changed = False
        if repository.get("imageTagMutability") != "MUTABLE":
            ecr.put_image_tag_mutability(repositoryName=resource.name, imageTagMutability="MUTABLE")
            changed = True
        if not (repository.get("imageScanningConfiguration") or {}).get("scanOnPush"):
            ecr.put_image_scanning_configuration(repositoryName=resource.name,
                                                 imageScanningConfiguration={"scanOnPush": True})
            changed = True
        try:
            current = json.loads(ecr.get_lifecycle_policy(repositoryName=resource.name)["lifecyclePolicyText"])
        except ecr.exceptions.LifecyclePolicyNotFoundException:
            current = None
        if current != lifecycle:
            ecr.put_lifecycle_policy(repositoryName=resource.name, lifecyclePolicyText=json.dumps(lifecycle))
            changed = True
        missing = self._missing_tags(resource, existing)
        if missing:
            ecr.tag_resource(resourceArn=arn, tags=_key_value(missing))
            changed = True
        return "updated" if changed else "unchanged"

    # CodeBuild projects

    def _ensure_project(self, resource: Resource) -> str:
        codebuild = self._client("codebuild", resource.region)
        settings = resource.spec["settings"]
        tags = [{"key": k, "value": v} for k, v in resource.spec["tags"].items()]
        projects = codebuild.batch_get_projects(names=[resource.name]).get("projects", [])
        if not projects:
            return self._creating(resource, lambda: self._create_project(codebuild, settings, tags))
        current = projects[0]
        existing = {t["key"]: t["value"] for t in current.get("tags", [])}
        self._check_ours(resource, existing)
        self.record.note(resource, self.account, created=True)
        if _project_view(current) == _project_view(settings) and not self._missing_tags(resource, existing):
            return "unchanged"
        if self.on_aws:
            self._with_role_retry(lambda: codebuild.update_project(**settings, tags=tags))
        else:
            # moto (behind the local endpoint) has no UpdateProject (reference 6.1): replace the project.
            codebuild.delete_project(name=resource.name)
            self._create_project(codebuild, settings, tags)
        return "updated"

    def _create_project(self, codebuild: Any, settings: dict, tags: list[dict]) -> None:
        """create_project as AWS takes it: CODEPIPELINE source and artifacts without a location (AWS
        says to leave it out; CodePipeline ignores it). moto, behind a local endpoint, refuses that
        ("Project source location is required", reference 6.3); only there, and only after that
        refusal, the request is sent again with a placeholder location."""
        from botocore.exceptions import ClientError

        try:
            self._with_role_retry(lambda: codebuild.create_project(**settings, tags=tags))
        except ClientError as error:
            if self.on_aws or "location is required" not in str(error):
                raise
            request = copy.deepcopy(settings)
            request["source"]["location"] = request["artifacts"]["location"] = "codepipeline"
            codebuild.create_project(**request, tags=tags)

    # alarms

    def _ensure_alarm(self, resource: Resource) -> str:
        cloudwatch = self._client("cloudwatch", resource.region)
        settings = resource.spec["settings"]
        tags = _key_value(resource.spec["tags"])
        alarms = cloudwatch.describe_alarms(AlarmNames=[resource.name]).get("MetricAlarms", [])
        if not alarms:
            return self._creating(resource, lambda: cloudwatch.put_metric_alarm(**settings, Tags=tags))
        current = alarms[0]
        existing = {t["Key"]: t["Value"] for t in
                    cloudwatch.list_tags_for_resource(ResourceARN=current["AlarmArn"]).get("Tags", [])}
        self._check_ours(resource, existing)
        self.record.note(resource, self.account, created=True)
        changed = False
        if any(_comparable(current.get(key)) != _comparable(value) for key, value in settings.items()):
            cloudwatch.put_metric_alarm(**settings)
            changed = True
        missing = self._missing_tags(resource, existing)
        if missing:
            cloudwatch.tag_resource(ResourceARN=current["AlarmArn"], Tags=_key_value(missing))
            changed = True
        return "updated" if changed else "unchanged"

    # stacks the pipeline creates when it runs

    def _note_stack(self, resource: Resource) -> str:
        self.record.note(resource, self.account, created=True)
        return "at run time"

    # the pipeline

    def _ensure_pipeline(self, resource: Resource) -> str:
        codepipeline = self._client("codepipeline")
        definition = resource.spec["definition"]
        tags = [{"key": k, "value": v} for k, v in resource.spec["tags"].items()]
        try:
            current = codepipeline.get_pipeline(name=resource.name)
        except codepipeline.exceptions.PipelineNotFoundException:
            return self._creating(resource, lambda: self._with_role_retry(
                lambda: codepipeline.create_pipeline(pipeline=definition, tags=tags)))
        arn = current["metadata"]["pipelineArn"]
        existing = {t["key"]: t["value"] for t in codepipeline.list_tags_for_resource(resourceArn=arn).get("tags", [])}
        self._check_ours(resource, existing)
        self.record.note(resource, self.account, created=True)
        changed = False
        if normal_definition(current["pipeline"]) != normal_definition(definition):
            self._with_role_retry(lambda: codepipeline.update_pipeline(pipeline=definition))
            changed = True
        missing = self._missing_tags(resource, existing)
        if missing:
            codepipeline.tag_resource(resourceArn=arn, tags=[{"key": k, "value": v} for k, v in missing.items()])
            changed = True
        return "updated" if changed else "unchanged"

    # -- running

    def _pipeline_name(self, name: str | None) -> str:
        if name is not None:
            return name
        if self._current is None:
            raise SandboxError("choosing a pipeline", "this sandbox has not deployed a pipeline yet, and no "
                               "name was given.", "deploy one first (sandbox.deploy(pipeline)) or pass name='...'.",
                               "NoPipeline")
        return self._current

    def start(self, name: str | None = None) -> str:
        """Start a new execution (like "Release change"); returns its execution id."""
        doing = f"starting {name or self._current or 'a pipeline'}"
        with self._explained(doing):
            self._require_sandbox_account(doing)
            name = self._pipeline_name(name)
            return self._client("codepipeline").start_pipeline_execution(name=name)["pipelineExecutionId"]

    def state(self, name: str | None = None) -> PipelineState:
        """The pipeline's state now (get_pipeline_state), drawn like a simulated execution."""
        name = self._pipeline_name(name)
        with self._explained(f"reading the state of {name}"):
            codepipeline = self._client("codepipeline")
            raw = _without_metadata(codepipeline.get_pipeline_state(name=name))
            pipeline = self._definition(name, raw.get("pipelineVersion"))
            summaries = codepipeline.list_pipeline_executions(pipelineName=name, maxResults=1).get(
                "pipelineExecutionSummaries", [])
        return PipelineState(name, pipeline, raw, summaries[0] if summaries else None, frozenset(self._answered))

    def _definition(self, name: str, version: Any) -> Pipeline:
        key = (name, int(version or 0))
        if key not in self._definitions:
            self._definitions[key] = Pipeline.from_api(self._client("codepipeline").get_pipeline(name=name))
        return self._definitions[key]

    def watch(self, name: str | None = None, *, timeout_minutes: float = 120, poll_seconds: float | None = None,
              step_minutes: float = 1.0, show: bool = True) -> PipelineState:
        """Redraw the pipeline until its latest execution ends or an approval waits; return that state.

        In a notebook the drawing is redrawn in one output while it runs. Against AWS it polls every
        poll_seconds (default 10); on the local endpoint with its clock stopped (speed 0) each poll
        lets step_minutes of simulated time pass instead, so outputs are exact.
        """
        name = self._pipeline_name(name)
        live = _LiveDisplay(show and _in_notebook())
        waited = 0.0  # minutes
        checks = 0
        state = self.state(name)
        try:
            while not state.settled and waited < timeout_minutes:
                checks += 1
                live.update(f"Watching {name}: {state.status or 'no execution'}, check {checks}", state)
                waited += self._wait(poll_seconds, step_minutes)
                state = self.state(name)
        finally:
            live.close()
        if not state.settled:
            self._print(f"{name} is still running after {timeout_minutes:g} minutes; call watch() again to go on.")
        return state

    def _wait(self, poll_seconds: float | None, step_minutes: float) -> float:
        """Let time pass between two looks; returns the minutes that passed (simulated or real)."""
        if self.local is not None and self.local.speed == 0:
            self.local.advance(step_minutes)
            return step_minutes
        seconds = poll_seconds if poll_seconds is not None else (0.5 if self.local is not None else 10.0)
        time.sleep(seconds)
        speed = self.local.speed if self.local is not None else 1.0
        return seconds * speed / 60

    def advance(self, minutes: float) -> None:
        """Let simulated minutes pass on the local endpoint (AWS keeps its own time)."""
        if self.local is None:
            raise SandboxError("advancing the clock", "only the local endpoint has a clock to move; in AWS time "
                               "passes by itself.", "use watch(), which waits for AWS.", "NotLocal")
        self.local.advance(minutes)

    def _approval(self, name: str, stage: str | None, action: str | None) -> tuple[str, str, str]:
        waiting = self.state(name).waiting_approvals()
        chosen = [w for w in waiting if (stage is None or w[0] == stage) and (action is None or w[1] == action)]
        if not chosen:
            listed = ", ".join(f"{s}/{a_}" for s, a_, _ in waiting) or "none"
            raise SandboxError(f"answering an approval in {name}", f"no approval is waiting there (waiting: {listed}).",
                               "watch() until an approval waits, then answer it.", "NothingWaiting")
        if len(chosen) > 1:
            listed = ", ".join(f"{s}/{a_}" for s, a_, _ in chosen)
            raise SandboxError(f"answering an approval in {name}", f"several approvals are waiting ({listed}).",
                               "name the one you mean: approve(stage='...', action='...').", "SeveralWaiting")
        return chosen[0]

    def approve(self, name: str | None = None, *, stage: str | None = None, action: str | None = None,
                summary: str = "Approved from the workbook") -> tuple[str, str]:
        """Approve the manual approval that waits (put_approval_result with its token)."""
        return self._answer(name, stage, action, "Approved", summary)

    def reject(self, name: str | None = None, *, stage: str | None = None, action: str | None = None,
               summary: str = "Rejected from the workbook") -> tuple[str, str]:
        """Reject the manual approval that waits: the stage, and the execution, fail."""
        return self._answer(name, stage, action, "Rejected", summary)

    def _answer(self, name: str | None, stage: str | None, action: str | None, status: str,
                summary: str) -> tuple[str, str]:
        doing = f"answering an approval in {name or self._current or 'a pipeline'}"
        with self._explained(doing):
            self._require_sandbox_account(doing)
            name = self._pipeline_name(name)
            stage_name, action_name, token = self._approval(name, stage, action)
            self._client("codepipeline").put_approval_result(
                pipelineName=name, stageName=stage_name, actionName=action_name, token=token,
                result={"summary": summary, "status": status})
            self._answered.add(token)
        return stage_name, action_name

    def retry(self, name: str | None = None, *, stage: str | None = None, all_actions: bool = False) -> str:
        """Retry the failed stage of the latest execution (its failed actions, or all with all_actions)."""
        doing = f"retrying a stage of {name or self._current or 'a pipeline'}"
        with self._explained(doing):
            self._require_sandbox_account(doing)
            name = self._pipeline_name(name)
            state = self.state(name)
            if state.execution is None or state.status != "Failed":
                raise SandboxError(doing, f"the latest execution is {state.status or 'not there'}, not Failed.",
                                   "retry only after a stage failed (watch() shows it).", "NothingFailed")
            execution_id = state.execution["pipelineExecutionId"]
            failed = [s["stageName"] for s in state.raw.get("stageStates", [])
                      if (s.get("latestExecution") or {}).get("status") == "Failed"
                      and (s.get("latestExecution") or {}).get("pipelineExecutionId") == execution_id]
            if stage is not None:
                failed = [s for s in failed if s == stage]
            if not failed:
                named = f" named {stage}" if stage else ""
                raise SandboxError(doing, f"no stage of the latest execution failed{named}.",
                                   "check the stage name in the drawing.", "NothingFailed")
            self._client("codepipeline").retry_stage_execution(
                pipelineName=name, stageName=failed[0], pipelineExecutionId=execution_id,
                retryMode="ALL_ACTIONS" if all_actions else "FAILED_ACTIONS")
            return failed[0]

    # -- importing

    def import_pipelines(self, names: list[str] | None = None) -> list[Pipeline]:
        """The account's pipelines in this region (or those named), read with get_pipeline, ready to
        draw, validate, lint and simulate; read-only, so allowed in any account."""
        with self._explained("importing the account's pipelines"):
            codepipeline = self._client("codepipeline")
            if names is None:
                names = []
                for page in codepipeline.get_paginator("list_pipelines").paginate():
                    names += [p["name"] for p in page.get("pipelines", [])]
            return [Pipeline.from_api(codepipeline.get_pipeline(name=n)) for n in sorted(names)]

    # -- finding and removing

    def inventory(self, regions: list[str] | None = None) -> Inventory:
        """What cleanup would remove for this prefix: resources found by the record and by their tags
        (candidates named with the prefix), in the order cleanup removes them; read-only."""
        with self._explained(f"looking for the resources of prefix {self.prefix!r}"):
            return self._inventory(regions)

    def _inventory(self, regions: list[str] | None) -> Inventory:
        account = self.account
        record_usable = self.record.account in (None, account)
        search = list(dict.fromkeys([self.region] + (self.record.regions() if record_usable else [])
                                    + list(regions or [])))
        candidates: dict[tuple, Resource] = {}
        for resource in (self.record.resources() if record_usable else []):
            candidates[resource.key] = resource
        for resource in self._discover(search):
            candidates.setdefault(resource.key, resource)
        found = Resources()
        kept: list[tuple[Resource, str]] = []
        for resource in sorted(candidates.values(), key=_cleanup_key):
            if resource.kind == OBJECT:
                continue  # removed with its bucket
            tags = self._tags_of(resource)
            if tags is None:
                continue  # it does not exist (any more)
            if tags.get(TAG_WORKBOOK) == WORKBOOK and tags.get(TAG_PREFIX) == self.prefix:
                found.append(resource)
            elif self.record.created(resource) and TAG_PREFIX not in tags:
                found.append(resource)  # created by this sandbox, stopped before it was tagged
            elif resource.key in self.record.entries:
                kept.append((resource, "it exists but does not carry the workbook's tags for this prefix, and the "
                                       "record does not say the workbook created it"))
        if self.record.account not in (None, account):
            kept.append((Resource("record", str(self.record_path)), f"it lists resources of account "
                         f"{self.record.account}, not {account}; switch to that account's credentials to clean it up"))
        return Inventory(found, kept)

    def _discover(self, regions: list[str]) -> Iterator[Resource]:
        """Resources named with the prefix in these regions (their tags are checked afterwards)."""
        start = f"{self.prefix}-"
        iam = self._client("iam")
        for page in iam.get_paginator("list_roles").paginate(PathPrefix=ROLE_PATH):
            for role in page.get("Roles", []):
                if role["RoleName"].startswith(start):
                    yield Resource(ROLE, role["RoleName"])
        s3 = self._client("s3")
        for bucket in s3.list_buckets().get("Buckets", []):
            if bucket["Name"].startswith(start):
                location = s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint") or "us-east-1"
                yield Resource(BUCKET, bucket["Name"], "eu-west-1" if location == "EU" else location)
        codepipeline = self._client("codepipeline")
        for page in codepipeline.get_paginator("list_pipelines").paginate():
            for pipeline in page.get("pipelines", []):
                if pipeline["name"].startswith(start):
                    yield Resource(PIPELINE, pipeline["name"], self.region)
        for region in regions:
            for name in self._client("codebuild", region).list_projects().get("projects", []):
                if name.startswith(start):
                    yield Resource(PROJECT, name, region)
            logs = self._client("logs", region)
            for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=log_group_name(start)):
                for group in page.get("logGroups", []):
                    yield Resource(LOG_GROUP, group["logGroupName"], region)
            cloudwatch = self._client("cloudwatch", region)
            for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=start):
                for alarm in page.get("MetricAlarms", []):
                    yield Resource(ALARM, alarm["AlarmName"], region)
            ecr = self._client("ecr", region)
            for page in ecr.get_paginator("describe_repositories").paginate():
                for repository in page.get("repositories", []):
                    if repository["repositoryName"].startswith(start):
                        yield Resource(REPOSITORY, repository["repositoryName"], region)

    def _tags_of(self, resource: Resource) -> dict[str, str] | None:
        """The resource's tags, or None when it does not exist."""
        from botocore.exceptions import ClientError

        region = resource.region
        try:
            if resource.kind == ROLE:
                iam = self._client("iam")
                return {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=resource.name).get("Tags", [])}
            if resource.kind == BUCKET:
                s3 = self._client("s3", region)
                if not self._exists_bucket_quietly(s3, resource.name):
                    return None
                return _bucket_tags(s3, resource.name)
            if resource.kind == PIPELINE:
                codepipeline = self._client("codepipeline")
                arn = codepipeline.get_pipeline(name=resource.name)["metadata"]["pipelineArn"]
                tags = codepipeline.list_tags_for_resource(resourceArn=arn).get("tags", [])
                return {t["key"]: t["value"] for t in tags}
            if resource.kind == PROJECT:
                codebuild = self._client("codebuild", region)
                projects = codebuild.batch_get_projects(names=[resource.name]).get("projects", [])
                return {t["key"]: t["value"] for t in projects[0].get("tags", [])} if projects else None
            if resource.kind == LOG_GROUP:
                logs = self._client("logs", region)
                group = _log_group(logs, resource.name)
                return logs.list_tags_for_resource(resourceArn=_log_group_arn(group)).get("tags", {}) if group else None
            if resource.kind == ALARM:
                cloudwatch = self._client("cloudwatch", region)
                alarms = cloudwatch.describe_alarms(AlarmNames=[resource.name]).get("MetricAlarms", [])
                if not alarms:
                    return None
                return {t["Key"]: t["Value"] for t in
                        cloudwatch.list_tags_for_resource(ResourceARN=alarms[0]["AlarmArn"]).get("Tags", [])}
            if resource.kind == REPOSITORY:
                ecr = self._client("ecr", region)
                repository = ecr.describe_repositories(repositoryNames=[resource.name])["repositories"][0]
                return {t["Key"]: t["Value"] for t in
                        ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"]).get("tags", [])}
            if resource.kind == STACK:
                stacks = self._client("cloudformation", region).describe_stacks(StackName=resource.name)["Stacks"]
                live = [s for s in stacks if s.get("StackStatus") != "DELETE_COMPLETE"]
                if not live:
                    return None
                return {t["Key"]: t["Value"] for t in live[0].get("Tags", [])}
        except ClientError as error:
            if _not_found(error):
                return None
            raise
        raise ValueError(f"unknown kind of resource {resource.kind!r}")

    def _exists_bucket_quietly(self, s3: Any, bucket: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            s3.head_bucket(Bucket=bucket)
            return True
        except ClientError as error:
            if _error_code(error) in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise

    def cleanup(self, regions: list[str] | None = None) -> CleanupReport:
        """Remove everything the workbook created for this prefix, in dependency order; safe to repeat.

        Found by the record and by tags; versioned objects, delete markers and images go with their
        bucket or repository. Returns what was removed and what could not be, and why.
        """
        doing = f"cleaning up prefix {self.prefix!r}"
        with self._explained(doing):
            self._require_sandbox_account(doing)
            inventory = self._inventory(regions)
        report = CleanupReport(self.prefix, kept=list(inventory.kept))
        for resource in inventory.found:
            try:
                with self._explained(f"removing {resource}"):
                    self._remove(resource)
            except SandboxError as error:
                report.failed.append((resource, f"{error.cause} {error.fix}"))
                continue
            report.removed.append(resource)
            self.record.forget(resource)
        with self._explained(f"{doing}: updating the record"):
            for resource in list(self.record.resources()):
                if self.record.account in (None, self.account) and self._tags_of(resource) is None:
                    self.record.forget(resource)  # planned but never created, or gone already
        if self._current and any(r.kind == PIPELINE and r.name == self._current for r in report.removed):
            self._current = None
        return report

    def _remove(self, resource: Resource) -> None:
        from botocore.exceptions import ClientError

        region = resource.region
        try:
            if resource.kind == PIPELINE:
                self._client("codepipeline").delete_pipeline(name=resource.name)
            elif resource.kind == STACK:
                cloudformation = self._client("cloudformation", region)
                cloudformation.delete_stack(StackName=resource.name)
                cloudformation.get_waiter("stack_delete_complete").wait(
                    StackName=resource.name, WaiterConfig={"Delay": 1 if self.target == "local" else 10,
                                                           "MaxAttempts": 60})
            elif resource.kind == PROJECT:
                self._client("codebuild", region).delete_project(name=resource.name)
            elif resource.kind == LOG_GROUP:
                self._client("logs", region).delete_log_group(logGroupName=resource.name)
            elif resource.kind == ALARM:
                self._client("cloudwatch", region).delete_alarms(AlarmNames=[resource.name])
            elif resource.kind == REPOSITORY:
                self._client("ecr", region).delete_repository(repositoryName=resource.name, force=True)
            elif resource.kind == BUCKET:
                self._empty_bucket(resource)
                self._client("s3", region).delete_bucket(Bucket=resource.name)
            elif resource.kind == ROLE:
                self._remove_role(resource.name)
        except ClientError as error:
            if not _not_found(error):
                raise

    def _empty_bucket(self, resource: Resource) -> None:
        """Delete every object version and delete marker (a versioned bucket keeps them all)."""
        s3 = self._client("s3", resource.region)
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=resource.name):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                      for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            for start in range(0, len(doomed), 1000):
                response = s3.delete_objects(Bucket=resource.name, Delete={"Objects": doomed[start:start + 1000],
                                                                           "Quiet": True})
                errors = response.get("Errors", [])
                if errors:
                    first = errors[0]
                    raise SandboxError(f"emptying {resource}", f"{len(errors)} object versions could not be deleted "
                                       f"(first: {first.get('Key')}: {first.get('Code')} {first.get('Message')}).",
                                       "run cleanup() again; if it persists, check the bucket's policy.",
                                       first.get("Code"))

    def _remove_role(self, role: str) -> None:
        iam = self._client("iam")
        for name in iam.list_role_policies(RoleName=role).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=role, PolicyName=name)
        for attached in iam.list_attached_role_policies(RoleName=role).get("AttachedPolicies", []):
            iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
        for profile in iam.list_instance_profiles_for_role(RoleName=role).get("InstanceProfiles", []):
            iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=role)
        iam.delete_role(RoleName=role)

    # -- the end

    def close(self) -> None:
        """Stop the local endpoint if this sandbox started it (its data goes with it)."""
        if self._owns_local and self.local is not None and self.local.running:
            self.local.stop()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        account = self._identity["Account"] if self._identity else "not read yet"
        return f"<Sandbox prefix {self.prefix!r}: {self.where}, account {account}, region {self.region}>"


# --------------------------------------------------------------------------------------------
# Small helpers


_LOCAL_SESSIONS: dict[str, Any] = {}


def _local_session(region: str):
    """The boto3 session for local endpoints: dummy credentials; one per region in the process, so
    that botocore reads its service models once (a new session costs a tenth of a second)."""
    import boto3

    if region not in _LOCAL_SESSIONS:
        _LOCAL_SESSIONS[region] = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                                        region_name=region)
    return _LOCAL_SESSIONS[region]


def _aws_session(region: str):
    import boto3

    return boto3.session.Session(region_name=region)


class _LiveDisplay:
    """One notebook output redrawn while watch() runs; emptied again when it ends, so the output a
    notebook keeps (the final update) is the same as the one it first showed."""

    def __init__(self, enabled: bool):
        self.handle = None
        self.summary: str | None = None
        self.svg: str | None = None
        if enabled:
            from IPython.display import display

            self.handle = display(_LiveView(""), display_id=True)

    def update(self, line: str, state: PipelineState) -> None:
        """Show the line; draw again only when the statuses changed (a drawing takes a moment)."""
        if self.handle is None:
            return
        if state.summary() != self.summary:
            self.summary = state.summary()
            self.svg = state.draw().pipe(format="svg", encoding="utf-8")
        self.handle.update(_LiveView(line, self.svg))

    def close(self) -> None:
        if self.handle is not None:
            self.handle.update(_LiveView(""))


def _key_value(tags: dict[str, str]) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _policy_document(value: Any) -> Any:
    """A policy as a dict, whether boto3 gave it as a dict, JSON text or URL-encoded JSON."""
    import urllib.parse

    if value is None or isinstance(value, dict):
        return value
    for text in (value, urllib.parse.unquote(str(value))):
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            continue
    return value


def _bucket_tags(s3: Any, bucket: str) -> dict[str, str]:
    from botocore.exceptions import ClientError

    try:
        return {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])}
    except ClientError as error:
        if _error_code(error) in ("NoSuchTagSet", "NoSuchTagSetError"):
            return {}
        raise


def _bucket_setting(get: Callable[..., dict], bucket: str, key: str) -> Any:
    """A bucket setting, or None when the bucket has none (S3 answers those with an error)."""
    from botocore.exceptions import ClientError

    try:
        return get(Bucket=bucket).get(key)
    except ClientError as error:
        if _error_code(error) in ("NoSuchPublicAccessBlockConfiguration", "NoSuchLifecycleConfiguration",
                                  "ServerSideEncryptionConfigurationNotFoundError", "NoSuchBucketPolicy"):
            return None
        raise


def _log_group(logs: Any, name: str) -> dict | None:
    for group in logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", []):
        if group["logGroupName"] == name:
            return group
    return None


def _log_group_arn(group: dict) -> str:
    arn = group.get("logGroupArn") or group["arn"]
    return arn[:-2] if arn.endswith(":*") else arn


def _project_view(project: dict) -> dict:
    """The parts of a CodeBuild project the sandbox sets, to compare what exists with what it wants."""
    environment = project.get("environment", {})
    logs = (project.get("logsConfig") or {}).get("cloudWatchLogs") or {}
    return {
        "description": project.get("description"),
        "source": {k: project.get("source", {}).get(k) for k in ("type", "buildspec")},
        "artifacts": {"type": project.get("artifacts", {}).get("type")},
        "environment": {k: environment.get(k) for k in ("type", "image", "computeType")}
        | {"privilegedMode": bool(environment.get("privilegedMode")),
           "environmentVariables": sorted((v["name"], v["value"], v.get("type", "PLAINTEXT"))
                                          for v in environment.get("environmentVariables", []))},
        "serviceRole": project.get("serviceRole"),
        "timeoutInMinutes": project.get("timeoutInMinutes"),
        "logs": {"status": logs.get("status"), "groupName": logs.get("groupName")},
    }


def _comparable(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    return value


_DEFAULTS = {"runOrder": 1, "executionMode": "SUPERSEDED", "pipelineType": "V1"}


def normal_definition(definition: dict) -> Any:
    """A pipeline definition without what AWS fills in by itself (version, defaults, empty lists), so
    that what get_pipeline returns compares equal to what create_pipeline was given."""
    def clean(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == "version" and key is None:
                    continue
                v = clean(v, k)
                if v in (None, [], {}) or _DEFAULTS.get(k) == v:
                    continue
                out[k] = v
            return out
        if isinstance(value, list):
            return [clean(v, key) for v in value]
        return value

    return clean(Pipeline.from_api(definition).to_api())


def _without_metadata(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _not_found(error: Exception) -> bool:
    code = _error_code(error)
    return code in ("NoSuchEntity", "NoSuchBucket", "404", "NotFound", "ResourceNotFoundException",
                    "RepositoryNotFoundException", "PipelineNotFoundException") or (
        code == "ValidationError" and "does not exist" in str(error))


def _cleanup_key(resource: Resource) -> tuple:
    return (CLEANUP_ORDER.index(resource.kind) if resource.kind in CLEANUP_ORDER else len(CLEANUP_ORDER),
            resource.name, resource.region or "")


def _is_adapted(pipeline: Pipeline, names: Names) -> bool:
    return pipeline.role_arn == names.role_arn(names.pipeline_role(str(pipeline.name)))
