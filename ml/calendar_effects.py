"""Calendar effects a grid operator knows beyond weekends and public holidays: bridge days and the
end-of-year period, as flags on a frame of local dates (gold `consumption_features`).

A bridge day is a working day between a public holiday and a weekend (the Friday after a
Thursday holiday, the Monday before a Tuesday one): many take it off, so the load looks half like
a holiday. Between Christmas and Epiphany schools, universities and many businesses close, and
load drops in a way no month or weekday captures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import polars as pl

END_OF_YEAR = ((12, 24), (1, 6))
"""First and last (month, day) of the end-of-year period, inclusive."""


def end_of_year(local_date: pl.Expr) -> pl.Expr:
    """Whether each local date falls in the `END_OF_YEAR` period."""
    (first_month, first_day), (last_month, last_day) = END_OF_YEAR
    month, day = local_date.dt.month(), local_date.dt.day()
    return ((month == first_month) & (day >= first_day)) | (
        (month == last_month) & (day <= last_day)
    )


def bridge_days(
    frame: pl.DataFrame, holiday_flags: Callable[[pl.DataFrame], pl.Series]
) -> pl.Series:
    """Whether each row's `local_date` is a bridge day: a working day (Monday to Friday, not a
    holiday) next to a public holiday on one side and a weekend on the other. `holiday_flags`
    says which rows of a frame (with `local_date` and its calendar columns) are holidays."""

    def holiday_on(shift_days: int) -> pl.Series:
        shifted = frame.with_columns(pl.col("local_date") + timedelta(days=shift_days))
        return holiday_flags(shifted)

    weekday = pl.col("local_date").dt.weekday()  # Monday = 1
    before, after = holiday_on(-1), holiday_on(1)
    flags = frame.select(
        (
            (weekday <= 5)
            & ~holiday_flags(frame)
            & ((before & (weekday == 5)) | (after & (weekday == 1)))
        ).alias("is_bridge_day")
    )
    return flags.to_series()


def holiday_like() -> pl.Expr:
    """Whether each row's day is loaded like a public holiday (`is_holiday`) for the day-ahead
    model: a public holiday or a day of the end-of-year period (`is_end_of_year`).

    A meter's history often holds no end-of-year period with a level to learn from (a year of
    data has one, at its very edge), so a flag of its own is constant in training and ignored;
    counted as a holiday, the period gets the closed-building level the model learned from the
    holidays it has seen. The flags may come as 0/1 floats (the registered model's input).
    """
    return pl.col("is_holiday").cast(pl.Boolean) | pl.col("is_end_of_year").cast(pl.Boolean)
