# fcsim — the README's two set-up commands, plus the benchmarks.
#   make run     create .venv, install fcsim, run the main job on the default scenario
#   make test    create .venv, install fcsim with the test extras, run the whole suite
#   make bench   the benchmarks (BENCH_ARGS=--quick for CI's quick mode)
#   make lab     create .venv with JupyterLab (extra "notebooks") and open notebooks/ in it
#                (FCSIM_DATA=/path/to/shared/data make lab for notebook 02's real log;
#                 LAB_ARGS=--no-browser on a machine without a browser)
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
DAYS   ?= 365
SEED   ?= 2026
OUT    ?= results/apartment

LAB_ARGS ?=

.PHONY: run test bench lab lint check-baselines clean

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

$(VENV)/.installed-notebooks: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[notebooks]"
	touch $@

run: $(VENV)/.installed-run
	$(PY) -m fcsim run apartment --days $(DAYS) --seed $(SEED) --out $(OUT)

test: $(VENV)/.installed-test
	$(PY) -m pytest -p no:cacheprovider --durations=15

lab: $(VENV)/.installed-notebooks
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks $(LAB_ARGS)

bench: $(VENV)/.installed-test
	$(PY) -m benchmarks $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(PY) -m ruff check fcsim tests benchmarks
	$(PY) -m mypy

# after an intended change to a shipped scenario or to the model: refresh the CI baselines
check-baselines: $(VENV)/.installed-test
	for s in apartment hospital mmc mmc_priority; do \
	  $(PY) -m fcsim check $$s --baseline baselines/$$s.json --update || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
