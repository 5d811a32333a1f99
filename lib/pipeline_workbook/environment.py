"""Is this machine ready for the workbook? A report that says "ok" or what is missing and how to fix it.

Notebook 00 displays `environment_report()`. When every check passes, the report holds no versions,
paths or timings, so the committed output of that cell is the same on every machine (nbval compares
outputs byte for byte). Only a failing check says what it found, because that is what helps.

This module imports nothing outside the standard library at load time, so it works (and can say what
is missing) even when the packages it checks are absent.
"""

from __future__ import annotations

import html
import importlib
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

MIN_PYTHON = (3, 11)

# What the notebooks import. pipeline_workbook is this package; the rest are its dependencies.
PACKAGES = ("pipeline_workbook", "boto3", "graphviz", "ipywidgets", "matplotlib", "moto")

# The project folder (lib/pipeline_workbook/environment.py -> the folder holding pyproject.toml).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_VENV = PROJECT_ROOT / ".venv"

SET_UP = ("In a terminal, in the project folder, run `make setup` (or `pip install -e '.[dev]'` "
          "in the environment the kernel uses); with conda, run `conda env update -f environment.yml`. "
          "Then restart the kernel (Kernel > Restart Kernel) and run this cell again.")

INSTALL_DOT = ("Install Graphviz with the package manager you use, then run this cell again:\n"
               "  Debian/Ubuntu:    sudo apt-get install graphviz\n"
               "  macOS (Homebrew): brew install graphviz\n"
               "  conda:            conda install -c conda-forge graphviz")

CHOOSE_KERNEL = ("Start JupyterLab with `make lab` in the project folder: it runs from the project's .venv. "
                 "With conda, run `conda activate codepipeline-workbook` and start `jupyter lab` from there. "
                 "If every other check passes, this kernel has what the workbook needs and you can go on.")


@dataclass(frozen=True)
class Check:
    """One thing the workbook needs: what it is, whether it is there, and how to fix it if not."""

    what: str
    ok: bool
    fix: str = ""


@dataclass(frozen=True)
class EnvironmentReport:
    """The result of every check; displays as a short list in a notebook (text and HTML)."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def problems(self) -> tuple[Check, ...]:
        """The checks that did not pass, in order."""
        return tuple(check for check in self.checks if not check.ok)

    def headline(self) -> str:
        if self.ok:
            return f"Environment check: all {len(self.checks)} checks ok. You are ready."
        count = len(self.problems)
        things, them = ("thing", "it") if count == 1 else ("things", "them")
        total = f"{len(self.checks)} check" + ("s" if len(self.checks) != 1 else "")
        return (f"Environment check: {count} {things} to fix (of {total}). "
                f"Fix {them}, then run this cell again.")

    def __repr__(self) -> str:
        lines = [self.headline()]
        for check in self.checks:
            lines.append(f"  {'ok' if check.ok else 'NOT OK':<7} {check.what}")
            if not check.ok and check.fix:
                lines += _wrapped(check.fix, indent=10)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = []
        for check in self.checks:
            mark = ("<span style='color:#1d8102'>ok</span>" if check.ok
                    else "<b style='color:#d13212'>not ok</b>")
            fix = "" if check.ok else html.escape(check.fix).replace("\n", "<br>")
            rows.append(f"<tr><td>{mark}</td><td style='text-align:left'>{html.escape(check.what)}</td>"
                        f"<td style='text-align:left'>{fix}</td></tr>")
        return (f"<p><b>{html.escape(self.headline())}</b></p>"
                "<table><thead><tr><th></th><th style='text-align:left'>check</th>"
                "<th style='text-align:left'>how to fix</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")


# --------------------------------------------------------------------------------------------
# The checks


def check_python(version: Sequence[int] | None = None) -> Check:
    """Python 3.11 or newer (the workbook uses 3.11 features); `version` defaults to this kernel's."""
    found = tuple(sys.version_info[:3] if version is None else version)
    what = f"Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer"
    if found[:2] >= MIN_PYTHON:
        return Check(what, True)
    shown = ".".join(str(part) for part in found)
    return Check(what, False,
                 f"This kernel runs Python {shown}. Install Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer "
                 "(python.org, your package manager, or conda), then rebuild the environment: "
                 "`make clean lab` in the project folder.")


def check_kernel(prefix: str | Path | None = None, project_venv: str | Path = PROJECT_VENV) -> Check:
    """The kernel runs from the project's .venv or from a conda environment (the two supported set-ups).

    The text of a passing check is the same for both, so the committed notebook output does not
    depend on which set-up ran it.
    """
    where = Path(sys.prefix if prefix is None else prefix)
    what = "kernel runs from the project's environment (.venv or conda)"
    if _same_path(where, Path(project_venv)) or (where / "conda-meta").is_dir():
        return Check(what, True)
    return Check(what, False, f"This kernel's Python lives in {where}, which is neither the project's .venv "
                              f"nor a conda environment. {CHOOSE_KERNEL}")


def check_package(name: str) -> Check:
    """The package `name` imports in this kernel."""
    what = f"package {name} imports"
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and error.name != name and not name.startswith(error.name + "."):
            return Check(what, False, f"{name} needs {error.name}, which is not installed. {SET_UP}")
        return Check(what, False, f"{name} is not installed in this kernel's environment. {SET_UP}")
    except Exception as error:  # a package that is there but breaks on import
        return Check(what, False, f"{name} is installed but fails on import ({type(error).__name__}: "
                                  f"{error}). {SET_UP}")
    return Check(what, True)


def check_dot() -> Check:
    """Graphviz's `dot` program is on PATH and runs (every drawing in the workbook needs it)."""
    what = "Graphviz program dot runs"
    if shutil.which("dot") is None:
        return Check(what, False, f"The program `dot` is not on this kernel's PATH. {INSTALL_DOT}")
    try:
        import graphviz

        graphviz.version()
    except ImportError:
        return Check(what, False, f"The Python package graphviz is missing, so dot cannot be called. {SET_UP}")
    except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
        # graphviz.ExecutableNotFound and graphviz.CalledProcessError are RuntimeError / CalledProcessError.
        return Check(what, False, f"`dot` is on PATH but does not run ({type(error).__name__}). "
                                  f"Reinstall it. {INSTALL_DOT}")
    return Check(what, True)


def environment_report(packages: Iterable[str] = PACKAGES) -> EnvironmentReport:
    """Run every check: Python, kernel, each package in `packages`, and the dot program."""
    checks = [check_python(), check_kernel()]
    checks += [check_package(name) for name in packages]
    checks.append(check_dot())
    return EnvironmentReport(tuple(checks))


def _wrapped(text: str, indent: int, width: int = 100) -> list[str]:
    """Text wrapped to `width`, each line indented; lines that start with spaces keep them."""
    out: list[str] = []
    for line in text.splitlines():
        pad = " " * (indent + len(line) - len(line.lstrip()))
        out += textwrap.wrap(line.strip(), width=width, initial_indent=pad, subsequent_indent=pad) or [""]
    return out


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
