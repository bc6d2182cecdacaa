"""What a meter should have consumed, and how far from it is unusual for that meter.

Two expectations, both judged against the meter's own history so a cold day's heating load is not
an anomaly:
- per interval: the day-ahead model's P50 under the observed weather (`ml.forecasting.model.
  expected_consumption`, its named fallback where the model cannot run), with the residual scaled
  robustly per meter, local hour and day type (median and MAD over the history), so a meter whose
  evenings the model always underestimates is not flagged every evening;
- per day: a small weather regression of the meter's daily kWh on the day type and on heating
  and cooling degrees in proportion to the day type's level, fitted robustly on its own
  history. It does not use lags, so a drop that lasts weeks (theft) does not become the new
  normal the way it does for a lag-based model.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import polars as pl

from ml.features import COOLING_BASE_C, HEATING_BASE_C
from ml.forecasting.inputs import day_kind

MAD_TO_SD = 1.4826
MIN_RESIDUAL_SCALE = 0.03
"""Floor of the residual scale, as a share of the meter's level: a meter whose model residual is
almost constant would otherwise turn rounding noise into huge deviations."""


SLOT_HIGH_QUANTILE = 0.9
"""Quantile of the meter's readings in a slot that `slot_high_kwh` reports: how high it
usually reads there, a few outliers aside."""
SLOT_LOW_QUANTILE = 0.1
"""Quantile of the meter's readings in a slot that `slot_low_kwh` reports: how low it usually
reads there."""
SLOT = ("meter_id", "local_hour", "day_kind")
RESIDUAL_SLOT = ["meter_id", "local_hour", "is_working_day"]


def is_working_day() -> pl.Expr:
    """Neither a weekend nor a public holiday of the meter's calendar (gold features columns)."""
    return ~(pl.col("is_weekend") | pl.col("is_holiday"))


def meter_levels(history: pl.DataFrame) -> pl.DataFrame:
    """`meter_id`, `level_kwh` (mean |kWh| per interval) and `history_days` of the history."""
    return (
        history.filter(pl.col("energy_kwh").is_not_null())
        .group_by("meter_id")
        .agg(
            level_kwh=pl.col("energy_kwh").abs().mean(),
            history_days=pl.col("day").n_unique().cast(pl.Int32),
        )
    )


def _residual(level: pl.Expr) -> pl.Expr:
    return (pl.col("energy_kwh") - pl.col("expected_kwh")) / level


def residual_scales(history: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`meter_levels` of `history` (rows with `energy_kwh` and `expected_kwh`), and per meter,
    local hour and day type (`is_working_day`) the median and the MAD of the residual as a share
    of the meter's level: `residual_median`, `residual_mad`. (Splitting Saturdays from Sundays
    and holidays made the scales of each tighter and raised more false model-residual events,
    not fewer.)"""
    levels = meter_levels(history)
    scales = (
        history.filter(pl.col("energy_kwh").is_not_null() & pl.col("expected_kwh").is_not_null())
        .join(levels, on="meter_id")
        .with_columns(is_working_day=is_working_day(), residual=_residual(pl.col("level_kwh")))
        .group_by(RESIDUAL_SLOT)
        .agg(
            residual_median=pl.col("residual").median(),
            residual_mad=(pl.col("residual") - pl.col("residual").median()).abs().median(),
        )
    )
    return levels, scales


def with_residual_z(
    target: pl.DataFrame, levels: pl.DataFrame, scales: pl.DataFrame
) -> pl.DataFrame:
    """`target` rows (with `energy_kwh` and `expected_kwh`) with `level_kwh`, `history_days` and
    `residual_z`: the residual (as a share of the meter's level) minus its median in the same
    meter, local hour and day type, over the robust spread there (`residual_scales`). Null
    where the meter has no history for the slot."""
    spread = (MAD_TO_SD * pl.col("residual_mad")).clip(lower_bound=MIN_RESIDUAL_SCALE)
    return (
        target.with_columns(is_working_day=is_working_day())
        .join(levels, on="meter_id", how="left")
        .join(scales, on=RESIDUAL_SLOT, how="left")
        .with_columns(
            residual_z=(_residual(pl.col("level_kwh")) - pl.col("residual_median")) / spread
        )
        .drop("residual_median", "residual_mad")
    )


def calendar_day_kind() -> pl.Expr:
    """`day_kind` (working day, Saturday, Sunday or holiday) with the bridge days of the
    meter's calendar (`ml.features.local_calendar`: a working day between a holiday and a
    weekend) counted with Sundays and holidays: many shops and offices close then."""
    return (
        pl.when(pl.col("is_bridge_day"))
        .then(pl.lit(2, pl.Int8))
        .otherwise(day_kind())
        .alias("day_kind")
    )


def slot_ranges(history: pl.DataFrame) -> pl.DataFrame:
    """Per meter, local hour and day kind (`calendar_day_kind`): `slot_low_kwh` and
    `slot_high_kwh`, the `SLOT_LOW_QUANTILE` and `SLOT_HIGH_QUANTILE` of the meter's readings
    there over `history` as the meter sent it: how low and how high it usually reads there.
    Not the clean history: that leaves out what looks like a spike, and a household's kettle
    or oven, which looks like one, is what it does most evenings; quantiles well inside the
    range are not moved by the few true spikes, bursts or drops in the history."""
    energy = pl.col("energy_kwh")
    return (
        history.filter(energy.is_not_null())
        .with_columns(calendar_day_kind())
        .group_by(SLOT)
        .agg(
            slot_low_kwh=energy.quantile(SLOT_LOW_QUANTILE),
            slot_high_kwh=energy.quantile(SLOT_HIGH_QUANTILE),
        )
    )


def with_slot_range(target: pl.DataFrame, ranges: pl.DataFrame) -> pl.DataFrame:
    """`target` with `slot_low_kwh` and `slot_high_kwh` of its slot (`slot_ranges`). A bridge
    day's range spans both its own kind's (with Sundays and holidays) and its weekday's: the
    calendar cannot say whether a meter closes then (many offices do, a shop may open as on
    any Friday), and a reading usual for either is not unusual."""
    judged = target.with_columns(calendar_day_kind()).join(
        ranges, on=list(SLOT), how="left", maintain_order="left"
    )
    if not target["is_bridge_day"].any():
        return judged.drop("day_kind")
    weekday = ranges.rename(
        {"day_kind": "weekday_kind", "slot_low_kwh": "weekday_low", "slot_high_kwh": "weekday_high"}
    )
    bridge = pl.col("is_bridge_day").fill_null(False)
    return (
        judged.with_columns(weekday_kind=day_kind())
        .join(
            weekday, on=["meter_id", "local_hour", "weekday_kind"], how="left",
            maintain_order="left",
        )
        .with_columns(
            slot_low_kwh=pl.when(bridge)
            .then(pl.min_horizontal("slot_low_kwh", "weekday_low"))
            .otherwise("slot_low_kwh"),
            slot_high_kwh=pl.when(bridge)
            .then(pl.max_horizontal("slot_high_kwh", "weekday_high"))
            .otherwise("slot_high_kwh"),
        )
        .drop("day_kind", "weekday_kind", "weekday_low", "weekday_high")
    )  # fmt: skip


def daily_consumption(features: pl.DataFrame) -> pl.DataFrame:
    """Per meter and UTC day: `energy_kwh` (null unless every interval has a reading), mean
    heating and cooling degrees of the observed temperature (null without observations), mean
    solar radiation (as forecast the day before: gold keeps no observed radiation), and whether
    most of the day is a working day, a Saturday, a bridge day (the features' calendar)."""
    temperature = pl.col("observed_temperature_c")
    return (
        features.lazy()
        .group_by("meter_id", "day")
        .agg(
            energy_kwh=pl.when(pl.col("energy_kwh").null_count() == 0).then(
                pl.col("energy_kwh").sum()
            ),
            heating_degree_c=(HEATING_BASE_C - temperature).clip(lower_bound=0.0).mean(),
            cooling_degree_c=(temperature - COOLING_BASE_C).clip(lower_bound=0.0).mean(),
            radiation_wm2=pl.col("shortwave_radiation_wm2").mean(),
            is_working_day=is_working_day().mean() >= 0.5,
            is_saturday=(day_kind() == 1).mean() >= 0.5,
            is_bridge_day=pl.col("is_bridge_day").mean() >= 0.5,
        )
        .sort("meter_id", "day")
        .collect()
    )


KINDS = 4
"""Columns of the day-kind part of `_design`: the level of a working day, a Saturday, a bridge
day, a Sunday or holiday."""


def _design(days: dict[str, np.ndarray], with_weather: bool, with_sun: bool = False) -> np.ndarray:
    """The day kind (working day, Saturday, bridge day, else Sunday or holiday: a shop's
    Saturday is neither its weekday nor its Sunday), then the weather and the sun. A kind the
    reference days lack gets no weight (least squares' minimum norm)."""
    columns = [
        np.ones(len(days["is_working_day"])),
        days["is_working_day"],
        days["is_saturday"],
        days["is_bridge_day"],
    ]
    if with_weather:
        columns += [days["heating_degree_c"], days["cooling_degree_c"]]
    if with_sun:
        columns.append(days["radiation_wm2"])
    return np.column_stack(columns)


class _Fit(NamedTuple):
    """A daily fit: `coef` over the columns of `_design`, and `kind_levels`, the day kinds'
    levels that scale its weather terms (`_consumption`)."""

    coef: np.ndarray
    kind_levels: np.ndarray


def _scaled(x: np.ndarray, kind_levels: np.ndarray) -> np.ndarray:
    """`x` (`_design`) with its weather columns multiplied by each day's kind level (clipped at
    zero): a linear fit's weather coefficients are then slopes relative to that level."""
    scaled = x.copy()
    level = np.clip(x[:, :KINDS] @ kind_levels, 0.0, None)
    scaled[:, KINDS : KINDS + 2] *= level[:, None]
    return scaled


def _consumption(x: np.ndarray, fit: _Fit, with_sun: bool) -> np.ndarray:
    """The fit's consumption of each day of `x` (`_design`), the panels' term aside. The
    weather moves a day in proportion to its kind's level, as heating and cooling follow
    occupancy: a working day's slope applied to a shop's closed Sunday would expect it to heat
    like an open day."""
    columns = x[:, :-1] if with_sun else x
    coef = fit.coef[:-1] if with_sun else fit.coef
    if columns.shape[1] > KINDS:
        columns = _scaled(columns, fit.kind_levels)
    return np.asarray(columns @ coef)


def _predicted(x: np.ndarray, fit: _Fit, with_sun: bool) -> np.ndarray:
    """The fit's daily kWh of each day of `x`: `_consumption` plus the panels' term."""
    return _consumption(x, fit, with_sun) + (x[:, -1] * fit.coef[-1] if with_sun else 0.0)


REFITS = 3
"""Fits of the weather scaled by the kinds' levels, each on the levels of the one before (its
predictions then move by a fraction of a percent)."""


def _least_squares(x: np.ndarray, y: np.ndarray, with_weather: bool) -> _Fit:
    """The `_Fit` of the days of `x` and `y`: least squares of the day kinds (and the sun)
    alone for the kinds' mean levels, then `REFITS` times of every column, the weather scaled
    by the kinds' levels of the fit before."""
    if not with_weather:
        coef = np.linalg.lstsq(x, y, rcond=None)[0]
        return _Fit(coef, coef[:KINDS])
    kinds = np.delete(x, [KINDS, KINDS + 1], axis=1)
    fit = _Fit(np.linalg.lstsq(kinds, y, rcond=None)[0], np.zeros(KINDS))
    for _ in range(REFITS):
        kind_levels = fit.coef[:KINDS]
        fit = _Fit(np.linalg.lstsq(_scaled(x, kind_levels), y, rcond=None)[0], kind_levels)
    return fit


def _held_ratio(x: np.ndarray, y: np.ndarray, fitted: np.ndarray, run: int) -> float:
    """The highest share of its fit (`fitted`, per day) the meter held for `run` reference
    days running (the largest of the rolling minima over the days the fit expects positive),
    NaN with fewer days: a meter back at a level it already held for days is not news again."""
    if len(y) < run:
        return float("nan")
    share = np.where(fitted > 0, y / np.where(fitted > 0, fitted, 1.0), np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(share, run)
    minima = windows.min(axis=1)
    return float(np.nanmax(minima)) if np.isfinite(minima).any() else float("nan")


def _robust_fit(
    x: np.ndarray, y: np.ndarray, with_weather: bool, with_sun: bool
) -> tuple[_Fit, float]:
    """`_least_squares`, refitted twice without the days beyond 3 robust deviations (a theft of
    a few weeks in the history is trimmed as long as it is not most of it); the fit and the
    robust spread of the kept days' residuals as a share of their mean fitted
    consumption (`with_sun`: the last column is the radiation, whose term, the panels'
    estimated output, is left out of it: a prosumer's net days near zero are not a tiny
    level)."""
    keep = np.ones(len(y), dtype=bool)
    fit = _Fit(np.zeros(x.shape[1]), np.zeros(KINDS))
    spread = 0.0
    for _ in range(3):
        fit = _least_squares(x[keep], y[keep], with_weather)
        residual = y - _predicted(x, fit, with_sun)
        spread = MAD_TO_SD * float(np.median(np.abs(residual[keep] - np.median(residual[keep]))))
        wider = np.abs(residual) <= 3.0 * max(spread, 1e-9) + 1e-9
        if wider.sum() < x.shape[1] + 2:
            break
        keep = wider
    consumption = _consumption(x, fit, with_sun)
    level = float(np.mean(consumption[keep]))
    return fit, spread / level if level > 0 else float("inf")


class BaselineFits:
    """Each meter's robust daily fits (`_robust_fit`) on its complete days in [first, last] of
    `reference` (`daily_consumption`, of the clean history so days already known to be
    anomalous do not teach the baseline), one per design (day type only, with weather, with
    sun), each fitted when first asked for and kept: a week's days share them."""

    def __init__(self, reference: pl.DataFrame, first: date, last: date, run_days: int) -> None:
        self._run_days = run_days
        fits = reference.filter(
            pl.col("day").is_between(first, last) & pl.col("energy_kwh").is_not_null()
        ).sort("meter_id", "day")
        self._days = _arrays_by_meter(fits, (*_DESIGN_COLUMNS, "energy_kwh"))
        self._fitted: dict[tuple[str, bool, bool], tuple[_Fit, float, float]] = {}

    def days(self, meter: str) -> int:
        at = self._days[meter][0] if meter in self._days else slice(0, 0)
        return at.stop - at.start

    def fit(self, meter: str, with_weather: bool, with_sun: bool) -> tuple[_Fit, float, float]:
        """The fit (`_Fit`), relative spread and held ratio (`_held_ratio` over `run_days`) of
        `meter`'s fit with that design."""
        key = (meter, with_weather, with_sun)
        if key not in self._fitted:
            days = self._days[meter][1]
            x, y = _design(days, with_weather, with_sun), days["energy_kwh"]
            fit, spread = _robust_fit(x, y, with_weather, with_sun)
            held = _held_ratio(x, y, _predicted(x, fit, with_sun), self._run_days)
            self._fitted[key] = (fit, spread, held)
        return self._fitted[key]


def baseline_fits(
    reference: pl.DataFrame, day: date, reference_days: int, exclude_days: int
) -> BaselineFits:
    """The `BaselineFits` a baseline of `day` learns from: the days of `reference` in
    [day - reference_days, day - exclude_days] (`exclude_days`: as many as a drop or a rise
    must last, also how long a level must hold to count as held)."""
    return BaselineFits(
        reference,
        day - timedelta(days=reference_days),
        day - timedelta(days=exclude_days),
        exclude_days,
    )


def daily_baseline(
    daily: pl.DataFrame,
    day: date,
    fits: BaselineFits,
    min_days: int,
    solar: frozenset[str] = frozenset(),
) -> pl.DataFrame:
    """Each meter's expected daily kWh for the days of `daily` (`daily_consumption`) up to
    `day`, from its fit (`baseline_fits`): `baseline_kwh`, `baseline_spread` (the robust spread
    of the reference days around it, as a share of the consumption it expects),
    `baseline_held_ratio` (`_held_ratio`) and `baseline_note` saying what the fit used.
    Meters with fewer than `min_days` reference days get no baseline (null) and the note says
    so; the fit leaves out the weather when a day of `daily` lacks it. Meters in `solar` (they
    can export: net metering) are adjusted for solar radiation too, so a sunny spring is not a
    drop, and `baseline_solar_kwh` is that term (the panels' estimated output, negative; 0 for
    the others): net of it, a prosumer's day and baseline are consumption again, which a drop
    shrinks by its share even when the panels make both net figures negative."""
    rows = daily.filter(pl.col("day") <= day).sort("meter_id", "day")
    rows_by_meter = _arrays_by_meter(rows, _DESIGN_COLUMNS)
    baseline = np.full(rows.height, np.nan)
    solar_term = np.zeros(rows.height)
    spreads, helds, notes = [], [], []
    for meter, (at, columns) in rows_by_meter.items():
        fit_days = fits.days(meter)
        with_weather = fit_days >= min_days and not np.isnan(columns["heating_degree_c"]).any()
        with_sun = with_weather and meter in solar and not np.isnan(columns["radiation_wm2"]).any()
        if fit_days < min_days:
            spreads.append(float("nan"))
            helds.append(float("nan"))
            notes.append(f"{fit_days} complete days of history (needs {min_days})")
            continue
        fit, spread, held = fits.fit(meter, with_weather, with_sun)
        baseline[at] = _predicted(_design(columns, with_weather, with_sun), fit, with_sun)
        if with_sun:
            solar_term[at] = columns["radiation_wm2"] * fit.coef[-1]
        spreads.append(spread)
        helds.append(held)
        notes.append(
            f"weather-adjusted{' (with sun)' if with_sun else ''} on {fit_days} days"
            if with_weather
            else f"day type only (weather missing) on {fit_days} days"
        )
    per_meter = pl.DataFrame(
        {
            "meter_id": list(rows_by_meter),
            "baseline_spread": pl.Series(spreads, dtype=pl.Float64).fill_nan(None),
            "baseline_held_ratio": pl.Series(helds, dtype=pl.Float64).fill_nan(None),
            "baseline_note": pl.Series(notes, dtype=pl.String),
        },
        schema_overrides={"meter_id": rows.schema["meter_id"]},
    )
    return rows.with_columns(
        baseline_kwh=pl.Series(baseline, dtype=pl.Float64).fill_nan(None),
        baseline_solar_kwh=pl.Series(solar_term, dtype=pl.Float64),
    ).join(per_meter, on="meter_id", how="left", maintain_order="left")


_DESIGN_COLUMNS = (
    "is_working_day",
    "is_saturday",
    "is_bridge_day",
    "heating_degree_c",
    "cooling_degree_c",
    "radiation_wm2",
)


def _arrays_by_meter(
    frame: pl.DataFrame, columns: tuple[str, ...]
) -> dict[str, tuple[slice, dict[str, np.ndarray]]]:
    """Per meter of `frame` (sorted by meter): its rows' slice and the `columns` as float arrays
    (nulls as NaN), cut from one conversion of the whole frame."""
    arrays = {c: frame[c].cast(pl.Float64).to_numpy() for c in columns}
    counts = frame.group_by("meter_id", maintain_order=True).len()
    result = {}
    offset = 0
    for meter, count in counts.iter_rows():
        at = slice(offset, offset + count)
        result[meter] = (at, {c: values[at] for c, values in arrays.items()})
        offset += count
    return result
