"""Pandera schemas derived from the Arrow contracts, plus the domain rules of each table.

Columns, types, nullability and keys come from `checks.contracts` and are never re-listed here;
this module adds only what Arrow cannot say (value domains and rules across columns), kept in one
`TableRules` per table in `DOMAIN_RULES`.

Types: every Arrow type maps to `pd.ArrowDtype` of the same type, and `to_pandas` converts a table
with that mapping. This is deliberate: pandas' default conversion is lossy and data-dependent (an
int16 column with a null becomes float64, a bool column with a null becomes object, NaN and null
merge, `date32` becomes object, strings become pandas 3's NaN-backed `str`), so a schema over
native dtypes would pass or fail depending on whether a partition happens to contain a null.
With `ArrowDtype`, pandera's dtype check *is* an exact Arrow type check and null stays distinct from
NaN. Validate frames made by `to_pandas`, not by `pa.Table.to_pandas()`.

Layering of rules: bronze keeps what it received (NaN readings included, silver turns them into
gaps), so its rules are structural (enumerations the writers control, the partition `day`);
physical ranges and cross-column invariants start at silver, where cleaning has happened and a
violation is a bug upstream.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pandera.pandas as pa
import polars as pl
import pyarrow
import pyarrow.types as pat

from checks.contracts import (
    BRONZE_ANOMALY_LABELS,
    BRONZE_API_RESPONSES,
    BRONZE_GRID_CARBON_INTENSITY,
    BRONZE_LANDING_FILES,
    BRONZE_METER_READINGS,
    BRONZE_METERS,
    BRONZE_QUARANTINE,
    BRONZE_WEATHER,
    GOLD_ANOMALIES,
    GOLD_ANOMALY_EVALUATION,
    GOLD_CARBON_EMISSIONS,
    GOLD_CLUSTER_CENTROIDS,
    GOLD_CONSUMPTION_FEATURES,
    GOLD_FORECAST_BACKTEST,
    GOLD_FORECASTS,
    GOLD_METER_CLUSTERS,
    GOLD_QUALITY_SCORECARD,
    GOLD_REGION_FORECASTS,
    INTERVAL_MINUTES,
    OPS_ALERTS,
    OPS_PIPELINE_EMISSIONS,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
    WEATHER_FIELDS,
    TableContract,
)
from checks.contracts import contract as contract_at
from checks.contracts.vocabularies import (
    ALERT_KINDS,
    ALERT_SEVERITIES,
    ANOMALY_SEVERITIES,
    ANOMALY_TYPES,
    CLUSTER_STATUSES,
    FEEDBACK_VERDICTS,
    INTENSITY_SOURCES,
    LANDING_KINDS,
    LANDING_STATUSES,
    PROFILE_DAY_TYPES,
    REPORTED_UNITS,
    SCORECARD_STATUSES,
    WEATHER_KINDS,
    WEATHER_SOURCES,
)
from checks.domain import is_time_zone
from checks.result import CheckOutcome, stringify

"""Meter intervals the lake accepts; each divides an hour, so a grid aligned at midnight UTC."""


# ---------------------------------------------------------------- reusable column checks


def _finite(series: pd.Series) -> pd.Series:
    # Nulls never reach a column check (pandera drops them); NaN is not null in ArrowDtype.
    return pd.Series(np.isfinite(series.astype("float64").to_numpy()), index=series.index)


def finite() -> pa.Check:
    """Neither NaN nor ±inf: a missing value must be null, never NaN."""
    return pa.Check(_finite, name="finite")


def pct() -> pa.Check:
    return pa.Check.in_range(0, 100)


def non_negative() -> pa.Check:
    return pa.Check.ge(0)


def temperature() -> pa.Check:
    """Air temperature in °C a surface station can plausibly report."""
    return pa.Check.in_range(-60, 60)


def _valid_timezone(series: pd.Series) -> pd.Series:
    valid = [name for name in series.unique() if is_time_zone(str(name))]
    return series.isin(valid)


def valid_timezone() -> pa.Check:
    return pa.Check(_valid_timezone, name="iana_timezone")


WEATHER_RANGES: dict[str, list[pa.Check]] = {
    "temperature_c": [finite(), temperature()],
    "relative_humidity_pct": [pct()],
    "wind_speed_ms": [non_negative()],
    "cloud_cover_pct": [pct()],
    "shortwave_radiation_wm2": [non_negative()],
}
assert set(WEATHER_RANGES) == set(WEATHER_FIELDS)


# ---------------------------------------------------------------- reusable row rules

_ROW_RULE_CASES = 20
"""Failure cases pandera collects per row rule. Pandera reports a failing row of a frame-wide check
as one case per column (1.6 M cases when 100k rows of a 16-column table fail: 8 s of formatting),
so it is capped and `validate_table` counts row-rule failures itself."""


@dataclass(frozen=True)
class RowRule:
    """A rule across the columns of each row: `holds(frame)` is True where the rule holds."""

    name: str
    holds: Callable[[pd.DataFrame], pd.Series]

    def check(self) -> pa.Check:
        return pa.Check(self.holds, name=self.name, n_failure_cases=_ROW_RULE_CASES)

    def failing(self, frame: pd.DataFrame) -> np.ndarray:
        """Positions of rows breaking the rule (nulls in the result count as breaking)."""
        holds = self.holds(frame).astype("boolean").fillna(False).to_numpy(dtype=bool)
        return np.flatnonzero(~holds)


def day_is_utc_date_of(column: str) -> RowRule:
    """The partition `day` is the UTC date of the row's instant, or a rewrite of day D misses it."""

    def holds(df: pd.DataFrame) -> pd.Series:
        return (df["day"] == df[column].dt.date).fillna(False)

    return RowRule(f"day_is_utc_date_of_{column}", holds)


def null_exactly_when(value: str, flag: str) -> RowRule:
    """`value` is null exactly on rows where `flag` is true (explicit gap rows, nothing else)."""

    def holds(df: pd.DataFrame) -> pd.Series:
        return (df[value].isna() == df[flag]).fillna(False)

    return RowRule(f"{value}_null_iff_{flag}", holds)


def issued_exactly_when(issued: str, kind: str, forecast_value: str = "forecast") -> RowRule:
    """Forecast rows carry an issue time and other rows do not (it is part of the weather key)."""

    def holds(df: pd.DataFrame) -> pd.Series:
        return (df[issued].notna() == (df[kind] == forecast_value)).fillna(False)

    return RowRule(f"{issued}_iff_{kind}_{forecast_value}", holds)


def ordered(first: str, second: str, strict: bool = True) -> RowRule:
    def holds(df: pd.DataFrame) -> pd.Series:
        kept = df[first] < df[second] if strict else df[first] <= df[second]
        return kept.fillna(False)

    return RowRule(f"{first}_{'before' if strict else 'at_most'}_{second}", holds)


FORECAST_BAND = ("p10_kwh", "forecast_kwh", "p90_kwh")


def quantiles_ordered() -> RowRule:
    """P10 <= point forecast <= P90: a band that does not hold its own forecast is a bug."""

    def holds(df: pd.DataFrame) -> pd.Series:
        return (
            (df["p10_kwh"] <= df["forecast_kwh"]) & (df["forecast_kwh"] <= df["p90_kwh"])
        ).fillna(False)

    return RowRule("p10_le_forecast_le_p90", holds)


def fallback_explained() -> RowRule:
    """A row made by a fallback (`model_used` = `fallback:*`) says why, and only those rows do."""

    def holds(df: pd.DataFrame) -> pd.Series:
        is_fallback = df["model_used"].str.startswith("fallback:")
        return (df["fallback_reason"].notna() == is_fallback).fillna(False)

    return RowRule("fallback_reason_iff_fallback", holds)


def day_within(start: str, end: str) -> RowRule:
    """The partition `day` lies in the UTC days an event `[start, end)` touches."""

    def holds(df: pd.DataFrame) -> pd.Series:
        last = (df[end] - pd.Timedelta(microseconds=1)).dt.date
        return ((df[start].dt.date <= df["day"]) & (df["day"] <= last)).fillna(False)

    return RowRule(f"day_within_{start}_{end}", holds)


# ---------------------------------------------------------------- the rules, one entry per table


@dataclass(frozen=True)
class TableRules:
    """Domain rules of one table: checks per column, and rules across the columns of a row."""

    columns: Mapping[str, Sequence[pa.Check]] = field(default_factory=dict)
    rows: Sequence[RowRule] = ()


DOMAIN_RULES: dict[str, TableRules] = {
    BRONZE_LANDING_FILES.path: TableRules(
        columns={
            "kind": [pa.Check.isin(LANDING_KINDS)],
            "status": [pa.Check.isin(LANDING_STATUSES)],
            "rows": [non_negative()],
            "rows_rejected": [non_negative()],
        }
    ),
    OPS_ALERTS.path: TableRules(
        columns={
            "kind": [pa.Check.isin(ALERT_KINDS)],
            "severity": [pa.Check.isin(ALERT_SEVERITIES)],
            "delivery_attempts": [non_negative()],
        }
    ),
    BRONZE_METER_READINGS.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            "reported_unit": [pa.Check.isin(REPORTED_UNITS)],
        },
        rows=[day_is_utc_date_of("interval_start_utc")],
    ),
    BRONZE_WEATHER.path: TableRules(columns={"kind": [pa.Check.isin(WEATHER_KINDS)]}),
    BRONZE_METERS.path: TableRules(columns={"interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)]}),
    BRONZE_QUARANTINE.path: TableRules(),
    BRONZE_ANOMALY_LABELS.path: TableRules(
        rows=[ordered("start_utc", "end_utc"), day_is_utc_date_of("start_utc")]
    ),
    SILVER_METER_READINGS.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            "energy_kwh": [finite()],
            "duplicates_removed": [non_negative()],
        },
        rows=[
            null_exactly_when("energy_kwh", "is_missing"),
            day_is_utc_date_of("interval_start_utc"),
        ],
    ),
    SILVER_WEATHER.path: TableRules(
        columns={"kind": [pa.Check.isin(WEATHER_KINDS)], **WEATHER_RANGES},
        rows=[issued_exactly_when("issued_at_utc", "kind")],
    ),
    SILVER_METERS.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            "timezone": [valid_timezone()],
            "latitude": [pa.Check.in_range(-90, 90)],
            "longitude": [pa.Check.in_range(-180, 180)],
        }
    ),
    GOLD_CONSUMPTION_FEATURES.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            "energy_kwh": [finite()],
            "local_hour": [pa.Check.in_range(0, 23)],
            "local_minute_of_day": [pa.Check.in_range(0, 1439)],
            "local_day_of_week": [pa.Check.in_range(0, 6)],
            "month": [pa.Check.in_range(1, 12)],
            "day_of_year": [pa.Check.in_range(1, 366)],
            **WEATHER_RANGES,
            "weather_source": [pa.Check.isin(WEATHER_SOURCES)],
            "observed_temperature_c": [finite(), temperature()],
            "heating_degree_c": [non_negative()],
            "cooling_degree_c": [non_negative()],
            "lag_1d_kwh": [finite()],
            "lag_2d_kwh": [finite()],
            "lag_7d_kwh": [finite()],
        },
        rows=[
            null_exactly_when("energy_kwh", "is_missing"),
            issued_exactly_when("weather_issued_at_utc", "weather_source"),
            day_is_utc_date_of("interval_start_utc"),
        ],
    ),
    GOLD_QUALITY_SCORECARD.path: TableRules(
        columns={
            **{
                f.name: [non_negative()]
                for f in GOLD_QUALITY_SCORECARD.schema
                if f.name.endswith(("_intervals", "_readings", "_rows", "_removed"))
            },
            "completeness_pct": [pct()],
            "status": [pa.Check.isin(SCORECARD_STATUSES)],
        }
    ),
    GOLD_FORECASTS.path: TableRules(
        columns={
            "interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)],
            **{column: [finite()] for column in FORECAST_BAND},
            "weather_source": [pa.Check.isin(WEATHER_SOURCES)],
        },
        rows=[
            quantiles_ordered(),
            ordered("issued_at_utc", "interval_start_utc"),
            fallback_explained(),
            day_is_utc_date_of("interval_start_utc"),
        ],
    ),
    GOLD_REGION_FORECASTS.path: TableRules(
        columns={
            **{column: [finite()] for column in FORECAST_BAND},
            "meters": [pa.Check.gt(0)],
            "fallback_meters": [non_negative()],
        },
        rows=[
            quantiles_ordered(),
            ordered("fallback_meters", "meters", strict=False),
            ordered("issued_at_utc", "hour_start_utc"),
            day_is_utc_date_of("hour_start_utc"),
        ],
    ),
    GOLD_ANOMALIES.path: TableRules(
        columns={
            "anomaly_type": [pa.Check.isin(ANOMALY_TYPES)],
            "interval_count": [pa.Check.gt(0)],
            "expected_source": [pa.Check.isin(("model", "profile", "none"))],
            "score": [finite()],
            "severity": [pa.Check.isin(ANOMALY_SEVERITIES)],
            "feedback_verdict": [pa.Check.isin(FEEDBACK_VERDICTS)],
        },
        rows=[
            ordered("event_start_utc", "event_end_utc"),
            day_within("event_start_utc", "event_end_utc"),
        ],
    ),
    GOLD_ANOMALY_EVALUATION.path: TableRules(
        columns={
            **{column: [pa.Check.in_range(0, 1)] for column in ("precision", "recall", "f1")},
            **{
                f.name: [non_negative()]
                for f in GOLD_ANOMALY_EVALUATION.schema
                if f.name.endswith("_events")
            },
            "false_alarms_per_meter_month": [non_negative()],
            "false_alarms_after_event_per_meter_month": [non_negative()],
        },
        rows=[ordered("first_day", "last_day", strict=False)],
    ),
    BRONZE_API_RESPONSES.path: TableRules(columns={"status": [pa.Check.in_range(100, 599)]}),
    GOLD_FORECAST_BACKTEST.path: TableRules(
        columns={
            "level": [pa.Check.isin(("meter", "region"))],
            "forecaster": [
                pa.Check.isin(("forecast", "same_time_yesterday", "same_time_last_week", "vanilla"))
            ],
            "intervals": [pa.Check.gt(0)],
            **{c: [finite()] for c in ("actual_kwh", "forecast_kwh", "mape_pct", "pinball_kwh")},
            **{c: [finite(), non_negative()] for c in ("mae_kwh", "rmse_kwh")},
            "coverage_pct": [pa.Check.in_range(0, 100)],
            "fallback_intervals": [non_negative()],
        },
        rows=[
            RowRule(
                "fallback_intervals_counted_for_the_forecast_only",
                lambda df: (
                    (df["fallback_intervals"].notna() == (df["forecaster"] == "forecast"))
                    & (df["fallback_intervals"].fillna(0) <= df["intervals"])
                ).fillna(False),
            )
        ],
    ),
    BRONZE_GRID_CARBON_INTENSITY.path: TableRules(
        columns={"interval_minutes": [pa.Check.isin(INTERVAL_MINUTES)]},
        rows=[day_is_utc_date_of("interval_start_utc")],
    ),
    GOLD_CARBON_EMISSIONS.path: TableRules(
        columns={
            "energy_kwh": [finite()],
            "emissions_kgco2e": [finite()],
            "intensity_gco2e_per_kwh": [non_negative()],
            "measured_share": [pa.Check.in_range(0, 1)],
            "intensity_source": [pa.Check.isin(INTENSITY_SOURCES)],
        }
    ),
    OPS_PIPELINE_EMISSIONS.path: TableRules(
        columns={
            "duration_s": [non_negative()],
            "energy_kwh": [non_negative()],
            "emissions_kgco2e": [non_negative()],
        },
        rows=[day_is_utc_date_of("measured_at_utc")],
    ),
    GOLD_METER_CLUSTERS.path: TableRules(
        columns={
            "status": [pa.Check.isin(CLUSTER_STATUSES)],
            "previous_status": [pa.Check.isin(CLUSTER_STATUSES)],
            "distance_to_centroid": [non_negative()],
            "working_days": [non_negative()],
            "non_working_days": [non_negative()],
            "silhouette": [pa.Check.in_range(-1, 1)],
        }
    ),
    GOLD_CLUSTER_CENTROIDS.path: TableRules(
        columns={
            "day_type": [pa.Check.isin(PROFILE_DAY_TYPES)],
            "local_hour": [pa.Check.in_range(0, 23)],
            "relative_load": [finite()],
            "meters": [pa.Check.gt(0)],
        }
    ),
}
"""Domain rules per table path. Every contract has an entry; every named column exists."""


# ---------------------------------------------------------------- schema and conversion


def pandas_dtype(arrow_type: pyarrow.DataType) -> pd.ArrowDtype:
    """The pandas dtype a contract column is validated as: the exact Arrow type (see module doc)."""
    return pd.ArrowDtype(arrow_type)


def to_pandas(table: pyarrow.Table) -> pd.DataFrame:
    """A table as the pandas frame `pandera_schema` expects: lossless `ArrowDtype` columns."""
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def pandera_schema(contract: TableContract) -> pa.DataFrameSchema:
    """The pandera schema of a table: contract columns, types, nullability, key, and domain rules.

    Strict column set, unique key (all rows sharing a key are reported), no coercion: the schema
    describes what must be in the lake, it does not repair.
    """
    rules = DOMAIN_RULES[contract.path]
    unknown = set(rules.columns) - set(contract.columns)
    if unknown:
        raise KeyError(f"{contract.path}: rules name columns not in the contract: {unknown}")
    columns = {
        f.name: pa.Column(
            pandas_dtype(f.type),
            checks=list(rules.columns.get(f.name, ())),
            nullable=f.nullable,
            title=f.name,
        )
        for f in contract.schema
    }
    return pa.DataFrameSchema(
        columns,
        checks=[rule.check() for rule in rules.rows],
        unique=list(contract.key) or None,
        report_duplicates="all",
        strict=True,
        name=contract.path,
        description=contract.grain,
    )


def _conform_strings(table: pyarrow.Table, contract: TableContract) -> pyarrow.Table:
    """Cast `large_string`/`string_view` columns to `string` where the contract says `string`.

    Delta has one string type; readers may hand it back in any Arrow string layout, and that is
    not a contract violation.
    """
    for i, actual in enumerate(table.schema):
        if actual.name not in contract.columns:
            continue
        expected = contract.schema.field(actual.name).type
        stringish = pat.is_large_string(actual.type) or pat.is_string_view(actual.type)
        if pat.is_string(expected) and stringish:
            table = table.set_column(i, actual.name, table.column(i).cast(expected))
    return table


_SAMPLE_FAILURE_CASES = 3
_PROBLEMS_IN_DESCRIPTION = 10


def _identifying_columns(contract: TableContract, present: Sequence[str]) -> list[str]:
    preferred = list(contract.key) or [
        c
        for c in ("meter_id", "location_id", "event_id", "interval_start_utc", "valid_at_utc")
        if c in contract.columns
    ]
    if contract.partitioned and "day" not in preferred:
        preferred.append("day")
    return [c for c in preferred if c in present]


def _labels(values: pd.Series, missing: str) -> pl.Series:
    """Low-cardinality object values (column, check names) as strings, without a Python loop."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    names = pl.Series([str(u) for u in uniques] + [missing], dtype=pl.String)
    return names.gather(np.where(codes < 0, len(uniques), codes))


def _failure_cases(
    failure_cases: pd.DataFrame, contract: TableContract, frame: pd.DataFrame
) -> pl.DataFrame:
    """Pandera's failure cases as polars: `column`, `check`, row `index` (null: table-level) and
    `shown` (the text to sample, set on a few cases per check and on every table-level case).

    Row rules are recounted exactly here (pandera's cases for them are capped, see
    `_ROW_RULE_CASES`); a row rule that crashed keeps pandera's report of the crash.
    """
    cases = (
        pl.DataFrame(
            {
                "context": _labels(failure_cases["schema_context"], "*"),
                "column": _labels(failure_cases["column"], "*"),
                "check": _labels(failure_cases["check"], "*"),
                "index": pd.to_numeric(failure_cases["index"], errors="coerce").to_numpy(float),
            }
        )
        .with_columns(pl.col("index").fill_nan(None).cast(pl.Int64))
        .with_row_index("pos")
    )
    picked = cases.filter(
        (pl.int_range(pl.len()).over("column", "check") < 20) | pl.col("index").is_null()
    )["pos"].to_numpy()
    texts = [stringify(v) for v in failure_cases["failure_case"].iloc[picked]]
    cases = cases.join(
        pl.DataFrame({"pos": picked, "shown": texts}, schema_overrides={"pos": pl.UInt32}),
        on="pos",
        how="left",
    ).drop("pos")

    failed = set(cases["check"].unique().to_list())
    recounted = []
    for rule in DOMAIN_RULES[contract.path].rows:
        if rule.name not in failed:
            continue
        try:
            positions = rule.failing(frame)
        except Exception:  # the crash is already in pandera's cases
            continue
        cases = cases.filter((pl.col("check") != rule.name) | pl.col("index").is_null())
        recounted.append(
            pl.DataFrame({"index": positions}, schema={"index": pl.Int64}).with_columns(
                context=pl.lit("DataFrameSchema"),
                column=pl.lit("*"),
                check=pl.lit(rule.name),
                shown=pl.format("row {}", "index"),
            )
        )
    cases = pl.concat([cases, *recounted], how="diagonal")

    frame_level = pl.col("context") == "DataFrameSchema"
    return cases.with_columns(
        pl.when(pl.col("check") == "multiple_fields_uniqueness")
        .then(pl.lit("+".join(contract.key)))
        .when(pl.col("check").is_in(["column_in_schema", "column_in_dataframe"]))
        .then(pl.col("shown"))
        .when(frame_level & pl.col("index").is_not_null())
        .then(pl.lit("*"))
        .otherwise(pl.col("column"))
        .alias("column"),
        pl.when(frame_level & pl.col("index").is_not_null())
        .then(pl.format("row {}", "index"))
        .otherwise(pl.col("shown"))
        .alias("shown"),
    ).with_columns(pl.format("{}:{}", "column", "check").alias("label"))


def validate_table(contract: TableContract, table: pyarrow.Table) -> CheckOutcome:
    """Validate a table against its contract's pandera schema, collecting every failure.

    Never raises on bad data (pandera runs lazily and a crashing check is reported as a failure).
    The outcome's metadata carries:
    - `table`, `rows`, `failing_rows` (distinct rows with at least one row-level failure);
    - `failed_columns`: the columns involved, comma-separated (`*` for row rules across columns,
      the key joined by `+` for key uniqueness);
    - `failures`: one dict per (column, check) with `column`, `check`, `cases` (failing rows, or
      1 for a table-level failure) and `sample` (a few failing values, or row numbers for key
      and row rules). Table-level checks are pandera's: `column_in_dataframe` (a contract
      column is missing), `column_in_schema` (an extra column), `dtype('<arrow type>')`;
    - `examples`: up to 5 failing rows (identifying columns, `row` number and the `failed`
      column:check labels), values stringified.
    """
    name = f"schema:{contract.path}"
    table = _conform_strings(table, contract)
    rows = table.num_rows
    frame = to_pandas(table)
    try:
        schema_for(contract).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = _failure_cases(errors.failure_cases, contract, frame)
    else:
        return CheckOutcome(
            name=name,
            passed=True,
            description=f"{contract.path}: {rows} rows match the contract and domain rules",
            failing_rows=0,
            metadata={
                "table": contract.path,
                "failed_columns": "",
                "failures": [],
                "rows": rows,
                "failing_rows": 0,
                "examples": [],
            },
        )

    summary = (
        cases.group_by("column", "check", maintain_order=True)
        .agg(
            pl.when(pl.col("index").is_null().all())
            .then(pl.lit(1, pl.UInt32))
            .otherwise(pl.col("index").drop_nulls().n_unique())
            .alias("cases"),
            pl.col("shown").unique(maintain_order=True).head(_SAMPLE_FAILURE_CASES).alias("s"),
        )
        .with_columns(pl.col("s").list.join("; ").alias("sample"), pl.col("cases").cast(pl.Int64))
        .drop("s")
    )
    per_row = (
        cases.filter(pl.col("index").is_not_null())
        .group_by("index")
        .agg(pl.col("label").unique(maintain_order=True).str.join(" ").alias("failed"))
    )
    ident = _identifying_columns(contract, table.column_names)
    shown = pl.DataFrame(pl.from_arrow(table.select(ident))) if ident else pl.DataFrame()
    shown = (
        shown.with_row_index("row")
        .with_columns(pl.col("row").cast(pl.Int64))
        .join(per_row, left_on="row", right_on="index", how="left", maintain_order="left")
    )
    listed = summary.head(_PROBLEMS_IN_DESCRIPTION).to_dicts()
    problems = "; ".join(f"{r['column']} {r['check']} ({r['cases']})" for r in listed)
    if summary.height > len(listed):
        problems += f"; and {summary.height - len(listed)} more"
    outcome = CheckOutcome.from_mask(
        name,
        shown,
        shown["failed"].is_not_null(),
        passed_description="",
        failed_description=f"{contract.path}: {{failing}} of {{rows}} rows break the contract: "
        + problems,
        metadata={
            "table": contract.path,
            "failed_columns": ", ".join(sorted(set(summary["column"].to_list()))),
            "failures": summary.to_dicts(),
        },
    )
    if outcome.passed:  # only table-level failures: missing/extra columns, wrong types
        outcome = replace(
            outcome,
            passed=False,
            description=f"{contract.path}: the table's structure breaks the contract: {problems}",
        )
    return outcome


def schema_for(table: TableContract | str) -> pa.DataFrameSchema:
    """The pandera schema of a contract or lake path (e.g. `silver/meter_readings`), built once."""
    return _cached_schema(contract_at(table) if isinstance(table, str) else table)


@functools.cache
def _cached_schema(contract: TableContract) -> pa.DataFrameSchema:
    return pandera_schema(contract)
