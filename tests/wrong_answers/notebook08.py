"""Wrong answers to notebook 08's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

from typing import Any, Callable

from pipeline_workbook.exercises.notebook08 import expected_08_1, expected_08_2, expected_08_3


def _counts_08_1(**changes: int) -> dict[str, int]:
    counts = expected_08_1()
    counts.update(changes)
    return counts


def _manual_only_08_1() -> dict[str, int]:
    return _counts_08_1(**{"IAM role": 2, "log group": 3, "CodeBuild project": 3, "pipeline": 1})


def _no_sharing_08_1() -> dict[str, int]:
    return _counts_08_1(**{"IAM role": 4, "S3 bucket": 4, "log group": 7, "ECR repository": 2,
                           "CodeBuild project": 7})


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "08.1": [
        (_manual_only_08_1, "Each pipeline brings its own role"),
        (_no_sharing_08_1, "are shared"),
        (lambda: _counts_08_1(**{"S3 object": 1}), "goes with the source bucket"),
        (lambda: {"EC2 instance": 1}, "not a kind of resource the sandbox makes"),
        (lambda: {"IAM role": "three"}, "is not a count"),
        (lambda: 16, "asks for how many resources of each kind"),
    ],
    "08.2": [
        (lambda: expected_08_2() | {"WB204"}, "automated_acceptance still has it"),
        (lambda: {"WB105"}, "are missing"),
        (lambda: {"WB101"}, "not a finding of the imported pipeline"),
        (lambda: "WB-105", "is not a lint code"),
        (lambda: 105, "asks for lint codes"),
    ],
    "08.3": [
        (lambda: expected_08_3() - 1, "still under"),
        (lambda: expected_08_3() + 5, "fewer runs already reach"),
        (lambda: "many", "asks for a number of runs"),
        (lambda: True, "asks for a number of runs"),
    ],
}
