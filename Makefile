# The two commands of the README: `make lab` opens the kit, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# JupyterLab settings shipped with the kit (widget state saved with the notebook).
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: lab test test-heavy bench bench-profile bench-instructions bench-threads bench-all lint clean

$(STAMP): pyproject.toml
	@echo "make: creating $(VENV)/ and installing the kit with its dependencies (first time only, about 2 minutes)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar off -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (sessioning kit)" >/dev/null
	@mkdir -p $(dir $(LAB_OVERRIDES))
	@printf '%s\n' '{"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": true}}' > $(LAB_OVERRIDES)
	touch $(STAMP)
	@echo "make: $(VENV)/ is ready"

# Jupyter refuses to start as root without this flag (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

# Opens JupyterLab on notebooks/ with the kit in its kernel, on the embedded database.
# With no browser, JupyterLab prints the URL (with its token) to open. Another port:
#   make lab LAB_ARGS="--port 8899"
# The notebooks are trusted first: JupyterLab shows a saved notebook's widgets (and other rich
# outputs) only for trusted notebooks; otherwise it falls back to their plain-text form.
lab: $(STAMP)
	@$(VENV)/bin/jupyter trust notebooks/*.ipynb >/dev/null
	cd notebooks && ../$(PY) -m jupyterlab $(ROOT_FLAG) $(LAB_ARGS)

# ruff, pytest (unit, behaviour, browser) + nbval over every notebook. `-rs` lists why tests
# were skipped (no MONGODB_URL, no Chromium).
test: $(STAMP)
	$(PY) -m ruff check sessioning tests benchmarks
	$(PY) -m pytest -q -rs tests
	$(PY) -m pytest -q --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg -p no:randomly notebooks

test-heavy: $(STAMP)
	$(PY) -m pytest -q -m heavy tests

# The kit's side of the side-by-side workloads W1-W5 (issue 11): flows/s with recording on and off,
# each run a fresh process, so a regression shows without Deno. BENCH_ARGS=--quick for a short run.
bench: $(STAMP)
	$(PY) benchmarks/bench_workloads.py $(BENCH_ARGS)

# Where a flow's time goes, by layer (engine, recording, database, concepts, GC by generation), in µs per
# flow, and the objects each flow leaves for the garbage collector to traverse.
bench-profile: $(STAMP)
	$(PY) benchmarks/profile_workloads.py $(BENCH_ARGS)

# Instructions per flow under valgrind: the speed figure that machine load does not move.
bench-instructions: $(STAMP)
	$(PY) benchmarks/instructions_per_flow.py $(BENCH_ARGS)

# W4's floor: what a thread per flow costs on this machine, apart from the flow it runs.
bench-threads: $(STAMP)
	$(PY) benchmarks/thread_floor.py $(BENCH_ARGS)

# Every benchmark script in benchmarks/ (engine, memory, readers, tables, workloads).
bench-all: $(STAMP)
	$(PY) benchmarks/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check sessioning tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
