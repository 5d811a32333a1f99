"""The fixture corpus: realistic definitions in the shapes people have them, all handled exactly.

Each file in tests/fixtures/pipelines/ is either a get_pipeline response (`get-*`), a
`--cli-input-json` file (`cli-*`) or a bare pipeline dict (`bare-*`); README.md there says what
each one exercises. Every one must round-trip exactly, pass botocore's parameter validation and
our validator, be accepted by moto, and draw with all its stages.
"""

import copy
import json
import re
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.validate import validate_parameters
from moto import mock_aws

from pipeline_workbook.catalog import provider_spec
from pipeline_workbook.model import Pipeline
from strategies import HOME_REGION, PIPELINE_ROLE_NAME, catalog_breaches

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "pipelines"
FIXTURES = sorted(FIXTURE_DIR.glob("*.json"))
IDS = [path.stem for path in FIXTURES]
ACCOUNT = "123456789012"
TRUST_POLICY = {
    "Version": "2012-10-17",
    # moto accepts only the plain-string form of the service principal (reference 6.2).
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def definition_of(data: dict) -> dict:
    """The pipeline declaration inside a fixture, whatever its shape."""
    return data if "stages" in data else data["pipeline"]


def form_of(path: Path) -> str:
    return path.name.split("-")[0]


def fixtures_of(form: str) -> list[Path]:
    return [path for path in FIXTURES if form_of(path) == form]


def input_shape(operation: str):
    model = botocore.session.get_session().get_service_model("codepipeline")
    return model.operation_model(operation).input_shape


# --------------------------------------------------------------------------------------------
# The corpus itself


def test_corpus_has_at_least_14_definitions_in_all_three_shapes():
    assert len(FIXTURES) >= 14
    assert {form_of(path) for path in FIXTURES} == {"get", "cli", "bare"}
    for form in ("get", "cli", "bare"):
        assert len(fixtures_of(form)) >= 3, form


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_file_name_says_its_shape(path):
    data = load(path)
    shape = {"get": ("pipeline", "metadata"), "cli": ("pipeline",)}.get(form_of(path))
    if shape is None:
        assert "stages" in data and "pipeline" not in data
    else:
        assert set(data) == set(shape)


def test_readme_describes_every_fixture_and_no_other():
    readme = (FIXTURE_DIR / "README.md").read_text()
    listed = set(re.findall(r"`([\w.-]+\.json)`", readme))
    assert listed == {path.name for path in FIXTURES}


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_only_the_placeholder_account_appears(path):
    text = path.read_text()
    arn_accounts = set(re.findall(r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d*):", text))
    assert arn_accounts <= {ACCOUNT, ""}
    assert set(re.findall(r"(?<![\w-])\d{12}(?!\w)", text)) <= {ACCOUNT}


@pytest.mark.parametrize("path", fixtures_of("get"), ids=[p.stem for p in fixtures_of("get")])
def test_get_pipeline_responses_look_as_aws_prints_them(path):
    data = load(path)
    pipeline = data["pipeline"]
    assert data["metadata"]["pipelineArn"] == f"arn:aws:codepipeline:{HOME_REGION}:{ACCOUNT}:{pipeline['name']}"
    assert isinstance(pipeline["version"], int)
    for stage in pipeline["stages"]:
        for action in stage["actions"]:
            assert {"runOrder", "configuration", "inputArtifacts", "outputArtifacts"} <= set(action), action["name"]


@pytest.mark.parametrize("path", fixtures_of("cli") + fixtures_of("bare"),
                         ids=[p.stem for p in fixtures_of("cli") + fixtures_of("bare")])
def test_repository_definitions_leave_out_what_can_be_left_out(path):
    text = path.read_text()
    assert "[]" not in text and "{}" not in text
    actions = [a for stage in definition_of(load(path))["stages"] for a in stage["actions"]]
    assert any("runOrder" not in action for action in actions)


# What the corpus must exercise, each as a test over the parsed definitions.
def _actions(p: Pipeline):
    return [action for _, _, _, action in p.iter_actions()]


def _type(action) -> tuple:
    t = action.action_type_id
    return (t.category, t.owner, t.provider)


def _conditions(p: Pipeline):
    return [(kind, holder) for stage in p.stages for kind, holder in
            (("onFailure", stage.on_failure), ("onSuccess", stage.on_success), ("beforeEntry", stage.before_entry))
            if holder]


def _stores(p: Pipeline) -> list:
    return ([p.artifact_store] if p.artifact_store else []) + list((p.artifact_stores or {}).values())


def _rule_providers(p: Pipeline, kind: str) -> set:
    return {rule.rule_type_id.provider for k, holder in _conditions(p) if k == kind
            for condition in holder.conditions or [] for rule in condition.rules}


FEATURES = {
    "masked GitHub v1 OAuthToken": lambda p, d: any(a.config("OAuthToken") == "****" for a in _actions(p)),
    "pipeline region on actions with artifactStores": lambda p, d: bool(p.artifact_stores) and p.metadata is not None
    and all(a.region for a in _actions(p)),
    "namespaces and #{SourceVariables.CommitId}": lambda p, d: any(a.namespace for a in _actions(p))
    and "#{SourceVariables.CommitId}" in json.dumps(d),
    "push trigger with branches and file paths": lambda p, d: any(f.branches and f.file_paths for t in p.triggers or []
                                                                 for f in t.git_configuration.push or []),
    "push trigger on tags": lambda p, d: any(f.tags for t in p.triggers or [] for f in t.git_configuration.push or []),
    "pull-request trigger": lambda p, d: any(t.git_configuration.pull_request for t in p.triggers or []),
    "pipeline variables used as #{variables.X}": lambda p, d: bool(p.variables) and "#{variables." in json.dumps(d),
    "executionMode QUEUED": lambda p, d: p.execution_mode == "QUEUED",
    "executionMode PARALLEL": lambda p, d: p.execution_mode == "PARALLEL",
    "onFailure ROLLBACK": lambda p, d: any(s.on_failure and s.on_failure.result == "ROLLBACK" for s in p.stages),
    "onFailure RETRY with retryConfiguration": lambda p, d: any(
        s.on_failure and s.on_failure.result == "RETRY" and s.on_failure.retry_configuration for s in p.stages),
    "onSuccess CloudWatchAlarm rule": lambda p, d: "CloudWatchAlarm" in _rule_providers(p, "onSuccess"),
    "beforeEntry DeploymentWindow rule": lambda p, d: "DeploymentWindow" in _rule_providers(p, "beforeEntry"),
    "Jenkins custom action": lambda p, d: any(_type(a) == ("Build", "Custom", "Jenkins") for a in _actions(p)),
    "extra configuration keys of a custom provider": lambda p, d: any(
        a.action_type_id.owner == "Custom" and provider_spec(*_type(a)) is None and len(a.configuration) > 1
        for a in _actions(p)),
    "ThirdParty provider unknown to the catalog": lambda p, d: any(
        a.action_type_id.owner == "ThirdParty" and provider_spec(*_type(a)) is None for a in _actions(p)),
    "CodeCommit source": lambda p, d: any(_type(a) == ("Source", "AWS", "CodeCommit") for a in _actions(p)),
    "S3 source": lambda p, d: any(_type(a) == ("Source", "AWS", "S3") for a in _actions(p)),
    "ECR source": lambda p, d: any(_type(a) == ("Source", "AWS", "ECR") for a in _actions(p)),
    "change set replace and execute": lambda p, d: {"CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE"}
    <= {a.config("ActionMode") for a in _actions(p)},
    "ECS blue/green": lambda p, d: any(a.provider == "CodeDeployToECS" for a in _actions(p)),
    "Lambda invoke": lambda p, d: any(_type(a) == ("Invoke", "AWS", "Lambda") for a in _actions(p)),
    "Step Functions invoke": lambda p, d: any(a.provider == "StepFunctions" for a in _actions(p)),
    "S3 deploy": lambda p, d: any(_type(a) == ("Deploy", "AWS", "S3") for a in _actions(p)),
    "deploys to three or more other regions": lambda p, d: len(set(p.regions()) - {HOME_REGION}) >= 3,
    "cross-account action roleArn": lambda p, d: any(a.role_arn for a in _actions(p)),
    "KMS key on the artifact store": lambda p, d: any(store.encryption_key for store in _stores(p)),
    "Commands action": lambda p, d: any(a.commands and a.environment_variables and a.output_variables
                                        for a in _actions(p)),
}


@pytest.mark.parametrize("feature", list(FEATURES))
def test_corpus_exercises(feature):
    parsed = [(Pipeline.from_json(path.read_text()), definition_of(load(path))) for path in FIXTURES]
    assert any(FEATURES[feature](pipeline, data) for pipeline, data in parsed), f"no fixture has: {feature}"


# --------------------------------------------------------------------------------------------
# The model handles every fixture


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_round_trip_is_exact(path):
    data = load(path)
    pipeline = Pipeline.from_api(copy.deepcopy(data))
    assert pipeline.to_api() == definition_of(data)
    expected_metadata = data["metadata"] if form_of(path) == "get" else None
    assert pipeline.metadata == expected_metadata


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_round_trip_through_json_text(path):
    data = load(path)
    pipeline = Pipeline.from_json(path.read_text())
    assert json.loads(json.dumps(pipeline.to_api())) == definition_of(data)
    again = Pipeline.from_json(pipeline.to_json())
    assert again == pipeline and again.to_api() == definition_of(data)


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_botocore_accepts_it_for_create_and_update(path):
    # version is a PipelineDeclaration member (min 1), so botocore takes it on create as well;
    # masked "****" secrets are plain strings to botocore.
    pipeline = Pipeline.from_json(path.read_text())
    validate_parameters({"pipeline": pipeline.to_api()}, input_shape("CreatePipeline"))
    validate_parameters({"pipeline": pipeline.to_api()}, input_shape("UpdatePipeline"))


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_keeps_the_catalog_rules(path):
    assert catalog_breaches(Pipeline.from_json(path.read_text())) == []


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_validator_finds_no_problems(path):
    assert Pipeline.from_json(path.read_text()).problems() == []


@pytest.mark.parametrize("path", FIXTURES, ids=IDS)
def test_drawing_shows_every_stage(path):
    pipeline = Pipeline.from_json(path.read_text())
    source = pipeline.draw().source
    missing = [stage.name for stage in pipeline.stages if stage.name not in source]
    assert missing == []


def test_moto_accepts_every_fixture_and_returns_the_same_structure():
    with mock_aws():
        iam = boto3.client("iam", region_name=HOME_REGION)
        role = iam.create_role(RoleName=PIPELINE_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
        codepipeline = boto3.client("codepipeline", region_name=HOME_REGION)
        for path in FIXTURES:
            sent = Pipeline.from_json(path.read_text()).to_api()
            sent["roleArn"] = role["Role"]["Arn"]
            codepipeline.create_pipeline(pipeline=sent)
            response = codepipeline.get_pipeline(name=sent["name"])
            back = Pipeline.from_api(response)
            assert back.to_api() == response["pipeline"], path.name
            assert back.metadata["pipelineArn"].endswith(f":{ACCOUNT}:{sent['name']}")
            assert _names(back.to_api()) == _names(sent), path.name


def _names(definition: dict) -> list:
    return [(stage["name"], [action["name"] for action in stage["actions"]]) for stage in definition["stages"]]
