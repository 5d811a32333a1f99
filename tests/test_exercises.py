"""Every exercise of every notebook: its folded solution passes, wrong answers fail with a hint, the
unanswered placeholder says so, and the notebook's exercise, check and solution cells match up.

Notebooks are discovered (notebooks/*.ipynb) and so are their exercises (cell metadata
{"workbook": {"exercise" | "check" | "solution": "NN.k"}}), so a new notebook is covered as soon
as it exists. Wrong answers cannot be discovered: add at least one per new exercise to
tests/wrong_answers/notebookNN.py (a test names the exercises that have none).
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path
from typing import Any, Callable

import pytest

from pipeline_workbook.exercises import CHECKS, Result, check, starting_point
from pipeline_workbook.model import Pipeline

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ID_PATTERN = re.compile(r"^(\d\d)\.\d+$")
KINDS = ("exercise", "check", "solution")


# --------------------------------------------------------------------------------------------
# Reading the notebooks


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def read_cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source_of(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def workbook_role(cell: dict) -> tuple[str, str] | None:
    """("exercise" | "check" | "solution", exercise id) of a cell, or None for other cells."""
    meta = cell.get("metadata", {}).get("workbook", {})
    for kind in KINDS:
        if kind in meta:
            return kind, meta[kind]
    return None


def exercise_cells() -> list[tuple[Path, int, dict]]:
    """(notebook, index, cell) of every cell with a workbook role, in every notebook."""
    return [(path, index, cell) for path in notebook_paths()
            for index, cell in enumerate(read_cells(path)) if workbook_role(cell)]


def cells_of_kind(kind: str) -> list[tuple[Path, int, dict]]:
    return [(path, index, cell) for path, index, cell in exercise_cells() if workbook_role(cell)[0] == kind]


def notebook_imports(path: Path) -> str:
    """The top-level import statements of the notebook's code cells, in order."""
    lines = []
    for cell in read_cells(path):
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(source_of(cell))
        except SyntaxError:  # IPython magics; the workbook uses none, but do not fail on them here
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines))


def next_code_cell(cells: list[dict], index: int) -> dict | None:
    for cell in cells[index + 1:]:
        if cell["cell_type"] == "code":
            return cell
    return None


def answer_variable(exercise: str) -> str:
    return "answer_" + exercise.replace(".", "_")


def label(item: tuple[Path, int, dict]) -> str:
    path, index, cell = item
    return f"{path.name}[{index}]:{workbook_role(cell)[1]}"


# --------------------------------------------------------------------------------------------
# Wrong answers, at least one per exercise, one module per notebook in tests/wrong_answers/


def _wrong_answers() -> dict[str, list[tuple[Callable[[], Any], str]]]:
    """Every tests/wrong_answers/notebookNN.py's WRONG_ANSWERS, merged."""
    merged: dict[str, list] = {}
    for path in sorted((Path(__file__).parent / "wrong_answers").glob("notebook*.py")):
        module = importlib.import_module(f"wrong_answers.{path.stem}")
        merged.update(module.WRONG_ANSWERS)
    return merged


WRONG_ANSWERS = _wrong_answers()


# --------------------------------------------------------------------------------------------
# The checks on their own


def test_every_exercise_has_wrong_answers_to_test():
    missing = sorted(set(CHECKS) - set(WRONG_ANSWERS))
    assert not missing, f"add wrong answers for {missing} to tests/wrong_answers/notebookNN.py"
    unknown = sorted(set(WRONG_ANSWERS) - set(CHECKS))
    assert not unknown, f"WRONG_ANSWERS names exercises that have no check: {unknown}"


@pytest.mark.parametrize("exercise, make, words", [
    (exercise, make, words) for exercise, wrong in sorted(WRONG_ANSWERS.items()) for make, words in wrong
])
def test_a_wrong_answer_fails_with_a_hint(exercise, make, words):
    result = check(exercise, make())
    assert isinstance(result, Result)
    assert not result.passed, repr(result)
    assert result.hint, f"no hint for a wrong answer: {result!r}"
    assert words in repr(result)


@pytest.mark.parametrize("exercise", sorted(CHECKS))
def test_the_placeholder_is_not_an_answer(exercise):
    for placeholder in (..., None):
        result = check(exercise, placeholder)
        assert not result.passed
        assert result.message.startswith("No answer yet: replace the `...` with ")


def test_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(KeyError, match="the exercises are: .*01.1"):
        check("99.9", 1)


def test_a_check_never_raises_into_the_notebook():
    for exercise in sorted(CHECKS):
        for odd in (0, "", [], {}, object(), Pipeline()):
            result = check(exercise, odd)
            assert isinstance(result, Result) and not result.passed


def test_starting_points_are_fresh_copies():
    first = starting_point("01.2")
    first["stages"].clear()
    assert len(starting_point("01.2")["stages"]) == 3
    pipeline = starting_point("01.3")
    pipeline.stage("Build").actions.clear()
    assert len(starting_point("01.3").stage("Build").actions) == 3
    with pytest.raises(KeyError, match="these do: 01.2, 01.3"):
        starting_point("01.1")


def test_the_broken_definition_breaks_three_different_rules():
    problems = Pipeline.from_api(starting_point("01.2")).problems()
    assert [p.path for p in problems] == [
        "stages[1].actions[0].inputArtifacts[0]",
        "stages[1].actions[1].name",
        "stages[2].actions[0].configuration.StackName",
    ]


def test_the_result_shows_as_html_with_the_hint_escaped():
    result = check("01.4", {"a"})
    page = result._repr_html_()
    assert "Not yet." in page and "<b>Hint:</b>" in page
    assert "<" not in result.hint or "&lt;" in page
    assert "Correct." in check("01.4", "ad")._repr_html_()


# --------------------------------------------------------------------------------------------
# The notebooks: discovered exercises, their cells, and their folded solutions


def test_the_notebooks_have_exercises():
    assert cells_of_kind("exercise"), "no exercise cells found in notebooks/*.ipynb"


@pytest.mark.parametrize("item", cells_of_kind("exercise"), ids=label)
def test_an_exercise_cell_starts_with_the_placeholder_and_is_checked_next(item):
    path, index, cell = item
    exercise = workbook_role(cell)[1]
    assert ID_PATTERN.match(exercise) and path.name.startswith(ID_PATTERN.match(exercise).group(1) + "-")
    assert exercise in CHECKS, f"{path.name}: exercise {exercise} has no check in exercises.CHECKS"
    assert cell["cell_type"] == "code" and "exercise" in cell["metadata"].get("tags", [])
    assert re.match(r"^answer = \.\.\.\s+#\s*\S", source_of(cell)), "start with `answer = ...  # what to put`"
    following = next_code_cell(read_cells(path), index)
    assert following is not None and workbook_role(following) == ("check", exercise)
    assert source_of(following).strip() == f'check("{exercise}", answer)'
    assert "check" in following["metadata"].get("tags", [])


@pytest.mark.parametrize("item", cells_of_kind("exercise"), ids=label)
def test_every_exercise_has_a_folded_solution_after_the_solutions_heading(item):
    path, _, cell = item
    exercise = workbook_role(cell)[1]
    cells = read_cells(path)
    solutions = [i for i, c in enumerate(cells) if workbook_role(c) == ("solution", exercise)]
    assert len(solutions) == 1, f"{path.name}: exercise {exercise} needs exactly one solution cell"
    heading = [i for i, c in enumerate(cells)
               if c["cell_type"] == "markdown" and source_of(c).lstrip().startswith("## Solutions")]
    assert heading and heading[0] < solutions[0], f"{path.name}: solutions go under a '## Solutions' heading"


@pytest.mark.parametrize("item", cells_of_kind("solution"), ids=label)
def test_a_solution_cell_is_folded_and_checked_next(item):
    path, index, cell = item
    exercise = workbook_role(cell)[1]
    assert cell["cell_type"] == "code"
    assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True
    assert "solution" in cell["metadata"].get("tags", [])
    assert f"{answer_variable(exercise)} =" in source_of(cell)
    assert not re.search(r"^answer\s*=", source_of(cell), re.MULTILINE), "a solution must not overwrite `answer`"
    following = next_code_cell(read_cells(path), index)
    assert following is not None and workbook_role(following) == ("check", exercise)
    assert source_of(following).strip() == f'check("{exercise}", {answer_variable(exercise)})'


@pytest.mark.parametrize("item", cells_of_kind("solution"), ids=label)
def test_the_folded_solution_passes_its_check(item, monkeypatch):
    path, _, cell = item
    exercise = workbook_role(cell)[1]
    monkeypatch.chdir(path.parent)  # notebooks read files by paths relative to themselves
    namespace: dict[str, Any] = {}
    exec(notebook_imports(path), namespace)
    exec(source_of(cell), namespace)
    result = check(exercise, namespace[answer_variable(exercise)])
    assert result.passed, repr(result)


def test_every_check_belongs_to_an_exercise_cell():
    in_notebooks = [workbook_role(cell)[1] for _, _, cell in cells_of_kind("exercise")]
    assert len(in_notebooks) == len(set(in_notebooks)), "an exercise id is used by two exercise cells"
    orphans = sorted(set(CHECKS) - set(in_notebooks))
    assert not orphans, f"exercises.CHECKS has checks no notebook asks for: {orphans}"


def test_every_check_cell_follows_its_exercise_or_solution():
    for path in notebook_paths():
        cells = read_cells(path)
        for index, cell in enumerate(cells):
            role = workbook_role(cell)
            if not role or role[0] != "check":
                continue
            before = [c for c in cells[:index] if c["cell_type"] == "code"][-1]
            assert workbook_role(before) in (("exercise", role[1]), ("solution", role[1])), \
                f"{path.name}[{index}]: check cell for {role[1]} does not follow its exercise or solution"
