# The two commands a new user needs: `make report` and `make test`.
# Everything else here is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
INPUT ?= data/raw/synthetic

.PHONY: report test install lint format synth bench clean help messages

help:
	@echo "make report   install and run the pipeline on $(INPUT) -> reports/$$(basename $(INPUT))/"
	@echo "make test     install and run the test suite"
	@echo "make lint     ruff, ruff format --check, mypy, snakemake --lint"
	@echo "make bench    time the pipeline at 10k, 100k and 1M people -> benchmarks/results.md"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(RUNTIME)

report: $(RUNTIME)
	$(BIN)/ips-outcomes run $(INPUT)

test: $(DEV)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff check src tests workflow benchmarks
	$(BIN)/ruff format --check src tests workflow benchmarks
	$(BIN)/mypy
	$(BIN)/snakemake --lint --cores 1

format: $(DEV)
	$(BIN)/ruff format src tests workflow benchmarks
	$(BIN)/ruff check --fix src tests workflow benchmarks

synth: $(RUNTIME)
	$(BIN)/ips-outcomes synth --participants 600 --seed 2024 --out data/raw/synthetic

# Time the pipeline and each stage at 10 000, 100 000 and 1 000 000 participants, and the
# survival analysis against R's survival package and lifelines -> benchmarks/results.md.
# Takes several minutes; cohorts are cached in data/bench/.
bench: $(RUNTIME)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# Refresh locales/messages.pot and add new texts (untranslated) to each language's .po file;
# tests/test_i18n.py fails until every text has a translation.
messages: $(RUNTIME)
	$(BIN)/python -m ips_outcomes.catalogue

clean:
	rm -rf data/interim data/processed reports/*/ logs .snakemake
