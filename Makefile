# One-command entry points. Each target creates .venv from requirements.txt when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SNAKEMAKE := $(BIN)/snakemake

START ?=
END ?=
CORES ?= 2
SEED ?=
SIZE ?=
CENSUS ?=
CONFIG ?=
SCENARIOS ?=
SEEDS ?=
SCENARIO ?= baseline
EMPLOYEE ?=
RUN ?=
EXTRA ?=
VERBOSE ?=
CONFIRM ?=
HISTORY ?=
SWEEP ?= config/sweeps/match_and_enrollment.yaml
HOLDOUT_YEAR ?=
NAME ?=
OUT ?=
SET ?=
K ?=

comma := ,
space := $(subst ,, )
# Only the variables given on the command line become --config overrides.
SMK_CONFIG := $(strip \
  $(if $(START),start_year=$(START)) \
  $(if $(END),end_year=$(END)) \
  $(if $(SEED),seed=$(SEED)) \
  $(if $(SIZE),census_size=$(SIZE)) \
  $(if $(CENSUS),census=$(abspath $(CENSUS))) \
  $(if $(CONFIG),simulation_config=$(abspath $(CONFIG))) \
  $(if $(SCENARIOS),scenarios=[$(subst $(space),$(comma),$(strip $(SCENARIOS)))]) \
  $(if $(SEEDS),seeds=[$(subst $(space),$(comma),$(strip $(SEEDS)))]) \
  $(if $(RUN),run=$(RUN)) \
  $(if $(CONFIRM),confirm_large_run=true))
SMK_ARGS := --cores $(CORES) $(if $(SMK_CONFIG),--config $(SMK_CONFIG)) $(EXTRA)

.PHONY: simulate test test-fast fuzz lint bench dryrun clean env timeline report config-docs runs sql history fit backtest sweep

env: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# A short account on the terminal, Snakemake's full output in logs/workflow/ (VERBOSE=1: all of it here).
simulate: env
	@$(BIN)/python workflow/scripts/unlock_if_stale.py
	@$(if $(VERBOSE),$(SNAKEMAKE),$(BIN)/python workflow/scripts/run_workflow.py) $(SMK_ARGS)

# Plan designs on one shared workforce per seed, ranked (results/sweeps/<name>/): see README, Plan-design sweeps.
sweep: env
	$(BIN)/python workflow/scripts/sweep.py $(SWEEP) --cores $(CORES)

dryrun: env
	$(SNAKEMAKE) $(SMK_ARGS) --dry-run

lint: env
	$(SNAKEMAKE) --lint
	$(BIN)/ruff check

# Test files run in TEST_WORKERS processes (pytest-xdist), a file's tests in one of them, so
# each module's shared runs are built once (TEST_WORKERS=0: all in this process); the longest
# files first (tests/conftest.py), not xdist's order by number of tests.
TEST_WORKERS ?= 2
PYTEST = $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

test: env
	$(PYTEST) tests

# Unit tests and one small run (under 2 minutes): the tests not marked slow.
test-fast: env
	$(PYTEST) -m "not slow" tests

# The long profile of the config and census fuzz suite (make test runs 250 cases per property).
FUZZ_EXAMPLES ?= 5000
fuzz: env
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -s tests/test_fuzz.py

# Files exported from the config model (workflow/scripts/simconfig): the dbt vars block of
# dbt/dbt_project.yml, the JSON schemas in workflow/schemas/ and docs/configuration.md.
config-docs: env
	PYTHONPATH=workflow/scripts $(BIN)/python -m simconfig.reference --write

bench: env
	$(BIN)/python workflow/scripts/bench.py $(if $(SIZES),--sizes $(subst $(space),$(comma),$(strip $(SIZES)))) --out benchmarks/bench.json

# One employee's events and year-end states across all years of a run.
timeline: env
	@test -n "$(EMPLOYEE)" || { echo "usage: make timeline EMPLOYEE=<id> [SCENARIO=baseline] [SEED=42] [RUN=name]"; exit 2; }
	@$(BIN)/python workflow/scripts/timeline.py --employee "$(EMPLOYEE)" --scenario "$(SCENARIO)" $(if $(SEED),--seed $(SEED)) $(if $(RUN),--run $(RUN))

# The runs in results/ with their inputs and dates.
runs: env
	@$(BIN)/python workflow/scripts/runs.py

# Fitting to a sponsor's history (year-end census snapshots, oldest first; a glob expands in name
# order, a missing file is kept so the error names it).
HISTORY_FILES = $(foreach f,$(HISTORY),$(or $(sort $(wildcard $(f))),$(f)))

# A generated history of one employer under known assumptions (SET="workforce.total_termination_rate=0.18").
history: env
	@$(BIN)/python workflow/scripts/generate_history.py --out $(or $(OUT),results/history) $(if $(SIZE),--size $(SIZE)) \
	  $(if $(SEED),--seed $(SEED)) $(foreach s,$(SET),--set $(s))

# Fitted assumptions: config/scenarios/fitted_<NAME>.yaml, seeds and report in results/fit/<NAME>/.
fit: env
	@test -n "$(HISTORY)" -a -n "$(NAME)" || { echo 'usage: make fit HISTORY="a.csv b.csv ..." NAME=<name> [K=<credibility k>]'; exit 2; }
	@$(BIN)/python workflow/scripts/fit_history.py --history $(HISTORY_FILES) --name $(NAME) $(if $(K),--credibility-k $(K))

# Fit before HOLDOUT_YEAR, simulate it with seeds, score against the actual snapshot: results/backtest/<NAME>/.
backtest: env
	@test -n "$(HISTORY)" -a -n "$(HOLDOUT_YEAR)" -a -n "$(NAME)" || { echo 'usage: make backtest HISTORY="a.csv b.csv ..." HOLDOUT_YEAR=<year> NAME=<name> [SEEDS="42 43 44"]'; exit 2; }
	@$(BIN)/python workflow/scripts/backtest.py --history $(HISTORY_FILES) --holdout-year $(HOLDOUT_YEAR) --name $(NAME) \
	  $(if $(SEEDS),--seeds $(SEEDS))

# An SQL prompt on a run's database, read-only, with the project's own DuckDB.
sql: env
	@$(BIN)/python workflow/scripts/sql_shell.py --scenario "$(SCENARIO)" $(if $(SEED),--seed $(SEED)) $(if $(RUN),--run $(RUN))

clean:
	rm -rf results/* results/.dbt_programs results/.census_checks .snakemake logs benchmarks dbt/target dbt/logs
	@touch results/.gitkeep
