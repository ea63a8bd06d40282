# Two commands that work on a fresh machine: `make demo` and `make test`; `make site` writes the static site.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The browser test drives Debian's chromium (Playwright's own browser download does not work offline).
CHROMIUM := /usr/bin/chromium
# ONNX Runtime Web for `acgan site`: from the npm registry at the version web/package-lock.json pins, never a CDN.
ORT := web/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs
# The page's JavaScript is linted by ESLint and type-checked from its JSDoc by TypeScript, pinned beside ORT.
ESLINT := web/node_modules/.bin/eslint
TSC := web/node_modules/.bin/tsc

# Under CI (CI=true) a part the tests need that cannot be installed stops the build, loudly: elsewhere the tests
# that need it skip and say why, but CI must never pass by skipping them (tests/conftest.py fails a skip there).
STRICT := $(filter true True TRUE 1 yes,$(CI))
# $(call missing,WHAT): say what is missing (no commas in WHAT); under CI, fail.
missing = { echo "$(if $(STRICT),error: CI=true and $(1); CI runs every test,warning: $(1); the tests that need it will be skipped)" >&2; $(if $(STRICT),exit 1,true); }

.PHONY: setup demo test lint site web mutants

setup: $(STAMP)

# torch first, from the pinned CPU wheel, unless some torch is already importable (a CUDA image, say).
$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e '.[dev,eval,serve,export]'
	@touch $(STAMP)

# The demo shows the shipped model's anime faces first (seconds), then trains a toy model on the built-in
# procedural faces for DEMO_MINUTES minutes (a time budget, not a step count, so a busy machine does not stretch it).
DEMO_MINUTES ?= 4
demo: setup
	@mkdir -p runs
	$(VENV)/bin/acgan generate --all-pairs --seed 7 -o runs/shipped-all-pairs.png
	$(VENV)/bin/acgan interpolate --from-seed 3 --to-seed 11 --from-hair blue --from-eyes red \
		--to-hair pink --to-eyes green --steps 10 --size 128 -o runs/shipped-morph.gif
	@echo "the shipped model's anime faces: runs/shipped-all-pairs.png, runs/shipped-morph.gif"
	@echo "now a toy training on the built-in procedural faces ($(DEMO_MINUTES) minutes): it shows training end to end;"
	@echo "training on real anime faces is 'Train on your own data' in README.md"
	rm -rf runs/demo
	$(VENV)/bin/acgan train --out runs/demo --minutes $(DEMO_MINUTES)
	@echo "the shipped model: runs/shipped-all-pairs.png, runs/shipped-morph.gif; the toy run: runs/demo/samples/latest.png"

test: setup $(CHROMIUM) web
	$(PY) -m pytest -q

# The static site of the shipped model in site/ (serve it with: python -m http.server -d site).
site: setup web
	$(VENV)/bin/acgan site -o site

web: $(ORT)

# npm ci installs exactly the lock file's packages.
$(ORT): web/package.json web/package-lock.json
	@if command -v npm >/dev/null; then \
		(npm ci --prefix web --ignore-scripts --no-audit --no-fund && touch $@) \
		|| $(call missing,npm ci failed: no ONNX Runtime Web for the static-site tests); \
	else $(call missing,npm is missing: no ONNX Runtime Web for the static-site tests (install node and npm; then make web)); fi

# Installed when missing and possible (root with apt-get, as in CI).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| $(call missing,apt-get could not install chromium for the browser tests); \
	else $(call missing,chromium is missing for the browser tests (apt-get install chromium as root)); fi

lint: setup web
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy
	@test -x $(ESLINT) || { echo "cannot lint the page's JavaScript: $(ESLINT) is missing (install node and npm, then make web)"; exit 1; }
	$(ESLINT) --config web/eslint.config.mjs src/acgan/serve/static
	$(TSC) -p web

# Mutation testing (docs/TESTING.md), not part of CI: mutants of the modules in MUTANTS (mutmut's names, wildcards
# allowed), each against the fast tests [tool.mutmut] in pyproject.toml lists, MUTANT_WORKERS at a time (one per
# core). The default fits in about 30 minutes on 2 cores; `make mutants MUTANTS=` runs the whole of only_mutate (5,866
# mutants: hours). mutants/ keeps the results, so a second run retests only what changed. Then the score per package.
MUTANT_WORKERS ?= 2
MUTANTS ?= acgan.data.doctor.* acgan.data.palette.* acgan.data.builtin.* acgan.judge.metrics.* \
	acgan.sample.contract.* acgan.sample.outputs.* acgan.sample.pictures.* acgan.sample.records.* \
	acgan.sample.shipped.* acgan.serve.service.* acgan.serve.app.* acgan.serve.page.*
mutants: $(VENV)/.mutants-installed
	PATH="$(abspath $(VENV))/bin:$$PATH" OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(VENV)/bin/mutmut run --max-children $(MUTANT_WORKERS) $(foreach m,$(MUTANTS),'$(m)')
	@$(VENV)/bin/mutmut results --all true | $(PY) benchmarks/mutation_scores.py

$(VENV)/.mutants-installed: $(STAMP)
	$(PY) -m pip install -e '.[dev,eval,serve,export,mutants]'
	@touch $@
