"""The environment check of notebook 00: "ok" lines that are the same on every machine, and a
clear fix for each thing that is missing (dot not on PATH, a package absent, an old Python...)."""

import os
import platform
import stat
import sys

from pipeline_workbook import environment as env
from pipeline_workbook.environment import (
    Check,
    EnvironmentReport,
    check_dot,
    check_kernel,
    check_package,
    check_python,
    environment_report,
)


def test_this_project_environment_passes_every_check():
    report = environment_report()
    assert report.ok, repr(report)
    assert [c.what for c in report.checks] == [
        "Python 3.11 or newer",
        "kernel runs from the project's environment (.venv or conda)",
        *[f"package {name} imports" for name in env.PACKAGES],
        "Graphviz program dot runs",
    ]


def test_a_passing_report_holds_no_versions_paths_or_timings():
    text = repr(environment_report())
    page = environment_report()._repr_html_()
    for output in (text, page):
        assert platform.python_version() not in output
        assert str(env.PROJECT_ROOT) not in output
        assert sys.prefix not in output
        assert "/" not in output.replace("</", "")  # no path of any kind
    assert text.splitlines()[0] == f"Environment check: all {len(env.PACKAGES) + 3} checks ok. You are ready."
    assert all(line.startswith("  ok      ") for line in text.splitlines()[1:])


def test_a_missing_package_is_named_with_how_to_install_it():
    report = environment_report(packages=["pipeline_workbook", "no_such_package_for_the_workbook"])
    assert not report.ok
    [problem] = report.problems
    assert problem.what == "package no_such_package_for_the_workbook imports"
    assert "not installed" in problem.fix and "make setup" in problem.fix
    text = repr(report)
    assert text.startswith("Environment check: 1 thing to fix (of 5 checks). Fix it,")
    assert "  NOT OK  package no_such_package_for_the_workbook imports" in text


def test_a_package_whose_dependency_is_missing_names_the_dependency(tmp_path, monkeypatch):
    (tmp_path / "wb_needs_a_ghost.py").write_text("import wb_ghost_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    check = check_package("wb_needs_a_ghost")
    assert not check.ok
    assert "needs wb_ghost_dependency" in check.fix


def test_a_package_that_breaks_on_import_says_how(tmp_path, monkeypatch):
    (tmp_path / "wb_broken_module.py").write_text("raise RuntimeError('half installed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    check = check_package("wb_broken_module")
    assert not check.ok
    assert "fails on import (RuntimeError: half installed)" in check.fix


def test_dot_missing_from_path_gives_the_install_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    check = check_dot()
    assert not check.ok
    for command in ("sudo apt-get install graphviz", "brew install graphviz",
                    "conda install -c conda-forge graphviz"):
        assert command in check.fix
    report = EnvironmentReport((check_python(), check))
    assert "  NOT OK  Graphviz program dot runs" in repr(report)
    assert "brew install graphviz" in report._repr_html_()


def test_dot_on_path_that_does_not_run_is_reported(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + "/bin" + os.pathsep + "/usr/bin")
    check = check_dot()
    assert not check.ok
    assert "does not run" in check.fix and "apt-get install graphviz" in check.fix


def test_python_older_than_3_11_says_which_it_found():
    assert check_python((3, 11, 0)).ok
    assert check_python((3, 13, 1)).ok
    old = check_python((3, 10, 12))
    assert not old.ok
    assert "Python 3.10.12" in old.fix and "3.11 or newer" in old.fix


def test_kernel_from_the_project_venv_or_conda_passes_with_the_same_text(tmp_path):
    venv = tmp_path / "project" / ".venv"
    venv.mkdir(parents=True)
    conda = tmp_path / "conda-env"
    (conda / "conda-meta").mkdir(parents=True)
    from_venv = check_kernel(prefix=venv, project_venv=venv)
    from_conda = check_kernel(prefix=conda, project_venv=venv)
    assert from_venv == from_conda == Check(from_venv.what, True)


def test_kernel_from_elsewhere_says_how_to_start_the_right_one(tmp_path):
    elsewhere = tmp_path / "some-python"
    elsewhere.mkdir()
    check = check_kernel(prefix=elsewhere, project_venv=tmp_path / "project" / ".venv")
    assert not check.ok
    assert "make lab" in check.fix and "conda activate" in check.fix
    assert str(elsewhere) in check.fix  # a failing check says what it found


def test_html_escapes_and_lists_every_check():
    report = EnvironmentReport((Check("a <b> check", True), Check("x & y", False, "do <this>\nthen that")))
    page = report._repr_html_()
    assert page.count("<tr><td>") == 2
    assert "a &lt;b&gt; check" in page and "do &lt;this&gt;<br>then that" in page
    assert "1 thing to fix (of 2 checks)" in page


def test_long_fixes_are_wrapped_and_keep_their_indented_lines():
    report = EnvironmentReport((Check("dot", False, "word " * 60 + "\n  indented: command"),))
    lines = repr(report).splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert lines[-1] == "            indented: command"
