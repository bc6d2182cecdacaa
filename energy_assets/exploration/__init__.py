"""Read-only helpers behind the marimo notebooks (`notebooks/`): what the lake holds, windows of its
tables, time travel between Delta versions, forecast accuracy, the champion model and its
what-if curve.

Nothing here writes: Delta tables are read through their log (`Lake`), marts from their Parquet
exports (never dbt's DuckDB file), MLflow only when its store already exists. No Dagster either,
so a notebook starts fast and never blocks a run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from checks.contracts import (
    ALL_TABLES,
    GOLD_CONSUMPTION_FEATURES,
    TableContract,
    contract,
)
from energy_assets.marts.marts_io import exports_dir, marts_dir
from energy_assets.settings import mlflow_tracking_uri
from energy_assets.storage.lake import Lake
from ml.features import COOLING_BASE_C, HEATING_BASE_C
from ml.forecasting.evaluation import forecast_metrics
from ml.forecasting.model import GOLD_COLUMNS, LEVEL_DAYS, Predictor, forecast, model_inputs

MODEL_NAME = "day_ahead_consumption"
"""The registered forecasting model (`MlflowResource.model_name`; a unit test keeps them equal)."""
DAY_TYPES = ("as scheduled", "working day", "weekend", "public holiday")


def frame(table: pa.Table) -> pl.DataFrame:
    """An Arrow table as a polars frame."""
    result = pl.from_arrow(table)
    assert isinstance(result, pl.DataFrame)
    return result


def find_table(path: str) -> TableContract | None:
    """The contract of `path` (e.g. `gold/anomalies`), or None while no issue has added it."""
    try:
        return contract(path)
    except KeyError:
        return None


def missing_table_message(path: str, lake: Lake, how_to_build: str) -> str | None:
    """A plain sentence when `path` has no contract yet or was never written, else None."""
    table = find_table(path)
    if table is None or not lake.exists(table):
        return f"`{path}` is not built yet in `{lake.root}`: {how_to_build}."
    return None


def table_overview(lake: Lake) -> pl.DataFrame:
    """One row per table of the contracts: whether it exists, its days, rows and Delta version,
    all from the Delta logs (no data is read)."""
    rows = []
    for table in ALL_TABLES:
        days = lake.partition_days(table)
        version = lake.version(table)
        rows.append(
            {
                "table": table.path,
                "layer": table.layer,
                "grain": table.grain,
                "is_built": version is not None,
                "is_partitioned": table.partitioned,
                "days": len(days),
                "first_day": days[0] if days else None,
                "last_day": days[-1] if days else None,
                "rows": lake.row_count(table),
                "version": version,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"version": pl.Int64})


def version_history(lake: Lake, table: TableContract) -> pl.DataFrame:
    """Each commit of the table: version, when (UTC), operation, predicate and rows added."""
    dt = lake.delta_table(table)
    if dt is None:
        return pl.DataFrame(
            schema={
                "version": pl.Int64,
                "committed_at_utc": pl.Datetime("ms", "UTC"),
                "operation": pl.String,
                "predicate": pl.String,
                "rows_added": pl.Int64,
            }
        )
    return pl.DataFrame(
        [
            {
                "version": commit["version"],
                "committed_at_utc": commit["timestamp"],
                "operation": commit.get("operation"),
                "predicate": (commit.get("operationParameters") or {}).get("predicate"),
                "rows_added": (commit.get("operationMetrics") or {}).get("num_added_rows"),
            }
            for commit in dt.history()
        ],
        schema_overrides={"rows_added": pl.Int64},
    ).with_columns(pl.from_epoch("committed_at_utc", time_unit="ms").dt.replace_time_zone("UTC"))


def _files_by_day(lake: Lake, table: TableContract, version: int) -> dict[date | None, set[str]]:
    dt = lake.delta_table(table, version)
    assert dt is not None
    actions = pa.table(dt.get_add_actions(flatten=True))
    days = (
        actions.column("partition.day").to_pylist()
        if "partition.day" in actions.column_names
        else [None] * actions.num_rows
    )
    files: dict[date | None, set[str]] = {}
    for day, path in zip(days, actions.column("path").to_pylist(), strict=True):
        files.setdefault(day, set()).add(path)
    return files


def _rows_at(
    lake: Lake, table: TableContract, version: int, days: list[date | None]
) -> pl.DataFrame:
    dt = lake.delta_table(table, version)
    assert dt is not None
    dataset = dt.to_pyarrow_dataset()
    if table.partitioned:
        import pyarrow.dataset as ds

        wanted = pa.array([d for d in days if d is not None], pa.date32())
        data = dataset.to_table(filter=ds.field("day").isin(wanted))
    else:
        data = dataset.to_table()
    return frame(data.select(table.schema.names).cast(table.schema))


def version_diff(lake: Lake, table: TableContract, old: int, new: int) -> pl.DataFrame:
    """What changed between two versions, per day: rows before and after, and rows added,
    removed or changed (same key, other values). Only the days whose files differ are read."""
    before, after = _files_by_day(lake, table, old), _files_by_day(lake, table, new)
    touched = sorted(
        (d for d in before.keys() | after.keys() if before.get(d) != after.get(d)),
        key=lambda d: d or date.min,
    )
    columns = pl.Schema(
        {
            "day": pl.Date,
            "rows_before": pl.Int64,
            "rows_after": pl.Int64,
            "rows_added": pl.Int64,
            "rows_removed": pl.Int64,
            "rows_changed": pl.Int64,
        }
    )
    if not touched:
        return pl.DataFrame(schema=columns)
    key = list(table.key)
    values = [c for c in table.schema.names if c not in key and c != "day"]

    def fingerprinted(rows: pl.DataFrame) -> pl.DataFrame:
        day = (
            []
            if "day" in key
            else [pl.col("day") if table.partitioned else pl.lit(None, pl.Date).alias("day")]
        )
        return rows.select(*key, *day, pl.struct(values).hash().alias("_fingerprint"))

    old_rows = fingerprinted(_rows_at(lake, table, old, touched))
    new_rows = fingerprinted(_rows_at(lake, table, new, touched))
    joined = old_rows.join(new_rows, on=key, how="full", suffix="_new", nulls_equal=True)
    return (
        joined.with_columns(day=pl.coalesce("day_new", "day"))
        .group_by("day")
        .agg(
            rows_before=pl.col("_fingerprint").is_not_null().sum(),
            rows_after=pl.col("_fingerprint_new").is_not_null().sum(),
            rows_added=pl.col("_fingerprint").is_null().sum(),
            rows_removed=pl.col("_fingerprint_new").is_null().sum(),
            rows_changed=(pl.col("_fingerprint") != pl.col("_fingerprint_new")).sum(),
        )
        .cast(columns)
        .select(columns.names())
        .sort("day")
    )


def load_window(
    lake: Lake,
    table: TableContract,
    start: date,
    end: date,
    columns: list[str] | None = None,
    meters: list[str] | None = None,
) -> pl.DataFrame:
    """Rows of days [start, end), optionally only some columns and meters."""
    rows = frame(lake.read(table, start, end, columns))
    if meters:
        rows = rows.filter(pl.col("meter_id").is_in(meters))
    return rows


def read_mart(lake: Lake, name: str) -> pl.DataFrame | None:
    """A dbt mart from its Parquet export, or None while it has not been built."""
    try:
        path = exports_dir(marts_dir(lake)) / f"{name}.parquet"
    except ValueError:
        return None
    return pl.read_parquet(path) if path.exists() else None


@dataclass(frozen=True)
class TemperatureResponse:
    """Daily consumption = base + heating slope x heating degrees + cooling slope x cooling
    degrees (°C below `HEATING_BASE_C`, above `COOLING_BASE_C`); a slope is None when the days
    hold no such degrees to fit it on."""

    base_kwh_per_day: float
    heating_kwh_per_degc: float | None
    cooling_kwh_per_degc: float | None
    days: int


def temperature_response(daily: pl.DataFrame) -> TemperatureResponse | None:
    """Least-squares heating/cooling slopes of `daily` (`energy_kwh`, `temperature_c` per day);
    None with fewer than three days."""
    rows = daily.drop_nulls(["energy_kwh", "temperature_c"])
    if rows.height < 3:
        return None
    temperature = rows["temperature_c"].to_numpy()
    heating = np.clip(HEATING_BASE_C - temperature, 0.0, None)
    cooling = np.clip(temperature - COOLING_BASE_C, 0.0, None)
    fitted = [h for h, values in (("heating", heating), ("cooling", cooling)) if values.any()]
    design = np.column_stack(
        [np.ones(rows.height)] + [heating if h == "heating" else cooling for h in fitted]
    )
    coefficients, *_ = np.linalg.lstsq(design, rows["energy_kwh"].to_numpy(), rcond=None)
    slopes = dict(zip(fitted, coefficients[1:], strict=True))
    return TemperatureResponse(
        base_kwh_per_day=float(coefficients[0]),
        heating_kwh_per_degc=float(slopes["heating"]) if "heating" in slopes else None,
        cooling_kwh_per_degc=float(slopes["cooling"]) if "cooling" in slopes else None,
        days=rows.height,
    )


def with_actuals(lake: Lake, forecasts: pl.DataFrame) -> pl.DataFrame:
    """Forecast rows with the actual `energy_kwh` of their interval (null while unknown) and the
    horizon: hours from issue to the interval's start."""
    if forecasts.height == 0:
        return forecasts.with_columns(
            energy_kwh=pl.lit(None, pl.Float64), horizon_hours=pl.lit(None, pl.Float64)
        )
    start, end = forecasts["day"].min(), forecasts["day"].max()
    assert isinstance(start, date) and isinstance(end, date)
    actuals = load_window(
        lake,
        GOLD_CONSUMPTION_FEATURES,
        start,
        end + timedelta(days=1),
        ["meter_id", "interval_start_utc", "energy_kwh"],
    )
    return forecasts.join(
        actuals, on=["meter_id", "interval_start_utc"], how="left", maintain_order="left"
    ).with_columns(
        horizon_hours=(pl.col("interval_start_utc") - pl.col("issued_at_utc")).dt.total_minutes()
        / 60.0
    )


def accuracy_by(scored: pl.DataFrame, by: str) -> pl.DataFrame:
    """`ml.forecasting.evaluation.forecast_metrics` (MAE, RMSE, MAPE, pinball, P10-P90
    coverage) per value of `by`, over the rows of `with_actuals` whose actual is known."""
    known = scored.filter(pl.col("energy_kwh").is_not_null())
    rows = []
    for (value,), group in known.group_by(by, maintain_order=True):
        metrics = forecast_metrics(
            group["energy_kwh"].to_numpy(),
            group["forecast_kwh"].to_numpy(),
            group["p10_kwh"].to_numpy(),
            group["p90_kwh"].to_numpy(),
        )
        rows.append({by: value, "rows": group.height, **metrics})
    if not rows:
        return pl.DataFrame(schema={by: known.schema[by], "rows": pl.Int64})
    return pl.DataFrame(rows).sort(by)


def tracking_uri(lake: Lake) -> str | None:
    """Where the registry is: `MLFLOW_TRACKING_URI`, else the lake's own SQLite store if it
    exists (never created here: opening a missing SQLite store would write one)."""
    configured = mlflow_tracking_uri()
    if configured:
        return configured
    if not lake.is_local:
        return None
    database = Path(lake.root.removeprefix("file://")).resolve() / "mlflow" / "mlflow.db"
    return f"sqlite:///{database}" if database.exists() else None


@dataclass(frozen=True)
class ModelSummary:
    """A registered model version and its training run: metrics, tags, feature importance."""

    version: str
    run_id: str
    metrics: dict[str, float]
    tags: dict[str, str]
    feature_importance: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Champion:
    """The current champion and, when there was one, the champion it replaced."""

    current: ModelSummary
    previous: ModelSummary | None


def _summary(client: Any, version: Any) -> ModelSummary:
    import mlflow

    run = client.get_run(version.run_id)
    try:
        importance = mlflow.artifacts.load_dict(f"runs:/{version.run_id}/feature_importance.json")
    except (OSError, json.JSONDecodeError, mlflow.exceptions.MlflowException):
        importance = {}
    return ModelSummary(
        version=str(version.version),
        run_id=str(version.run_id),
        metrics=dict(run.data.metrics),
        tags=dict(run.data.tags),
        feature_importance={str(k): float(v) for k, v in importance.items()},
    )


def champion(uri: str, model_name: str = MODEL_NAME) -> Champion | None:
    """The `champion` alias of `model_name` in the registry at `uri`, and the previous champion
    (the latest older version whose run was promoted), or None when there is no champion."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from ml.tracking import CHAMPION

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient()
    try:
        current = client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None
    older = [
        v
        for v in client.search_model_versions(f"name = '{model_name}'")
        if int(v.version) < int(current.version)
    ]
    promoted = [
        v
        for v in older
        if client.get_run(str(v.run_id)).data.tags.get("champion_promoted") == "true"
    ]
    previous = max(promoted, key=lambda v: int(v.version)) if promoted else None
    return Champion(
        current=_summary(client, current),
        previous=_summary(client, previous) if previous is not None else None,
    )


def load_champion(uri: str, model_name: str = MODEL_NAME) -> Predictor:
    """The champion as a `ml.forecasting.model.Predictor` (model input rows to kWh quantiles)."""
    import mlflow

    from ml.tracking import CHAMPION, load_predictor

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return load_predictor(f"models:/{model_name}@{CHAMPION}")


@dataclass(frozen=True)
class WhatIfDay:
    """A day's gold feature rows (`ml.forecasting.model.GOLD_COLUMNS`) for some meters, and the days
    before it that levels, profiles and fallbacks are computed from."""

    day: date
    target: pl.DataFrame
    history: pl.DataFrame


def what_if_day(lake: Lake, day: date, meters: list[str] | None = None) -> WhatIfDay:
    """The gold rows of `day` and its `LEVEL_DAYS` + 1 days of history, for `meters` (all when
    None)."""
    first = day - timedelta(days=LEVEL_DAYS + 1)
    rows = load_window(
        lake, GOLD_CONSUMPTION_FEATURES, first, day + timedelta(days=1), GOLD_COLUMNS, meters
    )
    return WhatIfDay(
        day=day,
        target=rows.filter(pl.col("day") == day),
        history=rows.filter(pl.col("day") < day),
    )


def with_conditions(
    features: pl.DataFrame, mean_temperature_c: float, day_type: str
) -> pl.DataFrame:
    """Gold feature rows under other conditions: the forecast temperature curve shifted so its
    mean is `mean_temperature_c` (the degrees below/above the bases follow), and the calendar of
    `day_type` (one of `DAY_TYPES`; "as scheduled" keeps the day's own)."""
    if day_type not in DAY_TYPES:
        raise ValueError(f"day type {day_type!r} is not one of {DAY_TYPES}")
    current = features["temperature_c"].mean()
    temperature = (
        pl.col("temperature_c") + (mean_temperature_c - float(current))  # type: ignore[arg-type]
        if current is not None
        else pl.lit(mean_temperature_c)
    )
    shifted = features.with_columns(temperature_c=temperature).with_columns(
        heating_degree_c=(HEATING_BASE_C - pl.col("temperature_c")).clip(lower_bound=0.0),
        cooling_degree_c=(pl.col("temperature_c") - COOLING_BASE_C).clip(lower_bound=0.0),
    )
    weekday = pl.col("local_day_of_week")
    calendar = {
        "as scheduled": {},
        "working day": {
            "local_day_of_week": pl.when(weekday >= 5).then(pl.lit(2)).otherwise(weekday),
            "is_weekend": pl.lit(False),
            "is_holiday": pl.lit(False),
        },
        "weekend": {
            "local_day_of_week": pl.when(weekday < 5).then(pl.lit(5)).otherwise(weekday),
            "is_weekend": pl.lit(True),
            "is_holiday": pl.lit(False),
        },
        "public holiday": {"is_holiday": pl.lit(True)},
    }[day_type]
    return shifted.with_columns(
        **{name: value.cast(features.schema[name]) for name, value in calendar.items()}
    )


def what_if_curve(
    predictor: Predictor | None,
    what_if: WhatIfDay,
    mean_temperature_c: float,
    day_type: str,
    issue_hour_utc: int,
    model_name: str = MODEL_NAME,
) -> pl.DataFrame:
    """The day-ahead forecast of the day under other conditions (`with_conditions`), built as
    production builds it (`ml.forecasting.model.model_inputs`, then `forecast`: the model, or its
    named fallbacks), summed per interval over the meters: `forecast_kwh`, `p10_kwh`, `p90_kwh`,
    and how many meters fell back. Summed bands are conservative, as in gold `region_forecasts`."""
    target = with_conditions(what_if.target, mean_temperature_c, day_type)
    inputs = model_inputs(target, what_if.history, issue_hour_utc)
    forecasts = forecast(predictor, inputs, what_if.history, model_name)
    return (
        forecasts.group_by("interval_start_utc")
        .agg(
            pl.col("forecast_kwh", "p10_kwh", "p90_kwh").sum(),
            meters=pl.col("meter_id").n_unique(),
            fallback_meters=pl.col("fallback_reason").is_not_null().sum(),
        )
        .sort("interval_start_utc")
    )


def rows_per_day(lake: Lake, table: TableContract) -> pl.DataFrame:
    """Rows and files of each day of a partitioned table, from the Delta log (no data read)."""
    dt = lake.delta_table(table)
    schema = pl.Schema({"day": pl.Date, "rows": pl.Int64, "files": pl.UInt32})
    if dt is None or not table.partitioned:
        return pl.DataFrame(schema=schema)
    actions = frame(pa.table(dt.get_add_actions(flatten=True)))
    return (
        actions.group_by(pl.col("partition.day").alias("day"))
        .agg(rows=pl.col("num_records").sum(), files=pl.len())
        .cast(schema)
        .sort("day")
    )


def mart_exports(lake: Lake) -> pl.DataFrame:
    """The marts' Parquet exports: name, rows (from the file footer) and when written (UTC)."""
    import pyarrow.parquet as pq

    schema = pl.Schema(
        [("mart", pl.String()), ("rows", pl.Int64()), ("written_at_utc", pl.Datetime("us", "UTC"))]
    )
    try:
        folder = exports_dir(marts_dir(lake))
    except ValueError:
        return pl.DataFrame(schema=schema)
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    return pl.DataFrame(
        [
            {
                "mart": path.stem,
                "rows": pq.ParquetFile(path).metadata.num_rows,
                "written_at_utc": path.stat().st_mtime_ns // 1000,
            }
            for path in files
        ],
        schema={"mart": pl.String, "rows": pl.Int64, "written_at_utc": pl.Int64},
    ).with_columns(pl.from_epoch("written_at_utc", time_unit="us").dt.replace_time_zone("UTC"))
