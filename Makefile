# Two commands that work on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint

setup: $(STAMP)

# torch first, from the pinned CPU wheel, unless some torch is already importable (a CUDA image, say).
$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e '.[dev,eval]'
	@touch $(STAMP)

# The demo always trains afresh into runs/demo, the run the README's examples use.
demo: setup
	rm -rf runs/demo
	$(VENV)/bin/acgan train --out runs/demo

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
