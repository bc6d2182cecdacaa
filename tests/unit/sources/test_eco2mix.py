from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pyarrow.compute as pc
import pytest

from checks import api
from checks.contracts import BRONZE_GRID_CARBON_INTENSITY, BRONZE_METER_READINGS, SILVER_METERS
from checks.schemas.validation import validate_table
from energy_assets.sources import eco2mix, network
from energy_assets.sources.http import HttpClient
from energy_assets.transforms.cleaning import clean_readings, current_meters
from tests.fixtures.recorded_api import Reply, fixture_text, paged, recorded_api

DAY = date(2024, 3, 30)
TR = "eco2mix/regional_tr_11_2024-03-30.json"
DEF = "eco2mix/regional_cons_def_11_2024-03-30.json"
PATH = "/api/explore/v2.1/catalog/datasets/{}/records"
IDF = eco2mix.Eco2mixConfig(region_codes=("11",))


def fetch(scripts: dict[str, list]) -> tuple[network.SourceWindow, list]:
    with recorded_api({PATH.format(d): s for d, s in scripts.items()}) as server:
        config = eco2mix.Eco2mixConfig(base_url=server.base_url, region_codes=("11",))
        client = HttpClient("eco2mix", min_interval_s=0, backoff_s=0, max_attempts=2)
        fetching = network.fetch_eco2mix(client, config, DAY, date(2024, 3, 31))
    window = network.eco2mix_consumption(fetching.fetched)
    window.failures = fetching.failures
    return window, server.requests


def test_consolidated_values_replace_real_time_ones_in_silver() -> None:
    window, requests = fetch({eco2mix.REAL_TIME: [paged(TR)], eco2mix.CONSOLIDATED: [paged(DEF)]})
    meters = current_meters(
        eco2mix.region_meters(IDF, datetime(2024, 1, 1, tzinfo=UTC), "meters")
    ).table.cast(SILVER_METERS.schema)

    silver = clean_readings(window.table("readings"), meters, DAY, date(2024, 3, 31)).table

    assert [q["where"].split(" AND ")[0] for _, q in requests] == ["code_insee_region = '11'"] * 2
    assert silver.num_rows == 48 and pc.sum(silver["is_missing"]).as_py() == 0
    first = fixture_text(DEF)
    consolidated_mw = json.loads(first)["results"][0]["consommation"]
    assert silver["energy_kwh"][0].as_py() == pytest.approx(consolidated_mw * 0.5 * 1000)
    assert pc.sum(silver["duplicates_removed"]).as_py() == 48


def test_real_time_quarter_hours_become_half_hours_of_energy_from_megawatts() -> None:
    window, _ = fetch(
        {eco2mix.REAL_TIME: [paged(TR)], eco2mix.CONSOLIDATED: [paged("eco2mix/empty_page.json")]}
    )
    readings = window.table("readings")
    records = json.loads(fixture_text(TR))["results"]

    assert readings.num_rows == 48
    mean_mw = (records[0]["consommation"] + records[1]["consommation"]) / 2
    assert readings["energy_kwh"][0].as_py() == pytest.approx(mean_mw * 500)
    assert validate_table(BRONZE_METER_READINGS, readings).passed
    intensity = window.table("intensity")
    assert intensity.num_rows == 48
    assert validate_table(BRONZE_GRID_CARBON_INTENSITY, intensity).passed


def test_a_renamed_field_sends_records_to_quarantine_and_fails_the_check_naming_it() -> None:
    window, _ = fetch(
        {
            eco2mix.REAL_TIME: [paged("eco2mix/regional_tr_renamed_field.json")],
            eco2mix.CONSOLIDATED: [paged("eco2mix/empty_page.json")],
        }
    )

    assert window.table("readings").num_rows == 0
    assert len(window.rejections) == 96
    assert "field 'consommation' missing" in window.rejections[0].reason
    outcome = api.schema_drift("eco2mix", len(window.fetched), window.rejections)
    assert not outcome.passed
    assert "missing fields: consommation" in outcome.description


def test_a_truncated_page_is_quarantined_whole_and_a_failing_dataset_does_not_stop_the_other() -> (
    None
):
    window, _ = fetch(
        {
            eco2mix.REAL_TIME: [Reply(body=fixture_text(TR)[:300])],
            eco2mix.CONSOLIDATED: [Reply(503)],
        }
    )

    reasons = [r.reason for r in window.rejections]
    assert len(reasons) == 2
    assert reasons[0].startswith(api.FETCH_FAILED) and "HTTP 503" in reasons[0]
    assert "not valid JSON" in reasons[1]
    assert not api.fetch_failures("eco2mix", window.requests, window.rejections).passed
    assert not api.schema_drift("eco2mix", len(window.fetched), window.rejections).passed


def test_raw_responses_replay_to_the_same_rows_without_the_network() -> None:
    window, _ = fetch({eco2mix.REAL_TIME: [paged(TR)], eco2mix.CONSOLIDATED: [paged(DEF)]})
    kept = network.response_rows(window.fetched)

    replayed = network.eco2mix_consumption(network.replayed(kept))

    assert replayed.table("readings").equals(window.table("readings"))
    assert set(kept["day"].to_pylist()) == {DAY}


def test_an_unknown_region_code_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'99'"):
        eco2mix.Eco2mixConfig(region_codes=("11", "99")).regions()
