"""The sandbox against the local endpoint over HTTP: deploy, run, approve, import, clean up.

One endpoint (clock stopped, speed 0) serves every test; each test uses its own prefix, and the
checks that nothing is left look at the endpoint with plain boto3 clients, not through the
sandbox. The "aws" target is exercised by pointing it at the same endpoint (endpoint_url=), so
the account guard, the credential chain and the error messages run for real.
"""

import io
import json
import os
import random
import subprocess
import sys
import zipfile

import boto3
import pytest
import yaml
from botocore.awsrequest import AWSResponse

from pipeline_workbook import local_aws, patterns
from pipeline_workbook import sandbox as sb
from pipeline_workbook.lint import lint
from pipeline_workbook.model import Pipeline
from pipeline_workbook.sandbox import (AccountNotAllowed, NameInUse, Sandbox, SandboxError, estimate_cost,
                                       normal_definition)
from pipeline_workbook.simulate import Simulator
from pipeline_workbook.world import World

ACCOUNT = "123456789012"
HOME = "us-east-1"
SMALL_WAVES = (("us-west-2",), ("eu-west-1", "eu-central-1"))
STEP = 5  # simulated minutes per watch() poll in these tests (the notebook uses 1)
SLOW_STEP = 15  # for the phased rollout and its bake times


@pytest.fixture(scope="module")
def aws():
    with local_aws.start(speed=0) as endpoint:
        yield endpoint


def sandbox_for(aws, prefix, **options):
    return Sandbox("local", prefix=prefix, local=aws, **options)


def pattern_pipeline(sandbox, name):
    options = {"waves": SMALL_WAVES, "bake_minutes": 30} if name == "phased_rollout" else {}
    return sandbox.pattern(name, **options)


def regions_of(pipeline):
    return sorted({HOME, *pipeline.regions()})


def leftovers(aws, prefix, regions, stacks=False):
    """Every resource in the endpoint named with the prefix or tagged for it, in any service the
    sandbox uses (and, through the tagging API, any other)."""
    start = f"{prefix}-"
    found = []
    iam = aws.client("iam")
    for role in iam.list_roles()["Roles"]:
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role["RoleName"])["Tags"]}
        if role["RoleName"].startswith(start) or tags.get("workbook-prefix") == prefix:
            found.append(("role", role["RoleName"]))
    s3 = aws.client("s3")
    found += [("bucket", b["Name"]) for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(start)]
    found += [("pipeline", p["name"]) for p in aws.client("codepipeline").list_pipelines()["pipelines"]
              if p["name"].startswith(start)]
    for region in regions:
        found += [("project", n) for n in aws.client("codebuild", region_name=region).list_projects()["projects"]
                  if n.startswith(start)]
        found += [("log group", g["logGroupName"]) for g in
                  aws.client("logs", region_name=region).describe_log_groups()["logGroups"]
                  if g["logGroupName"].startswith(f"/aws/codebuild/{start}")]
        found += [("alarm", m["AlarmName"]) for m in
                  aws.client("cloudwatch", region_name=region).describe_alarms()["MetricAlarms"]
                  if m["AlarmName"].startswith(start)]
        found += [("repository", r["repositoryName"]) for r in
                  aws.client("ecr", region_name=region).describe_repositories()["repositories"]
                  if r["repositoryName"].startswith(start)]
        if stacks:  # (moto's CloudFormation takes seconds to load the first time: only when needed)
            found += [("stack", s["StackName"]) for s in
                      aws.client("cloudformation", region_name=region).describe_stacks()["Stacks"]
                      if s["StackName"].startswith(start) and s["StackStatus"] != "DELETE_COMPLETE"]
        tagged = aws.client("resourcegroupstaggingapi", region_name=region).get_resources(
            TagFilters=[{"Key": "workbook-prefix", "Values": [prefix]}])["ResourceTagMappingList"]
        found += [("tagged", t["ResourceARN"]) for t in tagged]
    return sorted(set(found))


def run_to_the_end(sandbox, step_minutes=STEP, limit=30):
    """watch(), approving whatever waits, until the latest execution ends; its final state."""
    for _ in range(limit):
        state = sandbox.watch(step_minutes=step_minutes, timeout_minutes=24 * 60)
        if state.done:
            return state
        for stage, action, _ in state.waiting_approvals():
            sandbox.approve(stage=stage, action=action)
    raise AssertionError(f"{sandbox.state().summary()}\n did not end")


# --------------------------------------------------------------------------------------------
# The sample app and the buildspecs


def test_every_buildspec_is_a_well_formed_version_0_2_buildspec():
    files = sorted(sb.BUILDSPEC_DIR.glob("*.yml"))
    assert [f.stem for f in files] == ["acceptance-tests", "build-image", "deploy", "unit-tests"]
    for path in files:
        spec = yaml.safe_load(path.read_text())
        assert str(spec["version"]) == "0.2", path.name
        assert set(spec) <= {"version", "env", "phases", "artifacts", "reports", "cache"}, path.name
        assert spec["phases"] and set(spec["phases"]) <= {"install", "pre_build", "build", "post_build"}, path.name
        for phase, body in spec["phases"].items():
            assert body["commands"] and all(isinstance(c, str) for c in body["commands"]), (path.name, phase)
        if "artifacts" in spec:
            assert all(isinstance(f, str) for f in spec["artifacts"]["files"]), path.name
        if "env" in spec:
            assert set(spec["env"]) <= {"shell", "variables", "parameter-store", "secrets-manager",
                                        "exported-variables", "git-credential-helper"}, path.name


def test_every_project_the_patterns_use_has_a_buildspec():
    names = sb.Names("wb", ACCOUNT, HOME)
    for name, make in patterns.PATTERNS.items():
        pipeline = sb.adapt(make(prefix="wb"), names)
        for _, _, action in sb._codebuild_actions(pipeline, HOME):
            kind = sb.project_kind(action.config("ProjectName"), "wb")
            assert (sb.BUILDSPEC_DIR / f"{kind}.yml").exists(), (name, kind)
    with pytest.raises(ValueError, match="no buildspec for CodeBuild projects of kind 'lint'"):
        sb.buildspec("lint")


def test_the_sample_apps_unit_tests_pass():
    result = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", "tests/unit", "-t", "."],
                            cwd=sb.APP_DIR, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Ran 5 tests" in result.stderr


def run_acceptance_tests(url, **environment):
    env = dict(os.environ, APP_URL=url, **environment)
    return subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", "tests/acceptance", "-t", "."],
                          cwd=sb.APP_DIR, capture_output=True, text=True, timeout=60, env=env)


def test_the_acceptance_tests_pass_against_the_running_service_and_catch_a_wrong_version():
    server = subprocess.Popen(
        [sys.executable, "-c", "from app.server import serve; s = serve(0, '127.0.0.1'); "
         "print(s.server_address[1], flush=True); s.serve_forever()"],
        cwd=sb.APP_DIR, stdout=subprocess.PIPE, text=True, env=dict(os.environ, APP_VERSION="src-abc"))
    try:
        port = int(server.stdout.readline())
        url = f"http://127.0.0.1:{port}"
        passed = run_acceptance_tests(url, EXPECTED_VERSION="src-abc")
        assert passed.returncode == 0, passed.stderr
        assert "Ran 4 tests" in passed.stderr and "skipped" not in passed.stderr
        wrong = run_acceptance_tests(url, EXPECTED_VERSION="src-other")
        assert wrong.returncode != 0 and "src-other" in wrong.stderr
    finally:
        server.kill()
        server.wait(timeout=10)


def test_the_app_zip_is_the_same_every_time_and_holds_the_app():
    first = sb.app_zip()
    assert first == sb.app_zip()
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert {"Dockerfile", "app/server.py", "tests/unit/test_greeting.py", "tests/acceptance/test_service.py",
            "pipeline/pipeline.yaml"} <= set(names)
    assert not [n for n in names if "__pycache__" in n]


# --------------------------------------------------------------------------------------------
# Adapting the patterns


@pytest.mark.parametrize("pattern", sorted(patterns.PATTERNS))
def test_adapt_swaps_the_connection_for_the_source_bucket_and_stays_valid(pattern):
    names = sb.Names("ad", ACCOUNT, HOME)
    original = patterns.PATTERNS[pattern](prefix="ad")
    adapted = sb.adapt(original, names)
    assert adapted.problems(region=HOME) == []
    source = adapted.stages[0].actions[0]
    assert (source.provider, source.config("S3Bucket"), source.config("S3ObjectKey")) == \
        ("S3", names.source_bucket, sb.SOURCE_KEY)
    assert source.config("PollForSourceChanges") == "false"
    assert source.outputs == original.stages[0].actions[0].outputs
    assert adapted.role_arn == f"arn:aws:iam::{ACCOUNT}:role/codepipeline-workbook/ad-{pattern.replace('_', '-')}-pipeline-role"
    assert "codeconnections" not in json.dumps(adapted.to_api())
    stores = adapted.artifact_stores or {HOME: adapted.artifact_store}
    assert {r: s.location for r, s in stores.items()} == {r: names.artifact_bucket(r) for r in regions_of(original)}
    assert [s.name for s in adapted.stages] == [s.name for s in original.stages]
    assert original.stages[0].actions[0].provider == "CodeStarSourceConnection"  # the original is untouched


def test_adapt_keeps_a_connection_when_one_is_given():
    arn = f"arn:aws:codeconnections:{HOME}:{ACCOUNT}:connection/11111111-2222-3333-4444-555555555555"
    adapted = sb.adapt(patterns.with_unit_tests(prefix="cn"), sb.Names("cn", ACCOUNT, HOME), connection_arn=arn,
                       repository="me/hello", branch="trunk")
    source = adapted.stages[0].actions[0]
    assert (source.provider, source.config("ConnectionArn"), source.config("FullRepositoryId"),
            source.config("BranchName")) == ("CodeStarSourceConnection", arn, "me/hello", "trunk")
    connections = [s for s in sb.pipeline_policy(adapted, sb.Names("cn", ACCOUNT, HOME))["Statement"]
                   if s["Sid"] == "Connections"]
    assert connections[0]["Resource"] == [arn]


def test_adapt_refuses_a_pipeline_built_for_another_prefix():
    with pytest.raises(ValueError, match="does not start with the sandbox's prefix 'mine-'"):
        sb.adapt(patterns.manual_acceptance(prefix="theirs"), sb.Names("mine", ACCOUNT, HOME))


def test_the_policies_name_only_the_resources_of_the_plan():
    names = sb.Names("pol", ACCOUNT, HOME)
    adapted = sb.adapt(patterns.phased_rollout(waves=patterns.plan_waves([r.code for r in patterns.REGIONS
                                                                         if not r.opt_in]), prefix="pol"), names)
    resources = sb.plan(adapted, names)
    buckets = {f"arn:aws:s3:::{n}" for n in resources.names(sb.BUCKET)}
    for role in [r for r in resources if r.kind == sb.ROLE]:
        text = json.dumps(role.spec["policy"])
        assert len(text) < 10240, role.name  # IAM's limit for a role's inline policies
        for statement in role.spec["policy"]["Statement"]:
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if "*" in targets:
                assert statement["Action"] == "ecr:GetAuthorizationToken", statement
            for target in targets:
                if target.startswith("arn:aws:s3:::"):
                    assert target.removesuffix("/*") in buckets, target


# --------------------------------------------------------------------------------------------
# Each pattern's whole life


def check_regional_layout(aws, prefix, report):
    """A phased rollout over SMALL_WAVES: a bucket, deploy project, repository and alarm per region."""
    created = report.done("created")
    assert sorted(r.region for r in created if r.kind == sb.BUCKET and "artifacts" in r.name) == \
        ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"]
    assert sorted((r.name, r.region) for r in created if r.kind == sb.PROJECT and r.region != HOME) == \
        [(f"{prefix}-deploy", "eu-central-1"), (f"{prefix}-deploy", "eu-west-1"), (f"{prefix}-deploy", "us-west-2")]
    assert sorted(r.region for r in created if r.kind == sb.REPOSITORY) == \
        ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2"]
    assert sorted((r.name, r.region) for r in created if r.kind == sb.ALARM) == [
        (f"{prefix}-health-eu-central-1", "eu-central-1"), (f"{prefix}-health-eu-west-1", "eu-west-1"),
        (f"{prefix}-health-us-west-2", "us-west-2")]
    alarm = aws.client("cloudwatch", region_name="eu-west-1").describe_alarms(
        AlarmNames=[f"{prefix}-health-eu-west-1"])["MetricAlarms"][0]
    assert (alarm["EvaluationPeriods"], alarm["TreatMissingData"]) == (3, "notBreaching")


@pytest.mark.parametrize("pattern", sorted(patterns.PATTERNS))
def test_every_pattern_deploys_runs_imports_and_cleans_up_without_leftovers(aws, pattern):
    prefix = f"life-{pattern.replace('_', '')[:12]}"
    sandbox = sandbox_for(aws, prefix, participant="Ada", out=lambda text: None)
    pipeline = pattern_pipeline(sandbox, pattern)
    report = sandbox.deploy(pipeline)
    planned = sandbox.plan(pipeline)
    assert [r for _, r in report.changes] == list(planned)
    assert {done for done, _ in report.changes} <= {"created", "at run time"}
    assert report.counts()[sb.PROJECT] == len({(p, r) for p, r, _ in sb._codebuild_actions(sandbox.adapt(pipeline), HOME)})
    assert report.counts()[sb.BUCKET] == len(regions_of(pipeline)) + 1
    if pattern == "phased_rollout":
        check_regional_layout(aws, prefix, report)

    again = sandbox.deploy(pipeline, show_estimate=False)
    assert not again.changed and {done for done, _ in again.changes} <= {"unchanged", "at run time"}
    assert aws.client("codepipeline").get_pipeline(name=pipeline.name)["pipeline"]["version"] == 1

    final = run_to_the_end(sandbox, step_minutes=SLOW_STEP if pattern == "phased_rollout" else STEP)
    assert final.status == "Succeeded"
    assert all(words == "Succeeded" for _, words in final.stage_statuses())

    [imported] = [p for p in sandbox.import_pipelines() if p.name == pipeline.name]
    assert imported.problems(region=HOME) == []
    assert normal_definition(imported.to_api()) == normal_definition(sandbox.adapt(pipeline).to_api())

    cleaned = sandbox.cleanup()
    # everything planned, but the source zip (it goes with its bucket) and the stack nothing created here
    assert cleaned.clean and sorted(r.key for r in cleaned.removed) == \
        sorted(r.key for r in planned if r.kind not in (sb.OBJECT, sb.STACK))
    assert leftovers(aws, prefix, regions_of(pipeline), stacks=bool(sb._stacks(pipeline))) == []
    assert repr(sandbox.cleanup()).startswith("Nothing to remove")


def test_deploy_creates_what_manual_acceptance_needs_tagged_for_the_participant(aws):
    sandbox = sandbox_for(aws, "tags", participant="Grace Hopper", out=lambda text: None)
    report = sandbox.deploy(sandbox.pattern("manual_acceptance"))
    assert report.counts("created") == {"IAM role": 2, "S3 bucket": 2, "S3 object": 1, "log group": 3,
                                        "ECR repository": 1, "CodeBuild project": 3, "pipeline": 1}
    wanted = {"workbook": "codepipeline-workbook", "workbook-prefix": "tags", "workbook-participant": "Grace Hopper"}
    s3 = aws.client("s3")
    for bucket in [r.name for r in report.done("created") if r.kind == sb.BUCKET]:
        assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]} == wanted
        assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == sb.PUBLIC_ACCESS_BLOCK
        assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == sb.ENCRYPTION
        assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert s3.get_bucket_versioning(Bucket=sandbox.names.source_bucket)["Status"] == "Enabled"
    iam = aws.client("iam")
    role = iam.get_role(RoleName="tags-codebuild-role")["Role"]
    assert role["Path"] == "/codepipeline-workbook/"
    assert {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="tags-codebuild-role")["Tags"]} == wanted
    project = aws.client("codebuild").batch_get_projects(names=["tags-deploy"])["projects"][0]
    assert project["source"]["buildspec"] == (sb.BUILDSPEC_DIR / "deploy.yml").read_text()
    assert project["environment"]["privilegedMode"] is True
    assert {t["key"]: t["value"] for t in project["tags"]} == wanted
    pipeline_arn = f"arn:aws:codepipeline:{HOME}:{ACCOUNT}:tags-manual-acceptance"
    tags = aws.client("codepipeline").list_tags_for_resource(resourceArn=pipeline_arn)["tags"]
    assert {t["key"]: t["value"] for t in tags} == wanted
    assert sandbox.cleanup().clean


def test_a_changed_pipeline_or_setting_is_updated_and_nothing_else(aws):
    sandbox = sandbox_for(aws, "update", out=lambda text: None)
    pipeline = sandbox.pattern("with_unit_tests")
    sandbox.deploy(pipeline)
    changed = pipeline.copy()
    changed.stage("Build").action("BuildImage").name = "Image"
    s3 = aws.client("s3")
    s3.delete_bucket_lifecycle(Bucket=sandbox.names.artifact_bucket(HOME))
    aws.client("codebuild").delete_project(name="update-unit-tests")
    report = sandbox.deploy(changed, show_estimate=False)
    touched = sorted((done, r.kind) for done, r in report.changes if done != "unchanged")
    assert touched == [("created", sb.PROJECT), ("updated", sb.BUCKET), ("updated", sb.PIPELINE)]
    assert aws.client("codepipeline").get_pipeline(name=pipeline.name)["pipeline"]["version"] == 2
    assert s3.get_bucket_lifecycle_configuration(Bucket=sandbox.names.artifact_bucket(HOME))["Rules"] == \
        sb.artifact_lifecycle()
    assert sandbox.cleanup().clean


# --------------------------------------------------------------------------------------------
# Half-finished deploys and cleanup


class Interrupted(Exception):
    """Stands for the kernel dying in the middle of a deploy."""


def fresh_session():
    """A boto3 session of its own (event hooks registered on it reach no other sandbox)."""
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=HOME)


def interrupting_session(after_calls):
    """A boto3 session whose clients raise Interrupted on the n-th call that changes something."""
    session = fresh_session()
    count = {"n": 0}

    def interrupt(model, **kwargs):
        if model.name.startswith(("Create", "Put", "Update", "Tag", "Delete")):
            count["n"] += 1
            if count["n"] == after_calls:
                raise Interrupted(f"stopped at {model.name}")

    session.events.register("before-call", interrupt)
    return session


@pytest.mark.parametrize("after_calls", [1, 5, 14, 30])
def test_a_deploy_stopped_half_way_is_cleaned_up_completely(aws, tmp_path, after_calls):
    prefix = f"half-{after_calls}"
    broken = sandbox_for(aws, prefix, record_dir=tmp_path, session=interrupting_session(after_calls),
                         out=lambda text: None)
    pipeline = broken.pattern("phased_rollout", waves=(("us-west-2",),))  # two regions
    with pytest.raises(Interrupted):
        broken.deploy(pipeline)
    assert (tmp_path / f"{prefix}.json").exists()
    fresh = sandbox_for(aws, prefix, record_dir=tmp_path)  # e.g. after a kernel restart
    report = fresh.cleanup()
    assert report.clean, report
    assert leftovers(aws, prefix, regions_of(pipeline)) == []
    assert not (tmp_path / f"{prefix}.json").exists()


def test_cleanup_removes_every_object_version_and_delete_marker(aws):
    sandbox = sandbox_for(aws, "versions", out=lambda text: None)
    sandbox.deploy(sandbox.pattern("simple_but_bold"))
    s3 = aws.client("s3")
    bucket = sandbox.names.source_bucket
    for body in (b"one", b"two", b"three"):
        s3.put_object(Bucket=bucket, Key="notes.txt", Body=body)
    s3.delete_object(Bucket=bucket, Key="notes.txt")
    listing = s3.list_object_versions(Bucket=bucket)
    assert len(listing["Versions"]) == 4 and len(listing["DeleteMarkers"]) == 1
    report = sandbox.cleanup()
    assert sb.Resource(sb.BUCKET, bucket, HOME) in report.removed
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_cleanup_leaves_what_is_not_the_workbooks_and_says_why(aws):
    iam = aws.client("iam")
    iam.create_role(RoleName="mixed-codebuild-role", Path="/codepipeline-workbook/",
                    AssumeRolePolicyDocument=json.dumps(sb.trust_policy("codebuild.amazonaws.com")))
    sandbox = sandbox_for(aws, "mixed", out=lambda text: None)
    with pytest.raises(NameInUse) as refused:
        sandbox.deploy(sandbox.pattern("simple_but_bold"))
    assert "mixed-codebuild-role" in str(refused.value) and "not made by the workbook" in str(refused.value)
    sandbox.record.note(sb.Resource(sb.ROLE, "mixed-codebuild-role"), ACCOUNT, created=False)
    report = sandbox.cleanup()
    assert [(r.name, "does not carry the workbook's tags" in why) for r, why in report.kept] == \
        [("mixed-codebuild-role", True)]
    assert "left" in repr(report)
    iam.get_role(RoleName="mixed-codebuild-role")  # still there
    iam.delete_role(RoleName="mixed-codebuild-role")


# --------------------------------------------------------------------------------------------
# Running: state, watch, approve, reject, retry


def test_watch_stops_at_the_approval_and_reject_retry_approve_finish_the_run(aws):
    sandbox = sandbox_for(aws, "run", out=lambda text: None)
    sandbox.deploy(sandbox.pattern("manual_acceptance"))
    first = sandbox.state()
    assert (first.status, first.trigger) == ("InProgress", "CreatePipeline")
    waiting = sandbox.watch()
    assert [(s, a) for s, a, _ in waiting.waiting_approvals()] == [("Approval", "Approve")]
    assert "waiting for approval (Approve)" in waiting.summary()
    assert sandbox.reject() == ("Approval", "Approve")
    failed = sandbox.watch()
    assert failed.status == "Failed" and ("Approval", "Failed (Approve)") in failed.stage_statuses()
    assert sandbox.retry() == "Approval"
    assert sandbox.watch().waiting_approvals()
    sandbox.approve()
    done = sandbox.watch()
    assert done.status == "Succeeded"
    assert done.draw().source.count("Succeeded \u00b7 exec") == 5  # every stage, drawn like a simulation
    assert done.execution["pipelineExecutionId"][:8] not in done.summary()  # words only: no ids, no times
    with pytest.raises(SandboxError, match="no approval is waiting"):
        sandbox.approve()
    with pytest.raises(SandboxError, match="not Failed"):
        sandbox.retry()
    run_id = sandbox.start()
    assert sandbox.state().execution["pipelineExecutionId"] == run_id
    assert sandbox.cleanup().clean


def test_imported_pipelines_draw_validate_lint_and_simulate(aws):
    sandbox = sandbox_for(aws, "imp", out=lambda text: None)
    sandbox.deploy(sandbox.pattern("automated_acceptance"))
    [imported] = sandbox.import_pipelines(names=["imp-automated-acceptance"])
    assert isinstance(imported, Pipeline) and imported.metadata["pipelineArn"].endswith(":imp-automated-acceptance")
    assert imported.problems(region=HOME) == []
    assert "WB403" not in lint(imported).codes()  # the S3 source does not poll
    simulator = Simulator(imported, World(seed=1), seed=1)
    simulator.start()
    simulator.run()
    assert simulator.executions()[0]["status"] == "Succeeded"
    assert "S3 \u00b7 Source" in imported.draw().source
    assert sandbox.cleanup().clean


def test_the_record_is_a_json_file_that_a_new_sandbox_reads(aws, tmp_path):
    sandbox = sandbox_for(aws, "rec", record_dir=tmp_path, out=lambda text: None)
    sandbox.deploy(sandbox.pattern("simple_but_bold"))
    data = json.loads((tmp_path / "rec.json").read_text())
    assert (data["workbook"], data["prefix"], data["account"]) == ("codepipeline-workbook", "rec", ACCOUNT)
    assert all(entry["created"] for entry in data["resources"])
    assert {e["kind"] for e in data["resources"]} >= {"IAM role", "S3 bucket", "CodeBuild project", "pipeline"}
    again = sandbox_for(aws, "rec", record_dir=tmp_path)
    assert len(again.inventory()) == len(sandbox.inventory())
    assert again.cleanup().clean and not (tmp_path / "rec.json").exists()


# --------------------------------------------------------------------------------------------
# The "aws" target: the account guard


@pytest.fixture
def credentials(monkeypatch, tmp_path):
    """boto3's credential chain finds test keys in the environment, and nothing else."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv(sb.SANDBOX_ACCOUNT_VARIABLE, raising=False)


def aws_target(aws, tmp_path, prefix, **options):
    return Sandbox("aws", prefix=prefix, endpoint_url=aws.endpoint_url, record_dir=tmp_path,
                   out=lambda text: None, **options)


def test_the_guard_refuses_an_account_nobody_named_and_creates_nothing(aws, tmp_path, credentials):
    sandbox = aws_target(aws, tmp_path, "guard")
    pipeline = sandbox.pattern("manual_acceptance")
    with pytest.raises(AccountNotAllowed) as refused:
        sandbox.deploy(pipeline)
    message = str(refused.value)
    assert "123456789012" in message and "nobody named as a sandbox" in message
    assert "WORKBOOK_SANDBOX_ACCOUNT=123456789012" in message and 'confirm_account="123456789012"' in message
    for call in (sandbox.start, sandbox.cleanup, lambda: sandbox.approve("guard-manual-acceptance"),
                 lambda: sandbox.retry("guard-manual-acceptance")):
        with pytest.raises(AccountNotAllowed):
            call()
    assert leftovers(aws, "guard", [HOME]) == []
    assert not (tmp_path / "guard.json").exists()
    assert [p.name for p in sandbox.import_pipelines() if p.name.startswith("guard-")] == []  # reading is allowed


def test_the_guard_names_the_mismatch_when_another_account_was_named(aws, tmp_path, credentials, monkeypatch):
    monkeypatch.setenv(sb.SANDBOX_ACCOUNT_VARIABLE, "210987654321")
    sandbox = aws_target(aws, tmp_path, "guard2")
    with pytest.raises(AccountNotAllowed, match="WORKBOOK_SANDBOX_ACCOUNT says 210987654321"):
        sandbox.deploy(sandbox.pattern("simple_but_bold"))
    assert leftovers(aws, "guard2", [HOME]) == []


def test_the_guard_lets_a_sandbox_named_in_the_environment_through(aws, tmp_path, credentials, monkeypatch):
    monkeypatch.setenv(sb.SANDBOX_ACCOUNT_VARIABLE, ACCOUNT)
    sandbox = aws_target(aws, tmp_path, "named")
    report = sandbox.deploy(sandbox.pattern("simple_but_bold"))
    assert report.counts("created")[sb.PIPELINE] == 1
    assert sandbox.start()
    assert sandbox.cleanup().clean
    assert leftovers(aws, "named", [HOME]) == []


@pytest.mark.parametrize("how", ["argument", "method"])
def test_the_guard_lets_a_confirmed_account_through(aws, tmp_path, credentials, how):
    sandbox = aws_target(aws, tmp_path, "confirmed", **({"confirm_account": ACCOUNT} if how == "argument" else {}))
    if how == "method":
        with pytest.raises(AccountNotAllowed):
            sandbox.start("confirmed-nothing")
        sandbox.confirm_account(ACCOUNT)
    with pytest.raises(SandboxError) as past_the_guard:  # AWS itself answers: there is no such pipeline
        sandbox.start("confirmed-nothing")
    assert past_the_guard.value.code == "PipelineNotFoundException"


def test_the_aws_target_applies_the_tls_only_bucket_policy_only_over_https(aws, tmp_path, credentials):
    https = sb.plan(sb.adapt(patterns.simple_but_bold(prefix="tls"), sb.Names("tls", ACCOUNT, HOME)),
                    sb.Names("tls", ACCOUNT, HOME))
    assert all(r.spec["https"] for r in https if r.kind == sb.BUCKET)
    sandbox = aws_target(aws, tmp_path, "tls", confirm_account=ACCOUNT)
    assert not sandbox.https  # the local endpoint speaks HTTP: such a policy would lock the sandbox out
    assert all(not r.spec["https"] for r in sandbox.plan(sandbox.pattern("simple_but_bold")) if r.kind == sb.BUCKET)


# --------------------------------------------------------------------------------------------
# AWS errors reach the learner as a cause and a fix


class Body:
    def __init__(self, data):
        self.data = data

    def stream(self, **kwargs):
        yield self.data


def error_response(request, status, code, message, protocol="json"):
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.1"}
    else:
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                f"</Error></ErrorResponse>").encode()
        headers = {"Content-Type": "text/xml"}
    return AWSResponse(request.url, status, headers, Body(body))


def failing_session(event, times, status, code, message, protocol="json"):
    """A local session whose `event` calls answer with an error the first `times` times."""
    session = fresh_session()
    seen = {"calls": 0}

    def answer(request, **kwargs):
        seen["calls"] += 1
        if seen["calls"] <= times:
            return error_response(request, status, code, message, protocol)
        return None

    session.events.register(f"before-send.{event}", answer)
    return session, seen


def test_throttling_is_retried_by_botocores_standard_mode(aws):
    random.seed(123)  # botocore's backoff jitter: a seed whose first waits are short
    session, seen = failing_session("codepipeline.ListPipelines", 2, 400, "ThrottlingException", "Rate exceeded")
    sandbox = sandbox_for(aws, "throttle", session=session)
    assert isinstance(sandbox.import_pipelines(), list)
    assert seen["calls"] == 3  # two throttled answers, then the real one


def test_throttling_that_outlasts_the_retries_is_explained(aws):
    random.seed(123)
    session, seen = failing_session("codepipeline.ListPipelines", 99, 400, "ThrottlingException", "Rate exceeded")
    sandbox = sandbox_for(aws, "throttle2", session=session)
    with pytest.raises(SandboxError) as error:
        sandbox.import_pipelines()
    assert seen["calls"] == 3
    assert error.value.code == "ThrottlingException"
    assert "throttled ListPipelines" in str(error.value) and "standard retries (3 attempts)" in str(error.value)
    assert "run the same call again" in error.value.fix


@pytest.mark.parametrize("event, status, code, protocol, cause", [
    ("sts.GetCallerIdentity", 403, "ExpiredToken", "query", "rejected the credentials (ExpiredToken)"),
    ("codepipeline.ListPipelines", 400, "AccessDeniedException", "json", "not allowed to call ListPipelines"),
    ("codepipeline.ListPipelines", 400, "ValidationException", "json", "ListPipelines returned ValidationException"),
])
def test_aws_errors_are_explained_with_their_cause_and_a_fix(aws, event, status, code, protocol, cause):
    session, _ = failing_session(event, 99, status, code, "the message from AWS", protocol)
    sandbox = sandbox_for(aws, "errors", session=session)
    with pytest.raises(SandboxError) as error:
        sandbox.identity() if event.startswith("sts") else sandbox.import_pipelines()
    assert cause in str(error.value) and "the message from AWS" in str(error.value)
    assert error.value.code == code and " Fix: " in str(error.value) and error.value.fix


def test_missing_credentials_are_explained(aws, tmp_path, credentials, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for variable in ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                     "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(variable, raising=False)
    sandbox = aws_target(aws, tmp_path, "nocreds")
    with pytest.raises(SandboxError) as error:
        sandbox.deploy(patterns.simple_but_bold(prefix="nocreds"))
    assert error.value.code == "NoCredentials"
    assert "no AWS credentials were found" in str(error.value) and "aws sso login" in error.value.fix


def test_a_bucket_name_taken_by_another_account_is_explained(aws):
    session, _ = failing_session("s3.HeadBucket", 99, 403, "403", "Forbidden", "query")
    sandbox = sandbox_for(aws, "taken", session=session, out=lambda text: None)
    with pytest.raises(NameInUse) as error:
        sandbox.deploy(sandbox.pattern("simple_but_bold"))
    assert "taken-artifacts-123456789012-us-east-1" in str(error.value) and "another prefix" in error.value.fix
    assert sandbox_for(aws, "taken").cleanup().clean  # the roles it made before the bucket


def test_cleanup_says_what_it_could_not_remove_and_why_and_a_second_cleanup_finishes(aws, tmp_path):
    sandbox = sandbox_for(aws, "stuck", record_dir=tmp_path, out=lambda text: None)
    sandbox.deploy(sandbox.pattern("simple_but_bold"))
    session, _ = failing_session("iam.DeleteRole", 99, 403, "AccessDenied", "not for you", "query")
    report = sandbox_for(aws, "stuck", record_dir=tmp_path, session=session).cleanup()
    assert sorted(r.name for r, _ in report.failed) == ["stuck-codebuild-role", "stuck-simple-but-bold-pipeline-role"]
    assert all("not allowed to call DeleteRole" in why and "AdministratorAccess" in why for _, why in report.failed)
    assert "NOT removed IAM role stuck-codebuild-role: your identity is not allowed" in repr(report)
    assert {r.kind for r in report.removed} == {sb.PIPELINE, sb.PROJECT, sb.LOG_GROUP, sb.REPOSITORY, sb.BUCKET}
    finished = sandbox_for(aws, "stuck", record_dir=tmp_path).cleanup()
    assert finished.clean and sorted(r.name for r in finished.removed) == sorted(r.name for r, _ in report.failed)
    assert leftovers(aws, "stuck", [HOME]) == [] and not (tmp_path / "stuck.json").exists()


def test_an_unreachable_endpoint_is_explained():
    endpoint = local_aws.start(speed=0)
    sandbox = Sandbox("local", prefix="gone", local=endpoint, max_attempts=1)
    endpoint.stop()
    with pytest.raises(SandboxError) as error:
        sandbox.identity()
    assert "could not be reached" in str(error.value) and error.value.code == "EndpointConnectionError"


def test_arguments_are_checked_before_anything_happens():
    with pytest.raises(ValueError, match="target must be 'local'"):
        Sandbox("prod")
    with pytest.raises(ValueError, match="prefix must be 1-20 lowercase"):
        Sandbox("aws", prefix="Alice")
    with pytest.raises(ValueError, match="confirm_account must be a 12-digit"):
        Sandbox("aws", confirm_account="1234")
    with pytest.raises(ValueError, match="participant must be"):
        Sandbox("aws", participant="<script>")


# --------------------------------------------------------------------------------------------
# The cost estimate


def test_the_cost_estimate_adds_up_and_names_its_sources():
    names = sb.Names("cost", ACCOUNT, HOME)
    pipeline = sb.adapt(patterns.manual_acceptance(prefix="cost"), names)
    estimate = estimate_cost(pipeline, runs_per_month=20)
    assert estimate.total == round(sum(line.usd for line in estimate.lines), 2)
    per_run = estimate.billed_action_minutes
    assert estimate.usd("CodePipeline") == round(max(0, 20 * per_run - 100) * 0.002, 2)
    assert estimate.usd("CodeBuild") == round(max(0, 20 * estimate.build_minutes - 100) * 0.005, 2)
    assert estimate.build_minutes < per_run  # the source action is billed by CodePipeline, not CodeBuild
    text = estimate.text
    for url in ("https://aws.amazon.com/codepipeline/pricing/", "https://aws.amazon.com/codebuild/pricing/",
                "https://aws.amazon.com/s3/pricing/"):
        assert url in text
    codebuild_source = next(line for line in text.splitlines() if "codebuild/pricing" in line)
    assert "UNCONFIRMED" in codebuild_source
    assert text == estimate_cost(pipeline, runs_per_month=20).text
    assert estimate_cost(pipeline, runs_per_month=0).usd("CodePipeline") == 0
    assert estimate_cost(pipeline, runs_per_month=200).total > estimate.total


def test_a_v1_pipeline_is_estimated_by_the_month():
    names = sb.Names("cost", ACCOUNT, HOME)
    pipeline = sb.adapt(patterns.with_unit_tests(prefix="cost"), names)
    pipeline.pipeline_type = "V1"
    line = estimate_cost(pipeline).lines[0]
    assert line.usd == 0 and "first 30 days" in line.how and line.sources == ("codepipeline_v1_month",)


def test_deploy_prints_the_estimate_before_creating_anything(aws):
    printed = []
    created_when_printed = []

    def out(text):
        printed.append(text)
        created_when_printed.append(leftovers(aws, "printed", [HOME]))

    sandbox = sandbox_for(aws, "printed", out=out)
    sandbox.deploy(sandbox.pattern("simple_but_bold"))
    assert printed[0].startswith("Estimated monthly cost of printed-simple-but-bold (V2)")
    assert created_when_printed == [[]]
    assert sandbox.cleanup().clean


def test_a_sandbox_that_started_its_own_endpoint_stops_it():
    with Sandbox("local", prefix="own") as sandbox:
        assert sandbox.account == ACCOUNT
        endpoint = sandbox.local
        assert "local endpoint, account 123456789012" in repr(sandbox)
    assert not endpoint.running
