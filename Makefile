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

SLM    := HF_HUB_OFFLINE=1 TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS= $(BIN)/slmconvert

demo: install
	$(SLM) collect examples/logs -o $(DEMO)/01_collect --force
	$(SLM) pii $(DEMO)/01_collect -o $(DEMO)/02_pii --force --recognizer 'CUSTOMER_ID=CUST-\d{6}'
	$(SLM) cluster $(DEMO)/02_pii -o $(DEMO)/03_cluster --force
	$(SLM) select $(DEMO)/03_cluster -o $(DEMO)/04_select --force --gpu-memory-gb 24
	@echo "demo: stage outputs under $(DEMO)/ (cluster map: $(DEMO)/03_cluster/clusters.png)"

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	HF_HUB_OFFLINE=1 TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS= $(BIN)/pytest

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/collect.py
	$(BIN)/python bench/pii.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/cluster.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache
