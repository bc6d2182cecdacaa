from __future__ import annotations

from pathlib import Path

import pytest

from energy_assets.settings import (
    DEFAULT_CHUNK_READINGS,
    BackfillSettings,
    DefinitionSettings,
    Settings,
    SourceSettings,
)

YAML = """
http:
  timeout_s: 10
  min_interval_s: 1.5
open_meteo:
  forecast_url: http://127.0.0.1:1/v1/forecast
  locations: [paris, lyon]
eco2mix:
  regions: ["11", "84"]
  api_key: from-file
"""


def test_a_yaml_file_configures_the_sources_and_environment_variables_override_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(YAML)
    monkeypatch.setenv("ENERGY_SOURCES_CONFIG", str(path))
    monkeypatch.setenv("ENERGY_ECO2MIX_REGIONS", "93")

    settings = SourceSettings.from_env()

    assert (settings.http.timeout_s, settings.http.min_interval_s) == (10.0, 1.5)
    assert settings.open_meteo.location_ids == ("paris", "lyon")
    assert settings.open_meteo.forecast_url == "http://127.0.0.1:1/v1/forecast"
    assert settings.open_meteo.archive_url.startswith("https://archive-api.open-meteo.com")
    assert settings.eco2mix.region_codes == ("93",)
    assert settings.eco2mix.headers() == {"Authorization": "Apikey from-file"}
    assert not settings.is_replay


def test_an_unknown_region_fails_when_the_run_reads_its_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ENERGY_ECO2MIX_REGIONS", "11,999")

    with pytest.raises(ValueError, match="999"):
        SourceSettings.from_env()


def test_an_unknown_training_cadence_is_refused_naming_its_variable() -> None:
    with pytest.raises(ValueError, match=r"'hourly' \(ENERGY_TRAINING_CADENCE\)"):
        DefinitionSettings(training_cadence="hourly")


def test_backfills_default_to_one_in_process_run_and_celery_needs_a_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PARTITIONS_PER_RUN", "EXECUTOR", "CONCURRENT_RUNS"):
        monkeypatch.delenv(f"ENERGY_BACKFILL_{name}", raising=False)
    monkeypatch.delenv("ENERGY_CELERY_BROKER_URL", raising=False)
    assert BackfillSettings.from_env() == BackfillSettings()

    monkeypatch.setenv("ENERGY_BACKFILL_EXECUTOR", "celery")
    with pytest.raises(ValueError, match="needs ENERGY_CELERY_BROKER_URL"):
        BackfillSettings.from_env()
    monkeypatch.setenv("ENERGY_CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("ENERGY_BACKFILL_PARTITIONS_PER_RUN", "7")
    monkeypatch.setenv("ENERGY_BACKFILL_CONCURRENT_RUNS", "3")
    settings = BackfillSettings.from_env()
    assert (settings.partitions_per_run, settings.concurrent_runs) == (7, 3)
    assert settings.celery_backend_url == settings.celery_broker_url == "redis://127.0.0.1:6379/0"

    monkeypatch.setenv("ENERGY_BACKFILL_PARTITIONS_PER_RUN", "0")
    with pytest.raises(ValueError, match="1 or more"):
        BackfillSettings.from_env()
    monkeypatch.setenv("ENERGY_BACKFILL_PARTITIONS_PER_RUN", "2")
    monkeypatch.setenv("ENERGY_BACKFILL_EXECUTOR", "spark")
    with pytest.raises(ValueError, match="must be one of in_process, celery"):
        BackfillSettings.from_env()


def test_the_readings_a_chunk_holds_default_to_the_budget_and_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ENERGY_CHUNK_READINGS", raising=False)
    assert Settings.from_env().chunk_readings == DEFAULT_CHUNK_READINGS
    monkeypatch.setenv("ENERGY_CHUNK_READINGS", "50000")
    assert Settings.from_env().chunk_readings == 50_000
