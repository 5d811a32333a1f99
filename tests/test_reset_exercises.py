"""The workshop reset puts exercises back to their committed state and leaves other cells alone."""

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("reset_exercises", ROOT / "scripts" / "reset_exercises.py")
reset_exercises = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reset_exercises)


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def workshop_copy(tmp_path: Path) -> Path:
    """A git checkout holding notebook 01, as a participant's machine would."""
    (tmp_path / "notebooks").mkdir()
    notebook = tmp_path / "notebooks" / "01-codepipeline-101.ipynb"
    shutil.copy(ROOT / "notebooks" / "01-codepipeline-101.ipynb", notebook)
    git("init", "-q", cwd=tmp_path)
    git("add", ".", cwd=tmp_path)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "workbook", cwd=tmp_path)
    return notebook


def roles(cells):
    return [(c.get("metadata", {}).get("workbook", {}), c) for c in cells]


def test_reset_restores_exercise_and_check_cells_only(tmp_path):
    notebook = workshop_copy(tmp_path)
    pristine = json.loads(notebook.read_text())
    edited = json.loads(notebook.read_text())
    exercise = next(c for meta, c in roles(edited["cells"]) if "exercise" in meta)
    check = next(c for meta, c in roles(edited["cells"]) if "check" in meta)
    exercise["source"] = ["answer = 42  # a learner's attempt\n"]
    check["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["not yet\n"]}]
    plain = next(c for meta, c in roles(edited["cells"]) if not meta and c["cell_type"] == "code")
    plain["source"] = ["print('my own experiment')\n"]
    notebook.write_text(json.dumps(edited, indent=1, ensure_ascii=False) + "\n")

    assert reset_exercises.reset(notebook, root=tmp_path) == 2
    after = json.loads(notebook.read_text())
    index = edited["cells"].index(exercise)
    assert after["cells"][index] == pristine["cells"][index]
    assert after["cells"][edited["cells"].index(check)] == pristine["cells"][edited["cells"].index(check)]
    assert after["cells"][edited["cells"].index(plain)]["source"] == ["print('my own experiment')\n"]
    assert reset_exercises.reset(notebook, root=tmp_path) == 0  # nothing left to reset


def test_reset_all_restores_the_whole_notebook(tmp_path):
    notebook = workshop_copy(tmp_path)
    pristine = notebook.read_text()
    edited = json.loads(pristine)
    edited["cells"].append({"cell_type": "markdown", "id": "extra", "metadata": {}, "source": ["notes"]})
    notebook.write_text(json.dumps(edited, indent=1, ensure_ascii=False) + "\n")
    assert reset_exercises.reset(notebook, whole=True, root=tmp_path) >= 1
    assert json.loads(notebook.read_text()) == json.loads(pristine)
