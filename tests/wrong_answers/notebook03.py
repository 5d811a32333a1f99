"""Wrong answers to notebook 03's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

from typing import Any, Callable

from pipeline_workbook import patterns
from pipeline_workbook.exercises import starting_point
from pipeline_workbook.exercises.notebook03 import REJECTED_COMMIT_03_3
from pipeline_workbook.model import Pipeline

TOPIC = "arn:aws:sns:us-east-1:123456789012:wb-approvals"


def _ids_03_1(*statuses: str) -> set[str]:
    """The ids of the Tuesday's executions with these statuses."""
    return {e["pipelineExecutionId"] for e in starting_point("03.1").executions() if e["status"] in statuses}


def _one_superseded_03_1() -> set[str]:
    return {sorted(_ids_03_1("Superseded"))[0]}


def _with_timeout_03_2(minutes: int | None, topic: str | None = TOPIC) -> Pipeline:
    pipeline = patterns.manual_acceptance(approval_topic_arn=topic)
    pipeline.stage("Approval").action("Approve").timeout_in_minutes = minutes
    return pipeline


def _without_approval_03_2() -> Pipeline:
    pipeline = patterns.manual_acceptance(approval_topic_arn=TOPIC)
    pipeline.stages = [stage for stage in pipeline.stages if stage.name != "Approval"]
    return pipeline


def _queue_topic_03_2() -> Pipeline:
    pipeline = _with_timeout_03_2(1440)
    pipeline.stage("Approval").action("Approve").configuration["NotificationArn"] = (
        "arn:aws:sqs:us-east-1:123456789012:wb-approvals")
    return pipeline


def _execution_of_03_3(message: str) -> str:
    sim = starting_point("03.3")
    return next(e["pipelineExecutionId"] for e in sim.executions()
                if e["sourceRevisions"][0]["revisionSummary"] == message)


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "03.1": [
        (lambda: _ids_03_1("Superseded", "Failed"), "has status Failed, not Superseded"),
        (lambda: _ids_03_1("Succeeded"), "went all the way to production"),
        (_one_superseded_03_1, "1 superseded execution(s) missing"),
        (lambda: set(), "2 superseded execution(s) missing"),
        (lambda: 3, "is not how many"),
        (lambda: {"1a2b3c4d"}, "No execution of this run"),
        (lambda: {"1a2b"}, "does not name an execution"),
        (lambda: True, "True or False"),
        (lambda: 2.5, "asks for execution ids"),
    ],
    "03.2": [
        (patterns.manual_acceptance, "WB301"),
        (lambda: _with_timeout_03_2(None), "WB302"),
        (lambda: _with_timeout_03_2(7 * 24 * 60), "WB302"),
        (lambda: _with_timeout_03_2(1440, topic=None), "WB301"),
        (lambda: _with_timeout_03_2(30), "expires before anyone can try the change"),
        (_without_approval_03_2, "No manual approval is left"),
        (_queue_topic_03_2, "is not the ARN of an SNS topic"),
        (patterns.simple_but_bold, "No manual approval is left"),
        (lambda: "1440", "asks for a pipeline"),
    ],
    "03.3": [
        (lambda: _execution_of_03_3(REJECTED_COMMIT_03_3), "ran the commit you rejected"),
        (lambda: _execution_of_03_3(REJECTED_COMMIT_03_3)[:8], "deployed nothing"),
        (lambda: "1a2b3c4d", "No execution of this run"),
        (lambda: ["a", "b"], "asks for one execution id"),
        (lambda: 1, "asks for one execution id"),
    ],
}
