"""Wrong answers to notebook 07's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

from typing import Any, Callable

from pipeline_workbook.exercises import starting_point
from pipeline_workbook.model import Pipeline


def _update_at_07_1(index: int) -> Pipeline:
    """The starting pipeline with its UpdatePipeline stage moved to `index`."""
    pipeline = starting_point("07.1")
    stage = pipeline.stage("UpdatePipeline")
    pipeline.stages.remove(stage)
    pipeline.stages.insert(index, stage)
    return pipeline


def _update_removed_07_1() -> Pipeline:
    pipeline = starting_point("07.1")
    pipeline.stages = [stage for stage in pipeline.stages if stage.name != "UpdatePipeline"]
    return pipeline


def _update_moved_07_1(stage_name: str, run_order: int) -> Pipeline:
    """The self-update taken out of its own stage and put into `stage_name` at `run_order`."""
    pipeline = starting_point("07.1")
    stage = pipeline.stage("UpdatePipeline")
    pipeline.stages.remove(stage)
    update = stage.actions[0]
    update.run_order = run_order
    pipeline.stage(stage_name).actions.append(update)
    return pipeline


def _update_beside_staging_deploy_07_1() -> Pipeline:
    """The self-update in the Staging stage, side by side with the staging deploy."""
    return _update_moved_07_1("Staging", 1)


def _update_beside_image_build_07_1() -> Pipeline:
    """The self-update in the Build stage at BuildImage's runOrder: it reads BuildOutput too early."""
    return _update_moved_07_1("Build", 2)


RIGHT_07_2 = {"A": "Cancelled", "B": "Superseded", "C": "Cancelled", "D": "Succeeded"}


def _one_wrong_07_2(letter: str, status: str) -> dict:
    answer = dict(RIGHT_07_2)
    answer[letter] = status
    return answer


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "07.1": [
        (lambda: starting_point("07.1"), "WB205"),
        (lambda: _update_at_07_1(4), "WB205"),
        (lambda: _update_at_07_1(1), "has 1 problem"),
        (_update_removed_07_1, "SelfMutate is gone"),
        (_update_beside_staging_deploy_07_1, "WB205"),
        (_update_beside_image_build_07_1, "has 1 problem"),
        (lambda: "UpdatePipeline", "asks for a pipeline"),
    ],
    "07.2": [
        (lambda: _one_wrong_07_2("A", "Succeeded"), "A is not"),
        (lambda: _one_wrong_07_2("B", "Cancelled"), "B is not"),
        (lambda: _one_wrong_07_2("C", "Succeeded"), "C is not"),
        (lambda: _one_wrong_07_2("D", "Cancelled"), "D is not"),
        (lambda: {"A": "Cancelled", "B": "Superseded", "C": "Cancelled"}, "No status for D"),
        (lambda: _one_wrong_07_2("C", "Done"), "'Done' is not an execution status"),
        (lambda: {**RIGHT_07_2, "E": "Succeeded"}, "there is no commit E"),
        (lambda: ["Cancelled", "Superseded", "Cancelled", "Succeeded"], "not a dict"),
    ],
}
