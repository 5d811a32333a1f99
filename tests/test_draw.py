"""Tests for draw.py: the structure of the DOT source (not pixels), and one real render with dot."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import graphviz
import pytest

from pipeline_workbook.draw import (
    AGGREGATE_AT,
    APPROVAL_SHAPE,
    HIGHLIGHT_LINE,
    MAX_ARTIFACT_STAGES,
    PROBLEM_RED,
    STATUS_COLOURS,
    Drawing,
    draw,
    draw_api,
    legend,
    place_problems,
)
from pipeline_workbook.model import (
    Action,
    ActionTypeId,
    ArtifactStore,
    BeforeEntryConditions,
    Condition,
    FailureConditions,
    InputArtifact,
    OutputArtifact,
    Pipeline,
    Problem,
    ProblemList,
    Rule,
    RuleTypeId,
    Stage,
    SuccessConditions,
)

FIXTURES = Path(__file__).parent / "fixtures" / "pipelines"
ROLE = "arn:aws:iam::123456789012:role/pipeline-role"


# --------------------------------------------------------------------------------------------
# A small reader for the DOT text python-graphviz writes: one statement per line.


@dataclass
class Dot:
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    node_cluster: dict[str, str | None] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    clusters: dict[str, dict[str, str]] = field(default_factory=dict)
    rank_groups: list[list[str]] = field(default_factory=list)  # node ids of each rank=same block

    def edges_between(self, tail: str, head: str) -> list[dict[str, str]]:
        return [attrs for t, h, attrs in self.edges if (t, h) == (tail, head)]

    def visible_edges(self) -> list[tuple[str, str, dict[str, str]]]:
        return [e for e in self.edges if e[2].get("style") != "invis"]


def parse_attrs(text: str) -> dict[str, str]:
    """key=value pairs; values may be bare, "quoted" (with \\" inside) or <html<nested>>."""
    attrs: dict[str, str] = {}
    i = 0
    while i < len(text):
        if text[i] in " \t[]":
            i += 1
            continue
        eq = text.index("=", i)
        key = text[i:eq]
        j = eq + 1
        if text[j] == '"':
            k = j + 1
            while text[k] != '"':
                k += 2 if text[k] == "\\" else 1
            attrs[key] = text[j + 1:k]
            i = k + 1
        elif text[j] == "<":
            depth, k = 0, j
            while True:
                depth += {"<": 1, ">": -1}.get(text[k], 0)
                k += 1
                if depth == 0:
                    break
            attrs[key] = text[j:k]
            i = k
        else:
            k = j
            while k < len(text) and text[k] not in " ]":
                k += 1
            attrs[key] = text[j:k]
            i = k
    return attrs


EDGE = re.compile(r"^(\S+) -> (\S+)(?: \[(.*)\])?$")
NODE = re.compile(r"^(\S+) \[(.*)\]$")


def parse(source: str) -> Dot:
    dot = Dot()
    stack: list[str | None] = []  # cluster name, or None for an anonymous { } block
    for raw in source.splitlines()[1:]:
        line = raw.strip()
        if line.startswith("subgraph cluster_"):
            name = line.split()[1]
            stack.append(name)
            dot.clusters[name] = {}
        elif line == "{":
            stack.append(None)
            dot.rank_groups.append([])
        elif line == "}":
            if stack:
                stack.pop()
        elif line.startswith(("graph [", "node [", "edge [")):
            continue
        elif m := EDGE.match(line):
            dot.edges.append((m.group(1), m.group(2), parse_attrs(m.group(3) or "")))
        elif m := NODE.match(line):
            dot.nodes[m.group(1)] = parse_attrs(m.group(2))
            clusters = [c for c in stack if c]
            dot.node_cluster[m.group(1)] = clusters[-1] if clusters else None
            if stack and stack[-1] is None:
                dot.rank_groups[-1].append(m.group(1))
        elif stack and stack[-1] is not None:
            dot.clusters[stack[-1]].update(parse_attrs(line))
    return dot


def actions_in(group: list[str]) -> list[str]:
    """Action node ids of a row (leaving out invisible centre points)."""
    return [n for n in group if "_a" in n]


# --------------------------------------------------------------------------------------------
# Pipelines built from the model classes


def act(name, category, provider, run_order=None, inputs=(), outputs=(), region=None, owner="AWS"):
    return Action(
        name=name,
        action_type_id=ActionTypeId(category=category, owner=owner, provider=provider, version="1"),
        run_order=run_order,
        input_artifacts=[InputArtifact(name=n) for n in inputs] or None,
        output_artifacts=[OutputArtifact(name=n) for n in outputs] or None,
        region=region,
    )


def source(name="Source", output="SourceOutput"):
    return act(name, "Source", "CodeStarSourceConnection", outputs=[output])


def pipeline(name, stages):
    return Pipeline(name=name, role_arn=ROLE, artifact_store=ArtifactStore(location="artifacts-123456789012"),
                    stages=stages)


def demo():
    """Source; Build (two parallel, then a third); Approve; cross-region Deploy."""
    return pipeline("demo", [
        Stage(name="Source", actions=[source()]),
        Stage(name="Build", actions=[
            act("UnitTests", "Test", "CodeBuild", inputs=["SourceOutput"]),
            act("BuildImage", "Build", "CodeBuild", inputs=["SourceOutput"], outputs=["ImageOutput"]),
            act("PushImage", "Build", "CodeBuild", run_order=2, inputs=["ImageOutput"]),
        ]),
        Stage(name="Approve", actions=[act("Approve", "Approval", "Manual")]),
        Stage(name="Deploy", actions=[
            act("DeployEU", "Deploy", "CloudFormation", inputs=["ImageOutput"], region="eu-west-1"),
            act("DeployUS", "Deploy", "CloudFormation", inputs=["ImageOutput"], region="us-east-1"),
        ]),
    ])


def customers(count=50):
    return pipeline("customers", [
        Stage(name="Source", actions=[source()]),
        Stage(name="Build", actions=[act("Build", "Build", "CodeBuild", inputs=["SourceOutput"],
                                         outputs=["BuildOutput"])]),
        Stage(name="Customers", actions=[
            act(f"Customer-{i:02d}", "Deploy", "CloudFormation", inputs=["BuildOutput"]) for i in range(count)
        ]),
    ])


def regional(stages=30):
    """One source, then one stage per region, each deploying the source output there."""
    return pipeline("regional", [Stage(name="Source", actions=[source()])] + [
        Stage(name=f"Region-{i:02d}", actions=[
            act(f"Deploy-{i:02d}", "Deploy", "CloudFormation", inputs=["SourceOutput"], region=f"xx-region-{i}"),
        ])
        for i in range(stages - 1)
    ])


def stage_state(name, status=None, execution="1a2b3c4d5e6f-aaaa", actions=(), **extra):
    state = {"stageName": name, "actionStates": list(actions), **extra}
    if status:
        state["latestExecution"] = {"pipelineExecutionId": execution, "status": status}
    return state


def action_state(name, status=None, **latest):
    state = {"actionName": name}
    if status:
        state["latestExecution"] = {"status": status, **latest}
    return state


# --------------------------------------------------------------------------------------------
# Layout


def test_one_cluster_per_stage_titled_with_its_name():
    dot = parse(draw(demo()).source)
    assert list(dot.clusters) == ["cluster_0", "cluster_1", "cluster_2", "cluster_3"]
    for index, name in enumerate(["Source", "Build", "Approve", "Deploy"]):
        assert f"<b>{name}</b>" in dot.clusters[f"cluster_{index}"]["label"]


def test_each_action_is_a_node_in_its_stage_with_name_provider_category_and_region():
    dot = parse(draw(demo()).source)
    build_image = dot.nodes["s1_a1"]
    assert "<b>BuildImage</b>" in build_image["label"]
    assert "CodeBuild \u00b7 Build" in build_image["label"]
    assert dot.node_cluster["s1_a1"] == "cluster_1"
    deploy_eu = dot.nodes["s3_a0"]
    assert "CloudFormation \u00b7 Deploy" in deploy_eu["label"] and "eu-west-1" in deploy_eu["label"]
    assert "eu-west-1" not in dot.nodes["s3_a1"]["label"] and "us-east-1" in dot.nodes["s3_a1"]["label"]
    assert "region" not in build_image["label"]
    action_nodes = [n for n in dot.nodes if re.fullmatch(r"s\d+_a\d+", n)]
    assert len(action_nodes) == sum(len(s.actions) for s in demo().stages)


def test_actions_of_one_run_order_share_a_row_and_later_run_orders_come_below():
    p = pipeline("rows", [Stage(name="Source", actions=[source()]), Stage(name="Test", actions=[
        act("Late", "Test", "CodeBuild", run_order=3, inputs=["SourceOutput"]),
        act("First-A", "Test", "CodeBuild", run_order=1, inputs=["SourceOutput"]),
        act("Second", "Test", "CodeBuild", run_order=2, inputs=["SourceOutput"]),
        act("First-B", "Test", "CodeBuild", inputs=["SourceOutput"]),  # no runOrder means 1
    ])])
    dot = parse(draw(p).source)
    rows = [actions_in(g) for g in dot.rank_groups if g and dot.node_cluster[g[0]] == "cluster_1"]
    assert rows == [["s1_a1", "s1_a3"], ["s1_a2"], ["s1_a0"]]
    # rows are chained top to bottom by (invisible) edges between their middles
    middles = [g[(len(g) - 1) // 2] for g in dot.rank_groups if g and dot.node_cluster[g[0]] == "cluster_1"]
    for upper, lower in zip(middles, middles[1:]):
        assert dot.edges_between(upper, lower) == [{"style": "invis"}]


def test_an_even_row_gets_an_invisible_centre_so_the_rows_line_up():
    dot = parse(draw(demo()).source)
    first_build_row = next(g for g in dot.rank_groups if "s1_a0" in g)
    assert first_build_row == ["s1_a0", "s1_r0_centre", "s1_a1"]
    assert dot.nodes["s1_r0_centre"]["style"] == "invis"
    assert dot.nodes["s1_r0_centre"]["group"] == "spine" and dot.nodes["s1_a2"]["group"] == "spine"
    assert "group" not in dot.nodes["s1_a0"]


def test_transitions_join_consecutive_stages_and_only_those():
    dot = parse(draw(demo()).source)
    transitions = [(t, h, a) for t, h, a in dot.visible_edges() if "lhead" in a]
    assert [(a["ltail"], a["lhead"]) for _, _, a in transitions] == [
        ("cluster_0", "cluster_1"), ("cluster_1", "cluster_2"), ("cluster_2", "cluster_3")]
    for tail, head, attrs in transitions:
        assert dot.node_cluster[tail] == attrs["ltail"] and dot.node_cluster[head] == attrs["lhead"]
        assert attrs.get("style") != "dashed"


def test_fifty_parallel_actions_wrap_into_rows_of_at_most_eight_in_order():
    dot = parse(draw(customers(50)).source)
    rows = [actions_in(g) for g in dot.rank_groups if g and dot.node_cluster[g[0]] == "cluster_2"]
    assert len(rows) == 7
    assert max(len(r) for r in rows) <= 8 and min(len(r) for r in rows) >= 7
    assert [n for r in rows for n in r] == [f"s2_a{i}" for i in range(50)]


def test_ten_parallel_regions_become_two_rows_of_five_and_max_per_row_is_an_option():
    p = pipeline("wave", [Stage(name="Source", actions=[source()]), Stage(name="Wave", actions=[
        act(f"Deploy-{i}", "Deploy", "CloudFormation", inputs=["SourceOutput"], region=f"xx-region-{i}")
        for i in range(10)])])
    rows = [actions_in(g) for g in parse(draw(p).source).rank_groups if any("s1_" in n for n in g)]
    assert [len(r) for r in rows] == [5, 5]
    rows = [actions_in(g) for g in parse(draw(p, max_per_row=4).source).rank_groups if any("s1_" in n for n in g)]
    assert [len(r) for r in rows] == [4, 3, 3]
    with pytest.raises(ValueError, match="max_per_row"):
        draw(p, max_per_row=0)


def test_a_manual_approval_has_its_own_shape_and_colour():
    dot = parse(draw(demo()).source)
    approve, build = dot.nodes["s2_a0"], dot.nodes["s1_a1"]
    assert approve["shape"] == APPROVAL_SHAPE and "shape" not in build
    assert approve["fillcolor"] != build["fillcolor"]


def test_title_shows_name_type_and_mode_and_can_be_replaced():
    p = demo()
    p.pipeline_type, p.execution_mode = "V2", "QUEUED"
    dot_source = draw(p).source
    assert "<b>demo</b>" in dot_source and "V2 \u00b7 QUEUED" in dot_source
    assert "<b>My &lt;pipeline&gt;</b>" in draw(p, title="My <pipeline>").source


def test_stage_conditions_are_named_under_the_stage_title():
    p = demo()
    alarm = Rule(name="Alarm", rule_type_id=RuleTypeId(provider="CloudWatchAlarm"))
    window = Rule(name="Window", rule_type_id=RuleTypeId(provider="DeploymentWindow"))
    p.stages[3].before_entry = BeforeEntryConditions(conditions=[Condition(result="FAIL", rules=[window])])
    p.stages[3].on_success = SuccessConditions(conditions=[Condition(result="ROLLBACK", rules=[alarm])])
    p.stages[3].on_failure = FailureConditions(result="ROLLBACK")
    label = parse(draw(p).source).clusters["cluster_3"]["label"]
    assert "entry: DeploymentWindow \u2192 FAIL" in label
    assert "on success: CloudWatchAlarm \u2192 ROLLBACK" in label and "on failure: ROLLBACK" in label
    state = {"stageStates": [stage_state("Deploy", "InProgress",
                                         onSuccessConditionState={"latestExecution": {"status": "InProgress"}})]}
    label = parse(draw(p, state=state).source).clusters["cluster_3"]["label"]
    assert "on success: CloudWatchAlarm \u2192 ROLLBACK (InProgress)" in label
    p.stages[3].on_success.conditions[0].rules = [
        Rule(name=f"Alarm{i}", rule_type_id=RuleTypeId(provider="CloudWatchAlarm"), configuration={"WaitTime": "30"})
        for i in range(3)]
    label = parse(draw(p).source).clusters["cluster_3"]["label"]
    assert "on success: 3 CloudWatchAlarm, wait 30 min \u2192 ROLLBACK" in label


# --------------------------------------------------------------------------------------------
# Artifacts


def test_artifact_edges_appear_only_when_asked_for():
    assert not [e for e in parse(draw(demo()).source).edges if e[2].get("style") == "dashed"]
    dot = parse(draw(demo(), artifacts=True).source)
    flows = sorted((t, h, a["label"]) for t, h, a in dot.edges if a.get("style") == "dashed")
    assert flows == sorted([
        ("s0_a0", "s1_a0", "<SourceOutput>"), ("s0_a0", "s1_a1", "<SourceOutput>"),
        ("s1_a1", "s1_a2", "<ImageOutput>"),
        ("s1_a1", "s3_a0", "<ImageOutput>"), ("s1_a1", "s3_a1", "<ImageOutput>"),
    ])
    assert all(a["constraint"] == "false" for t, h, a in dot.edges if a.get("style") == "dashed")


def test_many_readers_in_one_stage_get_one_artifact_edge_into_the_stage():
    dot = parse(draw(customers(AGGREGATE_AT + 1), artifacts=True).source)
    into_customers = [(t, h, a) for t, h, a in dot.edges if a.get("lhead") == "cluster_2" and a.get("style") == "dashed"]
    assert len(into_customers) == 1
    tail, _, attrs = into_customers[0]
    assert tail == "s1_a0" and f"BuildOutput ({AGGREGATE_AT + 1} actions)" in attrs["label"]
    dot = parse(draw(customers(AGGREGATE_AT), artifacts=True).source)
    assert len([e for e in dot.edges if e[0] == "s1_a0" and e[2].get("style") == "dashed"]) == AGGREGATE_AT


def test_an_artifact_read_in_many_stages_gets_edges_into_the_first_few_only():
    dot = parse(draw(regional(10), artifacts=True).source)
    flows = [(h, a["label"]) for t, h, a in dot.edges if a.get("style") == "dashed"]
    assert [h for h, _ in flows] == [f"s{i}_a0" for i in range(1, MAX_ARTIFACT_STAGES + 1)]
    assert f"also {9 - MAX_ARTIFACT_STAGES} more stages below" in flows[-1][1]


def test_an_input_nothing_produces_gets_no_artifact_edge():
    p = demo()
    p.stages[3].actions[1].input_artifacts.append(InputArtifact(name="Missing"))
    dot = parse(draw(p, artifacts=True).source)
    assert "Missing" not in "".join(a["label"] for _, _, a in dot.edges if a.get("style") == "dashed")


# --------------------------------------------------------------------------------------------
# Problems


def broken_input():
    """The demo with DeployUS reading an artifact no action produces (its second input)."""
    p = demo()
    p.stages[3].actions[1].input_artifacts.append(InputArtifact(name="Missing"))
    problems = ProblemList([
        Problem("stages[3].actions[1].inputArtifacts[1]", "input artifact 'Missing' is not produced by "
                "any earlier action.", "Name an output of an action that runs before this one."),
        Problem("stages[2]", "stage has a <strange> name & more."),
        Problem("artifactStore.location", "bucket name too short."),
    ])
    return p, problems


def test_problems_are_placed_on_the_action_stage_or_pipeline_their_path_names():
    p, problems = broken_input()
    extra = [Problem("stages[9].actions[0]", "no such stage"), Problem("stages[0].actions[5]", "no such action")]
    marks = place_problems(p, list(problems) + extra)
    assert [n for n, _ in marks.on_action[(3, 1)]] == [1]
    assert [n for n, _ in marks.on_stage[2]] == [2]
    assert [n for n, _ in marks.on_stage[0]] == [5]  # action index out of range: the stage
    assert [n for n, _ in marks.on_pipeline] == [3, 4]  # stage index out of range: the pipeline
    assert set(marks.on_action) == {(3, 1)}


def test_a_broken_input_artifact_is_highlighted_on_its_action():
    p, problems = broken_input()
    dot = parse(draw(p, problems=problems).source)
    broken = dot.nodes["s3_a1"]
    assert broken["color"] == PROBLEM_RED and "problem 1" in broken["label"]
    assert "not produced" in broken["tooltip"] and "Fix: Name an output" in broken["tooltip"]
    others = [n for n in dot.nodes if re.fullmatch(r"s\d+_a\d+", n) and n != "s3_a1"]
    assert all(dot.nodes[n]["color"] != PROBLEM_RED for n in others)
    stage = dot.clusters["cluster_2"]
    assert stage["color"] == PROBLEM_RED and "problem 2" in stage["label"]
    assert dot.clusters["cluster_3"]["color"] != PROBLEM_RED
    note = dot.nodes["problems_note"]["label"]
    assert "3 problems" in note
    assert "1. stages[3].actions[1].inputArtifacts[1]: input artifact" in note
    assert "2. stages[2]: stage has a &lt;strange&gt; name &amp; more." in note
    assert "3. artifactStore.location: bucket name too short." in note


def test_no_problems_given_means_no_validation_and_an_empty_list_says_so():
    assert "problems_note" not in parse(draw(demo()).source).nodes
    assert "problems_note" not in parse(draw(demo(), problems=False).source).nodes
    assert "No problems found." in parse(draw(demo(), problems=[]).source).nodes["problems_note"]["label"]


def test_problems_true_asks_the_validator():
    pytest.importorskip("pipeline_workbook.validate", reason="validate.py is written by another helper")
    p, _ = broken_input()
    found = p.problems()
    assert found, "the validator should find the missing input artifact"
    assert draw(p, problems=True).source == draw(p, problems=found).source


# --------------------------------------------------------------------------------------------
# State


def test_without_state_nothing_says_a_status():
    dot_source = draw(demo()).source
    for style in STATUS_COLOURS.values():
        if style.text:
            assert style.text not in dot_source


@pytest.mark.parametrize("status", ["InProgress", "Succeeded", "Failed", "Abandoned"])
def test_action_colours_follow_the_action_status(status):
    state = {"stageStates": [stage_state("Build", "InProgress", actions=[action_state("BuildImage", status)])]}
    dot = parse(draw(demo(), state=state).source)
    node = dot.nodes["s1_a1"]
    assert node["fillcolor"] == STATUS_COLOURS[status].fill and node["color"] == STATUS_COLOURS[status].line
    assert STATUS_COLOURS[status].text in node["label"]
    # the other action in the same stage has no state yet: grey
    assert dot.nodes["s1_a0"]["fillcolor"] == STATUS_COLOURS["NotRun"].fill


@pytest.mark.parametrize("status", ["Cancelled", "InProgress", "Failed", "Stopped", "Stopping", "Succeeded",
                                    "Skipped"])
def test_stage_colours_follow_the_stage_status(status):
    state = {"stageStates": [stage_state("Deploy", status)]}
    cluster = parse(draw(demo(), state=state).source).clusters["cluster_3"]
    assert cluster["fillcolor"] == STATUS_COLOURS[status].tint and cluster["color"] == STATUS_COLOURS[status].line
    assert STATUS_COLOURS[status].text in cluster["label"]


def test_console_colours_grey_blue_green_red_and_a_distinct_one_for_stopped_and_the_like():
    lines = {name: STATUS_COLOURS[name].line for name in ("NotRun", "InProgress", "Succeeded", "Failed")}
    assert len(set(lines.values())) == 4
    others = {STATUS_COLOURS[s].line for s in ("Stopped", "Stopping", "Cancelled", "Abandoned", "Superseded", "Skipped")}
    assert len(others) == 1 and not others & set(lines.values())
    waiting = STATUS_COLOURS["WaitingForApproval"].line
    assert waiting not in set(lines.values()) | others
    for style in STATUS_COLOURS.values():
        for colour in (style.fill, style.tint, style.line):
            assert re.fullmatch(r"#[0-9a-f]{6}", colour), colour


def test_a_manual_approval_in_progress_is_waiting_for_approval():
    state = {"stageStates": [stage_state("Approve", "InProgress", actions=[action_state("Approve", "InProgress",
                                                                                          token="abc")])]}
    node = parse(draw(demo(), state=state).source).nodes["s2_a0"]
    waiting = STATUS_COLOURS["WaitingForApproval"]
    assert node["fillcolor"] == waiting.fill and "Waiting for approval" in node["label"]
    assert node["shape"] == APPROVAL_SHAPE


def test_stages_without_state_are_grey_and_unknown_names_in_the_state_are_ignored():
    state = {"stageStates": [
        stage_state("Source", "Succeeded", actions=[action_state("Source", "Succeeded"),
                                                     action_state("GhostAction", "Failed")]),
        stage_state("GhostStage", "Failed", actions=[action_state("Whatever", "Failed")]),
    ]}
    dot_source = draw(demo(), state=state).source
    dot = parse(dot_source)
    assert "Ghost" not in dot_source and "Whatever" not in dot_source
    assert dot.clusters["cluster_0"]["color"] == STATUS_COLOURS["Succeeded"].line
    for index in (1, 2, 3):
        assert dot.clusters[f"cluster_{index}"]["color"] == STATUS_COLOURS["NotRun"].line
        assert "Not run yet" in dot.clusters[f"cluster_{index}"]["label"]


def test_stage_shows_short_execution_id_and_source_shows_short_revision():
    state = {"stageStates": [stage_state(
        "Source", "Succeeded", execution="3f2a9c1b-1111-2222-3333-444455556666",
        actions=[{**action_state("Source", "Succeeded", summary="Fix the checkout <bug> & more"),
                  "currentRevision": {"revisionId": "9e8d7c6b5a4f3e2d1c0b"}}],
    )]}
    dot = parse(draw(demo(), state=state).source)
    assert "exec 3f2a9c1b" in dot.clusters["cluster_0"]["label"]
    assert "3f2a9c1b-1111" not in dot.clusters["cluster_0"]["label"]
    label = dot.nodes["s0_a0"]["label"]
    assert "rev 9e8d7c6b" in label and "9e8d7c6b5a" not in label
    assert "Fix the checkout &lt;bug&gt; &amp; more" in label


def test_a_failed_action_shows_its_error_message_briefly():
    message = "Phase BUILD failed: 3 of 120 tests failed in test_checkout.py (see the logs for details)"
    state = {"stageStates": [stage_state("Build", "Failed", actions=[
        action_state("UnitTests", "Failed", errorDetails={"code": "JobFailed", "message": message})])]}
    node = parse(draw(demo(), state=state).source).nodes["s1_a0"]
    assert "Phase BUILD failed: 3 of 120" in node["label"] and message not in node["label"]
    assert message in node["tooltip"]


def test_a_disabled_transition_is_dashed_red_with_its_reason_and_waiting_executions():
    state = {"stageStates": [
        stage_state("Source", "Succeeded"),
        stage_state("Build", "Succeeded"),
        stage_state("Approve", inboundTransitionState={"enabled": False, "disabledReason": "Freeze until Monday"},
                    inboundExecutions=[{"pipelineExecutionId": "3f2a9c1b-aaaa", "status": "InProgress"},
                                       {"pipelineExecutionId": "77aa88bb-cccc", "status": "InProgress"}]),
        stage_state("Deploy", inboundTransitionState={"enabled": True}),
    ]}
    dot = parse(draw(demo(), state=state).source)
    into = {a["lhead"]: a for _, _, a in dot.edges if "ltail" in a}
    disabled = into["cluster_2"]
    assert disabled["style"] == "dashed" and disabled["color"] == PROBLEM_RED
    assert "transition disabled" in disabled["label"] and "Freeze until Monday" in disabled["label"]
    assert "waiting: 3f2a9c1b" in disabled["label"] and "waiting: 77aa88bb" in disabled["label"]
    for enabled in (into["cluster_1"], into["cluster_3"]):
        assert enabled.get("style") != "dashed" and "label" not in enabled


def test_a_single_inbound_execution_is_shown_too():
    state = {"stageStates": [stage_state("Deploy", inboundExecution={"pipelineExecutionId": "abcdef1234",
                                                                     "status": "InProgress"})]}
    into = {a["lhead"]: a for _, _, a in parse(draw(demo(), state=state).source).edges if "ltail" in a}
    assert "waiting: abcdef12" in into["cluster_3"]["label"]


# --------------------------------------------------------------------------------------------
# Highlight


def test_highlight_by_action_name_or_stage_action_pair():
    p = demo()
    dot = parse(draw(p, highlight={"DeployEU"}).source)
    assert dot.nodes["s3_a0"]["color"] == HIGHLIGHT_LINE and dot.nodes["s3_a0"]["penwidth"] == "3.5"
    assert dot.nodes["s3_a1"]["color"] != HIGHLIGHT_LINE
    dot = parse(draw(p, highlight=[("Build", "UnitTests")]).source)
    assert [n for n, a in dot.nodes.items() if a.get("color") == HIGHLIGHT_LINE] == ["s1_a0"]
    with pytest.raises(ValueError, match="'Nope'"):
        draw(p, highlight=["Nope"])
    with pytest.raises(ValueError, match="Deploy"):
        draw(p, highlight=[("Build", "DeployEU")])


def test_a_highlighted_action_with_a_problem_stays_red():
    p, problems = broken_input()
    node = parse(draw(p, problems=problems, highlight="DeployUS").source).nodes["s3_a1"]
    assert node["color"] == PROBLEM_RED and node["penwidth"] == "3.5"


# --------------------------------------------------------------------------------------------
# Invalid definitions draw; text is escaped; output is deterministic


def broken_pipeline():
    return Pipeline(stages=[
        Stage(actions=[Action(), source()]),  # no stage name, an action with nothing
        Stage(name="Empty", actions=[]),
        Stage(name="Empty", actions=None),  # duplicate name, no actions key
        Stage(name='Odd <"name"> & \\', actions=[
            act('we<i>rd & "x" \\', "Build", None, inputs=["SourceOutput", "Nothing"], region='r"\\'),
            act("Reader", "Build", "CodeBuild", inputs=["Later"]),
            act("Reader", "Build", "CodeBuild", outputs=["Later"]),  # duplicate action name
        ]),
    ])


def test_an_invalid_pipeline_draws_and_renders_without_errors():
    p = broken_pipeline()
    state = {"stageStates": ["junk", {"stageName": ["not", "a", "name"]},
                             {"stageName": "Empty", "latestExecution": {"status": {"odd": 1}}}]}
    for options in ({}, {"artifacts": True}, {"state": state},
                    {"problems": [Problem("stages[1]", "stage has no actions."), Problem("", "no name")]}):
        drawing = draw(p, **options)
        svg = drawing.pipe(format="svg", encoding="utf-8")
        assert "<svg" in svg
    dot = parse(draw(p).source)
    assert "(stage without a name)" in dot.clusters["cluster_0"]["label"]
    assert "(action without a name)" in dot.nodes["s0_a0"]["label"] and "no actionTypeId" in dot.nodes["s0_a0"]["label"]
    assert "(no actions)" in dot.nodes["s1_empty"]["label"] and "(no actions)" in dot.nodes["s2_empty"]["label"]
    assert "<b>Odd &lt;&quot;name&quot;&gt; &amp; \\</b>" in dot.clusters["cluster_3"]["label"]
    assert "? \u00b7 Build" in dot.nodes["s3_a0"]["label"]


def test_no_stages_at_all_still_draws():
    for stages in (None, []):
        drawing = draw(Pipeline(name="nothing", stages=stages), problems=[Problem("stages", "needs 2 stages")])
        assert "(no stages)" in drawing.source and "<svg" in drawing.pipe(format="svg", encoding="utf-8")


def test_the_same_input_gives_the_same_source_every_time():
    p, problems = broken_input()
    state = {"stageStates": [stage_state("Build", "Failed", actions=[action_state("UnitTests", "Failed")])]}
    options = dict(state=state, artifacts=True, problems=problems, highlight={"DeployEU", ("Build", "UnitTests")})
    first = draw(p, **options).source
    assert draw(p.copy(), **options).source == first
    assert draw(Pipeline.from_api(p.to_api()), **options).source == first
    assert "0x" not in first and "0x" not in repr(draw(p))


DRAW_IN_SUBPROCESS = """
import hashlib, json, sys
from pipeline_workbook.draw import draw_api
from pipeline_workbook.model import Problem
data = json.load(open(sys.argv[1]))
problems = [Problem(**p) for p in data["problems"]]
drawing = draw_api(data["pipeline"], state=data["state"], artifacts=True, problems=problems,
                   highlight={"DeployEU", "DeployUS", ("Build", "UnitTests")})
print(hashlib.sha256(drawing.source.encode()).hexdigest())
"""


def test_the_source_does_not_depend_on_the_hash_seed(tmp_path):
    p, problems = broken_input()
    state = {"stageStates": [stage_state("Build", "Failed", actions=[action_state("UnitTests", "Failed")])]}
    data = {"pipeline": p.to_api(), "state": state,
            "problems": [{"path": x.path, "message": x.message, "hint": x.hint} for x in problems]}
    (tmp_path / "input.json").write_text(json.dumps(data))
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", DRAW_IN_SUBPROCESS, str(tmp_path / "input.json")],
                             env=env, capture_output=True, text=True, check=True)
        digests.add(run.stdout.strip())
    assert len(digests) == 1


def test_the_drawing_is_a_digraph_with_a_stable_repr_and_pipeline_draw_delegates():
    drawing = demo().draw(artifacts=True)
    assert isinstance(drawing, graphviz.Digraph) and isinstance(drawing, Drawing)
    assert drawing.source == draw(demo(), artifacts=True).source
    assert repr(drawing) == repr(draw(demo())) and "demo" in repr(drawing)


def test_renders_to_svg_with_the_stage_names():
    svg = draw(demo(), state={"stageStates": [stage_state("Build", "Failed")]}).pipe(format="svg", encoding="utf-8")
    svg = html.unescape(svg)  # dot writes "-" as &#45;
    for name in ("Source", "Build", "Approve", "Deploy", "BuildImage", "eu-west-1", "Failed \u00b7 exec 1a2b3c4d"):
        assert f">{name}<" in svg


def test_colours_are_six_digit_hex_everywhere():
    p, problems = broken_input()
    state = {"stageStates": [stage_state("Approve", "InProgress", actions=[action_state("Approve", "InProgress")])]}
    for dot_source in (draw(p, state=state, artifacts=True, problems=problems, highlight="DeployEU").source,
                       legend().source):
        colours = re.findall(r'#[0-9A-Fa-f]+\b', dot_source)
        assert colours and all(len(c) == 7 for c in colours)


# --------------------------------------------------------------------------------------------
# draw_api and legend


def test_draw_api_takes_a_dict_json_text_or_a_get_pipeline_response():
    p = demo()
    expected = draw(p).source
    assert draw_api(p.to_api()).source == expected
    assert draw_api(json.dumps(p.to_api())).source == expected
    assert draw_api({"pipeline": p.to_api(), "metadata": {"pipelineArn": "arn"}}).source == expected


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_every_fixture_draws_one_cluster_per_stage(path):
    data = json.loads(path.read_text())
    definition = data.get("pipeline", data)
    dot = parse(draw_api(data, artifacts=True).source)
    assert len(dot.clusters) == len(definition["stages"])
    for index, stage in enumerate(definition["stages"]):
        assert f"<b>{stage['name']}</b>" in dot.clusters[f"cluster_{index}"]["label"]
        for action_index, action in enumerate(stage["actions"]):
            assert f"<b>{action['name']}</b>" in dot.nodes[f"s{index}_a{action_index}"]["label"]


def test_legend_explains_every_colour_and_renders():
    drawing = legend()
    dot = parse(drawing.source)
    fills = {a.get("fillcolor") for a in dot.nodes.values()}
    for status in ("NotRun", "InProgress", "Succeeded", "Failed", "Stopped", "WaitingForApproval"):
        assert STATUS_COLOURS[status].fill in fills
    assert any(a.get("shape") == APPROVAL_SHAPE for a in dot.nodes.values())
    assert any(a.get("color") == PROBLEM_RED and a.get("arrowhead") == "tee" for _, _, a in dot.edges)
    assert "Succeeded" in drawing.pipe(format="svg", encoding="utf-8")
