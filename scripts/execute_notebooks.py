"""Re-execute notebooks in place so their committed outputs match the library again.

    .venv/bin/python scripts/execute_notebooks.py                 # every notebook
    .venv/bin/python scripts/execute_notebooks.py notebooks/01-codepipeline-101.ipynb

Each notebook runs top to bottom in a fresh kernel from notebooks/ (as JupyterLab and nbval run
it); the notebook is written back only when every cell ran without an error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, kernel_name="python3", timeout=300, record_timing=False, store_widget_state=False,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    nbformat.write(notebook, path)
    return time.perf_counter() - started


def main(arguments: list[str]) -> int:
    paths = [Path(a).resolve() for a in arguments] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
