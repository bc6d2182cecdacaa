"""Gold feature inputs: public-holiday calendars per meter and weather on every interval."""

from __future__ import annotations

import functools

import holidays
import polars as pl

from checks.contracts.vocabularies import WEATHER_SOURCES
from checks.domain.frames import TableLike, _frame, _names, _require
from checks.result import CheckOutcome

# ---------------------------------------------------------------- weather coverage


@functools.cache
def _supported_calendars() -> dict[str, list[str]]:
    return holidays.list_supported_countries()


def has_holiday_calendar(country: str | None, subdivision: str | None) -> bool:
    """Whether the `holidays` package knows this country (and subdivision, if given).

    Meters elsewhere get no holidays; the gold `holiday_calendars` check names them.
    """
    supported = _supported_calendars()
    return (
        bool(country)
        and country in supported
        and (not subdivision or subdivision in supported[country])
    )


def holiday_calendars(meters: TableLike) -> CheckOutcome:
    """Meters whose country/subdivision the `holidays` package does not know: their local
    calendar falls back to no public holidays at all, so day-type features are wrong there."""
    frame = _frame(meters)
    _require(frame, ["meter_id", "country", "subdivision"], "holiday_calendars")
    unknown = pl.Series(
        [
            not has_holiday_calendar(c, s)
            for c, s in frame.select("country", "subdivision").iter_rows()
        ],
        dtype=pl.Boolean,
    )
    return CheckOutcome.from_mask(
        "holiday_calendars",
        frame,
        unknown,
        passed_description="every meter's country has a public-holiday calendar",
        failed_description="{failing} of {rows} meters have no public-holiday calendar "
        "(treated as having no holidays): " + _names(frame.filter(unknown)["meter_id"]),
        columns=["meter_id", "country", "subdivision"],
    )


def weather_coverage(features: TableLike) -> CheckOutcome:
    """Every gold feature row has weather: `weather_source` is not `missing` and a temperature.

    The forecast model needs weather on every interval; a row without it is either dropped from
    training or forecast without its main driver. Metadata counts rows per `weather_source`.
    """
    frame = _frame(features)
    _require(
        frame,
        ["meter_id", "interval_start_utc", "weather_source", "temperature_c"],
        "weather_coverage",
    )
    shown = frame.select("meter_id", "interval_start_utc", "weather_source", "temperature_c")
    bad = (shown["weather_source"] == "missing").fill_null(True) | shown["temperature_c"].is_null()
    failing = shown.filter(bad)
    by_source = dict(shown["weather_source"].fill_null("null").value_counts().iter_rows())
    return CheckOutcome.from_mask(
        "weather_coverage",
        shown,
        bad,
        passed_description="every interval has weather",
        failed_description="{failing} of {rows} intervals have no weather: "
        + _names(failing["meter_id"]),
        metadata={
            **{f"{source}_rows": int(by_source.get(source, 0)) for source in WEATHER_SOURCES},
            "meters": _names(failing["meter_id"]),
        },
    )
