"""The pipeline model: dataclasses for the exact structure boto3's create_pipeline takes.

Every class maps one botocore shape (PipelineDeclaration, StageDeclaration, ActionDeclaration...).
Each field records its API name in its metadata, so `to_api()` and `from_api()` are two small
walks over the fields. A field that was absent in the input is None and stays absent on the way
out; keys the model does not know are kept in `extra`, so real-world definitions round-trip
losslessly: `Pipeline.from_api(x).to_api() == x`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, fields
from typing import Any, Iterator


# --------------------------------------------------------------------------------------------
# Problems and errors (shared by from_api, validate and the simulator)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: where (API path), what, and how to fix it."""

    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return f"{text} Fix: {self.hint}" if self.hint else text


class ProblemList(list):
    """A list of Problem that reads well when a notebook displays it."""

    def __repr__(self) -> str:
        if not self:
            return "No problems."
        count = f"{len(self)} problem" + ("s" if len(self) != 1 else "")
        return "\n".join([count + ":"] + [f"  {i}. {p}" for i, p in enumerate(self, 1)])

    def _repr_html_(self) -> str:
        import html

        if not self:
            return "<p><b>No problems.</b></p>"
        rows = "".join(
            f"<tr><td>{i}</td><td><code>{html.escape(p.path)}</code></td>"
            f"<td>{html.escape(p.message)}</td><td>{html.escape(p.hint)}</td></tr>"
            for i, p in enumerate(self, 1)
        )
        return (
            f"<table><thead><tr><th>#</th><th>path</th><th>problem</th><th>fix</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )


class PipelineError(ValueError):
    """A definition that cannot be used; `problems` lists everything found, each with its path."""

    def __init__(self, problems: list[Problem], name: str | None = None):
        self.problems = ProblemList(problems)
        self.name = name
        what = f"pipeline {name!r}" if name else "the pipeline definition"
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        lines = [f"{what} has {count}:"] + [f"  {i}. {p}" for i, p in enumerate(problems, 1)]
        super().__init__("\n".join(lines))

    def __reduce__(self):
        # pickled (e.g. from one of compare()'s worker processes) with what __init__ takes, not the message
        return type(self), (list(self.problems), self.name)


# --------------------------------------------------------------------------------------------
# Field declarations


def api(name: str, kind: Any = None, default: Any = None) -> Any:
    """Declare a model field: its API name and, for nested values, the class it holds.

    kind is None for plain values (strings, numbers, string lists, string maps), a model class
    for a nested object, ("list", cls) for a list of objects, ("map", cls) for a map of objects.
    """
    return field(default=default, metadata={"api": name, "kind": kind})


def _extra() -> Any:
    return field(default_factory=dict, repr=False, compare=True, metadata={"api": None})


def _to_api_value(value: Any, kind: Any) -> Any:
    if kind is None:
        return copy.deepcopy(value)
    if isinstance(kind, tuple) and kind[0] == "list":
        return [item.to_api() if isinstance(item, ApiObject) else copy.deepcopy(item) for item in value]
    if isinstance(kind, tuple) and kind[0] == "map":
        return {
            key: item.to_api() if isinstance(item, ApiObject) else copy.deepcopy(item)
            for key, item in value.items()
        }
    return value.to_api() if isinstance(value, ApiObject) else copy.deepcopy(value)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _from_api_value(value: Any, kind: Any, path: str) -> Any:
    if kind is None:
        return copy.deepcopy(value)
    if isinstance(kind, tuple) and kind[0] == "list":
        if not isinstance(value, list):
            raise PipelineError([Problem(path, f"must be a list, found {_type_name(value)}.",
                                         "Write it as a JSON list: [ ... ].")])
        return [kind[1].from_api(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(kind, tuple) and kind[0] == "map":
        if not isinstance(value, dict):
            raise PipelineError([Problem(path, f"must be an object keyed by region, found {_type_name(value)}.",
                                         'Write it as {"us-east-1": {...}, ...}.')])
        return {key: kind[1].from_api(item, f"{path}.{key}") for key, item in value.items()}
    return kind.from_api(value, path)


class ApiObject:
    """Base of every model class: converts to and from the boto3 dict shape, field by field."""

    extra: dict

    def to_api(self) -> dict:
        """The exact dict boto3 takes: absent (None) fields are left out, unknown keys kept."""
        out: dict[str, Any] = {}
        for f in fields(self):
            api_name = f.metadata.get("api")
            value = getattr(self, f.name)
            if api_name is None or value is None:
                continue
            out[api_name] = _to_api_value(value, f.metadata["kind"])
        out.update(copy.deepcopy(self.extra))
        return out

    @classmethod
    def from_api(cls, data: Any, path: str = ""):
        """Build the object from its boto3 dict; `path` names it in error messages."""
        where = path or cls.__name__
        if not isinstance(data, dict):
            raise PipelineError([Problem(where, f"must be an object, found {_type_name(data)}.",
                                         "Write it as a JSON object: { ... }.")])
        known = {f.metadata["api"]: f for f in fields(cls) if f.metadata.get("api")}
        # Every field starts absent (None), not at its constructor default, so that what the
        # input did not say is not said on the way out either.
        values: dict[str, Any] = {f.name: None for f in known.values()}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            f = known.get(key)
            if f is None:
                extra[key] = copy.deepcopy(value)
            elif value is not None:
                child = f"{path}.{key}" if path else key
                values[f.name] = _from_api_value(value, f.metadata["kind"], child)
        return cls(**values, extra=extra)


# --------------------------------------------------------------------------------------------
# Small shapes


@dataclass
class EncryptionKey(ApiObject):
    """The KMS key an artifact bucket encrypts with."""

    id: str | None = api("id")
    type: str | None = api("type", default="KMS")
    extra: dict = _extra()


@dataclass
class ArtifactStore(ApiObject):
    """The S3 bucket where a pipeline keeps the artifacts passed between actions."""

    location: str | None = api("location")
    type: str | None = api("type", default="S3")
    encryption_key: EncryptionKey | None = api("encryptionKey", EncryptionKey)
    extra: dict = _extra()


@dataclass
class ActionTypeId(ApiObject):
    """Which action this is: category, owner, provider and version (always "1" for AWS)."""

    category: str | None = api("category")
    owner: str | None = api("owner")
    provider: str | None = api("provider")
    version: str | None = api("version", default="1")
    extra: dict = _extra()


@dataclass
class InputArtifact(ApiObject):
    """An artifact an action reads, named as some earlier action's output."""

    name: str | None = api("name")
    extra: dict = _extra()


@dataclass
class OutputArtifact(ApiObject):
    """An artifact an action produces; `files` is only for the Commands action."""

    name: str | None = api("name")
    files: list[str] | None = api("files")
    extra: dict = _extra()


@dataclass
class EnvironmentVariable(ApiObject):
    """An environment variable of a Commands action."""

    name: str | None = api("name")
    value: str | None = api("value")
    type: str | None = api("type")
    extra: dict = _extra()


@dataclass
class BlockerDeclaration(ApiObject):
    """Reserved by AWS "for future use"; kept so that definitions carrying it round-trip."""

    name: str | None = api("name")
    type: str | None = api("type")
    extra: dict = _extra()


# --------------------------------------------------------------------------------------------
# Stage conditions (V2)


@dataclass
class RuleTypeId(ApiObject):
    """Which rule this is: category "Rule", owner "AWS", a provider such as CloudWatchAlarm."""

    category: str | None = api("category", default="Rule")
    owner: str | None = api("owner", default="AWS")
    provider: str | None = api("provider")
    version: str | None = api("version", default="1")
    extra: dict = _extra()


@dataclass
class Rule(ApiObject):
    """A check a stage condition evaluates, such as an alarm or a deployment window."""

    name: str | None = api("name")
    rule_type_id: RuleTypeId | None = api("ruleTypeId", RuleTypeId)
    configuration: dict[str, str] | None = api("configuration")
    commands: list[str] | None = api("commands")
    input_artifacts: list[InputArtifact] | None = api("inputArtifacts", ("list", InputArtifact))
    role_arn: str | None = api("roleArn")
    region: str | None = api("region")
    timeout_in_minutes: int | None = api("timeoutInMinutes")
    extra: dict = _extra()


@dataclass
class Condition(ApiObject):
    """Rules and what happens when they fail (ROLLBACK, FAIL, RETRY or SKIP)."""

    result: str | None = api("result")
    rules: list[Rule] | None = api("rules", ("list", Rule))
    extra: dict = _extra()


@dataclass
class RetryConfiguration(ApiObject):
    """How an automatic stage retry runs again: only the failed actions, or all of them."""

    retry_mode: str | None = api("retryMode")
    extra: dict = _extra()


@dataclass
class FailureConditions(ApiObject):
    """What a stage does when it fails: ROLLBACK, RETRY (with a retry mode), or conditions."""

    result: str | None = api("result")
    retry_configuration: RetryConfiguration | None = api("retryConfiguration", RetryConfiguration)
    conditions: list[Condition] | None = api("conditions", ("list", Condition))
    extra: dict = _extra()


@dataclass
class SuccessConditions(ApiObject):
    """Conditions checked after a stage succeeded (e.g. an alarm stays quiet)."""

    conditions: list[Condition] | None = api("conditions", ("list", Condition))
    extra: dict = _extra()


@dataclass
class BeforeEntryConditions(ApiObject):
    """Conditions checked before an execution may enter a stage (e.g. a deployment window)."""

    conditions: list[Condition] | None = api("conditions", ("list", Condition))
    extra: dict = _extra()


# --------------------------------------------------------------------------------------------
# Triggers and variables (V2)


@dataclass
class FilterCriteria(ApiObject):
    """Glob patterns a git trigger includes and excludes (excludes win)."""

    includes: list[str] | None = api("includes")
    excludes: list[str] | None = api("excludes")
    extra: dict = _extra()


@dataclass
class GitPushFilter(ApiObject):
    """Start on a push that matches these tags, branches and file paths."""

    tags: FilterCriteria | None = api("tags", FilterCriteria)
    branches: FilterCriteria | None = api("branches", FilterCriteria)
    file_paths: FilterCriteria | None = api("filePaths", FilterCriteria)
    extra: dict = _extra()


@dataclass
class GitPullRequestFilter(ApiObject):
    """Start on pull-request events (OPEN, UPDATED, CLOSED) that match branches and paths."""

    events: list[str] | None = api("events")
    branches: FilterCriteria | None = api("branches", FilterCriteria)
    file_paths: FilterCriteria | None = api("filePaths", FilterCriteria)
    extra: dict = _extra()


@dataclass
class GitConfiguration(ApiObject):
    """Which connection source action a trigger watches, and its push / pull-request filters."""

    source_action_name: str | None = api("sourceActionName")
    push: list[GitPushFilter] | None = api("push", ("list", GitPushFilter))
    pull_request: list[GitPullRequestFilter] | None = api("pullRequest", ("list", GitPullRequestFilter))
    extra: dict = _extra()


@dataclass
class Trigger(ApiObject):
    """A V2 trigger: what git events start an execution."""

    provider_type: str | None = api("providerType", default="CodeStarSourceConnection")
    git_configuration: GitConfiguration | None = api("gitConfiguration", GitConfiguration)
    extra: dict = _extra()


@dataclass
class PipelineVariable(ApiObject):
    """A V2 pipeline-level variable, set when an execution starts."""

    name: str | None = api("name")
    default_value: str | None = api("defaultValue")
    description: str | None = api("description")
    extra: dict = _extra()


# --------------------------------------------------------------------------------------------
# Actions, stages, pipelines


@dataclass
class Action(ApiObject):
    """One step in a stage: a source, build, test, deploy, approval, invoke or compute action."""

    name: str | None = api("name")
    action_type_id: ActionTypeId | None = api("actionTypeId", ActionTypeId)
    run_order: int | None = api("runOrder")
    configuration: dict[str, str] | None = api("configuration")
    commands: list[str] | None = api("commands")
    output_artifacts: list[OutputArtifact] | None = api("outputArtifacts", ("list", OutputArtifact))
    input_artifacts: list[InputArtifact] | None = api("inputArtifacts", ("list", InputArtifact))
    output_variables: list[str] | None = api("outputVariables")
    role_arn: str | None = api("roleArn")
    region: str | None = api("region")
    namespace: str | None = api("namespace")
    timeout_in_minutes: int | None = api("timeoutInMinutes")
    environment_variables: list[EnvironmentVariable] | None = api(
        "environmentVariables", ("list", EnvironmentVariable)
    )
    extra: dict = _extra()

    @property
    def effective_run_order(self) -> int:
        """The runOrder CodePipeline uses: 1 when the field is absent."""
        return self.run_order if isinstance(self.run_order, int) else 1

    @property
    def category(self) -> str | None:
        return self.action_type_id.category if self.action_type_id else None

    @property
    def provider(self) -> str | None:
        return self.action_type_id.provider if self.action_type_id else None

    @property
    def inputs(self) -> list[str]:
        """Names of the input artifacts."""
        return [a.name for a in self.input_artifacts or [] if a.name]

    @property
    def outputs(self) -> list[str]:
        """Names of the output artifacts."""
        return [a.name for a in self.output_artifacts or [] if a.name]

    def config(self, key: str, default: str | None = None) -> Any:
        """A configuration value, or `default` when the key (or the whole map) is absent."""
        return (self.configuration or {}).get(key, default)


@dataclass
class Stage(ApiObject):
    """A named group of actions; an execution enters it only when the previous one succeeded."""

    name: str | None = api("name")
    actions: list[Action] | None = api("actions", ("list", Action))
    blockers: list[BlockerDeclaration] | None = api("blockers", ("list", BlockerDeclaration))
    on_failure: FailureConditions | None = api("onFailure", FailureConditions)
    on_success: SuccessConditions | None = api("onSuccess", SuccessConditions)
    before_entry: BeforeEntryConditions | None = api("beforeEntry", BeforeEntryConditions)
    extra: dict = _extra()

    def run_order_groups(self) -> list[tuple[int, list[Action]]]:
        """Actions grouped by runOrder, ascending: each group runs in parallel, groups in turn."""
        groups: dict[int, list[Action]] = {}
        for action in self.actions or []:
            groups.setdefault(action.effective_run_order, []).append(action)
        return sorted(groups.items())

    def action(self, name: str) -> Action:
        """The action called `name` (KeyError naming the ones there are otherwise)."""
        for action in self.actions or []:
            if action.name == name:
                return action
        names = ", ".join(repr(a.name) for a in self.actions or [])
        raise KeyError(f"stage {self.name!r} has no action {name!r}; its actions are: {names}")


@dataclass(repr=False)
class Pipeline(ApiObject):
    """A whole pipeline declaration, exactly as create_pipeline(pipeline=...) takes it."""

    name: str | None = api("name")
    role_arn: str | None = api("roleArn")
    artifact_store: ArtifactStore | None = api("artifactStore", ArtifactStore)
    artifact_stores: dict[str, ArtifactStore] | None = api("artifactStores", ("map", ArtifactStore))
    stages: list[Stage] | None = api("stages", ("list", Stage))
    version: int | None = api("version")
    execution_mode: str | None = api("executionMode")
    pipeline_type: str | None = api("pipelineType")
    variables: list[PipelineVariable] | None = api("variables", ("list", PipelineVariable))
    triggers: list[Trigger] | None = api("triggers", ("list", Trigger))
    extra: dict = _extra()
    metadata: dict | None = field(default=None, compare=False, metadata={"api": None})

    @classmethod
    def from_api(cls, data: Any, path: str = "") -> "Pipeline":
        """Accept a bare pipeline dict or a whole get_pipeline response (pipeline + metadata)."""
        if isinstance(data, dict) and isinstance(data.get("pipeline"), dict) and "stages" not in data:
            pipeline = super().from_api(data["pipeline"], path)
            if "metadata" in data:
                pipeline.metadata = copy.deepcopy(data["metadata"])
            return pipeline
        return super().from_api(data, path)

    @classmethod
    def from_json(cls, text: str) -> "Pipeline":
        """Parse JSON text (a definition or a get_pipeline response)."""
        return cls.from_api(json.loads(text))

    def to_json(self, indent: int = 2) -> str:
        """The definition as JSON text, ready for `aws codepipeline create-pipeline --cli-input-json`."""
        return json.dumps({"pipeline": self.to_api()}, indent=indent)

    def copy(self) -> "Pipeline":
        """A deep copy, to change without touching the original."""
        return copy.deepcopy(self)

    # -- reading the structure

    @property
    def effective_type(self) -> str:
        """V1 unless pipelineType says V2 (AWS's default for definitions that do not say)."""
        return self.pipeline_type or "V1"

    @property
    def effective_execution_mode(self) -> str:
        return self.execution_mode or "SUPERSEDED"

    def stage(self, name: str) -> Stage:
        """The stage called `name` (KeyError naming the stages there are otherwise)."""
        for stage in self.stages or []:
            if stage.name == name:
                return stage
        names = ", ".join(repr(s.name) for s in self.stages or [])
        raise KeyError(f"pipeline {self.name!r} has no stage {name!r}; its stages are: {names}")

    def iter_actions(self) -> Iterator[tuple[int, Stage, int, Action]]:
        """(stage index, stage, action index, action) for every action, in definition order."""
        for si, stage in enumerate(self.stages or []):
            for ai, action in enumerate(stage.actions or []):
                yield si, stage, ai, action

    def regions(self) -> list[str]:
        """The distinct action regions, in order of first appearance (cross-region actions)."""
        seen: list[str] = []
        for _, _, _, action in self.iter_actions():
            if action.region and action.region not in seen:
                seen.append(action.region)
        return seen

    # -- views (each lives in its own module)

    def problems(self, region: str | None = None) -> ProblemList:
        """Every problem in the definition, each with its path and a fix; empty when valid."""
        from .validate import problems

        return problems(self, region=region)

    def validate(self, region: str | None = None) -> "Pipeline":
        """Raise PipelineError listing every problem; return the pipeline itself when valid."""
        from .validate import validate

        validate(self, region=region)
        return self

    def draw(self, **options: Any):
        """A graphviz drawing of the pipeline, laid out like the CodePipeline console."""
        from .draw import draw

        return draw(self, **options)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.draw()._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        stages = self.stages or []
        actions = sum(len(s.actions or []) for s in stages)
        return (
            f"<Pipeline {self.name!r}: {self.effective_type}, {len(stages)} stages, "
            f"{actions} actions>"
        )
