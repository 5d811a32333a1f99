"""Tests for cloudformation.py: templates written from pipelines, and pipelines read from templates.

Every template written for a pattern or a fixture definition passes cfn-lint (no errors, no
warnings) and reads back into the same pipeline. The corpus in tests/fixtures/templates/ (real-world
styles: short-form YAML, JSON, conditions, SAM...) reads into the pipelines each file describes.
"""

import copy
import json
import re
from pathlib import Path

import pytest

from pipeline_workbook import patterns as P
from pipeline_workbook.cloudformation import (
    PROJECT_KINDS,
    from_cloudformation,
    lint_template,
    load_template,
    pseudo_parameters,
    read_cloudformation,
    to_cloudformation,
    to_json,
    to_yaml,
)
from pipeline_workbook.model import ArtifactStore, FailureConditions, Pipeline, PipelineError

ACCOUNT = "123456789012"
FIXTURES = Path(__file__).parent / "fixtures"
DEFINITION_FILES = sorted((FIXTURES / "pipelines").glob("*.json"))
TEMPLATE_DIR = FIXTURES / "templates"
TEMPLATE_FILES = sorted(p for p in TEMPLATE_DIR.iterdir() if p.suffix in (".yaml", ".json"))
ALL_REGIONS = [r.code for r in P.REGIONS]
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:wb-release-approvals"


def pattern_cases() -> dict[str, Pipeline]:
    """Every pattern with its defaults, plus the variants the story uses."""
    cases = {name: build() for name, build in P.PATTERNS.items()}
    cases["self_updating_safe"] = P.self_updating(safe=True)
    cases["manual_acceptance_topic"] = P.manual_acceptance(approval_topic_arn=TOPIC)
    cases["automated_acceptance_approval"] = P.automated_acceptance(keep_manual_approval=True,
                                                                    approval_topic_arn=TOPIC)
    cases["phased_rollout_no_alarms"] = P.phased_rollout(alarms=False, rollback=False)
    cases["per_customer_regions"] = P.per_customer(
        ["Acme Corp", {"name": "Blue Harbor Bank", "region": "eu-west-1", "approval": True}])
    return cases


PATTERN_CASES = pattern_cases()
DEFINITIONS = {path.stem: Pipeline.from_api(json.loads(path.read_text())) for path in DEFINITION_FILES}
ALL_CASES = {**PATTERN_CASES, **DEFINITIONS}


def template_for(name: str, **options) -> dict:
    """The template of a case; patterns get the Prefix parameter, as a workshop would use them."""
    if name in PATTERN_CASES:
        options.setdefault("prefix", "wb")
    return to_cloudformation(ALL_CASES[name], **options)


def expected_api(pipeline: Pipeline) -> dict:
    """What CloudFormation can carry: everything but the read-only version."""
    api = pipeline.to_api()
    api.pop("version", None)
    return api


def read_back(template, pipeline: Pipeline) -> list[Pipeline]:
    return from_cloudformation(template, parameters=pseudo_parameters(pipeline))


def resources_of_type(template: dict, kind: str) -> dict:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def statements(template: dict, role_id: str = "PipelineRole") -> dict[str, dict]:
    """The pipeline role's policy statements by Sid, with Action and Resource always lists."""
    found = {}
    for policy in template["Resources"][role_id]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            out = dict(statement)
            for key in ("Action", "Resource"):
                out[key] = out[key] if isinstance(out[key], list) else [out[key]]
            found[statement["Sid"]] = out
    return found


def sub_text(value) -> str:
    """A template value as text: Fn::Sub text, ${X} for Ref X, ${X.Attr} for GetAtt."""
    if isinstance(value, str):
        return value
    if "Fn::Sub" in value:
        return value["Fn::Sub"]
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    raise AssertionError(f"unexpected value {value!r}")


def home_of(pipeline: Pipeline) -> str:
    return pseudo_parameters(pipeline).get("AWS::Region", "us-east-1")


# ============================================================================================
# Templates written from pipelines


@pytest.mark.parametrize("name", list(ALL_CASES))
def test_template_passes_cfn_lint_without_errors_or_warnings(name):
    pipeline = ALL_CASES[name]
    template = template_for(name)
    assert lint_template(to_yaml(template), regions=[home_of(pipeline)]) == []


@pytest.mark.parametrize("name", list(ALL_CASES))
def test_pipeline_only_template_passes_cfn_lint(name):
    pipeline = ALL_CASES[name]
    template = template_for(name, include_resources=False)
    assert list(template["Resources"]) == ["Pipeline"]
    assert lint_template(template, regions=[home_of(pipeline)]) == []


@pytest.mark.parametrize("name", list(ALL_CASES))
def test_round_trip_gives_back_the_same_definition(name):
    pipeline = ALL_CASES[name]
    template = template_for(name)
    for form in (template, to_yaml(template), to_json(template)):
        (back,) = read_back(form, pipeline)
        assert back.to_api() == expected_api(pipeline)


@pytest.mark.parametrize("name", list(ALL_CASES))
def test_round_trip_of_the_pipeline_only_template(name):
    pipeline = ALL_CASES[name]
    (back,) = read_back(template_for(name, include_resources=False), pipeline)
    assert back.to_api() == expected_api(pipeline)


def test_round_trip_without_the_prefix_parameter():
    pipeline = P.phased_rollout()
    template = to_cloudformation(pipeline)
    assert "Prefix" not in template.get("Parameters", {})
    (back,) = read_back(template, pipeline)
    assert back.to_api() == pipeline.to_api()


def test_the_version_is_not_carried():
    pipeline = DEFINITIONS["get-github-v1-codedeploy"]
    assert pipeline.version == 12
    properties = to_cloudformation(pipeline)["Resources"]["Pipeline"]["Properties"]
    assert "Version" not in properties
    (back,) = read_back(to_cloudformation(pipeline), pipeline)
    assert back.version is None


def test_template_is_portable_account_and_region_are_pseudo_parameters():
    pipeline = P.simple_but_bold()
    template = to_cloudformation(pipeline, prefix="wb")
    resources = json.dumps(template["Resources"])
    assert ACCOUNT not in resources
    assert "us-east-1" not in resources
    bucket = template["Resources"]["ArtifactBucket"]["Properties"]["BucketName"]
    assert bucket == {"Fn::Sub": "${Prefix}-simple-but-bold-artifacts-${AWS::AccountId}"}
    # Read without saying where it is deployed, the account stays a placeholder.
    (unplaced,) = from_cloudformation(template)
    assert unplaced.role_arn == "arn:aws:iam::${AWS::AccountId}:role/wb-simple-but-bold-pipeline-role"
    assert unplaced.artifact_store.location == "wb-simple-but-bold-artifacts-${AWS::AccountId}"
    # Deployed with another prefix, every name follows.
    (alice,) = from_cloudformation(template, parameters={"Prefix": "alice", **pseudo_parameters(pipeline)})
    assert alice.name == "alice-simple-but-bold"
    assert alice.stage("Build").action("BuildImage").config("ProjectName") == "alice-build-image"
    assert alice.role_arn == f"arn:aws:iam::{ACCOUNT}:role/alice-simple-but-bold-pipeline-role"


def test_a_definition_dict_or_get_pipeline_response_works_too():
    pipeline = DEFINITIONS["get-v2-triggers-queued"]
    response = json.loads((FIXTURES / "pipelines" / "get-v2-triggers-queued.json").read_text())
    assert to_cloudformation(response) == to_cloudformation(pipeline)
    assert to_cloudformation(pipeline.to_api()) == to_cloudformation(pipeline)
    with pytest.raises(TypeError, match="pass a Pipeline"):
        to_cloudformation("wb-pipeline")


def test_prefix_parameter_only_when_the_names_use_it():
    template = to_cloudformation(P.simple_but_bold(), prefix="zz")
    assert "Prefix" not in template.get("Parameters", {})
    with pytest.raises(ValueError, match="prefix must be"):
        to_cloudformation(P.simple_but_bold(), prefix="Not A Prefix")


def test_pseudo_parameters_name_the_account_and_home_region():
    assert pseudo_parameters(P.phased_rollout()) == {"AWS::AccountId": ACCOUNT, "AWS::Region": "us-east-1"}
    assert pseudo_parameters(P.simple_but_bold(region="eu-west-1")) == {
        "AWS::AccountId": ACCOUNT, "AWS::Region": "eu-west-1"}


def test_template_sections_and_outputs():
    template = template_for("manual_acceptance")
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    assert set(template["Outputs"]) == {"PipelineName", "PipelineConsoleUrl", "PipelineRoleArn",
                                        "ArtifactBucketName"}
    assert template["Outputs"]["PipelineName"]["Value"] == {"Ref": "Pipeline"}
    connection = template["Parameters"]["ConnectionArn"]
    source_action = PATTERN_CASES["manual_acceptance"].stage("Source").actions[0]
    assert connection["Default"] == source_action.config("ConnectionArn")
    assert re.match(connection["AllowedPattern"], connection["Default"])
    source = template["Resources"]["Pipeline"]["Properties"]["Stages"][0]["Actions"][0]
    assert source["Configuration"]["ConnectionArn"] == {"Ref": "ConnectionArn"}


def test_every_v2_field_is_mapped():
    pipeline = DEFINITIONS["get-v2-triggers-queued"]
    properties = to_cloudformation(pipeline)["Resources"]["Pipeline"]["Properties"]
    assert properties["PipelineType"] == "V2"
    assert properties["ExecutionMode"] == "QUEUED"
    assert properties["Variables"][0] == {"Name": "DeployEnv", "DefaultValue": "staging",
                                          "Description": "ECS cluster suffix the service is deployed to"}
    git = properties["Triggers"][0]["GitConfiguration"]
    assert git["SourceActionName"] == "Checkout"
    assert git["Push"][0]["FilePaths"]["Excludes"] == ["docs/**", "**/*.md"]
    assert git["PullRequest"][0]["Events"] == ["OPEN", "UPDATED"]
    conditions = to_cloudformation(DEFINITIONS["get-v2-stage-conditions"])["Resources"]["Pipeline"]["Properties"]
    production = conditions["Stages"][3]
    assert production["OnFailure"] == {"Result": "ROLLBACK"}
    rule = production["OnSuccess"]["Conditions"][0]["Rules"][0]
    assert rule["RuleTypeId"]["Provider"] == "CloudWatchAlarm"
    assert rule["Configuration"] == {"AlarmName": "payments-production-5xx-rate", "WaitTime": "15"}
    assert rule["Region"] == {"Ref": "AWS::Region"}


def test_artifact_stores_become_a_list_with_cross_region_buckets_as_parameters():
    pipeline = P.phased_rollout()
    template = to_cloudformation(pipeline, prefix="wb")
    stores = template["Resources"]["Pipeline"]["Properties"]["ArtifactStores"]
    assert [s["Region"] for s in stores] == [{"Ref": "AWS::Region"}] + [r for r in pipeline.artifact_stores
                                                                      if r != "us-east-1"]
    assert stores[0]["ArtifactStore"]["Location"] == {"Ref": "ArtifactBucket"}
    assert list(resources_of_type(template, "AWS::S3::Bucket")) == ["ArtifactBucket"]
    for store in stores[1:]:
        region = store["Region"]
        parameter = template["Parameters"][store["ArtifactStore"]["Location"]["Ref"]]
        assert parameter["Default"] == pipeline.artifact_stores[region].location
        assert region in parameter["Description"]
        assert region in template["Description"]
    assert "are parameters" in template["Description"]
    assert "wb-deploy in ca-central-1" in template["Description"]
    objects = statements(template)["ArtifactObjects"]["Resource"]
    assert len(objects) == len(pipeline.artifact_stores)


def test_home_region_must_be_given_when_the_definition_does_not_show_it():
    pipeline = P.simple_but_bold()
    deploy = pipeline.stage("Production").actions[0]
    deploy.region = "eu-west-1"
    pipeline.stage("Build").actions[0].region = "us-east-1"
    pipeline.stage("Source").actions[0].configuration["ConnectionArn"] = "{{resolve:ssm:/ci/connection}}"
    pipeline.artifact_store = None
    pipeline.artifact_stores = {"us-east-1": ArtifactStore(location="home-bucket"),
                                "eu-west-1": ArtifactStore(location="eu-bucket")}
    with pytest.raises(ValueError, match="pass region="):
        to_cloudformation(pipeline)
    template = to_cloudformation(pipeline, region="us-east-1")
    assert "ArtifactBucketEuWest1" in template["Parameters"]
    assert lint_template(template) == []


# --------------------------------------------------------------------------------------------
# The service role: least privilege, worked out from the actions


def test_pipeline_role_trusts_codepipeline_and_grants_only_named_resources():
    template = template_for("simple_but_bold")
    role = template["Resources"]["PipelineRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert role["RoleName"] == {"Fn::Sub": "${Prefix}-simple-but-bold-pipeline-role"}
    found = statements(template)
    assert set(found) == {"ArtifactBuckets", "ArtifactObjects", "UseConnections", "RunBuilds"}
    assert all(r != "*" for s in found.values() for r in s["Resource"])
    assert found["UseConnections"]["Action"] == ["codeconnections:UseConnection"]
    assert found["UseConnections"]["Resource"] == [{"Ref": "ConnectionArn"}]
    assert found["RunBuilds"]["Resource"] == [{"Fn::GetAtt": ["BuildImageProject", "Arn"]},
                                              {"Fn::GetAtt": ["DeployProject", "Arn"]}]
    assert found["ArtifactObjects"]["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${ArtifactBucket}/*"}]
    assert template["Resources"]["Pipeline"]["Properties"]["RoleArn"] == {"Fn::GetAtt": ["PipelineRole", "Arn"]}


def test_connection_action_follows_the_arn_service_prefix():
    old = statements(to_cloudformation(DEFINITIONS["get-v2-stage-conditions"]))["UseConnections"]
    assert old["Action"] == ["codestar-connections:UseConnection"]


def test_pass_role_only_for_the_roles_the_pipeline_passes():
    template = template_for("self_updating_safe", restart_execution_on_update=True)
    found = statements(template)
    passing = [s for s in found.values() if "iam:PassRole" in s["Action"]]
    assert len(passing) == 1
    assert passing[0]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Prefix}-cloudformation-role"}]
    assert passing[0]["Condition"] == {"StringEqualsIfExists": {"iam:PassedToService": "cloudformation.amazonaws.com"}}
    stack = found["DeployStacks"]["Resource"]
    assert stack == [{"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:"
                                 "stack/${Prefix}-pipeline/*"}]
    properties = template["Resources"]["Pipeline"]["Properties"]
    assert properties["RestartExecutionOnUpdate"] is True
    assert "RestartExecutionOnUpdate" not in template_for("self_updating_safe")["Resources"]["Pipeline"]["Properties"]
    assert "starts again on the new definition" in template["Description"]


def test_approval_topics_get_publish():
    found = statements(template_for("manual_acceptance_topic"))
    assert found["NotifyApprovers"]["Action"] == ["sns:Publish"]
    assert found["NotifyApprovers"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${Prefix}-release-approvals"}]
    assert "NotifyApprovers" not in statements(template_for("manual_acceptance"))


def test_action_roles_are_assumed_and_their_work_is_not_granted_to_the_pipeline():
    template = to_cloudformation(DEFINITIONS["bare-cross-account-kms"])
    found = statements(template)
    assumed = {sub_text(r) for r in found["AssumeActionRoles"]["Resource"]}
    assert assumed == {"arn:${AWS::Partition}:iam::${AWS::AccountId}:role/test-account-codepipeline-deployer",
                       "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/prod-account-codepipeline-deployer"}
    assert "DeployStacks" not in found and "InvokeFunctions" not in found
    # Nothing in this definition says which region is its own, so region names stay as written.
    assert pseudo_parameters(DEFINITIONS["bare-cross-account-kms"]) == {"AWS::AccountId": ACCOUNT}
    assert found["ArtifactKeys"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:kms:us-east-1:${AWS::AccountId}:key/e5a1c7f3-9b2d-4068-8d4e-1c3f5b7a9e02"}]


def test_an_alias_key_is_granted_through_resource_aliases():
    found = statements(to_cloudformation(DEFINITIONS["cli-cfn-test-stack-and-change-sets"]))
    alias = found["ArtifactKeysAlias"]
    assert alias["Resource"] == ["*"]
    assert alias["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/inventory-service-artifacts"}}


def test_provider_permissions_follow_the_actions():
    serverless = statements(to_cloudformation(DEFINITIONS["bare-serverless-invokes"]))
    assert serverless["InvokeFunctions"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
                    "function:orders-serverless-smoke-test"}]
    assert serverless["StartStateMachines"]["Resource"] == [  # written in full in the definition
        {"Fn::Sub": "arn:${AWS::Partition}:states:us-east-1:${AWS::AccountId}:stateMachine:orders-replay"}]
    assert serverless["ReadSourceObjects"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    ecs = statements(to_cloudformation(DEFINITIONS["get-v2-triggers-queued"]))
    assert ecs["UpdateServices"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:"
                    "service/storefront-#{variables.DeployEnv}/storefront-api"}]
    assert ecs["PassTaskRoles"]["Condition"] == {
        "StringEqualsIfExists": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    commands = statements(to_cloudformation(DEFINITIONS["cli-v2-monorepo-commands"]))
    assert any("/aws/codepipeline/" in sub_text(r) for r in commands["ComputeLogs"]["Resource"])
    assert commands["ReadSecrets"]["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:"
                                                               "${AWS::AccountId}:secret:catalog/npm-token-Q3xZ7p"}]
    package = statements(to_cloudformation(DEFINITIONS["bare-serverless-invokes"]),
                         "OrdersServerlessPackageProjectRole")
    assert package["ReadParameters"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/orders/signing-profile"}]
    alarms = statements(template_for("phased_rollout"))["WatchAlarms"]["Resource"]
    assert {"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:eu-west-1:${AWS::AccountId}:"
                       "alarm:${Prefix}-health-eu-west-1"} in alarms
    custom = statements(to_cloudformation(DEFINITIONS["cli-jenkins-custom-actions"]))
    assert not any("Jenkins" in json.dumps(s) for s in custom.values())


def test_pipeline_role_policy_stays_under_the_iam_size_limit_with_every_region():
    pipeline = P.phased_rollout(waves=P.plan_waves(ALL_REGIONS[1:], first=1, growth=1))
    template = to_cloudformation(pipeline, prefix="wb")
    size = len(json.dumps(template["Resources"]["PipelineRole"]["Properties"]["Policies"], separators=(",", ":")))
    assert size < 10_240  # inline role policies, all together (IAM quota), before Fn::Sub shortens them
    assert lint_template(template) == []
    builds = statements(template)["RunBuilds"]["Resource"]
    assert {"Fn::Sub": "arn:${AWS::Partition}:codebuild:*:${AWS::AccountId}:project/${Prefix}-deploy"} in builds
    assert {"Fn::GetAtt": ["DeployProject", "Arn"]} in builds


# --------------------------------------------------------------------------------------------
# Bucket and CodeBuild projects


def test_artifact_bucket_is_private_encrypted_versioned_and_expires():
    template = template_for("simple_but_bold", tags={"workshop": "wb"})
    bucket = template["Resources"]["ArtifactBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                        "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rule = bucket["LifecycleConfiguration"]["Rules"][0]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] > 0
    assert bucket["Tags"] == [{"Key": "workshop", "Value": "wb"}]
    deny = template["Resources"]["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    kms = to_cloudformation(DEFINITIONS["bare-cross-account-kms"])["Resources"]["ArtifactBucket"]["Properties"]
    by_default = kms["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert by_default["SSEAlgorithm"] == "aws:kms"
    assert "e5a1c7f3-9b2d-4068-8d4e-1c3f5b7a9e02" in by_default["KMSMasterKeyID"]["Fn::Sub"]


def test_one_codebuild_project_per_project_the_pipeline_runs_in_its_region():
    pipeline = PATTERN_CASES["phased_rollout"]
    template = template_for("phased_rollout")
    projects = resources_of_type(template, "AWS::CodeBuild::Project")
    home_names = {a.config("ProjectName") for _, _, _, a in pipeline.iter_actions()
                  if a.provider == "CodeBuild" and a.region in (None, "us-east-1")}
    assert {sub_text(p["Properties"]["Name"]).replace("${Prefix}", "wb") for p in projects.values()} == home_names
    assert set(projects) == {"UnitTestsProject", "BuildImageProject", "DeployProject", "AcceptanceTestsProject"}
    for logical_id, project in projects.items():
        properties = project["Properties"]
        assert properties["Source"]["Type"] == "CODEPIPELINE"
        assert properties["Artifacts"] == {"Type": "CODEPIPELINE"}
        assert properties["ServiceRole"] == {"Fn::GetAtt": [logical_id + "Role", "Arn"]}
        role = template["Resources"][logical_id + "Role"]["Properties"]
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "codebuild.amazonaws.com"}
        own = statements(template, logical_id + "Role")
        assert {"Logs", "ArtifactBuckets", "ArtifactObjects"} <= set(own)
        assert any(sub_text(properties["Name"]) in sub_text(r) for r in own["Logs"]["Resource"])
    buildspecs = {lid: p["Properties"]["Source"]["BuildSpec"] for lid, p in projects.items()}
    assert buildspecs == {"UnitTestsProject": PROJECT_KINDS["test"].buildspec,
                          "AcceptanceTestsProject": PROJECT_KINDS["test"].buildspec,
                          "BuildImageProject": PROJECT_KINDS["image"].buildspec,
                          "DeployProject": PROJECT_KINDS["deploy"].buildspec}
    assert projects["BuildImageProject"]["Properties"]["Environment"]["PrivilegedMode"] is True
    assert "TestReports" in statements(template, "UnitTestsProjectRole")
    # The deploy actions of the waves use the project by name in their own region.
    wave = template["Resources"]["Pipeline"]["Properties"]["Stages"][3]["Actions"][0]
    assert wave["Configuration"]["ProjectName"] == {"Fn::Sub": "${Prefix}-deploy"}


def test_batch_builds_and_kms_reach_the_project():
    template = to_cloudformation(DEFINITIONS["bare-cross-account-kms"])
    package = template["Resources"]["BillingBatchPackageProject"]["Properties"]
    assert package["BuildBatchConfig"] == {"ServiceRole": {"Fn::GetAtt": ["BillingBatchPackageProjectRole", "Arn"]}}
    assert "BatchBuilds" in statements(template, "BillingBatchPackageProjectRole")
    assert "key/e5a1c7f3" in package["EncryptionKey"]["Fn::Sub"]


def test_tags_go_on_every_resource_that_takes_them():
    template = template_for("with_unit_tests", tags={"workshop": "wb", "owner": "alice"})
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::S3::BucketPolicy":
            assert resource["Properties"]["Tags"] == [{"Key": "workshop", "Value": "wb"},
                                                      {"Key": "owner", "Value": "alice"}], logical_id
    with pytest.raises(ValueError, match="tags must be"):
        template_for("with_unit_tests", tags=[("workshop", "wb")])


def test_disabled_transitions_name_existing_stages():
    template = template_for("manual_acceptance", disabled_transitions={"Production": "Waiting for the release window"})
    assert template["Resources"]["Pipeline"]["Properties"]["DisableInboundStageTransitions"] == [
        {"StageName": "Production", "Reason": "Waiting for the release window"}]
    with pytest.raises(ValueError, match="does not have"):
        template_for("manual_acceptance", disabled_transitions={"Prod": "freeze"})
    with pytest.raises(ValueError, match="reason"):
        template_for("manual_acceptance", disabled_transitions=[("Production", "freeze; see #42")])


def test_cloudformation_only_properties_read_back():
    template = template_for("manual_acceptance", tags={"workshop": "wb"}, restart_execution_on_update=True,
                            disabled_transitions=[{"StageName": "Production", "Reason": "Release freeze"}])
    reading = read_cloudformation(to_yaml(template), parameters=pseudo_parameters(PATTERN_CASES["manual_acceptance"]))
    (item,) = reading.pipelines
    assert item.logical_id == "Pipeline"
    assert item.tags == {"workshop": "wb"}
    assert item.disabled_transitions == {"Production": "Release freeze"}
    assert item.restart_execution_on_update is True
    assert item.pipeline.to_api() == PATTERN_CASES["manual_acceptance"].to_api()
    assert reading.parameters["Prefix"] == "wb"


def test_what_cloudformation_cannot_carry_is_refused_with_its_path():
    pipeline = P.phased_rollout()
    pipeline.stages[3].on_failure = FailureConditions(result="FAIL")
    pipeline.stages[4].on_success.conditions[0].rules[0].timeout_in_minutes = 30
    with pytest.raises(PipelineError) as error:
        to_cloudformation(pipeline)
    paths = [p.path for p in error.value.problems]
    assert paths == ["stages[3].onFailure.result", "stages[4].onSuccess.conditions[0].rules[0].timeoutInMinutes"]


def test_description_can_be_given_and_notes_the_github_token():
    assert template_for("simple_but_bold", description="Alice's pipeline")["Description"] == "Alice's pipeline"
    assert "OAuthToken" in to_cloudformation(DEFINITIONS["get-github-v1-codedeploy"])["Description"]


def test_yaml_uses_short_form_tags_and_no_aliases():
    text = to_yaml(template_for("phased_rollout"))
    assert "!Ref ArtifactBucket\n" in text
    assert "!GetAtt PipelineRole.Arn\n" in text
    assert "!Sub ${Prefix}-phased-rollout\n" in text
    assert not re.search(r"[&*]id\d+", text)
    assert load_template(text) == json.loads(to_json(template_for("phased_rollout")))


def test_lint_template_reports_errors_and_warnings():
    template = template_for("simple_but_bold")
    broken = copy.deepcopy(template)
    stages = broken["Resources"]["Pipeline"]["Properties"]["Stages"]
    broken["Resources"]["Pipeline"]["Properties"]["Stages"] = stages[:1]
    broken["Resources"]["PipelineRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0][
        "Action"].append("s3:GetObjects")
    findings = lint_template(broken)
    assert any(f.startswith("E3032 Resources/Pipeline/Properties/Stages") for f in findings)
    assert any(f.startswith("W3037 Resources/PipelineRole") for f in findings)
    assert all(len(f) < 400 for f in findings)


# ============================================================================================
# Reading templates: intrinsic functions, parameters, conditions


def small_template(properties_patch: dict, **sections) -> dict:
    """A two-stage pipeline template whose Properties are patched (and extra sections added)."""
    properties = {
        "Name": "demo",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/demo-pipeline",
        "ArtifactStore": {"Type": "S3", "Location": "demo-artifacts"},
        "Stages": [
            {"Name": "Source", "Actions": [{
                "Name": "Source",
                "ActionTypeId": {"Category": "Source", "Owner": "AWS", "Provider": "S3", "Version": "1"},
                "Configuration": {"S3Bucket": "demo-source", "S3ObjectKey": "demo.zip"},
                "OutputArtifacts": [{"Name": "Src"}]}]},
            {"Name": "Build", "Actions": [{
                "Name": "Build",
                "ActionTypeId": {"Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"},
                "Configuration": {"ProjectName": "demo-build"},
                "InputArtifacts": [{"Name": "Src"}]}]},
        ],
    }
    properties.update(properties_patch)
    return {"Resources": {"Demo": {"Type": "AWS::CodePipeline::Pipeline", "Properties": properties}}, **sections}


def build_config(template: dict, **kwargs) -> dict:
    (pipeline,) = from_cloudformation(template, **kwargs)
    return pipeline.stage("Build").actions[0].configuration


def with_build_config(config: dict, **sections) -> dict:
    template = small_template({}, **sections)
    template["Resources"]["Demo"]["Properties"]["Stages"][1]["Actions"][0]["Configuration"] = config
    return template


def test_placeholders_for_what_the_template_does_not_determine():
    template = with_build_config({
        "ProjectName": {"Ref": "BuildProject"},
        "RoleRef": {"Fn::GetAtt": ["Role", "Arn"]},
        "Imported": {"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-Queue"}},
        "Subbed": {"Fn::Sub": "arn:aws:iam::${TargetAccount}:role/${Role.Arn}-${!Literal}"},
        "Joined": {"Fn::Join": [":", ["x", {"Ref": "BuildProject"}, {"Fn::GetAtt": "Role.Arn"}]]},
        "Secret": "{{resolve:secretsmanager:demo/token:SecretString:value}}",
        "Mapped": {"Fn::FindInMap": ["Settings", {"Ref": "TargetAccount"}, "Bucket"]},
        "Azs": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
        "Pseudo": {"Ref": "AWS::Region"},
    }, Parameters={"TargetAccount": {"Type": "String"}}, Mappings={"Settings": {}})
    template["Resources"]["BuildProject"] = {"Type": "AWS::CodeBuild::Project", "Properties": {}}
    template["Resources"]["Role"] = {"Type": "AWS::IAM::Role", "Properties": {}}
    config = build_config(template)
    assert config["ProjectName"] == "${Ref:BuildProject}"
    assert config["RoleRef"] == "${GetAtt:Role.Arn}"
    assert config["Imported"] == "${ImportValue:${AWS::StackName}-Queue}"
    assert config["Subbed"] == "arn:aws:iam::${TargetAccount}:role/${Role.Arn}-${Literal}"
    assert config["Joined"] == "x:${Ref:BuildProject}:${GetAtt:Role.Arn}"
    assert config["Secret"] == "{{resolve:secretsmanager:demo/token:SecretString:value}}"
    assert config["Mapped"] == "${FindInMap:Settings.${Ref:TargetAccount}.Bucket}"
    assert config["Azs"] == "${Select:0:${GetAZs:}}"
    assert config["Pseudo"] == "${AWS::Region}"
    assert read_cloudformation(template).missing_parameters == ["TargetAccount"]
    given = build_config(template, parameters={"TargetAccount": "210987654321", "AWS::StackName": "demo-stack",
                                               "AWS::Region": "eu-west-1"})
    assert given["Subbed"] == "arn:aws:iam::210987654321:role/${Role.Arn}-${Literal}"
    assert given["Imported"] == "${ImportValue:demo-stack-Queue}"
    assert given["Pseudo"] == "eu-west-1"


def test_references_to_resources_the_template_names_are_resolved():
    template = with_build_config({
        "ProjectName": {"Ref": "BuildProject"},
        "ProjectArn": {"Fn::GetAtt": ["BuildProject", "Arn"]},
        "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
        "Topic": {"Ref": "Topic"},
        "InSub": {"Fn::Sub": "${BuildProject}/${Role.Arn}"},
    })
    template["Resources"]["BuildProject"] = {"Type": "AWS::CodeBuild::Project",
                                             "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-build"}}}
    template["Resources"]["Role"] = {"Type": "AWS::IAM::Role",
                                     "Properties": {"RoleName": "demo-deployer", "Path": "/ci/"}}
    template["Resources"]["Topic"] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "demo-approvals"}}
    config = build_config(template, parameters={"AWS::StackName": "demo", "AWS::AccountId": ACCOUNT,
                                                "AWS::Region": "us-east-1"})
    assert config == {
        "ProjectName": "demo-build",
        "ProjectArn": f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/demo-build",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/ci/demo-deployer",
        "Topic": f"arn:aws:sns:us-east-1:{ACCOUNT}:demo-approvals",
        "InSub": f"demo-build/arn:aws:iam::{ACCOUNT}:role/ci/demo-deployer",
    }
    assert build_config(template)["ProjectName"] == "${AWS::StackName}-build"


def test_numbers_and_booleans_become_the_strings_the_api_expects():
    template = small_template({})
    source = template["Resources"]["Demo"]["Properties"]["Stages"][0]["Actions"][0]
    source["ActionTypeId"]["Version"] = 1
    source["RunOrder"] = "1"
    source["Configuration"]["PollForSourceChanges"] = False
    build = template["Resources"]["Demo"]["Properties"]["Stages"][1]["Actions"][0]
    build["Configuration"] = json.dumps({"ProjectName": "demo-build", "BatchEnabled": True})
    (pipeline,) = from_cloudformation(template)
    action = pipeline.stages[0].actions[0]
    assert action.action_type_id.version == "1"
    assert action.run_order == 1
    assert action.configuration["PollForSourceChanges"] == "false"
    assert pipeline.stages[1].actions[0].configuration == {"ProjectName": "demo-build", "BatchEnabled": "true"}


def test_parameters_take_their_default_unless_given_or_looked_up_at_deploy_time():
    template = with_build_config({
        "ProjectName": {"Ref": "Project"},
        "Image": {"Ref": "ImageParameter"},
        "Count": {"Ref": "Count"},
        "First": {"Fn::Select": [0, {"Ref": "Names"}]},
    }, Parameters={
        "Project": {"Type": "String", "Default": "demo-build"},
        "ImageParameter": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/ci/image"},
        "Count": {"Type": "Number", "Default": 3},
        "Names": {"Type": "CommaDelimitedList", "Default": "blue, green"},
    })
    reading = read_cloudformation(template)
    config = reading.pipelines[0].pipeline.stage("Build").actions[0].configuration
    assert config == {"ProjectName": "demo-build", "Image": "${Ref:ImageParameter}", "Count": "3", "First": "blue"}
    assert reading.parameters == {"Project": "demo-build", "Count": "3", "Names": ["blue", "green"]}
    assert reading.missing_parameters == ["ImageParameter"]
    given = build_config(template, parameters={"Project": "other", "ImageParameter": "aws/codebuild/x:1",
                                               "Names": ["red"]})
    assert given == {"ProjectName": "other", "Image": "aws/codebuild/x:1", "Count": "3", "First": "red"}


def test_conditions_that_the_given_values_cannot_decide_are_assumed_true():
    template = small_template({
        "Stages": small_template({})["Resources"]["Demo"]["Properties"]["Stages"] + [
            {"Fn::If": ["HasApproval", {"Name": "Approve", "Actions": [{
                "Name": "Approve",
                "ActionTypeId": {"Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1"}}]},
                {"Ref": "AWS::NoValue"}]}],
    }, Parameters={"ApproverEmail": {"Type": "String"}},
        Conditions={"HasApproval": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApproverEmail"}, ""]}]}})
    reading = read_cloudformation(template)
    assert reading.assumed_conditions == ["HasApproval"]
    assert [s.name for s in reading.pipelines[0].pipeline.stages] == ["Source", "Build", "Approve"]
    decided = read_cloudformation(template, parameters={"ApproverEmail": ""})
    assert decided.assumed_conditions == [] and decided.conditions == {"HasApproval": False}
    assert [s.name for s in decided.pipelines[0].pipeline.stages] == ["Source", "Build"]
    told = read_cloudformation(template, conditions={"HasApproval": False})
    assert told.assumed_conditions == [] and len(told.pipelines[0].pipeline.stages) == 2


def test_mistakes_in_the_arguments_name_what_the_template_has():
    template = small_template({}, Parameters={"Env": {"Type": "String", "Default": "dev"}},
                              Conditions={"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}})
    with pytest.raises(ValueError, match=r"parameters \['Envv'\] are not in the template; its parameters are "
                                         r"\['Env'\]"):
        from_cloudformation(template, parameters={"Envv": "prod"})
    with pytest.raises(ValueError, match=r"conditions \['IsProduction'\] are not in the template"):
        from_cloudformation(template, conditions={"IsProduction": True})


def test_template_input_forms_and_errors(tmp_path):
    path = TEMPLATE_DIR / "codecommit-eventbridge.yaml"
    by_path = from_cloudformation(path)
    assert from_cloudformation(str(path))[0].to_api() == by_path[0].to_api()
    assert from_cloudformation(path.read_text())[0].to_api() == by_path[0].to_api()
    assert from_cloudformation(load_template(path))[0].to_api() == by_path[0].to_api()
    with pytest.raises(ValueError, match="cannot be read"):
        from_cloudformation("Resources:\n  Pipeline: [unclosed\n")
    with pytest.raises(ValueError, match="no Resources section"):
        from_cloudformation("AWSTemplateFormatVersion: '2010-09-09'\nDescription: nothing\n")
    assert from_cloudformation({"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}) == []


# ============================================================================================
# The corpus of real-world-style templates


def corpus(name: str, **kwargs):
    return read_cloudformation(TEMPLATE_DIR / name, **kwargs)


def shape(pipeline: Pipeline) -> list[tuple[str, list[str]]]:
    return [(s.name, [a.name for a in s.actions]) for s in pipeline.stages]


def test_corpus_has_ten_templates_listed_in_its_readme():
    assert len(TEMPLATE_FILES) >= 10
    assert {p.suffix for p in TEMPLATE_FILES} == {".yaml", ".json"}
    listed = set(re.findall(r"`([\w.-]+\.(?:yaml|json))`", (TEMPLATE_DIR / "README.md").read_text()))
    assert listed == {p.name for p in TEMPLATE_FILES}


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=[p.name for p in TEMPLATE_FILES])
def test_corpus_template_passes_cfn_lint_and_uses_the_placeholder_account(path):
    assert lint_template(path.read_text()) == []
    assert set(re.findall(r"(?<![\w-])\d{12}(?!\w)", path.read_text())) <= {ACCOUNT}


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=[p.name for p in TEMPLATE_FILES])
def test_to_yaml_writes_any_template_back_the_same(path):
    template = load_template(path)
    text = to_yaml(template)
    assert load_template(text) == template
    assert "!If" in text or "Fn::If" not in json.dumps(template)


@pytest.mark.parametrize("name", ["cross-account-conditional-prod.yaml", "github-v1-webhook.yaml",
                                  "language-extensions-blue-green.yaml", "multi-region-artifactstores.json",
                                  "nested-intrinsics-ecs.yaml", "sam-serverless-changesets.yaml",
                                  "self-updating-pipeline.yaml", "v2-triggers-variables-conditions.yaml"])
def test_corpus_pipelines_are_valid_once_account_and_region_are_known(name):
    where = {"AWS::AccountId": ACCOUNT, "AWS::Region": "us-east-1", "AWS::StackName": "demo-pipeline"}
    for item in corpus(name, parameters=where).pipelines:
        assert item.pipeline.problems() == [], item.logical_id


def test_codecommit_eventbridge():
    reading = corpus("codecommit-eventbridge.yaml")
    (item,) = reading.pipelines
    p = item.pipeline
    assert p.name == "inventory-api-delivery"
    assert shape(p) == [("Source", ["CheckoutSource"]), ("Build", ["BuildAndTest"]), ("Deploy", ["UpdateStack"])]
    source = p.stage("Source").actions[0]
    assert source.action_type_id.version == "1" and source.run_order == 1
    assert source.configuration == {"RepositoryName": "inventory-api", "BranchName": "release",
                                    "PollForSourceChanges": "false"}
    assert p.stage("Build").actions[0].config("ProjectName") == "inventory-api-build"
    deploy = p.stage("Deploy").actions[0].configuration
    assert deploy["StackName"] == "inventory-api-app"
    assert deploy["RoleArn"] == "${GetAtt:DeployRole.Arn}"
    assert p.role_arn == "arn:aws:iam::${AWS::AccountId}:role/inventory-api-pipeline"
    assert reading.parameters["ServiceName"] == "inventory-api"
    (other,) = corpus("codecommit-eventbridge.yaml", parameters={"ServiceName": "billing-api",
                                                                 "AWS::AccountId": ACCOUNT}).pipelines
    assert other.pipeline.name == "billing-api-delivery"
    assert other.pipeline.role_arn == f"arn:aws:iam::{ACCOUNT}:role/billing-api-pipeline"


def test_github_v1_with_a_dynamic_reference_for_the_token():
    (item,) = corpus("github-v1-webhook.yaml").pipelines
    p = item.pipeline
    assert item.logical_id == "StorefrontPipeline" and p.name == "storefront-web"
    assert shape(p) == [("Source", ["GitHubSource"]), ("Build", ["Compile"]), ("Staging", ["DeployStaging"]),
                        ("Production", ["DeployFleet"])]
    source = p.stage("Source").actions[0]
    assert (source.action_type_id.owner, source.provider) == ("ThirdParty", "GitHub")
    assert source.config("OAuthToken") == "{{resolve:secretsmanager:storefront/github:SecretString:token}}"
    assert source.config("Owner") == "example-org" and source.config("PollForSourceChanges") == "false"
    assert p.role_arn == f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSCodePipelineServiceRole-us-east-1-storefront"


def test_cross_account_production_stage_only_when_prod():
    dev = corpus("cross-account-conditional-prod.yaml")
    (item,) = dev.pipelines
    assert dev.conditions == {"IsProd": False}
    assert dev.assumed_conditions == []
    assert item.pipeline.name == "billing-dev"
    assert shape(item.pipeline) == [("Source", ["Source"]), ("Build", ["Build"]), ("TestAccount", ["DeployTest"])]
    assert item.pipeline.stage("Source").actions[0].config("BranchName") == "develop"
    test = item.pipeline.stage("TestAccount").actions[0]
    assert test.role_arn == f"arn:aws:iam::{ACCOUNT}:role/billing-pipeline-deployer"
    assert test.config("RoleArn") == f"arn:aws:iam::{ACCOUNT}:role/billing-cfn-exec"
    assert item.pipeline.artifact_store.location == "billing-artifacts-${AWS::AccountId}-${AWS::Region}"

    prod = corpus("cross-account-conditional-prod.yaml", parameters={"Environment": "prod",
                                                                     "ProdAccount": "210987654321"})
    (item,) = prod.pipelines
    assert prod.conditions == {"IsProd": True, "ApprovalWanted": True}
    assert item.pipeline.name == "billing-prod"
    assert shape(item.pipeline)[-1] == ("ProdAccount", ["Approve", "DeployProd"])
    assert item.pipeline.stage("Source").actions[0].config("BranchName") == "main"
    deploy = item.pipeline.stage("ProdAccount").action("DeployProd")
    assert deploy.role_arn == "arn:aws:iam::210987654321:role/billing-pipeline-deployer"
    assert deploy.run_order == 2
    approve = item.pipeline.stage("ProdAccount").action("Approve")
    assert approve.config("NotificationArn") == "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:billing-release-approvals"
    assert json.loads(item.pipeline.stage("Build").actions[0].config("EnvironmentVariables"))[0]["value"] == "prod"

    without_approval = corpus("cross-account-conditional-prod.yaml",
                              parameters={"Environment": "prod", "RequireApproval": "false"})
    assert shape(without_approval.pipelines[0].pipeline)[-1] == ("ProdAccount", ["DeployProd"])
    forced = corpus("cross-account-conditional-prod.yaml", conditions={"IsProd": True, "ApprovalWanted": False})
    assert forced.pipelines[0].pipeline.name == "billing-dev"
    assert shape(forced.pipelines[0].pipeline)[-1] == ("ProdAccount", ["DeployProd"])
    forced_off = corpus("cross-account-conditional-prod.yaml", parameters={"Environment": "prod"},
                        conditions={"IsProd": False})
    assert [s.name for s in forced_off.pipelines[0].pipeline.stages] == ["Source", "Build", "TestAccount"]


def test_multi_region_artifact_stores_from_a_mapping():
    (item,) = corpus("multi-region-artifactstores.json").pipelines
    p = item.pipeline
    assert p.name == "global-api-global"
    assert p.role_arn == "arn:aws:iam::${AWS::AccountId}:role/global-api-pipeline"
    assert list(p.artifact_stores) == ["us-east-1", "eu-west-1", "ap-southeast-2"]
    assert p.artifact_stores["eu-west-1"].location == "global-api-artifacts-euw1"
    assert p.artifact_stores["ap-southeast-2"].encryption_key.id.startswith("arn:aws:kms:ap-southeast-2:")
    assert shape(p) == [("Source", ["Source"]), ("Build", ["Package"]), ("DeployUS", ["Deploy-us-east-1"]),
                        ("DeployRestOfWorld", ["Deploy-eu-west-1", "Deploy-ap-southeast-2"])]
    assert p.regions() == ["us-east-1", "eu-west-1", "ap-southeast-2"]
    assert p.stage("Source").actions[0].config("FullRepositoryId") == "example-org/global-api"
    assert p.stage("DeployRestOfWorld").actions[1].config("RoleArn") == \
        "arn:aws:iam::${AWS::AccountId}:role/global-api-cfn"


def test_custom_actions_and_imported_values():
    (item,) = corpus("custom-actions-jenkins.json").pipelines
    p = item.pipeline
    assert p.name == "MonolithPipeline"  # no Name: CloudFormation would generate one
    assert p.role_arn == "${ImportValue:ci-foundation-PipelineRoleArn}"
    assert p.artifact_store.location == "${ImportValue:ci-foundation-ArtifactBucket}"
    build = p.stage("Build").actions[0]
    assert (build.action_type_id.owner, build.provider, build.config("ProjectName")) == (
        "Custom", "JenkinsMonolith", "monolith-build")
    scan = p.stage("Verify").action("SecurityScan")
    assert scan.action_type_id.version == "2"
    assert scan.configuration == {"TargetUrl": "https://qa.monolith.example.com", "MaxDurationMinutes": "25",
                                  "FailOnHigh": "true"}


def test_nested_join_sub_select_split():
    (item,) = corpus("nested-intrinsics-ecs.yaml").pipelines
    p = item.pipeline
    assert p.name == "orders-service-staging"
    assert p.role_arn == "arn:aws:iam::${AWS::AccountId}:role/orders-service-staging-pipeline"
    assert p.artifact_store.location == "orders-service-artifacts-${AWS::AccountId}"
    assert p.stage("Source").actions[0].config("BranchName") == "release/staging"
    build = p.stage("Build").actions[0]
    assert build.config("ProjectName") == "orders-service-image"
    variables = json.loads(build.config("EnvironmentVariables"))
    assert variables[0]["value"] == "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/orders-service"
    assert variables[1]["value"] == "2"
    blue, green = p.stage("Deploy").actions
    assert (blue.config("ClusterName"), green.config("ClusterName")) == ("orders-blue", "orders-green")
    assert blue.config("DeploymentTimeout") == "15"
    (production,) = corpus("nested-intrinsics-ecs.yaml", parameters={
        "Stage": "production", "AWS::AccountId": ACCOUNT, "AWS::Region": "eu-central-1"}).pipelines
    build = production.pipeline.stage("Build").actions[0]
    assert json.loads(build.config("EnvironmentVariables"))[0]["value"] == \
        f"{ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/orders-service"
    assert production.pipeline.stage("Deploy").actions[0].config("DeploymentTimeout") == "30"


def test_two_pipelines_one_of_them_conditional():
    default = corpus("two-pipelines.yaml")
    assert [i.logical_id for i in default.pipelines] == ["MainlinePipeline"]
    assert default.skipped == ["HotfixPipeline"]
    both = corpus("two-pipelines.yaml", parameters={"EnableHotfixPipeline": "true"})
    mainline, hotfix = (i.pipeline for i in both.pipelines)
    assert (mainline.name, hotfix.name) == ("payments-mainline", "HotfixPipeline")
    assert mainline.execution_mode == "QUEUED" and hotfix.pipeline_type == "V2"
    assert mainline.role_arn == hotfix.role_arn == "${GetAtt:PipelineRole.Arn}"
    assert hotfix.artifact_store.location == "${Ref:ArtifactBucket}"
    assert mainline.stage("Build").actions[0].config("ProjectName") == "payments-build"
    assert [s.name for s in mainline.stages] == ["Source", "Build", "Staging", "Production"]
    assert shape(hotfix)[-1] == ("Production", ["Approve", "DeployProduction"])
    assert hotfix.stage("Source").actions[0].config("BranchName") == "hotfix"
    assert from_cloudformation(TEMPLATE_DIR / "two-pipelines.yaml",
                               conditions={"CreateHotfixPipeline": True})[1].name == "HotfixPipeline"


def test_sam_template_with_change_sets():
    (item,) = corpus("sam-serverless-changesets.yaml", parameters={"AWS::Region": "eu-west-1"}).pipelines
    p = item.pipeline
    assert shape(p) == [("Source", ["Source"]), ("Package", ["SamPackage"]),
                        ("Production", ["CreateChangeSet", "ReviewChangeSet", "ExecuteChangeSet"])]
    create, review, execute = p.stage("Production").actions
    assert create.config("ActionMode") == "CHANGE_SET_REPLACE"
    assert create.config("Capabilities") == "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND"
    assert create.config("RoleArn") == "arn:aws:iam::${AWS::AccountId}:role/orders-ingest-cfn"
    assert review.config("NotificationArn") == "arn:aws:sns:eu-west-1:${AWS::AccountId}:orders-ingest-release-approvals"
    assert (execute.run_order, execute.config("ChangeSetName")) == (3, "orders-ingest-release")
    assert p.role_arn == "arn:aws:iam::${AWS::AccountId}:role/orders-ingest-pipeline"


def test_v2_triggers_variables_and_conditions():
    (item,) = corpus("v2-triggers-variables-conditions.yaml").pipelines
    p = item.pipeline
    assert (p.pipeline_type, p.execution_mode) == ("V2", "QUEUED")
    assert [(v.name, v.default_value) for v in p.variables] == [("DeployTarget", "blue"), ("ReleaseNote", None)]
    git = p.triggers[0].git_configuration
    assert git.source_action_name == "Checkout"
    assert git.push[0].file_paths.excludes == ["**/*.md"]
    assert git.push[1].tags.includes == ["catalog-v*"]
    assert git.pull_request[0].events == ["OPEN", "UPDATED"]
    assert p.stage("Source").actions[0].config("ConnectionArn") == "${Ref:GitHubConnection}"
    assert p.stage("Source").actions[0].config("DetectChanges") == "false"
    bundle = p.stage("Build").actions[0]
    assert bundle.commands[1] == "make bundle" and bundle.output_variables == ["BUNDLE_SHA"]
    assert bundle.output_artifacts[0].files == ["services/catalog/dist/**/*"]
    assert [e.type for e in bundle.environment_variables] == ["PLAINTEXT", "SECRETS_MANAGER"]
    beta, production = p.stage("Beta"), p.stage("Production")
    assert beta.on_failure.result == "RETRY" and beta.on_failure.retry_configuration.retry_mode == "FAILED_ACTIONS"
    rule = production.on_success.conditions[0].rules[0]
    assert rule.rule_type_id.version == "1" and rule.configuration == {"AlarmName": "catalog-production-5xx",
                                                                       "WaitTime": "20"}
    assert production.before_entry.conditions[0].rules[0].configuration["TimeZone"] == "Europe/Berlin"
    assert item.tags == {"team": "catalog", "cost-center": "4711"}
    assert item.disabled_transitions == {"Production": "Release freeze until the catalog migration is done"}
    assert item.restart_execution_on_update is None
    (longer,) = corpus("v2-triggers-variables-conditions.yaml", parameters={"AlarmWaitMinutes": 45}).pipelines
    assert longer.pipeline.stage("Production").on_success.conditions[0].rules[0].configuration["WaitTime"] == "45"


def test_self_updating_pipeline_restarts_on_update():
    (item,) = corpus("self-updating-pipeline.yaml").pipelines
    assert item.restart_execution_on_update is True
    p = item.pipeline
    assert [s.name for s in p.stages] == ["Source", "Build", "UpdatePipeline", "Production"]
    assert p.stage("UpdatePipeline").actions[0].config("StackName") == "${AWS::StackName}"
    (named,) = corpus("self-updating-pipeline.yaml", parameters={"AWS::StackName": "ledger-pipeline"}).pipelines
    assert named.pipeline.stage("UpdatePipeline").actions[0].config("StackName") == "ledger-pipeline"


def test_language_extensions_to_json_string_and_find_in_map_default():
    (item,) = corpus("language-extensions-blue-green.yaml").pipelines
    p = item.pipeline
    assert p.name == "checkout-production"
    assert p.stage("Source").action("Image").config("ImageTag") == "release"
    scan = p.stage("Scan").actions[0]
    assert scan.inputs == ["DeployConfig", "ImageArtifact"] and scan.config("PrimarySource") == "DeployConfig"
    assert json.loads(scan.config("EnvironmentVariables")) == [
        {"name": "SEVERITY_THRESHOLD", "value": "HIGH", "type": "PLAINTEXT"},
        {"name": "SCANNER_TOKEN", "value": "/checkout/scanner-token", "type": "PARAMETER_STORE"}]
    blue_green = p.stage("Deploy").actions[0]
    assert blue_green.provider == "CodeDeployToECS"
    assert blue_green.config("ApplicationName") == "AppECS-checkout-production"
    (staging,) = corpus("language-extensions-blue-green.yaml", parameters={"Environment": "staging"}).pipelines
    assert staging.pipeline.stage("Source").action("Image").config("ImageTag") == "latest"
