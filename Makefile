# Two entry points, each self-contained on a fresh machine:
#   make demo   set up .venv and run the main job (actopt bench)
#   make test   set up .venv and run lint, format check and the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH := torch==2.13.0

.PHONY: demo test lint venv clean constraints

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# the CPU build first: with torch already satisfied pip never resolves the CUDA wheels
	$(PY) -m pip install -q $(TORCH)
	# every other package at the exact version in constraints.txt: the versions CI tests
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,ray,tensorboard]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/actopt bench

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

test: lint
	$(VENV)/bin/pytest -q

# Regenerate constraints.txt with the newest versions pyproject allows: resolve in a throwaway
# venv without constraints (CPU torch first), then freeze it. Review the diff, run make test.
constraints:
	rm -rf .venv-lock
	python3 -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q $(TORCH)
	.venv-lock/bin/python -m pip install -q -e '.[dev,ray,tensorboard]'
	{ grep '^#' constraints.txt | grep -v '^# Resolved on'; \
	  .venv-lock/bin/python -c 'import platform as p; print(f"# Resolved on {p.python_implementation()} {p.python_version()}, {p.system()} {p.machine()}.")'; \
	  .venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' \
	    | sed -e 's/+cpu$$//'; } > .venv-lock/constraints.txt
	mv .venv-lock/constraints.txt constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .venv-lock build src/*.egg-info .pytest_cache .ruff_cache
