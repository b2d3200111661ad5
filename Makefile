# Two entry points, each self-contained on a fresh machine:
#   make demo   set up .venv and run the main job (actopt bench)
#   make test   set up .venv and run lint, format check and the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH := torch==2.13.0

.PHONY: demo test lint venv clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# the CPU build first: with torch already satisfied pip never resolves the CUDA wheels
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e '.[dev,ray]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/actopt bench

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

test: lint
	$(VENV)/bin/pytest -q

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
