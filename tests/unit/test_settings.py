from __future__ import annotations

from pathlib import Path

import pytest

from energy_assets.settings import DefinitionSettings, SourceSettings

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
