"""The stated limits of one reading: its energy after unit conversion, and its day.

A value that overflows when converted (`power_kw=1e308` becomes +inf) or that no meter can draw
would pass into silver and gold as a number, and a reading dated 1900 or 2099 would be neither
landed nor rejected; rejecting them where they are parsed puts them in quarantine with their
reason, and keeps them out of every check and sum downstream.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from checks.contracts import INTERVAL_MINUTES

MAX_MEAN_POWER_KW = 1e11
"""100 TW: a thousand times a 100 GW national grid, so such a grid sent in Wh as kWh still reaches
silver, whose unit evidence corrects it; no meter draws more."""


def energy_error(energy_kwh: pl.Expr, interval_minutes: pl.Expr) -> pl.Expr:
    """Why a converted energy is impossible (not finite, or above `MAX_MEAN_POWER_KW` over its
    interval; the longest supported interval where none is known), else null."""
    minutes = interval_minutes.fill_null(max(INTERVAL_MINUTES))
    ceiling_kwh = minutes * (MAX_MEAN_POWER_KW / 60.0)
    return (
        pl.when(energy_kwh.is_nan() | energy_kwh.is_infinite())
        .then(pl.format("energy is not finite after unit conversion: {} kWh", energy_kwh))
        .when(energy_kwh.abs() > ceiling_kwh)
        .then(
            pl.format(
                "energy {} kWh exceeds the ceiling of {} kWh for a {}-minute interval "
                f"(a mean power above {MAX_MEAN_POWER_KW:.0e} kW)",
                energy_kwh,
                ceiling_kwh,
                minutes,
            )
        )
    )


FUTURE_MARGIN = timedelta(days=1)
"""How far past today (UTC) a reading may start: a meter's clock or zone a little ahead, never a
typo year that would create partitions up to 2099."""


def accepted_days(first: date, today: date) -> tuple[date, date]:
    """The first and last UTC day a reading may start on: the lake's first day (its start
    date) to today plus `FUTURE_MARGIN`."""
    return first, today + FUTURE_MARGIN


def day_error(day: pl.Expr, days: tuple[date, date]) -> pl.Expr:
    """Why a reading's UTC day is outside `days` (first, last; inclusive), else null."""
    first, last = days
    return (
        pl.when(day < first)
        .then(
            pl.format(
                f"starts on {{}}, before the lake's first day {first} (ENERGY_START_DATE)", day
            )
        )
        .when(day > last)
        .then(
            pl.format(
                f"starts on {{}}, after {last} (today plus a margin of {FUTURE_MARGIN.days} day)",
                day,
            )
        )
    )
