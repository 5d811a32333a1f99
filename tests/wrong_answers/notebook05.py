"""Wrong answers to notebook 05's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

from typing import Any, Callable

from pipeline_workbook import actions as a
from pipeline_workbook import patterns
from pipeline_workbook.exercises import starting_point
from pipeline_workbook.model import Pipeline

GOOD_PLAN_05_1 = [["ca-central-1"], ["sa-east-1", "ap-southeast-2", "ap-northeast-1"],
                  ["us-west-2", "eu-central-1"], ["eu-west-1", "us-east-1"]]


def _plan_05_1(*waves: list[str], **options: Any) -> Pipeline:
    return patterns.phased_rollout(waves=[list(w) for w in waves], **options)


def _wave2_fixed_05_3(on_failure: bool = True, on_success: bool = True) -> Pipeline:
    pipeline = starting_point("05.3")
    wave = pipeline.stage("Wave2")
    if on_failure:
        wave.on_failure = a.rollback_on_failure()
    if on_success:
        for condition in wave.on_success.conditions:
            condition.result = "ROLLBACK"
    return pipeline


def _wave2_without_bake_05_3() -> Pipeline:
    pipeline = _wave2_fixed_05_3()
    for condition in pipeline.stage("Wave2").on_success.conditions:
        for rule in condition.rules:
            rule.configuration.pop("WaitTime", None)
    return pipeline


def _wave2_removed_05_3() -> Pipeline:
    pipeline = _wave2_fixed_05_3()
    pipeline.stages = [stage for stage in pipeline.stages if stage.name != "Wave2"]
    return pipeline


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "05.1": [
        (lambda: GOOD_PLAN_05_1, "the wave plan itself"),
        (lambda: _plan_05_1(["us-east-1"], ["sa-east-1", "ap-southeast-2", "ap-northeast-1"],
                            ["us-west-2", "eu-central-1"], ["eu-west-1", "ca-central-1"]),
         "The first wave (Wave1) is us-east-1"),
        (lambda: _plan_05_1(["ca-central-1", "sa-east-1"], ["ap-southeast-2", "ap-northeast-1", "us-west-2"],
                            ["eu-central-1", "eu-west-1", "us-east-1"]),
         "The first wave (Wave1) is ca-central-1, sa-east-1"),
        (lambda: _plan_05_1(["ca-central-1"], ["sa-east-1", "ap-southeast-2", "ap-northeast-1", "us-west-2"],
                            ["eu-central-1", "eu-west-1", "us-east-1"]),
         "Wave2 has 4 regions"),
        (lambda: _plan_05_1(["ca-central-1"], ["sa-east-1", "ap-southeast-2", "us-east-1"],
                            ["us-west-2", "eu-central-1", "ap-northeast-1"], ["eu-west-1"]),
         "not in the last wave"),
        (lambda: _plan_05_1(["ca-central-1"], ["sa-east-1", "ap-southeast-2"], ["us-west-2", "eu-central-1"],
                            ["eu-west-1", "us-east-1"]),
         "ap-northeast-1 is in no wave"),
        (lambda: _plan_05_1(*GOOD_PLAN_05_1[:3], ["eu-west-1", "us-east-1", "us-east-2"]),
         "us-east-2 is not one of the eight regions"),
        (lambda: _plan_05_1(*GOOD_PLAN_05_1, bake_minutes=0), "no bake time"),
        (lambda: _plan_05_1(*GOOD_PLAN_05_1, rollback=False), "with FAIL, not ROLLBACK"),
        (lambda: _plan_05_1(*GOOD_PLAN_05_1, bake_minutes=5), "reached Wave1, Wave2"),
    ],
    "05.2": [
        (lambda: 0, "another option exposes customers less"),
        (lambda: 15, "another option exposes customers less"),
        (lambda: 45, "not one of the options"),
        (lambda: "20 minutes", "asks for a number of minutes"),
    ],
    "05.3": [
        (lambda: starting_point("05.3"), "Wave2 answers an alarm during the bake with FAIL"),
        (lambda: _wave2_fixed_05_3(on_success=False), "Wave2 answers an alarm during the bake with FAIL"),
        (lambda: _wave2_fixed_05_3(on_failure=False), "Wave2 does not roll back when a deploy fails"),
        (_wave2_without_bake_05_3, "Wave2 watches its alarms for no time at all"),
        (_wave2_removed_05_3, "not the ones the exercise started with"),
    ],
}
