"""Gold assets: consumption features for models, and the per-meter daily quality scorecard."""

from collections.abc import Iterator
from datetime import date, timedelta

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from checks import domain
from checks.contracts import (
    GOLD_CONSUMPTION_FEATURES,
    GOLD_QUALITY_SCORECARD,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from checks.result import CheckOutcome
from energy_assets.defs.check_suites import (
    DST_DAY_LENGTHS,
    CheckContext,
    CheckSuite,
    DayCheck,
    matches_contract,
)
from energy_assets.defs.conditions import follows_parents
from energy_assets.defs.domain import DomainDefs
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.partitions import Partitioning, lookback, run_window
from energy_assets.defs.resources import LakeResource
from energy_assets.defs.tables import key, table_asset, write_checked
from energy_assets.settings import Settings
from energy_assets.storage.lake import Chunk
from energy_assets.transforms.layers import chunk_days, feature_chunks, scorecard_chunks
from ml.features import HISTORY_DAYS, LAG_DAYS


def _lags_current(table: pa.Table, context: CheckContext) -> CheckOutcome:
    """`lags_current` on feature rows, against the silver readings of their days and lag days."""
    if context.readings is None or table.num_rows == 0:
        return domain.lags_current(table, SILVER_METER_READINGS.schema.empty_table(), LAG_DAYS)
    first, last = pc.min(table["day"]).as_py(), pc.max(table["day"]).as_py()
    readings = context.readings(first - timedelta(days=HISTORY_DAYS), last)
    return domain.lags_current(table, readings, LAG_DAYS)


FEATURES_CHECKS = CheckSuite(
    key(GOLD_CONSUMPTION_FEATURES),
    [
        matches_contract(GOLD_CONSUMPTION_FEATURES),
        DayCheck(
            "weather_coverage",
            "Every interval has weather (forecast as issued, or the observation standing in).",
            lambda table, _context: domain.weather_coverage(table),
            severity=dg.AssetCheckSeverity.WARN,
        ),
        DST_DAY_LENGTHS,
        DayCheck(
            "lags_current",
            "Every lag equals silver's reading of its lag day, in the run's days and in the "
            f"{HISTORY_DAYS} days after them that read them (warns, naming the days to rebuild).",
            _lags_current,
            severity=dg.AssetCheckSeverity.WARN,
        ),
        DayCheck(
            "holiday_calendars",
            "Every meter's country and subdivision has a public-holiday calendar.",
            lambda _table, context: domain.holiday_calendars(
                context.meters if context.meters is not None else pa.table({})
            ),
            severity=dg.AssetCheckSeverity.WARN,
        ),
    ],
)


@tracks_emissions
def consumption_features(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> dg.MaterializeResult:
    settings = Settings.from_env()
    store = lake.lake()
    start, end = run_window(context)
    meters = store.read(SILVER_METERS)
    suite = FEATURES_CHECKS.fresh()

    def readings(first: date, last: date) -> pa.Table:
        """What `lags_current` compares the lags with: a few columns, ids dictionary-encoded."""
        return store.read(
            SILVER_METER_READINGS,
            first,
            last + timedelta(days=1),
            ["meter_id", "interval_start_utc", "energy_kwh"],
            encoded_strings=True,
        )

    metadata, _ = write_checked(
        store,
        GOLD_CONSUMPTION_FEATURES,
        suite,
        feature_chunks(
            store,
            meters,
            start,
            end,
            settings.forecast_issue_hour_utc,
            chunk_days(meters, settings.chunk_readings),
        ),
        (start, end),
        meters=meters,
        previous_day=store.read(GOLD_CONSUMPTION_FEATURES, start - timedelta(days=1), start),
        readings=readings,
    )
    # The days after the window read it through their lags: say which ones it left stale.
    suite.observe(
        store.read(GOLD_CONSUMPTION_FEATURES, end, end + timedelta(days=HISTORY_DAYS)),
        CheckContext(readings=readings),
        only=("lags_current",),
    )
    checked = suite.results()
    return dg.MaterializeResult(
        metadata={**metadata, "forecast_issue_hour_utc": settings.forecast_issue_hour_utc},
        check_results=checked,
    )


SCORECARD_CHECKS = CheckSuite(
    key(GOLD_QUALITY_SCORECARD), [matches_contract(GOLD_QUALITY_SCORECARD)]
)


@tracks_emissions
def quality_scorecard_asset(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> dg.MaterializeResult:
    store = lake.lake()
    start, end = run_window(context)
    statuses: dict[str, int] = {}

    def counted_chunks() -> Iterator[Chunk]:
        for chunk in scorecard_chunks(store, start, end):
            for status in chunk.table["status"].to_pylist():
                statuses[status] = statuses.get(status, 0) + 1
            yield chunk

    metadata, checked = write_checked(
        store, GOLD_QUALITY_SCORECARD, SCORECARD_CHECKS.fresh(), counted_chunks(), (start, end)
    )
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **{f"meter_days_{status}": count for status, count in sorted(statuses.items())},
        },
        check_results=checked,
    )


def build(partitioning: Partitioning) -> DomainDefs:
    """The gold features and scorecard on the lake's days, following silver."""
    features = table_asset(
        GOLD_CONSUMPTION_FEATURES,
        FEATURES_CHECKS,
        "Consumption with the weather known at the day-ahead issue time, local calendar and "
        "holidays, and lags.",
        partitions=partitioning.daily,
        deps=[
            dg.AssetDep(key(SILVER_METER_READINGS), partition_mapping=lookback(HISTORY_DAYS)),
            key(SILVER_WEATHER),
            key(SILVER_METERS),
        ],
        automation_condition=follows_parents(
            not_triggered_by=[key(SILVER_METERS)], may_miss=[key(SILVER_METER_READINGS)]
        ),
    )(consumption_features)
    scorecard = table_asset(
        GOLD_QUALITY_SCORECARD,
        SCORECARD_CHECKS,
        "Per meter and UTC day: completeness, flags, duplicates removed, rows quarantined, and a "
        "status (good/degraded/bad) with its reasons.",
        partitions=partitioning.daily,
        deps=[key(SILVER_METER_READINGS)],
        automation_condition=follows_parents(),
    )(quality_scorecard_asset)
    return DomainDefs(assets=[features, scorecard])
