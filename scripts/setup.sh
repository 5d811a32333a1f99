#!/usr/bin/env bash
# Prepare the workbook's environment: a project-local .venv with the package and its test tools,
# and the Graphviz `dot` program. Idempotent and quick when nothing changed; registers nothing
# outside the project folder.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.installed-from-pyproject

say() { printf '[setup] %s\n' "$*"; }

ensure_python() {
  if ! command -v python3 >/dev/null 2>&1; then
    say "python3 is not on PATH. Install Python 3.11 or newer (or use the conda route in README.md)."
    exit 1
  fi
  if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    say "python3 is $(python3 -c 'import platform; print(platform.python_version())'); the workbook needs 3.11 or newer."
    say "Install a newer Python, or use the conda route in README.md (conda env create -f environment.yml)."
    exit 1
  fi
}

ensure_venv() {
  # Reinstall only when pyproject.toml is newer than the last install (or the venv is missing).
  if [[ -x $VENV/bin/python && -f $STAMP && ! pyproject.toml -nt $STAMP ]]; then
    return
  fi
  local start=$SECONDS
  if command -v uv >/dev/null 2>&1; then
    say "installing with uv into $VENV"
    [[ -x $VENV/bin/python ]] || uv venv --quiet --python python3 "$VENV"
    uv pip install --quiet --python "$VENV/bin/python" -e '.[dev]'
  else
    say "installing with pip into $VENV (install uv to make this about ten times faster)"
    [[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
  fi
  # JupyterLab settings that belong to this project only: no news pop-up, no update checks.
  mkdir -p "$VENV/share/jupyter/lab/settings"
  cp scripts/jupyterlab-overrides.json "$VENV/share/jupyter/lab/settings/overrides.json"
  touch "$STAMP"
  say "environment ready in $((SECONDS - start)) s"
}

ensure_dot() {
  if command -v dot >/dev/null 2>&1; then
    return
  fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing Graphviz (the dot program) with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends graphviz >/dev/null 2>&1 || {
      apt-get update >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends graphviz >/dev/null
    }
    return
  fi
  cat >&2 <<'MSG'
[setup] The Graphviz program `dot` is missing. The workbook draws every pipeline with it.
        Install it with the package manager you use, then run the command again:
          Debian/Ubuntu:  sudo apt-get install graphviz
          macOS:          brew install graphviz
          conda:          conda install -c conda-forge graphviz
MSG
  exit 1
}

ensure_python
ensure_dot
ensure_venv
