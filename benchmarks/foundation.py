"""Speed of the foundation: validating and drawing big pipelines (figures quoted in the README).

    .venv/bin/python benchmarks/foundation.py
"""

from __future__ import annotations

import time

from pipeline_workbook import patterns
from pipeline_workbook.validate import problems


def best_of(repeat: int, fn) -> float:
    """The best wall time of `repeat` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    regions = [region for wave in patterns.plan_waves(list(patterns.REGION_NAMES)) for region in wave]
    cases = {
        "phased rollout, 30 regions": patterns.phased_rollout(waves=patterns.plan_waves(regions)),
        "per customer, 50 customers": patterns.per_customer([f"Customer {i:02d}" for i in range(50)]),
        "manual acceptance": patterns.manual_acceptance(),
    }
    problems(cases["manual acceptance"])  # load botocore's model once, as the first call in a notebook does
    print(f"{'pipeline':30s} {'actions':>7s} {'validate':>10s} {'draw (DOT)':>11s} {'draw to SVG':>12s}")
    for name, pipeline in cases.items():
        actions = sum(1 for _ in pipeline.iter_actions())
        validate_ms = best_of(5, lambda: problems(pipeline))
        dot_ms = best_of(5, lambda: pipeline.draw().source)
        svg_ms = best_of(5, lambda: pipeline.draw().pipe(format="svg"))
        print(f"{name:30s} {actions:7d} {validate_ms:8.1f} ms {dot_ms:9.1f} ms {svg_ms:10.1f} ms")


if __name__ == "__main__":
    main()
