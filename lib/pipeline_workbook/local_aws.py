"""The embedded local AWS endpoint: CodePipeline answered by the simulator, the rest by moto.

`start()` serves one HTTP endpoint on 127.0.0.1 and a free port, so that unmodified boto3 code
runs against it with `endpoint_url=`:

    from pipeline_workbook import local_aws

    with local_aws.start() as aws:
        iam = aws.client("iam")                    # moto
        codepipeline = aws.client("codepipeline")  # the simulator
        ...

How a request is routed: a CodePipeline request (AWS JSON 1.1, `X-Amz-Target:
CodePipeline_20150709.<Operation>`) is answered here, from one `Simulator` per pipeline; every
other request goes to moto's own server application (IAM, STS, S3, CodeBuild, ECR,
CloudFormation, Lambda, ...), the same one `moto_server` runs. Account 123456789012 everywhere.

How time passes: each pipeline's simulator follows real time at `speed` simulated seconds per
real second, from its minute 0, the real moment it was created (so its timestamps look like now,
moving `speed` times faster). Before answering any request the endpoint brings every simulator
up to the current simulated time, so actions finish, approvals wait and time out between your
calls without a background thread. `advance(minutes)` jumps ahead; `speed=0` stops the clock
except for `advance`, which makes tests and notebook outputs exact.

What is shared: moto keeps each service's data in a module-level dict (a BackendDict per service,
plus S3's register of bucket names) that the whole Python process shares. Each endpoint keeps
its own entries of those dicts and installs them while moto serves one of its requests (one moto
request at a time in the process), so two endpoints never see each other's roles, buckets,
projects or stacks. Still shared: moto's settings, and anything that bypasses the endpoint (a
`moto.mock_aws()` in the same process resets the data of the endpoint installed at that moment).
moto data made outside any endpoint is kept aside while endpoints serve, and put back when the
endpoint installed last stops.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import logging
import re
import socket
import threading
import time
import urllib.parse
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from .model import Pipeline, PipelineError, Problem
from .simulate import SimulationError, Simulator
from .validate import problems as definition_problems
from .world import World

ACCOUNT = "123456789012"  # moto's default account, used everywhere in the workbook
HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"

# Simulated seconds per real second. The manual_acceptance pattern needs 7 to 33 simulated
# minutes (median 17, over 200 seeds) from create_pipeline to its approval waiting; at 400 that is
# 1 to 5 real seconds (benchmarks/local_aws.py measures it).
DEFAULT_SPEED = 400.0

TARGET_PREFIX = "CodePipeline_20150709."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
CODEPIPELINE_SERVICE = "codepipeline.amazonaws.com"
CALLER_ARN = f"arn:aws:sts::{ACCOUNT}:user/moto"  # who moto says the "testing" credentials are
MAX_TAGS = 50
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Starting and stopping


def start(*, speed: float = DEFAULT_SPEED, region: str = DEFAULT_REGION, port: int = 0) -> "LocalAWS":
    """Serve a local AWS endpoint on 127.0.0.1 (port 0: a free one); use it as a context manager."""
    return LocalAWS(speed=speed, region=region, port=port)


class LocalAWS:
    """A running local endpoint: its URL, boto3 clients for it, and the simulators it runs.

    `speed`: simulated seconds per real second (0 stops the clock; use advance()).
    """

    def __init__(self, *, speed: float = DEFAULT_SPEED, region: str = DEFAULT_REGION, port: int = 0):
        import boto3

        _check_arguments(speed, region, port)
        self.speed = float(speed)
        self.region = region
        self._stopped = False
        # One boto3 session for every client, so that their exception classes are the same.
        self._session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                              region_name=region)
        self._clock = SimulatedClock(self.speed)
        self._moto = MotoData()
        self._codepipeline = CodePipelineService(region, self._clock, self._moto)
        self._server = _bind_server(port, Dispatcher(self._codepipeline, self._moto))
        self.port: int = self._server.port
        self.endpoint_url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"local-aws-{self.port}", daemon=True)
        self._thread.start()

    # -- using it

    def client(self, service: str, **options: Any):
        """A boto3 client for this endpoint: dummy credentials, this region, standard retries."""
        from botocore.config import Config

        config = Config(retries={"mode": "standard"}, s3={"addressing_style": "path"})
        if "config" in options:
            config = config.merge(options.pop("config"))
        return self._session.client(service, endpoint_url=self.endpoint_url, config=config, **options)

    def simulator(self, pipeline_name: str) -> Simulator:
        """The simulator behind a pipeline, brought up to the current simulated time.

        It is the live object the endpoint serves from: read it (state(), events, world) to look
        inside; change it (e.g. world.failures) only between your requests.
        """
        return self._codepipeline.simulator(pipeline_name)

    def pipeline_names(self) -> list[str]:
        """The names of the pipelines this endpoint holds."""
        return self._codepipeline.names()

    def advance(self, minutes: float) -> None:
        """Let `minutes` of simulated time pass at once, for every pipeline."""
        self._codepipeline.advance(minutes)

    @property
    def running(self) -> bool:
        return not self._stopped

    # -- stopping

    def stop(self) -> None:
        """Stop serving: close the port, end the server's threads, drop this endpoint's data."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=5)
        self._moto.discard()

    def __enter__(self) -> "LocalAWS":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return (f"<LocalAWS {self.endpoint_url} {state}, region {self.region}, speed {self.speed:g}x, "
                f"{len(self.pipeline_names())} pipelines>")


def _check_arguments(speed: Any, region: Any, port: Any) -> None:
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or speed < 0:
        raise ValueError(f"speed must be a number of simulated seconds per real second, 0 or more "
                         f"(got {speed!r}); e.g. speed={DEFAULT_SPEED:g}.")
    if not isinstance(region, str) or not REGION_PATTERN.match(region):
        raise ValueError(f"region must be an AWS region name such as 'us-east-1' (got {region!r}).")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be 0 (a free port) or a port number (got {port!r}).")


# --------------------------------------------------------------------------------------------
# The simulated clock


class SimulatedClock:
    """Simulated seconds since the endpoint started: real time times `speed`, plus any jumps."""

    def __init__(self, speed: float):
        self.speed = speed
        self._start = time.monotonic()
        self._skipped = 0.0

    def seconds(self) -> float:
        return (time.monotonic() - self._start) * self.speed + self._skipped

    def skip(self, seconds: float) -> None:
        self._skipped += seconds


# --------------------------------------------------------------------------------------------
# moto's data, one endpoint at a time

_MOTO_LOCK = threading.Lock()


class MotoData:
    """One endpoint's share of moto's data, kept aside while another endpoint's is installed.

    moto keeps each service's data in a module-level BackendDict ({account: {region: backend}})
    and S3 keeps a process-wide register of bucket names (`bucket_accounts`). `installed()` puts
    this endpoint's entries in those dicts (saving the previous endpoint's) and holds the process
    lock while moto works on them.
    """

    def __init__(self) -> None:
        self.entries: dict[Any, dict] = {}  # BackendDict -> its {account: AccountSpecificBackend}
        self.buckets: dict[Any, dict] = {}  # S3BackendDict -> its {bucket name: (partition, account)}

    @contextmanager
    def installed(self) -> Iterator[None]:
        with _MOTO_LOCK:
            _install(self)
            yield

    def discard(self) -> None:
        """Forget this endpoint's data (and take it out of moto's dicts if it is installed)."""
        global _moto_installed
        with _MOTO_LOCK:
            if _moto_installed is self:
                _load(_OUTSIDE)
                _moto_installed = _OUTSIDE
            self.entries.clear()
            self.buckets.clear()


# moto data made outside any endpoint (moto used directly in this process), kept aside meanwhile.
_OUTSIDE = MotoData()
_moto_installed: MotoData = _OUTSIDE


def _backend_dicts() -> list:
    """moto's BackendDicts that hold data (moto registers one when it first gets an account)."""
    from moto.core.base_backend import BackendDict

    return BackendDict._instances


def _install(data: MotoData) -> None:
    global _moto_installed
    if _moto_installed is data:
        return
    _save(_moto_installed)
    _load(data)
    _moto_installed = data


def _save(data: MotoData) -> None:
    data.entries = {bd: dict(bd) for bd in _backend_dicts()}
    data.buckets = {bd: dict(bd.bucket_accounts) for bd in data.entries if hasattr(bd, "bucket_accounts")}


def _load(data: MotoData) -> None:
    registered = _backend_dicts()
    for bd in list(registered) + [bd for bd in data.entries if bd not in registered]:
        bd.clear()
        bd.update(data.entries.get(bd, {}))
        if hasattr(bd, "bucket_accounts"):
            bd.bucket_accounts.clear()
            bd.bucket_accounts.update(data.buckets.get(bd, {}))
        if bd not in registered:
            registered.append(bd)


def role_trust_problem(moto: MotoData, role_arn: str) -> str | None:
    """Why CodePipeline could not assume `role_arn` in moto's IAM, or None when it can."""
    from moto.iam.models import iam_backends

    with moto.installed():
        iam = iam_backends[ACCOUNT]["aws"]
        role = next((r for r in iam.get_roles() if r.arn == role_arn), None)
        document = role.assume_role_policy_document if role is not None else None
    name = role_arn.rsplit("/", 1)[-1]
    if role is None:
        return (f"the role does not exist in IAM. Fix: create it first, e.g. iam.create_role(RoleName={name!r}, "
                f"AssumeRolePolicyDocument=json.dumps(<a policy whose Principal.Service is "
                f"{CODEPIPELINE_SERVICE!r}>)).")
    if not trusts_codepipeline(document):
        return (f"its trust policy does not let {CODEPIPELINE_SERVICE} assume it. Fix: update it "
                f"(iam.update_assume_role_policy(RoleName={name!r}, PolicyDocument=...)) with a statement "
                f'{{"Effect": "Allow", "Principal": {{"Service": "{CODEPIPELINE_SERVICE}"}}, '
                f'"Action": "sts:AssumeRole"}}.')
    return None


def trusts_codepipeline(document: Any) -> bool:
    """Whether a trust policy (JSON text or dict) lets codepipeline.amazonaws.com assume the role.

    Principal.Service may be a string or a list (both are valid IAM; moto accepts only a string).
    """
    policy = _policy_dict(document)
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
        if not any(a in ("sts:assumerole", "sts:*", "*") for a in actions):
            continue
        principal = statement.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, dict) and CODEPIPELINE_SERVICE in _as_list(principal.get("Service")):
            return True
    return False


def _policy_dict(document: Any) -> dict:
    if isinstance(document, dict):
        return document
    for text in (document, urllib.parse.unquote(str(document))):
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(value, dict):
            return value
    return {}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------------------------
# The CodePipeline service, served from the simulator


class ServiceError(Exception):
    """An error response: the CodePipeline exception name botocore raises, and its message."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass
class HostedPipeline:
    """One pipeline on the endpoint: its simulator, its definitions by version, tags, tokens."""

    name: str
    simulator: Simulator
    born: float  # the clock's simulated seconds when it was created: its simulated minute 0
    definitions: dict[int, dict] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    request_tokens: dict[str, str] = field(default_factory=dict)  # clientRequestToken -> execution id

    @property
    def version(self) -> int:
        return self.simulator.version


# API operation name -> CodePipelineService method name.
OPERATIONS = {
    "CreatePipeline": "create_pipeline",
    "GetPipeline": "get_pipeline",
    "UpdatePipeline": "update_pipeline",
    "DeletePipeline": "delete_pipeline",
    "ListPipelines": "list_pipelines",
    "TagResource": "tag_resource",
    "UntagResource": "untag_resource",
    "ListTagsForResource": "list_tags_for_resource",
    "StartPipelineExecution": "start_pipeline_execution",
    "StopPipelineExecution": "stop_pipeline_execution",
    "GetPipelineExecution": "get_pipeline_execution",
    "ListPipelineExecutions": "list_pipeline_executions",
    "GetPipelineState": "get_pipeline_state",
    "ListActionExecutions": "list_action_executions",
    "PutApprovalResult": "put_approval_result",
    "RetryStageExecution": "retry_stage_execution",
    "EnableStageTransition": "enable_stage_transition",
    "DisableStageTransition": "disable_stage_transition",
}


class CodePipelineService:
    """CodePipeline's API over simulators: one method per operation, taking and returning the
    request and response dicts of the AWS JSON protocol. Thread-safe (one request at a time)."""

    def __init__(self, region: str, clock: SimulatedClock, moto: MotoData):
        self.region = region
        self.clock = clock
        self.moto = moto
        self.pipelines: dict[str, HostedPipeline] = {}
        self.created_count = 0
        self._lock = threading.Lock()

    # -- entry points

    def call(self, operation: str, params: dict) -> dict:
        """Answer one request; raises ServiceError for an error response."""
        method = OPERATIONS.get(operation)
        if method is None:
            supported = ", ".join(sorted(OPERATIONS))
            raise ServiceError("UnknownOperationException",
                               f"CodePipeline operation {operation} is not supported by the local endpoint "
                               f"(pipeline_workbook.local_aws). Supported: {supported}.")
        with self._lock:
            self._catch_up()
            try:
                return getattr(self, method)(params)
            except SimulationError as error:
                raise ServiceError(error.code, error.message) from error

    def catch_up(self) -> None:
        """Bring every simulator up to the current simulated time."""
        with self._lock:
            self._catch_up()

    def simulator(self, name: str) -> Simulator:
        with self._lock:
            self._catch_up()
            if name not in self.pipelines:
                raise KeyError(f"no pipeline {name!r} on this endpoint; its pipelines are: {sorted(self.pipelines)}")
            return self.pipelines[name].simulator

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self.pipelines)

    def advance(self, minutes: float) -> None:
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes < 0:
            raise ValueError(f"minutes must be a number, 0 or more (got {minutes!r}).")
        with self._lock:
            self.clock.skip(minutes * 60)
            self._catch_up()

    def _catch_up(self) -> None:
        now = self.clock.seconds()
        for hosted in self.pipelines.values():
            hosted.simulator.run_until((now - hosted.born) / 60)

    # -- pipelines

    def create_pipeline(self, params: dict) -> dict:
        definition = _required_dict(params, "pipeline")
        model = self._checked_definition(definition)
        name = model.name
        if name in self.pipelines:
            raise ServiceError("PipelineNameInUseException",
                               f"A pipeline named {name!r} already exists in account {ACCOUNT} ({self.region}). "
                               f"Fix: choose another name, or delete it first (delete_pipeline(name={name!r})).")
        tags = _checked_tags(params.get("tags") or [], {})
        self._check_role(model.role_arn)
        self.created_count += 1
        seed = _seed(name, self.created_count)
        epoch = datetime.fromtimestamp(round(time.time(), 3), timezone.utc)
        simulator = Simulator(model, World(seed=seed), seed, region=self.region, account=ACCOUNT, epoch=epoch)
        hosted = HostedPipeline(name, simulator, born=self.clock.seconds(), tags=tags)
        stored = _with_version(definition, 1)
        hosted.definitions[1] = stored
        self.pipelines[name] = hosted
        simulator.start(trigger="CreatePipeline", trigger_detail=CALLER_ARN)
        response: dict[str, Any] = {"pipeline": copy.deepcopy(stored)}
        if tags:
            response["tags"] = _tag_list(tags)
        return response

    def get_pipeline(self, params: dict) -> dict:
        hosted = self._hosted(params.get("name"))
        if hosted.version not in hosted.definitions:  # the pipeline updated itself (a self-update action)
            hosted.definitions[hosted.version] = _with_version(hosted.simulator.pipeline.to_api(), hosted.version)
        version = params.get("version", hosted.version)
        if version not in hosted.definitions:
            raise ServiceError("PipelineVersionNotFoundException",
                               f"Pipeline {hosted.name!r} has no version {version}; its versions are 1 to "
                               f"{hosted.version}.")
        return {"pipeline": copy.deepcopy(hosted.definitions[version]), "metadata": self._metadata(hosted)}

    def update_pipeline(self, params: dict) -> dict:
        definition = _required_dict(params, "pipeline")
        hosted = self._hosted(definition.get("name"))
        model = self._checked_definition(definition)
        self._check_role(model.role_arn)
        version = hosted.simulator.update_pipeline(model)
        stored = _with_version(definition, version)
        hosted.definitions[version] = stored
        return {"pipeline": copy.deepcopy(stored)}

    def delete_pipeline(self, params: dict) -> dict:
        """Deleting a pipeline that does not exist succeeds (DeletePipeline has no not-found error)."""
        self.pipelines.pop(_required_text(params, "name"), None)
        return {}

    def list_pipelines(self, params: dict) -> dict:
        summaries = [self._summary(self.pipelines[name]) for name in sorted(self.pipelines)]
        page, token = _page(summaries, "name", params, default=1000)
        return _with_token({"pipelines": page}, token)

    def _summary(self, hosted: HostedPipeline) -> dict:
        model = hosted.simulator.pipeline
        metadata = self._metadata(hosted)
        return {"name": hosted.name, "version": hosted.version, "pipelineType": model.effective_type,
                "executionMode": model.effective_execution_mode, "created": metadata["created"],
                "updated": metadata["updated"]}

    def _metadata(self, hosted: HostedPipeline) -> dict:
        simulator = hosted.simulator
        return {"pipelineArn": self._arn(hosted.name), "created": _wall(simulator, simulator.created),
                "updated": _wall(simulator, simulator.updated)}

    def _arn(self, name: str) -> str:
        return f"arn:aws:codepipeline:{self.region}:{ACCOUNT}:{name}"

    # -- tags

    def tag_resource(self, params: dict) -> dict:
        hosted = self._resource(params.get("resourceArn"))
        hosted.tags = _checked_tags(params.get("tags") or [], hosted.tags)
        return {}

    def untag_resource(self, params: dict) -> dict:
        hosted = self._resource(params.get("resourceArn"))
        for key in params.get("tagKeys") or []:
            hosted.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        hosted = self._resource(params.get("resourceArn"))
        page, token = _page(_tag_list(hosted.tags), "key", params, default=50)
        return _with_token({"tags": page}, token)

    def _resource(self, arn: Any) -> HostedPipeline:
        match = re.fullmatch(r"arn:aws:codepipeline:([a-z0-9-]+):(\d{12}):([A-Za-z0-9.@_-]+)", str(arn or ""))
        if match is None:
            raise ServiceError("InvalidArnException",
                               f"{arn!r} is not a pipeline ARN. Fix: use arn:aws:codepipeline:{self.region}:"
                               f"{ACCOUNT}:<pipeline name> (get_pipeline(...)['metadata']['pipelineArn']).")
        region, account, name = match.groups()
        if region != self.region or account != ACCOUNT or name not in self.pipelines:
            raise ServiceError("ResourceNotFoundException", f"No pipeline with ARN {arn} on this endpoint "
                               f"(account {ACCOUNT}, region {self.region}).")
        return self.pipelines[name]

    # -- executions

    def start_pipeline_execution(self, params: dict) -> dict:
        hosted = self._hosted(params.get("name"))
        token = params.get("clientRequestToken")
        if token and token in hosted.request_tokens:
            return {"pipelineExecutionId": hosted.request_tokens[token]}
        variables = self._checked_variables(hosted, params.get("variables") or [])
        revision = _source_revision(params.get("sourceRevisions") or [])
        execution_id = hosted.simulator.start(revision=revision, trigger="StartPipelineExecution",
                                              trigger_detail=CALLER_ARN, variables=variables)
        if token:
            hosted.request_tokens[token] = execution_id
        return {"pipelineExecutionId": execution_id}

    def _checked_variables(self, hosted: HostedPipeline, variables: list) -> dict[str, str]:
        declared = [v.name for v in hosted.simulator.pipeline.variables or []]
        values = {}
        for variable in variables:
            name = variable.get("name")
            if name not in declared:
                known = ", ".join(declared) if declared else "none"
                raise ServiceError("ValidationException",
                                   f"Variable {name!r} is not declared in pipeline {hosted.name!r} (declared: "
                                   f"{known}). Fix: declare it in the pipeline's variables, or drop it.")
            values[name] = variable.get("value")
        return values

    def stop_pipeline_execution(self, params: dict) -> dict:
        hosted = self._hosted(params.get("pipelineName"))
        execution_id = hosted.simulator.stop(_required_text(params, "pipelineExecutionId"),
                                             abandon=bool(params.get("abandon")), reason=params.get("reason"))
        return {"pipelineExecutionId": execution_id}

    def get_pipeline_execution(self, params: dict) -> dict:
        hosted = self._hosted(params.get("pipelineName"))
        return {"pipelineExecution": hosted.simulator.execution(_required_text(params, "pipelineExecutionId"))}

    def list_pipeline_executions(self, params: dict) -> dict:
        hosted = self._hosted(params.get("pipelineName"))
        summaries = hosted.simulator.executions()
        stage = ((params.get("filter") or {}).get("succeededInStage") or {}).get("stageName")
        if stage is not None:
            summaries = [s for s in summaries if _succeeded_in(hosted.simulator, s["pipelineExecutionId"], stage)]
        page, token = _page(summaries, "pipelineExecutionId", params, default=100)
        return _with_token({"pipelineExecutionSummaries": page}, token)

    def get_pipeline_state(self, params: dict) -> dict:
        return self._hosted(params.get("name")).simulator.state()

    def list_action_executions(self, params: dict) -> dict:
        hosted = self._hosted(params.get("pipelineName"))
        details = _filtered_action_executions(hosted.simulator, params.get("filter") or {})
        page, token = _page(details, "actionExecutionId", params, default=100)
        return _with_token({"actionExecutionDetails": page}, token)

    # -- acting on executions

    def put_approval_result(self, params: dict) -> dict:
        hosted = self._hosted(params.get("pipelineName"))
        return hosted.simulator.put_approval_result(_required_text(params, "stageName"),
                                                    _required_text(params, "actionName"),
                                                    params.get("result") or {}, _required_text(params, "token"))

    def retry_stage_execution(self, params: dict) -> dict:
        hosted = self._hosted(params.get("pipelineName"))
        execution_id = hosted.simulator.retry_stage(_required_text(params, "stageName"),
                                                    _required_text(params, "pipelineExecutionId"),
                                                    params.get("retryMode") or "FAILED_ACTIONS")
        return {"pipelineExecutionId": execution_id}

    def enable_stage_transition(self, params: dict) -> dict:
        hosted = self._hosted(params.get("pipelineName"))
        hosted.simulator.enable_transition(_required_text(params, "stageName"),
                                           _required_text(params, "transitionType"))
        return {}

    def disable_stage_transition(self, params: dict) -> dict:
        hosted = self._hosted(params.get("pipelineName"))
        hosted.simulator.disable_transition(_required_text(params, "stageName"), params.get("reason") or "",
                                            _required_text(params, "transitionType"))
        return {}

    # -- checks

    def _hosted(self, name: Any) -> HostedPipeline:
        hosted = self.pipelines.get(name) if isinstance(name, str) else None
        if hosted is None:
            known = ", ".join(sorted(self.pipelines)) or "none yet"
            raise ServiceError("PipelineNotFoundException",
                               f"Account '{ACCOUNT}' does not have a pipeline with name '{name}' in {self.region} "
                               f"(its pipelines: {known}).")
        return hosted

    def _checked_definition(self, definition: dict) -> Pipeline:
        """The definition as a model, or the error CodePipeline gives for its first problem."""
        found = definition_problems(definition, region=self.region)
        if found:
            raise ServiceError(exception_for(found[0]), str(PipelineError(found, _name_of(definition))))
        try:
            return Pipeline.from_api(definition)
        except PipelineError as error:
            raise ServiceError(exception_for(error.problems[0]), str(error)) from error

    def _check_role(self, role_arn: str) -> None:
        problem = role_trust_problem(self.moto, role_arn)
        if problem is not None:
            raise ServiceError("InvalidStructureException",
                               f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}: {problem}")


def exception_for(problem: Problem) -> str:
    """The exception CodePipeline raises for a problem, by what its path concerns.

    AWS does not document the mapping (reference 1.7); this follows the exception names: an
    action's fields -> InvalidActionDeclarationException, a stage's -> InvalidStageDeclaration,
    its blockers -> InvalidBlockerDeclaration, the pipeline's own fields (name, roleArn, type,
    mode) -> ValidationException, the rest (stage list, artifact stores, variables, triggers)
    -> InvalidStructureException.
    """
    path = problem.path
    if re.match(r"stages\[\d+\]\.actions", path):
        return "InvalidActionDeclarationException"
    if re.match(r"stages\[\d+\]\.blockers", path):
        return "InvalidBlockerDeclarationException"
    if re.match(r"stages\[\d+\]", path):
        return "InvalidStageDeclarationException"
    if re.fullmatch(r"name|roleArn|pipelineType|executionMode|version", path):
        return "ValidationException"
    return "InvalidStructureException"


def _checked_tags(tags: Any, existing: dict[str, str]) -> dict[str, str]:
    """Existing tags with `tags` ([{key, value}]) added, as CodePipeline checks them."""
    merged = dict(existing)
    for i, tag in enumerate(tags if isinstance(tags, list) else []):
        key = tag.get("key") if isinstance(tag, dict) else None
        if not isinstance(key, str) or not key:
            raise ServiceError("InvalidTagsException", f"tags[{i}]: a tag needs a key. Fix: {{'key': 'team', "
                               f"'value': 'payments'}}.")
        if key.lower().startswith("aws:"):
            raise ServiceError("InvalidTagsException", f"tags[{i}].key: {key!r} starts with 'aws:', which is "
                               f"reserved for AWS. Fix: use a key without that prefix.")
        merged[key] = tag.get("value", "")
    if len(merged) > MAX_TAGS:
        raise ServiceError("TooManyTagsException", f"A pipeline holds at most {MAX_TAGS} tags; this would make "
                           f"{len(merged)}. Fix: drop {len(merged) - MAX_TAGS} of them.")
    return merged


def _tag_list(tags: dict[str, str]) -> list[dict]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def _required_dict(params: dict, key: str) -> dict:
    value = params.get(key)
    if not isinstance(value, dict):
        raise ServiceError("ValidationException", f"{key} is required and must be an object.")
    return value


def _required_text(params: dict, key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise ServiceError("ValidationException", f"{key} is required.")
    return value


def _name_of(definition: dict) -> str | None:
    name = definition.get("name")
    return name if isinstance(name, str) else None


def _with_version(definition: dict, version: int) -> dict:
    stored = copy.deepcopy(definition)
    stored["version"] = version
    return stored


def _seed(name: str, number: int) -> int:
    """A deterministic seed per created pipeline, so execution ids differ between pipelines."""
    return int.from_bytes(hashlib.blake2b(f"{name}:{number}".encode(), digest_size=4).digest(), "big")


def _wall(simulator: Simulator, minutes: float) -> datetime:
    return simulator.epoch + timedelta(milliseconds=round(minutes * 60_000))


def _source_revision(revisions: list) -> str | None:
    """The revision a StartPipelineExecution with sourceRevisions asks for (its first value)."""
    for revision in revisions:
        if isinstance(revision, dict) and revision.get("revisionValue"):
            return str(revision["revisionValue"])
    return None


def _succeeded_in(simulator: Simulator, execution_id: str, stage: str) -> bool:
    execution = simulator._execution(execution_id)
    return any(run.stage.name == stage and run.status == "Succeeded" for run in execution.runs)


def _filtered_action_executions(simulator: Simulator, filter_: dict) -> list[dict]:
    """list_action_executions' filter: one execution's actions, or only their latest runs."""
    if filter_.get("pipelineExecutionId"):
        return simulator.action_executions(filter_["pipelineExecutionId"])
    latest = filter_.get("latestInPipelineExecution")
    if latest:
        details = simulator.action_executions(latest.get("pipelineExecutionId"))
        if latest.get("startTimeRange", "Latest") == "All":
            return details
        seen: set[tuple[str, str]] = set()
        newest = []
        for detail in details:  # newest first
            key = (detail["stageName"], detail["actionName"])
            if key not in seen:
                seen.add(key)
                newest.append(detail)
        return newest
    return simulator.action_executions()


def _page(items: list[dict], key: str, params: dict, default: int) -> tuple[list[dict], str | None]:
    """One page of `items` after the item named by nextToken; the token for the next page."""
    size = params.get("maxResults") or default
    start = 0
    token = params.get("nextToken")
    if token:
        after = _decode_token(token)
        index = next((i for i, item in enumerate(items) if item.get(key) == after), None)
        if index is None:
            raise ServiceError("InvalidNextTokenException", "The nextToken does not match this listing. "
                               "Fix: pass the nextToken of the previous response unchanged.")
        start = index + 1
    page = items[start:start + size]
    more = start + size < len(items)
    return page, _encode_token(page[-1][key]) if more and page else None


def _encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": value}).encode()).decode()


def _decode_token(token: str) -> str:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (ValueError, KeyError, TypeError):
        raise ServiceError("InvalidNextTokenException", f"{token!r} is not a nextToken of this endpoint. "
                           "Fix: pass the nextToken of the previous response unchanged.") from None


def _with_token(response: dict, token: str | None) -> dict:
    if token:
        response["nextToken"] = token
    return response


# --------------------------------------------------------------------------------------------
# HTTP: one WSGI application for every service, served by werkzeug in a daemon thread


class Dispatcher:
    """The WSGI application: CodePipeline requests to the simulator service, the rest to moto."""

    def __init__(self, codepipeline: CodePipelineService, moto: MotoData):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.codepipeline = codepipeline
        self.moto = moto
        self.moto_app = DomainDispatcherApplication(create_backend_app)
        self._requests = 0
        self._count_lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIX):
            return self.codepipeline_response(target[len(TARGET_PREFIX):], environ, start_response)
        self.codepipeline.catch_up()
        with self.moto.installed():
            result = self.moto_app(environ, start_response)
            try:
                return [b"".join(result)]  # read it all while this endpoint's data is installed
            finally:
                if hasattr(result, "close"):
                    result.close()

    def codepipeline_response(self, operation: str, environ: dict, start_response: Callable) -> list[bytes]:
        try:
            payload = self.codepipeline.call(operation, _json_body(environ))
            status, body, error_code = 200, payload, None
        except ServiceError as error:
            status, body, error_code = error.status, {"__type": error.code, "message": error.message}, error.code
        except Exception as error:  # a bug here: answer like AWS's InternalFailure, keep the details
            logger.exception("local CodePipeline endpoint failed on %s", operation)
            status, error_code = 500, "InternalFailure"
            body = {"__type": error_code, "message": f"The local endpoint failed on {operation}: "
                    f"{type(error).__name__}: {error}"}
        data = json.dumps(body, default=_json_value).encode()
        headers = [("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(len(data))),
                   ("x-amzn-RequestId", self._request_id())]
        if error_code:
            headers.append(("x-amzn-ErrorType", error_code))
        reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}.get(status, "Error")
        start_response(f"{status} {reason}", headers)
        return [data]

    def _request_id(self) -> str:
        with self._count_lock:
            self._requests += 1
            number = self._requests
        return str(uuid.UUID(bytes=hashlib.blake2b(f"request:{number}".encode(), digest_size=16).digest(), version=4))


def _json_body(environ: dict) -> dict:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        params = json.loads(raw or b"{}")
    except ValueError:
        raise ServiceError("SerializationException", "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise ServiceError("SerializationException", "The request body must be a JSON object.")
    return params


def _json_value(value: Any) -> Any:
    """Timestamps as epoch seconds, which botocore parses back into datetimes."""
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot put {type(value).__name__} in a JSON response")


def _request_handler_class():
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class RequestHandler(MotoRequestHandler):
        """moto's request handler (it keeps header names with underscores), quiet in notebooks."""

        protocol_version = "HTTP/1.1"

        def log(self, type: str, message: str, *args: Any) -> None:
            logger.debug("%s %s", type, message % args if args else message)

    return RequestHandler


def _bind_server(port: int, app: Dispatcher):
    """A threaded werkzeug server bound to 127.0.0.1:port that can close its open connections."""
    from werkzeug.serving import ThreadedWSGIServer

    class Server(ThreadedWSGIServer):
        """werkzeug's threaded server, keeping its connections so that stop() can close them."""

        def __init__(self, *args: Any, **kwargs: Any):
            self.connections: dict[threading.Thread, socket.socket] = {}
            self.connections_lock = threading.Lock()
            super().__init__(*args, **kwargs)

        def process_request(self, request: socket.socket, client_address: Any) -> None:
            thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                      name=f"local-aws-{self.port}-request", daemon=True)
            with self.connections_lock:
                self.connections[thread] = request
            thread.start()

        def process_request_thread(self, request: socket.socket, client_address: Any) -> None:
            try:
                super().process_request_thread(request, client_address)
            finally:
                with self.connections_lock:
                    self.connections.pop(threading.current_thread(), None)

        def close_connections(self, timeout: float = 5.0) -> None:
            """Close kept-alive connections so their threads end; wait for them."""
            with self.connections_lock:
                open_now = list(self.connections.items())
            for _, connection in open_now:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            for thread, _ in open_now:
                thread.join(timeout)

        def handle_error(self, request: Any, client_address: Any) -> None:
            logger.debug("connection error from %s", client_address, exc_info=True)

        def log(self, type: str, message: str, *args: Any) -> None:
            """werkzeug's messages (a failed moto request's traceback) to this module's logger."""
            level = logging.WARNING if type == "error" else logging.DEBUG
            logger.log(level, message % args if args else message)

    try:
        return Server(HOST, port, app, _request_handler_class())
    except SystemExit:  # werkzeug exits when it cannot bind; a notebook needs an exception
        raise OSError(f"cannot listen on {HOST}:{port} (in use?); pass port=0 for a free port") from None
