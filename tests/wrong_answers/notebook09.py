"""Wrong answers to notebook 09's exercises: (make the answer, words the verdict must contain)."""

from __future__ import annotations

from typing import Any, Callable

from pipeline_workbook import patterns
from pipeline_workbook.exercises import starting_point
from pipeline_workbook.model import Pipeline

TOPIC = "arn:aws:sns:us-east-1:123456789012:wb-approvals"
ROWAN = "Rowan Clinics"
REGIONS = [region for wave in patterns.DEFAULT_WAVES for region in wave]


def _b2b_09_3(rowan: dict | None = None, **options: Any) -> Pipeline:
    """The B2B team's per-customer pipeline, Rowan Clinics given these options (default: last, approving)."""
    rowan = {"last_wave": True, "approval": True} if rowan is None else rowan
    customers = [{"name": name, **rowan} if name == ROWAN and rowan else name for name in starting_point("09.3")]
    return patterns.per_customer(customers, **options)


def _missing_customer_09_3() -> Pipeline:
    customers = [{"name": ROWAN, "last_wave": True, "approval": True}, *starting_point("09.3")[1:-1]]
    return patterns.per_customer(customers, approval_topic_arn=TOPIC)


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "09.1": [
        (patterns.simple_but_bold, "error WB104"),
        (patterns.manual_acceptance, "waits for a person"),
        (patterns.phased_rollout, "the team wants it within 2.0 h"),
        (lambda: "self_updating", "error WB205"),  # the pattern's default is the unsafe arrangement
        (lambda: "the fast one", "no pattern called"),
        (lambda: [patterns.with_unit_tests()], "asks for a pipeline"),
    ],
    "09.2": [
        (patterns.automated_acceptance, "get no release"),
        (lambda: patterns.phased_rollout(waves=patterns.DEFAULT_WAVES[:3]), "get no release"),
        (lambda: patterns.phased_rollout(waves=[REGIONS]), "warning WB201"),
        (lambda: patterns.phased_rollout(bake_minutes=0), "warning WB203"),
        (lambda: patterns.phased_rollout(rollback=False), "warning WB204"),
        (lambda: patterns.phased_rollout(bake_minutes=240), "the team wants it within 8.0 h"),
    ],
    "09.3": [
        (patterns.automated_acceptance, "none of the team's customers"),
        (lambda: "per_customer", "none of the team's customers"),
        (_missing_customer_09_3, "is never deployed"),
        (lambda: _b2b_09_3(rowan={"approval": True}, approval_topic_arn=TOPIC), "must be in the last wave"),
        (lambda: _b2b_09_3(rowan={"last_wave": True}, approval_topic_arn=TOPIC), "No approval waited"),
        (_b2b_09_3, "lint WB301"),
        (lambda: _b2b_09_3(approval_topic_arn=TOPIC, wave_sizes=(None,)), "the waves buy nothing"),
    ],
}
