"""Exercise checks of notebook 08: your sandbox account.

The answers come from a sandbox (local or a real account), but what they should be depends only on
the designs: the checks compute them from the same functions the sandbox uses (plan, adapt, lint,
estimate_cost) with placeholder names, so they hold for any prefix, account and region.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .base import Result, WrongShape, _no, _ok

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}

PREFIX_08 = "wb"
ACCOUNT_08 = "123456789012"
REGION_08 = "us-east-1"


def _adapted(pattern: str):
    """A pattern as the sandbox deploys it (placeholder prefix, account and region)."""
    from ..patterns import PATTERNS
    from ..sandbox import Names, adapt

    return adapt(PATTERNS[pattern](prefix=PREFIX_08, account=ACCOUNT_08, region=REGION_08),
                 Names(PREFIX_08, ACCOUNT_08, REGION_08))


# --------------------------------------------------------------------------------------------
# 08.1: what cleanup removes after two deploys with one prefix


def expected_08_1() -> dict[str, int]:
    """What inventory() finds after deploying manual_acceptance and automated_acceptance: the union
    of their plans (each resource once), without the source zip, which goes with its bucket."""
    from ..sandbox import OBJECT, STACK, Names, Resources, plan

    names = Names(PREFIX_08, ACCOUNT_08, REGION_08)
    union: dict[tuple, Any] = {}
    for pattern in ("manual_acceptance", "automated_acceptance"):
        for resource in plan(_adapted(pattern), names):
            if resource.kind not in (OBJECT, STACK):
                union.setdefault(resource.key, resource)
    return Resources(union.values()).counts()


def _kind_of(key: Any, kinds: tuple[str, ...]) -> str:
    """A kind named as inventory() names it, in any case, singular or plural."""
    if not isinstance(key, str):
        raise WrongShape(f"{key!r} is not the name of a kind of resource.",
                         'Use the names inventory() prints, e.g. {"IAM role": 3, "S3 bucket": 2, ...}.')
    text = re.sub(r"\s+", " ", key.strip().lower())
    for kind in kinds:
        plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
        if text in (kind.lower(), plural.lower()):
            return kind
    raise WrongShape(f"{key!r} is not a kind of resource the sandbox makes.",
                     f"The kinds are: {', '.join(kinds)}.")


def _counts_08_1(answer: Any) -> dict[str, int]:
    from ..sandbox import DEPLOY_ORDER

    if hasattr(answer, "counts") and callable(answer.counts):
        answer = answer.counts()
    if not isinstance(answer, dict):
        raise WrongShape(f"The answer is {type(answer).__name__} {answer!r}; this exercise asks for how many "
                         "resources of each kind cleanup removes.",
                         'Answer with a dict such as {"IAM role": 3, "S3 bucket": 2, ...}, or with '
                         "sandbox.inventory() itself.")
    counts: dict[str, int] = {}
    for key, value in answer.items():
        kind = _kind_of(key, DEPLOY_ORDER)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise WrongShape(f"{key!r}: {value!r} is not a count.", "Give each kind a whole number, e.g. 2.")
        if value:
            counts[kind] = counts.get(kind, 0) + value
    return counts


def check_08_1(answer: Any) -> Result:
    """The counts by kind after deploying both pipelines with one prefix: shared resources once."""
    from ..sandbox import OBJECT

    counts = _counts_08_1(answer)
    expected = expected_08_1()
    total = sum(expected.values())
    if counts == expected:
        return _ok("08.1", f"Cleanup removes {total} resources. The buckets, the CodeBuild role, the repository and "
                   "the projects both pipelines use are shared by every pipeline of the prefix; each pipeline "
                   "adds itself, its role, and the projects only it runs.")
    wrong = [f"{kind}: you said {counts.get(kind, 0)}, cleanup finds {expected.get(kind, 0)}"
             for kind in dict.fromkeys(list(expected) + list(counts)) if counts.get(kind, 0) != expected.get(kind, 0)]
    message = "Not these counts. " + "; ".join(wrong) + "."
    if OBJECT in counts:
        return _no("08.1", message, "The source zip is not removed on its own: it goes with the source bucket, so "
                   "inventory() does not list it.")
    if any(counts.get(kind, 0) > expected.get(kind, 0) for kind in expected):
        return _no("08.1", message, "Resources named only with the prefix (the buckets, the CodeBuild role, the "
                   "projects and their log groups, the repository) are shared: the second deploy found them and "
                   "left them unchanged. Look at its report, or at sandbox.inventory().")
    return _no("08.1", message, "Each pipeline brings its own role, and automated_acceptance runs a project that "
               "manual_acceptance does not. Deploy both and compare with sandbox.inventory().counts().")


CHECKS["08.1"] = check_08_1
EXPECTS["08.1"] = 'how many resources of each kind cleanup removes, e.g. {"IAM role": 1, ...}'


# --------------------------------------------------------------------------------------------
# 08.2: what replacing the person by acceptance tests removes from the imported pipeline


def _lint_codes(pattern: str) -> set[str]:
    from ..lint import lint

    return set(lint(_adapted(pattern)).codes())


def expected_08_2() -> set[str]:
    """Findings of the imported manual_acceptance pipeline that automated_acceptance does not have."""
    return _lint_codes("manual_acceptance") - _lint_codes("automated_acceptance")


def _codes_08_2(answer: Any) -> set[str]:
    if hasattr(answer, "codes") and callable(answer.codes):
        answer = answer.codes()
    if isinstance(answer, str):
        items = [part for part in re.split(r"[\s,;]+", answer) if part]
    elif isinstance(answer, (list, tuple, set, frozenset)):
        items = list(answer)
    else:
        raise WrongShape(f"The answer is {type(answer).__name__} {answer!r}; this exercise asks for lint codes.",
                         'Answer with a set of codes, e.g. {"WB101", "WB202"}.')
    codes = set()
    for item in items:
        code = getattr(item, "code", item)
        if not isinstance(code, str) or not re.fullmatch(r"WB\d{3}", code.strip().upper()):
            raise WrongShape(f"{item!r} is not a lint code.", 'Codes look like "WB301": take them from lint(...).codes().')
        codes.add(code.strip().upper())
    return codes


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def check_08_2(answer: Any) -> Result:
    """The codes that go when acceptance tests replace the person: those of manual, not of automated."""
    from ..lint import RULES_BY_CODE

    codes = _codes_08_2(answer)
    expected = expected_08_2()
    if codes == expected:
        titles = "; ".join(f"{code} {_lower_first(RULES_BY_CODE[code].title)}" for code in sorted(expected))
        return _ok("08.2", f"These go with the person: {titles}. What stays (rollback, a single production "
                   "target, the price) is about production, which both designs share.")
    manual, automated = _lint_codes("manual_acceptance"), _lint_codes("automated_acceptance")
    strangers = sorted(codes - manual)
    if strangers:
        return _no("08.2", f"{', '.join(strangers)}: not a finding of the imported pipeline.",
                   "Start from lint(imported).codes(): only those can go away.")
    kept = sorted(codes & automated)
    if kept:
        return _no("08.2", f"{', '.join(kept)}: automated_acceptance still has {'it' if len(kept) == 1 else 'them'}.",
                   "Compare with lint(patterns.automated_acceptance()).codes(): a finding both have does not go.")
    missing = len(expected - codes)
    return _no("08.2", f"{missing} of the findings that go {'is' if missing == 1 else 'are'} missing.",
               "Every finding about the approval goes with it, not only the one about acceptance testing.")


CHECKS["08.2"] = check_08_2
EXPECTS["08.2"] = 'the lint codes that automated acceptance removes, e.g. {"WB101", "WB202"}'


# --------------------------------------------------------------------------------------------
# 08.3: from how many runs a month the V2 pipeline costs what a V1 pipeline costs


V1_MONTH_08 = 1.00


def _codepipeline_usd(runs: int) -> float:
    from ..sandbox import estimate_cost

    return estimate_cost(_adapted("manual_acceptance"), runs_per_month=runs, region=REGION_08).usd("CodePipeline")


def expected_08_3() -> int:
    """The fewest runs a month at which the estimate's CodePipeline line reaches $1.00."""
    runs = 0
    while _codepipeline_usd(runs) < V1_MONTH_08:
        runs += 1
    return runs


def check_08_3(answer: Any) -> Result:
    """The smallest runs_per_month whose V2 charge is $1.00 or more."""
    from ..sandbox import CODEPIPELINE_V2_FREE_MINUTES, estimate_cost

    if isinstance(answer, float) and answer.is_integer():
        answer = int(answer)
    if isinstance(answer, bool) or not isinstance(answer, int) or answer < 0:
        raise WrongShape(f"The answer is {answer!r}; this exercise asks for a number of runs a month.",
                         "Answer with a whole number, e.g. answer = 12.")
    right = expected_08_3()
    minutes = estimate_cost(_adapted("manual_acceptance"), region=REGION_08).billed_action_minutes
    if answer == right:
        return _ok("08.3", f"{right} runs of {minutes} billed action-minutes are {right * minutes} minutes; less the "
                   f"{CODEPIPELINE_V2_FREE_MINUTES} free ones that is ${_codepipeline_usd(right):.2f}. Below that a "
                   "V2 pipeline costs less than a V1 one would; above it, more (CodeBuild and storage aside).")
    usd = _codepipeline_usd(answer)
    if answer < right:
        return _no("08.3", f"At {answer} runs the CodePipeline line is ${usd:.2f}, still under ${V1_MONTH_08:.2f}.",
                   "Count the free action-minutes too: loop over runs_per_month with "
                   "sandbox.estimate(pipeline, runs_per_month=n).usd('CodePipeline').")
    return _no("08.3", f"At {answer} runs the CodePipeline line is ${usd:.2f}, but fewer runs already reach "
               f"${V1_MONTH_08:.2f}.", "Find the smallest number: start from 0 runs and go up one at a time.")


CHECKS["08.3"] = check_08_3
EXPECTS["08.3"] = "a number of runs a month"
