"""Tests for validate.py: every rule fails where it should, and real definitions pass clean."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest

from pipeline_workbook import Pipeline, PipelineError, Problem, ProblemList
from pipeline_workbook.validate import problems, validate

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
ROLE = "arn:aws:iam::123456789012:role/wb-pipeline-role"
CFN_ROLE = "arn:aws:iam::123456789012:role/wb-cfn-role"


# --------------------------------------------------------------------------------------------
# Builders: small plain dicts in the exact create_pipeline shape


def action(name, category, provider, owner="AWS", inputs=(), outputs=(), configuration=None, **fields):
    declared = {
        "name": name,
        "actionTypeId": {"category": category, "owner": owner, "provider": provider, "version": "1"},
    }
    if configuration is not None:
        declared["configuration"] = configuration
    if inputs:
        declared["inputArtifacts"] = [{"name": n} for n in inputs]
    if outputs:
        declared["outputArtifacts"] = [{"name": n} for n in outputs]
    declared.update(fields)
    return declared


def github(name="GitHub", output="SourceOutput", **fields):
    return action(name, "Source", "CodeStarSourceConnection", outputs=[output], configuration={
        "ConnectionArn": "arn:aws:codeconnections:us-east-1:123456789012:connection/abc",
        "FullRepositoryId": "example-org/app", "BranchName": "main"}, **fields)


def codecommit(name="CodeCommit", output="SourceOutput", **fields):
    return action(name, "Source", "CodeCommit", outputs=[output],
                  configuration={"RepositoryName": "app", "BranchName": "main"}, **fields)


def codebuild(name="Build", inputs=("SourceOutput",), outputs=("BuildOutput",), configuration=None,
              category="Build", **fields):
    return action(name, category, "CodeBuild", inputs=inputs, outputs=outputs,
                  configuration=configuration or {"ProjectName": "wb-build"}, **fields)


def cloudformation(name="Deploy", inputs=("BuildOutput",), configuration=None, **fields):
    config = {"ActionMode": "CREATE_UPDATE", "StackName": "wb-app",
              "TemplatePath": f"{inputs[0] if inputs else 'BuildOutput'}::template.yaml",
              "RoleArn": CFN_ROLE}
    config.update(configuration or {})
    return action(name, "Deploy", "CloudFormation", inputs=inputs, configuration=config, **fields)


def approval(name="Approve", **fields):
    return action(name, "Approval", "Manual", **fields)


def commands_action(name="Run", inputs=("SourceOutput",), **fields):
    fields.setdefault("commands", ["make test"])
    return action(name, "Compute", "Commands", inputs=inputs, **fields)


def jenkins(name="Jenkins", inputs=("SourceOutput",), outputs=(), **fields):
    return action(name, "Build", "Jenkins", owner="Custom", inputs=inputs, outputs=outputs,
                  configuration={"ProjectName": "wb-jenkins"}, **fields)


def stage(name, *actions, **fields):
    return {"name": name, "actions": list(actions), **fields}


def pipeline(*stages, **fields):
    declared = {
        "name": "wb-test",
        "roleArn": ROLE,
        "artifactStore": {"type": "S3", "location": "wb-artifacts-123456789012"},
        "stages": list(stages),
    }
    declared.update(fields)
    return declared


def simple(**fields):
    """Source -> Build -> Deploy, valid as it is."""
    return pipeline(stage("Source", github()), stage("Build", codebuild()),
                    stage("Deploy", cloudformation()), **fields)


def v2(definition):
    definition["pipelineType"] = "V2"
    return definition


def rule(name, provider, configuration=None, **fields):
    declared = {"name": name, "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": provider,
                                             "version": "1"}}
    if configuration is not None:
        declared["configuration"] = configuration
    declared.update(fields)
    return declared


def alarm_rule(name="Alarm"):
    return rule(name, "CloudWatchAlarm", {"AlarmName": "wb-5xx"})


def at(definition, path, region=None) -> Problem:
    """The one problem found at `path` (fails listing everything found otherwise)."""
    found = problems(definition, region=region)
    matches = [p for p in found if p.path == path]
    assert len(matches) == 1, f"expected one problem at {path}, found:\n{found!r}"
    return matches[0]


def paths(definition, region=None) -> list[str]:
    return [p.path for p in problems(definition, region=region)]


def load(name):
    return json.loads((FIXTURES / name).read_text())


# --------------------------------------------------------------------------------------------
# Definitions AWS accepted: no false alarms


def test_simple_builder_pipeline_is_valid():
    assert problems(simple()) == []


def test_get_pipeline_v1_dump_with_regions_namespaces_and_metadata_is_valid():
    response = load("get_pipeline_v1_codecommit_ecs.json")
    assert problems(response) == []
    assert problems(response, region="us-west-2") == []


def test_same_dump_without_metadata_takes_its_region_from_the_source_action():
    bare = load("get_pipeline_v1_codecommit_ecs.json")["pipeline"]
    assert problems(bare) == []


def test_v2_cross_region_rollout_with_triggers_variables_and_conditions_is_valid():
    definition = load("v2_cross_region_rollout.json")
    assert problems(definition) == []
    assert problems(definition, region="us-east-1") == []
    assert problems(Pipeline.from_api(definition), region="us-east-1") == []


def test_third_party_custom_unlisted_providers_and_masked_secrets_are_valid():
    definition = load("v1_thirdparty_custom_and_unlisted.json")
    assert problems(definition) == []
    assert problems(definition, region="us-east-1") == []


def test_v2_commands_pipeline_with_variables_files_and_environment_is_valid():
    definition = v2(pipeline(
        stage("Source", codecommit(namespace="SourceVariables")),
        stage("Test", commands_action(
            commands=["npm ci", "npm test", "export VERSION=$(cat VERSION)"],
            outputArtifacts=[{"name": "Reports", "files": ["reports/**/*"]}],
            outputVariables=["VERSION"],
            environmentVariables=[{"name": "COMMIT", "value": "#{SourceVariables.CommitId}"}],
            namespace="TestVariables")),
        stage("Approve", approval(configuration={"CustomData": "Version #{TestVariables.VERSION}"},
                                  timeoutInMinutes=60)),
    ))
    assert problems(definition) == []


def test_masked_secret_values_are_accepted_without_crashing():
    definition = simple()
    build = definition["stages"][1]["actions"][0]
    build["configuration"].update({"PrimarySource": "****", "BatchEnabled": "****"})
    assert problems(definition) == []


# --------------------------------------------------------------------------------------------
# Shapes from botocore: required, types, lengths, sizes, ranges, patterns, enums, unknown keys


def test_missing_required_field_is_reported_with_its_path():
    definition = simple()
    del definition["roleArn"]
    del definition["stages"][1]["actions"][0]["actionTypeId"]["provider"]
    problem = at(definition, "roleArn")
    assert "missing" in problem.message and "arn:aws:iam::123456789012:role/" in problem.hint
    problem = at(definition, "stages[1].actions[0].actionTypeId.provider")
    assert "every actionTypeId needs 'provider'" in problem.message


def test_wrong_types_are_reported_and_booleans_are_not_numbers():
    definition = simple()
    definition["stages"][1]["actions"][0]["runOrder"] = "2"
    definition["stages"][2]["actions"][0]["runOrder"] = True
    problem = at(definition, "stages[1].actions[0].runOrder")
    assert "whole number" in problem.message and "without quotes: 2" in problem.hint
    assert "boolean" in at(definition, "stages[2].actions[0].runOrder").message
    definition["stages"][1]["actions"][0]["runOrder"] = 2
    definition["stages"][2]["actions"][0]["runOrder"] = 1
    assert problems(definition) == []


def test_configuration_values_must_be_strings():
    definition = simple()
    definition["stages"][1]["actions"][0]["configuration"]["BatchEnabled"] = True
    problem = at(definition, "stages[1].actions[0].configuration.BatchEnabled")
    assert "must be a string" in problem.message and 'in quotes: "true"' in problem.hint
    definition["stages"][1]["actions"][0]["configuration"]["BatchEnabled"] = "true"
    assert problems(definition) == []


def test_string_lengths_from_the_model():
    definition = simple(name="p" * 101)
    problem = at(definition, "name")
    assert "101 characters long; the limit is 100" in problem.message
    assert problems(simple(name="p" * 100)) == []


def test_configuration_key_and_value_length_limits():
    definition = simple()
    config = definition["stages"][1]["actions"][0]["configuration"]
    config["ProjectName"] = "x" * 1001
    assert "1001 characters long; the limit is 1000" in at(
        definition, "stages[1].actions[0].configuration.ProjectName").message
    config["ProjectName"] = "x" * 1000
    assert problems(definition) == []
    long_key = "K" * 51
    config[long_key] = "v"
    found = [p for p in problems(definition) if p.path.endswith(long_key)]
    assert any("51 characters long; the limit is 50" in p.message for p in found)


def test_list_sizes_from_the_model():
    definition = v2(simple(variables=[{"name": f"v{i}"} for i in range(51)]))
    problem = at(definition, "variables")
    assert "51 items; at most 50" in problem.message and "Remove 1" in problem.hint
    definition["variables"].pop()
    assert problems(definition) == []


def test_integer_ranges_from_the_model():
    definition = simple()
    definition["stages"][1]["actions"][0]["runOrder"] = 0
    problem = at(definition, "stages[1].actions[0].runOrder")
    assert "between 1 and 999" in problem.message
    definition["stages"][1]["actions"][0]["runOrder"] = 999
    assert problems(definition) == []


def test_name_patterns_are_checked_as_full_matches_with_a_suggestion():
    definition = simple()
    definition["stages"][1]["name"] = "Build stage"
    definition["stages"][1]["actions"][0]["outputArtifacts"][0]["name"] = "build.zip"
    definition["stages"][2]["actions"][0]["inputArtifacts"][0]["name"] = "build.zip"
    problem = at(definition, "stages[1].name")
    assert "no spaces" in problem.message and '"Build-stage"' in problem.hint
    problem = at(definition, "stages[1].actions[0].outputArtifacts[0].name")
    assert "no dots" in problem.message and '"build-zip"' in problem.hint
    fixed = simple()
    fixed["stages"][1]["name"] = "Build-stage"
    assert problems(fixed) == []


def test_role_arn_patterns_for_pipeline_and_action_roles():
    definition = simple(roleArn="wb-pipeline-role")
    definition["stages"][1]["actions"][0]["roleArn"] = "arn:aws:iam::123:role/short-account"
    assert "IAM role ARN" in at(definition, "roleArn").message
    assert "IAM role ARN" in at(definition, "stages[1].actions[0].roleArn").message
    fixed = simple()
    fixed["stages"][1]["actions"][0]["roleArn"] = "arn:aws:iam::123456789012:role/path/build-role"
    assert problems(fixed) == []


def test_free_text_with_newlines_passes_the_dot_star_pattern():
    definition = v2(simple(variables=[{"name": "Env", "description": "first line\nsecond line"}]))
    assert problems(definition) == []


def test_enum_values_with_did_you_mean():
    definition = simple(executionMode="queued")
    definition["stages"][1]["actions"][0]["actionTypeId"]["category"] = "Biuld"
    problem = at(definition, "executionMode")
    assert "QUEUED, SUPERSEDED, PARALLEL" in problem.message and 'Did you mean "QUEUED"' in problem.hint
    assert 'Did you mean "Build"' in at(definition, "stages[1].actions[0].actionTypeId.category").hint


def test_unknown_keys_at_any_level_with_did_you_mean():
    definition = simple(stage=[])
    definition["stages"][1]["actions"][0]["runorder"] = 2
    definition["artifactStore"]["kind"] = "S3"
    assert 'Did you mean "stages"' in at(definition, "stage").hint
    problem = at(definition, "stages[1].actions[0].runorder")
    assert "not a field of an action" in problem.message and 'Did you mean "runOrder"' in problem.hint
    problem = at(definition, "artifactStore.kind")
    assert problem.hint.startswith("Remove it.") and "type, location, encryptionKey" in problem.hint


# --------------------------------------------------------------------------------------------
# S1-S4 and quotas: stages and actions


def test_s1_at_least_two_stages():
    problem = at(pipeline(stage("Source", github())), "stages")
    assert "needs at least 2" in problem.message
    assert problems(pipeline(stage("Source", github()), stage("Build", codebuild()))) == []


def _many_stages(count):
    return pipeline(stage("Source", github()),
                    *[stage(f"Build{i}", codebuild(outputs=[f"Out{i}"])) for i in range(1, count)])


def test_quota_at_most_fifty_stages():
    assert "the limit is 50" in at(_many_stages(51), "stages").message
    assert problems(_many_stages(50)) == []


def _stage_of(count, prefix):
    return stage(prefix, *[codebuild(f"{prefix}{i}", outputs=[f"{prefix}Out{i}"]) for i in range(count)])


def test_quota_one_to_fifty_actions_per_stage():
    definition = pipeline(stage("Source", github()), _stage_of(51, "B"))
    assert "at most 50" in at(definition, "stages[1].actions").message
    assert problems(pipeline(stage("Source", github()), _stage_of(50, "B"))) == []
    empty = pipeline(stage("Source", github()), stage("Build"))
    problem = at(empty, "stages[1].actions")
    assert "at least one action" in problem.message and "remove the stage" in problem.hint


def test_quota_at_most_500_actions_per_pipeline():
    sources = stage("Source", *[github(f"Src{i}", output=f"S{i}") for i in range(49)],
                    github("Main", output="SourceOutput"))
    builds = [_stage_of(50, f"B{s}x") for s in range(9)]
    assert problems(pipeline(sources, *builds)) == []  # exactly 500
    problem = at(pipeline(sources, *builds, stage("Extra", codebuild("Extra", outputs=["E"]))), "stages")
    assert "501 actions" in problem.message and "500" in problem.message


def test_s2_first_stage_only_source_actions():
    definition = pipeline(stage("Source", github(), codebuild()), stage("Deploy", cloudformation()))
    problem = at(definition, "stages[0].actions[1].actionTypeId.category")
    assert "first stage may contain only Source" in problem.message


def test_s3_source_actions_only_in_the_first_stage():
    definition = simple()
    definition["stages"][2]["actions"].append(codecommit("Config", output="ConfigOutput"))
    problem = at(definition, "stages[2].actions[1].actionTypeId.category")
    assert "only in the first stage" in problem.message and "'Source'" in problem.hint


def test_s4_some_stage_has_a_non_source_action():
    definition = pipeline(stage("Source", github()), stage("More", codecommit()))
    assert "only Source actions" in at(definition, "stages").message


# --------------------------------------------------------------------------------------------
# S5-S7: unique names


def test_s5_stage_names_unique():
    definition = simple()
    definition["stages"][2]["name"] = "Build"
    problem = at(definition, "stages[2].name")
    assert "'Build' is already used at stages[1].name" in problem.message


def test_s6_action_names_unique_within_a_stage_but_may_repeat_across_stages():
    definition = simple()
    definition["stages"][1]["actions"].append(codebuild(outputs=["Other"]))
    assert "unique within a stage" in at(definition, "stages[1].actions[1].name").message
    same_name_elsewhere = simple()
    same_name_elsewhere["stages"][2]["actions"][0]["name"] = "Build"
    assert problems(same_name_elsewhere) == []


def test_s7_output_artifact_names_unique_in_the_pipeline():
    definition = simple()
    again = codebuild("Again", inputs=["BuildOutput"], outputs=["SourceOutput"], runOrder=2)
    definition["stages"][2]["actions"].append(again)
    problem = at(definition, "stages[2].actions[1].outputArtifacts[0]")
    assert "'SourceOutput' is already used at stages[0].actions[0].outputArtifacts[0]" in problem.message


# --------------------------------------------------------------------------------------------
# S8: artifacts flow forward


def test_s8_input_never_produced_suggests_close_names_and_lists_what_exists():
    definition = simple()
    definition["stages"][2]["actions"][0]["inputArtifacts"][0]["name"] = "BuildOutpt"
    definition["stages"][2]["actions"][0]["configuration"]["TemplatePath"] = "BuildOutpt::t.yaml"
    problem = at(definition, "stages[2].actions[0].inputArtifacts[0]")
    assert "'BuildOutpt' is not produced by any action" in problem.message
    assert "outputArtifacts [{name: 'BuildOutpt'}]" in problem.hint
    assert "did you mean 'BuildOutput'" in problem.hint
    assert "artifacts produced so far: SourceOutput, BuildOutput" in problem.hint


def test_s8_input_produced_in_a_later_stage():
    definition = pipeline(stage("Source", github()), stage("Deploy", cloudformation()),
                          stage("Build", codebuild()))
    problem = at(definition, "stages[1].actions[0].inputArtifacts[0]")
    assert "runs in a later stage" in problem.message and "'Build'" in problem.hint


def test_s8_input_produced_later_in_the_same_stage():
    definition = pipeline(stage("Source", github()),
                          stage("Work", cloudformation(runOrder=1), codebuild(runOrder=2)))
    problem = at(definition, "stages[1].actions[0].inputArtifacts[0]")
    assert "later in the same stage" in problem.message


def test_s8_parallel_actions_cannot_feed_each_other():
    definition = pipeline(stage("Source", github()), stage("Work", codebuild(), cloudformation()))
    problem = at(definition, "stages[1].actions[1].inputArtifacts[0]")
    assert "same time" in problem.message and "both runOrder 1" in problem.message
    assert "runOrder higher than 1 (for example 2)" in problem.hint
    in_sequence = pipeline(stage("Source", github()), stage("Work", codebuild(), cloudformation(runOrder=2)))
    assert problems(in_sequence) == []


def test_s8_an_action_cannot_read_its_own_output():
    definition = simple()
    definition["stages"][1]["actions"][0]["inputArtifacts"].append({"name": "BuildOutput"})
    definition["stages"][1]["actions"][0]["configuration"]["PrimarySource"] = "SourceOutput"
    assert "this same action" in at(definition, "stages[1].actions[0].inputArtifacts[1]").message


def test_s8_rule_input_artifacts_must_come_from_earlier_stages():
    definition = v2(simple())
    definition["stages"][1]["beforeEntry"] = {"conditions": [{"result": "FAIL", "rules": [
        rule("Check", "LambdaInvoke", {"FunctionName": "check"}, inputArtifacts=[{"name": "BuildOutput"}])]}]}
    problem = at(definition, "stages[1].beforeEntry.conditions[0].rules[0].inputArtifacts[0]")
    assert "after the beforeEntry condition is checked" in problem.message
    after = v2(simple())
    after["stages"][1]["onSuccess"] = {"conditions": [{"result": "FAIL", "rules": [
        rule("Check", "LambdaInvoke", {"FunctionName": "check"}, inputArtifacts=[{"name": "BuildOutput"}])]}]}
    assert problems(after) == []


# --------------------------------------------------------------------------------------------
# S9 and the provider catalog


def test_s9_artifact_counts_per_provider():
    definition = simple()
    definition["stages"][1]["actions"][0].pop("inputArtifacts")
    definition["stages"][1]["actions"][0]["outputArtifacts"] = [{"name": "SourceOutput2"}]
    definition["stages"][2]["actions"].append(approval(outputArtifacts=[{"name": "Approved"}], runOrder=2))
    problem = at(definition, "stages[1].actions[0].inputArtifacts")
    assert "has 0 input artifacts; a CodeBuild action takes 1 to 5" in problem.message
    problem = at(definition, "stages[2].actions[1].outputArtifacts")
    assert "Manual approval action takes none" in problem.message and "Remove outputArtifacts" in problem.hint


def test_s9_at_the_upper_bound_and_for_custom_providers_no_check():
    sources = stage("Source", *[github(f"S{i}", output=f"S{i}") for i in range(6)])
    build = codebuild(inputs=[f"S{i}" for i in range(5)],
                      configuration={"ProjectName": "b", "PrimarySource": "S0"})
    five = pipeline(sources, stage("Build", build))
    assert problems(five) == []
    six = copy.deepcopy(five)
    six["stages"][1]["actions"][0]["inputArtifacts"].append({"name": "S5"})
    assert "has 6 input artifacts" in at(six, "stages[1].actions[0].inputArtifacts").message
    custom = pipeline(sources, stage("Build", jenkins(inputs=[f"S{i}" for i in range(6)])))
    assert problems(custom) == []


def test_required_configuration_keys():
    definition = simple()
    definition["stages"][1]["actions"][0]["configuration"] = {}
    problem = at(definition, "stages[1].actions[0].configuration.ProjectName")
    assert "CodeBuild action needs configuration 'ProjectName'" in problem.message
    assert "action-reference-CodeBuild" in problem.hint


def test_required_when_cloudformation_action_mode():
    definition = simple()
    config = definition["stages"][2]["actions"][0]["configuration"]
    config["ActionMode"] = "CHANGE_SET_REPLACE"
    del config["RoleArn"]
    found = paths(definition)
    assert "stages[2].actions[0].configuration.ChangeSetName" in found
    assert "when ActionMode is" in at(definition, "stages[2].actions[0].configuration.RoleArn").message
    execute = simple()
    execute["stages"][2]["actions"][0]["configuration"] = {
        "ActionMode": "CHANGE_SET_EXECUTE", "StackName": "wb-app", "ChangeSetName": "wb-change"}
    assert problems(execute) == []


def test_primary_source_required_with_several_inputs_and_must_name_one():
    definition = pipeline(stage("Source", github("A", output="A"), github("B", output="B")),
                          stage("Build", codebuild(inputs=["A", "B"])))
    problem = at(definition, "stages[1].actions[0].configuration.PrimarySource")
    assert "more than one input artifact" in problem.message
    definition["stages"][1]["actions"][0]["configuration"]["PrimarySource"] = "C"
    problem = at(definition, "stages[1].actions[0].configuration.PrimarySource")
    assert "not one of this action's input artifacts (A, B)" in problem.message
    definition["stages"][1]["actions"][0]["configuration"]["PrimarySource"] = "B"
    assert problems(definition) == []


def test_s3_deploy_object_key_needed_when_not_extracting():
    deploy = action("Site", "Deploy", "S3", inputs=["BuildOutput"],
                    configuration={"BucketName": "wb-site", "Extract": "false"})
    definition = pipeline(stage("Source", github()), stage("Build", codebuild()), stage("Deploy", deploy))
    assert "Extract is false" in at(definition, "stages[2].actions[0].configuration.ObjectKey").message
    deploy["configuration"]["ObjectKey"] = "site.zip"
    assert problems(definition) == []


def test_step_functions_file_path_needs_input_and_an_input_artifact():
    invoke = action("Workflow", "Invoke", "StepFunctions",
                    configuration={"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
                                   "InputType": "FilePath"})
    definition = pipeline(stage("Source", github()), stage("Run", invoke))
    assert "InputType is FilePath" in at(definition, "stages[1].actions[0].configuration.Input").message
    assert "FilePath" in at(definition, "stages[1].actions[0].inputArtifacts").message
    invoke["configuration"]["Input"] = "input.json"
    invoke["inputArtifacts"] = [{"name": "SourceOutput"}]
    assert problems(definition) == []


def test_choices_with_did_you_mean_and_variables_left_alone():
    definition = simple()
    definition["stages"][2]["actions"][0]["configuration"]["ActionMode"] = "CREATE_OR_UPDATE"
    definition["stages"][0]["actions"][0]["configuration"]["DetectChanges"] = "False"
    problem = at(definition, "stages[2].actions[0].configuration.ActionMode")
    assert "not a valid ActionMode" in problem.message and 'Did you mean "CREATE_UPDATE"' in problem.hint
    assert 'Did you mean "false"' in at(definition, "stages[0].actions[0].configuration.DetectChanges").hint
    runtime = v2(simple(variables=[{"name": "Detect", "defaultValue": "true"}]))
    runtime["stages"][0]["actions"][0]["configuration"]["DetectChanges"] = "#{variables.Detect}"
    assert problems(runtime) == []


def test_unknown_configuration_keys_for_catalog_providers_only():
    definition = simple()
    config = definition["stages"][1]["actions"][0]["configuration"]
    config["projectName"] = config.pop("ProjectName")
    problem = at(definition, "stages[1].actions[0].configuration.projectName")
    assert "AWS rejects unknown keys" in problem.message and 'Did you mean "ProjectName"' in problem.hint
    custom = pipeline(stage("Source", github()), stage("Build", jenkins()))
    custom["stages"][1]["actions"][0]["configuration"]["AnythingGoes"] = "yes"
    assert problems(custom) == []


def test_cloudformation_capabilities_are_comma_separated_known_values():
    definition = simple()
    config = definition["stages"][2]["actions"][0]["configuration"]
    config["Capabilities"] = "CAPABILITY_IAM,CAPABILITY_EVERYTHING"
    problem = at(definition, "stages[2].actions[0].configuration.Capabilities")
    assert "'CAPABILITY_EVERYTHING'" in problem.message and "CAPABILITY_NAMED_IAM" in problem.hint
    config["Capabilities"] = "CAPABILITY_NAMED_IAM,CAPABILITY_AUTO_EXPAND"
    assert problems(definition) == []


def test_s17_template_path_names_an_input_artifact():
    definition = simple()
    config = definition["stages"][2]["actions"][0]["configuration"]
    config["TemplatePath"] = "template.yaml"
    config["TemplateConfiguration"] = "SourceOutput::config.json"
    problem = at(definition, "stages[2].actions[0].configuration.TemplatePath")
    assert "ArtifactName::path" in problem.hint and "BuildOutput::template.yaml" in problem.hint
    problem = at(definition, "stages[2].actions[0].configuration.TemplateConfiguration")
    assert ("'SourceOutput', which is not one of this action's input artifacts (BuildOutput)"
            in problem.message)
    config["TemplatePath"] = "BuildOutput::template.yaml"
    config["TemplateConfiguration"] = "BuildOutput::config.json"
    assert problems(definition) == []


def test_ecs_blue_green_artifact_keys_name_input_artifacts():
    blue_green = action("BlueGreen", "Deploy", "CodeDeployToECS", inputs=["BuildOutput"], configuration={
        "ApplicationName": "app", "DeploymentGroupName": "group",
        "TaskDefinitionTemplateArtifact": "BuildOutput", "AppSpecTemplateArtifact": "SourceOutput"})
    definition = pipeline(stage("Source", github()), stage("Build", codebuild()), stage("Deploy", blue_green))
    problem = at(definition, "stages[2].actions[0].configuration.AppSpecTemplateArtifact")
    assert "not one of this action's input artifacts" in problem.message
    blue_green["inputArtifacts"].append({"name": "SourceOutput"})
    assert problems(definition) == []


def test_cloudformation_role_arn_configuration_is_a_role_arn():
    definition = simple()
    definition["stages"][2]["actions"][0]["configuration"]["RoleArn"] = "wb-cfn-role"
    assert "not an IAM role ARN" in at(definition, "stages[2].actions[0].configuration.RoleArn").message


def test_known_aws_provider_in_the_wrong_category_and_version():
    definition = simple()
    definition["stages"][2]["actions"][0]["actionTypeId"]["category"] = "Build"
    definition["stages"][1]["actions"][0]["actionTypeId"]["version"] = "2"
    problem = at(definition, "stages[2].actions[0].actionTypeId.category")
    assert "no AWS CloudFormation action in category 'Build'" in problem.message
    assert '"category": "Deploy"' in problem.hint
    assert 'version "1"' in at(definition, "stages[1].actions[0].actionTypeId.version").message


# --------------------------------------------------------------------------------------------
# S10-S12: artifact stores and regions


def test_s10_exactly_one_of_artifact_store_and_artifact_stores():
    both = simple(artifactStores={"us-east-1": {"type": "S3", "location": "wb-bucket"}})
    assert "exactly one" in at(both, "artifactStores").message
    neither = simple()
    del neither["artifactStore"]
    problem = at(neither, "artifactStore")
    assert "is missing" in problem.message and '"type": "S3"' in problem.hint


def _cross_region(stores):
    definition = simple(artifactStores={r: {"type": "S3", "location": f"wb-bucket-{r}"} for r in stores})
    del definition["artifactStore"]
    definition["stages"][2]["actions"][0]["region"] = "eu-west-1"
    return definition


def test_s11_artifact_stores_cover_every_action_region_and_the_pipeline_region():
    definition = _cross_region(["us-east-1"])
    problem = at(definition, "artifactStores.eu-west-1")
    assert "runs in eu-west-1" in problem.message and '"eu-west-1"' in problem.hint
    definition = _cross_region(["eu-west-1"])
    assert problems(definition) == []  # the pipeline's own region is not known
    assert "pipeline's own region (us-east-1)" in at(definition, "artifactStores.us-east-1",
                                                     region="us-east-1").message
    assert problems(_cross_region(["us-east-1", "eu-west-1"]), region="us-east-1") == []


def test_action_region_with_a_single_artifact_store_needs_artifact_stores():
    definition = simple()
    definition["stages"][2]["actions"][0]["region"] = "eu-west-1"
    problem = at(definition, "stages[2].actions[0].region")
    assert "single artifactStore" in problem.message and '"artifactStores"' in problem.hint
    same_region = simple()
    same_region["stages"][2]["actions"][0]["region"] = "us-east-1"
    assert problems(same_region, region="us-east-1") == []


def test_s12_no_cross_region_for_source_custom_and_commands_actions():
    definition = _cross_region(["us-east-1", "eu-west-1"])
    definition["stages"][0]["actions"][0]["region"] = "eu-west-1"
    definition["stages"][1]["actions"].append(jenkins(region="eu-west-1", runOrder=2))
    problem = at(definition, "stages[0].actions[0].region", region="us-east-1")
    assert "a Source action cannot run outside the pipeline's own region (us-east-1)" in problem.message
    assert "a Custom action" in at(definition, "stages[1].actions[1].region", region="us-east-1").message
    commands = v2(_cross_region(["us-east-1", "eu-west-1"]))
    commands["stages"][1]["actions"].append(commands_action(region="eu-west-1"))
    assert "Commands" in at(commands, "stages[1].actions[1].region", region="us-east-1").message
    home = _cross_region(["us-east-1", "eu-west-1"])
    home["stages"][0]["actions"][0]["region"] = "us-east-1"
    assert problems(home, region="us-east-1") == []


# --------------------------------------------------------------------------------------------
# S16: fields only some actions take


def test_s16_timeout_only_on_manual_approval():
    definition = simple()
    definition["stages"][1]["actions"][0]["timeoutInMinutes"] = 30
    problem = at(definition, "stages[1].actions[0].timeoutInMinutes")
    assert "only Manual approval" in problem.message and "8 hours" in problem.hint
    approved = simple()
    approved["stages"][2]["actions"].append(approval(timeoutInMinutes=4, runOrder=2))
    assert "between 5 and 86400" in at(approved, "stages[2].actions[1].timeoutInMinutes").message
    approved["stages"][2]["actions"][1]["timeoutInMinutes"] = 86400
    assert problems(approved) == []


def test_commands_fields_only_on_the_commands_action():
    definition = simple()
    build = definition["stages"][1]["actions"][0]
    build.update(commands=["make"], outputVariables=["X"], environmentVariables=[{"name": "A", "value": "1"}])
    build["outputArtifacts"][0]["files"] = ["dist/**"]
    for field in ("commands", "outputVariables", "environmentVariables"):
        assert "only the Commands action" in at(definition, f"stages[1].actions[0].{field}").message
    assert "EnvironmentVariables" in at(definition, "stages[1].actions[0].environmentVariables").hint
    assert "output files" in at(definition, "stages[1].actions[0].outputArtifacts[0].files").message


def test_commands_action_needs_commands():
    definition = v2(pipeline(stage("Source", github()), stage("Run", commands_action(commands=None))))
    del definition["stages"][1]["actions"][0]["commands"]
    assert "needs the shell commands" in at(definition, "stages[1].actions[0].commands").message


# --------------------------------------------------------------------------------------------
# Namespaces and variables


def test_namespaces_unique_and_not_artifact_names():
    definition = simple()
    definition["stages"][0]["actions"][0]["namespace"] = "Vars"
    definition["stages"][1]["actions"][0]["namespace"] = "Vars"
    definition["stages"][2]["actions"][0]["namespace"] = "BuildOutput"
    assert "already declared by action 'GitHub'" in at(definition, "stages[1].actions[0].namespace").message
    assert "name of an artifact" in at(definition, "stages[2].actions[0].namespace").message


def test_variable_reference_to_undeclared_namespace():
    definition = simple()
    definition["stages"][0]["actions"][0]["namespace"] = "SourceVariables"
    definition["stages"][1]["actions"][0]["configuration"]["EnvironmentVariables"] = (
        '[{"name":"C","value":"#{SourceVariable.CommitId}"},'
        '{"name":"E","value":"#{codepipeline.PipelineExecutionId}"}]')
    problem = at(definition, "stages[1].actions[0].configuration.EnvironmentVariables")
    assert "#{SourceVariable.CommitId} refers to namespace 'SourceVariable'" in problem.message
    assert "did you mean 'SourceVariables'" in problem.hint and "so far: SourceVariables" in problem.hint


def test_variable_reference_to_a_namespace_declared_later_or_in_parallel():
    later = simple()
    later["stages"][1]["actions"][0]["configuration"]["EnvironmentVariables"] = (
        '[{"name":"S","value":"#{Deploy.StackId}"}]')
    later["stages"][2]["actions"][0]["namespace"] = "Deploy"
    assert "later stage" in at(later, "stages[1].actions[0].configuration.EnvironmentVariables").message
    reader = approval(configuration={"CustomData": "#{BuildVars.X}"})
    parallel = pipeline(stage("Source", github()), stage("Work", codebuild(namespace="BuildVars"), reader))
    problem = at(parallel, "stages[1].actions[1].configuration.CustomData")
    assert "same time" in problem.message


def test_pipeline_variable_references_must_be_declared():
    definition = v2(simple(variables=[{"name": "Environment", "defaultValue": "dev"}]))
    config = definition["stages"][2]["actions"][0]["configuration"]
    config["StackName"] = "wb-#{variables.Enviroment}"
    problem = at(definition, "stages[2].actions[0].configuration.StackName")
    assert "pipeline variable 'Enviroment'" in problem.message
    assert "did you mean 'Environment'" in problem.hint
    config["StackName"] = "wb-#{variables.Environment}"
    assert problems(definition) == []


def test_variable_references_in_commands_environment_variables():
    definition = v2(pipeline(stage("Source", github()), stage("Run", commands_action(
        environmentVariables=[{"name": "C", "value": "#{Nowhere.CommitId}"}]))))
    problem = at(definition, "stages[1].actions[0].environmentVariables[0].value")
    assert "namespace 'Nowhere'" in problem.message


# --------------------------------------------------------------------------------------------
# S19-S21: triggers, V2-only features, execution modes


def _with_trigger(source_action_name, *more):
    definition = v2(simple())
    definition["triggers"] = [{"providerType": "CodeStarSourceConnection",
                               "gitConfiguration": {"sourceActionName": name,
                                                    "push": [{"branches": {"includes": ["main"]}}]}}
                              for name in (source_action_name, *more)]
    return definition


def test_s19_trigger_names_a_connection_source_action_of_the_first_stage():
    assert problems(_with_trigger("GitHub")) == []
    problem = at(_with_trigger("Github"), "triggers[0].gitConfiguration.sourceActionName")
    assert "not an action of the first stage" in problem.message and "Did you mean 'GitHub'" in problem.hint
    codecommit_source = _with_trigger("CodeCommit")
    codecommit_source["stages"][0]["actions"].append(codecommit(output="Other"))
    problem = at(codecommit_source, "triggers[0].gitConfiguration.sourceActionName")
    assert "CodeCommit action" in problem.message and "CodeStarSourceConnection" in problem.message


def test_s19_at_most_one_trigger_per_source_action():
    problem = at(_with_trigger("GitHub", "GitHub"), "triggers[1].gitConfiguration.sourceActionName")
    assert "already has a trigger (triggers[0])" in problem.message


def test_s20_v2_features_on_a_v1_pipeline():
    definition = simple(executionMode="QUEUED", variables=[{"name": "Env"}],
                        triggers=[{"providerType": "CodeStarSourceConnection",
                                   "gitConfiguration": {"sourceActionName": "GitHub"}}])
    definition["stages"][2]["onFailure"] = {"result": "ROLLBACK"}
    definition["stages"][1]["actions"].append(commands_action(runOrder=2))
    for path in ("executionMode", "variables", "triggers", "stages[2].onFailure",
                 "stages[1].actions[1].actionTypeId.provider"):
        problem = at(definition, path)
        assert "only in a V2 pipeline" in problem.message and "pipelineType is not set" in problem.message
        assert '"pipelineType": "V2"' in problem.hint and "action-execution minute" in problem.hint
    assert problems(v2(definition)) == []
    explicit_v1 = simple(pipelineType="V1", executionMode="PARALLEL")
    assert "this pipeline is V1." in at(explicit_v1, "executionMode").message


def test_s21_no_rollback_in_parallel_mode():
    definition = v2(simple(executionMode="PARALLEL"))
    definition["stages"][1]["onFailure"] = {"result": "ROLLBACK"}
    definition["stages"][2]["onSuccess"] = {"conditions": [{"result": "ROLLBACK", "rules": [alarm_rule()]}]}
    assert "PARALLEL" in at(definition, "stages[1].onFailure.result").message
    assert "PARALLEL" in at(definition, "stages[2].onSuccess.conditions[0].result").message
    definition["executionMode"] = "QUEUED"
    assert problems(definition) == []


# --------------------------------------------------------------------------------------------
# Stage conditions and rules


def test_condition_results_allowed_per_kind():
    definition = v2(simple())
    definition["stages"][1]["beforeEntry"] = {"conditions": [{"result": "ROLLBACK", "rules": [alarm_rule()]}]}
    definition["stages"][2]["onSuccess"] = {"conditions": [{"result": "SKIP", "rules": [alarm_rule()]}]}
    definition["stages"][2]["onFailure"] = {"result": "SKIP"}
    assert "FAIL or SKIP" in at(definition, "stages[1].beforeEntry.conditions[0].result").message
    assert "ROLLBACK or FAIL" in at(definition, "stages[2].onSuccess.conditions[0].result").message
    assert "does not apply to a failed stage" in at(definition, "stages[2].onFailure.result").message


def test_retry_needs_a_retry_configuration():
    definition = v2(simple())
    definition["stages"][1]["onFailure"] = {"result": "RETRY"}
    problem = at(definition, "stages[1].onFailure.retryConfiguration")
    assert "RETRY needs a retryConfiguration" in problem.message and "FAILED_ACTIONS" in problem.hint
    definition["stages"][1]["onFailure"]["retryConfiguration"] = {"retryMode": "ALL_ACTIONS"}
    assert problems(definition) == []


def test_rule_provider_must_be_a_rule_provider():
    definition = v2(simple())
    definition["stages"][2]["onFailure"] = {"result": "ROLLBACK", "conditions": [
        {"result": "ROLLBACK", "rules": [rule("Alarm", "CloudwatchAlarms", {"AlarmName": "a"})]}]}
    problem = at(definition, "stages[2].onFailure.conditions[0].rules[0].ruleTypeId.provider")
    assert "not a rule provider" in problem.message and 'Did you mean "CloudWatchAlarm"' in problem.hint
    assert "DeploymentWindow" in problem.hint


def test_rule_required_configuration_and_choices():
    definition = v2(simple())
    definition["stages"][1]["beforeEntry"] = {"conditions": [{"result": "FAIL", "rules": [
        rule("Alarm", "CloudWatchAlarm", {"WaitTime": "5"}),
        rule("Check", "VariableCheck",
             {"Variable": "#{variables.Env}", "Value": "prod", "Operator": "GT"})]}]}
    definition["variables"] = [{"name": "Env"}]
    base = "stages[1].beforeEntry.conditions[0].rules"
    assert "needs configuration 'AlarmName'" in at(definition, f"{base}[0].configuration.AlarmName").message
    problem = at(definition, f"{base}[1].configuration.Operator")
    assert "EQ, CONTAINS, MATCHES, NE" in problem.message
    definition["stages"][1]["beforeEntry"]["conditions"][0]["rules"][0]["configuration"]["AlarmName"] = "a"
    definition["stages"][1]["beforeEntry"]["conditions"][0]["rules"][1]["configuration"]["Operator"] = "EQ"
    assert problems(definition) == []


def test_skip_on_entry_only_with_lambda_invoke_or_variable_check():
    definition = v2(simple())
    definition["stages"][2]["beforeEntry"] = {"conditions": [{"result": "SKIP", "rules": [alarm_rule()]}]}
    problem = at(definition, "stages[2].beforeEntry.conditions[0].rules[0].ruleTypeId.provider")
    assert "LambdaInvoke and VariableCheck" in problem.message
    definition["stages"][2]["beforeEntry"]["conditions"][0]["rules"] = [
        rule("Lambda", "LambdaInvoke", {"FunctionName": "should-deploy"})]
    assert problems(definition) == []


def test_rule_category_is_rule_and_namespace_pattern_has_no_dots():
    definition = v2(simple())
    bad_rule = alarm_rule()
    bad_rule["ruleTypeId"]["category"] = "Approval"
    definition["stages"][2]["onSuccess"] = {"conditions": [{"result": "FAIL", "rules": [bad_rule]}]}
    definition["stages"][0]["actions"][0]["namespace"] = "Source.Vars"
    problem = at(definition, "stages[2].onSuccess.conditions[0].rules[0].ruleTypeId.category")
    assert "'Approval' is not a valid value" in problem.message and '"Rule"' in problem.hint
    problem = at(definition, "stages[0].actions[0].namespace")
    assert "no dots" in problem.message and '"Source-Vars"' in problem.hint


def test_commands_rule_needs_commands_and_others_take_none():
    definition = v2(simple())
    definition["stages"][2]["onSuccess"] = {"conditions": [{"result": "FAIL", "rules": [
        rule("Smoke", "Commands"), rule("Alarm", "CloudWatchAlarm", {"AlarmName": "a"}, commands=["x"])]}]}
    base = "stages[2].onSuccess.conditions[0].rules"
    assert "needs the shell commands" in at(definition, f"{base}[0].commands").message
    assert "only the Commands rule" in at(definition, f"{base}[1].commands").message


# --------------------------------------------------------------------------------------------
# All at once, in order; validate(); inputs


def _many_problems():
    definition = simple(name="bad name!", executionMode="PARALLEL")
    definition["stages"][1]["actions"][0]["runorder"] = 2
    definition["stages"][1]["actions"][0]["inputArtifacts"][0]["name"] = "SourceOutptu"
    definition["stages"][2]["actions"][0]["configuration"]["Extract"] = True
    return definition


def test_every_problem_is_reported_at_once_in_definition_order():
    found = problems(_many_problems())
    assert [p.path for p in found] == [
        "name",
        "stages[1].actions[0].inputArtifacts[0]",
        "stages[1].actions[0].runorder",
        "stages[2].actions[0].configuration.Extract",  # not a string
        "stages[2].actions[0].configuration.Extract",  # not a CloudFormation key
        "executionMode",
    ]
    assert isinstance(found, ProblemList)
    assert problems(_many_problems()) == found


def test_order_is_deterministic_and_missing_fields_sort_under_their_parent():
    definition = simple()
    del definition["stages"][1]["actions"][0]["name"]
    definition["stages"][1]["actions"][0]["actionTypeId"]["owner"] = "Amazon"
    found = [p.path for p in problems(definition)]
    assert found == ["stages[1].actions[0].name", "stages[1].actions[0].actionTypeId.owner"]


def test_validate_raises_a_pipeline_error_listing_every_problem():
    with pytest.raises(PipelineError) as raised:
        validate(_many_problems())
    error = raised.value
    assert len(error.problems) == 6
    text = str(error)
    assert text.startswith("pipeline 'bad name!' has 6 problems:")
    for problem in error.problems:
        assert str(problem) in text
    assert validate(simple()) is None


def test_dict_pipeline_and_get_pipeline_response_give_the_same_problems():
    definition = _many_problems()
    from_dict = problems(definition)
    assert problems(Pipeline.from_api(definition)) == from_dict
    assert problems({"pipeline": definition, "metadata": {"pipelineArn": "arn:aws:codepipeline:us-east-1:"
                                                                          "123456789012:bad"}}) == from_dict
    assert Pipeline.from_api(definition).problems() == from_dict
    with pytest.raises(PipelineError):
        Pipeline.from_api(definition).validate()
    good = Pipeline.from_api(simple())
    assert good.validate() is good


def test_structurally_broken_input_gives_problems_instead_of_raising():
    broken = simple(stages={"Source": {}})
    found = problems(broken)
    assert [p.path for p in found] == ["stages"]
    assert "must be a list" in found[0].message
    not_an_object = problems(["not", "a", "pipeline"])
    assert len(not_an_object) == 1 and "must be an object" in not_an_object[0].message
    stage_not_object = simple()
    stage_not_object["stages"][1] = "Build"
    assert "stages[1]" in paths(stage_not_object)


def test_pipeline_built_in_code_with_wrong_nested_types_does_not_crash():
    model = Pipeline.from_api(simple())
    model.stages[1].actions[0].configuration = ["ProjectName", "wb-build"]
    problem = at(model, "stages[1].actions[0].configuration")
    assert "must be an object of key/value pairs" in problem.message


def test_pipeline_built_in_code_with_plain_dicts_inside_is_read_like_its_dict():
    model = Pipeline.from_api(_many_problems())
    model.stages[1] = _many_problems()["stages"][1]  # a dict where a Stage belongs
    assert problems(model) == problems(_many_problems())


def test_timing_of_a_30_stage_by_10_action_pipeline():
    """Prints how long validation takes (no assertion on time: machines differ)."""
    stages = [stage("Source", *[codecommit(f"Src{i}", output=f"S{i}", namespace=f"Src{i}Vars")
                                for i in range(10)])]
    for s in range(1, 30):
        stages.append(stage(f"Stage{s}", *[
            codebuild(f"Build{a}", inputs=[f"S{a}"], outputs=[f"O{s}x{a}"], runOrder=1 + a % 3,
                      configuration={"ProjectName": f"p{s}-{a}",
                                     "EnvironmentVariables": '[{"name":"C","value":"#{Src1Vars.CommitId}"}]'})
            for a in range(10)]))
    definition = pipeline(*stages)
    model = Pipeline.from_api(definition)
    assert problems(model) == []
    runs = 20
    started = time.process_time()
    for _ in range(runs):
        problems(model)
    per_model = (time.process_time() - started) / runs * 1000
    started = time.process_time()
    for _ in range(runs):
        problems(definition)
    per_dict = (time.process_time() - started) / runs * 1000
    print(f"\nvalidate 30 stages x 10 actions: {per_model:.1f} ms (Pipeline), "
          f"{per_dict:.1f} ms (dict, including Pipeline.from_api) of CPU time per call")
