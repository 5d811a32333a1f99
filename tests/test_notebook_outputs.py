"""What the notebooks keep in git: every code cell executed, no error output, and nothing that
belongs to one machine or one account (credentials, account ids other than the placeholder,
absolute local paths). Each notebook also has objectives, a time estimate, key points and a link
to the next one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PLACEHOLDER_ACCOUNT = "123456789012"
ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
SECRET_KEY = re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}")
LOCAL_PATH = re.compile(r"(?<![\w.])/(home|root|tmp|Users|private/var|var/folders)/")
NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def outputs_text(cell: dict) -> list[str]:
    """Each output of a code cell as the text git stores (all its representations)."""
    return [json.dumps(output) for output in cell.get("outputs", [])]


def test_there_are_ten_notebooks():
    assert [p.name[:2] for p in NOTEBOOK_PATHS] == [f"{n:02d}" for n in range(10)]


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_every_code_cell_was_executed_and_none_failed(path):
    for index, cell in enumerate(cells(path)):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        assert cell.get("execution_count") is not None, f"cell {index} was never executed: run make notebooks"
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"cell {index} keeps an error: {output.get('ename')}"
            assert output.get("name") != "stderr", f"cell {index} wrote to stderr: {output.get('text')}"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_outputs_hold_nothing_of_one_machine_or_one_account(path):
    for index, cell in enumerate(cells(path)):
        for text in outputs_text(cell):
            foreign = sorted(set(ACCOUNT_ID.findall(text)) - {PLACEHOLDER_ACCOUNT})
            assert not foreign, f"cell {index}: account ids other than {PLACEHOLDER_ACCOUNT}: {foreign}"
            assert not ACCESS_KEY.search(text), f"cell {index}: something like an AWS access key"
            assert not SECRET_KEY.search(text), f"cell {index}: something like an AWS secret key"
            assert not LOCAL_PATH.search(text), f"cell {index}: a local path: {LOCAL_PATH.search(text).group(0)}"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_each_notebook_has_objectives_a_time_estimate_key_points_and_a_way_on(path):
    markdown = "\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "markdown")
    assert re.search(r"objectives", markdown, re.I), "no objectives"
    assert re.search(r"\b\d+ minutes\b", markdown), "no time estimate in minutes"
    assert re.search(r"key points", markdown, re.I), "no key points"
    number = int(path.name[:2])
    if number < 9:
        following = next(p.name for p in NOTEBOOK_PATHS if int(p.name[:2]) == number + 1)
        assert f"({following})" in markdown, f"no link to the next notebook, {following}"


def test_the_checks_themselves_catch_what_they_look_for():
    """The patterns above are not vacuous: each matches the kind of thing it must keep out."""
    assert ACCOUNT_ID.findall('"arn:aws:iam::210987654321:role/x"') == ["210987654321"]
    assert ACCESS_KEY.search("key AKIAABCDEFGHIJKLMNOP here")
    assert LOCAL_PATH.search('"/home/ada/workbook/notebooks"') and LOCAL_PATH.search("'/tmp/x'")
    assert not LOCAL_PATH.search("s3://bucket/tmp/x") and not LOCAL_PATH.search("../tests/fixtures")
