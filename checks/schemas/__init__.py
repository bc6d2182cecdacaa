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

The package holds `columns` (reusable column checks), `row_rules`, `rules` (`DOMAIN_RULES`)
and `validation` (schemas, `to_pandas`, `validate_table`); it re-exports their public names.
"""

from __future__ import annotations

from checks.schemas.columns import (
    WEATHER_RANGES,
    finite,
    non_negative,
    pct,
    temperature,
    valid_timezone,
)
from checks.schemas.row_rules import (
    FORECAST_BAND,
    RowRule,
    day_is_utc_date_of,
    day_within,
    fallback_explained,
    issued_exactly_when,
    null_exactly_when,
    ordered,
    quantiles_ordered,
)
from checks.schemas.rules import DOMAIN_RULES, TableRules
from checks.schemas.validation import (
    pandas_dtype,
    pandera_schema,
    schema_for,
    to_pandas,
    validate_table,
)

__all__ = [
    "DOMAIN_RULES",
    "FORECAST_BAND",
    "WEATHER_RANGES",
    "RowRule",
    "TableRules",
    "day_is_utc_date_of",
    "day_within",
    "fallback_explained",
    "finite",
    "issued_exactly_when",
    "non_negative",
    "null_exactly_when",
    "ordered",
    "pandas_dtype",
    "pandera_schema",
    "pct",
    "quantiles_ordered",
    "schema_for",
    "temperature",
    "to_pandas",
    "valid_timezone",
    "validate_table",
]
