"""The local endpoint, over real HTTP with boto3: CodePipeline from the simulator, the rest from moto.

Most tests share one endpoint whose clock stands still (speed=0) and move time with advance(), so
every outcome is exact; one test lets time flow on its own. Each test uses its own pipeline names
(the patterns' prefix), so tests do not see each other's pipelines.
"""

import json
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from pipeline_workbook import local_aws, patterns
from pipeline_workbook.local_aws import MotoData, exception_for, trusts_codepipeline
from pipeline_workbook.model import Problem

ACCOUNT = "123456789012"
APPROVAL_TIMEOUT_MINUTES = 7 * 24 * 60  # the Manual approval's timeout (reference 2.4)


def trust_policy(service="codepipeline.amazonaws.com", as_list=True):
    principal = {"Service": [service] if as_list else service}
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def create_role(iam, role_arn, **policy):
    iam.create_role(RoleName=role_arn.rsplit("/", 1)[1], AssumeRolePolicyDocument=trust_policy(**policy))


def create(aws, pipeline, **extra):
    """Create the pipeline's role in IAM, then the pipeline; return create_pipeline's response."""
    create_role(aws.client("iam"), pipeline.role_arn)
    return aws.client("codepipeline").create_pipeline(pipeline=pipeline.to_api(), **extra)


def executions(cp, name):
    return cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]


def execution_status(cp, name, execution_id):
    return cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)["pipelineExecution"]["status"]


def stage_state(cp, name, stage):
    for state in cp.get_pipeline_state(name=name)["stageStates"]:
        if state["stageName"] == stage:
            return state
    raise KeyError(stage)


def waiting_approvals(cp, name):
    """(stage, action, token) of every approval waiting, read from get_pipeline_state."""
    found = []
    for stage in cp.get_pipeline_state(name=name)["stageStates"]:
        for action in stage["actionStates"]:
            token = action.get("latestExecution", {}).get("token")
            if token:
                found.append((stage["stageName"], action["actionName"], token))
    return found


def approve(cp, name, stage, action, token):
    return cp.put_approval_result(pipelineName=name, stageName=stage, actionName=action, token=token,
                                  result={"summary": "Looks good", "status": "Approved"})


def advance_until_approval(aws, cp, name, step=10, limit=100):
    for _ in range(limit):
        found = waiting_approvals(cp, name)
        if found:
            return found
        aws.advance(step)
    raise AssertionError(f"no approval waited in {name} after {step * limit} minutes")


def drive_to_end(aws, cp, name, execution_id, step=30, limit=200):
    """Let time pass, approving whatever waits, until the execution ends; return its status."""
    for _ in range(limit):
        status = execution_status(cp, name, execution_id)
        if status not in ("InProgress", "Stopping"):
            return status
        for stage, action, token in waiting_approvals(cp, name):
            approve(cp, name, stage, action, token)
        aws.advance(step)
    raise AssertionError(f"execution {execution_id} of {name} did not end in {step * limit} minutes")


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo):
    return excinfo.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def aws():
    with local_aws.start(speed=0) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def cp(aws):
    return aws.client("codepipeline")


# --------------------------------------------------------------------------------------------
# Each pattern's lifecycle


@pytest.mark.parametrize("pattern", sorted(patterns.PATTERNS))
def test_every_pattern_runs_from_create_to_delete(aws, cp, pattern):
    pipeline = patterns.PATTERNS[pattern](prefix=f"life-{pattern.replace('_', '')[:14]}")
    name = pipeline.name
    response = create(aws, pipeline)
    assert response["pipeline"]["version"] == 1
    assert response["pipeline"]["stages"] == pipeline.to_api()["stages"]

    [first] = executions(cp, name)
    assert first["trigger"]["triggerType"] == "CreatePipeline"
    assert first["status"] == "InProgress"
    assert drive_to_end(aws, cp, name, first["pipelineExecutionId"]) == "Succeeded"

    details = cp.list_action_executions(pipelineName=name,
                                        filter={"pipelineExecutionId": first["pipelineExecutionId"]})
    ran = sorted((d["stageName"], d["actionName"], d["status"]) for d in details["actionExecutionDetails"])
    declared = sorted((s.name, a.name, "Succeeded") for s in pipeline.stages for a in s.actions)
    assert ran == declared
    assert all(s["latestExecution"]["status"] == "Succeeded"
               for s in cp.get_pipeline_state(name=name)["stageStates"])

    assert name in [p["name"] for p in cp.list_pipelines()["pipelines"]]
    cp.delete_pipeline(name=name)
    with pytest.raises(cp.exceptions.PipelineNotFoundException):
        cp.get_pipeline_state(name=name)
    assert name not in [p["name"] for p in cp.list_pipelines()["pipelines"]]


def test_manual_acceptance_waits_for_the_token_from_get_pipeline_state(aws, cp):
    pipeline = patterns.manual_acceptance(prefix="approve")
    name = pipeline.name
    create(aws, pipeline)
    [(stage, action, token)] = advance_until_approval(aws, cp, name)
    assert (stage, action) == ("Approval", "Approve")
    [execution] = executions(cp, name)
    assert stage_state(cp, name, "Production").get("latestExecution") is None

    with pytest.raises(cp.exceptions.InvalidApprovalTokenException) as wrong:
        approve(cp, name, stage, action, "00000000-0000-4000-8000-000000000000")
    assert "get_pipeline_state" in error_message(wrong)
    with pytest.raises(cp.exceptions.ActionNotFoundException):
        approve(cp, name, stage, "Nobody", token)
    with pytest.raises(cp.exceptions.StageNotFoundException):
        approve(cp, name, "Nowhere", action, token)

    approved = approve(cp, name, stage, action, token)
    assert abs(approved["approvedAt"].timestamp() - time.time()) < 3600
    with pytest.raises(cp.exceptions.ApprovalAlreadyCompletedException):
        approve(cp, name, stage, action, token)
    assert drive_to_end(aws, cp, name, execution["pipelineExecutionId"]) == "Succeeded"
    approval = stage_state(cp, name, "Approval")["actionStates"][0]["latestExecution"]
    assert approval["status"] == "Succeeded"
    assert approval["summary"] == "Looks good"


def test_rejecting_an_approval_fails_the_execution(aws, cp):
    pipeline = patterns.manual_acceptance(prefix="reject")
    create(aws, pipeline)
    [(stage, action, token)] = advance_until_approval(aws, cp, pipeline.name)
    cp.put_approval_result(pipelineName=pipeline.name, stageName=stage, actionName=action, token=token,
                           result={"summary": "Broken in pre-production", "status": "Rejected"})
    [execution] = executions(cp, pipeline.name)
    assert drive_to_end(aws, cp, pipeline.name, execution["pipelineExecutionId"]) == "Failed"
    assert stage_state(cp, pipeline.name, "Production").get("latestExecution") is None


def test_an_approval_times_out_when_nobody_answers(aws, cp):
    pipeline = patterns.manual_acceptance(prefix="timeout")
    create(aws, pipeline)
    advance_until_approval(aws, cp, pipeline.name)
    aws.advance(APPROVAL_TIMEOUT_MINUTES + 1)
    [execution] = executions(cp, pipeline.name)
    assert execution["status"] == "Failed"
    approval = stage_state(cp, pipeline.name, "Approval")["actionStates"][0]["latestExecution"]
    assert approval["status"] == "Failed"
    assert "timed out" in approval["summary"]
    assert waiting_approvals(cp, pipeline.name) == []


def test_a_failed_stage_is_retried_after_the_fault_is_fixed(aws, cp):
    pipeline = patterns.manual_acceptance(prefix="retry")
    name = pipeline.name
    create(aws, pipeline)
    world = aws.simulator(name).world
    world.failures["Deploy"] = "Deployment failed: the service did not start"
    [execution] = executions(cp, name)
    execution_id = execution["pipelineExecutionId"]
    assert drive_to_end(aws, cp, name, execution_id) == "Failed"
    failed = stage_state(cp, name, "PreProduction")
    assert failed["latestExecution"]["status"] == "Failed"
    assert failed["actionStates"][0]["latestExecution"]["errorDetails"]["message"] == (
        "Deployment failed: the service did not start")

    with pytest.raises(cp.exceptions.StageNotRetryableException):
        cp.retry_stage_execution(pipelineName=name, stageName="Build", pipelineExecutionId=execution_id,
                                 retryMode="FAILED_ACTIONS")
    with pytest.raises(cp.exceptions.StageNotFoundException):
        cp.retry_stage_execution(pipelineName=name, stageName="Nowhere", pipelineExecutionId=execution_id,
                                 retryMode="FAILED_ACTIONS")
    del world.failures["Deploy"]
    retried = cp.retry_stage_execution(pipelineName=name, stageName="PreProduction",
                                       pipelineExecutionId=execution_id, retryMode="FAILED_ACTIONS")
    assert retried["pipelineExecutionId"] == execution_id
    assert execution_status(cp, name, execution_id) == "InProgress"
    assert drive_to_end(aws, cp, name, execution_id) == "Succeeded"
    assert stage_state(cp, name, "PreProduction")["retryStageMetadata"]["manualStageRetryAttempt"] == 1

    details = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": execution_id})
    deploys = [d["status"] for d in details["actionExecutionDetails"]
               if (d["stageName"], d["actionName"]) == ("PreProduction", "Deploy")]
    assert deploys == ["Succeeded", "Failed"]  # newest first
    latest = cp.list_action_executions(pipelineName=name, filter={"latestInPipelineExecution": {
        "pipelineExecutionId": execution_id, "startTimeRange": "Latest"}})["actionExecutionDetails"]
    assert [d["status"] for d in latest if d["stageName"] == "PreProduction"] == ["Succeeded"]


def test_stop_abandons_or_lets_running_actions_finish(aws, cp):
    pipeline = patterns.with_unit_tests(prefix="stop")
    name = pipeline.name
    create(aws, pipeline)
    [first] = executions(cp, name)
    first_id = first["pipelineExecutionId"]
    stopped = cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=first_id, abandon=True,
                                         reason="Wrong branch")
    assert stopped["pipelineExecutionId"] == first_id
    assert execution_status(cp, name, first_id) == "Stopped"
    assert executions(cp, name)[0]["stopTrigger"] == {"reason": "Wrong branch"}
    with pytest.raises(cp.exceptions.PipelineExecutionNotStoppableException):
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=first_id)

    second_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=second_id, abandon=False)
    assert execution_status(cp, name, second_id) == "Stopping"
    with pytest.raises(cp.exceptions.DuplicatedStopRequestException):
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=second_id)
    aws.advance(60)
    assert execution_status(cp, name, second_id) == "Stopped"
    assert stage_state(cp, name, "Build").get("latestExecution") is None  # nothing started after the stop


def test_a_disabled_transition_holds_the_execution_until_enabled(aws, cp):
    pipeline = patterns.with_unit_tests(prefix="transition")
    name = pipeline.name
    create(aws, pipeline)
    cp.disable_stage_transition(pipelineName=name, stageName="Production", transitionType="Inbound",
                                reason="Change freeze")
    [execution] = executions(cp, name)
    execution_id = execution["pipelineExecutionId"]
    aws.advance(600)
    assert execution_status(cp, name, execution_id) == "InProgress"
    production = stage_state(cp, name, "Production")
    assert production["inboundTransitionState"]["enabled"] is False
    assert production["inboundTransitionState"]["disabledReason"] == "Change freeze"
    assert production["inboundExecution"]["pipelineExecutionId"] == execution_id
    assert production.get("latestExecution") is None

    cp.enable_stage_transition(pipelineName=name, stageName="Production", transitionType="Inbound")
    assert stage_state(cp, name, "Production")["inboundTransitionState"]["enabled"] is True
    assert drive_to_end(aws, cp, name, execution_id) == "Succeeded"
    with pytest.raises(cp.exceptions.StageNotFoundException):
        cp.disable_stage_transition(pipelineName=name, stageName="Nowhere", transitionType="Inbound",
                                    reason="Change freeze")


def test_update_pipeline_cancels_the_running_execution_and_keeps_versions(aws, cp):
    pipeline = patterns.manual_acceptance(prefix="update")
    name = pipeline.name
    create(aws, pipeline)
    advance_until_approval(aws, cp, name)
    [execution] = executions(cp, name)

    changed = pipeline.to_api()
    changed["stages"][3]["actions"][0]["configuration"]["CustomData"] = "Check the dashboards first."
    updated = cp.update_pipeline(pipeline=changed)
    assert updated["pipeline"]["version"] == 2
    aws.advance(1)
    assert execution_status(cp, name, execution["pipelineExecutionId"]) == "Cancelled"
    assert waiting_approvals(cp, name) == []

    current = cp.get_pipeline(name=name)
    assert current["pipeline"]["version"] == 2
    assert current["pipeline"]["stages"] == changed["stages"]
    assert current["metadata"]["pipelineArn"] == f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:{name}"
    assert current["metadata"]["updated"] > current["metadata"]["created"]
    original = cp.get_pipeline(name=name, version=1)
    assert original["pipeline"]["stages"] == pipeline.to_api()["stages"]
    with pytest.raises(cp.exceptions.PipelineVersionNotFoundException):
        cp.get_pipeline(name=name, version=3)
    assert cp.get_pipeline_state(name=name)["pipelineVersion"] == 2

    with pytest.raises(cp.exceptions.PipelineNotFoundException):
        cp.update_pipeline(pipeline=dict(changed, name="update-nobody"))


def test_start_takes_variables_and_a_client_request_token(aws, cp):
    pipeline = patterns.with_unit_tests(prefix="variables")
    pipeline.variables = None
    definition = pipeline.to_api()
    definition["variables"] = [{"name": "RELEASE", "defaultValue": "none"}]
    create_role(aws.client("iam"), pipeline.role_arn)
    cp.create_pipeline(pipeline=definition)
    name = pipeline.name

    first = cp.start_pipeline_execution(name=name, variables=[{"name": "RELEASE", "value": "2026.1"}],
                                        clientRequestToken="release-2026-1")
    again = cp.start_pipeline_execution(name=name, variables=[{"name": "RELEASE", "value": "2026.1"}],
                                        clientRequestToken="release-2026-1")
    assert again["pipelineExecutionId"] == first["pipelineExecutionId"]
    assert len(executions(cp, name)) == 2  # the automatic first one, and this one
    execution = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=first["pipelineExecutionId"])
    assert execution["pipelineExecution"]["variables"] == [{"name": "RELEASE", "resolvedValue": "2026.1"}]
    assert execution["pipelineExecution"]["trigger"]["triggerType"] == "StartPipelineExecution"
    with pytest.raises(cp.exceptions.ValidationException) as unknown:
        cp.start_pipeline_execution(name=name, variables=[{"name": "COLOUR", "value": "blue"}])
    assert "RELEASE" in error_message(unknown)


def test_list_calls_page_with_next_token(aws, cp):
    pipeline = patterns.simple_but_bold(prefix="pages")
    name = pipeline.name
    create(aws, pipeline)
    started = [cp.start_pipeline_execution(name=name)["pipelineExecutionId"] for _ in range(4)]
    everything = [e["pipelineExecutionId"] for e in executions(cp, name)]
    assert everything[:4] == started[::-1]  # newest first

    pages = cp.get_paginator("list_pipeline_executions").paginate(pipelineName=name, PaginationConfig={"PageSize": 2})
    listed = [[e["pipelineExecutionId"] for e in page["pipelineExecutionSummaries"]] for page in pages]
    assert listed == [everything[0:2], everything[2:4], everything[4:5]]
    with pytest.raises(cp.exceptions.InvalidNextTokenException):
        cp.list_pipeline_executions(pipelineName=name, nextToken="not-a-token")

    aws.advance(600)
    all_details = cp.list_action_executions(pipelineName=name)["actionExecutionDetails"]
    first_page = cp.list_action_executions(pipelineName=name, maxResults=3)
    second_page = cp.list_action_executions(pipelineName=name, maxResults=3, nextToken=first_page["nextToken"])
    assert [d["actionExecutionId"] for d in first_page["actionExecutionDetails"] + second_page[
        "actionExecutionDetails"]] == [d["actionExecutionId"] for d in all_details[:6]]
    succeeded = cp.list_pipeline_executions(pipelineName=name, filter={"succeededInStage": {"stageName": "Production"}})
    assert {e["status"] for e in succeeded["pipelineExecutionSummaries"]} == {"Succeeded"}


def test_list_pipelines_names_type_and_mode(aws, cp):
    pipeline = patterns.phased_rollout(prefix="listing")
    create(aws, pipeline)
    [summary] = [p for p in cp.list_pipelines()["pipelines"] if p["name"] == pipeline.name]
    assert (summary["version"], summary["pipelineType"], summary["executionMode"]) == (1, "V2", "SUPERSEDED")
    assert abs(summary["created"].timestamp() - time.time()) < 3600


def test_tags_are_kept_listed_and_removed(aws, cp):
    pipeline = patterns.simple_but_bold(prefix="tags")
    created = create(aws, pipeline, tags=[{"key": "team", "value": "payments"}])
    assert created["tags"] == [{"key": "team", "value": "payments"}]
    arn = cp.get_pipeline(name=pipeline.name)["metadata"]["pipelineArn"]
    cp.tag_resource(resourceArn=arn, tags=[{"key": "cost-centre", "value": "42"}])
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "team", "value": "payments"}, {"key": "cost-centre", "value": "42"}]
    cp.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "cost-centre", "value": "42"}]
    with pytest.raises(cp.exceptions.InvalidTagsException):
        cp.tag_resource(resourceArn=arn, tags=[{"key": "aws:owner", "value": "me"}])
    with pytest.raises(cp.exceptions.TooManyTagsException):
        cp.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    with pytest.raises(cp.exceptions.ResourceNotFoundException):
        cp.list_tags_for_resource(resourceArn=arn.replace("tags-", "none-"))
    with pytest.raises(cp.exceptions.InvalidArnException):
        cp.list_tags_for_resource(resourceArn="arn:aws:s3:::bucket-name")


def test_timestamps_are_epoch_seconds_near_now(aws, cp):
    pipeline = patterns.manual_acceptance(prefix="clock")
    before = time.time()
    create(aws, pipeline)
    state = cp.get_pipeline_state(name=pipeline.name)
    [execution] = executions(cp, pipeline.name)
    assert before - 1 <= state["created"].timestamp() <= time.time() + 1
    assert execution["startTime"] == state["created"]  # the first execution starts on create
    aws.advance(300)  # it waits for its approval meanwhile
    [later] = executions(cp, pipeline.name)
    assert later["status"] == "InProgress"
    assert later["lastUpdateTime"].timestamp() - execution["startTime"].timestamp() == pytest.approx(300 * 60, abs=1)


# --------------------------------------------------------------------------------------------
# Refused definitions and unknown names


def test_a_source_action_outside_the_first_stage_is_refused_with_its_path(aws, cp):
    pipeline = patterns.manual_acceptance(prefix="badsource")
    definition = pipeline.to_api()
    misplaced = dict(definition["stages"][0]["actions"][0], name="LateSource", outputArtifacts=[{"name": "Late"}])
    definition["stages"][2]["actions"].append(misplaced)
    create_role(aws.client("iam"), pipeline.role_arn)
    with pytest.raises(cp.exceptions.InvalidActionDeclarationException) as refused:
        cp.create_pipeline(pipeline=definition)
    message = error_message(refused)
    assert "stages[2].actions[1].actionTypeId.category" in message
    assert "first stage" in message and "Fix:" in message
    assert pipeline.name not in [p["name"] for p in cp.list_pipelines()["pipelines"]]


@pytest.mark.parametrize("change, code, path", [
    (lambda d: d.update(name="bad name!"), "ValidationException", "name"),
    (lambda d: d.update(executionMode="WHATEVER"), "ValidationException", "executionMode"),
    (lambda d: d.update(stages=d["stages"][:1]), "InvalidStructureException", "stages"),
    (lambda d: d.update(artifactStores={"us-east-1": d["artifactStore"]}), "InvalidStructureException",
     "artifactStores"),
    (lambda d: d["stages"][1].update(name="Source"), "InvalidStageDeclarationException", "stages[1].name"),
])
def test_invalid_definitions_raise_the_service_exception_for_their_path(aws, cp, change, code, path):
    definition = patterns.with_unit_tests(prefix="invalid").to_api()
    change(definition)
    with pytest.raises(ClientError) as refused:
        cp.create_pipeline(pipeline=definition)
    assert error_code(refused) == code
    assert f"{path}: " in error_message(refused)


def test_exception_for_follows_the_problem_path():
    assert exception_for(Problem("stages[3].actions[0].configuration", "m")) == "InvalidActionDeclarationException"
    assert exception_for(Problem("stages[0].blockers[0].type", "m")) == "InvalidBlockerDeclarationException"
    assert exception_for(Problem("stages[1].onSuccess", "m")) == "InvalidStageDeclarationException"
    assert exception_for(Problem("roleArn", "m")) == "ValidationException"
    assert exception_for(Problem("artifactStores.eu-west-1", "m")) == "InvalidStructureException"
    assert exception_for(Problem("triggers[0].gitConfiguration", "m")) == "InvalidStructureException"


def test_the_pipeline_role_must_exist_and_trust_codepipeline(aws, cp):
    iam = aws.client("iam")
    missing = patterns.simple_but_bold(prefix="norole")
    with pytest.raises(cp.exceptions.InvalidStructureException) as refused:
        cp.create_pipeline(pipeline=missing.to_api())
    assert "not authorized to perform AssumeRole" in error_message(refused)
    assert "create_role" in error_message(refused)

    wrong = patterns.simple_but_bold(prefix="wrongrole")
    create_role(iam, wrong.role_arn, service="codebuild.amazonaws.com")
    with pytest.raises(cp.exceptions.InvalidStructureException) as distrusted:
        cp.create_pipeline(pipeline=wrong.to_api())
    assert "trust policy" in error_message(distrusted)

    as_string = patterns.simple_but_bold(prefix="stringrole")
    create_role(iam, as_string.role_arn, as_list=False)
    assert cp.create_pipeline(pipeline=as_string.to_api())["pipeline"]["version"] == 1


def test_trust_policies_in_string_and_list_form():
    assert trusts_codepipeline(trust_policy(as_list=True))
    assert trusts_codepipeline(trust_policy(as_list=False))
    assert not trusts_codepipeline(trust_policy(service="lambda.amazonaws.com"))
    deny = json.loads(trust_policy())
    deny["Statement"][0]["Effect"] = "Deny"
    assert not trusts_codepipeline(deny)
    assert not trusts_codepipeline({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"},
                                                   "Action": "sts:AssumeRole"}]})


def test_a_name_in_use_and_reserved_tags_are_refused(aws, cp):
    pipeline = patterns.simple_but_bold(prefix="twice")
    create(aws, pipeline)
    with pytest.raises(cp.exceptions.PipelineNameInUseException):
        cp.create_pipeline(pipeline=pipeline.to_api())
    other = patterns.simple_but_bold(prefix="awstag")
    with pytest.raises(cp.exceptions.InvalidTagsException):
        create(aws, other, tags=[{"key": "aws:cloudformation:stack-name", "value": "x"}])
    with pytest.raises(cp.exceptions.TooManyTagsException):
        cp.create_pipeline(pipeline=other.to_api(), tags=[{"key": f"k{i}", "value": "v"} for i in range(51)])


def test_unknown_pipelines_executions_and_stages_are_named_errors(aws, cp):
    for call in (lambda: cp.get_pipeline(name="nobody"), lambda: cp.get_pipeline_state(name="nobody"),
                 lambda: cp.start_pipeline_execution(name="nobody"),
                 lambda: cp.list_pipeline_executions(pipelineName="nobody")):
        with pytest.raises(cp.exceptions.PipelineNotFoundException) as missing:
            call()
        assert "'nobody'" in error_message(missing)
    pipeline = patterns.simple_but_bold(prefix="unknowns")
    create(aws, pipeline)
    with pytest.raises(cp.exceptions.PipelineExecutionNotFoundException):
        cp.get_pipeline_execution(pipelineName=pipeline.name,
                                  pipelineExecutionId="00000000-0000-4000-8000-000000000000")
    with pytest.raises(cp.exceptions.StageNotFoundException):
        cp.enable_stage_transition(pipelineName=pipeline.name, stageName="Nowhere", transitionType="Inbound")
    cp.delete_pipeline(name="nobody")  # DeletePipeline has no not-found error


def test_an_unsupported_operation_is_an_error_naming_it(cp):
    with pytest.raises(ClientError) as unsupported:
        cp.list_webhooks()
    assert error_code(unsupported) == "UnknownOperationException"
    assert "ListWebhooks is not supported by the local endpoint" in error_message(unsupported)
    assert unsupported.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_errors_follow_the_aws_json_protocol_on_the_wire(aws):
    def post(body):
        request = urllib.request.Request(aws.endpoint_url, data=body, method="POST", headers={
            "X-Amz-Target": "CodePipeline_20150709.GetPipeline", "Content-Type": "application/x-amz-json-1.1"})
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(request, timeout=10)
        return failed.value

    missing = post(json.dumps({"name": "nobody"}).encode())
    assert missing.code == 400
    assert missing.headers["x-amzn-ErrorType"] == "PipelineNotFoundException"
    assert missing.headers["Content-Type"] == "application/x-amz-json-1.1"
    body = json.loads(missing.read())
    assert body["__type"] == "PipelineNotFoundException"
    assert "nobody" in body["message"]
    assert json.loads(post(b"{not json").read())["__type"] == "SerializationException"


# --------------------------------------------------------------------------------------------
# The other services, on the same port


def test_moto_serves_the_other_services_on_the_same_endpoint(aws):
    sts = aws.client("sts")
    assert sts.get_caller_identity()["Account"] == ACCOUNT
    iam = aws.client("iam")
    iam.create_role(RoleName="svc-build-role", AssumeRolePolicyDocument=trust_policy("codebuild.amazonaws.com"))
    assert iam.get_role(RoleName="svc-build-role")["Role"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/svc-build-role"
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="svc-artifacts")
    s3.put_object(Bucket="svc-artifacts", Key="source.zip", Body=b"zip")
    assert s3.get_object(Bucket="svc-artifacts", Key="source.zip")["Body"].read() == b"zip"
    codebuild = aws.client("codebuild")
    codebuild.create_project(name="svc-build", source={"type": "CODEPIPELINE", "location": "unused"},
                             artifacts={"type": "CODEPIPELINE", "location": "unused"},
                             environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                          "computeType": "BUILD_GENERAL1_SMALL"},
                             serviceRole=f"arn:aws:iam::{ACCOUNT}:role/svc-build-role")
    assert codebuild.list_projects()["projects"] == ["svc-build"]
    ecr = aws.client("ecr")
    repository = ecr.create_repository(repositoryName="svc-app")["repository"]
    assert repository["registryId"] == ACCOUNT
    assert aws.client("lambda").list_functions()["Functions"] == []


@pytest.mark.slow  # moto imports every CloudFormation resource model on the first stack (about 5 s)
def test_cloudformation_creates_a_stack_through_the_endpoint(aws):
    cloudformation = aws.client("cloudformation")
    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "svc-stack-bucket"}}}}
    cloudformation.create_stack(StackName="svc-stack", TemplateBody=json.dumps(template))
    [stack] = cloudformation.describe_stacks(StackName="svc-stack")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert "svc-stack-bucket" in [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]]


# --------------------------------------------------------------------------------------------
# Time, endpoints, stopping


def test_time_flows_by_itself_at_the_chosen_speed():
    with local_aws.start(speed=6000) as fast:
        pipeline = patterns.manual_acceptance(prefix="flowing")
        create(fast, pipeline)
        cp = fast.client("codepipeline")
        deadline = time.monotonic() + 60
        while not waiting_approvals(cp, pipeline.name):
            assert time.monotonic() < deadline, "the approval never came"
            time.sleep(0.02)
        assert fast.simulator(pipeline.name).now > 0


def test_two_endpoints_at_once_keep_separate_state():
    with local_aws.start(speed=0) as one, local_aws.start(speed=0) as two:
        assert one.port != two.port
        one.client("iam").create_role(RoleName="only-in-one", AssumeRolePolicyDocument=trust_policy())
        two.client("s3").create_bucket(Bucket="only-in-two")
        pipeline = patterns.simple_but_bold(prefix="separate")
        create(one, pipeline)
        with pytest.raises(ClientError) as absent:
            two.client("iam").get_role(RoleName="only-in-one")
        assert error_code(absent) == "NoSuchEntity"
        assert one.client("iam").get_role(RoleName="only-in-one")["Role"]["RoleName"] == "only-in-one"
        assert [b["Name"] for b in one.client("s3").list_buckets()["Buckets"]] == []
        assert [b["Name"] for b in two.client("s3").list_buckets()["Buckets"]] == ["only-in-two"]
        assert two.client("codepipeline").list_pipelines()["pipelines"] == []
        assert [p["name"] for p in one.client("codepipeline").list_pipelines()["pipelines"]] == [pipeline.name]
        one.client("s3").create_bucket(Bucket="only-in-two")  # bucket names are per endpoint, not global


def test_an_endpoint_takes_its_data_out_of_moto_when_it_stops(aws):
    from moto.iam.models import iam_backends

    aws.client("iam").create_role(RoleName="kept-aside", AssumeRolePolicyDocument=trust_policy())
    with local_aws.start(speed=0) as other:
        other.client("iam").create_role(RoleName="forgotten", AssumeRolePolicyDocument=trust_policy())
        installed = [r.name for r in iam_backends[ACCOUNT]["aws"].get_roles()]
        assert installed == ["forgotten"]  # while it serves, moto holds only its data
    account = iam_backends.get(ACCOUNT)  # dict.get: looking must not create an account
    left = [r.name for r in account["aws"].get_roles()] if account and "aws" in account.keys() else []
    assert "forgotten" not in left  # nothing of it is left in moto
    assert aws.client("iam").get_role(RoleName="kept-aside")["Role"]["RoleName"] == "kept-aside"
    with pytest.raises(ClientError):
        aws.client("iam").get_role(RoleName="forgotten")
    MotoData().discard()  # discarding data that was never installed is harmless


def test_stop_closes_the_port_and_leaves_no_thread():
    before = set(threading.enumerate())
    aws = local_aws.start(speed=0)
    port = aws.port
    assert aws.client("sts").get_caller_identity()["Account"] == ACCOUNT  # keeps a connection open
    assert aws.endpoint_url == f"http://127.0.0.1:{port}"
    aws.stop()
    aws.stop()  # stopping twice is harmless
    assert not aws.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert set(threading.enumerate()) - before == set(), [t.name for t in set(threading.enumerate()) - before]


def test_the_endpoint_listens_on_loopback_only():
    with local_aws.start(speed=0) as aws:
        assert aws._server.server_address[0] == "127.0.0.1"
        with pytest.raises(OSError):
            local_aws.start(speed=0, port=aws.port)


@pytest.mark.parametrize("arguments", [{"speed": -1}, {"speed": "fast"}, {"region": "nowhere"}, {"port": 70000}])
def test_start_refuses_bad_arguments(arguments):
    with pytest.raises(ValueError):
        local_aws.start(**arguments)
