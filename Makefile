# Two commands matter: `make dev` and `make test`. Both set up the environment from uv.lock first.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin

export DAGSTER_HOME := $(CURDIR)/.dagster_home
# A range run's planned events (and a ranged step's materializations) stored 1,000 per
# transaction, for the runs `make dev`'s UI and daemon launch as for `energy-lake`
# (`energy_assets.cli.EVENT_BATCH_SIZE`; `energy_assets/defs/instance_storage.py` writes a batch).
export DAGSTER_EVENT_BATCH_SIZE := 1000
# The project's own tools first for every target and what it starts (dbt, uvicorn, ...), from a
# shell that has no virtual environment on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
# Telemetry off for every tool.
export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export MLFLOW_DISABLE_TELEMETRY := true
export MARIMO_SKIP_UPDATE_CHECK := 1

.PHONY: setup dev test test-unit test-integration lint format demo bench status clean serve mlflow-ui serve-model

setup: $(VENV)/.synced dbt/target/manifest.json $(DAGSTER_HOME)/dagster.yaml

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	install -D -m 644 $< $@

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set, every process (each dbt
# build, each Dagster step) would otherwise compile dbt, pandas and Dagster from source again,
# about 3 s per dbt start-up here.
$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --compile-bytecode
	touch $@

# The dbt manifest Dagster loads: prepared here, never parsed when the definitions are imported.
DBT_PROJECT_FILES := $(shell find dbt -name '*.sql' -o -name '*.yml' -o -name '.sqlfluff' | grep -v '^dbt/target/')
dbt/target/manifest.json: $(VENV)/.synced $(DBT_PROJECT_FILES)
	cd dbt && ../$(BIN)/dbt parse --quiet

DAGSTER_PORT ?= 3000
dev: setup
	$(BIN)/dagster dev -w workspace.yaml --host 127.0.0.1 --port $(DAGSTER_PORT)

test: setup
	$(BIN)/pytest -q

test-unit: setup
	$(BIN)/pytest -q tests/unit

test-integration: setup
	$(BIN)/pytest -q tests/integration

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy energy_assets ml checks bench
	mkdir -p dbt/target/lint && cd dbt && ENERGY_MARTS_DIR=$(CURDIR)/dbt/target/lint ../$(BIN)/sqlfluff lint .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: setup
	$(BIN)/energy-lake demo

status: setup
	$(BIN)/energy-lake status

# The MQTT consumer, beside `make dev` (ENERGY_SOURCES must name mqtt; broker from ENERGY_MQTT_*).
.PHONY: mqtt-consume
mqtt-consume: setup
	$(BIN)/energy-lake mqtt-consume

# The marimo notebooks (read-only over the lake), on http://127.0.0.1:2718.
.PHONY: notebooks
notebooks: setup
	$(BIN)/marimo edit notebooks --host 127.0.0.1 --port 2718

# The dbt docs of the marts (grain, columns, tests, lineage) on http://127.0.0.1:8080.
.PHONY: docs
MARTS_DIR ?= $(or $(ENERGY_MARTS_DIR),$(CURDIR)/lake/marts)
docs: setup
	mkdir -p $(MARTS_DIR) && cd dbt && ENERGY_MARTS_DIR=$(MARTS_DIR) ../$(BIN)/dbt docs generate --quiet
	cd dbt && ENERGY_MARTS_DIR=$(MARTS_DIR) ../$(BIN)/dbt docs serve --host 127.0.0.1 --port 8080 --no-browser

# The layers (1,000 meters x 30 days), the marts at that size, then the marts over the default
# 50-meter simulation, where a day's refresh should take under 10 s of dbt time.
bench: setup
	$(BIN)/python -m bench.lakehouse $(BENCH_ARGS)
	$(BIN)/python -m bench.marts $(MARTS_BENCH_ARGS)
	$(BIN)/python -m bench.marts --meters 50 --days 2
	$(BIN)/python -m bench.end_to_end $(E2E_BENCH_ARGS)
	$(BIN)/python -m bench.training_cost $(TRAINING_BENCH_ARGS)

# The forecast endpoint (POST /forecast) on http://127.0.0.1:8000, over the lake and the champion.
SERVE_PORT ?= 8000
serve: setup
	$(BIN)/uvicorn energy_assets.serving.app:create_app --factory --host 127.0.0.1 --port $(SERVE_PORT)

# The MLflow UI of the lake's tracking store on http://127.0.0.1:5000.
LAKE_DIR := $(abspath $(or $(ENERGY_LAKE_ROOT),lake))
MLFLOW_URI ?= $(or $(MLFLOW_TRACKING_URI),sqlite:///$(LAKE_DIR)/mlflow/mlflow.db)
MLFLOW_UI_PORT ?= 5000
mlflow-ui: setup
	$(BIN)/mlflow ui --backend-store-uri $(MLFLOW_URI) --host 127.0.0.1 --port $(MLFLOW_UI_PORT)

# The champion model behind MLflow's scoring server (model inputs in, P10/P50/P90 out) on :5001.
SERVE_MODEL_PORT ?= 5001
serve-model: setup
	MLFLOW_TRACKING_URI=$(MLFLOW_URI) $(BIN)/mlflow models serve -m models:/day_ahead_consumption@champion \
	  --env-manager local --host 127.0.0.1 --port $(SERVE_MODEL_PORT)

# Day-ahead model quality on the real sets of ../shared/data/real (imported through the landing
# folder), beside vanilla and the naive forecasts; FORECAST_BENCH_ARGS e.g. --test-days 28.
.PHONY: bench-forecast
bench-forecast: setup
	$(BIN)/python -m bench.forecast_real $(FORECAST_BENCH_ARGS)

clean:
	rm -rf $(VENV) .tools .bench
