# The two commands: `make run` (a working demo) and `make test` (everything).
# Each sets itself up on a fresh machine: a virtualenv in .venv and the dependencies.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/qode serve --demo

test: $(STAMP)
	$(BIN)/ruff check server kiosk tests
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check server kiosk tests
	$(BIN)/ruff format --check server kiosk tests

bench: $(STAMP)
	$(BIN)/qode bench issue

clean:
	rm -rf $(VENV) build *.egg-info
