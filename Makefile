# dualtrace: one command to set up and run the demo, one to run every test.
# Everything is installed by this file and the scripts it calls; nothing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# the install is redone when the project files or the compiled matcher's sources change
# (setup.py compiles dualtrace.native.COMPILED, in dualtrace/resolve and dualtrace/names)
BUILD_INPUTS := pyproject.toml setup.py dualtrace/native.py $(wildcard dualtrace/resolve/*.py dualtrace/names/*.py)
STAMP  := $(VENV)/.installed-$(shell cat $(BUILD_INPUTS) | sha1sum | cut -c1-12)

.PHONY: demo test setup system lint typecheck bench clean

## demo: install the package (no system packages needed) and run the embedded demo
demo: setup
	$(BIN)/dualtrace demo

## test: install everything, system packages included (OCR, Chromium), run the suite
test: setup system
	$(BIN)/python -m pytest -q -p no:cacheprovider

setup: $(STAMP)

$(STAMP): $(BUILD_INPUTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## system: Debian packages the heavier tests need (tesseract, chromium, fonts)
system:
	bash scripts/setup-system.sh

lint: setup
	$(BIN)/ruff check dualtrace tests bench scripts
	$(BIN)/ruff format --check dualtrace tests bench scripts

typecheck: setup
	$(BIN)/mypy

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
