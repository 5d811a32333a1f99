"""Tests for patterns.py: each pipeline of the story is valid, has the shape and the flaws it should."""

import importlib.util
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline_workbook import patterns as P
from pipeline_workbook import actions as a
from pipeline_workbook.model import Pipeline

HAS_VALIDATOR = importlib.util.find_spec("pipeline_workbook.validate") is not None
needs_validator = pytest.mark.skipif(not HAS_VALIDATOR, reason="validate.py has not landed yet")

ALL_REGIONS = [r.code for r in P.REGIONS]
FIFTY_CUSTOMERS = [f"Customer {i:02d}" for i in range(50)]


def stage_names(p: Pipeline) -> list[str]:
    return [s.name for s in p.stages]


def structure_problems(p: Pipeline, home: str = "us-east-1") -> list[str]:
    """The structural rules this module is responsible for, checked independently of validate.py."""
    found = []
    produced: dict[str, tuple[int, int]] = {}
    if not 2 <= len(p.stages) <= 50:
        found.append(f"{len(p.stages)} stages")
    for si, stage in enumerate(p.stages):
        if not 1 <= len(stage.actions) <= 50:
            found.append(f"stage {stage.name} has {len(stage.actions)} actions")
        names = [act.name for act in stage.actions]
        if len(set(names)) != len(names):
            found.append(f"stage {stage.name} repeats action names")
        for act in stage.actions:
            for name in act.inputs:
                where = produced.get(name)
                if where is None or where >= (si, act.effective_run_order):
                    found.append(f"{stage.name}.{act.name} reads {name} before it is produced")
        for act in stage.actions:
            for name in act.outputs:
                if name in produced:
                    found.append(f"output {name} produced twice")
                produced[name] = (si, act.effective_run_order)
    if not all(act.category == "Source" for act in p.stages[0].actions):
        found.append("first stage holds more than sources")
    regions = {act.region for _, _, _, act in p.iter_actions() if act.region and act.region != home}
    if regions and set(p.artifact_stores or {}) != regions | {home}:
        found.append("artifact stores do not cover the action regions")
    return found


def check_valid(p: Pipeline, home: str = "us-east-1") -> None:
    assert structure_problems(p, home) == []
    if HAS_VALIDATOR:
        assert p.problems() == []


def categories(p: Pipeline) -> list[str]:
    return [act.category for _, _, _, act in p.iter_actions()]


# ------------------------------------------------------------------------------------------
# Every pattern, defaults and varied parameters


VARIANTS = [
    ("simple_but_bold", {}),
    ("simple_but_bold", {"prefix": "alice", "region": "eu-west-1", "branch": "trunk"}),
    ("with_unit_tests", {}),
    ("manual_acceptance", {}),
    ("manual_acceptance", {"approval_topic_arn": "arn:aws:sns:us-east-1:123456789012:wb-approvals"}),
    ("automated_acceptance", {}),
    ("automated_acceptance", {"keep_manual_approval": True}),
    ("phased_rollout", {}),
    ("phased_rollout", {"waves": P.plan_waves(ALL_REGIONS)}),
    ("phased_rollout", {"alarms": False, "rollback": False, "bake_minutes": 0}),
    ("phased_rollout", {"waves": [["eu-west-1"], ["us-east-1", "us-west-2"]], "region": "eu-west-1"}),
    ("per_customer", {}),
    ("per_customer", {"customers": FIFTY_CUSTOMERS}),
    ("per_customer", {"customers": [f"Customer {i:03d}" for i in range(120)], "wave_sizes": (1, None)}),
    ("per_customer", {"customers": ["A", {"name": "B", "region": "eu-west-1", "approval": True}],
                      "approval_topic_arn": "arn:aws:sns:us-east-1:123456789012:wb-approvals"}),
    ("self_updating", {}),
    ("self_updating", {"safe": True}),
]


@pytest.mark.parametrize("pattern,options", VARIANTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(VARIANTS)])
def test_every_variant_is_valid_and_deterministic(pattern, options):
    build = P.PATTERNS[pattern]
    p = build(**options)
    check_valid(p, options.get("region", "us-east-1"))
    assert p.pipeline_type == "V2"
    again = build(**options)
    assert again == p and json.dumps(again.to_api()) == json.dumps(p.to_api())
    assert Pipeline.from_api(p.to_api()) == p


@needs_validator
def test_validator_is_actually_consulted():
    broken = P.simple_but_bold()
    broken.stages[2].actions[0].input_artifacts[0].name = "NoSuchArtifact"
    assert broken.problems() != []


def test_patterns_are_listed_in_story_order():
    assert list(P.PATTERNS) == ["simple_but_bold", "with_unit_tests", "manual_acceptance", "automated_acceptance",
                                "phased_rollout", "per_customer", "self_updating"]


@pytest.mark.parametrize("pattern,stages", [
    ("simple_but_bold", ["Source", "Build", "Production"]),
    ("with_unit_tests", ["Source", "Build", "Production"]),
    ("manual_acceptance", ["Source", "Build", "PreProduction", "Approval", "Production"]),
    ("automated_acceptance", ["Source", "Build", "PreProduction", "Production"]),
    ("phased_rollout", ["Source", "Build", "PreProduction", "Wave1", "Wave2", "Wave3", "Wave4"]),
    ("per_customer", ["Source", "Build", "PreProduction", "Wave1", "Wave2", "Wave3"]),
    ("self_updating", ["Source", "Build", "PreProduction", "Production", "UpdatePipeline"]),
])
def test_default_stages_in_order(pattern, stages):
    assert stage_names(P.PATTERNS[pattern]()) == stages


def test_prefix_names_every_resource():
    p = P.phased_rollout(prefix="alice")
    assert p.name == "alice-phased-rollout"
    projects = {act.config("ProjectName") for _, _, _, act in p.iter_actions() if act.provider == "CodeBuild"}
    assert projects == {"alice-unit-tests", "alice-build-image", "alice-deploy", "alice-acceptance-tests"}
    assert all(store.location.startswith("alice-phased-rollout-artifacts-123456789012")
               for store in p.artifact_stores.values())
    alarms = [rule.configuration["AlarmName"] for s in p.stages if s.on_success
              for rule in s.on_success.conditions[0].rules]
    assert alarms and all(name.startswith("alice-health-") for name in alarms)
    assert p.role_arn == "arn:aws:iam::123456789012:role/alice-phased-rollout-pipeline-role"
    assert P.self_updating(prefix="alice").stage("UpdatePipeline").actions[0].config("StackName") == "alice-pipeline"


@pytest.mark.parametrize("bad", ["WB", "wb_", "1wb", "wb-", "", "a" * 21])
def test_bad_prefix_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="prefix"):
        P.simple_but_bold(prefix=bad)


def test_source_uses_the_repository_and_a_placeholder_connection():
    source = P.simple_but_bold(account="210987654321", region="eu-west-1").stages[0].actions[0]
    assert source.provider == "CodeStarSourceConnection"
    assert source.config("FullRepositoryId") == "octo-org/hello-service"
    assert source.config("BranchName") == "main"
    assert source.config("ConnectionArn").startswith("arn:aws:codeconnections:eu-west-1:210987654321:connection/")


# ------------------------------------------------------------------------------------------
# The flaws and features each story expects


def test_simple_but_bold_has_no_tests_and_no_preproduction():
    p = P.simple_but_bold()
    assert "Test" not in categories(p)
    assert P.deployments(p) == [("Production", "Deploy", "production", "us-east-1")]


def test_with_unit_tests_gates_the_image_build_on_unit_tests():
    p = P.with_unit_tests()
    build = p.stage("Build")
    groups = [(order, [(act.name, act.category) for act in acts]) for order, acts in build.run_order_groups()]
    assert groups == [(1, [("UnitTests", "Test")]), (2, [("BuildImage", "Build")])]
    assert a.environment_variables_of(build.action("UnitTests")) == {"TEST_SUITE": "unit"}
    assert [env for _, _, env, _ in P.deployments(p)] == ["production"]


def test_manual_acceptance_puts_an_approval_between_preproduction_and_production():
    p = P.manual_acceptance(approval_topic_arn="arn:aws:sns:us-east-1:123456789012:wb-approvals")
    names = stage_names(p)
    deploys = {env: names.index(stage) for stage, _, env, _ in P.deployments(p)}
    approval = names.index("Approval")
    assert deploys["preprod"] < approval < deploys["production"]
    approve = p.stage("Approval").actions[0]
    assert approve.provider == "Manual"
    assert approve.config("NotificationArn") == "arn:aws:sns:us-east-1:123456789012:wb-approvals"
    assert "Test" in categories(p)  # unit tests, but no acceptance tests yet
    assert all(act.name != "AcceptanceTests" for _, _, _, act in p.iter_actions())


def test_automated_acceptance_tests_run_after_the_preproduction_deploy():
    p = P.automated_acceptance()
    pre = p.stage("PreProduction")
    groups = [(order, [act.name for act in acts]) for order, acts in pre.run_order_groups()]
    assert groups == [(1, ["Deploy"]), (2, ["AcceptanceTests"])]
    tests = pre.action("AcceptanceTests")
    assert tests.category == "Test"
    assert a.environment_variables_of(tests) == {"TEST_SUITE": "acceptance", "TEST_ENVIRONMENT": "preprod",
                                                 "TEST_REGION": "us-east-1"}
    assert "Approval" not in categories(p)
    kept = P.automated_acceptance(keep_manual_approval=True)
    assert stage_names(kept) == ["Source", "Build", "PreProduction", "Approval", "Production"]


def test_phased_rollout_default_waves_come_from_regions_json():
    data = json.loads(P.REGIONS_FILE.read_text())
    assert [list(w) for w in P.DEFAULT_WAVES] == data["default_waves"]
    assert [len(w) for w in P.DEFAULT_WAVES] == [1, 2, 4, 5]
    default = [r for w in P.DEFAULT_WAVES for r in w]
    assert len(set(default)) == 12 and set(default) <= set(ALL_REGIONS)
    assert not any(r.opt_in for r in P.REGIONS if r.code in default)  # works in a new account
    assert len(ALL_REGIONS) == len(set(ALL_REGIONS)) == 30
    assert P.REGION_NAMES["eu-west-1"] == "Europe (Ireland)"


def wave_regions(p: Pipeline) -> list[list[str]]:
    return [[act.region for act in s.actions] for s in p.stages if s.name.startswith("Wave")]


def test_phased_rollout_deploys_each_wave_in_parallel_across_regions():
    p = P.phased_rollout()
    assert wave_regions(p) == [list(w) for w in P.DEFAULT_WAVES]
    for s in p.stages[3:]:
        assert {act.effective_run_order for act in s.actions} == {1}
        assert [P.deploy_target(act) for act in s.actions] == [("production", act.region) for act in s.actions]
    assert set(p.artifact_stores) == {r for w in P.DEFAULT_WAVES for r in w} | {"us-east-1"}
    assert p.artifact_store is None
    pre = P.deployments(p)[0]
    assert pre == ("PreProduction", "Deploy", "preprod", "us-east-1")


def test_phased_rollout_bakes_with_alarms_and_rolls_back():
    p = P.phased_rollout(bake_minutes=90)
    for s in p.stages[3:]:
        assert s.on_failure.result == "ROLLBACK"
        condition = s.on_success.conditions[0]
        assert condition.result == "ROLLBACK"
        assert [rule.region for rule in condition.rules] == [act.region for act in s.actions]
        assert {rule.rule_type_id.provider for rule in condition.rules} == {"CloudWatchAlarm"}
        assert {rule.configuration["WaitTime"] for rule in condition.rules} == {"90"}
    for stage in p.stages[:3]:
        assert stage.on_success is None and stage.on_failure is None


def test_phased_rollout_without_alarms_or_rollback():
    quiet = P.phased_rollout(alarms=False)
    assert all(s.on_success is None and s.on_failure.result == "ROLLBACK" for s in quiet.stages[3:])
    no_rollback = P.phased_rollout(rollback=False, bake_minutes=0)
    for s in no_rollback.stages[3:]:
        assert s.on_failure is None
        condition = s.on_success.conditions[0]
        assert condition.result == "FAIL"
        assert all("WaitTime" not in rule.configuration for rule in condition.rules)


def test_phased_rollout_handles_all_thirty_regions():
    waves = P.plan_waves(ALL_REGIONS)
    assert [len(w) for w in waves] == [1, 2, 4, 8, 10, 5]
    p = P.phased_rollout(waves=waves)
    check_valid(p)
    assert sorted(r for w in wave_regions(p) for r in w) == sorted(ALL_REGIONS)
    assert len(p.artifact_stores) == 30
    big = p.stage("Wave5")
    rules = big.on_success.conditions[0].rules
    assert len(big.actions) == 10 and len(rules) == 1  # a condition holds at most 5 rules
    assert rules[0].configuration["AlarmName"] == "wb-health-wave5"
    assert len(p.stage("Wave3").on_success.conditions[0].rules) == 4


@pytest.mark.parametrize("waves,expected", [
    ([["eu-west-1"], ["eu-west-1"]], "more than one wave"),
    ([["eu-west1"]], "not a CodePipeline region"),
    ([[]], "empty"),
    ([], "empty"),
    ("eu-west-1", "list of lists"),
])
def test_phased_rollout_refuses_bad_waves(waves, expected):
    with pytest.raises(ValueError, match=expected):
        P.phased_rollout(waves=waves)


def test_plan_waves_arguments():
    assert P.plan_waves(["a", "b", "c", "d"], first=2, growth=1) == (("a", "b"), ("c", "d"))
    assert P.plan_waves([]) == ()
    with pytest.raises(ValueError, match="growth"):
        P.plan_waves(ALL_REGIONS, growth=0)


def customer_stages(p: Pipeline):
    return [s for s in p.stages if s.name.startswith("Wave")]


def test_per_customer_defaults():
    p = P.per_customer()
    sizes = [len({P.deploy_target(act)[0] for act in s.actions if P.deploy_target(act)}) for s in customer_stages(p)]
    assert sizes == [1, 5, 2]
    last = customer_stages(p)[-1]
    groups = [(order, [act.name for act in acts]) for order, acts in last.run_order_groups()]
    assert groups == [(1, ["Deploy-granite-insurance", "Approve-halcyon-public-services"]),
                      (2, ["Deploy-halcyon-public-services"])]
    assert last.action("Approve-halcyon-public-services").provider == "Manual"
    environments = [env for _, _, env, _ in P.deployments(p)]
    assert environments[0] == "preprod"
    assert environments[1:] == [f"customer-{P.slugify(c if isinstance(c, str) else c['name'])}"
                                for c in P.DEFAULT_CUSTOMERS]


def test_per_customer_fifty_customers_each_deployed_once():
    p = P.per_customer(FIFTY_CUSTOMERS)
    deployed = [env for stage, _, env, _ in P.deployments(p) if stage.startswith("Wave")]
    assert sorted(deployed) == sorted(f"customer-customer-{i:02d}" for i in range(50))
    assert [len(s.actions) for s in customer_stages(p)] == [1, 5, 44]


def test_per_customer_splits_a_wave_that_exceeds_the_action_quota():
    people = [f"Customer {i:03d}" for i in range(100)] + [{"name": "VIP", "approval": True, "last_wave": True}]
    p = P.per_customer(people, wave_sizes=(1, None))
    assert [s.name for s in customer_stages(p)] == ["Wave1", "Wave2-part1", "Wave2-part2", "Wave2-part3"]
    assert [len(s.actions) for s in customer_stages(p)] == [1, 50, 49, 2]
    assert customer_stages(p)[-1].action("Approve-vip").effective_run_order == 1
    check_valid(p)


def test_per_customer_repeats_the_last_wave_size():
    p = P.per_customer([f"C{i}" for i in range(12)], wave_sizes=(1, 5))
    assert [len(s.actions) for s in customer_stages(p)] == [1, 5, 5, 1]


def test_per_customer_in_another_region_is_a_cross_region_deploy():
    p = P.per_customer(["Local", {"name": "Euro Bank", "region": "eu-central-1"}], wave_sizes=(None,))
    assert P.deployments(p)[1:] == [("Wave1", "Deploy-local", "customer-local", "us-east-1"),
                                    ("Wave1", "Deploy-euro-bank", "customer-euro-bank", "eu-central-1")]
    assert set(p.artifact_stores) == {"us-east-1", "eu-central-1"}


@pytest.mark.parametrize("customers,sizes,expected", [
    (["Acme", "ACME"], (1, None), "share the slug"),
    (["Acme"], (None, 2), "only be the last"),
    (["Acme"], (), "wave_sizes is empty"),
    (["Acme"], (0,), "at least 1"),
    ([], (1,), "customers is empty"),
    ([{"name": "Acme", "tier": "gold"}], (1,), "unknown options"),
    ([{"name": "Acme", "region": "mars-1"}], (1,), "not a CodePipeline region"),
])
def test_per_customer_refuses_bad_arguments(customers, sizes, expected):
    with pytest.raises(ValueError, match=expected):
        P.per_customer(customers, wave_sizes=sizes)


@settings(max_examples=40, derandomize=True, deadline=None)
@given(count=st.integers(1, 130),
       sizes=st.lists(st.integers(1, 60), min_size=1, max_size=4),
       rest=st.booleans(), approvals=st.sets(st.integers(0, 129), max_size=5))
def test_per_customer_any_plan_deploys_everyone_once_within_quotas(count, sizes, rest, approvals):
    people = [{"name": f"Customer {i:03d}", "approval": i in approvals} for i in range(count)]
    wave_sizes = tuple(sizes) + ((None,) if rest else ())
    try:
        p = P.per_customer(people, wave_sizes=wave_sizes)
    except ValueError as error:
        assert "stages" in str(error)  # only too many waves for 50 stages is refused
        return
    deployed = [env for stage, _, env, _ in P.deployments(p) if stage.startswith("Wave")]
    assert sorted(deployed) == [f"customer-customer-{i:03d}" for i in range(count)]
    assert structure_problems(p) == []


def test_self_updating_pitfall_updates_after_the_deploys():
    p = P.self_updating(safe=False)
    names = stage_names(p)
    assert names[-1] == "UpdatePipeline"
    assert names.index("Production") < names.index("UpdatePipeline")
    mutate = p.stage("UpdatePipeline").actions[0]
    assert (mutate.provider, mutate.config("ActionMode")) == ("CloudFormation", "CREATE_UPDATE")
    assert mutate.config("StackName") == "wb-pipeline"
    assert mutate.config("TemplatePath") == "BuildOutput::pipeline.yaml"
    assert mutate.inputs == ["BuildOutput"]


def test_self_updating_safe_updates_before_any_deploy():
    p = P.self_updating(safe=True)
    names = stage_names(p)
    assert names[:3] == ["Source", "Build", "UpdatePipeline"]
    app_deploys = [names.index(stage) for stage, _, env, _ in P.deployments(p) if env != "wb-pipeline"]
    assert app_deploys and min(app_deploys) > names.index("UpdatePipeline")


# ------------------------------------------------------------------------------------------
# deploy_target


@pytest.mark.parametrize("pattern,options", VARIANTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(VARIANTS)])
def test_deploy_target_reads_back_every_deploy_and_nothing_else(pattern, options):
    p = P.PATTERNS[pattern](**options)
    home = options.get("region", "us-east-1")
    for _, _, _, act in p.iter_actions():
        target = P.deploy_target(act)
        variables = a.environment_variables_of(act)
        if act.config("ProjectName", "").endswith("-deploy"):
            assert target == (variables["DEPLOY_ENVIRONMENT"], act.region or home)
        elif act.provider == "CloudFormation":
            assert target == (act.config("StackName"), None)
        else:
            assert target is None, act.name


def test_deploy_target_recognises_native_deploy_providers():
    ecs = a.ecs_deploy("Ecs", cluster="wb", service="wb-web-prod", input="BuildOutput", region="eu-west-1")
    assert P.deploy_target(ecs) == ("wb-web-prod", "eu-west-1")
    group = a.codedeploy("CD", application="wb", deployment_group="wb-staging", input="BuildOutput")
    assert P.deploy_target(group) == ("wb-staging", None)
    site = a.s3_deploy("Site", bucket="wb-site-prod", input="BuildOutput")
    assert P.deploy_target(site) == ("wb-site-prod", None)
    build = a.codebuild("Build", project="wb-build", inputs="SourceOutput", environment_variables={"X": "1"})
    assert P.deploy_target(build) is None
    test = a.codebuild_test("T", project="wb-test", inputs="SourceOutput",
                            environment_variables={"DEPLOY_ENVIRONMENT": "production"})
    assert P.deploy_target(test) is None  # a Test action never deploys
    region_from_action = a.codebuild("D", project="p", inputs="In", region="ap-south-1",
                                     environment_variables={"DEPLOY_ENVIRONMENT": "production"})
    assert P.deploy_target(region_from_action) == ("production", "ap-south-1")
