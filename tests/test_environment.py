"""The two ways to install (pip/uv with pyproject.toml, conda with environment.yml) stay in step."""

import re
import shutil
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names that differ from the PyPI name of the same package
CONDA_TO_PYPI = {"python-graphviz": "graphviz", "matplotlib-base": "matplotlib", "playwright-python": "playwright"}
# conda packages with no PyPI counterpart in pyproject.toml: the interpreter, pip, the dot program
CONDA_ONLY = {"python", "pip", "graphviz-program"}


def _name(requirement: str) -> str:
    """The bare, normalised package name of a requirement such as 'moto[server]>=5.1,<6'."""
    name = re.split(r"[\[<>=!~ ;]", requirement.strip(), maxsplit=1)[0]
    return name.lower().replace("_", "-")


def pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra}
    return names


def conda_packages() -> tuple[set[str], list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names, pip_section = set(), []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep["pip"]
            continue
        name = _name(dep)
        if name == "graphviz":  # conda's graphviz is the program; python-graphviz is the package
            name = "graphviz-program"
        names.add(CONDA_TO_PYPI.get(name, name))
    return names - CONDA_ONLY, pip_section


def test_environment_yml_and_pyproject_name_the_same_packages():
    conda, _ = conda_packages()
    pypi = pyproject_packages()
    assert conda - pypi == set(), f"in environment.yml but not pyproject.toml: {sorted(conda - pypi)}"
    assert pypi - conda == set(), f"in pyproject.toml but not environment.yml: {sorted(pypi - conda)}"


def test_environment_yml_uses_conda_forge_installs_the_project_and_the_dot_program():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    names = [_name(d) for d in env["dependencies"] if isinstance(d, str)]
    assert "graphviz" in names and "python-graphviz" in names
    assert any(d.startswith("python>=3.1") for d in env["dependencies"] if isinstance(d, str))
    _, pip_section = conda_packages()
    assert pip_section == ["-e ."]


def test_dot_program_is_installed():
    assert shutil.which("dot"), "Graphviz's dot is missing: run `make test` (it installs it) or see README.md"
