# slmconvert: `make demo` and `make test` install everything first (idempotent, quick when done).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# torch goes in first and alone: any other package installed first pulls a CUDA build.
TORCH  ?= torch==2.13.0
DEMO   ?= demo-work

.PHONY: install demo test lint format bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "$(TORCH)"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

demo: install
	HF_HUB_OFFLINE=1 $(BIN)/slmconvert collect examples/logs -o $(DEMO)/01_collect --force

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	HF_HUB_OFFLINE=1 $(BIN)/pytest

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/collect.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache
