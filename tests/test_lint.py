"""Tests for lint.py: each rule fires where it should and not elsewhere, the story's pipelines get
the findings their chapter expects, and lint reads any definition (real or broken) without failing."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import given

from pipeline_workbook import actions as a
from pipeline_workbook import patterns
from pipeline_workbook.lint import (
    BREAK_EVEN_MINUTES,
    RULES,
    RULES_BY_CODE,
    SEVERITIES,
    Finding,
    Findings,
    lint,
    looks_like_secret,
)
from pipeline_workbook.model import (
    Action,
    ActionTypeId,
    EnvironmentVariable,
    OutputArtifact,
    Pipeline,
    Rule,
    RuleTypeId,
)
from strategies import PROPERTY_SETTINGS, pipelines

FIXTURES = Path(__file__).parent / "fixtures" / "pipelines"
CONNECTION = "arn:aws:codeconnections:us-east-1:123456789012:connection/a1b2c3d4-5678-4abc-9def-0123456789ab"
TOPIC = "arn:aws:sns:us-east-1:123456789012:wb-approvals"
CFN_ROLE = "arn:aws:iam::123456789012:role/wb-cloudformation-role"


# --------------------------------------------------------------------------------------------
# Building blocks (actions.py builders); the defaults make a pipeline with no serious finding


def source_stage(*actions: Action) -> a.Stage:
    return a.stage("Source", *(actions or [a.github_source(connection_arn=CONNECTION, repository="octo-org/app")]))


def unit_tests(run_order: int = 1) -> Action:
    return a.codebuild_test("UnitTests", project="wb-unit-tests", inputs="SourceOutput",
                            environment_variables={"TEST_SUITE": "unit"}, run_order=run_order)


def build_image(run_order: int | None = 2) -> Action:
    return a.codebuild("BuildImage", project="wb-build-image", inputs="SourceOutput", outputs="BuildOutput",
                       run_order=run_order)


def build_stage(tests: bool = True) -> a.Stage:
    return a.stage("Build", unit_tests(), build_image()) if tests else a.stage("Build", build_image(None))


def deploy(environment: str, region: str | None = None, name: str = "Deploy", run_order: int | None = None,
           variables: dict | None = None) -> Action:
    env = {"DEPLOY_ENVIRONMENT": environment, "DEPLOY_REGION": region or "us-east-1", **(variables or {})}
    return a.codebuild(name, project="wb-deploy", inputs="BuildOutput", environment_variables=env,
                       region=region, run_order=run_order)


def acceptance_tests(run_order: int = 2) -> Action:
    return a.codebuild_test("AcceptanceTests", project="wb-acceptance-tests", inputs="SourceOutput",
                            environment_variables={"TEST_SUITE": "acceptance", "TEST_ENVIRONMENT": "preprod"},
                            run_order=run_order)


def approval(name: str = "Approve", **options) -> Action:
    options.setdefault("notification_arn", TOPIC)
    options.setdefault("timeout_minutes", 480)
    return a.manual_approval(name, **options)


def preprod_stage(tests: bool = True) -> a.Stage:
    if tests:
        return a.stage("PreProduction", deploy("preprod", run_order=1), acceptance_tests())
    return a.stage("PreProduction", deploy("preprod"))


def baked(wait_minutes: int | None = 60, result: str = "ROLLBACK"):
    return a.on_success_alarm("wb-health", wait_minutes=wait_minutes, result=result)


def wave(name: str, regions: list[str], *, rollback: bool = True, bake: bool = True, run_order=None):
    """A stage of production deploys; rollback=False: neither a failure nor the alarm rolls back."""
    deploys = [deploy("production", region=r, name=f"Deploy-{r}", run_order=run_order) for r in regions]
    return a.stage(name, deploys, on_failure=a.rollback_on_failure() if rollback else None,
                   on_success=baked(result="ROLLBACK" if rollback else "FAIL") if bake else None)


def make(*stages: a.Stage, **options) -> Pipeline:
    options.setdefault("pipeline_type", "V2")
    options.setdefault("execution_mode", "QUEUED")
    return a.pipeline("wb-lint", list(stages), **options)


def good(**options) -> Pipeline:
    """Tests, pre-production with acceptance tests, then two waves with bake time and rollback."""
    return make(source_stage(), build_stage(), preprod_stage(),
                wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1", "ap-south-1"]), **options)


def codes(pipeline: Pipeline, **options) -> list[str]:
    return lint(pipeline, **options).codes()


def test_the_good_pipeline_has_no_serious_finding():
    """The baseline every passing case starts from: otherwise passing cases would prove little."""
    assert lint(good()).serious() == []
    assert lint(good()).codes() == ["WB501"]


# --------------------------------------------------------------------------------------------
# One failing and one passing case per rule


def _self_update_stage():
    return a.stage("UpdatePipeline", a.cloudformation_deploy(
        "SelfMutate", stack="wb-pipeline", template="BuildOutput::pipeline.yaml", role_arn=CFN_ROLE,
        capabilities=("CAPABILITY_NAMED_IAM",)))


def _v1_github_source() -> Action:
    return Action(name="Source", action_type_id=ActionTypeId("Source", "ThirdParty", "GitHub", "1"),
                  configuration={"Owner": "octo-org", "Repo": "app", "Branch": "main", "OAuthToken": "****",
                                 "PollForSourceChanges": "false"},
                  output_artifacts=[OutputArtifact(name="SourceOutput")])


CASES = {
    "WB101": (lambda: make(source_stage(), build_stage(tests=False), preprod_stage(), wave("Wave1", ["us-east-1"]),
                           wave("Wave2", ["eu-west-1"])),
              good),
    "WB102": (lambda: make(source_stage(), build_stage(), wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"])),
              good),
    "WB103": (lambda: make(source_stage(), build_stage(), preprod_stage(tests=False), wave("Wave1", ["us-east-1"]),
                           wave("Wave2", ["eu-west-1"])),
              good),
    "WB104": (lambda: make(source_stage(), build_stage(tests=False), wave("Production", ["us-east-1"])),
              lambda: make(source_stage(), build_stage(tests=False), a.stage("Approval", approval()),
                           wave("Production", ["us-east-1"]))),
    "WB105": (lambda: make(source_stage(), build_stage(), preprod_stage(tests=False), a.stage("Approval", approval()),
                           wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"])),
              lambda: make(source_stage(), build_stage(), preprod_stage(), a.stage("Approval", approval()),
                           wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"]))),
    "WB106": (lambda: make(source_stage(), build_stage(), a.stage("Staging", deploy("staging"))),
              good),
    "WB201": (lambda: make(source_stage(), build_stage(), preprod_stage(),
                           wave("Production", ["us-east-1", "eu-west-1", "ap-south-1"])),
              good),
    "WB202": (lambda: make(source_stage(), build_stage(), preprod_stage(), wave("Production", ["us-east-1"])),
              good),
    "WB203": (lambda: make(source_stage(), build_stage(), preprod_stage(), wave("Wave1", ["us-east-1"], bake=False),
                           wave("Wave2", ["eu-west-1"])),
              good),
    "WB204": (lambda: make(source_stage(), build_stage(), preprod_stage(), wave("Wave1", ["us-east-1"]),
                           wave("Wave2", ["eu-west-1"], rollback=False)),
              good),
    "WB205": (lambda: make(source_stage(), build_stage(), preprod_stage(), wave("Wave1", ["us-east-1"]),
                           wave("Wave2", ["eu-west-1"]), _self_update_stage()),
              lambda: make(source_stage(), build_stage(), _self_update_stage(), preprod_stage(),
                           wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"]))),
    "WB301": (lambda: make(source_stage(), build_stage(), preprod_stage(),
                           a.stage("Approval", approval(notification_arn=None)), wave("Wave1", ["us-east-1"]),
                           wave("Wave2", ["eu-west-1"])),
              lambda: make(source_stage(), build_stage(), preprod_stage(), a.stage("Approval", approval()),
                           wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"]))),
    "WB302": (lambda: make(source_stage(), build_stage(), preprod_stage(),
                           a.stage("Approval", approval(timeout_minutes=None)), wave("Wave1", ["us-east-1"]),
                           wave("Wave2", ["eu-west-1"])),
              lambda: make(source_stage(), build_stage(), preprod_stage(), a.stage("Approval", approval()),
                           wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"]))),
    "WB303": (lambda: make(source_stage(), build_stage(), preprod_stage(), a.stage("Approval", approval()),
                           wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"]), execution_mode=None),
              lambda: make(source_stage(), build_stage(), preprod_stage(), a.stage("Approval", approval()),
                           wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"]), execution_mode="QUEUED")),
    "WB304": (lambda: make(source_stage(), build_stage(), a.stage("Preview", deploy("preview")),
                           execution_mode="PARALLEL"),
              lambda: make(source_stage(), build_stage(), a.stage("Preview", deploy("preview-#{variables.Branch}")),
                           execution_mode="PARALLEL", variables={"Branch": "main"})),
    "WB401": (lambda: make(source_stage(), a.stage("Build", unit_tests(), a.codebuild(
                  "BuildImage", project="wb-build-image", inputs="SourceOutput", outputs="BuildOutput", run_order=2,
                  environment_variables={"DOCKERHUB_PASSWORD": "hunter2"})),
                  preprod_stage(), wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"])),
              lambda: make(source_stage(), a.stage("Build", unit_tests(), a.codebuild(
                  "BuildImage", project="wb-build-image", inputs="SourceOutput", outputs="BuildOutput", run_order=2,
                  environment_variables=[{"name": "DOCKERHUB_PASSWORD", "value": "wb/dockerhub",
                                          "type": "SECRETS_MANAGER"}])),
                  preprod_stage(), wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"]))),
    "WB402": (lambda: make(source_stage(_v1_github_source()), build_stage(), preprod_stage(),
                           wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"])),
              good),
    "WB403": (lambda: make(source_stage(a.codecommit_source(repository="app")), build_stage(), preprod_stage(),
                           wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"])),
              lambda: make(source_stage(a.codecommit_source(repository="app", poll=False)), build_stage(),
                           preprod_stage(), wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"]))),
}


def test_every_rule_but_pricing_has_a_case_and_pricing_has_its_own_tests():
    assert set(CASES) | {"WB501"} == {rule.code for rule in RULES}


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires_on_its_failing_case_only(code):
    failing, passing = CASES[code]
    found = lint(failing())
    assert code in found.codes(), f"{code} missing from {found!r}"
    assert all(f.severity == RULES_BY_CODE[code].severity for f in found if f.code == code)
    assert code not in codes(passing())


# --------------------------------------------------------------------------------------------
# The rules in more detail


def test_findings_point_at_the_action_or_stage_to_change():
    found = lint(CASES["WB104"][0]())
    assert [f.where for f in found if f.code in ("WB101", "WB102", "WB103", "WB104")] == [
        "stages[2].actions[0]"] * 4
    assert found.at("stages[2]").codes() == ["WB202"]
    assert found.at("").codes() == ["WB501"]


def test_unit_tests_count_only_when_they_run_before_the_first_deploy():
    late_tests = make(source_stage(), a.stage("Build", build_image(None)), preprod_stage(),
                      a.stage("LateUnitTests", unit_tests()), wave("Production", ["us-east-1"]))
    assert "WB101" in codes(late_tests)
    parallel_tests = make(source_stage(), a.stage("Build", unit_tests(1), build_image(1)), preprod_stage(),
                          wave("Production", ["us-east-1"]))
    assert "WB101" not in codes(parallel_tests)
    alongside_deploy = make(source_stage(), a.stage("Build", build_image(None)),
                            a.stage("PreProduction", deploy("preprod", run_order=1), unit_tests(1)),
                            wave("Production", ["us-east-1"]))
    assert "WB101" in codes(alongside_deploy)


def test_an_approval_running_alongside_the_deploy_is_no_gate():
    alongside = make(source_stage(), build_stage(tests=False),
                     a.stage("Production", approval(run_order=1), deploy("production", run_order=1)))
    assert "WB104" in codes(alongside)
    first = make(source_stage(), build_stage(tests=False),
                 a.stage("Production", approval(run_order=1), deploy("production", run_order=2)))
    assert "WB104" not in codes(first)


def test_acceptance_tests_count_only_after_a_pre_production_deploy():
    tests_alongside_deploy = make(source_stage(), build_stage(),
                                  a.stage("PreProduction", deploy("preprod", run_order=1), acceptance_tests(1)),
                                  wave("Production", ["us-east-1"]))
    assert "WB103" in codes(tests_alongside_deploy)
    without_preprod = lint(make(source_stage(), build_stage(), a.stage("Tests", acceptance_tests(1)),
                                wave("Production", ["us-east-1"])))
    assert {"WB102", "WB103"} <= set(without_preprod.codes())
    assert "add one first" in [f for f in without_preprod if f.code == "WB103"][0].fix


def test_stage_conditions_and_tests_are_gates():
    window = a.before_entry(a.deployment_window_rule("0 0 9-16 ? * MON-FRI *"))
    entry_condition = make(source_stage(), build_stage(tests=False),
                           a.stage("Production", deploy("production"), before_entry=window))
    assert "WB104" not in codes(entry_condition)
    tested = make(source_stage(), build_stage(tests=True), a.stage("Production", deploy("production")))
    assert "WB104" not in codes(tested)


def test_bake_time_can_be_an_approval_or_an_alarm_before_entry():
    approval_between = make(source_stage(), build_stage(), preprod_stage(), wave("Wave1", ["us-east-1"], bake=False),
                            a.stage("Wait", approval()), wave("Wave2", ["eu-west-1"]))
    assert "WB203" not in codes(approval_between)
    watched_on_entry = make(source_stage(), build_stage(), preprod_stage(), wave("Wave1", ["us-east-1"], bake=False),
                            a.stage("Wave2", deploy("production", "eu-west-1"), on_failure=a.rollback_on_failure(),
                                    before_entry=a.before_entry(a.alarm_rule("wb-health", wait_minutes=30))))
    assert "WB203" not in codes(watched_on_entry)


def test_an_alarm_without_wait_time_is_not_bake_time():
    no_wait = make(source_stage(), build_stage(), preprod_stage(),
                   a.stage("Wave1", deploy("production", "us-east-1"), on_success=baked(wait_minutes=None)),
                   wave("Wave2", ["eu-west-1"]))
    found = lint(no_wait).at("stages[3]")
    assert "WB203" in found.codes()
    assert "no WaitTime" in [f for f in found if f.code == "WB203"][0].why


def test_waves_inside_one_stage_need_an_approval_between_them():
    sequential = a.stage("Production", deploy("production", "us-east-1", name="First", run_order=1),
                         deploy("production", "eu-west-1", name="Second", run_order=2),
                         on_failure=a.rollback_on_failure(), on_success=baked())
    found = lint(make(source_stage(), build_stage(), preprod_stage(), sequential))
    assert [f.where for f in found if f.code == "WB203"] == ["stages[3]"]
    assert "WB201" not in found.codes()
    gated = a.stage("Production", deploy("production", "us-east-1", name="First", run_order=1),
                    approval(run_order=2), deploy("production", "eu-west-1", name="Second", run_order=3),
                    on_failure=a.rollback_on_failure(), on_success=baked())
    assert "WB203" not in codes(make(source_stage(), build_stage(), preprod_stage(), gated))


def test_rollback_on_success_alarm_alone_counts_and_v1_and_parallel_are_not_asked_for_it():
    alarm_rollback = make(source_stage(), build_stage(), preprod_stage(),
                          a.stage("Production", deploy("production"), on_success=baked(result="ROLLBACK")))
    assert "WB204" not in codes(alarm_rollback)
    plain = [source_stage(), build_stage(), preprod_stage(), a.stage("Production", deploy("production"))]
    assert "WB204" in codes(make(*plain))
    assert "WB204" not in codes(make(*plain, pipeline_type="V1", execution_mode=None))
    assert "WB204" not in codes(make(*plain, execution_mode="PARALLEL"))


def test_every_production_stage_without_rollback_is_named():
    found = lint(make(source_stage(), build_stage(), preprod_stage(), wave("Wave1", ["us-east-1"], rollback=False),
                      wave("Wave2", ["eu-west-1"]), wave("Wave3", ["ap-south-1"], rollback=False)))
    assert [f.where for f in found if f.code == "WB204"] == ["stages[3]", "stages[5]"]


def test_self_update_is_recognised_by_the_pipeline_stack_name():
    infra = a.stage("Infra", a.cloudformation_deploy("Apply", stack="wb-delivery", template="BuildOutput::ci.yaml",
                                                     role_arn=CFN_ROLE, capabilities=("CAPABILITY_NAMED_IAM",)))
    late = make(source_stage(), build_stage(), preprod_stage(), wave("Wave1", ["us-east-1"]),
                wave("Wave2", ["eu-west-1"]), infra)
    assert "WB205" not in codes(late)
    found = lint(late, pipeline_stack="wb-delivery")
    assert [f.where for f in found if f.code == "WB205"] == ["stages[5].actions[0]"]


def test_approval_timeouts_of_a_week_or_more_are_stale_and_approvals_after_production_are_not():
    def with_approval(timeout):
        return make(source_stage(), build_stage(), preprod_stage(),
                    a.stage("Approval", approval(timeout_minutes=timeout)), wave("Wave1", ["us-east-1"]),
                    wave("Wave2", ["eu-west-1"]))

    assert "WB302" in codes(with_approval(7 * 24 * 60))
    assert "WB302" in codes(with_approval(30 * 24 * 60))
    assert "30 days" in lint(with_approval(30 * 24 * 60)).at("stages[3].actions[0]")[-1].title
    assert "WB302" not in codes(with_approval(24 * 60))
    after = make(source_stage(), build_stage(), preprod_stage(), wave("Wave1", ["us-east-1"]),
                 wave("Wave2", ["eu-west-1"]), a.stage("SignOff", approval(timeout_minutes=None)))
    assert "WB302" not in codes(after)


def test_superseded_advice_depends_on_the_pipeline_type():
    stages = [source_stage(), build_stage(), preprod_stage(), a.stage("Approval", approval()),
              a.stage("Production", deploy("production"))]
    v2 = [f for f in lint(make(*stages, execution_mode="SUPERSEDED")) if f.code == "WB303"][0]
    v1 = [f for f in lint(make(*stages, pipeline_type="V1", execution_mode=None)) if f.code == "WB303"][0]
    assert 'execution_mode="QUEUED"' in v2.fix
    assert 'pipeline_type="V2"' in v1.fix


def test_parallel_names_the_shared_environments():
    found = lint(make(source_stage(), build_stage(), a.stage("Preview", deploy("preview"), deploy("docs", name="Docs")),
                      execution_mode="PARALLEL"))
    race = [f for f in found if f.code == "WB304"]
    assert len(race) == 1 and race[0].where == ""
    assert "docs and preview" in race[0].title


@pytest.mark.parametrize("name, value, secret", [
    ("DB_PASSWORD", "hunter2", True),
    ("GITHUB_TOKEN", "ghp_abc", True),
    ("API_KEY", "k", True),
    ("SendGridApiKey", "k", True),
    ("AWS_SECRET_ACCESS_KEY", "k", True),
    ("PRIVATE_KEY", "-----BEGIN", True),
    ("DB_PASSWORD_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", False),
    ("DB_PASSWORD", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", False),
    ("GITHUB_TOKEN", "#{Secrets.token}", False),
    ("SECRET_NAME", "wb/db", False),
    ("ACCESS_KEY_ID", "AKIA", False),
    ("DEPLOY_ENVIRONMENT", "production", False),
    ("PASSWORD", "", False),
    ("BYPASS_CACHE", "true", False),
])
def test_secret_names(name, value, secret):
    assert looks_like_secret(name, value) is secret


def test_plaintext_secrets_in_commands_actions_and_rules():
    runner = a.commands("Publish", commands=["npm publish"], inputs="SourceOutput", run_order=3,
                        environment_variables={"NODE_ENV": "production", "NPM_TOKEN": "npm_abc"})
    checker = a.on_success(Rule(name="Check", rule_type_id=RuleTypeId(provider="CodeBuild"),
                                  configuration={"ProjectName": "wb-check", "EnvironmentVariables": json.dumps(
                                      [{"name": "API_TOKEN", "value": "abc"}])}), result="FAIL")
    found = lint(make(source_stage(), a.stage("Build", unit_tests(), build_image(), runner, on_success=checker),
                      preprod_stage(), wave("Wave1", ["us-east-1"]), wave("Wave2", ["eu-west-1"])))
    secrets = [(f.where, f.severity) for f in found if f.code == "WB401"]
    assert secrets == [
        ("stages[1].actions[2].environmentVariables[1]", "error"),
        ("stages[1].onSuccess.conditions[0].rules[0].configuration.EnvironmentVariables", "error"),
    ]
    runner.environment_variables[1] = EnvironmentVariable(name="NPM_TOKEN", value="catalog/npm-token",
                                                          type="SECRETS_MANAGER")
    assert "stages[1].actions[2].environmentVariables[1]" not in [
        f.where for f in lint(make(source_stage(), a.stage("Build", unit_tests(), build_image(), runner),
                                   preprod_stage(), wave("Production", ["us-east-1"])))]


def test_each_plaintext_secret_is_its_own_finding():
    build = a.codebuild("BuildImage", project="wb-build-image", inputs="SourceOutput", outputs="BuildOutput",
                        run_order=2, environment_variables={"NPM_TOKEN": "a", "DB_PASSWORD": "b", "STAGE": "c"})
    found = lint(make(source_stage(), a.stage("Build", unit_tests(), build), preprod_stage(),
                      wave("Production", ["us-east-1"])))
    titles = [f.title for f in found if f.code == "WB401"]
    assert len(titles) == 2 and titles == sorted(titles)
    assert titles[0].startswith("DB_PASSWORD") and titles[1].startswith("NPM_TOKEN")


@pytest.mark.parametrize("source, polls", [
    (lambda: a.codecommit_source(repository="app"), True),
    (lambda: a.codecommit_source(repository="app", poll=True), True),
    (lambda: a.codecommit_source(repository="app", poll=False), False),
    (lambda: a.s3_source(bucket="wb-source-123456789012", key="app.zip"), True),
    (lambda: a.s3_source(bucket="wb-source-123456789012", key="app.zip", poll=False), False),
    (lambda: a.ecr_source(repository="app"), False),
    (lambda: a.github_source(connection_arn=CONNECTION, repository="octo-org/app"), False),
])
def test_polling_sources(source, polls):
    found = lint(make(source_stage(source()), build_stage(), preprod_stage(), wave("Production", ["us-east-1"])))
    assert ("WB403" in found.codes()) is polls
    if polls:
        assert [f.where for f in found if f.code == "WB403"] == ["stages[0].actions[0]"]


def _billed(pipeline: Pipeline) -> int:
    return sum(1 for _, _, _, action in pipeline.iter_actions() if action.category != "Approval")


@pytest.mark.parametrize("pipeline_type", ["V1", "V2"])
def test_pricing_is_one_info_finding_with_the_break_even_for_this_shape(pipeline_type):
    stages = [source_stage(), build_stage(), preprod_stage(), a.stage("Approval", approval()),
              a.stage("Production", deploy("production"))]
    pipeline = make(*stages, pipeline_type=pipeline_type, execution_mode=None)
    pricing = [f for f in lint(pipeline) if f.code == "WB501"]
    assert len(pricing) == 1 and pricing[0].severity == "info" and pricing[0].where == ""
    billed = _billed(pipeline)
    assert f"at least {billed} action-minutes" in pricing[0].why
    assert f"about {BREAK_EVEN_MINUTES // billed} runs a month" in pricing[0].why
    assert pricing[0].title.startswith(pipeline_type)


def test_pricing_says_when_v1_is_not_an_option():
    assert "V1 is not an option" in [f for f in lint(good()) if f.code == "WB501"][0].why
    plain = make(source_stage(), build_stage(), a.stage("Production", deploy("production")), execution_mode=None)
    assert "V1 is not an option" not in [f for f in lint(plain) if f.code == "WB501"][0].why


# --------------------------------------------------------------------------------------------
# The story's pipelines

TOPIC_KW = {"approval_topic_arn": TOPIC}
EXPECTED = [
    ("simple_but_bold", {}, {"WB101", "WB102", "WB103", "WB104", "WB202", "WB204", "WB501"}),
    ("with_unit_tests", {}, {"WB102", "WB103", "WB202", "WB204", "WB501"}),
    ("manual_acceptance", {}, {"WB105", "WB202", "WB204", "WB301", "WB302", "WB303", "WB501"}),
    ("manual_acceptance", TOPIC_KW, {"WB105", "WB202", "WB204", "WB302", "WB303", "WB501"}),
    ("automated_acceptance", {}, {"WB202", "WB204", "WB501"}),
    ("phased_rollout", {}, {"WB501"}),
    ("per_customer", {}, {"WB203", "WB204", "WB301", "WB302", "WB303", "WB501"}),
    ("self_updating", {"safe": False}, {"WB202", "WB204", "WB205", "WB501"}),
    ("self_updating", {"safe": True}, {"WB202", "WB204", "WB501"}),
]


@pytest.mark.parametrize("name, options, expected", EXPECTED, ids=[f"{n}{o or ''}" for n, o, _ in EXPECTED])
def test_each_pattern_gets_the_findings_its_chapter_expects(name, options, expected):
    assert set(codes(patterns.PATTERNS[name](**options))) == expected


def test_the_story_ends_with_no_error_or_warning():
    assert lint(patterns.phased_rollout()).serious() == []
    assert lint(patterns.phased_rollout()).codes() == ["WB501"]


def test_the_bold_pipelines_errors_are_the_ungated_production_deploy():
    assert [(f.code, f.where) for f in lint(patterns.simple_but_bold()).by_severity("error")] == [
        ("WB104", "stages[2].actions[0]")]
    assert [(f.code, f.where) for f in lint(patterns.self_updating()).by_severity("error")] == [
        ("WB205", "stages[4].actions[0]")]


@pytest.mark.parametrize("options, code", [
    ({"alarms": False}, "WB203"),
    ({"bake_minutes": 0}, "WB203"),
    ({"rollback": False}, "WB204"),
    ({"waves": [["us-east-1", "eu-west-1", "ap-south-1"]]}, "WB201"),
    ({"waves": [["us-east-1"]]}, "WB202"),
])
def test_phased_rollout_without_its_safety_nets(options, code):
    assert code in codes(patterns.phased_rollout(**options))


def test_per_customer_waves_of_customers_are_waves():
    found = lint(patterns.per_customer(["Acme", "Bolt", "Cask"], wave_sizes=(None,)))
    assert "WB201" in found.codes()
    one_customer = lint(patterns.per_customer(["Acme"]))
    assert "WB202" in one_customer.codes()


# --------------------------------------------------------------------------------------------
# Determinism and display


def test_lint_is_deterministic_and_reads_dicts_and_models_alike():
    pipeline = patterns.per_customer()
    first = lint(pipeline)
    assert lint(pipeline) == first
    assert lint(Pipeline.from_api(copy.deepcopy(pipeline.to_api()))) == first
    assert lint(pipeline.to_api()) == first
    assert lint({"pipeline": pipeline.to_api()}) == first


def test_findings_are_ordered_by_where_in_definition_order_then_code():
    regions = [r.code for r in patterns.REGIONS if not r.opt_in][:14]
    pipeline = patterns.phased_rollout(waves=[[r] for r in regions], alarms=False)
    found = lint(pipeline)
    stage_numbers = [int(re.match(r"stages\[(\d+)\]", f.where).group(1)) for f in found if f.where]
    assert max(stage_numbers) >= 10
    assert stage_numbers == sorted(stage_numbers)
    found = lint(patterns.simple_but_bold())
    assert [f.where for f in found][:1] == [""]
    assert found.at("stages[2].actions[0]").codes() == [f.code for f in found.at("stages[2].actions[0]")]
    assert [f.where for f in found].index("stages[2]") < [f.where for f in found].index("stages[2].actions[0]")


def test_text_display_names_codes_paths_why_and_fix():
    found = lint(patterns.simple_but_bold())
    text = repr(found)
    assert text.splitlines()[0] == found.summary()
    assert found.summary() == "7 findings: 1 error, 4 warnings, 2 info"
    for f in found:
        assert f.code in text and (f.where or "(pipeline)") in text
    assert text.count("why:") == len(found) and text.count("fix:") == len(found)
    assert repr(Findings()) == "No findings." and Findings().summary() == "No findings."
    assert str(found[0]) == f"{found[0].severity} {found[0].code} (pipeline): {found[0].title}"


def test_html_display_is_a_table_with_escaped_text():
    found = lint(patterns.simple_but_bold())
    page = found._repr_html_()
    assert page.count("<tr>") == len(found) + 1
    for f in found:
        assert f"<td>{f.code}</td>" in page and f"<code>{f.where or '(pipeline)'}</code>" in page
    assert "&lt;prefix&gt;" in page and "<prefix>" not in page
    assert page == lint(patterns.simple_but_bold())._repr_html_()
    assert "No findings" in Findings()._repr_html_()


def test_helpers_filter_and_list():
    found = lint(patterns.simple_but_bold())
    assert found.codes() == sorted({f.code for f in found})
    assert {f.severity for f in found.serious()} == {"error", "warning"}
    assert {f.severity for f in found.by_severity("info")} == {"info"}
    assert len(found.by_severity(*SEVERITIES)) == len(found)
    assert isinstance(found.serious(), Findings)
    with pytest.raises(ValueError, match="error, warning, info"):
        found.by_severity("fatal")


def test_rule_catalog_is_data():
    assert len({r.code for r in RULES}) == len(RULES)
    assert all(r.severity in SEVERITIES and r.title and r.topic for r in RULES)
    assert all(re.fullmatch(r"WB\d{3}", r.code) for r in RULES)
    assert [r.code for r in RULES] == sorted(r.code for r in RULES)
    with pytest.raises(AttributeError):
        RULES[0].code = "WB999"
    with pytest.raises(AttributeError):
        Finding("WB101", "warning", "", "t", "w", "f").where = "x"


# --------------------------------------------------------------------------------------------
# Any definition: the fixture corpus, broken definitions, generated pipelines

FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))


def _resolves(pipeline: Pipeline, where: str) -> bool:
    """Whether a finding's path names a stage (and action) that exist."""
    if not where:
        return True
    match = re.match(r"stages\[(\d+)\](?:\.actions\[(\d+)\])?", where)
    if not match or int(match.group(1)) >= len(pipeline.stages or []):
        return False
    stage = pipeline.stages[int(match.group(1))]
    return match.group(2) is None or int(match.group(2)) < len(stage.actions or [])


def test_the_corpus_has_sixteen_definitions():
    assert len(FIXTURE_FILES) == 16


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_lint_reads_every_fixture(path):
    pipeline = Pipeline.from_api(json.loads(path.read_text()))
    found = lint(pipeline)
    assert isinstance(found, Findings) and found.codes()
    for f in found:
        assert f.severity == RULES_BY_CODE[f.code].severity
        assert _resolves(pipeline, f.where), f.where
        assert f.title and f.why and f.fix and "\n" not in f.title


def _fixture(name: str) -> Findings:
    return lint(Pipeline.from_api(json.loads((FIXTURES / name).read_text())))


def test_fixture_findings_that_do_not_depend_on_naming():
    assert "WB402" in _fixture("get-github-v1-codedeploy.json").codes()
    assert "WB304" in _fixture("get-v2-parallel-s3-lambda.json").codes()
    assert [f.where for f in _fixture("cli-cfn-test-stack-and-change-sets.json") if f.code == "WB301"] == [
        "stages[3].actions[1]"]
    for name in ("bare-cross-account-kms.json", "bare-serverless-invokes.json", "cli-jenkins-custom-actions.json"):
        assert [f.where for f in _fixture(name) if f.code == "WB403"] == ["stages[0].actions[0]"], name
    for name in ("get-codecommit-cfn-namespaces.json", "get-cross-region-artifactstores.json",
                 "cli-ecr-ecs-blue-green.json"):
        assert "WB403" not in _fixture(name).codes(), name
    assert "WB401" not in _fixture("cli-v2-monorepo-commands.json").codes()


BROKEN = {
    "empty": {},
    "no stages": {"name": "x", "stages": []},
    "stage without anything": {"stages": [{}]},
    "actions without names or types": {"stages": [{"actions": [{}]}, {"actions": [{"runOrder": 2}, {}]}]},
    "type without provider": {"stages": [{"name": "S", "actions": [
        {"name": "A", "actionTypeId": {"category": "Deploy"}}]}]},
    "odd values": {"pipelineType": "V2", "executionMode": "PARALLEL", "stages": [
        {"name": "Source", "actions": [{"name": "Repo", "actionTypeId": {
            "category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
            "configuration": {"PollForSourceChanges": True, "RepositoryName": 7}}]},
        {"name": "Build", "actions": [
            {"name": "B", "runOrder": "2",
             "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild"},
             "configuration": {"EnvironmentVariables": "[{not json"}},
            {"name": "C", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild"},
             "configuration": {"EnvironmentVariables": '{"name": "TOKEN"}', "ProjectName": None}},
            {"name": "D", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild"},
             "configuration": {"EnvironmentVariables": '[{"value": "x"}, 3, {"name": 5, "value": "y"}]'}},
            {"name": "F", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild"},
             "configuration": {"EnvironmentVariables": json.dumps([
                 {"name": "DEPLOY_ENVIRONMENT", "value": 5}, {"name": "DEPLOY_REGION", "value": ["x"]}])}},
            {"name": "G", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild"},
             "configuration": {"EnvironmentVariables": json.dumps([
                 {"name": "DEPLOY_ENVIRONMENT", "value": "production"}, {"name": "DEPLOY_REGION", "value": ["x"]},
                 {"name": "DB_PASSWORD", "value": ["x"], "type": 3}])}},
            {"name": "E", "actionTypeId": {"category": "Compute", "owner": "AWS", "provider": "Commands"},
             "environmentVariables": [{"value": "x"}, {"name": "API_TOKEN"}]}]},
        {"name": "Prod", "actions": [
            {"name": "Approve", "timeoutInMinutes": "soon", "configuration": "not a map",
             "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual"}},
            {"name": "Deploy", "runOrder": 3, "configuration": {"DEPLOY_ENVIRONMENT": "production"},
             "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation"}}],
         "onSuccess": {"conditions": [{"rules": [{"name": "r"}, {"ruleTypeId": {"provider": "CloudWatchAlarm"},
                                                                   "configuration": {"WaitTime": "soon"}}]}]},
         "onFailure": {"conditions": [{}]},
         "beforeEntry": {}}]},
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_lint_reads_broken_definitions(name):
    definition = BROKEN[name]
    found = lint(definition)
    assert isinstance(found, Findings)
    assert "WB501" in found.codes()
    assert all(_resolves(Pipeline.from_api(definition), f.where) for f in found)


@PROPERTY_SETTINGS
@given(pipelines())
def test_lint_reads_every_generated_pipeline(pipeline):
    found = lint(pipeline)
    assert found == lint(pipeline.copy())
    assert [f.code for f in found].count("WB501") == 1
    assert all(f.code in RULES_BY_CODE and _resolves(pipeline, f.where) for f in found)
