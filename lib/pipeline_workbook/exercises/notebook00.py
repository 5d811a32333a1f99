"""Exercise checks of notebook 00: start here."""

from __future__ import annotations

from typing import Any, Callable

from .base import Result, _layout, _no, _ok, \
    as_pipeline

CHECKS: dict[str, Callable[[Any], Result]] = {}
EXPECTS: dict[str, str] = {}
STARTING_POINTS: dict[str, Callable[[], Any]] = {}


EXPECTS["00.1"] = "a pair (number of stages, number of actions), e.g. (4, 5)"


def check_00_1(answer: Any) -> Result:
    """Stages and actions of the manual-acceptance pipeline, counted from its drawing."""
    from ..patterns import manual_acceptance

    pipeline = manual_acceptance()
    stages = len(pipeline.stages)
    actions = sum(len(s.actions) for s in pipeline.stages)
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return _no("00.1", f"The answer is {answer!r}; it should be two numbers.",
                   "Write it as a pair: answer = (stages, actions).")
    got_stages, got_actions = answer
    if (got_stages, got_actions) == (stages, actions):
        return _ok("00.1", f"{stages} stages holding {actions} actions: the Build stage runs two actions.")
    if got_stages != stages:
        return _no("00.1", f"{got_stages!r} stages is not right.",
                   "Each large box with a name at its top is a stage; count them from Source down to "
                   "Production. In code: len(p.stages).")
    return _no("00.1", f"The stages are right; {got_actions!r} actions is not.",
               "Count every small box inside the stages, including both boxes in Build. "
               "In code: sum(len(stage.actions) for stage in p.stages).")


CHECKS["00.1"] = check_00_1

EXPECTS["00.2"] = "the pipeline from patterns.simple_but_bold(prefix=...) with your own prefix"


def check_00_2(answer: Any) -> Result:
    """The first pipeline of the story, made with the learner's own prefix."""
    from ..patterns import PREFIX, simple_but_bold

    if isinstance(answer, str):
        return _no("00.2", "The answer is a string; it should be the pipeline itself.",
                   "Call the function: answer = patterns.simple_but_bold(prefix=\"your-initials\").")
    pipeline = as_pipeline(answer)
    if _layout(pipeline) != _layout(simple_but_bold()):
        return _no("00.2", "This is not the simple-but-bold pipeline (its stages or actions differ).",
                   "Use patterns.simple_but_bold(prefix=...), not another pattern.")
    suffix = "-simple-but-bold"
    name = pipeline.name or ""
    prefix = name[: -len(suffix)] if name.endswith(suffix) else None
    if prefix is None:
        return _no("00.2", f"The pipeline is called {name!r}; the function names it <prefix>{suffix}.",
                   "Let the function name the pipeline: pass only prefix=...")
    if prefix == PREFIX:
        return _no("00.2", f"The prefix is still the default {PREFIX!r}, which everybody shares.",
                   "Pass prefix= with something of your own, e.g. prefix=\"ada\" (lowercase letters, digits, hyphens).")
    projects = [act.config("ProjectName") for _, _, _, act in pipeline.iter_actions() if act.provider == "CodeBuild"]
    foreign = [p for p in projects if not str(p).startswith(prefix + "-")]
    if foreign:
        return _no("00.2", f"The CodeBuild project(s) {foreign} do not start with {prefix + '-'!r}.",
                   "Make the whole pipeline with simple_but_bold(prefix=...) rather than renaming it afterwards.")
    return _ok("00.2", f"Pipeline {name!r}: its projects ({', '.join(projects)}) and artifact bucket carry "
                       f"your prefix {prefix!r}, so they cannot collide with anyone else's.")


CHECKS["00.2"] = check_00_2


