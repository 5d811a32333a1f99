"""Every problem in a pipeline definition at once, each with its API path, what is wrong and a fix.

Two layers of rules:
1. Shapes: the definition is walked against botocore's own service model (`PipelineDeclaration`):
   required fields, types, lengths, list sizes, number ranges, and what botocore itself does not
   check: name patterns, enum values and unknown keys.
2. Structure: CodePipeline's rules on top of the shapes (reference codepipeline-rules.md, S1-S23,
   quotas, the provider catalog, V1/V2 differences, stage conditions, variables).

`problems()` runs every family of rules and returns what they found in the order the paths appear
in the definition; `validate()` raises PipelineError listing all of it.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass, field, fields
from typing import Any, Callable

from . import catalog
from .model import Action, ApiObject, Pipeline, PipelineError, Problem, ProblemList

MIN_STAGES = 2
MAX_STAGES = 50
MAX_ACTIONS_PER_STAGE = 50  # also bounds the parallel (50) and sequential (50) actions of a stage
MAX_ACTIONS_PER_PIPELINE = 500

MANUAL_APPROVAL = ("Approval", "AWS", "Manual")
COMMANDS_ACTION = ("Compute", "AWS", "Commands")
CONNECTION_SOURCE = ("Source", "AWS", "CodeStarSourceConnection")
COMMANDS_ONLY_FIELDS = ("commands", "outputVariables", "environmentVariables")

MASKED_SECRET = "****"  # what get_pipeline returns in place of a secret configuration value
BUILT_IN_NAMESPACE = "codepipeline"  # #{codepipeline.PipelineExecutionId}
PIPELINE_VARIABLES_NAMESPACE = "variables"  # #{variables.<name>} (V2 pipeline-level variables)
VARIABLE_REFERENCE = re.compile(r"#\{([A-Za-z0-9@\-_]+)\.([^}]+)\}")
ROLE_ARN = re.compile(r"arn:aws(-[\w]+)*:iam::[0-9]{12}:role/.*")
EXAMPLE_ROLE_ARN = "arn:aws:iam::123456789012:role/my-role"

V2_HINT = ('Set "pipelineType": "V2" (V2 pipelines are priced per action-execution minute, '
           'V1 pipelines per active pipeline per month).')

# Results a stage condition may have, by where the condition sits (stage-conditions user guide;
# onSuccess FAIL as in the CDK example). onFailure conditions only exclude SKIP.
CONDITION_RESULTS = {
    "beforeEntry": ("FAIL", "SKIP"),
    "onSuccess": ("ROLLBACK", "FAIL"),
    "onFailure": ("ROLLBACK", "FAIL", "RETRY"),
}
ON_FAILURE_RESULTS = ("ROLLBACK", "RETRY", "FAIL")


# ============================================================================================
# Public API


def problems(pipeline: Pipeline | dict, region: str | None = None) -> ProblemList:
    """Every problem in `pipeline` (a Pipeline, or the dict create_pipeline / get_pipeline uses).

    `region` is the pipeline's own region when known. Without it, it is read from get_pipeline's
    metadata (pipelineArn), or from the region the Source actions carry. It is needed to check
    that artifactStores covers the pipeline's region and that sources, custom and third-party
    actions stay in it.
    """
    if isinstance(pipeline, Pipeline):
        data, metadata = _api_view(pipeline), pipeline.metadata
        found = _shape_problems(data)
        model = pipeline if not _has_wrong_types(found) else _model_or_none(data, metadata)
    else:
        data, metadata = _unwrap(pipeline)
        found = _shape_problems(data) if isinstance(data, dict) else []
        model = _model_or_none(data, metadata)
    if model is None:
        return _in_definition_order(_broken_structure_problems(data, found), data)
    try:
        found += _structure_problems(model, region)
    except (AttributeError, TypeError):
        # A Pipeline built in code with plain dicts where model objects belong: rebuild it.
        model = _model_or_none(data, metadata)
        if model is None:
            return _in_definition_order(_broken_structure_problems(data, found), data)
        found += _structure_problems(model, region)
    return _in_definition_order(found, data)


def validate(pipeline: Pipeline | dict, region: str | None = None) -> None:
    """Raise PipelineError listing every problem in `pipeline`; return quietly when it is valid."""
    found = problems(pipeline, region=region)
    if found:
        raise PipelineError(found, _pipeline_name(pipeline))


def _unwrap(data: Any) -> tuple[Any, dict | None]:
    """A bare pipeline dict from either a bare dict or a whole get_pipeline response."""
    if isinstance(data, dict) and isinstance(data.get("pipeline"), dict) and "stages" not in data:
        metadata = data.get("metadata")
        return data["pipeline"], metadata if isinstance(metadata, dict) else None
    return data, None


def _pipeline_name(pipeline: Any) -> str | None:
    name = pipeline.name if isinstance(pipeline, Pipeline) else _unwrap(pipeline)[0]
    if isinstance(name, dict):
        name = name.get("name")
    return name if isinstance(name, str) else None


def _structure_problems(model: Pipeline, region: str | None) -> list[Problem]:
    """What CodePipeline's structure rules find (part 2 below), rule by rule."""
    context = _Context.of(model, _home_region(model, region))
    found: list[Problem] = []
    for rule in STRUCTURE_RULES:
        found += rule(context)
    return found


def _model_or_none(data: Any, metadata: dict | None) -> Pipeline | None:
    """The model of `data`, or None when its structure is too broken to build one."""
    try:
        model = Pipeline.from_api(data)
    except PipelineError:
        return None
    model.metadata = metadata
    return model


def _has_wrong_types(found: list[Problem]) -> bool:
    """Whether the shape check found a value of the wrong type (which the rules cannot read)."""
    return any(p.message.startswith("must be ") for p in found)


def _broken_structure_problems(data: Any, found: list[Problem]) -> list[Problem]:
    """When no model can be built: the shape problems, plus the model's own finding."""
    try:
        Pipeline.from_api(data)
        return found
    except PipelineError as error:
        reported = {p.path for p in found}
        return found + [p for p in error.problems if p.path not in reported]


def _api_view(obj: Any) -> Any:
    """The API dict of a model object, like to_api() but reading the values instead of copying
    them (to_api deep-copies every value, which is most of the time validation would take)."""
    if isinstance(obj, ApiObject):
        out = {name: _api_view(getattr(obj, attribute))
               for attribute, name in _api_fields(type(obj))
               if getattr(obj, attribute) is not None}
        out.update(obj.extra)
        return out
    if isinstance(obj, list):
        return [_api_view(item) for item in obj]
    if isinstance(obj, dict):
        return {key: _api_view(item) for key, item in obj.items()}
    return obj


@functools.cache
def _api_fields(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, API name) of a model class's API fields."""
    return tuple((f.name, f.metadata["api"]) for f in fields(cls) if f.metadata.get("api"))


def _in_definition_order(found: list[Problem], data: Any) -> ProblemList:
    """Problems sorted by where their path appears in the definition; duplicates dropped.

    A path that does not exist (a missing field) sorts with its closest existing parent, after
    the parent's own problems. Ties keep the order the rules ran in, so the result is stable.
    """
    if not found:
        return ProblemList()
    positions = _path_positions(data)

    def key(problem: Problem) -> tuple[int, bool]:
        path = problem.path
        while path and path not in positions:
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return positions.get(path, 0), path != problem.path

    unique = list(dict.fromkeys(found))
    return ProblemList(sorted(unique, key=key))


def _path_positions(data: Any) -> dict[str, int]:
    """Every path in the definition, numbered in reading order."""
    positions: dict[str, int] = {}

    def walk(value: Any, path: str) -> None:
        positions.setdefault(path, len(positions))
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(data, "")
    return positions


# ============================================================================================
# Part 1: shapes, from botocore's service model


PYTHON_TYPES = {"structure": dict, "map": dict, "list": list, "string": str, "integer": int,
                "boolean": bool}


@dataclass(eq=False)
class ShapeRule:
    """One botocore shape, reduced to what validation needs (compiled once, then reused)."""

    name: str
    kind: str  # structure, list, map, string, integer, boolean...
    minimum: int | None = None
    maximum: int | None = None
    pattern: re.Pattern | None = None
    pattern_text: str = ""
    enum: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    members: dict[str, "ShapeRule"] = field(default_factory=dict)
    item: "ShapeRule | None" = None
    key: "ShapeRule | None" = None
    value: "ShapeRule | None" = None
    python_type: type = object  # the Python type a JSON value of this shape has
    has_limits: bool = False  # whether a string of this shape has anything to check


@functools.cache
def pipeline_shape() -> ShapeRule:
    """botocore's PipelineDeclaration shape, compiled into ShapeRules (loaded once per process)."""
    # botocore's loader and model alone: a third quicker to import than a whole session
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    model = ServiceModel(Loader().load_service_model("codepipeline", "service-2"), "codepipeline")
    return _compile_shape(model.shape_for("PipelineDeclaration"), {})


def _compile_shape(shape: Any, done: dict[str, ShapeRule]) -> ShapeRule:
    if shape.name in done:
        return done[shape.name]
    meta = shape.metadata
    pattern_text = meta.get("pattern", "")
    rule = ShapeRule(
        name=shape.name,
        kind=shape.type_name,
        minimum=meta.get("min"),
        maximum=meta.get("max"),
        # ".*" accepts anything (including newlines, which Python's "." would not match).
        pattern=re.compile(pattern_text) if pattern_text and pattern_text != ".*" else None,
        pattern_text=pattern_text,
        enum=tuple(meta.get("enum", ())),
        required=tuple(meta.get("required", ())),
        python_type=PYTHON_TYPES.get(shape.type_name, object),
    )
    rule.has_limits = bool(rule.minimum or rule.maximum is not None or rule.enum or rule.pattern)
    done[shape.name] = rule
    if shape.type_name == "structure":
        rule.members = {name: _compile_shape(member, done) for name, member in shape.members.items()}
    elif shape.type_name == "list":
        rule.item = _compile_shape(shape.member, done)
    elif shape.type_name == "map":
        rule.key = _compile_shape(shape.key, done)
        rule.value = _compile_shape(shape.value, done)
    return rule


# What each structure is called in messages ("every action needs 'name'").
SHAPE_NOUNS = {
    "PipelineDeclaration": "pipeline",
    "StageDeclaration": "stage",
    "ActionDeclaration": "action",
    "ActionTypeId": "actionTypeId",
    "ArtifactStore": "artifact store",
    "EncryptionKey": "encryptionKey",
    "InputArtifact": "input artifact",
    "OutputArtifact": "output artifact",
    "EnvironmentVariable": "environment variable",
    "BlockerDeclaration": "blocker",
    "FailureConditions": "onFailure",
    "SuccessConditions": "onSuccess",
    "BeforeEntryConditions": "beforeEntry",
    "Condition": "condition",
    "RetryConfiguration": "retryConfiguration",
    "RuleDeclaration": "rule",
    "RuleTypeId": "ruleTypeId",
    "PipelineVariableDeclaration": "pipeline variable",
    "PipelineTriggerDeclaration": "trigger",
    "GitConfiguration": "gitConfiguration",
    "GitPushFilter": "push filter",
    "GitPullRequestFilter": "pull-request filter",
}

# Name patterns of the model, in plain words.
PATTERN_WORDS = {
    r"[A-Za-z0-9.@\-_]+": "letters, digits and . @ - _ (no spaces)",
    r"[a-zA-Z0-9_\-]+": "letters, digits, - and _ (no spaces, no dots)",
    r"[A-Za-z0-9@\-_]+": "letters, digits and @ - _ (no spaces, no dots)",
    r"[0-9A-Za-z_-]+": "letters, digits, - and _",
    r"[a-zA-Z0-9\-\.]+": "letters, digits, - and . (an S3 bucket name)",
    r"[A-Za-z0-9_]+": "letters, digits and _",
    ROLE_ARN.pattern: f"an IAM role ARN such as {EXAMPLE_ROLE_ARN}",
}

KIND_WORDS = {
    "structure": "an object { ... }",
    "list": "a list [ ... ]",
    "map": "an object of key/value pairs",
    "string": "a string",
    "integer": "a whole number",
    "boolean": "true or false",
}


def _shape_problems(data: Any) -> list[Problem]:
    found: list[Problem] = []
    _check_shape(data, pipeline_shape(), "", found)
    return found


def _check_shape(value: Any, rule: ShapeRule, path: str, found: list[Problem]) -> None:
    """Check `value` against `rule`, appending what is wrong to `found`, and go down into it."""
    kind = rule.kind
    if not isinstance(value, rule.python_type) or (kind == "integer" and isinstance(value, bool)):
        found.append(_wrong_type_problem(value, rule, path))  # (booleans are not numbers)
        return
    if kind == "string":
        if rule.has_limits:
            _check_string(value, rule, path, found)
    elif kind == "structure":
        _check_structure(value, rule, path, found)
    elif kind == "list":
        _check_size(len(value), rule, path, "item", found)
        for index, item in enumerate(value):
            _check_shape(item, rule.item, f"{path}[{index}]", found)
    elif kind == "map":
        _check_size(len(value), rule, path, "entry", found)
        for key, item in value.items():
            child = _join(path, str(key))
            _check_shape(key, rule.key, child, found)
            _check_shape(item, rule.value, child, found)
    elif kind == "integer":
        _check_range(value, rule, path, found)


def _check_structure(value: dict, rule: ShapeRule, path: str, found: list[Problem]) -> None:
    noun = SHAPE_NOUNS.get(rule.name, rule.name)
    for name in rule.required:
        if value.get(name) is None:
            member = rule.members[name]
            found.append(Problem(
                _join(path, name),
                f"is missing: every {noun} needs {name!r}.",
                f'Add "{name}": {_expected_words(member)}.',
            ))
    for key, item in value.items():
        member = rule.members.get(key)
        if member is None:
            found.append(_unknown_key_problem(str(key), noun, tuple(rule.members), _join(path, str(key))))
        elif item is not None:
            _check_shape(item, member, _join(path, key), found)


def _unknown_key_problem(key: str, noun: str, known: tuple[str, ...], path: str) -> Problem:
    guess = _did_you_mean(key, known)
    fields_ = ", ".join(known)
    hint = f'Did you mean "{guess}"? ' if guess else "Remove it. "
    return Problem(path, f"{key!r} is not a field of {_a(noun)}; AWS rejects unknown fields.",
                   f"{hint}The fields of {_a(noun)} are: {fields_}.")


def _check_size(count: int, rule: ShapeRule, path: str, unit: str, found: list[Problem]) -> None:
    units = "entries" if unit == "entry" else f"{unit}s"
    if rule.minimum is not None and count < rule.minimum:
        found.append(Problem(path, f"has {count} {units if count != 1 else unit}; "
                                   f"it needs at least {rule.minimum}.",
                             f"Add at least {rule.minimum}, or leave the field out."))
    if rule.maximum is not None and count > rule.maximum:
        found.append(Problem(path, f"has {count} {units}; at most {rule.maximum} are allowed.",
                             f"Remove {count - rule.maximum} of them."))


def _check_string(value: str, rule: ShapeRule, path: str, found: list[Problem]) -> None:
    if rule.minimum is not None and len(value) < rule.minimum:
        found.append(Problem(path, "must not be empty." if not value else
                             f"is {len(value)} characters long; it needs at least {rule.minimum}.",
                             "Give it a value, or leave the field out."))
    if rule.maximum is not None and len(value) > rule.maximum:
        found.append(Problem(path, f"is {len(value)} characters long; the limit is {rule.maximum}.",
                             f"Shorten it to at most {rule.maximum} characters."))
    if rule.enum and value not in rule.enum:
        found.append(_not_a_choice_problem(value, rule.enum, path, what="value"))
    if rule.pattern is not None and value and not rule.pattern.fullmatch(value):
        found.append(_pattern_problem(value, rule, path))


def _pattern_problem(value: str, rule: ShapeRule, path: str) -> Problem:
    words = PATTERN_WORDS.get(rule.pattern_text)
    message = (f"{value!r} is not allowed here: it may contain only {words}." if words and
               rule.pattern_text.startswith("[") else
               f"{value!r} is not {words}." if words else
               f"{value!r} does not match the pattern {rule.pattern_text}.")
    suggestion = _pattern_suggestion(value, rule)
    hint = f'Use for example "{suggestion}".' if suggestion else (
        f"Use {words}." if words else f"Write a value matching {rule.pattern_text}.")
    return Problem(path, message, hint)


def _pattern_suggestion(value: str, rule: ShapeRule) -> str | None:
    """For a character-class pattern like [A-Za-z0-9_-]+: the value with bad characters as '-'."""
    text = rule.pattern_text
    if not (text.startswith("[") and text.endswith("]+") and text.count("[") == 1):
        return None
    suggestion = re.sub("[^" + text[1:-2] + "]+", "-", value).strip("-")
    if rule.maximum is not None:
        suggestion = suggestion[: rule.maximum]
    return suggestion if suggestion and rule.pattern.fullmatch(suggestion) else None


def _check_range(value: int, rule: ShapeRule, path: str, found: list[Problem]) -> None:
    low, high = rule.minimum, rule.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        allowed = f"between {low} and {high}" if high is not None else f"at least {low}"
        found.append(Problem(path, f"is {value}; it must be {allowed}.",
                             f"Use a whole number {allowed}."))


def _wrong_type_problem(value: Any, rule: ShapeRule, path: str) -> Problem:
    expected = KIND_WORDS.get(rule.kind, rule.kind)
    message = f"must be {expected}, but it is {_describe(value)}."
    if rule.kind == "string" and isinstance(value, (bool, int, float)):
        hint = f'Write it as a string, in quotes: "{json.dumps(value)}".'
    elif rule.kind == "integer" and isinstance(value, str) and value.strip().isdigit():
        hint = f"Write it as a number, without quotes: {value.strip()}."
    elif rule.kind == "list" and isinstance(value, dict):
        hint = "Put it in a list: [ {...} ]."
    else:
        hint = f"Write it as {_expected_words(rule)}."
    return Problem(path, message, hint)


def _expected_words(rule: ShapeRule) -> str:
    """What a field should hold, in plain words (for hints)."""
    if rule.enum:
        return "one of " + ", ".join(f'"{v}"' for v in rule.enum)
    if rule.kind == "structure":
        wanted = rule.required or tuple(rule.members)
        return "{" + ", ".join(wanted) + "}"
    if rule.kind == "string" and rule.pattern_text in PATTERN_WORDS:
        words = PATTERN_WORDS[rule.pattern_text]
        return f"a string of {words}" if rule.pattern_text.startswith("[") else words
    if rule.kind == "integer" and rule.minimum is not None:
        upper = f" to {rule.maximum}" if rule.maximum is not None else " or more"
        return f"a whole number from {rule.minimum}{upper}"
    return KIND_WORDS.get(rule.kind, rule.kind)


# ============================================================================================
# Part 2: CodePipeline's structure rules


@dataclass(frozen=True)
class _Placed:
    """An action and where it sits: its indexes, API path and when it runs."""

    stage_index: int
    action_index: int
    action: Action
    stage_name: str

    @property
    def path(self) -> str:
        return f"stages[{self.stage_index}].actions[{self.action_index}]"

    @property
    def when(self) -> tuple[float, float]:
        """(stage index, runOrder): an action runs before another iff its `when` is smaller."""
        return (self.stage_index, self.action.effective_run_order)

    @property
    def name(self) -> str:
        return _text(self.action.name) or "?"

    @property
    def label(self) -> str:
        return f"action '{self.name}' in stage '{self.stage_name}' ({self.path})"

    @property
    def type_key(self) -> tuple[str | None, str | None, str | None]:
        type_id = self.action.action_type_id
        if type_id is None:
            return (None, None, None)
        return (_text(type_id.category), _text(type_id.owner), _text(type_id.provider))

    @property
    def spec(self) -> catalog.ProviderSpec | None:
        return catalog.provider_spec(*self.type_key)

    @property
    def aws_spec(self) -> catalog.ProviderSpec | None:
        """The catalog entry when this is an AWS-owned action the catalog knows (None otherwise:
        custom, third-party and unknown providers get no provider-specific checks)."""
        spec = self.spec
        return spec if spec is not None and spec.owner == "AWS" else None

    @property
    def configuration(self) -> dict:
        config = self.action.configuration
        return config if isinstance(config, dict) else {}

    @property
    def inputs(self) -> list[str]:
        return _artifact_names(self.action.input_artifacts)

    @property
    def outputs(self) -> list[str]:
        return _artifact_names(self.action.output_artifacts)


@dataclass(frozen=True)
class _PlacedRule:
    """A stage-condition rule and where it sits; it runs before (beforeEntry) or after its stage."""

    stage_index: int
    kind: str  # beforeEntry, onSuccess, onFailure
    condition_index: int
    rule_index: int
    rule: Any  # model.Rule

    @property
    def path(self) -> str:
        return (f"stages[{self.stage_index}].{self.kind}.conditions[{self.condition_index}]"
                f".rules[{self.rule_index}]")

    @property
    def when(self) -> tuple[float, float]:
        after = float("-inf") if self.kind == "beforeEntry" else float("inf")
        return (self.stage_index, after)

    @property
    def provider(self) -> str | None:
        type_id = self.rule.rule_type_id
        return _text(type_id.provider) if type_id is not None else None

    @property
    def configuration(self) -> dict:
        config = self.rule.configuration
        return config if isinstance(config, dict) else {}


@dataclass
class _Context:
    """The pipeline, its home region, and its actions and rules with their places, computed once."""

    pipeline: Pipeline
    region: str | None
    actions: list[_Placed]
    rules: list[_PlacedRule]

    @classmethod
    def of(cls, pipeline: Pipeline, region: str | None) -> "_Context":
        actions = [
            _Placed(si, ai, action, _text(stage.name) or "?")
            for si, stage, ai, action in pipeline.iter_actions()
        ]
        rules = []
        for si, stage in enumerate(pipeline.stages or []):
            for kind, holder in _condition_holders(stage):
                for ci, condition in enumerate(holder.conditions or []):
                    for ri, rule in enumerate(condition.rules or []):
                        rules.append(_PlacedRule(si, kind, ci, ri, rule))
        return cls(pipeline, region, actions, rules)


def _condition_holders(stage: Any) -> list[tuple[str, Any]]:
    holders = [("beforeEntry", stage.before_entry), ("onSuccess", stage.on_success),
               ("onFailure", stage.on_failure)]
    return [(kind, holder) for kind, holder in holders if holder is not None]


def _home_region(pipeline: Pipeline, region: str | None) -> str | None:
    """The pipeline's own region: given; else read from get_pipeline's metadata.pipelineArn;
    else the region the Source actions name (sources never run in another region, so in a
    get_pipeline dump whose actions all carry a region, theirs is the pipeline's); else None."""
    if region:
        return region
    arn = (pipeline.metadata or {}).get("pipelineArn")
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) > 4 and parts[3]:
        return parts[3]
    source_regions = {
        action.region for _, _, _, action in pipeline.iter_actions()
        if action.category == "Source" and isinstance(action.region, str)
    }
    return source_regions.pop() if len(source_regions) == 1 else None


# --------------------------------------------------------------------------------------------
# S1, S4 and quotas: how many stages and actions


def _stage_count_problems(ctx: _Context) -> list[Problem]:
    """S1 and the quotas: 2 to 50 stages, at most 500 actions, 1 to 50 actions per stage."""
    found = []
    stages = ctx.pipeline.stages or []
    if len(stages) < MIN_STAGES:
        found.append(Problem(
            "stages", f"has {len(stages)} stage{'s' if len(stages) != 1 else ''}; "
                      f"a pipeline needs at least {MIN_STAGES}: a source stage and at least one more.",
            "Add a stage after the source stage, for example a Build or Deploy stage."))
    if len(stages) > MAX_STAGES:
        found.append(Problem("stages", f"has {len(stages)} stages; the limit is {MAX_STAGES}.",
                             "Merge stages, or split the pipeline into two pipelines."))
    if len(ctx.actions) > MAX_ACTIONS_PER_PIPELINE:
        found.append(Problem("stages", f"has {len(ctx.actions)} actions in all; the limit is "
                                       f"{MAX_ACTIONS_PER_PIPELINE} per pipeline.",
                             "Split the pipeline into several pipelines."))
    for si, stage in enumerate(stages):
        actions = stage.actions
        if actions is not None and len(actions) == 0:
            found.append(Problem(f"stages[{si}].actions", "is empty: every stage needs at least one action.",
                                 "Add an action to the stage, or remove the stage."))
        elif actions is not None and len(actions) > MAX_ACTIONS_PER_STAGE:
            found.append(Problem(f"stages[{si}].actions", f"has {len(actions)} actions; a stage holds "
                                                          f"at most {MAX_ACTIONS_PER_STAGE}.",
                                 "Split it into two stages."))
    return found


def _source_placement_problems(ctx: _Context) -> list[Problem]:
    """S2-S4: the first stage holds only (and at least one) Source actions; Source nowhere else;
    something other than sources somewhere."""
    found = []
    stages = ctx.pipeline.stages or []
    first_stage = _text(stages[0].name) if stages else None
    for placed in ctx.actions:
        category = placed.type_key[0]
        if category not in _action_categories():
            continue  # missing or invalid: the shape check reports it
        path = f"{placed.path}.actionTypeId.category"
        if placed.stage_index == 0 and category != "Source":
            found.append(Problem(path, f"is {category}, but the first stage may contain only Source actions.",
                                 "Move this action to a later stage; the first stage only says where "
                                 "the code comes from (Source actions)."))
        if placed.stage_index > 0 and category == "Source":
            found.append(Problem(path, "is Source, but Source actions are allowed only in the first stage.",
                                 f"Move this action into the first stage ('{first_stage or '?'}')."))
    categories = [p.type_key[0] for p in ctx.actions]
    if len(stages) >= MIN_STAGES and all(category == "Source" for category in categories):
        found.append(Problem("stages", "has only Source actions; at least one stage must build, "
                                       "test, deploy, approve or invoke something.",
                             "Add a stage with a Build, Test, Deploy, Approval or Invoke action."))
    return found


@functools.cache
def _action_categories() -> tuple[str, ...]:
    action = pipeline_shape().members["stages"].item.members["actions"].item
    return action.members["actionTypeId"].members["category"].enum


# --------------------------------------------------------------------------------------------
# S5-S7: unique names


def _unique_name_problems(ctx: _Context) -> list[Problem]:
    """S5 stage names, S6 action names within a stage, S7 output artifacts, variable names."""
    found = []
    stages = ctx.pipeline.stages or []
    found += _duplicates([(f"stages[{si}].name", s.name) for si, s in enumerate(stages)],
                         "stage name", "stage names must be unique in a pipeline")
    for si, stage in enumerate(stages):
        found += _duplicates(
            [(f"stages[{si}].actions[{ai}].name", a.name) for ai, a in enumerate(stage.actions or [])],
            "action name", "action names must be unique within a stage (they may repeat in other stages)")
    outputs = [(f"{p.path}.outputArtifacts[{k}]", art.name)
               for p in ctx.actions for k, art in enumerate(p.action.output_artifacts or [])]
    found += _duplicates(outputs, "output artifact name",
                         "output artifact names must be unique in the whole pipeline; "
                         "rename it and update the actions that read it")
    variables = [(f"variables[{i}].name", v.name) for i, v in enumerate(ctx.pipeline.variables or [])]
    found += _duplicates(variables, "variable name", "pipeline variable names must be unique")
    return found


def _duplicates(named: list[tuple[str, Any]], what: str, rule: str) -> list[Problem]:
    """A problem for every repeat of a name, pointing at its first use."""
    first_use: dict[str, str] = {}
    found = []
    for path, name in named:
        if not isinstance(name, str):
            continue
        if name in first_use:
            found.append(Problem(path, f"{what} {name!r} is already used at {first_use[name]}; {rule}.",
                                 f"Give it another name, for example '{name}-2'."))
        else:
            first_use[name] = path
    return found


# --------------------------------------------------------------------------------------------
# S8: artifacts flow forward


def _artifact_flow_problems(ctx: _Context) -> list[Problem]:
    """S8: every input artifact is produced by an action that runs earlier."""
    producers: dict[str, _Placed] = {}
    for placed in ctx.actions:
        for name in placed.outputs:
            producers.setdefault(name, placed)
    found = []
    for placed in ctx.actions:
        for k, artifact in enumerate(placed.action.input_artifacts or []):
            name = _text(artifact.name)
            if name is not None:
                problem = _too_early_problem(f"{placed.path}.inputArtifacts[{k}]",
                                             f"input artifact {name!r}", name, placed, producers)
                found += [problem] if problem else []
    for placed_rule in ctx.rules:
        for k, artifact in enumerate(placed_rule.rule.input_artifacts or []):
            name = _text(artifact.name)
            if name is not None:
                problem = _too_early_problem(f"{placed_rule.path}.inputArtifacts[{k}]",
                                             f"input artifact {name!r}", name, placed_rule, producers)
                found += [problem] if problem else []
    return found


def _too_early_problem(path: str, subject: str, name: str, consumer: Any,
                       producers: dict[str, _Placed]) -> Problem | None:
    """The problem when `consumer` uses `name` (an artifact or a namespace) before it exists.

    `subject` names the use in messages ("input artifact 'X'", or a reference "#{ns.key}").
    Three cases: nothing produces it; it is produced later; it is produced by an action running
    at the same time (same stage, same runOrder): parallel actions cannot feed each other.
    """
    producer = producers.get(name)
    if producer is not None and producer.when < consumer.when:
        return None  # the usual case: checked first, and cheaply
    is_artifact = subject.startswith("input artifact")
    consumer_text = "this rule" if isinstance(consumer, _PlacedRule) else "this action"
    available = [n for n, p in producers.items() if p.when < consumer.when]
    so_far = (f"{'artifacts produced' if is_artifact else 'namespaces declared'} so far: "
              f"{', '.join(available) if available else 'none'}")
    if producer is None:
        guess = _did_you_mean(name, tuple(producers))
        spelling = f" (did you mean '{guess}'?)" if guess else ""
        if is_artifact:
            return Problem(path, f"{subject} is not produced by any action in the pipeline.",
                           f"Add an action earlier in the pipeline with outputArtifacts "
                           f"[{{name: '{name}'}}], or fix the spelling{spelling}; {so_far}.")
        return Problem(path, f"{subject} refers to namespace {name!r}, which no action declares.",
                       f"Set \"namespace\": \"{name}\" on the earlier action whose variables you "
                       f"want, or fix the spelling{spelling}; {so_far}. "
                       f"Built in: #{{codepipeline.PipelineExecutionId}}.")
    if producer is consumer:
        return Problem(path, f"{subject} comes from this same action; an action cannot use what it "
                             "produces itself.",
                       f"Use one that an earlier action produces; {so_far}.")
    if producer.when == consumer.when:
        order = producer.action.effective_run_order
        return Problem(path, f"{subject} comes from {producer.label}, which runs at the same time as "
                             f"{consumer_text} (same stage, both runOrder {order}); actions that run "
                             "in parallel cannot feed each other.",
                       f"Give {consumer_text} a runOrder higher than {order} (for example "
                       f"{order + 1}), so that it runs after '{producer.name}'.")
    if producer.stage_index == consumer.stage_index and isinstance(consumer, _PlacedRule):
        return Problem(path, f"{subject} comes from {producer.label}, which runs in this stage, "
                             "after the beforeEntry condition is checked.",
                       f"Use one from an earlier stage; {so_far}.")
    if producer.stage_index > consumer.stage_index:
        where = "in a later stage"
    else:
        where = (f"later in the same stage (runOrder {producer.action.effective_run_order}, after "
                 f"this action's {consumer.action.effective_run_order})")
    return Problem(path, f"{subject} comes from {producer.label}, which runs {where}; it does not "
                         f"exist yet when {consumer_text} runs.",
                   f"Move {consumer_text} after '{producer.name}' (into a later stage, or to a higher "
                   f"runOrder in the same stage), or move '{producer.name}' earlier.")


# --------------------------------------------------------------------------------------------
# Action types and the provider catalog (S9, S17, S18, configuration)


@functools.cache
def _aws_provider_categories() -> dict[str, tuple[str, ...]]:
    """For each AWS provider in the catalog, the categories it exists in."""
    categories: dict[str, tuple[str, ...]] = {}
    for spec in catalog.PROVIDERS:
        if spec.owner == "AWS":
            categories[spec.provider] = categories.get(spec.provider, ()) + (spec.category,)
    return categories


def _action_type_problems(ctx: _Context) -> list[Problem]:
    """A known AWS provider under the wrong category; AWS-owned actions are version "1"."""
    found = []
    for placed in ctx.actions:
        category, owner, provider = placed.type_key
        if owner != "AWS" or provider is None:
            continue
        known_categories = _aws_provider_categories().get(provider)
        if known_categories and category in _action_categories() and category not in known_categories:
            found.append(Problem(
                f"{placed.path}.actionTypeId.category",
                f"there is no AWS {provider} action in category {category!r}; {provider} actions "
                f"are in: {', '.join(known_categories)}.",
                f'Set "category": "{known_categories[0]}".'))
        version = _text(placed.action.action_type_id.version)
        if placed.aws_spec is not None and version is not None and version != "1":
            found.append(Problem(f"{placed.path}.actionTypeId.version",
                                 f"is {version!r}; AWS-owned actions such as {provider} exist only "
                                 'in version "1".', 'Set "version": "1".'))
    return found


def _provider_problems(ctx: _Context) -> list[Problem]:
    """Per catalog provider: artifact counts (S9), configuration keys, values, artifact names."""
    found = []
    for placed in ctx.actions:
        spec = placed.aws_spec
        if spec is None:
            continue
        found += _artifact_count_problems(placed, spec)
        found += _configuration_key_problems(placed, spec)
        found += _artifact_reference_problems(placed, spec)
        found += _provider_specific_problems(placed, spec)
    return found


def _artifact_count_problems(placed: _Placed, spec: catalog.ProviderSpec) -> list[Problem]:
    """S9: how many input and output artifacts this provider takes."""
    found = []
    for field_name, artifacts, (low, high) in (
        ("inputArtifacts", placed.action.input_artifacts, spec.inputs),
        ("outputArtifacts", placed.action.output_artifacts, spec.outputs),
    ):
        count = len(artifacts or [])
        if low <= count <= high:
            continue
        kind = "input" if field_name == "inputArtifacts" else "output"
        allowed = _count_words(low, high)
        if count > high and high == 0:
            hint = f"Remove {field_name} (or make it an empty list)."
        elif count < low and kind == "input":
            hint = ("Add an input artifact produced by an earlier action, for example the "
                    "source stage's output.")
        elif count < low:
            hint = f'Add an output artifact, for example [{{"name": "{_safe_name(placed.name)}Output"}}].'
        else:
            hint = f"Keep at most {high} {kind} artifacts."
        found.append(Problem(f"{placed.path}.{field_name}",
                             f"has {count} {kind} artifact{'s' if count != 1 else ''}; "
                             f"{_a(spec.title)} action takes {allowed}.", hint))
    return found


def _required_and_allowed_problems(config: dict, spec: Any, input_count: int, path: str, subject: str,
                                   where: str) -> list[Problem]:
    """Missing required keys (always, or in the situations of spec.required_when) and values that
    are not among spec.choices, for an action's or a rule's configuration at `path`."""
    found = []
    for key in spec.required:
        if key not in config:
            found.append(Problem(f"{path}.{key}", f"is missing: {subject} needs configuration {key!r}.",
                                 f'Add "{key}" to {where} (see {spec.doc}).'))
    for condition in spec.required_when:
        if condition.key not in config and condition.applies(config, input_count):
            found.append(Problem(f"{path}.{condition.key}",
                                 f"is missing: {subject} needs configuration {condition.key!r} when "
                                 f"{condition.reason}.",
                                 f'Add "{condition.key}" to {where} (see {spec.doc}).'))
    for key, allowed in spec.choices.items():
        value = config.get(key)
        if isinstance(value, str) and not _is_opaque(value) and value not in allowed:
            found.append(_not_a_choice_problem(value, allowed, f"{path}.{key}", what=key))
    return found


def _configuration_key_problems(placed: _Placed, spec: catalog.ProviderSpec) -> list[Problem]:
    """Required and conditionally required keys, allowed values, unknown keys."""
    config = placed.configuration
    path = f"{placed.path}.configuration"
    found = _required_and_allowed_problems(config, spec, len(placed.action.input_artifacts or []), path,
                                           f"{_a(spec.title)} action", "the configuration")
    known = spec.known_keys
    for key in config:
        if key not in known:
            guess = _did_you_mean(str(key), known)
            hint = f'Did you mean "{guess}"? ' if guess else "Remove it. "
            keys = ", ".join(known) if known else "none"
            found.append(Problem(f"{path}.{key}", f"{key!r} is not a configuration key of the "
                                                  f"{spec.title} action; AWS rejects unknown keys.",
                                 f"{hint}Its keys are: {keys}."))
    return found


def _artifact_reference_problems(placed: _Placed, spec: catalog.ProviderSpec) -> list[Problem]:
    """S17/S18: configuration values that name one of the action's input artifacts."""
    found = []
    config = placed.configuration
    inputs = placed.inputs
    listed = ", ".join(inputs) if inputs else "it has none"
    for key in spec.artifact_keys:
        value = config.get(key)
        if isinstance(value, str) and not _is_opaque(value) and value not in inputs:
            found.append(Problem(f"{placed.path}.configuration.{key}",
                                 f"is {value!r}, which is not one of this action's input artifacts "
                                 f"({listed}).",
                                 f"Set it to one of the input artifacts, or add '{value}' to "
                                 "inputArtifacts."))
    for key in spec.artifact_path_keys:
        value = config.get(key)
        if not isinstance(value, str) or _is_opaque(value):
            continue
        path = f"{placed.path}.configuration.{key}"
        artifact, separator, file_path = value.partition("::")
        if not separator or not artifact or not file_path:
            found.append(Problem(path, f"{value!r} does not say which artifact the file is in.",
                                 f'Write it as ArtifactName::path/in/artifact, for example '
                                 f'"{inputs[0] if inputs else "BuildOutput"}::template.yaml".'))
        elif artifact not in inputs:
            found.append(Problem(path, f"names artifact {artifact!r}, which is not one of this "
                                       f"action's input artifacts ({listed}).",
                                 f"Add '{artifact}' to inputArtifacts, or use one of the inputs."))
    return found


def _provider_specific_problems(placed: _Placed, spec: catalog.ProviderSpec) -> list[Problem]:
    """Rules of single providers: CloudFormation capabilities and role, Step Functions FilePath."""
    found = []
    config = placed.configuration
    path = f"{placed.path}.configuration"
    if spec.provider == "CloudFormation":
        capabilities = config.get("Capabilities")
        if isinstance(capabilities, str) and not _is_opaque(capabilities):
            names = [c.strip() for c in capabilities.split(",")]
            unknown = [c for c in names if c not in catalog.CFN_CAPABILITIES]
            if unknown:
                verb = "is not a capability" if len(unknown) == 1 else "are not capabilities"
                found.append(Problem(f"{path}.Capabilities",
                                     f"has {', '.join(repr(c) for c in unknown)}, which {verb}.",
                                     "Use a comma-separated list (no spaces) of: "
                                     + ", ".join(catalog.CFN_CAPABILITIES) + "."))
        role = config.get("RoleArn")
        if isinstance(role, str) and not _is_opaque(role) and not ROLE_ARN.fullmatch(role):
            found.append(Problem(f"{path}.RoleArn", f"{role!r} is not an IAM role ARN.",
                                 "Use the ARN of the role CloudFormation assumes, such as "
                                 "arn:aws:iam::123456789012:role/my-cloudformation-role."))
    if spec.provider == "StepFunctions" and config.get("InputType") == "FilePath" and not placed.inputs:
        found.append(Problem(f"{placed.path}.inputArtifacts",
                             "is empty, but InputType FilePath reads the input from a file in an "
                             "input artifact.",
                             "Add the input artifact that holds the file, or use InputType Literal."))
    return found


# --------------------------------------------------------------------------------------------
# S16: fields only some actions take


def _action_field_problems(ctx: _Context) -> list[Problem]:
    """S16 timeoutInMinutes only on Manual approval; commands, outputVariables,
    environmentVariables and output files only on the Commands action (which needs commands)."""
    found = []
    for placed in ctx.actions:
        action, key = placed.action, placed.type_key
        if action.timeout_in_minutes is not None and key != MANUAL_APPROVAL:
            minutes = catalog.action_timeout_minutes(*key)
            found.append(Problem(f"{placed.path}.timeoutInMinutes",
                                 "only Manual approval actions take timeoutInMinutes.",
                                 f"Remove it; this action's timeout is fixed by AWS "
                                 f"({_minutes_words(minutes)})."))
        if key == COMMANDS_ACTION:
            if action.commands is None:
                found.append(Problem(f"{placed.path}.commands",
                                     "is missing: a Commands action needs the shell commands to run.",
                                     'Add "commands": ["npm ci", "npm test"] (one command per string).'))
            continue
        values = (action.commands, action.output_variables, action.environment_variables)
        for field_name, value in zip(COMMANDS_ONLY_FIELDS, values):
            if value is not None:
                extra = (" (a CodeBuild action sets environment variables in configuration."
                         "EnvironmentVariables)" if field_name == "environmentVariables" else "")
                found.append(Problem(f"{placed.path}.{field_name}",
                                     f"only the Commands action takes {field_name}.",
                                     f"Remove it{extra}, or use a Commands action."))
        for k, artifact in enumerate(action.output_artifacts or []):
            if artifact.files is not None:
                found.append(Problem(f"{placed.path}.outputArtifacts[{k}].files",
                                     "only the Commands action lists output files.",
                                     "Remove \"files\"; other actions decide themselves what goes "
                                     "into their output artifact (CodeBuild: the buildspec)."))
    return found


# --------------------------------------------------------------------------------------------
# S10-S12: artifact stores and regions


def _artifact_store_problems(ctx: _Context) -> list[Problem]:
    """S10 exactly one of artifactStore/artifactStores; S11 a store per region; S12 which actions
    may not run in another region."""
    pipeline, home = ctx.pipeline, ctx.region
    single, multi = pipeline.artifact_store is not None, pipeline.artifact_stores is not None
    found = []
    if single and multi:
        found.append(Problem("artifactStores", "is set together with artifactStore; a pipeline has "
                                               "exactly one of the two.",
                             "Keep artifactStores when actions run in other regions (it must list "
                             "the pipeline's own region too); otherwise remove artifactStores."))
    if not single and not multi:
        found.append(Problem("artifactStore", "is missing: a pipeline needs an S3 bucket for its "
                                              "artifacts (artifactStores for cross-region pipelines).",
                             'Add "artifactStore": {"type": "S3", "location": "my-artifact-bucket"}.'))
    if multi and not single and isinstance(pipeline.artifact_stores, dict):
        stores = pipeline.artifact_stores
        if home and home not in stores:
            found.append(Problem(f"artifactStores.{home}",
                                 f"is missing: artifactStores must include the pipeline's own region "
                                 f"({home}).",
                                 f'Add "{home}": {{"type": "S3", "location": "<a bucket in {home}>"}}.'))
        for region, placed in _first_action_per_region(ctx).items():
            if region not in stores and region != home:  # (home: reported just above)
                found.append(Problem(f"artifactStores.{region}",
                                     f"is missing: {placed.label} runs in {region}, and every region "
                                     "where an action runs needs its own artifact bucket.",
                                     f'Add "{region}": {{"type": "S3", "location": "<a bucket in '
                                     f'{region}>"}} to artifactStores.'))
    for placed in ctx.actions:
        region = _text(placed.action.region)
        if region is None or region == home:
            continue
        reason = _cannot_cross_region(placed)
        if reason and home:
            found.append(Problem(f"{placed.path}.region",
                                 f"is {region}, but {reason} cannot run outside the pipeline's own "
                                 f"region ({home}).",
                                 "Remove \"region\"; to work with another region, run a cross-region "
                                 "action in a later stage (and keep sources in the pipeline's region)."))
        elif single and not multi:
            found.append(Problem(f"{placed.path}.region",
                                 f"is {region}, but the pipeline has a single artifactStore; an action in "
                                 "another region needs artifactStores, with a bucket in each region.",
                                 'Replace "artifactStore" with "artifactStores": {"<pipeline region>": '
                                 f'{{...}}, "{region}": {{...}}}}, or remove "region" if the action runs '
                                 "in the pipeline's own region."))
    return found


def _first_action_per_region(ctx: _Context) -> dict[str, _Placed]:
    first: dict[str, _Placed] = {}
    for placed in ctx.actions:
        region = _text(placed.action.region)
        if region is not None:
            first.setdefault(region, placed)
    return first


def _cannot_cross_region(placed: _Placed) -> str | None:
    """Why this action may not run in another region (S12), or None when it may."""
    category, owner, provider = placed.type_key
    spec = placed.spec
    if category == "Source":
        return "a Source action"
    if owner in ("ThirdParty", "Custom"):
        return f"a {owner} action"
    if spec is not None and not spec.cross_region:
        return f"{_a(spec.title)} action"
    return None


# --------------------------------------------------------------------------------------------
# Namespaces and variable references


def _namespace_problems(ctx: _Context) -> list[Problem]:
    """Namespaces unique and distinct from artifact names; #{ns.key} names a namespace declared
    by an earlier action, #{variables.x} a declared pipeline variable."""
    found = []
    artifacts = {name for placed in ctx.actions for name in placed.outputs + placed.inputs}
    declared: dict[str, _Placed] = {}
    for placed in ctx.actions:
        namespace = _text(placed.action.namespace)
        if namespace is None:
            continue
        path = f"{placed.path}.namespace"
        if namespace in declared:
            found.append(Problem(path, f"namespace {namespace!r} is already declared by "
                                       f"{declared[namespace].label}; namespaces must be unique in "
                                       "a pipeline.",
                                 f"Give it another namespace, for example '{namespace}2'."))
            continue
        declared[namespace] = placed
        if namespace in artifacts:
            found.append(Problem(path, f"namespace {namespace!r} is also the name of an artifact; "
                                       "namespaces may not clash with artifact names.",
                                 f"Rename the namespace, for example '{namespace}Variables'."))
    variables = {v.name for v in ctx.pipeline.variables or [] if isinstance(v.name, str)}
    for path, text, consumer in _variable_texts(ctx):
        for match in VARIABLE_REFERENCE.finditer(text):
            problem = _reference_problem(path, match, consumer, declared, variables)
            found += [problem] if problem else []
    return found


def _variable_texts(ctx: _Context) -> list[tuple[str, str, Any]]:
    """(path, text, user) for every configuration value or environment variable value."""
    texts = []
    for placed in ctx.actions:
        for key, value in placed.configuration.items():
            if isinstance(value, str) and "#{" in value:
                texts.append((f"{placed.path}.configuration.{key}", value, placed))
        for k, variable in enumerate(placed.action.environment_variables or []):
            if isinstance(variable.value, str) and "#{" in variable.value:
                texts.append((f"{placed.path}.environmentVariables[{k}].value", variable.value, placed))
    for placed_rule in ctx.rules:
        for key, value in placed_rule.configuration.items():
            if isinstance(value, str) and "#{" in value:
                texts.append((f"{placed_rule.path}.configuration.{key}", value, placed_rule))
    return texts


def _reference_problem(path: str, match: re.Match, consumer: Any, declared: dict[str, _Placed],
                       variables: set[str]) -> Problem | None:
    namespace, key = match.group(1), match.group(2)
    if namespace == BUILT_IN_NAMESPACE:
        return None
    if namespace == PIPELINE_VARIABLES_NAMESPACE:
        if key in variables:
            return None
        guess = _did_you_mean(key, tuple(sorted(variables)))
        spelling = f" (did you mean '{guess}'?)" if guess else ""
        return Problem(path, f"{match.group(0)} refers to pipeline variable {key!r}, which is not "
                             'declared in "variables".',
                       f'Add {{"name": "{key}"}} to the pipeline\'s "variables" (V2 pipelines only), '
                       f"or fix the spelling{spelling}.")
    return _too_early_problem(path, match.group(0), namespace, consumer, declared)


# --------------------------------------------------------------------------------------------
# S19-S21: triggers, V2-only features, execution modes


def _trigger_problems(ctx: _Context) -> list[Problem]:
    """S19: a trigger watches a CodeStarSourceConnection source action of the first stage; at
    most one trigger per source action."""
    found = []
    first_stage = {p.name: p for p in ctx.actions if p.stage_index == 0}
    connections = [name for name, p in first_stage.items() if p.type_key == CONNECTION_SOURCE]
    watched: dict[str, int] = {}
    for i, trigger in enumerate(ctx.pipeline.triggers or []):
        config = trigger.git_configuration
        name = _text(config.source_action_name) if config is not None else None
        if name is None:
            continue
        path = f"triggers[{i}].gitConfiguration.sourceActionName"
        choices = ", ".join(connections) if connections else "none"
        if name in watched:
            first = f"triggers[{watched[name]}]"
            found.append(Problem(path, f"source action {name!r} already has a trigger ({first}); "
                                       "each source action takes at most one trigger.",
                                 f"Merge the two triggers' push and pullRequest filters into {first}."))
            continue
        watched[name] = i
        placed = first_stage.get(name)
        if placed is None:
            guess = _did_you_mean(name, tuple(connections))
            spelling = f"Did you mean '{guess}'? " if guess else ""
            found.append(Problem(path, f"names {name!r}, which is not an action of the first stage.",
                                 f"{spelling}Use the name of a CodeStarSourceConnection source action "
                                 f"of the first stage; there: {choices}."))
        elif placed.type_key != CONNECTION_SOURCE:
            found.append(Problem(path, f"names {placed.label}, a {placed.type_key[2]} action; triggers "
                                       "work only with CodeStarSourceConnection source actions (GitHub, "
                                       "GitLab, Bitbucket, GitHub Enterprise Server).",
                                 f"Point it at a connection source action (there: {choices}), or "
                                 "remove the trigger."))
    return found


def _v2_feature_problems(ctx: _Context) -> list[Problem]:
    """S20: what a V1 pipeline (pipelineType absent or V1) cannot have."""
    pipeline = ctx.pipeline
    if pipeline.effective_type != "V1":
        return []
    kind = "V1" if pipeline.pipeline_type == "V1" else "V1 (pipelineType is not set)"
    found = []

    def need_v2(path: str, feature: str) -> None:
        found.append(Problem(path, f"{feature} only in a V2 pipeline; this pipeline is {kind}.", V2_HINT))

    if pipeline.execution_mode in ("QUEUED", "PARALLEL"):
        need_v2("executionMode", f"the {pipeline.execution_mode} execution mode is available")
    if pipeline.variables:
        need_v2("variables", "pipeline-level variables are available")
    if pipeline.triggers:
        need_v2("triggers", "triggers (git push and pull-request filters) are available")
    for si, stage in enumerate(pipeline.stages or []):
        for condition_kind, _ in _condition_holders(stage):
            need_v2(f"stages[{si}].{condition_kind}", f"stage conditions ({condition_kind}) are available")
    for placed in ctx.actions:
        spec = placed.spec
        if spec is not None and spec.v2_only:
            need_v2(f"{placed.path}.actionTypeId.provider", f"the {spec.title} action is available")
    return found


def _condition_problems(ctx: _Context) -> list[Problem]:
    """Stage conditions: results allowed where, RETRY needs retryConfiguration, rule providers
    and their configuration; S21 no ROLLBACK in PARALLEL mode."""
    found = []
    parallel = ctx.pipeline.effective_execution_mode == "PARALLEL"
    for si, stage in enumerate(ctx.pipeline.stages or []):
        for kind, holder in _condition_holders(stage):
            path = f"stages[{si}].{kind}"
            if kind == "onFailure":
                found += _on_failure_result_problems(holder, path, parallel)
            for ci, condition in enumerate(holder.conditions or []):
                found += _condition_result_problems(_text(condition.result), kind,
                                                    f"{path}.conditions[{ci}].result", parallel)
    for placed_rule in ctx.rules:
        found += _rule_problems(placed_rule, ctx)
    return found


def _on_failure_result_problems(holder: Any, path: str, parallel: bool) -> list[Problem]:
    found = []
    result = _text(holder.result)
    if result == "SKIP":  # the one value of the Result enum not in ON_FAILURE_RESULTS
        found.append(Problem(f"{path}.result", "is SKIP, which does not apply to a failed stage.",
                             f"Use {', '.join(ON_FAILURE_RESULTS)} (RETRY with a retryConfiguration)."))
    if result == "RETRY" and holder.retry_configuration is None:
        found.append(Problem(f"{path}.retryConfiguration",
                             "is missing: onFailure result RETRY needs a retryConfiguration.",
                             'Add "retryConfiguration": {"retryMode": "FAILED_ACTIONS"} '
                             '(or "ALL_ACTIONS").'))
    if result == "ROLLBACK" and parallel:
        found.append(_parallel_rollback_problem(f"{path}.result"))
    return found


def _condition_result_problems(result: str | None, kind: str, path: str, parallel: bool) -> list[Problem]:
    if result is None or result not in ("ROLLBACK", "FAIL", "RETRY", "SKIP"):
        return []  # absent, or not a result at all (the shape check reports that)
    allowed = CONDITION_RESULTS[kind]
    if result not in allowed:
        return [Problem(path, f"is {result}, but a {kind} condition's result can only be "
                              f"{' or '.join(allowed)}.",
                        f"Use {' or '.join(allowed)}.")]
    if result == "ROLLBACK" and parallel:
        return [_parallel_rollback_problem(path)]
    return []


def _parallel_rollback_problem(path: str) -> Problem:
    return Problem(path, "is ROLLBACK, but a pipeline in PARALLEL execution mode cannot roll back "
                         "stages.",
                   'Use executionMode "QUEUED" or "SUPERSEDED", or a result other than ROLLBACK.')


def _rule_problems(placed_rule: _PlacedRule, ctx: _Context) -> list[Problem]:
    """One rule: a known provider, its required configuration, choices, commands, SKIP limits."""
    rule, path = placed_rule.rule, placed_rule.path
    provider = placed_rule.provider
    if provider is None:
        return []
    spec = catalog.rule_spec(provider)
    if spec is None:
        guess = _did_you_mean(provider, catalog.RULE_PROVIDERS)
        spelling = f'Did you mean "{guess}"? ' if guess else ""
        return [Problem(f"{path}.ruleTypeId.provider", f"{provider!r} is not a rule provider.",
                        f"{spelling}Rule providers: {', '.join(catalog.RULE_PROVIDERS)}.")]
    config = placed_rule.configuration
    found = _required_and_allowed_problems(config, spec, len(rule.input_artifacts or []), f"{path}.configuration",
                                           f"a {provider} rule", "the rule's configuration")
    if spec.uses_commands and rule.commands is None:
        found.append(Problem(f"{path}.commands", "is missing: a Commands rule needs the shell "
                                                 "commands to run.",
                             'Add "commands": ["./check.sh"].'))
    if not spec.uses_commands and rule.commands is not None:
        found.append(Problem(f"{path}.commands", f"only the Commands rule takes commands, not "
                                                 f"{provider}.", "Remove it."))
    if placed_rule.kind == "beforeEntry" and not spec.allowed_with_skip:
        stage = ctx.pipeline.stages[placed_rule.stage_index]
        condition = stage.before_entry.conditions[placed_rule.condition_index]
        if _text(condition.result) == "SKIP":
            usable = [s.provider for s in catalog.RULES if s.allowed_with_skip]
            found.append(Problem(f"{path}.ruleTypeId.provider",
                                 f"is {provider}, but a beforeEntry condition with result SKIP can "
                                 f"only use the rules {' and '.join(usable)}.",
                                 f"Use {' or '.join(usable)}, or the result FAIL."))
    return found


# --------------------------------------------------------------------------------------------
# The rules, in the order they run

STRUCTURE_RULES: tuple[Callable[[_Context], list[Problem]], ...] = (
    _stage_count_problems,
    _source_placement_problems,
    _unique_name_problems,
    _artifact_flow_problems,
    _action_type_problems,
    _provider_problems,
    _action_field_problems,
    _artifact_store_problems,
    _namespace_problems,
    _trigger_problems,
    _v2_feature_problems,
    _condition_problems,
)


# ============================================================================================
# Small helpers


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _text(value: Any) -> str | None:
    """The value when it is a string, else None (wrong types are the shape check's business)."""
    return value if isinstance(value, str) else None


def _artifact_names(artifacts: Any) -> list[str]:
    return [a.name for a in artifacts or [] if isinstance(a.name, str)]


def _is_opaque(value: str) -> bool:
    """A value only known at run time (#{...} variables) or masked by get_pipeline (****)."""
    return value == MASKED_SECRET or "#{" in value


def _did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The closest choice: the same word in other case first, then difflib's best match."""
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _not_a_choice_problem(value: str, allowed: tuple[str, ...], path: str, what: str) -> Problem:
    guess = _did_you_mean(value, allowed)
    listed = ", ".join(allowed)
    if guess:
        hint = f'Did you mean "{guess}"? The allowed values are: {listed}.'
    elif len(allowed) == 1:
        hint = f'Use "{allowed[0]}".'
    else:
        hint = "Use one of: " + ", ".join(f'"{value}"' for value in allowed) + "."
    return Problem(path, f"{value!r} is not a valid {what}; it must be one of: {listed}.", hint)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({json.dumps(value)})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _count_words(low: int, high: int) -> str:
    if low == high == 0:
        return "none"
    if low == high:
        return f"exactly {low}"
    return f"{low} to {high}"


def _minutes_words(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "", name) or "Action"
