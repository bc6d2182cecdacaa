"""Reusable row rules: invariants across the columns of each row of a table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

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
