"""Tao Hong's "vanilla" benchmark regression, the yardstick of the GEFCom load-forecasting
competitions, as a forecaster: per meter, ordinary least squares of consumption on

    trend + month + weekday x hour + (T + T^2 + T^3) x month + (T + T^2 + T^3) x hour

with T the temperature as known at issue time (`temperature_c`). Hours and weekdays are the
meter's local ones. A meter without temperature in its training rows gets the same regression
without the temperature terms. Temperatures are clipped to the range seen in training before the
cubic terms are formed: a cubic fitted on one building's nine months extrapolates wildly
(99.6% MAPE on `it_building` unclipped). For the same reason the trend is left out when the
training rows span less than `TREND_MIN_DAYS` (on a few months it is the season, not growth), and a
month never seen in training takes the terms of the nearest month that was. The P10/P90 band is
the fit's own residual quantiles per local hour.

Inputs are frames shaped like gold `consumption_features` (model inputs of `ml.forecasting`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

if TYPE_CHECKING:
    # `design` imports it when a regression is built: never when the definitions load.
    from scipy import sparse

VANILLA = "fallback:vanilla"
VANILLA_NO_TEMPERATURE = "fallback:vanilla_no_temperature"
"""`model_used` of the regression, with and without its temperature terms."""
MIN_ROWS_PER_TERM = 2
"""A meter needs this many training rows per coefficient, else it gets no regression."""
RIDGE = 1e-6
"""Relative ridge on the normal equations: the one-hot blocks are collinear by design (months,
hours and weekday x hour each sum to one); a tiny ridge picks the least-norm solution."""
TREND_ORIGIN = date(2000, 1, 1)
TREND_MIN_DAYS = 365
_COLUMNS = ("local_minute_of_day", "local_day_of_week", "month", "interval_start_utc", "day")


@dataclass(frozen=True)
class MeterRegression:
    """One meter's fitted regression."""

    coefficients: np.ndarray
    uses_temperature: bool
    uses_trend: bool
    month_terms: np.ndarray
    """Per calendar month (0-11), the month whose terms it takes: itself if seen in training,
    else the nearest seen month."""
    temperature_low_c: float
    temperature_high_c: float
    temperature_mean_c: float
    temperature_scale_c: float
    residual_p10_kwh: np.ndarray
    """Per local hour (24 values)."""
    residual_p90_kwh: np.ndarray


def _calendar(rows: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Local hour (0-23), weekday (0-6), month (0-11) and trend (years since `TREND_ORIGIN`)."""
    hour = (rows["local_minute_of_day"].to_numpy() // 60).astype(np.int64)
    weekday = rows["local_day_of_week"].to_numpy().astype(np.int64)
    month = rows["month"].to_numpy().astype(np.int64) - 1
    origin = pl.lit(TREND_ORIGIN).cast(pl.Datetime("us", "UTC"))
    years = rows.select(
        (pl.col("interval_start_utc") - origin).dt.total_hours() / (24 * 365.25)
    ).to_series()
    return hour, weekday, month, years.to_numpy().astype(np.float64)


def nearest_months(seen: np.ndarray) -> np.ndarray:
    """Per calendar month (0-11), itself if in `seen`, else the nearest seen month (circular)."""
    months = np.arange(12)
    distance = np.abs(months[:, None] - np.asarray(seen)[None, :])
    distance = np.minimum(distance, 12 - distance)
    return np.asarray(seen)[np.argmin(distance, axis=1)]


def design(
    rows: pl.DataFrame,
    temperature: np.ndarray | None,
    uses_trend: bool = True,
    month_terms: np.ndarray | None = None,
) -> sparse.csr_array:
    """The regression's columns for `rows`: `temperature` standardised, or None for the
    calendar-only variant; months mapped through `month_terms` (see `nearest_months`).

    Sparse: of its 289 columns a row has at most 10 not zero (one month, one weekday x hour, the
    trend, six temperature terms), so the normal equations cost rows x 10^2, not rows x 289^2 (a
    year of one meter's weekly fits spent 3.4 s of CPU on the dense product)."""
    from scipy import sparse

    hour, weekday, month, trend = _calendar(rows)
    if month_terms is not None:
        month = month_terms[month].astype(np.int64)
    ones = np.ones(len(hour))
    columns, values, width = [month, 12 + weekday * 24 + hour], [ones, ones], 12 + 7 * 24
    if uses_trend:
        columns.append(np.full(len(hour), width))
        values.append(trend)
        width += 1
    if temperature is not None:
        for power in (1, 2, 3):
            t = temperature**power
            columns += [width + month, width + 12 + hour]
            values += [t, t]
            width += 12 + 24
    row = np.tile(np.arange(len(hour)), len(columns))
    return sparse.csr_array(
        (np.concatenate(values), (row, np.concatenate(columns))), shape=(len(hour), width)
    )


def _standardised(temperature: np.ndarray, model: MeterRegression) -> np.ndarray:
    clipped = np.clip(temperature, model.temperature_low_c, model.temperature_high_c)
    return (clipped - model.temperature_mean_c) / model.temperature_scale_c


def _design(
    rows: pl.DataFrame, model: MeterRegression, temperature: np.ndarray
) -> sparse.csr_array:
    standardised = _standardised(temperature, model) if model.uses_temperature else None
    return design(rows, standardised, model.uses_trend, model.month_terms)


def fit_meter(rows: pl.DataFrame) -> MeterRegression | None:
    """Fit one meter's regression on `rows` (with `energy_kwh`; rows without it are ignored), with
    temperature terms when every row has a temperature. None when there are too few rows."""
    rows = rows.filter(pl.col("energy_kwh").is_not_null())
    temperature = rows["temperature_c"].cast(pl.Float64).to_numpy()
    uses_temperature = bool(len(temperature)) and bool(np.isfinite(temperature).all())
    if not uses_temperature and rows["temperature_c"].is_not_null().any():
        rows = rows.filter(pl.col("temperature_c").is_not_null())
        temperature = rows["temperature_c"].cast(pl.Float64).to_numpy()
        uses_temperature = bool(len(temperature))
    low = float(temperature.min()) if uses_temperature else 0.0
    high = float(temperature.max()) if uses_temperature else 0.0
    mean = float(temperature.mean()) if uses_temperature else 0.0
    scale = float(temperature.std()) or 1.0 if uses_temperature else 1.0
    span_days = rows.select((pl.col("day").max() - pl.col("day").min()).dt.total_days()).item()
    uses_trend = span_days is not None and span_days >= TREND_MIN_DAYS
    month_terms = (
        nearest_months(np.unique(rows["month"].to_numpy() - 1)) if rows.height else np.arange(12)
    )
    model = MeterRegression(
        np.empty(0),
        uses_temperature,
        uses_trend,
        month_terms,
        low,
        high,
        mean,
        scale,
        np.zeros(24),
        np.zeros(24),
    )
    matrix = _design(rows, model, temperature)
    if rows.height < MIN_ROWS_PER_TERM * matrix.shape[1]:
        return None
    target = rows["energy_kwh"].to_numpy().astype(np.float64)
    gram = (matrix.T @ matrix).toarray()
    ridge = RIDGE * float(np.trace(gram)) / gram.shape[0]
    coefficients = np.linalg.solve(gram + ridge * np.eye(gram.shape[0]), matrix.T @ target)
    residual = target - matrix @ coefficients
    hour = _calendar(rows)[0]
    p10, p90 = np.zeros(24), np.zeros(24)
    everywhere = np.quantile(residual, [0.1, 0.9])
    for h in range(24):
        at_hour = residual[hour == h]
        p10[h], p90[h] = np.quantile(at_hour, [0.1, 0.9]) if len(at_hour) else everywhere
    return MeterRegression(
        coefficients, uses_temperature, uses_trend, month_terms, low, high, mean, scale, p10, p90
    )


def fit(rows: pl.DataFrame) -> dict[str, MeterRegression]:
    """Each meter's regression fitted on its `rows` (gold-feature shaped, with `energy_kwh` and
    `temperature_c`); meters with too few rows are left out."""
    fitted = {}
    # One BLAS thread: the systems are small, and on a loaded machine OpenBLAS's threads spin
    # waiting for each other (a training's 50 solves took 57 s of wall time with two).
    with threadpool_limits(limits=1, user_api="blas"):
        for (meter,), group in rows.group_by("meter_id"):
            model = fit_meter(group)
            if model is not None:
                fitted[str(meter)] = model
    return fitted


def predict(models: dict[str, MeterRegression], rows: pl.DataFrame) -> pl.DataFrame:
    """Per row of `rows`: `vanilla_kwh`, `vanilla_p10_kwh`, `vanilla_p90_kwh` and `vanilla_used`
    (`VANILLA` or `VANILLA_NO_TEMPERATURE`); null where the meter has no regression, or its
    regression needs a temperature the row lacks."""
    n = rows.height
    point, low, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    used = np.full(n, None, dtype=object)
    indexed = rows.select(*_COLUMNS, "meter_id", "temperature_c").with_row_index("_row")
    for (meter,), group in indexed.group_by("meter_id"):
        model = models.get(str(meter))
        if model is None:
            continue
        rows_of_meter = (
            group.filter(pl.col("temperature_c").is_not_null()) if model.uses_temperature else group
        )
        if rows_of_meter.height == 0:
            continue
        temperature = rows_of_meter["temperature_c"].cast(pl.Float64).to_numpy()
        matrix = _design(rows_of_meter, model, temperature)
        index = rows_of_meter["_row"].to_numpy()
        hour = _calendar(rows_of_meter)[0]
        point[index] = matrix @ model.coefficients
        low[index] = point[index] + model.residual_p10_kwh[hour]
        high[index] = point[index] + model.residual_p90_kwh[hour]
        used[index] = VANILLA if model.uses_temperature else VANILLA_NO_TEMPERATURE
    return pl.DataFrame(
        {
            "vanilla_kwh": point,
            "vanilla_p10_kwh": low,
            "vanilla_p90_kwh": high,
            "vanilla_used": pl.Series(used.tolist(), dtype=pl.String),
        }
    ).with_columns(pl.col("vanilla_kwh", "vanilla_p10_kwh", "vanilla_p90_kwh").fill_nan(None))


def to_json(models: dict[str, MeterRegression]) -> dict[str, dict[str, Any]]:
    """`models` as plain JSON values (logged beside the booster, see `from_json`)."""
    return {
        meter: {
            name: value.tolist() if isinstance(value, np.ndarray) else value
            for name, value in asdict(model).items()
        }
        for meter, model in models.items()
    }


def from_json(values: dict[str, dict[str, Any]]) -> dict[str, MeterRegression]:
    """The regressions `to_json` wrote."""
    arrays = {"coefficients", "month_terms", "residual_p10_kwh", "residual_p90_kwh"}
    models = {}
    for meter, fields in values.items():
        restored: dict[str, Any] = {
            k: np.asarray(v) if k in arrays else v for k, v in fields.items()
        }
        models[meter] = MeterRegression(**restored)
    return models
