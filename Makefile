# The two commands of the workbook: `make lab` opens it, `make test` checks all of it.
# Both set up what they need first (scripts/setup.sh): a project-local .venv and Graphviz.

PY := .venv/bin/python
PORT ?= 8888
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab test setup bench notebooks reset clean

setup:
	@scripts/setup.sh

lab: setup
	$(PY) -m jupyter lab --ServerApp.port=$(PORT) --ServerApp.port_retries=50 $(ALLOW_ROOT) notebooks/00-start-here.ipynb

test: setup
	$(PY) -m pytest -n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg tests notebooks

notebooks: setup  ## re-execute the notebooks in place after a library change (then review the diff)
	$(PY) scripts/execute_notebooks.py

reset:  ## workshops: put every exercise back to its committed state for the next group
	python3 scripts/reset_exercises.py

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b; done

clean:
	rm -rf .venv .pytest_cache .hypothesis
