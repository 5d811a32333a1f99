"""Graphviz drawings of a pipeline, laid out the way the CodePipeline console shows it.

Stages run top to bottom, each a box titled with its name; actions that share a runOrder sit side
by side in a row, later runOrders in rows below; arrows between stages are the transitions. The
same drawing shows an execution (a `get_pipeline_state` response: status colours, execution ids,
revisions, waiting executions, disabled transitions), validation problems, artifact flow, and a
highlight a notebook wants to point at.

The DOT source is a pure function of the input (node ids come from indices, never from memory or
set order), so notebooks that keep their outputs stay byte-for-byte reproducible.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import graphviz

from .model import Action, Pipeline, Problem, Stage

FONT = "Helvetica,Arial,sans-serif"
MAX_PER_ROW = 8  # parallel actions per row before a runOrder group wraps onto the next row
SHORT_ID = 8  # characters shown of execution ids and revisions
MAX_TEXT = 40  # characters shown of an action's summary or error message
MAX_NOTE_LINES = 20  # problems listed in the note before "... and N more"
AGGREGATE_AT = 3  # more readers than this in another stage: one artifact edge to the stage
MAX_ARTIFACT_STAGES = 4  # reading stages an artifact gets edges into; the rest are counted

SUBTLE_TEXT = "#545b64"
PROBLEM_RED = "#d13212"
HIGHLIGHT_LINE = "#16191f"
ARTIFACT_LINE = "#8d6e97"
ARTIFACT_TEXT = "#6b4f75"
NO_STATE = "NoState"
NOT_RUN = "NotRun"
WAITING_FOR_APPROVAL = "WaitingForApproval"


# --------------------------------------------------------------------------------------------
# Colours


@dataclass(frozen=True)
class StatusStyle:
    """How one status looks: action fill, stage background, border colour, and the words shown."""

    fill: str
    tint: str
    line: str
    text: str


_GREY = ("#f2f3f3", "#f9f9f9", "#879596")
_BLUE = ("#e6f1fa", "#f4f9fd", "#0073bb")
_GREEN = ("#e9f5e5", "#f5fbf3", "#1d8102")
_RED = ("#fdeceb", "#fef7f6", PROBLEM_RED)
_VIOLET = ("#f1ecf9", "#f9f7fc", "#6b40b5")
_AMBER = ("#fff3d6", "#fffaf0", "#d97b00")

# Keyed by the status enums of get_pipeline_state (codepipeline-rules.md 4.1), plus three of our
# own: NoState (drawn without any state), NotRun (state given, nothing for this stage/action yet)
# and WaitingForApproval (a manual approval in progress).
STATUS_COLOURS: dict[str, StatusStyle] = {
    NO_STATE: StatusStyle("#ffffff", "#f8f8f8", "#879596", ""),
    NOT_RUN: StatusStyle(*_GREY, "Not run yet"),
    "InProgress": StatusStyle(*_BLUE, "In progress"),
    "Succeeded": StatusStyle(*_GREEN, "Succeeded"),
    "Failed": StatusStyle(*_RED, "Failed"),
    "Errored": StatusStyle(*_RED, "Errored"),
    "Stopping": StatusStyle(*_VIOLET, "Stopping"),
    "Stopped": StatusStyle(*_VIOLET, "Stopped"),
    "Cancelled": StatusStyle(*_VIOLET, "Cancelled"),
    "Abandoned": StatusStyle(*_VIOLET, "Abandoned"),
    "Superseded": StatusStyle(*_VIOLET, "Superseded"),
    "Skipped": StatusStyle(*_VIOLET, "Skipped"),
    "Overridden": StatusStyle(*_VIOLET, "Overridden"),
    WAITING_FOR_APPROVAL: StatusStyle(*_AMBER, "Waiting for approval"),
}

# A manual approval drawn without state: its own shape and a pale amber, so the gate stands out.
APPROVAL_SHAPE = "hexagon"
APPROVAL_STYLE = StatusStyle("#fff8e6", "#f8f8f8", "#b36b00", "")


def status_style(status: str | None) -> StatusStyle:
    """The style of a status; unknown statuses look like NotRun rather than failing the drawing."""
    return STATUS_COLOURS.get(status or NOT_RUN, STATUS_COLOURS[NOT_RUN])


# --------------------------------------------------------------------------------------------
# The drawing object


class Drawing(graphviz.Digraph):
    """A graphviz.Digraph whose text repr has no memory address (notebook outputs stay stable)."""

    def __repr__(self) -> str:
        return f"<Drawing {self.name!r}: use .source for the DOT text, .pipe('svg') for SVG>"


def _new_drawing(name: str, label: str) -> Drawing:
    return Drawing(
        name=name,
        graph_attr={
            "rankdir": "TB", "compound": "true", "newrank": "true", "fontname": FONT,
            "fontsize": "12", "label": label, "labelloc": "t", "nodesep": "0.2",
            "ranksep": "0.3", "pad": "0.2", "bgcolor": "#ffffff",
        },
        node_attr={"fontname": FONT, "fontsize": "11", "shape": "box", "style": "rounded,filled",
                   "margin": "0.12,0.05", "penwidth": "1.2"},
        edge_attr={"fontname": FONT, "fontsize": "9", "color": SUBTLE_TEXT, "arrowsize": "0.7"},
    )


# --------------------------------------------------------------------------------------------
# Text helpers


def _esc(value: Any) -> str:
    """Text made safe for a Graphviz HTML-like label (one line)."""
    text = " ".join(str(value).split())
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _tooltip(lines: Iterable[str]) -> str:
    """A plain (escString) attribute value: backslashes neutralised, lines joined by \\n."""
    return "\\n".join(" ".join(str(line).split()).replace("\\", "/") for line in lines)


def _short(value: Any, length: int = SHORT_ID) -> str:
    return str(value)[:length]


def _clip(value: Any, length: int = MAX_TEXT) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= length else text[: length - 1] + "\u2026"


def _small(text: str, colour: str = SUBTLE_TEXT, size: int = 9) -> str:
    return f'<font point-size="{size}" color="{colour}">{text}</font>'


def _html(lines: list[str]) -> str:
    return "<" + "<br/>".join(lines) + ">"


def _name(value: Any, missing: str) -> str:
    """A bold name, or an italic placeholder when the definition leaves it out."""
    if value is None or value == "":
        return f"<i>{missing}</i>"
    return f"<b>{_esc(value)}</b>"


def _or_missing(value: Any) -> str:
    """Plain text for a value the definition may leave out."""
    return "?" if value is None or value == "" else str(value)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# --------------------------------------------------------------------------------------------
# Problems: which drawing element each one concerns

_PATH = re.compile(r"^(?:pipeline\.)?stages\[(\d+)\](?:\.actions\[(\d+)\])?")


@dataclass
class ProblemMarks:
    """Problems sorted by what they concern, each with its number in the list (1-based)."""

    numbered: list[tuple[int, Problem]] = field(default_factory=list)
    on_pipeline: list[tuple[int, Problem]] = field(default_factory=list)
    on_stage: dict[int, list[tuple[int, Problem]]] = field(default_factory=dict)
    on_action: dict[tuple[int, int], list[tuple[int, Problem]]] = field(default_factory=dict)


def place_problems(pipeline: Pipeline, problems: Iterable[Problem]) -> ProblemMarks:
    """Attach each problem to the action, stage or pipeline its path names (deepest that exists)."""
    stages = pipeline.stages or []
    marks = ProblemMarks()
    for number, problem in enumerate(problems, 1):
        marks.numbered.append((number, problem))
        match = _PATH.match(str(problem.path))
        stage_index = int(match.group(1)) if match else None
        if stage_index is None or stage_index >= len(stages):
            marks.on_pipeline.append((number, problem))
            continue
        actions = stages[stage_index].actions or []
        action_index = int(match.group(2)) if match.group(2) is not None else None
        if action_index is not None and action_index < len(actions):
            marks.on_action.setdefault((stage_index, action_index), []).append((number, problem))
        else:
            marks.on_stage.setdefault(stage_index, []).append((number, problem))
    return marks


def _resolve_problems(pipeline: Pipeline, problems: Any) -> ProblemMarks | None:
    if problems is None or problems is False:
        return None
    if problems is True:
        from .validate import problems as find_problems  # written alongside; imported lazily

        problems = find_problems(pipeline)
    return place_problems(pipeline, problems)


def _marker(entries: list[tuple[int, Problem]]) -> str:
    numbers = ", ".join(str(n) for n, _ in entries)
    word = "problem" if len(entries) == 1 else "problems"
    return _small(f"<b>{word} {numbers}</b>", PROBLEM_RED)


def _problem_tooltip_lines(entries: list[tuple[int, Problem]]) -> list[str]:
    return [f"{n}. {p.message}" + (f" Fix: {p.hint}" if p.hint else "") for n, p in entries]


# --------------------------------------------------------------------------------------------
# State: get_pipeline_state, looked up by stage and action name


@dataclass
class StageState:
    """What get_pipeline_state says about one stage, reduced to what the drawing shows."""

    status: str | None = None
    execution_id: str | None = None
    execution_type: str | None = None  # "ROLLBACK" for a rollback execution
    waiting: list[tuple[str, str | None]] = field(default_factory=list)  # (execution id, status)
    transition_enabled: bool = True
    disabled_reason: str | None = None
    actions: dict[str, dict] = field(default_factory=dict)
    conditions: dict[str, str] = field(default_factory=dict)  # "entry"/"on success"/... -> status


_CONDITION_STATES = (("entry", "beforeEntryConditionState"), ("on success", "onSuccessConditionState"),
                     ("on failure", "onFailureConditionState"))


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def read_state(state: dict) -> dict[str, StageState]:
    """Stage states by stage name (the first one wins if a name repeats)."""
    stages: dict[str, StageState] = {}
    for raw in _list(_dict(state).get("stageStates")):
        raw = _dict(raw)
        name = raw.get("stageName")
        if not isinstance(name, str) or name in stages:
            continue
        latest = _dict(raw.get("latestExecution"))
        transition = _dict(raw.get("inboundTransitionState"))
        inbound = _list(raw.get("inboundExecutions")) or (
            [raw["inboundExecution"]] if isinstance(raw.get("inboundExecution"), dict) else []
        )
        actions: dict[str, dict] = {}
        for action in _list(raw.get("actionStates")):
            action = _dict(action)
            if isinstance(action.get("actionName"), str):
                actions.setdefault(action["actionName"], action)
        stages[name] = StageState(
            status=_text_or_none(latest.get("status")),
            execution_id=_text_or_none(latest.get("pipelineExecutionId")),
            execution_type=_text_or_none(latest.get("type")),
            waiting=[(str(_dict(w).get("pipelineExecutionId", "?")), _dict(w).get("status"))
                     for w in inbound],
            transition_enabled=transition.get("enabled", True) is not False,
            disabled_reason=transition.get("disabledReason"),
            actions=actions,
            conditions={kind: str(status) for kind, key in _CONDITION_STATES
                        if (status := _dict(_dict(raw.get(key)).get("latestExecution")).get("status"))},
        )
    return stages


def _is_approval(action: Action) -> bool:
    return action.category == "Approval"


def _action_status(action: Action, action_state: dict | None, drawing_state: bool) -> str:
    if not drawing_state:
        return NO_STATE
    status = _text_or_none(_dict(_dict(action_state).get("latestExecution")).get("status"))
    if status is None:
        return NOT_RUN
    if status == "InProgress" and _is_approval(action):
        return WAITING_FOR_APPROVAL
    return status


# --------------------------------------------------------------------------------------------
# Layout: rows of actions inside a stage


@dataclass(frozen=True)
class Cell:
    """One node in a stage row: an action, an invisible centre point, or "(no actions)"."""

    node_id: str
    action_index: int | None = None
    kind: str = "action"  # "action", "centre" or "empty"


def action_node_id(stage_index: int, action_index: int) -> str:
    """The DOT node id of an action: s<stage index>_a<action index>."""
    return f"s{stage_index}_a{action_index}"


def _run_order_rows(stage: Stage, max_per_row: int) -> list[list[int]]:
    """Action indices in display rows: one runOrder group after another, long groups wrapped.

    A group of n parallel actions takes ceil(n / max_per_row) rows of near-equal length, so
    10 regions become 5 + 5 rather than 8 + 2.
    """
    groups: dict[int, list[int]] = {}
    for index, action in enumerate(stage.actions or []):
        groups.setdefault(action.effective_run_order, []).append(index)
    rows: list[list[int]] = []
    for run_order in sorted(groups):
        members = groups[run_order]
        count = math.ceil(len(members) / max_per_row)
        base, longer = divmod(len(members), count)
        start = 0
        for row in range(count):
            size = base + (1 if row < longer else 0)
            rows.append(members[start:start + size])
            start += size
    return rows


def stage_rows(stage_index: int, stage: Stage, max_per_row: int = MAX_PER_ROW) -> list[list[Cell]]:
    """The cells of a stage, row by row, as drawn.

    A row of even length gets an invisible centre point in its middle: the middle cells of all
    rows share a dot group, which lines them up, so every row sits centred under the previous.
    """
    rows = _run_order_rows(stage, max_per_row)
    if not rows:
        return [[Cell(f"s{stage_index}_empty", kind="empty")]]
    cells = []
    for row_index, row in enumerate(rows):
        cell_row = [Cell(action_node_id(stage_index, a), a) for a in row]
        if len(cell_row) % 2 == 0:
            cell_row.insert(len(cell_row) // 2,
                            Cell(f"s{stage_index}_r{row_index}_centre", kind="centre"))
        cells.append(cell_row)
    return cells


def _middle(row: list[Cell]) -> str:
    return row[(len(row) - 1) // 2].node_id


# --------------------------------------------------------------------------------------------
# Labels


def _pipeline_title(pipeline: Pipeline, title: str | None) -> str:
    heading = _name(title if title is not None else pipeline.name, "(pipeline without a name)")
    detail = f"{_esc(pipeline.effective_type)} \u00b7 {_esc(pipeline.effective_execution_mode)}"
    return _html([f'<font point-size="14">{heading}</font>', _small(detail)])


def _rule_words(rules: list) -> list[str]:
    """Rules in few words: '3 CloudWatchAlarm, wait 60 min' rather than the name three times."""
    counts: dict[str, int] = {}
    waits: set[str] = set()
    for rule in rules:
        provider = rule.rule_type_id.provider if rule.rule_type_id else None
        if provider:
            counts[provider] = counts.get(provider, 0) + 1
        wait = (rule.configuration or {}).get("WaitTime")
        if wait:
            waits.add(str(wait))
    words = [f"{n} {provider}" if n > 1 else provider for provider, n in counts.items()]
    text = ", ".join(words)
    if len(waits) == 1:
        text += f", wait {waits.pop()} min"
    return [text] if text else []


def _conditions_line(stage: Stage, stage_state: StageState | None) -> str | None:
    """Short words for a stage's V2 conditions and their latest status, e.g.
    'entry: DeploymentWindow · on success: CloudWatchAlarm (InProgress) · on failure: ROLLBACK'."""
    parts = []
    for label, conditions in (("entry", stage.before_entry), ("on success", stage.on_success),
                              ("on failure", stage.on_failure)):
        if conditions is None:
            continue
        names = []
        for condition in conditions.conditions or []:
            names += _rule_words(condition.rules or [])
            names += [f"\u2192 {condition.result}"] if condition.result else []
        result = getattr(conditions, "result", None)  # onFailure has its own result (e.g. RETRY)
        words = " ".join(str(x) for x in names + ([result] if result else []))
        status = stage_state.conditions.get(label) if stage_state else None
        parts.append((f"{label}: {words}" if words else label) + (f" ({status})" if status else ""))
    return _esc(" \u00b7 ".join(parts)) if parts else None


def _stage_label(stage: Stage, stage_state: StageState | None, style: StatusStyle,
                 problems: list[tuple[int, Problem]]) -> str:
    lines = [_name(stage.name, "(stage without a name)")]
    if stage_state is not None:
        status = style.text
        if stage_state.execution_type == "ROLLBACK":
            status = f"Rollback \u00b7 {status}"
        if stage_state.execution_id:
            status += f" \u00b7 exec {_esc(_short(stage_state.execution_id))}"
        lines.append(_small(status, style.line))
    conditions = _conditions_line(stage, stage_state)
    if conditions:
        lines.append(_small(conditions))
    if problems:
        lines.append(_marker(problems))
    return _html(lines)


def _type_line(action: Action) -> str:
    type_id = action.action_type_id
    if type_id is None:
        return "<i>no actionTypeId</i>"
    provider = type_id.provider or "?"
    category = type_id.category or "?"
    return f"{_esc(provider)} \u00b7 {_esc(category)}"


def _action_label(action: Action, status: str, action_state: dict | None,
                  problems: list[tuple[int, Problem]]) -> str:
    style = status_style(status)
    lines = [_name(action.name, "(action without a name)"), _small(_type_line(action))]
    if action.region:
        lines.append(_small(_esc(action.region)))
    if status != NO_STATE:
        lines.append(_small(style.text, style.line))
    latest = _dict(_dict(action_state).get("latestExecution"))
    message = _dict(latest.get("errorDetails")).get("message") or latest.get("summary")
    if message and str(message) != latest.get("status"):  # "Succeeded" under "Succeeded" says nothing
        lines.append(_small(_esc(_clip(message)), size=8))
    revision = _dict(_dict(action_state).get("currentRevision")).get("revisionId")
    if revision:
        lines.append(_small(f"rev {_esc(_short(revision))}", size=8))
    if problems:
        lines.append(_marker(problems))
    return _html(lines)


def _action_tooltip(action: Action, action_state: dict | None,
                    problems: list[tuple[int, Problem]]) -> str:
    type_id = action.action_type_id
    lines = [_or_missing(action.name)]
    if type_id is not None:
        parts = [_or_missing(x) for x in (type_id.owner, type_id.provider, type_id.category)]
        lines.append("/".join(parts) + f" v{_or_missing(type_id.version)}")
    if action.inputs:
        lines.append("in: " + ", ".join(action.inputs))
    if action.outputs:
        lines.append("out: " + ", ".join(action.outputs))
    latest = _dict(_dict(action_state).get("latestExecution"))
    if latest.get("summary"):
        lines.append(str(latest["summary"]))
    error = _dict(latest.get("errorDetails")).get("message")
    if error:
        lines.append(str(error))
    return _tooltip(lines + _problem_tooltip_lines(problems))


def _problems_note(marks: ProblemMarks) -> str:
    if not marks.numbered:
        return _html([f'<font color="{STATUS_COLOURS["Succeeded"].line}"><b>No problems found.</b></font>'])
    lines = [f'<font color="{PROBLEM_RED}"><b>{_plural(len(marks.numbered), "problem")}</b></font>']
    for number, problem in marks.numbered[:MAX_NOTE_LINES]:
        lines.append(f"{number}. {_esc(problem.path)}: {_esc(_clip(problem.message, 90))}")
    hidden = len(marks.numbered) - MAX_NOTE_LINES
    if hidden > 0:
        lines.append(f"<i>\u2026 and {hidden} more (see pipeline.problems())</i>")
    return "<" + '<br align="left"/>'.join(lines) + '<br align="left"/>>'


# --------------------------------------------------------------------------------------------
# Highlight


def _matches(item: Any, stage: Stage, action: Action) -> bool:
    if isinstance(item, str):
        return action.name == item
    return isinstance(item, tuple) and len(item) == 2 and (stage.name, action.name) == item


def _highlight_keys(pipeline: Pipeline, highlight: Any) -> set[tuple[int, int]]:
    """(stage index, action index) of every action the highlight names; unknown names are errors."""
    if not highlight:
        return set()
    wanted = [highlight] if isinstance(highlight, (str, tuple)) else list(highlight)
    found: set[tuple[int, int]] = set()
    unknown = []
    for item in wanted:
        hits = {(si, ai) for si, stage, ai, action in pipeline.iter_actions()
                if _matches(item, stage, action)}
        if not hits:
            unknown.append(repr(item))
        found |= hits
    if unknown:
        raise ValueError(
            f"highlight names no action of this pipeline: {', '.join(sorted(unknown))}. "
            "Give action names, or (stage name, action name) pairs."
        )
    return found


# --------------------------------------------------------------------------------------------
# Building the graph


@dataclass
class _Context:
    """What every part of one drawing needs to know."""

    stage_states: dict[str, StageState] | None
    marks: ProblemMarks | None
    highlighted: set[tuple[int, int]]

    def stage_state(self, stage: Stage) -> StageState | None:
        """None when drawing without state; an empty StageState for a stage the state lacks."""
        if self.stage_states is None:
            return None
        name = stage.name if isinstance(stage.name, str) else None
        return self.stage_states.get(name) or StageState()

    def stage_problems(self, si: int) -> list[tuple[int, Problem]]:
        return self.marks.on_stage.get(si, []) if self.marks else []

    def action_problems(self, si: int, ai: int) -> list[tuple[int, Problem]]:
        return self.marks.on_action.get((si, ai), []) if self.marks else []


def _action_state(stage_state: StageState | None, action: Action) -> dict | None:
    if stage_state is None or not isinstance(action.name, str):
        return None
    return stage_state.actions.get(action.name)


def _add_action(graph: graphviz.Digraph, cell: Cell, si: int, action: Action,
                stage_state: StageState | None, context: _Context, extra: dict[str, str]) -> None:
    ai = cell.action_index
    action_state = _action_state(stage_state, action)
    status = _action_status(action, action_state, context.stage_states is not None)
    problems = context.action_problems(si, ai)
    style = APPROVAL_STYLE if status == NO_STATE and _is_approval(action) else status_style(status)
    line, width = style.line, "1.2"
    if problems:
        line, width = PROBLEM_RED, "2.5"
    if (si, ai) in context.highlighted:
        line = PROBLEM_RED if problems else HIGHLIGHT_LINE
        width = "3.5"
    attrs = {"fillcolor": style.fill, "color": line, "penwidth": width,
             "tooltip": _action_tooltip(action, action_state, problems), **extra}
    if _is_approval(action):
        attrs.update(shape=APPROVAL_SHAPE, margin="0.05,0.05")
    graph.node(cell.node_id, _action_label(action, status, action_state, problems), **attrs)


def _add_cell(graph: graphviz.Digraph, cell: Cell, si: int, stage: Stage,
              stage_state: StageState | None, context: _Context, extra: dict[str, str]) -> None:
    if cell.kind == "centre":
        graph.node(cell.node_id, "", shape="point", style="invis", width="0", height="0", **extra)
    elif cell.kind == "empty":
        graph.node(cell.node_id, "<<i>(no actions)</i>>", shape="plaintext", style="",
                   fontcolor=SUBTLE_TEXT, **extra)
    else:
        action = (stage.actions or [])[cell.action_index]
        _add_action(graph, cell, si, action, stage_state, context, extra)


def _add_stage(graph: graphviz.Digraph, si: int, stage: Stage, rows: list[list[Cell]],
               context: _Context) -> None:
    """A cluster titled with the stage, one rank=same row per runOrder group (or part of one)."""
    stage_state = context.stage_state(stage)
    style = status_style((stage_state.status or NOT_RUN) if stage_state else NO_STATE)
    problems = context.stage_problems(si)
    with graph.subgraph(name=f"cluster_{si}") as cluster:
        cluster.attr(
            label=_stage_label(stage, stage_state, style, problems), style="rounded,filled",
            fillcolor=style.tint, color=PROBLEM_RED if problems else style.line,
            penwidth="2.5" if problems else "1.5", fontsize="12", margin="10",
            tooltip=_tooltip([_or_missing(stage.name)] + _problem_tooltip_lines(problems)),
        )
        for row in rows:
            with cluster.subgraph() as rank:
                rank.attr(rank="same")
                for cell in row:
                    extra = {"group": "spine"} if cell.node_id == _middle(row) else {}
                    _add_cell(rank, cell, si, stage, stage_state, context, extra)
        _add_order_edges(cluster, rows)


def _add_order_edges(graph: graphviz.Digraph, rows: list[list[Cell]]) -> None:
    """Invisible edges that keep each row in definition order and the rows stacked in turn.

    Rows are stacked by one edge between their middle cells; those share the group "spine",
    which makes dot put them in one vertical line.
    """
    for row in rows:
        for left, right in zip(row, row[1:]):
            graph.edge(left.node_id, right.node_id, style="invis")
    for upper, lower in zip(rows, rows[1:]):
        graph.edge(_middle(upper), _middle(lower), style="invis")


def _transition(stage_state: StageState | None) -> tuple[dict[str, str], list[str]]:
    """Edge attributes and label lines for the inbound transition of a stage."""
    if stage_state is None:
        return {}, []
    attrs: dict[str, str] = {}
    lines: list[str] = []
    if not stage_state.transition_enabled:
        attrs = {"style": "dashed", "color": PROBLEM_RED, "arrowhead": "tee", "penwidth": "2"}
        reason = f": {_esc(_clip(stage_state.disabled_reason))}" if stage_state.disabled_reason else ""
        lines.append(f'<font color="{PROBLEM_RED}"><b>transition disabled</b>{reason}</font>')
    lines += _waiting_lines(stage_state)
    return attrs, lines


def _waiting_lines(stage_state: StageState) -> list[str]:
    lines = []
    for execution_id, status in stage_state.waiting:
        suffix = f" ({_esc(status)})" if status and status != "InProgress" else ""
        lines.append(_small(f"waiting: {_esc(_short(execution_id))}{suffix}", "#16191f"))
    return lines


def _add_transitions(graph: graphviz.Digraph, pipeline: Pipeline, all_rows: list[list[list[Cell]]],
                     context: _Context) -> None:
    """An arrow from each stage to the next, clipped at the stage boxes (compound edges)."""
    stages = pipeline.stages or []
    for si in range(1, len(stages)):
        attrs, lines = _transition(context.stage_state(stages[si]))
        if lines:
            attrs["label"] = _html(lines)
        attrs.setdefault("penwidth", "1.5")
        graph.edge(_middle(all_rows[si - 1][-1]), _middle(all_rows[si][0]),
                   ltail=f"cluster_{si - 1}", lhead=f"cluster_{si}", minlen="2", **attrs)


def _add_first_stage_waiting(graph: graphviz.Digraph, pipeline: Pipeline,
                             all_rows: list[list[list[Cell]]], context: _Context) -> None:
    """Executions waiting in front of the first stage (no transition to label) get a note."""
    stage_state = context.stage_state(pipeline.stages[0]) if pipeline.stages else None
    if stage_state is None or not stage_state.waiting:
        return
    graph.node("s0_waiting", _html(_waiting_lines(stage_state)), shape="plaintext", style="")
    graph.edge("s0_waiting", _middle(all_rows[0][0]), lhead="cluster_0", style="dashed")


def _artifact_flows(pipeline: Pipeline) -> list[tuple[str, tuple[int, int], list[tuple[int, int]]]]:
    """(artifact, producer, readers in one stage) in definition order; places are (stage, action).

    The first action that outputs a name is its producer; an input nothing produces has no
    flow (validation reports it). Readers are grouped per artifact and reading stage.
    """
    producers: dict[str, tuple[int, int]] = {}
    for si, _, ai, action in pipeline.iter_actions():
        for name in action.outputs:
            if isinstance(name, str):
                producers.setdefault(name, (si, ai))
    flows: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for si, _, ai, action in pipeline.iter_actions():
        names = [n for n in action.inputs if isinstance(n, str)]
        for name in dict.fromkeys(names):  # each input once, in order
            producer = producers.get(name)
            if producer is not None and producer != (si, ai):
                flows.setdefault((name, si), []).append((si, ai))
    return [(name, producers[name], readers) for (name, _), readers in flows.items()]


def _add_artifact_edges(graph: graphviz.Digraph, pipeline: Pipeline,
                        all_rows: list[list[list[Cell]]]) -> None:
    """Dashed, labelled edges from the action producing an artifact to the actions reading it.

    Kept sparse, because long edges make dot slow (tooling.md) and hard to read: when more
    than AGGREGATE_AT actions of another stage read an artifact, one edge goes to that stage,
    labelled with the count; an artifact gets edges into at most MAX_ARTIFACT_STAGES reading
    stages, the last one saying how many more read it. Edges do not constrain the layout, so
    the console arrangement is the same with or without them.
    """
    stages = pipeline.stages or []
    style = {"style": "dashed", "color": ARTIFACT_LINE, "fontcolor": ARTIFACT_TEXT,
             "constraint": "false", "arrowhead": "vee"}
    flows = _artifact_flows(pipeline)
    stages_reading = {}
    for name, _, readers in flows:
        stages_reading.setdefault(name, []).append(readers[0][0])
    for name, producer, readers in flows:
        reading_stage = readers[0][0]
        position = stages_reading[name].index(reading_stage)
        if position >= MAX_ARTIFACT_STAGES:
            continue
        more = stages_reading[name][MAX_ARTIFACT_STAGES:]
        notes = []
        tail = action_node_id(*producer)
        aggregate = len(readers) > AGGREGATE_AT and producer[0] != reading_stage
        if aggregate:
            notes.append(f"{len(readers)} actions")
        if position == MAX_ARTIFACT_STAGES - 1 and more:
            notes.append(f"also {_plural(len(more), 'more stage')} below")
        label = _html([_esc(name) + (f" ({'; '.join(notes)})" if notes else "")])
        if aggregate:
            names = [str(stages[si].actions[ai].name) for si, ai in readers]
            graph.edge(tail, _middle(all_rows[reading_stage][0]), lhead=f"cluster_{reading_stage}",
                       label=label, tooltip=_tooltip([f"{name} is read by:"] + names), **style)
            continue
        for si, ai in readers:
            graph.edge(tail, action_node_id(si, ai), label=label, **style)


def _add_problems_note(graph: graphviz.Digraph, marks: ProblemMarks,
                       all_rows: list[list[list[Cell]]]) -> None:
    """The numbered list of problems, above the first stage (under the title)."""
    found = bool(marks.numbered)
    graph.node("problems_note", _problems_note(marks), shape="note", style="filled",
               fillcolor=STATUS_COLOURS["Failed"].fill if found else STATUS_COLOURS["Succeeded"].fill,
               color=PROBLEM_RED if found else STATUS_COLOURS["Succeeded"].line, fontsize="10")
    if all_rows:
        graph.edge("problems_note", _middle(all_rows[0][0]), lhead="cluster_0", style="invis")


def draw(pipeline: Pipeline, *, state: dict | None = None, artifacts: bool = False,
         problems: Any = None, title: str | None = None, highlight: Any = None,
         max_per_row: int = MAX_PER_ROW) -> Drawing:
    """Draw a pipeline like the console: stages top to bottom, parallel actions side by side.

    state: a get_pipeline_state response, to colour stages and actions by status.
    artifacts: True adds dashed edges from each artifact's producer to its readers.
    problems: True validates the pipeline; or give a list of Problem; None/False draws as is.
    title: replaces the pipeline name at the top. highlight: action names or (stage, action)
    pairs to emphasise. max_per_row: parallel actions per row before a runOrder group wraps.
    """
    if not isinstance(max_per_row, int) or max_per_row < 1:
        raise ValueError(f"max_per_row must be a whole number of at least 1, got {max_per_row!r}.")
    context = _Context(
        stage_states=read_state(state) if state is not None else None,
        marks=_resolve_problems(pipeline, problems),
        highlighted=_highlight_keys(pipeline, highlight),
    )
    graph = _new_drawing(str(pipeline.name or "pipeline"), _pipeline_title(pipeline, title))
    stages = pipeline.stages or []
    all_rows = [stage_rows(si, stage, max_per_row) for si, stage in enumerate(stages)]
    if context.marks is not None:
        _add_problems_note(graph, context.marks, all_rows)
    if not stages:
        graph.node("no_stages", "<<i>(no stages)</i>>", shape="plaintext", style="",
                   fontcolor=SUBTLE_TEXT)
    for si, stage in enumerate(stages):
        _add_stage(graph, si, stage, all_rows[si], context)
    _add_first_stage_waiting(graph, pipeline, all_rows, context)
    _add_transitions(graph, pipeline, all_rows, context)
    if artifacts:
        _add_artifact_edges(graph, pipeline, all_rows)
    return graph


def draw_api(definition: dict | str, **options: Any) -> Drawing:
    """Draw a plain dict (a definition or a whole get_pipeline response) or its JSON text."""
    if isinstance(definition, str):
        definition = json.loads(definition)
    return draw(Pipeline.from_api(definition), **options)


# --------------------------------------------------------------------------------------------
# Legend


def legend() -> Drawing:
    """A small drawing that explains the colours, shapes and lines the pipeline drawings use."""
    graph = _new_drawing("legend", "<<b>How to read the drawings</b>>")
    plain = STATUS_COLOURS[NO_STATE]
    entries = [
        ("not_run", "Not run yet", status_style(NOT_RUN), {}),
        ("in_progress", "In progress", status_style("InProgress"), {}),
        ("succeeded", "Succeeded", status_style("Succeeded"), {}),
        ("failed", "Failed", status_style("Failed"), {}),
        ("stopped", "Stopped, cancelled, superseded,<br/>abandoned or skipped", status_style("Stopped"), {}),
        ("approval", "Manual approval", APPROVAL_STYLE, {"shape": APPROVAL_SHAPE}),
        ("waiting", "Approval waiting<br/>for a person", status_style(WAITING_FOR_APPROVAL),
         {"shape": APPROVAL_SHAPE}),
        ("region", f"Cross-region action<br/>{_small('eu-west-1')}", plain, {}),
        ("problem", f"Action with a problem<br/>{_marker([(1, Problem('', ''))])}", plain,
         {"color": PROBLEM_RED, "penwidth": "2.5"}),
        ("highlight", "Highlighted action", plain, {"color": HIGHLIGHT_LINE, "penwidth": "3.5"}),
    ]
    chunks = [entries[i:i + 5] for i in range(0, len(entries), 5)]
    for chunk in chunks:
        with graph.subgraph() as rank:
            rank.attr(rank="same")
            for node_id, text, style, extra in chunk:
                attrs = {"fillcolor": style.fill, "color": style.line, **extra}
                rank.node(node_id, f"<{text}>", fontsize="10", **attrs)
    rows = [[Cell(node_id) for node_id, *_ in chunk] for chunk in chunks]
    _add_order_edges(graph, rows)
    for node_id, text in (("stage_a", "Stage"), ("stage_b", "Next stage"), ("stage_c", "Stage after")):
        graph.node(node_id, f"<<b>{text}</b>>", fillcolor=plain.tint, color=plain.line)
    graph.edge(rows[-1][1].node_id, "stage_a", style="invis")
    graph.edge("stage_a", "stage_b", label="<transition>", penwidth="1.5")
    graph.edge("stage_b", "stage_c", label=f'<<font color="{PROBLEM_RED}"><b>transition disabled</b>: '
               'reason</font>>', style="dashed", color=PROBLEM_RED, arrowhead="tee", penwidth="2")
    graph.node("producer", "<Action>", fillcolor=plain.fill, color=plain.line)
    graph.node("reader", "<Later action>", fillcolor=plain.fill, color=plain.line)
    graph.edge(rows[-1][3].node_id, "producer", style="invis")
    graph.edge("producer", "reader", label="<artifact>", style="dashed", color=ARTIFACT_LINE,
               fontcolor=ARTIFACT_TEXT, arrowhead="vee", minlen="2")
    return graph
