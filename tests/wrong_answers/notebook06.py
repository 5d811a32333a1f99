"""Wrong answers to notebook 06's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

import copy
from typing import Any, Callable

from pipeline_workbook import actions as a
from pipeline_workbook import patterns
from pipeline_workbook.exercises import starting_point
from pipeline_workbook.model import Pipeline

LUMEN = "Lumen Health"


def _customers_06_1(**lumen: Any) -> list[Any]:
    """The exercise's customers with Lumen Health given these options (none: just its name)."""
    return [{"name": name, **lumen} if name == LUMEN and lumen else name for name in starting_point("06.1")]


def _approval_for_everyone_06_1() -> Pipeline:
    """Lumen last, but the approval is a stage in front of every customer."""
    pipeline = patterns.per_customer(_customers_06_1(last_wave=True))
    pipeline.stages.insert(3, a.stage("Approval", a.manual_approval("Approve")))
    return pipeline


def _lumen_twice_06_1() -> Pipeline:
    """Lumen's deploy copied into the first wave as well."""
    pipeline = patterns.per_customer(_customers_06_1(last_wave=True, approval=True))
    lumen = pipeline.stages[-1].action("Deploy-lumen-health")
    again = copy.deepcopy(lumen)
    again.name = "Deploy-lumen-health-again"
    again.run_order = 1
    pipeline.stages[3].actions.append(again)
    return pipeline


def _split_wave_06_2(sizes: tuple) -> Pipeline:
    return patterns.per_customer(starting_point("06.2"), wave_sizes=sizes)


def _regulated_unpinned_06_2() -> Pipeline:
    customers = [c["name"] if isinstance(c, dict) else c for c in starting_point("06.2")]
    return patterns.per_customer(customers, wave_sizes=(1, 10, None))


def _halcyon_own_stage_first_06_3() -> Pipeline:
    """Halcyon in a stage of its own, but before Granite's deploy, so it is no longer last."""
    pipeline = starting_point("06.3")
    last = pipeline.stage("Wave3")
    halcyon = [act for act in last.actions if "halcyon" in act.name]
    last.actions = [act for act in last.actions if "halcyon" not in act.name]
    pipeline.stages.insert(len(pipeline.stages) - 1, a.stage("Halcyon", halcyon))
    return pipeline


def _halcyon_without_approval_06_3() -> Pipeline:
    pipeline = starting_point("06.3")
    last = pipeline.stage("Wave3")
    last.actions = [act for act in last.actions if act.category != "Approval"]
    for act in last.actions:
        act.run_order = 1
    return pipeline


def _parallel_06_3() -> Pipeline:
    pipeline = starting_point("06.3")
    pipeline.execution_mode = "PARALLEL"
    return pipeline


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "06.1": [
        (lambda: patterns.per_customer(_customers_06_1()), "Lumen Health deploys in Wave2"),
        (lambda: patterns.per_customer(_customers_06_1(approval=True)), "must be in the last wave"),
        (lambda: patterns.per_customer(_customers_06_1(last_wave=True)), "No approval waited"),
        (_approval_for_everyone_06_1, "held back customers who never asked"),
        (_lumen_twice_06_1, "more than once"),
        (lambda: patterns.per_customer(_customers_06_1(last_wave=True, approval=True)[1:]), "never deployed"),
        (lambda: patterns.manual_acceptance(), "none of the customers"),
        (lambda: "Lumen Health", "asks for a pipeline"),
    ],
    "06.2": [
        (lambda: _split_wave_06_2((1, 5, None)), "The plan has 4 waves"),
        (lambda: _split_wave_06_2((1, None)), "spread over Wave2-part1"),
        (lambda: _split_wave_06_2((2, 10, None)), "deploys 2 customers"),
        (lambda: _split_wave_06_2((1, 3, 9, None)), "The plan has 4 waves"),
        (_regulated_unpinned_06_2, "No approval waited"),
        (lambda: patterns.per_customer(starting_point("06.2")[:-1], wave_sizes=(1, 10, None)), "never deployed"),
    ],
    "06.3": [
        (lambda: starting_point("06.3"), "never reached Granite Insurance"),
        (_halcyon_own_stage_first_06_3, "must be in the last wave"),
        (_halcyon_without_approval_06_3, "No approval waited"),
        (_parallel_06_3, "PARALLEL"),
        (lambda: patterns.per_customer(), "never reached Granite Insurance"),
    ],
}
