"""Exercise checks for the notebooks: each says whether an answer is right and, if not, a hint.

A notebook's exercise cell (tagged "exercise") asks the learner for an answer; the check cell
after it calls `check("01.2", answer)`. Checks look at what the answer does (its structure, its
problems, how it runs), not at how it is spelled, so any correct answer passes. The folded
solutions at the end of each notebook (tagged "solution") are checked by the tests.

Adding an exercise "NN.k": in exercises/notebookNN.py write `check_NN_k(answer) -> Result` and
register it in that module's CHECKS, with the words for "No answer yet" in EXPECTS (and, when it
starts from a given definition, a function returning a fresh copy in STARTING_POINTS). In notebook
NN: an exercise cell `answer = ...  # what` (tag "exercise", metadata {"workbook": {"exercise":
"NN.k"}}), a check cell `check("NN.k", answer)` (tag "check", {"workbook": {"check": "NN.k"}}), and
under "## Solutions" a folded solution cell assigning `answer_NN_k` (tag "solution", {"workbook":
{"solution": "NN.k"}}) followed by its check cell. Then add wrong answers in
tests/wrong_answers/notebookNN.py.
"""

from . import (base, notebook00, notebook01, notebook02, notebook03, notebook04, notebook05, notebook06,
               notebook07, notebook08, notebook09)
from .base import NOT_ANSWERED, Result, WrongShape, as_pipeline, check, starting_point

# Each notebook's module keeps its own checks; the registries of base.py hold them all.
for _module in (notebook00, notebook01, notebook02, notebook03, notebook04, notebook05, notebook06,
                notebook07, notebook08, notebook09):
    base.CHECKS.update(_module.CHECKS)
    base.EXPECTS.update(_module.EXPECTS)
    base.STARTING_POINTS.update(_module.STARTING_POINTS)

CHECKS = base.CHECKS

__all__ = ["CHECKS", "NOT_ANSWERED", "Result", "WrongShape", "as_pipeline", "check", "starting_point"]
