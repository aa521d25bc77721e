# dualtrace: one command to set up and run the demo, one to run every test.
# Everything is installed by this file and the scripts it calls; nothing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: demo test setup system lint typecheck bench clean

## demo: install the package (no system packages needed) and run the embedded demo
demo: setup
	$(BIN)/dualtrace demo

## test: install everything, system packages included (OCR, Chromium), run the suite
test: setup system
	$(BIN)/python -m pytest -q -p no:cacheprovider

setup: $(STAMP)

$(STAMP): pyproject.toml
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
