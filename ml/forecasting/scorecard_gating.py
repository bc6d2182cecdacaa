"""Scorecard gating: meter-days the gold quality scorecard marks `bad` teach the model nothing.

A bad day's readings (mostly missing, negative, flat, unit-corrected...) would otherwise train
the booster and the vanilla regression, set the meter's level and profile, and reach later days
through their lags. Gating blanks them instead of dropping rows: a blank reading is ignored by
training, levels and profiles, a blank lag is what the model already handles, and every row
still gets a forecast.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

BAD = "bad"
LAGS = {"lag_1d_kwh": 1, "lag_2d_kwh": 2, "lag_7d_kwh": 7}


def bad_days(scorecard: pl.DataFrame) -> pl.DataFrame:
    """(meter_id, day) of the scorecard rows whose `status` is `bad`."""
    return (
        scorecard.filter(pl.col("status") == BAD)
        .select(pl.col("meter_id").cast(pl.String), "day")
        .unique()
    )


def without_bad_days(features: pl.DataFrame, scorecard: pl.DataFrame) -> pl.DataFrame:
    """`features` (gold consumption features) with `energy_kwh` blanked on the meter-days the
    scorecard marks bad, and each lag blanked where it reads such a day; same rows, same order."""
    bad = bad_days(scorecard).with_columns(_bad=pl.lit(True))
    if bad.height == 0:
        return features
    present = [lag for lag in LAGS if lag in features.columns]
    meter = pl.col("meter_id").cast(pl.String)
    frame = features.with_columns(_meter=meter).join(
        bad.rename({"meter_id": "_meter"}), on=["_meter", "day"], how="left", maintain_order="left"
    )
    blanked = [pl.when(pl.col("_bad").is_null()).then(pl.col("energy_kwh")).alias("energy_kwh")]
    for lag in present:
        source = bad.rename({"meter_id": "_meter", "_bad": f"_bad_{lag}"}).with_columns(
            pl.col("day") + timedelta(days=LAGS[lag])
        )
        frame = frame.join(source, on=["_meter", "day"], how="left", maintain_order="left")
        blanked.append(pl.when(pl.col(f"_bad_{lag}").is_null()).then(pl.col(lag)).alias(lag))
    return frame.with_columns(blanked).select(features.columns)
