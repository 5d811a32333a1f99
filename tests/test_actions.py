"""Tests for actions.py: every builder gives the exact create_pipeline structure, with catalog identity."""

import importlib.util
import json

import pytest

from pipeline_workbook import actions as a
from pipeline_workbook.catalog import PROVIDERS, provider_spec
from pipeline_workbook.model import Action, Pipeline

CONNECTION = "arn:aws:codeconnections:us-east-1:123456789012:connection/a1b2c3d4-5678-4abc-9def-0123456789ab"
CFN_ROLE = "arn:aws:iam::123456789012:role/wb-cloudformation-role"
HAS_VALIDATOR = importlib.util.find_spec("pipeline_workbook.validate") is not None
needs_validator = pytest.mark.skipif(not HAS_VALIDATOR, reason="validate.py has not landed yet")


# ------------------------------------------------------------------------------------------
# Exact API dicts


def test_github_source_api_dict():
    action = a.github_source(connection_arn=CONNECTION, repository="octo-org/hello-service",
                             detect_changes=False, clone_ref=True, namespace="SourceVariables")
    assert action.to_api() == {
        "name": "Source",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection", "version": "1"},
        "configuration": {
            "ConnectionArn": CONNECTION,
            "FullRepositoryId": "octo-org/hello-service",
            "BranchName": "main",
            "OutputArtifactFormat": "CODEBUILD_CLONE_REF",
            "DetectChanges": "false",
        },
        "outputArtifacts": [{"name": "SourceOutput"}],
        "namespace": "SourceVariables",
    }


def test_codebuild_api_dict_with_environment_variables_as_json():
    action = a.codebuild("Deploy-eu-west-1", project="wb-deploy", inputs=["BuildOutput", "SourceOutput"],
                         environment_variables={"DEPLOY_ENVIRONMENT": "production", "REPLICAS": 3},
                         batch=True, run_order=2, region="eu-west-1")
    assert action.to_api() == {
        "name": "Deploy-eu-west-1",
        "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
        "runOrder": 2,
        "configuration": {
            "ProjectName": "wb-deploy",
            "PrimarySource": "BuildOutput",
            "EnvironmentVariables": '[{"name":"DEPLOY_ENVIRONMENT","value":"production","type":"PLAINTEXT"},'
                                    '{"name":"REPLICAS","value":"3","type":"PLAINTEXT"}]',
            "BatchEnabled": "true",
        },
        "inputArtifacts": [{"name": "BuildOutput"}, {"name": "SourceOutput"}],
        "region": "eu-west-1",
    }


def test_cloudformation_api_dict_infers_inputs_from_template_paths():
    action = a.cloudformation("DeployStack", stack="wb-app", template="BuildOutput::template.yaml",
                              role_arn=CFN_ROLE, capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
                              parameter_overrides={"ImageTag": "v1", "Replicas": 2},
                              template_configuration="ConfigOutput::prod.json",
                              output_file="outputs.json", outputs="StackOutputs")
    assert action.to_api() == {
        "name": "DeployStack",
        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation", "version": "1"},
        "configuration": {
            "ActionMode": "CREATE_UPDATE",
            "StackName": "wb-app",
            "TemplatePath": "BuildOutput::template.yaml",
            "RoleArn": CFN_ROLE,
            "Capabilities": "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND",
            "ParameterOverrides": '{"ImageTag":"v1","Replicas":"2"}',
            "TemplateConfiguration": "ConfigOutput::prod.json",
            "OutputFileName": "outputs.json",
        },
        "inputArtifacts": [{"name": "BuildOutput"}, {"name": "ConfigOutput"}],
        "outputArtifacts": [{"name": "StackOutputs"}],
    }


def test_manual_approval_api_dict():
    action = a.manual_approval(notification_arn="arn:aws:sns:us-east-1:123456789012:wb-approvals",
                               external_link="https://preprod.example.com", custom_data="Look at it",
                               timeout_minutes=120, run_order=3)
    assert action.to_api() == {
        "name": "Approve",
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
        "runOrder": 3,
        "configuration": {"NotificationArn": "arn:aws:sns:us-east-1:123456789012:wb-approvals",
                          "ExternalEntityLink": "https://preprod.example.com", "CustomData": "Look at it"},
        "timeoutInMinutes": 120,
    }


def test_manual_approval_without_options_has_no_configuration():
    assert a.manual_approval().to_api() == {
        "name": "Approve",
        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
    }


# ------------------------------------------------------------------------------------------
# Identity and configuration keys agree with the catalog, for every builder


def every_builder():
    """One action from each builder, with its expected (category, provider)."""
    return [
        (a.github_source(connection_arn=CONNECTION, repository="o/r"), "Source", "CodeStarSourceConnection"),
        (a.bitbucket_source(connection_arn=CONNECTION, repository="team/repo"), "Source", "CodeStarSourceConnection"),
        (a.github_enterprise_source(connection_arn=CONNECTION, repository="o/r"), "Source", "CodeStarSourceConnection"),
        (a.gitlab_source(connection_arn=CONNECTION, repository="group/project"), "Source", "CodeStarSourceConnection"),
        (a.codecommit_source(repository="hello", poll=False), "Source", "CodeCommit"),
        (a.s3_source(bucket="wb-src", key="app.zip", poll=True), "Source", "S3"),
        (a.ecr_source(repository="hello"), "Source", "ECR"),
        (a.codebuild("B", project="p", inputs="In"), "Build", "CodeBuild"),
        (a.codebuild_test("T", project="p", inputs=["In", "Other"]), "Test", "CodeBuild"),
        (a.commands("C", commands=["make"], inputs="In", outputs="Out", output_files=["dist/**"]), "Compute", "Commands"),
        (a.manual_approval(custom_data="x"), "Approval", "Manual"),
        (a.cloudformation_deploy("CF", stack="s", template="In::t.yaml", role_arn=CFN_ROLE), "Deploy", "CloudFormation"),
        (a.cloudformation_replace_on_failure("CF", stack="s", template="In::t.yaml", role_arn=CFN_ROLE),
         "Deploy", "CloudFormation"),
        (a.cloudformation_create_change_set("CF", stack="s", template="In::t.yaml", role_arn=CFN_ROLE,
                                            change_set="cs"), "Deploy", "CloudFormation"),
        (a.cloudformation_execute_change_set("CF", stack="s", change_set="cs"), "Deploy", "CloudFormation"),
        (a.cloudformation_delete("CF", stack="s", role_arn=CFN_ROLE), "Deploy", "CloudFormation"),
        (a.codedeploy("CD", application="app", deployment_group="grp", input="In"), "Deploy", "CodeDeploy"),
        (a.ecs_deploy("ECS", cluster="c", service="s", input="In", file_name="img.json", deployment_timeout=30),
         "Deploy", "ECS"),
        (a.ecs_blue_green("BG", application="app", deployment_group="grp", task_definition_artifact="Src",
                          appspec_artifact="Src", images=[("Img", "IMAGE1_NAME")]), "Deploy", "CodeDeployToECS"),
        (a.s3_deploy("S3", bucket="site", input="In", extract=False, object_key="app.zip"), "Deploy", "S3"),
        (a.lambda_invoke("L", function="f", user_parameters={"a": 1}), "Invoke", "Lambda"),
        (a.step_functions("SF", state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
                          input="in.json", input_type="FilePath", inputs="In"), "Invoke", "StepFunctions"),
    ]


@pytest.mark.parametrize("action,category,provider", every_builder(),
                         ids=lambda v: v.name if isinstance(v, Action) else None)
def test_identity_and_keys_come_from_the_catalog(action, category, provider):
    spec = provider_spec(category, "AWS", provider)
    assert spec is not None
    type_id = action.action_type_id
    assert (type_id.category, type_id.owner, type_id.provider, type_id.version) == (category, "AWS", provider, "1")
    config = action.configuration or {}
    assert set(spec.required) <= set(config), f"missing required keys {set(spec.required) - set(config)}"
    assert set(config) <= set(spec.known_keys), f"keys the catalog does not know: {set(config) - set(spec.known_keys)}"
    for rule in spec.required_when:
        if rule.applies(config, len(action.inputs)):
            assert rule.key in config, rule.reason
    for key, allowed in spec.choices.items():
        if key in config:
            assert config[key] in allowed
    assert all(isinstance(v, str) for v in config.values())
    assert spec.inputs[0] <= len(action.inputs) <= spec.inputs[1]
    assert spec.outputs[0] <= len(action.outputs) <= spec.outputs[1]


def test_every_aws_provider_family_we_build_is_in_the_catalog():
    built = {(act.category, act.provider) for act, _, _ in every_builder()}
    catalog = {(s.category, s.provider) for s in PROVIDERS if s.owner == "AWS"}
    assert built <= catalog


# ------------------------------------------------------------------------------------------
# Strings everywhere


def test_booleans_and_numbers_become_strings():
    assert a.codecommit_source(repository="r", poll=False).config("PollForSourceChanges") == "false"
    assert a.s3_source(bucket="b", key="k", poll=True).config("PollForSourceChanges") == "true"
    assert a.github_source(connection_arn=CONNECTION, repository="o/r", detect_changes=True).config("DetectChanges") == "true"
    assert a.s3_deploy("S", bucket="b", input="In").config("Extract") == "true"
    assert a.ecs_deploy("E", cluster="c", service="s", input="In", deployment_timeout=45).config("DeploymentTimeout") == "45"
    assert a.alarm_rule("wb-5xx", wait_minutes=30).configuration["WaitTime"] == "30"


def test_defaults_stay_absent():
    source = a.github_source(connection_arn=CONNECTION, repository="o/r")
    assert set(source.configuration) == {"ConnectionArn", "FullRepositoryId", "BranchName"}
    build = a.codebuild("B", project="p", inputs="In")
    assert build.to_api() == {
        "name": "B",
        "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
        "configuration": {"ProjectName": "p"},
        "inputArtifacts": [{"name": "In"}],
    }
    assert a.ecr_source(repository="hello").config("ImageTag") == "latest"
    assert a.ecr_source(repository="hello", image_tag=None).config("ImageTag") is None


def test_environment_variables_list_form_and_read_back():
    action = a.codebuild("B", project="p", inputs="In", environment_variables=[
        {"name": "TOKEN", "value": "/wb/token", "type": "PARAMETER_STORE"},
        {"name": "DEBUG", "value": False},
    ])
    assert json.loads(action.config("EnvironmentVariables")) == [
        {"name": "TOKEN", "value": "/wb/token", "type": "PARAMETER_STORE"},
        {"name": "DEBUG", "value": "false", "type": "PLAINTEXT"},
    ]
    assert a.environment_variables_of(action) == {"TOKEN": "/wb/token", "DEBUG": "false"}
    assert a.environment_variables_of(a.codebuild("B", project="p", inputs="In")) == {}


def test_primary_source_defaults_to_first_input_and_must_be_an_input():
    action = a.codebuild("B", project="p", inputs=["One", "Two"], primary_source="Two")
    assert action.config("PrimarySource") == "Two"
    assert a.codebuild("B", project="p", inputs=["One", "Two"]).config("PrimarySource") == "One"
    with pytest.raises(ValueError, match="primary_source 'Three'"):
        a.codebuild("B", project="p", inputs=["One", "Two"], primary_source="Three")


def test_commands_action_fields():
    action = a.commands("Lint", commands=["npm ci", "npm run lint"], inputs="SourceOutput", outputs="LintOut",
                        output_files=["reports/**"], output_variables=["RESULT"],
                        environment_variables={"CI": True})
    api = action.to_api()
    assert api["commands"] == ["npm ci", "npm run lint"]
    assert api["outputArtifacts"] == [{"name": "LintOut", "files": ["reports/**"]}]
    assert api["outputVariables"] == ["RESULT"]
    assert api["environmentVariables"] == [{"name": "CI", "value": "true", "type": "PLAINTEXT"}]
    assert "configuration" not in api


def test_ecs_blue_green_numbers_images_and_derives_inputs():
    action = a.ecs_blue_green("BG", application="app", deployment_group="grp", task_definition_artifact="Src",
                              appspec_artifact="Src", task_definition_path="taskdef.json",
                              images=[("WebImage", "IMAGE1_NAME"), ("SidecarImage", "IMAGE2_NAME")])
    assert action.inputs == ["Src", "WebImage", "SidecarImage"]
    assert action.config("Image2ArtifactName") == "SidecarImage"
    assert action.config("Image2ContainerName") == "IMAGE2_NAME"
    assert action.config("TaskDefinitionTemplatePath") == "taskdef.json"


# ------------------------------------------------------------------------------------------
# Argument errors name the argument


@pytest.mark.parametrize("call,expected", [
    (lambda: a.cloudformation("CF", mode="CREATE", stack="s", template="In::t", role_arn=CFN_ROLE), "mode 'CREATE'"),
    (lambda: a.cloudformation("CF", stack="s", role_arn=CFN_ROLE), "template="),
    (lambda: a.cloudformation("CF", stack="s", template="In::t"), "role_arn"),
    (lambda: a.cloudformation("CF", stack="s", template="t.yaml", role_arn=CFN_ROLE), "template"),
    (lambda: a.cloudformation("CF", stack="s", template="In::t", role_arn=CFN_ROLE, inputs="Other"), "inputs"),
    (lambda: a.cloudformation("CF", stack="s", template="In::t", role_arn=CFN_ROLE, capabilities="IAM"), "capability"),
    (lambda: a.cloudformation("CF", stack="s", template="In::t", role_arn=CFN_ROLE, output_file="o.json"), "outputs"),
    (lambda: a.cloudformation("CF", stack="s", template="In::t", role_arn=CFN_ROLE,
                              parameter_overrides={f"P{i}": "x" * 40 for i in range(30)}), "1 KB"),
    (lambda: a.cloudformation_execute_change_set("CF", stack="s", change_set=""), "change_set"),
    (lambda: a.codebuild("B", project="p", inputs="Build.Out"), "inputs"),
    (lambda: a.codebuild("B", project="p", inputs="In", outputs="bad name"), "outputs"),
    (lambda: a.codebuild("B", project="p", inputs=()), "inputs must name 1 to 5"),
    (lambda: a.codebuild("B", project="p", inputs="In", environment_variables={"BAD-NAME": "x"}), "BAD-NAME"),
    (lambda: a.codebuild("B", project="p", inputs="In", environment_variables=[{"name": "X", "value": "1",
                                                                                 "type": "VAULT"}]), "VAULT"),
    (lambda: a.codebuild("B", project="p", inputs="In", run_order=0), "run_order"),
    (lambda: a.codebuild("B", project="p", inputs="In", region="Ireland"), "region"),
    (lambda: a.codebuild("B", project="p", inputs="In", combine_artifacts=True), "batch=True"),
    (lambda: a.codebuild("bad name!", project="p", inputs="In"), "name"),
    (lambda: a.github_source(connection_arn="arn:aws:iam::123456789012:role/x", repository="o/r"), "connection_arn"),
    (lambda: a.github_source(connection_arn=CONNECTION, repository="just-a-name"), "repository"),
    (lambda: a.github_source(connection_arn=CONNECTION, repository="o/r", output="Source.Out"), "output"),
    (lambda: a.manual_approval(timeout_minutes=3), "timeout_minutes"),
    (lambda: a.manual_approval(notification_arn="my-topic"), "notification_arn"),
    (lambda: a.s3_deploy("S", bucket="b", input="In", extract=False), "object_key"),
    (lambda: a.ecs_deploy("E", cluster="c", service="s", input="In", deployment_timeout=90), "deployment_timeout"),
    (lambda: a.ecs_deploy("E", cluster="c", service="s", input=["A", "B"]), "input must name exactly one"),
    (lambda: a.step_functions("SF", state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:m",
                              input_type="FilePath"), "FilePath"),
    (lambda: a.commands("C", commands=[], inputs="In"), "commands"),
    (lambda: a.commands("C", commands=["make"], inputs="In", output_files=["x"]), "output_files"),
    (lambda: a.retry_on_failure("SOME_ACTIONS"), "mode"),
    (lambda: a.alarm_rule("wb-alarm", alarm_states=["RED"]), "alarm_states"),
    (lambda: a.alarm_rule("wb-alarm", wait_minutes=0), "wait_minutes"),
    (lambda: a.alarm_rules([f"a{i}" for i in range(6)]), "1 to 5"),
    (lambda: a.deployment_window_rule("0 9-17 * * MON-FRI"), "cron"),
    (lambda: a.before_entry(a.alarm_rule("x"), result="ROLLBACK"), "result"),
    (lambda: a.before_entry(a.deployment_window_rule("0 0 9-17 ? * MON-FRI *"), result="SKIP"),
     "works only with LambdaInvoke, VariableCheck"),
    (lambda: a.on_success(a.alarm_rule("x"), result="SKIP"), "result"),
    (lambda: a.commands("C", commands=["make"], inputs="In", region="eu-west-1"), "cannot run in another region"),
    (lambda: a.git_push_trigger("Source", branches="main", tags="v*"), "branches or tags"),
    (lambda: a.git_push_trigger("Source", file_paths="src/**"), "file_paths needs branches"),
    (lambda: a.git_push_trigger("Source", branches=[f"b{i}" for i in range(9)]), "at most 8"),
    (lambda: a.git_push_trigger(a.codecommit_source(repository="r"), branches="main"), "source_action"),
    (lambda: a.git_pull_request_trigger("Source", events=["MERGED"]), "events"),
    (lambda: a.stage("Empty"), "at least one action"),
])
def test_argument_errors_name_the_argument(call, expected):
    with pytest.raises(ValueError) as caught:
        call()
    assert expected in str(caught.value)


# ------------------------------------------------------------------------------------------
# Conditions and triggers


def test_alarm_and_window_rules_use_the_documented_keys():
    alarm = a.alarm_rule("wb-5xx", wait_minutes=60, region="eu-west-1")
    assert alarm.to_api() == {
        "name": "Alarm-wb-5xx",
        "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "CloudWatchAlarm", "version": "1"},
        "configuration": {"AlarmName": "wb-5xx", "AlarmStates": "ALARM", "WaitTime": "60"},
        "region": "eu-west-1",
    }
    window = a.deployment_window_rule("0 0 9-17 ? * MON-FRI *", "Europe/Berlin")
    assert window.configuration == {"Cron": "0 0 9-17 ? * MON-FRI *", "TimeZone": "Europe/Berlin"}
    assert window.rule_type_id.provider == "DeploymentWindow"


def test_stage_conditions_shapes():
    st = a.stage("Wave1", a.codebuild("D", project="p", inputs="In"),
                 on_failure=a.rollback_on_failure(),
                 on_success=a.on_success_alarm(["wb-a", "wb-b"], wait_minutes=30),
                 before_entry=a.before_entry(a.deployment_window_rule("0 0 9-17 ? * MON-FRI *")))
    api = st.to_api()
    assert api["onFailure"] == {"result": "ROLLBACK"}
    assert api["onSuccess"]["conditions"][0]["result"] == "ROLLBACK"
    assert [r["configuration"]["AlarmName"] for r in api["onSuccess"]["conditions"][0]["rules"]] == ["wb-a", "wb-b"]
    assert api["beforeEntry"]["conditions"][0]["result"] == "FAIL"
    assert api["beforeEntry"]["conditions"][0]["rules"][0]["configuration"] == {"Cron": "0 0 9-17 ? * MON-FRI *"}
    assert a.retry_on_failure("ALL_ACTIONS").to_api() == {"result": "RETRY",
                                                           "retryConfiguration": {"retryMode": "ALL_ACTIONS"}}


def test_git_push_trigger_api_dict():
    source = a.github_source(connection_arn=CONNECTION, repository="o/r")
    trigger = a.git_push_trigger(source, branches={"includes": ["main", "release/*"], "excludes": ["release/old"]},
                                 file_paths="src/**")
    assert trigger.to_api() == {
        "providerType": "CodeStarSourceConnection",
        "gitConfiguration": {
            "sourceActionName": "Source",
            "push": [{"branches": {"includes": ["main", "release/*"], "excludes": ["release/old"]},
                      "filePaths": {"includes": ["src/**"]}}],
        },
    }


def test_git_trigger_merges_push_and_pull_request_filters():
    merged = a.git_trigger(a.git_push_trigger("Source", tags="v*"),
                           a.git_pull_request_trigger("Source", branches="main"))
    config = merged.to_api()["gitConfiguration"]
    assert config["push"] == [{"tags": {"includes": ["v*"]}}]
    assert config["pullRequest"] == [{"events": ["OPEN", "UPDATED"], "branches": {"includes": ["main"]}}]
    with pytest.raises(ValueError, match="same source action"):
        a.git_trigger(a.git_push_trigger("Source", tags="v*"), a.git_push_trigger("Other", tags="v*"))


# ------------------------------------------------------------------------------------------
# Pipelines: role, artifact stores, type


def two_stage(*deploy_actions):
    return [a.stage("Source", a.github_source(connection_arn=CONNECTION, repository="o/r")),
            a.stage("Deploy", *deploy_actions)]


def test_pipeline_fills_role_and_single_artifact_store():
    p = a.pipeline("wb-demo", two_stage(a.codebuild("D", project="p", inputs="SourceOutput")))
    api = p.to_api()
    assert api["roleArn"] == "arn:aws:iam::123456789012:role/wb-demo-pipeline-role"
    assert api["artifactStore"] == {"location": "wb-demo-artifacts-123456789012", "type": "S3"}
    assert "artifactStores" not in api and "pipelineType" not in api


def test_pipeline_switches_to_artifact_stores_for_cross_region_actions():
    stages = two_stage(a.codebuild("D1", project="p", inputs="SourceOutput", region="eu-west-1"),
                       a.codebuild("D2", project="p", inputs="SourceOutput", region="us-east-1"),
                       a.codebuild("D3", project="p", inputs="SourceOutput", region="ap-south-1"))
    p = a.pipeline("wb-demo", stages)
    assert p.artifact_store is None
    assert list(p.artifact_stores) == ["us-east-1", "eu-west-1", "ap-south-1"]
    assert p.artifact_stores["us-east-1"].location == "wb-demo-artifacts-123456789012"
    assert p.artifact_stores["eu-west-1"].location == "wb-demo-artifacts-123456789012-eu-west-1"
    named = a.pipeline("wb-demo", stages, artifact_bucket="my-bucket")
    assert {r: s.location for r, s in named.artifact_stores.items()} == {
        "us-east-1": "my-bucket", "eu-west-1": "my-bucket-eu-west-1", "ap-south-1": "my-bucket-ap-south-1"}
    with pytest.raises(ValueError, match="artifact_bucket has no bucket for region"):
        a.pipeline("wb-demo", stages, artifact_bucket={"us-east-1": "b1", "eu-west-1": "b2"})


def test_action_in_the_pipeline_region_keeps_a_single_store():
    p = a.pipeline("wb-demo", two_stage(a.codebuild("D", project="p", inputs="SourceOutput", region="us-east-1")))
    assert p.artifact_stores is None and p.artifact_store.location == "wb-demo-artifacts-123456789012"


def test_bucket_names_fit_s3_rules_for_any_pipeline_name():
    name = a.artifact_bucket_name("Very_Long.Pipeline@Name-" + "x" * 90, "123456789012", "ap-southeast-2")
    assert len(name) <= 63 and name == name.lower()
    assert name.endswith("-artifacts-123456789012-ap-southeast-2")
    assert all(c.isalnum() or c == "-" for c in name)


def test_pipeline_becomes_v2_for_v2_features_and_refuses_v1():
    source = a.github_source(connection_arn=CONNECTION, repository="o/r")
    stages = [a.stage("Source", source), a.stage("Build", a.codebuild("B", project="p", inputs="SourceOutput"))]
    assert a.pipeline("wb-demo", stages).pipeline_type is None
    assert a.pipeline("wb-demo", stages, triggers=[a.git_push_trigger(source, branches="main")]).pipeline_type == "V2"
    assert a.pipeline("wb-demo", stages, variables={"TAG": "latest"}).to_api()["variables"] == [
        {"name": "TAG", "defaultValue": "latest"}]
    assert a.pipeline("wb-demo", stages, execution_mode="QUEUED").pipeline_type == "V2"
    with pytest.raises(ValueError, match="pipeline_type='V1' cannot have executionMode PARALLEL"):
        a.pipeline("wb-demo", stages, pipeline_type="V1", execution_mode="PARALLEL")
    with pytest.raises(ValueError, match="execution_mode"):
        a.pipeline("wb-demo", stages, execution_mode="FAST")
    with pytest.raises(ValueError, match="account"):
        a.pipeline("wb-demo", stages, account="12345")
    rolled = [stages[0], a.stage("Build", a.codebuild("B", project="p", inputs="SourceOutput"),
                                 on_failure=a.rollback_on_failure())]
    with pytest.raises(ValueError, match="PARALLEL mode cannot roll stages back"):
        a.pipeline("wb-demo", rolled, execution_mode="PARALLEL")


def test_pipeline_round_trips_through_the_api_shape():
    p = a.pipeline("wb-demo", two_stage(a.codebuild("D", project="p", inputs="SourceOutput", region="eu-west-1")),
                   triggers=[a.git_push_trigger("Source", branches="main")])
    assert Pipeline.from_api(p.to_api()) == p


@needs_validator
def test_a_pipeline_using_many_builders_has_no_problems():
    source = a.github_source(connection_arn=CONNECTION, repository="octo-org/hello-service")
    p = a.pipeline("wb-kitchen-sink", [
        a.stage("Source", source),
        a.stage("Build",
                a.codebuild_test("UnitTests", project="wb-unit-tests", inputs="SourceOutput", run_order=1),
                a.codebuild("BuildImage", project="wb-build-image", inputs="SourceOutput", outputs="BuildOutput",
                            run_order=2),
                a.commands("Lint", commands=["make lint"], inputs="SourceOutput", run_order=1)),
        a.stage("Staging",
                a.cloudformation_create_change_set("Plan", stack="wb-app", template="BuildOutput::t.yaml",
                                                   role_arn=CFN_ROLE, change_set="wb-changes", run_order=1),
                a.manual_approval(run_order=2),
                a.cloudformation_execute_change_set("Apply", stack="wb-app", change_set="wb-changes", run_order=3),
                a.lambda_invoke("Smoke", function="wb-smoke", run_order=4),
                before_entry=a.before_entry(a.deployment_window_rule("0 0 9-17 ? * MON-FRI *", "UTC"))),
        a.stage("Production",
                a.ecs_deploy("Ecs-eu", cluster="wb", service="wb-web", input="BuildOutput", region="eu-west-1"),
                a.s3_deploy("Site", bucket="wb-site", input="BuildOutput"),
                on_failure=a.rollback_on_failure(),
                on_success=a.on_success_alarm("wb-5xx", wait_minutes=30)),
    ], triggers=[a.git_push_trigger(source, branches="main")])
    assert p.problems() == []
