"""Exercise checks for the notebooks: the framework every notebook's checks use.

A notebook's exercise cell (tagged "exercise") asks the learner for an answer; the check cell
after it calls `check("01.2", answer)`. Checks look at what the answer does (its structure, its
problems, how it runs), not at how it is spelled, so any correct answer passes. The folded
solutions at the end of each notebook (tagged "solution") are checked by the tests.

The framework: Result, check(), and helpers the checks share. The checks of notebook NN live in
notebookNN.py, each module filling its own CHECKS, EXPECTS and STARTING_POINTS; the package's
__init__ gathers them.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from ..model import Pipeline, PipelineError

NOT_ANSWERED = Ellipsis  # the placeholder an exercise cell starts with: `answer = ...`


@dataclass(frozen=True)
class Result:
    """The verdict of a check: passed or not, what was found, and a hint when it is not right."""

    exercise: str
    passed: bool
    message: str
    hint: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        if self.passed:
            return f"Exercise {self.exercise}: correct. {self.message}"
        text = f"Exercise {self.exercise}: not yet. {self.message}"
        return f"{text}\nHint: {self.hint}" if self.hint else text

    def _repr_html_(self) -> str:
        colour, word = ("#1e7d32", "Correct") if self.passed else ("#b26a00", "Not yet")
        hint = f"<br><b>Hint:</b> {html.escape(self.hint)}" if self.hint and not self.passed else ""
        return (f"<div style='border-left:4px solid {colour};padding:4px 10px'>"
                f"<b style='color:{colour}'>Exercise {html.escape(self.exercise)}: {word}.</b> "
                f"{html.escape(self.message)}{hint}</div>")


def _ok(exercise: str, message: str) -> Result:
    return Result(exercise, True, message)


def _no(exercise: str, message: str, hint: str = "") -> Result:
    return Result(exercise, False, message, hint)


def _unanswered(exercise: str, what: str) -> Result:
    return _no(exercise, f"No answer yet: replace the `...` with {what}.")


# The checks, by exercise id ("NN.k": notebook NN, exercise k). Each takes the learner's answer.
CHECKS: dict[str, Callable[[Any], Result]] = {}


def check(exercise: str, answer: Any) -> Result:
    """Check the answer to exercise `exercise` (e.g. "01.2") and say what is right or missing."""
    checker = CHECKS.get(exercise)
    if checker is None:
        known = ", ".join(sorted(CHECKS))
        raise KeyError(f"no exercise {exercise!r}; the exercises are: {known}")
    if answer is NOT_ANSWERED or answer is None:
        return _unanswered(exercise, EXPECTS.get(exercise, "your answer"))
    try:
        return checker(answer)
    except WrongShape as error:
        return _no(exercise, str(error), error.hint)
    except Exception as error:  # a check must never crash the learner's notebook
        return _no(exercise, f"The check could not read this answer ({type(error).__name__}: {error}).",
                   "Compare the shape of your answer with what the exercise asks for.")


class WrongShape(ValueError):
    """The answer is not the kind of value the exercise asks for (a check turns it into a hint)."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


def as_pipeline(answer: Any) -> Pipeline:
    """Accept a Pipeline or the dict create_pipeline takes (or a get_pipeline response)."""
    if isinstance(answer, Pipeline):
        return answer
    if not isinstance(answer, dict):
        raise WrongShape(f"The answer is {_a_value(answer)}; this exercise asks for a pipeline.",
                         "Assign a Pipeline (from actions.pipeline(...)) or a definition dict to answer.")
    try:
        return Pipeline.from_api(answer)
    except PipelineError as error:
        raise WrongShape(f"The definition cannot be read: {error.problems[0]}",
                         "Compare its structure with a working definition, e.g. p.to_api().") from None


def _a_value(value: Any) -> str:
    kinds = {str: "a string", int: "a number", float: "a number", list: "a list", tuple: "a tuple",
             set: "a set", bool: "a boolean"}
    return kinds.get(type(value), f"a {type(value).__name__}")


# What each exercise asks for, used in the "No answer yet" message (exercise id -> words).
EXPECTS: dict[str, str] = {}

# Exercises that start from a given definition: a function returning a fresh copy of it, so that
# the notebook shows it and the check compares the answer with it.
STARTING_POINTS: dict[str, Callable[[], Any]] = {}


def starting_point(exercise: str) -> Any:
    """A fresh copy of what exercise `exercise` starts from (a Pipeline or a definition dict)."""
    make = STARTING_POINTS.get(exercise)
    if make is None:
        known = ", ".join(sorted(STARTING_POINTS))
        raise KeyError(f"exercise {exercise!r} does not start from a given definition; these do: {known}")
    return make()


# --------------------------------------------------------------------------------------------
# Shared helpers for the checks


def _action_kinds(pipeline: Pipeline) -> Counter:
    """How many actions of each (category, owner, provider) the pipeline holds."""
    return Counter((act.category, act.action_type_id.owner if act.action_type_id else None, act.provider)
                   for _, _, _, act in pipeline.iter_actions())


def _layout(pipeline: Pipeline) -> list[tuple[str | None, list[str | None]]]:
    """The stage names, each with its action names, in order."""
    return [(stage.name, [act.name for act in stage.actions or []]) for stage in pipeline.stages or []]


def _kind_words(kind: tuple) -> str:
    category, _, provider = kind
    return f"{provider} {category}"


def _problems_verdict(exercise: str, pipeline: Pipeline, what: str) -> Result | None:
    """A "not yet" naming the first problem when the pipeline has any; None when it has none."""
    found = pipeline.problems()
    if not found:
        return None
    count = "1 problem:" if len(found) == 1 else f"{len(found)} problems; the first:"
    return _no(exercise, f"{what} has {count} {found[0]}",
               "Display answer.problems() to see every problem with its fix "
               "(for a dict: Pipeline.from_api(answer).problems()).")


def _letters(answer: Any) -> set[str]:
    """Multiple-choice letters from "ad", "a, d", ["a", "d"] or {"A", "D"}."""
    items = [answer] if isinstance(answer, str) else list(answer)
    return {ch.lower() for item in items for ch in str(item) if ch.isalpha()}


