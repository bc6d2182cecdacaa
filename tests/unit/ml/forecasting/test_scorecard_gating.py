"""Meter-days the quality scorecard marks bad are blanked for training, levels and lags."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from ml.forecasting.scorecard_gating import without_bad_days


def features() -> pl.DataFrame:
    rows = []
    for meter in ("a", "b"):
        for offset in range(9):
            day = date(2024, 1, 1) + timedelta(days=offset)
            rows.append(
                {
                    "meter_id": meter,
                    "interval_start_utc": datetime(day.year, day.month, day.day, tzinfo=UTC),
                    "day": day,
                    "energy_kwh": float(offset),
                    "lag_1d_kwh": float(offset - 1) if offset >= 1 else None,
                    "lag_2d_kwh": float(offset - 2) if offset >= 2 else None,
                    "lag_7d_kwh": float(offset - 7) if offset >= 7 else None,
                }
            )
    return pl.DataFrame(rows)


def scorecard(*bad: tuple[str, date]) -> pl.DataFrame:
    rows = [{"meter_id": m, "day": d, "status": "bad"} for m, d in bad]
    rows.append({"meter_id": "a", "day": date(2024, 1, 4), "status": "degraded"})
    return pl.DataFrame(rows)


def test_a_bad_day_is_blanked_for_its_meter_and_in_the_lags_that_read_it() -> None:
    gated = without_bad_days(features(), scorecard(("a", date(2024, 1, 2))))
    a = {row["day"]: row for row in gated.filter(pl.col("meter_id") == "a").iter_rows(named=True)}
    assert a[date(2024, 1, 2)]["energy_kwh"] is None
    assert a[date(2024, 1, 3)]["lag_1d_kwh"] is None
    assert a[date(2024, 1, 4)]["lag_2d_kwh"] is None
    assert a[date(2024, 1, 9)]["lag_7d_kwh"] is None
    assert a[date(2024, 1, 4)]["energy_kwh"] == 3.0  # degraded is not bad
    untouched = gated.filter(pl.col("meter_id") == "b")
    assert untouched.equals(features().filter(pl.col("meter_id") == "b"))
    assert gated.height == features().height


def test_without_bad_days_the_features_are_unchanged() -> None:
    assert without_bad_days(features(), scorecard()).equals(features())
