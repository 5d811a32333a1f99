"""Unit tests for model.py: the dataclasses round-trip the exact boto3 structure, nothing more.

What a definition says comes back out unchanged (absent stays absent, empty stays empty, unknown
keys survive); what it does not say is not invented (constructor defaults do not leak into
from_api); broken structure is reported with the API path of the broken part.
"""

import copy
import datetime
import json
import pickle
from dataclasses import fields

import pytest

from pipeline_workbook import model
from pipeline_workbook.model import (
    Action,
    ActionTypeId,
    ApiObject,
    ArtifactStore,
    BeforeEntryConditions,
    BlockerDeclaration,
    Condition,
    EncryptionKey,
    EnvironmentVariable,
    FailureConditions,
    FilterCriteria,
    GitConfiguration,
    GitPullRequestFilter,
    GitPushFilter,
    InputArtifact,
    OutputArtifact,
    Pipeline,
    PipelineError,
    PipelineVariable,
    Problem,
    ProblemList,
    RetryConfiguration,
    Rule,
    RuleTypeId,
    Stage,
    SuccessConditions,
    Trigger,
)

ROLE = "arn:aws:iam::123456789012:role/wb-pipeline"

# --------------------------------------------------------------------------------------------
# One sample per class, each using every API field of its class (checked below).

KEY = {"id": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "type": "KMS"}
STORE = {"type": "S3", "location": "wb-artifacts-123456789012", "encryptionKey": KEY}
BUILD_TYPE = {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}
CRITERIA = {"includes": ["main", "release/*"], "excludes": ["release/old-*"]}
ALARM_RULE = {
    "name": "ErrorRate",
    "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "CloudWatchAlarm", "version": "1"},
    "configuration": {"AlarmName": "wb-5xx", "WaitTime": "10"},
    "commands": ["echo checking"],
    "inputArtifacts": [{"name": "Src"}],
    "roleArn": ROLE,
    "region": "us-east-1",
    "timeoutInMinutes": 30,
}
CONDITION = {"result": "ROLLBACK", "rules": [ALARM_RULE]}
ACTION = {
    "name": "Build",
    "actionTypeId": BUILD_TYPE,
    "runOrder": 2,
    "configuration": {"ProjectName": "wb-build"},
    "commands": ["make test"],
    "outputArtifacts": [{"name": "Out", "files": ["dist/**"]}],
    "inputArtifacts": [{"name": "Src"}],
    "outputVariables": ["VERSION"],
    "roleArn": ROLE,
    "region": "us-west-2",
    "namespace": "BuildVariables",
    "timeoutInMinutes": 60,
    "environmentVariables": [{"name": "STAGE", "value": "beta", "type": "PLAINTEXT"}],
}
SOURCE_ACTION = {
    "name": "Source",
    "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
    "configuration": {"RepositoryName": "wb", "BranchName": "main"},
    "outputArtifacts": [{"name": "Src"}],
}
STAGE = {
    "name": "Beta",
    "actions": [ACTION],
    "blockers": [{"name": "Freeze", "type": "Schedule"}],
    "onFailure": {"result": "RETRY", "retryConfiguration": {"retryMode": "FAILED_ACTIONS"}, "conditions": [CONDITION]},
    "onSuccess": {"conditions": [CONDITION]},
    "beforeEntry": {"conditions": [{"result": "FAIL", "rules": [ALARM_RULE]}]},
}
TRIGGER = {
    "providerType": "CodeStarSourceConnection",
    "gitConfiguration": {
        "sourceActionName": "Source",
        "push": [{"tags": CRITERIA, "branches": CRITERIA, "filePaths": CRITERIA}],
        "pullRequest": [{"events": ["OPEN", "UPDATED"], "branches": CRITERIA, "filePaths": CRITERIA}],
    },
}
PIPELINE = {
    "name": "wb-pipeline",
    "roleArn": ROLE,
    "artifactStore": STORE,
    "artifactStores": {"us-east-1": STORE, "us-west-2": {"type": "S3", "location": "wb-artifacts-us-west-2"}},
    "stages": [{"name": "Source", "actions": [SOURCE_ACTION]}, STAGE],
    "version": 3,
    "executionMode": "QUEUED",
    "pipelineType": "V2",
    "variables": [{"name": "Env", "defaultValue": "beta", "description": "where to deploy"}],
    "triggers": [TRIGGER],
}

SAMPLES = {
    EncryptionKey: KEY,
    ArtifactStore: STORE,
    ActionTypeId: BUILD_TYPE,
    InputArtifact: {"name": "Src"},
    OutputArtifact: {"name": "Out", "files": ["dist/**", "template.yaml"]},
    EnvironmentVariable: {"name": "TOKEN", "value": "wb/token", "type": "SECRETS_MANAGER"},
    BlockerDeclaration: {"name": "Freeze", "type": "Schedule"},
    RuleTypeId: ALARM_RULE["ruleTypeId"],
    Rule: ALARM_RULE,
    Condition: CONDITION,
    RetryConfiguration: {"retryMode": "ALL_ACTIONS"},
    FailureConditions: STAGE["onFailure"],
    SuccessConditions: STAGE["onSuccess"],
    BeforeEntryConditions: STAGE["beforeEntry"],
    FilterCriteria: CRITERIA,
    GitPushFilter: TRIGGER["gitConfiguration"]["push"][0],
    GitPullRequestFilter: TRIGGER["gitConfiguration"]["pullRequest"][0],
    GitConfiguration: TRIGGER["gitConfiguration"],
    Trigger: TRIGGER,
    PipelineVariable: PIPELINE["variables"][0],
    Action: ACTION,
    Stage: STAGE,
    Pipeline: PIPELINE,
}
CLASSES = list(SAMPLES)


def api_names(cls) -> set[str]:
    return {f.metadata["api"] for f in fields(cls) if f.metadata.get("api")}


def minimal_pipeline(**changes) -> dict:
    """A small valid definition (two stages) to change one thing in."""
    data = {
        "name": "wb-small",
        "roleArn": ROLE,
        "artifactStore": {"type": "S3", "location": "wb-artifacts"},
        "stages": [
            {"name": "Source", "actions": [copy.deepcopy(SOURCE_ACTION)]},
            {"name": "Build", "actions": [{"name": "Build", "actionTypeId": dict(BUILD_TYPE),
                                           "configuration": {"ProjectName": "wb-build"},
                                           "inputArtifacts": [{"name": "Src"}]}]},
        ],
    }
    data.update(changes)
    return data


# --------------------------------------------------------------------------------------------
# from_api / to_api, class by class


def test_every_model_class_has_a_sample_using_all_its_fields():
    model_classes = {c for c in vars(model).values() if isinstance(c, type) and issubclass(c, ApiObject)}
    assert model_classes - {ApiObject} == set(SAMPLES)
    for cls, sample in SAMPLES.items():
        assert set(sample) == api_names(cls), cls.__name__


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_from_api_then_to_api_gives_the_input_back(cls):
    sample = copy.deepcopy(SAMPLES[cls])
    assert cls.from_api(sample).to_api() == SAMPLES[cls]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_from_api_puts_each_key_in_its_snake_case_field_with_the_right_class(cls):
    obj = cls.from_api(copy.deepcopy(SAMPLES[cls]))
    for f in fields(cls):
        api_name, kind = f.metadata.get("api"), f.metadata.get("kind")
        if not api_name:
            continue
        value = getattr(obj, f.name)
        if kind is None:
            assert value == SAMPLES[cls][api_name], f.name
        elif isinstance(kind, tuple) and kind[0] == "list":
            assert [type(item) for item in value] == [kind[1]] * len(SAMPLES[cls][api_name]), f.name
        elif isinstance(kind, tuple) and kind[0] == "map":
            assert {k: type(v) for k, v in value.items()} == {k: kind[1] for k in SAMPLES[cls][api_name]}
        else:
            assert type(value) is kind, f.name


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_from_api_copies_its_input_and_to_api_returns_fresh_dicts(cls):
    sample = copy.deepcopy(SAMPLES[cls])
    obj = cls.from_api(sample)
    _scramble(sample)
    out = obj.to_api()
    assert out == SAMPLES[cls]
    _scramble(out)
    assert obj.to_api() == SAMPLES[cls]


def _scramble(value):
    """Change every list and map in place, so that a shared reference would show."""
    if isinstance(value, dict):
        for item in value.values():
            _scramble(item)
        value["scrambled"] = True
    elif isinstance(value, list):
        for item in value:
            _scramble(item)
        value.append("scrambled")


def test_attributes_hold_the_values_under_their_python_names():
    action = Action.from_api(copy.deepcopy(ACTION))
    assert action.action_type_id.provider == "CodeBuild"
    assert action.run_order == 2
    assert action.output_artifacts[0].files == ["dist/**"]
    assert action.environment_variables[0].value == "beta"
    assert action.timeout_in_minutes == 60
    stage = Stage.from_api(copy.deepcopy(STAGE))
    assert stage.on_failure.retry_configuration.retry_mode == "FAILED_ACTIONS"
    assert stage.on_success.conditions[0].rules[0].rule_type_id.provider == "CloudWatchAlarm"
    trigger = Trigger.from_api(copy.deepcopy(TRIGGER))
    assert trigger.git_configuration.pull_request[0].file_paths.excludes == ["release/old-*"]
    pipeline = Pipeline.from_api(copy.deepcopy(PIPELINE))
    assert pipeline.artifact_stores["us-west-2"].location == "wb-artifacts-us-west-2"
    assert pipeline.artifact_store.encryption_key.id == KEY["id"]


# --------------------------------------------------------------------------------------------
# Absent, empty and unknown


def test_absent_fields_are_none_and_stay_absent():
    data = {"name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3"}}
    action = Action.from_api(data)
    assert (action.run_order, action.configuration, action.input_artifacts, action.region) == (None, None, None, None)
    assert action.to_api() == data
    assert "runOrder" not in action.to_api() and "version" not in action.to_api()["actionTypeId"]


def test_present_but_empty_lists_and_maps_stay_present():
    data = {"name": "Approve", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual",
                                                 "version": "1"},
            "runOrder": 1, "configuration": {}, "inputArtifacts": [], "outputArtifacts": []}
    action = Action.from_api(copy.deepcopy(data))
    assert action.configuration == {} and action.input_artifacts == [] and action.output_artifacts == []
    assert action.to_api() == data
    stage = Stage.from_api({"name": "Empty", "actions": []})
    assert stage.actions == [] and stage.to_api() == {"name": "Empty", "actions": []}


def test_null_values_are_read_as_absent():
    action = Action.from_api({"name": "A", "runOrder": None, "region": None})
    assert action.run_order is None and action.region is None
    assert action.to_api() == {"name": "A"}


@pytest.mark.parametrize("where", ["pipeline", "stage", "action", "actionTypeId", "rule", "artifactStore"])
def test_unknown_keys_are_kept_in_extra_and_written_back(where):
    data = copy.deepcopy(PIPELINE)
    future = {"futureField": {"nested": [1, 2]}, "anotherOne": "x"}
    holder = {
        "pipeline": data,
        "stage": data["stages"][1],
        "action": data["stages"][1]["actions"][0],
        "actionTypeId": data["stages"][1]["actions"][0]["actionTypeId"],
        "rule": data["stages"][1]["onSuccess"]["conditions"][0]["rules"][0],
        "artifactStore": data["artifactStore"],
    }[where]
    holder.update(copy.deepcopy(future))
    pipeline = Pipeline.from_api(copy.deepcopy(data))
    assert pipeline.to_api() == data
    obj = {
        "pipeline": pipeline,
        "stage": pipeline.stages[1],
        "action": pipeline.stages[1].actions[0],
        "actionTypeId": pipeline.stages[1].actions[0].action_type_id,
        "rule": pipeline.stages[1].on_success.conditions[0].rules[0],
        "artifactStore": pipeline.artifact_store,
    }[where]
    assert obj.extra == future


def test_extra_takes_part_in_equality_but_metadata_does_not():
    plain = Pipeline.from_api(minimal_pipeline())
    assert Pipeline.from_api(minimal_pipeline(futureField=1)) != plain
    with_metadata = Pipeline.from_api({"pipeline": minimal_pipeline(), "metadata": {"pipelineArn": "x"}})
    assert with_metadata == plain


@pytest.mark.parametrize(
    "cls, data, field_name",
    [
        (ActionTypeId, {"category": "Build", "owner": "AWS", "provider": "CodeBuild"}, "version"),
        (ArtifactStore, {"location": "wb-artifacts"}, "type"),
        (EncryptionKey, {"id": "alias/wb"}, "type"),
        (RuleTypeId, {"provider": "CloudWatchAlarm"}, "category"),
        (RuleTypeId, {"provider": "CloudWatchAlarm"}, "owner"),
        (RuleTypeId, {"provider": "CloudWatchAlarm"}, "version"),
        (Trigger, {"gitConfiguration": {"sourceActionName": "Source"}}, "provider_type"),
    ],
)
def test_constructor_defaults_do_not_leak_into_from_api(cls, data, field_name):
    assert getattr(cls(), field_name) is not None  # the constructor does fill it in...
    obj = cls.from_api(copy.deepcopy(data))
    assert getattr(obj, field_name) is None  # ...but from_api keeps it absent
    assert obj.to_api() == data


def test_constructors_fill_in_the_usual_values():
    assert ActionTypeId(category="Build", owner="AWS", provider="CodeBuild").to_api()["version"] == "1"
    assert ArtifactStore(location="wb").to_api() == {"location": "wb", "type": "S3"}
    assert RuleTypeId(provider="DeploymentWindow").to_api() == {
        "category": "Rule", "owner": "AWS", "provider": "DeploymentWindow", "version": "1"}
    assert Trigger().to_api() == {"providerType": "CodeStarSourceConnection"}
    assert Action(name="A").to_api() == {"name": "A"}


# --------------------------------------------------------------------------------------------
# The three shapes a definition arrives in


def test_get_pipeline_response_keeps_metadata_aside():
    metadata = {"pipelineArn": "arn:aws:codepipeline:us-east-1:123456789012:wb-small",
                "created": "2024-01-02T03:04:05.000000+00:00", "updated": "2024-02-03T04:05:06.000000+00:00"}
    response = {"pipeline": minimal_pipeline(version=4), "metadata": metadata}
    pipeline = Pipeline.from_api(copy.deepcopy(response))
    assert pipeline.metadata == metadata
    assert pipeline.version == 4
    assert pipeline.to_api() == response["pipeline"]
    assert "metadata" not in pipeline.to_api() and "metadata" not in pipeline.extra


def test_get_pipeline_response_from_boto3_with_datetimes_still_writes_json():
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    response = {"pipeline": minimal_pipeline(), "metadata": {"pipelineArn": "arn:x", "created": when, "updated": when},
                "ResponseMetadata": {"HTTPStatusCode": 200}}
    pipeline = Pipeline.from_api(response)
    assert pipeline.metadata["created"] == when
    assert json.loads(pipeline.to_json()) == {"pipeline": minimal_pipeline()}


def test_metadata_is_a_copy_of_the_response():
    response = {"pipeline": minimal_pipeline(), "metadata": {"pipelineArn": "arn:x"}}
    pipeline = Pipeline.from_api(response)
    response["metadata"]["pipelineArn"] = "changed"
    assert pipeline.metadata == {"pipelineArn": "arn:x"}


def test_cli_input_json_shape_has_no_metadata():
    pipeline = Pipeline.from_api({"pipeline": minimal_pipeline()})
    assert pipeline.metadata is None
    assert pipeline.to_api() == minimal_pipeline()


def test_bare_definition():
    pipeline = Pipeline.from_api(minimal_pipeline())
    assert pipeline.metadata is None and pipeline.name == "wb-small"
    assert pipeline.to_api() == minimal_pipeline()


# --------------------------------------------------------------------------------------------
# Structural errors name the path


def test_a_pipeline_error_survives_pickling_with_its_problems():
    # compare() runs designs in worker processes: an error raised there comes back pickled
    data = minimal_pipeline()
    data["stages"][1]["actions"] = {"name": "Build"}
    with pytest.raises(PipelineError) as caught:
        Pipeline.from_api(data)
    again = pickle.loads(pickle.dumps(caught.value))
    assert type(again) is PipelineError
    assert str(again) == str(caught.value)
    assert again.problems == caught.value.problems
    assert again.name == caught.value.name


def _problem_of(data) -> Problem:
    with pytest.raises(PipelineError) as caught:
        Pipeline.from_api(data)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def test_actions_that_are_not_a_list():
    data = minimal_pipeline()
    data["stages"][1]["actions"] = {"name": "Build"}
    problem = _problem_of(data)
    assert problem.path == "stages[1].actions"
    assert problem.message == "must be a list, found an object."
    assert "[ ... ]" in problem.hint


def test_nested_object_that_is_a_string():
    data = minimal_pipeline()
    data["stages"][1]["actions"][0]["actionTypeId"] = "CodeBuild"
    problem = _problem_of(data)
    assert problem.path == "stages[1].actions[0].actionTypeId"
    assert problem.message == "must be an object, found a string."


def test_list_item_that_is_not_an_object():
    data = minimal_pipeline()
    data["stages"][0]["actions"][0]["outputArtifacts"] = ["Src"]
    assert _problem_of(data).path == "stages[0].actions[0].outputArtifacts[0]"


def test_artifact_stores_that_are_a_list_or_hold_a_string():
    problem = _problem_of(minimal_pipeline(artifactStores=[{"type": "S3", "location": "x"}]))
    assert (problem.path, problem.message) == ("artifactStores", "must be an object keyed by region, found a list.")
    problem = _problem_of(minimal_pipeline(artifactStores={"us-west-2": "wb-artifacts-west"}))
    assert problem.path == "artifactStores.us-west-2"


def test_errors_inside_a_get_pipeline_response_use_paths_inside_the_pipeline():
    problem = _problem_of({"pipeline": minimal_pipeline(stages="Source,Build"), "metadata": {}})
    assert (problem.path, problem.message) == ("stages", "must be a list, found a string.")


def test_a_definition_that_is_not_an_object():
    problem = _problem_of(["not", "a", "pipeline"])
    assert problem.path == "Pipeline" and problem.message == "must be an object, found a list."


def test_structural_error_reads_as_one_message_with_the_path():
    data = minimal_pipeline()
    data["stages"][1]["actions"] = 3
    with pytest.raises(PipelineError) as caught:
        Pipeline.from_api(data)
    assert str(caught.value) == (
        "the pipeline definition has 1 problem:\n"
        "  1. stages[1].actions: must be a list, found int. Fix: Write it as a JSON list: [ ... ]."
    )
    assert isinstance(caught.value, ValueError)


# --------------------------------------------------------------------------------------------
# Reading the structure


def _action(name: str, run_order: int | None = None, **extra) -> Action:
    return Action(name=name, action_type_id=ActionTypeId(category="Build", owner="AWS", provider="CodeBuild"),
                  run_order=run_order, **extra)


def test_run_order_groups_are_ascending_and_keep_definition_order():
    stage = Stage(name="Deploy", actions=[_action("c", 3), _action("a"), _action("b", 2), _action("a2", 1),
                                           _action("b2", 2)])
    groups = [(order, [a.name for a in actions]) for order, actions in stage.run_order_groups()]
    assert groups == [(1, ["a", "a2"]), (2, ["b", "b2"]), (3, ["c"])]


def test_run_order_groups_of_an_empty_stage():
    assert Stage(name="Empty", actions=[]).run_order_groups() == []
    assert Stage(name="Nothing").run_order_groups() == []


@pytest.mark.parametrize("run_order, effective", [(None, 1), (1, 1), (7, 7), (999, 999)])
def test_effective_run_order(run_order, effective):
    assert _action("a", run_order).effective_run_order == effective


def test_action_helpers():
    action = Action.from_api(copy.deepcopy(ACTION))
    assert (action.category, action.provider) == ("Build", "CodeBuild")
    assert action.inputs == ["Src"] and action.outputs == ["Out"]
    assert action.config("ProjectName") == "wb-build"
    assert action.config("PrimarySource") is None and action.config("PrimarySource", "Src") == "Src"
    bare = Action(name="bare")
    assert (bare.category, bare.provider, bare.inputs, bare.outputs, bare.config("X", "d")) == (None, None, [], [], "d")


def test_stage_lookup_names_the_stages_there_are():
    pipeline = Pipeline.from_api(minimal_pipeline())
    assert pipeline.stage("Build") is pipeline.stages[1]
    with pytest.raises(KeyError) as caught:
        pipeline.stage("Prod")
    assert caught.value.args[0] == "pipeline 'wb-small' has no stage 'Prod'; its stages are: 'Source', 'Build'"


def test_action_lookup_names_the_actions_there_are():
    stage = Stage(name="Deploy", actions=[_action("Beta"), _action("Gamma")])
    assert stage.action("Gamma") is stage.actions[1]
    with pytest.raises(KeyError) as caught:
        stage.action("Prod")
    assert caught.value.args[0] == "stage 'Deploy' has no action 'Prod'; its actions are: 'Beta', 'Gamma'"


def test_iter_actions_walks_every_action_in_definition_order():
    pipeline = Pipeline.from_api(copy.deepcopy(PIPELINE))
    pipeline.stages.append(Stage(name="Nothing"))
    pipeline.stages[1].actions.append(_action("Second"))
    walked = [(si, stage.name, ai, action.name) for si, stage, ai, action in pipeline.iter_actions()]
    assert walked == [(0, "Source", 0, "Source"), (1, "Beta", 0, "Build"), (1, "Beta", 1, "Second")]
    assert list(Pipeline(name="empty").iter_actions()) == []


def test_regions_are_distinct_in_order_of_first_appearance():
    stages = [Stage(name="A", actions=[_action("1"), _action("2", region="eu-west-1")]),
              Stage(name="B", actions=[_action("3", region="us-west-2"), _action("4", region="eu-west-1"),
                                       _action("5", region="us-east-1")])]
    assert Pipeline(name="p", stages=stages).regions() == ["eu-west-1", "us-west-2", "us-east-1"]
    assert Pipeline.from_api(minimal_pipeline()).regions() == []


def test_effective_type_and_execution_mode():
    assert Pipeline.from_api(minimal_pipeline()).effective_type == "V1"
    assert Pipeline.from_api(minimal_pipeline()).effective_execution_mode == "SUPERSEDED"
    v2 = Pipeline.from_api(minimal_pipeline(pipelineType="V2", executionMode="PARALLEL"))
    assert (v2.effective_type, v2.effective_execution_mode) == ("V2", "PARALLEL")


def test_repr_summarises_the_pipeline():
    assert repr(Pipeline.from_api(copy.deepcopy(PIPELINE))) == "<Pipeline 'wb-pipeline': V2, 2 stages, 2 actions>"
    assert repr(Pipeline()) == "<Pipeline None: V1, 0 stages, 0 actions>"


# --------------------------------------------------------------------------------------------
# Copies and JSON text


def test_copy_is_independent_of_the_original():
    original = Pipeline.from_api({"pipeline": copy.deepcopy(PIPELINE), "metadata": {"pipelineArn": "arn:x"}})
    duplicate = original.copy()
    assert duplicate == original and duplicate is not original
    duplicate.stages[1].actions[0].configuration["ProjectName"] = "other"
    duplicate.stages[1].name = "Gamma"
    duplicate.triggers[0].git_configuration.push[0].tags.includes.append("v*")
    duplicate.artifact_stores["us-west-2"].location = "elsewhere"
    duplicate.metadata["pipelineArn"] = "arn:y"
    duplicate.extra["new"] = True
    assert original.to_api() == PIPELINE
    assert original.metadata == {"pipelineArn": "arn:x"}


def test_to_json_is_the_cli_input_json_shape():
    pipeline = Pipeline.from_api(copy.deepcopy(PIPELINE))
    text = pipeline.to_json()
    assert json.loads(text) == {"pipeline": PIPELINE}
    assert text.startswith('{\n  "pipeline": {\n    "name"')
    one_line = pipeline.to_json(indent=None)
    assert "\n" not in one_line and json.loads(one_line) == {"pipeline": PIPELINE}


def test_from_json_reads_all_three_shapes():
    expected = Pipeline.from_api(copy.deepcopy(PIPELINE))
    assert Pipeline.from_json(json.dumps(PIPELINE)) == expected
    assert Pipeline.from_json(expected.to_json()) == expected
    response = Pipeline.from_json(json.dumps({"pipeline": PIPELINE, "metadata": {"pipelineArn": "arn:x"}}))
    assert response == expected and response.metadata == {"pipelineArn": "arn:x"}


# --------------------------------------------------------------------------------------------
# Problems and errors


def test_problem_text_with_and_without_hint():
    assert str(Problem("stages[0]", "is empty.", "Add a source action.")) == "stages[0]: is empty. Fix: Add a source action."
    assert str(Problem("name", "is missing.")) == "name: is missing."


def test_problem_list_reads_well():
    assert repr(ProblemList()) == "No problems."
    one = ProblemList([Problem("name", "is missing.", "Name it.")])
    assert repr(one) == "1 problem:\n  1. name: is missing. Fix: Name it."
    two = ProblemList([Problem("a", "x."), Problem("b", "y.", "z.")])
    assert repr(two) == "2 problems:\n  1. a: x.\n  2. b: y. Fix: z."
    assert two == [Problem("a", "x."), Problem("b", "y.", "z.")]


def test_problem_list_html_escapes_and_numbers_rows():
    assert ProblemList()._repr_html_() == "<p><b>No problems.</b></p>"
    html = ProblemList([Problem("stages[0].actions", "has <2> & more", "use \"quotes\"")])._repr_html_()
    assert "<td>1</td><td><code>stages[0].actions</code></td>" in html
    assert "has &lt;2&gt; &amp; more" in html and "use &quot;quotes&quot;" in html


def test_pipeline_error_lists_every_problem_under_the_pipeline_name():
    error = PipelineError([Problem("stages", "has 1 stage.", "Add a second."), Problem("roleArn", "is missing.")],
                          name="wb-small")
    assert str(error) == (
        "pipeline 'wb-small' has 2 problems:\n"
        "  1. stages: has 1 stage. Fix: Add a second.\n"
        "  2. roleArn: is missing."
    )
    assert isinstance(error.problems, ProblemList) and len(error.problems) == 2
    assert str(PipelineError([Problem("name", "is missing.")])).startswith("the pipeline definition has 1 problem:")
