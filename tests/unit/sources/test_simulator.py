"""The simulator: contracts, determinism, realistic behaviour, messiness and its answer key."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_WEATHER,
    WEATHER_FIELDS,
)
from energy_assets.sources import simulator as sim
from energy_assets.sources.simulator import (
    LOCATIONS,
    SimulatedReadings,
    SimulatorConfig,
    clean_meter_ids,
    simulate_meters,
    simulate_readings,
    simulate_weather,
    true_weather,
)
from energy_assets.sources.simulator import meters as sim_meters
from energy_assets.sources.simulator import profiles as sim_profiles
from energy_assets.sources.simulator import weather as sim_weather

CONFIG = SimulatorConfig()
START = date(2024, 1, 1)
ANOMALY_TYPES = {"spike", "zero_dropout", "flatline", "sustained_drop", "unit_error"}


def _days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


@pytest.fixture(scope="module")
def window() -> dict[date, SimulatedReadings]:
    """60 days x 50 meters, the window the anomaly rates are tuned for."""
    return {day: simulate_readings(CONFIG, day) for day in _days(START, 60)}


@pytest.fixture(scope="module")
def meters() -> pd.DataFrame:
    return simulate_meters(CONFIG).to_pandas()


def _readings(window: dict[date, SimulatedReadings], n_days: int = 60) -> pd.DataFrame:
    days = sorted(window)[:n_days]
    return pa.concat_tables([window[d].readings for d in days]).to_pandas()


def _labels(window: dict[date, SimulatedReadings]) -> pd.DataFrame:
    return pa.concat_tables([window[d].labels for d in sorted(window)]).to_pandas()


def _regular(readings: pa.Table) -> pd.DataFrame:
    """The regular batch, first copy of each reading (what the meter sent the next morning)."""
    df = readings.to_pandas()
    df = df[~df["batch_id"].str.contains("resend")]
    return df.drop_duplicates(["meter_id", "interval_start_utc"])


def _daily_mean(config: SimulatorConfig, day: date) -> pd.Series:
    """Mean energy per interval by meter on a day, without injected anomalies."""
    df = _regular(simulate_readings(config, day, inject_anomalies=False).readings)
    return df.groupby("meter_id")["energy_kwh"].mean()


def _same(a: pa.Table, b: pa.Table) -> bool:
    """Equal tables, NaN equal to NaN (bronze keeps a few NaN readings; Arrow never equates NaN)."""
    return a.schema.equals(b.schema) and a.to_pandas().equals(b.to_pandas())


def _utc(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# --- contracts and determinism ------------------------------------------------------------------


def test_every_table_matches_its_contract_exactly(window: dict[date, SimulatedReadings]) -> None:
    labelled_day = next(d for d, r in window.items() if r.labels.num_rows)
    assert simulate_meters(CONFIG).schema.equals(BRONZE_METERS.schema)
    assert simulate_weather(CONFIG, START).schema.equals(BRONZE_WEATHER.schema)
    assert window[labelled_day].readings.schema.equals(BRONZE_METER_READINGS.schema)
    assert window[labelled_day].labels.schema.equals(BRONZE_ANOMALY_LABELS.schema)
    empty_labels = simulate_readings(SimulatorConfig(n_meters=1), START).labels
    assert empty_labels.schema.equals(BRONZE_ANOMALY_LABELS.schema)


def test_every_row_carries_the_utc_day_of_its_instant(
    window: dict[date, SimulatedReadings],
) -> None:
    day = START + timedelta(days=5)
    readings = window[day].readings.to_pandas()
    weather = simulate_weather(CONFIG, day).to_pandas()
    assert (readings["interval_start_utc"].dt.date == day).all()
    assert (readings["day"] == day).all()
    assert (weather["valid_at_utc"].dt.date == day).all()
    assert (weather["day"] == day).all()
    labels = _labels(window)
    assert (labels["start_utc"].dt.date == labels["day"]).all()


def test_same_config_and_day_give_identical_tables() -> None:
    day = date(2024, 5, 17)
    first, second = simulate_readings(CONFIG, day), simulate_readings(CONFIG, day)
    assert _same(first.readings, second.readings)
    assert _same(first.labels, second.labels)
    assert _same(simulate_weather(CONFIG, day), simulate_weather(CONFIG, day))
    assert _same(simulate_meters(CONFIG), simulate_meters(CONFIG))
    other_seed = simulate_readings(SimulatorConfig(seed=7), day).readings
    assert not _same(other_seed, first.readings)


def test_a_day_is_the_same_generated_alone_or_after_other_days() -> None:
    day = date(2024, 2, 20)
    for cached in (
        sim_meters._meters,
        sim_weather._weather_waves,
        sim_profiles._local_calendar,
        sim_profiles._holiday_calendar,
    ):
        cached.cache_clear()
    alone = simulate_readings(CONFIG, day)
    weather_alone = simulate_weather(CONFIG, day)
    for other in (day - timedelta(days=1), day + timedelta(days=1), date(2023, 11, 2)):
        simulate_readings(CONFIG, other)
        simulate_weather(CONFIG, other)
    after = simulate_readings(CONFIG, day)
    assert alone.readings.to_pandas()["energy_kwh"].isna().any()  # NaN compared too
    assert _same(alone.readings, after.readings)
    assert _same(alone.labels, after.labels)
    assert _same(weather_alone, simulate_weather(CONFIG, day))


def test_a_meter_behaves_the_same_whatever_the_fleet_size() -> None:
    day = date(2024, 1, 9)
    small = simulate_readings(SimulatorConfig(n_meters=20), day)
    large = simulate_readings(SimulatorConfig(n_meters=50), day)
    small_ids = set(simulate_meters(SimulatorConfig(n_meters=20))["meter_id"].to_pylist())
    rows = large.readings.to_pandas()
    rows = rows[rows["meter_id"].isin(small_ids | {sim.UNKNOWN_METER_ID})]
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), small.readings.to_pandas())
    labels = large.labels.to_pandas()
    labels = labels[labels["meter_id"].isin(small_ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(labels, small.labels.to_pandas())


# --- fleet and locations ------------------------------------------------------------------------


def test_locations_span_three_regions_and_two_utc_offsets_with_known_holidays() -> None:
    assert len(LOCATIONS) >= 5
    assert len({loc.region for loc in LOCATIONS}) >= 3
    winter = datetime(2024, 1, 15, 12, tzinfo=UTC)
    offsets = {winter.astimezone(ZoneInfo(loc.timezone)).utcoffset() for loc in LOCATIONS}
    assert len(offsets) >= 2
    for loc in LOCATIONS:
        calendar = holidays.country_holidays(loc.country, subdiv=loc.subdivision, years=2024)
        assert date(2024, 12, 25) in calendar


def test_fleet_mixes_customer_types_intervals_and_places(meters: pd.DataFrame) -> None:
    assert meters["meter_id"].tolist()[:2] == ["MTR-0001", "MTR-0002"]
    assert meters["meter_id"].is_unique
    assert set(meters["interval_minutes"]) == {15, 30}
    shares = meters["customer_type"].value_counts(normalize=True)
    assert set(shares.index) == set(sim.CUSTOMER_TYPES)
    assert shares["residential"] > 0.45
    assert (meters["can_export"] == (meters["customer_type"] == "prosumer")).all()
    assert meters["location_id"].nunique() == len(LOCATIONS)
    assert (meters.groupby("location_id")["customer_type"].nunique() == 4).all()
    by_location = {loc.location_id: loc for loc in LOCATIONS}
    assert (
        meters["latitude"] == meters["location_id"].map(lambda i: by_location[i].latitude)
    ).all()
    assert (meters["source"] == "simulator").all()


def test_late_installed_meters_have_no_readings_before_installed_on(
    meters: pd.DataFrame,
) -> None:
    late = meters[meters["installed_on"] > date(2020, 1, 1)]
    assert len(late) >= 2
    for row in late.itertuples():
        before = simulate_readings(CONFIG, row.installed_on - timedelta(days=1))
        on = simulate_readings(CONFIG, row.installed_on)
        assert row.meter_id not in set(before.readings["meter_id"].to_pylist())
        assert row.meter_id not in set(before.labels["meter_id"].to_pylist())
        assert row.meter_id in set(on.readings["meter_id"].to_pylist())


# --- consumption behaviour ----------------------------------------------------------------------


def test_prosumer_exports_at_a_sunny_summer_midday_and_not_in_the_dark(
    meters: pd.DataFrame,
) -> None:
    prosumers = meters[(meters["customer_type"] == "prosumer")].set_index("meter_id")
    seville = prosumers.index[prosumers["location_id"] == "seville"][0]
    june = _days(date(2024, 6, 1), 30)
    noon = np.array([np.datetime64(f"{d}T12:00") for d in june])
    cloud = true_weather(CONFIG, "seville", noon)["cloud_cover_pct"]
    sunny = june[int(np.argmin(cloud))]
    assert cloud.min() < 30
    df = _regular(simulate_readings(CONFIG, sunny, inject_anomalies=False).readings)
    df = df[df["meter_id"].isin(prosumers.index)]
    own = df[df["meter_id"] == seville]
    assert own[own["interval_start_utc"].dt.hour.between(10, 13)]["energy_kwh"].max() < 0
    # in the dark (no sunlight over the whole interval) a prosumer only consumes
    minutes = df["meter_id"].map(prosumers["interval_minutes"]).to_numpy()
    start = df["interval_start_utc"].dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    places = df["meter_id"].map(prosumers["location_id"]).to_numpy()
    sun = [
        true_weather(CONFIG, places, start + (minutes * frac * 60e6).astype("timedelta64[us]"))[
            "shortwave_radiation_wm2"
        ]
        for frac in (0.0, 0.5, 1.0)
    ]
    dark = (sun[0] == 0) & (sun[1] == 0) & (sun[2] == 0)
    assert dark.sum() > 100
    assert (df["energy_kwh"][dark] > 0).all()


def test_cold_winter_day_uses_more_than_mild_spring_day(meters: pd.DataFrame) -> None:
    cold, mild = date(2024, 1, 17), date(2024, 5, 15)  # both Wednesdays, no holiday
    daily_temp = {
        day: true_weather(
            CONFIG, "helsinki", np.arange(np.datetime64(f"{day}T00"), np.datetime64(f"{day}T23"))
        )["temperature_c"].mean()
        for day in (cold, mild)
    }
    assert daily_temp[cold] < 0 < daily_temp[mild] < sim.HEATING_BASE_C
    heated = meters[
        (meters["location_id"] == "helsinki") & (meters["customer_type"] == "residential")
    ]["meter_id"]
    winter, spring = _daily_mean(CONFIG, cold)[heated], _daily_mean(CONFIG, mild)[heated]
    assert (winter > 1.2 * spring).all()


def test_commercial_meters_use_less_on_christmas_than_on_a_normal_weekday(
    meters: pd.DataFrame,
) -> None:
    commercial = meters[meters["customer_type"] == "commercial"]["meter_id"]
    christmas, normal = date(2024, 12, 25), date(2024, 12, 18)  # both Wednesdays
    holiday_use = _daily_mean(CONFIG, christmas)[commercial]
    weekday_use = _daily_mean(CONFIG, normal)[commercial]
    assert (holiday_use < 0.7 * weekday_use).all()


def test_dst_day_keeps_96_utc_intervals_and_shifts_the_profile(meters: pd.DataFrame) -> None:
    paris = meters[(meters["timezone"] == "Europe/Paris") & (meters["interval_minutes"] == 15)]
    dst = date(2024, 3, 31)
    df = simulate_readings(CONFIG, dst).readings.to_pandas()
    df = df[df["meter_id"].isin(paris["meter_id"])]
    per_meter = df.groupby("meter_id")["interval_start_utc"].nunique()
    assert per_meter.max() == 96
    assert per_meter.min() > 80  # at most a gap of a few intervals
    assert df["interval_start_utc"].nunique() == 96
    assert (df["interval_start_utc"].dt.minute % 15 == 0).all()

    # Opening hour of shops in Central European Time: 1 h earlier in UTC once summer time starts.
    cet = meters[
        (meters["customer_type"] == "commercial")
        & meters["timezone"].isin(["Europe/Paris", "Europe/Berlin", "Europe/Madrid"])
        & (meters["interval_minutes"] == 15)
    ]["meter_id"]

    def opening_minute(day: date) -> pd.Series:
        """UTC minute at which each shop's smoothed load first crosses half its daily range."""
        day_df = _regular(simulate_readings(CONFIG, day, inject_anomalies=False).readings)
        day_df = day_df[day_df["meter_id"].isin(cet)]
        load = day_df.pivot(index="interval_start_utc", columns="meter_id", values="energy_kwh")
        smooth = load.rolling(4, center=True, min_periods=1).mean()
        half = (smooth.min() + smooth.max()) / 2
        first = (smooth > half).idxmax()
        return first.dt.hour * 60 + first.dt.minute

    shift = opening_minute(date(2024, 4, 2)) - opening_minute(date(2024, 3, 26))  # Tuesdays
    assert len(shift) >= 3
    assert abs(shift.median() + 60) <= 15


# --- weather ------------------------------------------------------------------------------------


def test_weather_day_has_hourly_observations_and_forecasts_of_every_covering_issue() -> None:
    day = date(2024, 4, 10)
    df = simulate_weather(CONFIG, day).to_pandas()
    obs = df[df["kind"] == "observation"]
    assert obs["issued_at_utc"].isna().all()
    assert (obs.groupby("location_id").size() == 24).all()
    forecasts = df[df["kind"] == "forecast"]
    issues = sorted(forecasts["issued_at_utc"].unique())
    assert [pd.Timestamp(i).to_pydatetime() for i in issues] == [
        _utc(day - timedelta(days=back), CONFIG.weather_issue_hour_utc) for back in (3, 2, 1, 0)
    ]
    assert (forecasts["valid_at_utc"] > forecasts["issued_at_utc"]).all()
    assert (forecasts["ingested_at_utc"] > forecasts["issued_at_utc"]).all()
    today = forecasts[forecasts["issued_at_utc"] == issues[-1]]
    assert (today.groupby("location_id").size() == 24 - CONFIG.weather_issue_hour_utc - 1).all()
    assert df[list(WEATHER_FIELDS)].notna().all().all()
    assert df["cloud_cover_pct"].between(0, 100).all()
    assert df["relative_humidity_pct"].between(0, 100).all()
    assert (df["wind_speed_ms"] >= 0).all() and (df["shortwave_radiation_wm2"] >= 0).all()


def test_observations_report_the_true_weather() -> None:
    day = date(2024, 8, 3)
    obs = simulate_weather(CONFIG, day).to_pandas().query("kind == 'observation'")
    instants = obs["valid_at_utc"].dt.tz_localize(None).to_numpy().astype("datetime64[us]")
    truth = true_weather(CONFIG, obs["location_id"].to_numpy(), instants)
    for name in WEATHER_FIELDS:
        np.testing.assert_allclose(obs[name].to_numpy(), truth[name], atol=0.051)
    with pytest.raises(KeyError, match="atlantis"):
        true_weather(CONFIG, ["atlantis"], instants[:1])


def test_climates_differ_between_locations() -> None:
    july = np.arange(np.datetime64("2024-07-01T00"), np.datetime64("2024-08-01T00"))
    january = np.arange(np.datetime64("2024-01-01T00"), np.datetime64("2024-02-01T00"))
    mean = {
        (loc.location_id, name): true_weather(CONFIG, loc.location_id, hours)[
            "temperature_c"
        ].mean()
        for loc in LOCATIONS
        for name, hours in (("jul", july), ("jan", january))
    }
    assert mean["seville", "jul"] > mean["paris", "jul"] > mean["helsinki", "jan"]
    assert mean["helsinki", "jan"] < -2 and mean["seville", "jul"] > 24


def test_forecast_error_grows_with_horizon() -> None:
    tables = [simulate_weather(CONFIG, d).to_pandas() for d in _days(date(2024, 3, 1), 30)]
    df = pd.concat(tables)
    obs = df[df["kind"] == "observation"].set_index(["location_id", "valid_at_utc"])
    fc = df[df["kind"] == "forecast"].copy()
    fc["horizon_h"] = (fc["valid_at_utc"] - fc["issued_at_utc"]) / pd.Timedelta(hours=1)
    truth = obs.loc[list(zip(fc["location_id"], fc["valid_at_utc"], strict=True)), "temperature_c"]
    fc["abs_error"] = np.abs(fc["temperature_c"].to_numpy() - truth.to_numpy())
    mae = fc.groupby("horizon_h")["abs_error"].mean()
    assert fc["horizon_h"].max() == 24 * CONFIG.forecast_days_ahead + 23 - 6
    assert mae[72] > 2 * mae[6]
    assert mae[6] > 0.2


# --- messiness ----------------------------------------------------------------------------------


def test_thirty_days_contain_duplicates_late_resends_gaps_and_an_unknown_meter(
    window: dict[date, SimulatedReadings], meters: pd.DataFrame
) -> None:
    df = _readings(window, 30)
    assert (df["source"] == "simulator").all() and (df["reported_unit"] == "kWh").all()
    key = ["meter_id", "interval_start_utc"]

    dup = df[df.duplicated([*key, "batch_id"], keep=False)]
    assert 0.002 < len(dup) / 2 / len(df) < 0.01
    assert dup.groupby([*key, "batch_id"])["energy_kwh"].nunique(dropna=False).max() == 1

    late = df[df["batch_id"].str.contains("resend")]
    assert 0.008 < len(late) / len(df) < 0.03
    assert ((late["ingested_at_utc"].dt.date - late["day"]) >= timedelta(days=2)).all()
    regular = df[~df["batch_id"].str.contains("resend")].drop_duplicates(key)
    both = late.merge(regular, on=key, suffixes=("_late", "_regular"))
    assert (both["energy_kwh_late"] != both["energy_kwh_regular"]).sum() > 10  # revised values
    assert (both["energy_kwh_late"] == both["energy_kwh_regular"]).sum() > 10  # plain re-sends
    assert len(both) < len(late)  # some readings arrive only late

    registered = meters.set_index("meter_id")
    known = df[df["meter_id"].isin(registered.index)]
    per_meter_day = known.groupby(["meter_id", "day"])["interval_start_utc"].nunique()
    expected = 1440 // per_meter_day.index.get_level_values("meter_id").map(
        registered["interval_minutes"]
    )
    short = per_meter_day[per_meter_day.to_numpy() < expected.to_numpy()]
    assert 0.02 < len(short) / len(per_meter_day) < 0.1

    assert sim.UNKNOWN_METER_ID in set(df["meter_id"]) - set(registered.index)
    assert df["energy_kwh"].isna().sum() > 0
    assert 0 < df["is_estimated"].sum() < 0.01 * len(df)
    assert (
        df["interval_minutes"] == df["meter_id"].map(registered["interval_minutes"]).fillna(15)
    ).all()


def test_a_whole_meter_day_goes_missing_only_rarely(
    window: dict[date, SimulatedReadings], meters: pd.DataFrame
) -> None:
    df = _readings(window)
    received = set(zip(df["meter_id"], df["day"], strict=True))
    installed = meters[meters["installed_on"] <= START]["meter_id"]
    expected = {(meter, day) for meter in installed for day in window}
    missing = expected - received
    assert 0 < len(missing) < 0.01 * len(expected)


# --- anomalies and their answer key ---------------------------------------------------------------


def test_sixty_days_label_every_anomaly_type_with_a_few_dozen_events(
    window: dict[date, SimulatedReadings],
) -> None:
    labels = _labels(window)
    assert set(labels["anomaly_type"]) == ANOMALY_TYPES
    events = labels.drop_duplicates("event_id")
    assert 20 <= len(events) <= 60
    assert not labels.duplicated(["event_id", "day"]).any()
    labelled_meter_days = labels[["meter_id", "day"]].drop_duplicates()
    assert len(labelled_meter_days) < 0.1 * CONFIG.n_meters * len(window)


def test_multi_day_events_keep_their_id_and_are_clipped_to_each_day(
    window: dict[date, SimulatedReadings],
) -> None:
    labels = _labels(window)
    multi = labels[labels["anomaly_type"].isin(["sustained_drop", "unit_error"])]
    for _, rows in multi.groupby("event_id"):
        days = sorted(rows["day"])
        assert days == _days(days[0], len(days))  # consecutive days, one row each
        assert (rows["start_utc"].dt.date == rows["day"]).all()
        assert (rows["end_utc"] - rows["start_utc"] == pd.Timedelta(days=1)).all()
        assert rows["meter_id"].nunique() == 1 and rows["magnitude"].nunique() == 1
    theft_days = multi[multi["anomaly_type"] == "sustained_drop"].groupby("event_id").size()
    assert theft_days.max() >= 5 and theft_days.max() <= 20


def test_labelled_intervals_differ_from_what_the_meter_would_have_sent(
    window: dict[date, SimulatedReadings],
) -> None:
    labels = _labels(window)
    checked: set[str] = set()
    for day, day_labels in labels.groupby("day"):
        injected = _regular(window[day].readings).set_index(["meter_id", "interval_start_utc"])
        counterfactual = _regular(
            simulate_readings(CONFIG, day, inject_anomalies=False).readings
        ).set_index(["meter_id", "interval_start_utc"])
        for label in day_labels.itertuples():
            inside = injected.loc[label.meter_id]
            inside = inside[(inside.index >= label.start_utc) & (inside.index < label.end_utc)][
                "energy_kwh"
            ]
            before = counterfactual.loc[label.meter_id]["energy_kwh"].reindex(inside.index)
            assert len(inside) > 0
            if label.anomaly_type == "zero_dropout":
                assert (inside == 0).all() and (before != 0).any()
            elif label.anomaly_type == "flatline":
                assert (inside == label.magnitude).all() and label.magnitude != 0
                assert before.nunique() > 1
            elif label.anomaly_type == "spike":
                assert (inside > before).all()
            elif label.anomaly_type == "sustained_drop":
                assert inside.sum() < 0.8 * before.sum()
            elif label.anomaly_type == "unit_error":
                np.testing.assert_allclose(inside, 1000 * before, atol=1.0)
            checked.add(label.anomaly_type)
        # outside the labelled meters, the day is untouched
        others = ~injected.index.get_level_values(0).isin(day_labels["meter_id"])
        pd.testing.assert_frame_equal(injected[others], counterfactual[others])
    assert checked == ANOMALY_TYPES


def test_clean_meters_never_get_a_label(window: dict[date, SimulatedReadings]) -> None:
    clean = clean_meter_ids(CONFIG)
    assert 3 <= len(clean) <= 10
    assert clean <= set(simulate_meters(CONFIG)["meter_id"].to_pylist())
    assert clean.isdisjoint(_labels(window)["meter_id"])
    assert sim.unit_error_meter_id(CONFIG) not in clean


# --- scale ----------------------------------------------------------------------------------------


def test_a_thousand_meters_all_report_on_an_ordinary_day() -> None:
    config = SimulatorConfig(n_meters=1000)
    readings = simulate_readings(config, date(2024, 1, 16)).readings
    installed = {
        m["meter_id"]
        for m in simulate_meters(config).to_pylist()
        if m["installed_on"] <= date(2024, 1, 16)
    }
    reporting = set(readings.column("meter_id").to_pylist())
    assert len(installed - reporting) <= 5  # a rare whole-day outage
    assert reporting - installed <= {sim.UNKNOWN_METER_ID}
    assert 1000 * 48 <= readings.num_rows <= 1000 * 96 * 1.05
