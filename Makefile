# fcsim — the README's two set-up commands, plus the benchmarks.
#   make run     create .venv, install fcsim, run the main job on the default scenario
#   make test    create .venv, install fcsim with the test extras, run the whole suite
#   make bench   the benchmarks (BENCH_ARGS=--quick for CI's quick mode)
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
DAYS   ?= 365
SEED   ?= 2026
OUT    ?= results/apartment

.PHONY: run test bench lint check-baselines clean

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

run: $(VENV)/.installed-run
	$(PY) -m fcsim run apartment --days $(DAYS) --seed $(SEED) --out $(OUT)

test: $(VENV)/.installed-test
	$(PY) -m pytest -p no:cacheprovider --durations=15

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
