"""Properties over generated pipelines (tests/strategies.py): every valid definition the
strategies can build survives the model, botocore, our validator and moto.

The settings are derandomized (the same 60 examples on every run) so CI is reproducible.
"""

import itertools
import json
from pathlib import Path

import boto3
import botocore.session
from botocore.validate import validate_parameters
from hypothesis import given
from moto import mock_aws

from pipeline_workbook.model import Pipeline
from strategies import (
    HOME_REGION,
    PIPELINE_ROLE_ARN,
    PIPELINE_ROLE_NAME,
    PROPERTY_SETTINGS,
    catalog_breaches,
    pipeline_dicts,
    pipelines,
)

TRUST_POLICY = {
    "Version": "2012-10-17",
    # moto accepts only the plain-string form of the service principal (reference 6.2).
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
}
CREATE_INPUT = botocore.session.get_session().get_service_model("codepipeline").operation_model(
    "CreatePipeline").input_shape


# --------------------------------------------------------------------------------------------
# 1. Round trip


@PROPERTY_SETTINGS
@given(pipelines())
def test_round_trip_through_the_api_dict(pipeline):
    api = pipeline.to_api()
    again = Pipeline.from_api(api)
    assert again.to_api() == api
    assert again == pipeline


@PROPERTY_SETTINGS
@given(pipelines())
def test_round_trip_through_json_text(pipeline):
    assert Pipeline.from_json(pipeline.to_json()).to_api() == pipeline.to_api()
    assert Pipeline.from_api(json.loads(json.dumps(pipeline.to_api()))) == pipeline


# --------------------------------------------------------------------------------------------
# 2. botocore


@PROPERTY_SETTINGS
@given(pipeline_dicts())
def test_botocore_parameter_validation_accepts_it(definition):
    validate_parameters({"pipeline": definition}, CREATE_INPUT)


# --------------------------------------------------------------------------------------------
# 3. Our validator (no false alarms), and the strategies' own promises


@PROPERTY_SETTINGS
@given(pipelines())
def test_validator_reports_no_problems(pipeline):
    assert pipeline.problems(region=HOME_REGION) == []
    assert pipeline.problems() == []  # nor when it is not told the home region


@PROPERTY_SETTINGS
@given(pipelines())
def test_strategies_keep_the_catalog_rules(pipeline):
    assert catalog_breaches(pipeline) == []


@PROPERTY_SETTINGS
@given(pipelines(v2=False))
def test_v1_pipelines_use_no_v2_feature(pipeline):
    assert pipeline.effective_type == "V1" and pipeline.effective_execution_mode == "SUPERSEDED"
    assert not pipeline.variables and not pipeline.triggers
    assert not any(s.on_failure or s.on_success or s.before_entry for s in pipeline.stages)


@PROPERTY_SETTINGS
@given(pipelines(v2=True, cross_region=True, printed=True))
def test_flags_force_v2_and_the_get_pipeline_style(pipeline):
    assert pipeline.pipeline_type == "V2" and isinstance(pipeline.version, int)
    for _, _, _, action in pipeline.iter_actions():
        assert action.run_order is not None
        assert action.input_artifacts is not None and action.output_artifacts is not None
        assert (action.region is not None) == bool(pipeline.artifact_stores)
    if pipeline.artifact_stores:
        assert set(pipeline.regions()) == set(pipeline.artifact_stores)


FIXTURES = Path(__file__).parent / "fixtures" / "pipelines"


def _broken(fixture: str, change) -> list[str]:
    """The breaches found after `change` damaged a copy of a valid fixture."""
    pipeline = Pipeline.from_json((FIXTURES / fixture).read_text())
    assert catalog_breaches(pipeline) == []
    change(pipeline)
    return catalog_breaches(pipeline)


def test_catalog_breaches_finds_what_is_broken():
    """The independent check is not vacuous: each kind of damage to a valid fixture shows."""
    orders = "get-codecommit-cfn-namespaces.json"  # Source, Build, Staging, Production(approve, deploy)

    def rename_input(p):
        p.stages[1].actions[0].input_artifacts[0].name = "Nope"

    def drop_role(p):
        del p.stages[3].actions[1].configuration["RoleArn"]

    def template_from_elsewhere(p):
        p.stages[2].actions[0].configuration["TemplatePath"] = "Other::template.yaml"

    def repeat_source_stage(p):
        p.stages[1] = p.stages[0]

    def leave_home_region(p):
        p.stages[3].actions[1].region = "eu-west-1"

    def queue_a_v1_pipeline(p):
        p.execution_mode = "QUEUED"

    def run_consumer_with_producer(p):  # data-ingest: Verify stage, runOrder 1 feeds runOrder 2
        p.stages[3].actions[1].run_order = 1

    assert _broken(orders, rename_input) == ["stages[1].actions[0].inputArtifacts: 'Nope' is not produced earlier"]
    assert _broken(orders, drop_role) == ["stages[3].actions[1].configuration: RoleArn is missing"]
    assert _broken(orders, template_from_elsewhere) == [
        "stages[2].actions[0].configuration.TemplatePath: names no input artifact"]
    assert "stages: 'Source' appears 2 times" in _broken(orders, repeat_source_stage)
    assert "stages[1].actions[0]: Source actions belong in the first stage, and only there" in _broken(
        orders, repeat_source_stage)
    assert _broken(orders, leave_home_region) == ["stages[3].actions[1].region: no artifactStores entry for eu-west-1"]
    assert _broken(orders, queue_a_v1_pipeline) == ["executionMode QUEUED/PARALLEL: needs pipelineType V2"]
    assert _broken("get-changeset-stepfunctions.json", run_consumer_with_producer) == [
        "stages[3].actions[1].inputArtifacts: 'SmokeTestResult' is not produced earlier"]


# --------------------------------------------------------------------------------------------
# 4. moto


def test_moto_accepts_every_generated_pipeline():
    with mock_aws():
        iam = boto3.client("iam", region_name=HOME_REGION)
        role = iam.create_role(RoleName=PIPELINE_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
        assert role["Role"]["Arn"] == PIPELINE_ROLE_ARN
        codepipeline = boto3.client("codepipeline", region_name=HOME_REGION)
        serial = itertools.count(1)

        @PROPERTY_SETTINGS
        @given(pipelines())
        def check(pipeline):
            pipeline.name = f"{pipeline.name}-{next(serial)}"  # names must be unique in one account
            sent = pipeline.to_api()
            codepipeline.create_pipeline(pipeline=sent)
            received = codepipeline.get_pipeline(name=pipeline.name)["pipeline"]
            assert received["version"] == 1
            assert _names(received) == _names(sent)

        check()


def _names(definition: dict) -> list:
    return [(stage["name"], [action["name"] for action in stage["actions"]]) for stage in definition["stages"]]
