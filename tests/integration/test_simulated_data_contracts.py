"""A month of the default simulation, every layer, against every contract: the messy input the
simulator produces on purpose (NaN readings, duplicates, Wh weeks, unknown meters, DST) must be
cleaned without breaking a blocking check."""

from __future__ import annotations

from datetime import date

import pytest

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_METER_READINGS,
    BRONZE_WEATHER,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from checks.domain.alignment import interval_alignment
from checks.schemas.validation import validate_table
from energy_assets.sources import simulator
from energy_assets.sources.simulator.source import simulated_readings, simulated_weather
from energy_assets.storage.lake import Lake
from energy_assets.transforms.cleaning import current_meters
from energy_assets.transforms.layers import (
    bronze_reading_chunks,
    bronze_weather_chunks,
    feature_chunks,
    scorecard_chunks,
    silver_readings_chunks,
    silver_weather_chunks,
)

# Includes the spring DST change, and both edges of MTR-0003's Wh week (03-17 .. 03-23): silver
# corrects a unit only between two edges of the meter's own series.
START, END = date(2024, 3, 15), date(2024, 4, 19)
CONFIG = simulator.SimulatorConfig(n_meters=50)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Lake:
    lake = Lake(str(tmp_path_factory.mktemp("lake")))
    meters = current_meters(simulator.simulate_meters(CONFIG)).table
    lake.overwrite(SILVER_METERS, meters)
    labels = []
    readings = []
    for chunk, labelled in bronze_reading_chunks([simulated_readings(CONFIG)], START, END):
        readings.append(chunk)
        labels.append(labelled)
    lake.replace_chunks(BRONZE_METER_READINGS, readings)
    lake.replace_chunks(BRONZE_ANOMALY_LABELS, labels)
    lake.replace_chunks(
        BRONZE_WEATHER, bronze_weather_chunks([simulated_weather(CONFIG)], START, END)
    )
    lake.replace_chunks(
        SILVER_METER_READINGS, (c for c, _ in silver_readings_chunks(lake, meters, START, END))
    )
    lake.replace_chunks(SILVER_WEATHER, (c for c, _ in silver_weather_chunks(lake, START, END)))
    lake.replace_chunks(GOLD_CONSUMPTION_FEATURES, feature_chunks(lake, meters, START, END, 12))
    lake.replace_chunks(GOLD_QUALITY_SCORECARD, scorecard_chunks(lake, START, END))
    return lake


@pytest.mark.parametrize(
    "contract",
    [
        BRONZE_METER_READINGS,
        BRONZE_WEATHER,
        BRONZE_ANOMALY_LABELS,
        SILVER_METER_READINGS,
        SILVER_WEATHER,
        GOLD_CONSUMPTION_FEATURES,
        GOLD_QUALITY_SCORECARD,
    ],
    ids=lambda c: c.path,
)
def test_every_layer_of_a_simulated_month_matches_its_contract(built, contract) -> None:
    outcome = validate_table(contract, built.read(contract))
    assert outcome.passed, (outcome.description, outcome.metadata.get("examples"))


def test_the_simulated_mess_is_really_there_and_really_cleaned(built) -> None:
    bronze = built.read(BRONZE_METER_READINGS)
    silver = built.read(SILVER_METER_READINGS)
    assert bronze.column("energy_kwh").is_nan().to_pylist().count(True) > 0
    flags = {
        name: sum(silver.column(name).to_pylist())
        for name in ("is_missing", "is_late", "is_unit_corrected", "is_flatline", "is_estimated")
    }
    assert all(count > 0 for count in flags.values()), flags
    assert sum(silver.column("duplicates_removed").to_pylist()) > 0
    assert interval_alignment(silver).passed
