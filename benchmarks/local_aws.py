"""Speed of the local endpoint (pipeline_workbook.local_aws), as the README quotes it.

Prints: how long the endpoint takes to start (target < 2 s), the latency of CodePipeline calls
over HTTP with boto3 (median and p95 over 200 calls; target < 50 ms), and the real time the
manual_acceptance pattern takes from create_pipeline to its approval waiting at the default
speed (target < 5 s). Run: .venv/bin/python benchmarks/local_aws.py
"""

from __future__ import annotations

import json
import statistics
import time

from pipeline_workbook import local_aws, patterns

CALLS = 200
POLL_SECONDS = 0.02
TRUST_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def seconds_to_start() -> tuple[float, float, float]:
    """(start() returns, first CodePipeline answer, first moto answer), seconds from the call."""
    t0 = time.perf_counter()
    aws = local_aws.start()
    started = time.perf_counter() - t0
    aws.client("codepipeline").list_pipelines()
    codepipeline = time.perf_counter() - t0
    aws.client("sts").get_caller_identity()
    moto = time.perf_counter() - t0
    aws.stop()
    return started, codepipeline, moto


def approval_waiting(state: dict) -> bool:
    return any(action.get("latestExecution", {}).get("token")
               for stage in state["stageStates"] for action in stage["actionStates"])


def seconds_to_approval(aws: local_aws.LocalAWS, prefix: str) -> tuple[float, float]:
    """(real seconds, simulated minutes) from create_pipeline to the approval waiting."""
    pipeline = patterns.manual_acceptance(prefix=prefix)
    codepipeline = aws.client("codepipeline")
    aws.client("iam").create_role(RoleName=pipeline.role_arn.rsplit("/", 1)[1], AssumeRolePolicyDocument=TRUST_POLICY)
    t0 = time.perf_counter()
    codepipeline.create_pipeline(pipeline=pipeline.to_api())
    while not approval_waiting(codepipeline.get_pipeline_state(name=pipeline.name)):
        time.sleep(POLL_SECONDS)
    real = time.perf_counter() - t0
    waiting_since = aws.simulator(pipeline.name).pending_approvals()[0]["waitingSince"]
    minutes = (waiting_since - aws.simulator(pipeline.name).epoch).total_seconds() / 60
    return real, minutes


def latencies_ms(call) -> tuple[float, float]:
    """(median, p95) of CALLS calls, in milliseconds."""
    times = []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    cold = seconds_to_start()
    warm = seconds_to_start()
    print(f"endpoint start (target < 2 s): cold {cold[0]:.2f} s (first CodePipeline answer {cold[1]:.2f} s, "
          f"first moto answer {cold[2]:.2f} s); warm {warm[0]:.3f} s (answers {warm[1]:.3f} s / {warm[2]:.3f} s)")

    with local_aws.start() as aws:
        print(f"manual_acceptance, create_pipeline -> approval waiting, speed {aws.speed:g}x (target < 5 s):")
        for prefix in ("bench", "bench-two", "bench-three"):
            real, minutes = seconds_to_approval(aws, prefix)
            print(f"  {prefix + '-manual-acceptance':30} {real:.2f} s real ({minutes:.1f} simulated minutes)")

        name = "bench-manual-acceptance"
        codepipeline = aws.client("codepipeline")
        print(f"latency over {CALLS} calls each, ms (target < 50 ms):")
        for label, call in (
            ("get_pipeline_state", lambda: codepipeline.get_pipeline_state(name=name)),
            ("list_pipeline_executions", lambda: codepipeline.list_pipeline_executions(pipelineName=name)),
            ("get_pipeline", lambda: codepipeline.get_pipeline(name=name)),
        ):
            median, p95 = latencies_ms(call)
            print(f"  {label:26} median {median:5.1f}  p95 {p95:5.1f}")


if __name__ == "__main__":
    main()
