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

.PHONY: setup demo test lint site web

setup: $(STAMP)

# torch first, from the pinned CPU wheel, unless some torch is already importable (a CUDA image, say).
$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e '.[dev,eval,serve,export]'
	@touch $(STAMP)

# The demo shows the shipped model first (seconds), then trains afresh into runs/demo, the run the README's
# examples use.
demo: setup
	@mkdir -p runs
	$(VENV)/bin/acgan generate --all-pairs --seed 7 -o runs/shipped-all-pairs.png
	$(VENV)/bin/acgan interpolate --from-seed 3 --to-seed 11 --from-hair blue --from-eyes red \
		--to-hair pink --to-eyes green --steps 10 --size 128 -o runs/shipped-morph.gif
	rm -rf runs/demo
	$(VENV)/bin/acgan train --out runs/demo
	@echo "the shipped model: runs/shipped-all-pairs.png, runs/shipped-morph.gif; this run: runs/demo/samples/latest.png"

test: setup $(CHROMIUM) web
	$(PY) -m pytest -q

# The static site of the shipped model in site/ (serve it with: python -m http.server -d site).
site: setup web
	$(VENV)/bin/acgan site -o site

web: $(ORT)

# npm ci installs exactly the lock file's packages; without npm the static-site tests skip and say why.
$(ORT): web/package.json web/package-lock.json
	@if command -v npm >/dev/null; then \
		(npm ci --prefix web --ignore-scripts --no-audit --no-fund && touch $@) \
		|| echo "npm ci failed: the static-site tests will be skipped"; \
	else echo "npm missing: the static-site tests will be skipped (install node and npm, then make web)"; fi

# Installed when missing and possible (root with apt-get, as in CI); otherwise the browser test skips.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "could not install chromium: the browser test will be skipped"; \
	else echo "chromium missing: the browser test will be skipped (apt-get install chromium)"; fi

lint: setup web
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy
	@test -x $(ESLINT) || { echo "cannot lint the page's JavaScript: $(ESLINT) is missing (install node and npm, then make web)"; exit 1; }
	$(ESLINT) --config web/eslint.config.mjs src/acgan/serve/static
	$(TSC) -p web
