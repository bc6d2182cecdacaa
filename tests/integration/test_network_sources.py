"""The network sources end to end through Dagster, against recorded responses on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import dagster as dg
import pyarrow.compute as pc
import pytest

from checks.contracts import (
    BRONZE_API_RESPONSES,
    BRONZE_QUARANTINE,
    BRONZE_WEATHER,
    GOLD_CARBON_EMISSIONS,
    OPS_PIPELINE_EMISSIONS,
    SILVER_METER_READINGS,
)
from energy_assets.sources import eco2mix
from energy_assets.storage.lake import Lake
from tests.fixtures.recorded_api import (
    RecordedApi,
    Reply,
    Script,
    fixture_text,
    paged,
    recorded_api,
)
from tests.integration.pipeline import materialize_days, materialize_dimensions

DAY = date(2024, 3, 30)
TR = "eco2mix/regional_tr_11_2024-03-30.json"
DEF = "eco2mix/regional_cons_def_11_2024-03-30.json"
PATH = "/api/explore/v2.1/catalog/datasets/{}/records"


@pytest.fixture
def sources(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Script]]:
    """The recorded APIs, serving whatever scripts the test puts in the returned dict."""
    scripts: dict[str, Script] = {
        PATH.format(eco2mix.REAL_TIME): [paged(TR)],
        PATH.format(eco2mix.CONSOLIDATED): [paged(DEF)],
        "/v1/archive": [Reply(body=fixture_text("open_meteo/archive_paris_2024-03-30.json"))],
    }
    monkeypatch.setenv("ENERGY_SOURCES", "simulator,eco2mix,open_meteo")
    monkeypatch.setenv("ENERGY_ECO2MIX_REGIONS", "11")
    monkeypatch.setenv("ENERGY_OPEN_METEO_LOCATIONS", "paris")
    monkeypatch.setenv("ENERGY_HTTP_BACKOFF_S", "0")
    monkeypatch.setenv("ENERGY_HTTP_MIN_INTERVAL_S", "0")
    yield scripts


def point_at(server: RecordedApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGY_ECO2MIX_BASE_URL", server.base_url)
    monkeypatch.setenv("ENERGY_OPEN_METEO_ARCHIVE_URL", f"{server.base_url}/v1/archive")
    monkeypatch.setenv("ENERGY_OPEN_METEO_FORECAST_URL", f"{server.base_url}/v1/forecast")


def region_rows(lake: Lake) -> list[float]:
    silver = lake.read(SILVER_METER_READINGS)
    mine = silver.filter(pc.equal(silver["meter_id"], "eco2mix-FR-IDF"))
    return mine.sort_by("interval_start_utc")["energy_kwh"].to_pylist()


def test_grid_regions_weather_and_carbon_flow_from_the_apis_and_replay_without_them(
    lake: Lake, instance: dg.DagsterInstance, sources: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    with recorded_api(sources) as server:
        point_at(server, monkeypatch)
        assert materialize_dimensions(instance).success
        result = materialize_days(instance, DAY, DAY)

    assert result.success
    consolidated = json.loads(fixture_text(DEF))["results"][0]["consommation"]
    energy = region_rows(lake)
    assert len(energy) == 48 and energy[0] == pytest.approx(consolidated * 500)
    kept = lake.read(BRONZE_API_RESPONSES)
    assert sorted(kept["dataset"].to_pylist()) == [
        eco2mix.CONSOLIDATED,
        eco2mix.REAL_TIME,
        "observation",
    ]
    weather = lake.read(BRONZE_WEATHER)
    assert pc.sum(pc.equal(weather["source"], "open_meteo")).as_py() == 24
    carbon = {r["meter_id"]: r for r in lake.read(GOLD_CARBON_EMISSIONS).to_pylist()}
    assert carbon["eco2mix-FR-IDF"]["intensity_source"] == "eco2mix"
    assert {r["intensity_source"] for r in carbon.values()} >= {"eco2mix", "country_factor"}
    footprint = lake.read(OPS_PIPELINE_EMISSIONS)
    assert set(footprint["run_id"].to_pylist()) >= {result.run_id}
    assert "silver/meter_readings" in footprint["asset_key"].to_pylist()
    event = instance.get_latest_materialization_event(dg.AssetKey(["gold", "carbon_emissions"]))
    assert event is not None
    assert event.asset_materialization.metadata["emissions_country"].value == "FRA"

    monkeypatch.setenv("ENERGY_API_REPLAY", "1")  # the server is gone: only bronze can answer
    assert materialize_days(instance, DAY, DAY).success
    assert region_rows(lake) == energy


def test_a_renamed_field_fails_the_blocking_check_and_quarantines_the_records(
    lake: Lake, instance: dg.DagsterInstance, sources: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources[PATH.format(eco2mix.REAL_TIME)] = [paged("eco2mix/regional_tr_renamed_field.json")]
    sources[PATH.format(eco2mix.CONSOLIDATED)] = [paged("eco2mix/empty_page.json")]
    with recorded_api(sources) as server:
        point_at(server, monkeypatch)
        materialize_dimensions(instance)
        result = materialize_days(instance, DAY, DAY, raise_on_error=False)

    drift = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "api_schema" and e.asset_key == dg.AssetKey(["bronze", "meter_readings"])
    )
    assert not drift.passed
    assert "missing fields: consommation" in (drift.description or "")
    quarantine = lake.read(BRONZE_QUARANTINE)
    reasons = quarantine.filter(pc.equal(quarantine["source"], "eco2mix"))["reason"].to_pylist()
    assert len(reasons) == 96 and all("'consommation' missing" in r for r in reasons)
