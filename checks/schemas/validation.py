"""Pandera schemas built from a contract and its rules, Arrow-exact conversion to pandas, and
`validate_table`, which reports failures as a `CheckOutcome`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import pandera.pandas as pa
import polars as pl
import pyarrow
import pyarrow.types as pat

from checks.contracts import contract as contract_at
from checks.contracts.base import TableContract
from checks.result import CheckOutcome, stringify
from checks.schemas.rules import DOMAIN_RULES

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

    See `validate_rows`, which also names each failing row's broken rules.
    """
    return validate_rows(contract, table)[0]


def validate_rows(
    contract: TableContract, table: pyarrow.Table
) -> tuple[CheckOutcome, list[str | None]]:
    """Validate a table against its contract's pandera schema, collecting every failure, and
    name for each row the `column:check` rules it breaks (None for a row breaking none; a
    structural failure, such as a missing column, belongs to no row).

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
        passed = CheckOutcome(
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
        return passed, [None] * rows

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
    return outcome, shown["failed"].to_list()


def schema_for(table: TableContract | str) -> pa.DataFrameSchema:
    """The pandera schema of a contract or lake path (e.g. `silver/meter_readings`), built once."""
    return _cached_schema(contract_at(table) if isinstance(table, str) else table)


@functools.cache
def _cached_schema(contract: TableContract) -> pa.DataFrameSchema:
    return pandera_schema(contract)
