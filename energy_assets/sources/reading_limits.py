"""The stated ceiling on one reading's energy, applied after unit conversion.

A value that overflows when converted (`power_kw=1e308` becomes +inf) or that no meter can draw
would pass into silver and gold as a number; rejecting it where it is parsed puts it in
quarantine with its reason, and keeps it out of every check and sum downstream.
"""

from __future__ import annotations

import polars as pl

from checks.contracts import INTERVAL_MINUTES

MAX_MEAN_POWER_KW = 1e10
"""10 TW: above the whole world's mean electricity demand (about 3 TW), so above any meter,
feeder or national grid."""


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
