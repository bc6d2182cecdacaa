"""Rules written in both Python and dbt SQL give the same answers on the same boundary rows:
MAPE (`ml.evaluation.mape` and the dbt macro `mape_pct` of the accuracy marts) and the naive
same-time-yesterday forecast known at the issue time (`ml.baselines` and the dbt macro
`naive_yesterday_kwh` of `int_forecast_errors`). dbt runs the macros with `dbt show` on inline
rows over an empty lake."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from dbt.cli.main import dbtRunner

from energy_assets.defs.marts.assets import DBT_DIR
from ml.forecasting.baselines import (
    SAME_TIME_LAST_WEEK,
    SAME_TIME_YESTERDAY,
    known_at_issue,
    naive_forecasts,
)
from ml.forecasting.evaluation import MAPE_FLOOR_KWH, mape

Show = Callable[[str], list[tuple[object, ...]]]

BELOW = MAPE_FLOOR_KWH / 2
MAPE_GROUPS: dict[str, list[tuple[float, float]]] = {  # (actual, forecast) kWh
    "mixed": [
        (0.0, 0.2),
        (BELOW, 0.3),
        (-BELOW, 0.1),
        (MAPE_FLOOR_KWH, 0.002),
        (-MAPE_FLOOR_KWH, 0.001),
        (-0.5, -0.25),
        (2.0, 3.0),
        (1.25, 1.0),
    ],
    "all_below_the_floor": [(0.0, 1.0), (BELOW, 0.0), (-BELOW, 0.5)],
    "at_the_floor": [(MAPE_FLOOR_KWH, 0.0)],
    "exported": [(-2.0, -1.0), (-MAPE_FLOOR_KWH, 0.0)],
}

TARGET_DAY = date(2024, 5, 15)
ISSUE_HOUR_UTC = 12
NAIVE_ROWS = [  # interval start (hours into the target day), minutes, lag 1d, 2d, 7d (kWh)
    (0.0, 60, 1.0, 2.0, 7.0),  # yesterday's reading ended long before the issue
    (11.0, 60, 1.1, 2.1, 7.1),  # ... ended at the issue time exactly
    (11.75, 15, 1.2, 2.2, 7.2),
    (11.5, 30, 1.3, 2.3, None),
    (12.0, 60, 1.4, 2.4, 7.4),  # ended an hour after the issue: two days back
    (11.75, 30, 1.5, 2.5, 7.5),  # ended a quarter past it
    (23.75, 15, 1.6, 2.6, 7.6),
    (0.0, 60, None, 2.7, 7.7),  # yesterday's reading missing
    (13.0, 60, 1.8, None, 7.8),  # two days back missing too
]


@pytest.fixture(scope="module")
def show(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Show]:
    """Rows of an inline dbt query (macros available) over an empty lake."""
    folder = tmp_path_factory.mktemp("dbt_show")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENERGY_MARTS_DIR", str(folder))
        patch.setenv("ENERGY_MARTS_LAKE_ROOT", str(folder / "lake"))
        patch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
        patch.setenv("DO_NOT_TRACK", "1")

        def run(sql: str) -> list[tuple[object, ...]]:
            result = dbtRunner().invoke(
                [
                    "show",
                    "--inline",
                    sql,
                    "--limit",
                    "-1",
                    "--quiet",
                    "--project-dir",
                    str(DBT_DIR),
                    "--profiles-dir",
                    str(DBT_DIR),
                    "--target-path",
                    str(folder / "target"),
                ]
            )
            assert result.success, result.exception
            return [tuple(row) for row in result.result.results[0].agate_table.rows]

        yield run


def _values(rows: list[tuple[object, ...]]) -> str:
    def literal(value: object) -> str:
        if value is None:
            return "null"
        if isinstance(value, datetime):
            return f"timestamptz '{value.isoformat()}'"
        if isinstance(value, str):
            return f"'{value}'"
        return repr(value)

    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, Decimal | float | int) else None


def test_mape_counts_the_same_rows_in_python_and_in_the_marts(show: Show) -> None:
    rows = [(group, a, f) for group, pairs in MAPE_GROUPS.items() for a, f in pairs]
    sql = (
        f"with rows as (select * from (values {_values(rows)}) as t(grp, actual_kwh, forecast_kwh))"
        " select grp, {{ mape_pct('actual_kwh', 'forecast_kwh') }} from rows group by grp"
    )
    in_dbt = {group: _number(value) for group, value in show(sql)}
    in_python = {
        group: mape([a for a, _ in pairs], [f for _, f in pairs])
        for group, pairs in MAPE_GROUPS.items()
    }
    assert set(in_dbt) == set(in_python)
    for group, expected in in_python.items():
        if math.isnan(expected):
            assert in_dbt[group] is None, group  # no row to average: undefined on both sides
        else:
            assert in_dbt[group] == pytest.approx(expected, rel=1e-12), group
    assert not math.isnan(in_python["mixed"]) and math.isnan(in_python["all_below_the_floor"])


def test_the_naive_forecasts_known_at_issue_agree_in_python_and_in_the_marts(
    show: Show,
) -> None:
    midnight = datetime(TARGET_DAY.year, TARGET_DAY.month, TARGET_DAY.day, tzinfo=UTC)
    issued_at = midnight - timedelta(days=1) + timedelta(hours=ISSUE_HOUR_UTC)
    frame = pl.DataFrame(
        [
            {
                "row": n,
                "day": TARGET_DAY,
                "interval_start_utc": midnight + timedelta(hours=hours),
                "interval_minutes": minutes,
                "lag_1d_kwh": lag_1d,
                "lag_2d_kwh": lag_2d,
                "lag_7d_kwh": lag_7d,
            }
            for n, (hours, minutes, lag_1d, lag_2d, lag_7d) in enumerate(NAIVE_ROWS)
        ],
        schema_overrides={"interval_start_utc": pl.Datetime("us", "UTC")},
    )
    python = naive_forecasts(known_at_issue(frame, ISSUE_HOUR_UTC))
    in_python = list(zip(python[SAME_TIME_YESTERDAY], python[SAME_TIME_LAST_WEEK], strict=True))

    columns = ["row", "interval_start_utc", "interval_minutes", "lag_1d_kwh", "lag_2d_kwh"]
    rows = [
        (*(r[c] for c in columns), r["lag_7d_kwh"], issued_at) for r in frame.iter_rows(named=True)
    ]
    sql = (
        f"with rows as (select * from (values {_values(rows)}) as t(row_number, interval_start_utc,"
        " interval_minutes, lag_1d_kwh, lag_2d_kwh, lag_7d_kwh, issued_at_utc))"
        " select row_number, {{ naive_yesterday_kwh('interval_start_utc', 'interval_minutes',"
        " 'issued_at_utc', 'lag_1d_kwh', 'lag_2d_kwh') }}, lag_7d_kwh from rows order by row_number"
    )
    in_dbt = [(_number(yesterday), _number(last_week)) for _, yesterday, last_week in show(sql)]
    assert in_dbt == in_python
    assert [yesterday for yesterday, _ in in_python] == [
        1.0,
        1.1,
        1.2,
        1.3,
        2.4,
        2.5,
        2.6,
        2.7,
        None,
    ]
