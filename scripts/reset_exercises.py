"""Restore the notebooks' exercises for a new group: every exercise cell and its check cell go back
to the committed text and output, so the next learner starts from `answer = ...` again.

    .venv/bin/python scripts/reset_exercises.py                    # every notebook
    .venv/bin/python scripts/reset_exercises.py notebooks/03-manual-acceptance.ipynb
    .venv/bin/python scripts/reset_exercises.py --all              # whole notebooks, not only exercises

The committed version comes from git (HEAD). Other cells (a learner's notes and experiments) are
left as they are, unless --all is given. A notebook that is open in JupyterLab should be closed
(or reverted from disk) afterwards, or JupyterLab may save its old copy over the reset one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESET_KINDS = ("exercise", "check")


def committed(path: Path, root: Path = ROOT) -> dict:
    """The notebook as committed in git's HEAD."""
    relative = path.resolve().relative_to(root.resolve()).as_posix()
    try:
        text = subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=root, check=True,
                              capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        raise SystemExit(f"{relative}: no committed version to reset from ({error}). "
                         f"Reset needs the workbook's git checkout; or download the notebook again.")
    return json.loads(text)


def _role(cell: dict) -> str | None:
    meta = cell.get("metadata", {}).get("workbook", {})
    return next((kind for kind in RESET_KINDS if kind in meta), None)


def reset(path: Path, whole: bool = False, root: Path = ROOT) -> int:
    """Reset one notebook; return how many cells changed."""
    original = committed(path, root)
    if whole:
        current = json.loads(path.read_text(encoding="utf-8"))
        changed = sum(1 for a, b in zip(current["cells"], original["cells"]) if a != b) + abs(
            len(current["cells"]) - len(original["cells"]))
        path.write_text(json.dumps(original, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return changed
    by_id = {cell.get("id"): cell for cell in original["cells"] if _role(cell)}
    notebook = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for index, cell in enumerate(notebook["cells"]):
        pristine = by_id.get(cell.get("id")) if _role(cell) else None
        if pristine is not None and pristine != cell:
            notebook["cells"][index] = pristine
            changed += 1
    if changed:
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def main(arguments: list[str]) -> int:
    whole = "--all" in arguments
    names = [a for a in arguments if a != "--all"]
    paths = [Path(n) for n in names] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        count = reset(path, whole)
        print(f"{path.name}: {count} cell{'s' if count != 1 else ''} reset")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
