"""The day-ahead forecasts of each target day (`gold/forecasts`) and their sums per region
(`gold/region_forecasts`): the forecast of day D is issued on D-1 at the issue hour, by the model
of the training period holding D-1, or a named fallback."""

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import dagster as dg

from checks.contracts import (
    GOLD_CONSUMPTION_FEATURES,
    GOLD_FORECASTS,
    GOLD_REGION_FORECASTS,
    SILVER_METER_READINGS,
    SILVER_METERS,
    SILVER_WEATHER,
)
from checks.forecasts import fallback_share
from checks.quarantine import Rejection
from energy_assets.defs.check_suites import CheckSuite, DayCheck, matches_contract
from energy_assets.defs.emissions import tracks_emissions
from energy_assets.defs.forecasting.freshness import forecast_freshness_policy
from energy_assets.defs.forecasting.training import GROUP, MODEL_KEY
from energy_assets.defs.partitions import (
    SINGLE_RUN,
    TRAINING_CADENCE,
    Partitioning,
    lookback,
    run_window,
    training_cadence,
)
from energy_assets.defs.resources import LakeResource, MlflowResource
from energy_assets.defs.tables import (
    key,
    quarantine_refused,
    screened_rejections,
    write_metadata,
)
from energy_assets.settings import Settings
from energy_assets.storage.lake import Chunk, days_in, within_days
from energy_assets.transforms.day_ahead import (
    PROFILE_DAYS,
    DayAheadReads,
    Predictors,
    forecast_days,
)
from energy_assets.transforms.layers import chunk_days, chunks
from ml.features import HISTORY_DAYS
from ml.forecasting.model import region_rows

ISSUE_DAY_MODEL = lookback(1, end_offset=-1, allow_missing=False)
"""Target day D depends on the training period holding its issue day D-1 (offsets are in the
downstream's days), as `day_ahead.forecast_days` uses: a Monday's forecast, issued on Sunday, is
made by the previous week's model."""


SCREENED_CHECKS = CheckSuite(key(GOLD_FORECASTS), [matches_contract(GOLD_FORECASTS)])
"""Checks that screen rows before the write, run on each chunk of days."""
DAILY_CHECKS = CheckSuite(
    key(GOLD_FORECASTS),
    [
        DayCheck(
            "fallback_share",
            "Most rows come from the model; the reasons of fallback rows are counted.",
            lambda table, _context: fallback_share(table),
            severity=dg.AssetCheckSeverity.WARN,
        ),
    ],
)
"""Checks of each target day's admitted rows."""
FORECASTS_CHECKS = CheckSuite(key(GOLD_FORECASTS), [*SCREENED_CHECKS.checks, *DAILY_CHECKS.checks])
REGION_CHECKS = CheckSuite(key(GOLD_REGION_FORECASTS), [matches_contract(GOLD_REGION_FORECASTS)])


@tracks_emissions
def day_ahead_forecasts(
    context: dg.AssetExecutionContext, lake: LakeResource, mlflow_tracking: MlflowResource
) -> Iterator[dg.MaterializeResult]:
    settings = Settings.from_env()
    cadence = training_cadence(context)
    store = lake.lake()
    mlflow_tracking.connect(store)
    start, end = run_window(context)
    meters = store.read(SILVER_METERS)
    suite, daily = SCREENED_CHECKS.fresh(), DAILY_CHECKS.fresh()
    region_suite = REGION_CHECKS.fresh()
    regions: list[Chunk] = []
    models: Counter[str] = Counter()
    predictors: Predictors = {}
    reads = DayAheadReads(store)

    refused: list[Rejection] = []
    region_refused: list[Rejection] = []

    def checked() -> Iterator[Chunk]:
        # Each chunk's rows are screened before the write: rows a blocking check fails go to
        # quarantine with the reason instead of being committed and failing the run after.
        for low, high in chunks(start, end, chunk_days(meters, settings.chunk_readings)):
            reads.hold(low, high)
            rows = forecast_days(
                store,
                meters,
                low,
                high,
                settings.forecast_issue_hour_utc,
                mlflow_tracking.model_name,
                cadence,
                predictors,
                reads=reads,
            )
            chunk = Chunk(low, high, rows)
            kept, screened = suite.admit(rows)
            refused.extend(screened_rejections(screened, chunk))
            for day in days_in(low, high):
                daily.observe(within_days(kept, day, day + timedelta(days=1)))
            region, region_screened = region_suite.admit(region_rows(kept))
            region_refused.extend(screened_rejections(region_screened, chunk))
            models.update(kept["model_used"].to_pylist())
            regions.append(Chunk(low, high, region))
            yield Chunk(low, high, kept)

    written = store.replace_chunks(GOLD_FORECASTS, checked())
    region_written = store.replace_chunks(GOLD_REGION_FORECASTS, regions)
    quarantined = quarantine_refused(store, GOLD_FORECASTS, refused, (start, end))
    region_quarantined = quarantine_refused(
        store, GOLD_REGION_FORECASTS, region_refused, (start, end)
    )
    yield dg.MaterializeResult(
        asset_key=key(GOLD_FORECASTS),
        metadata={
            **write_metadata(written, start, end),
            "refused_rows": quarantined,
            "issue_hour_utc": settings.forecast_issue_hour_utc,
            **{f"rows_by {used}": count for used, count in sorted(models.items())},
        },
        check_results=suite.results() + daily.results(),
    )
    yield dg.MaterializeResult(
        asset_key=key(GOLD_REGION_FORECASTS),
        metadata={
            **write_metadata(region_written, start, end),
            "refused_rows": region_quarantined,
        },
        check_results=region_suite.results(),
    )


def build_forecasts(partitioning: Partitioning, issue_hour_utc: int) -> dg.AssetsDefinition:
    """The forecasts of the target days, due by `issue_hour_utc` plus the grace."""
    days = partitioning.forecast_days
    return dg.multi_asset(
        specs=[
            dg.AssetSpec(
                key(GOLD_FORECASTS),
                group_name=GROUP,
                kinds={"delta", "xgboost"},
                freshness_policy=forecast_freshness_policy(issue_hour_utc),
                metadata={TRAINING_CADENCE: partitioning.cadence},
                deps=[
                    dg.AssetDep(MODEL_KEY, partition_mapping=ISSUE_DAY_MODEL),
                    dg.AssetDep(
                        key(GOLD_CONSUMPTION_FEATURES),
                        partition_mapping=lookback(PROFILE_DAYS, end_offset=-1),
                    ),
                    dg.AssetDep(
                        key(SILVER_METER_READINGS),
                        partition_mapping=lookback(HISTORY_DAYS, end_offset=-1),
                    ),
                    dg.AssetDep(
                        key(SILVER_WEATHER),
                        partition_mapping=lookback(0),
                    ),
                    key(SILVER_METERS),
                ],
                description=(
                    "Day-ahead forecast of every meter and interval of the target day (P50, P10, "
                    "P90), issued the day before at ENERGY_FORECAST_ISSUE_HOUR_UTC from what was "
                    "known then; `model_used` names the model or the fallback. "
                    f"Grain: {GOLD_FORECASTS.grain}."
                ),
            ),
            dg.AssetSpec(
                key(GOLD_REGION_FORECASTS),
                group_name=GROUP,
                kinds={"delta"},
                deps=[key(GOLD_FORECASTS)],
                description=(
                    "Meter forecasts summed per region and hour, for grid planning. "
                    f"Grain: {GOLD_REGION_FORECASTS.grain}."
                ),
            ),
        ],
        partitions_def=days,
        backfill_policy=SINGLE_RUN,
        check_specs=FORECASTS_CHECKS.specs(days) + REGION_CHECKS.specs(days),
    )(day_ahead_forecasts)
