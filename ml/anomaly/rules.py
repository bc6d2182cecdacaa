"""Rule detectors over meter intervals and meter-days: plain polars functions, one per pattern.

Interval rules take a frame sorted by meter then time, with every interval of the meters' days
(gaps as null energy, as in gold `consumption_features`) and the columns `meter_id`,
`interval_start_utc`, `interval_minutes`, `energy_kwh`, `expected_kwh`, `level_kwh`,
`residual_z` (see `ml.anomaly.expectation`) and `can_export`. Each returns the flagged intervals
as `FLAG_COLUMNS`: `strength` is how far past its threshold the interval is (1 = at it), which
the event's score and severity come from.

Day rules take per meter-day frames and return runs of flagged days as events.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ml.anomaly.params import AnomalyParams

SPIKE_WINDOW = 9
"""Intervals around a reading whose median a spike is compared with (a spike lasts 1-3)."""
NEIGHBOUR_RATIO = 2.0
"""A spike is at least this many times the median of its neighbouring readings (`SPIKE_WINDOW`).
They keep a return to normal after weeks of low consumption, to which the expectation has
adapted, from looking like a spike: such a return lifts its neighbours too (about 1x them).
Asking them for `spike_ratio` as well missed x3.2 spikes on a reading below its neighbours."""
SLOT_HIGH_FACTOR = 1.5
"""A spike is at least this many times what the meter usually reads at most at that hour and
day kind (`slot_high_kwh`)."""
USUAL_RUN_FACTOR = 2.0
"""A flatline or dropout must last this many times the meter's usual longest daily run of
identical readings or zeros (`usual_runs`), when that is longer than the rule's minimum."""
DROP_FLOOR = 0.6
"""Share of its baseline below which a day of a meter that cannot export is low, however
widely its history scatters (`sustained_drop`)."""
BURST_QUANTILE = 0.995
"""Quantile of a meter's readings over their neighbours' median that `usual_bursts` reports: a
size of jump the meter makes every few days (a kettle, an oven), a handful of glitches aside."""
FLAG_COLUMNS = ("meter_id", "interval_start_utc", "interval_minutes", "anomaly_type", "strength")


def _flags(
    frame: pl.DataFrame, anomaly_type: str, mask: pl.Expr, strength: pl.Expr
) -> pl.DataFrame:
    return (
        frame.lazy()
        .with_columns(anomaly_type=pl.lit(anomaly_type), strength=strength.cast(pl.Float64))
        .filter(mask.fill_null(False))
        .select(FLAG_COLUMNS)
        .collect()
    )


def _run_minutes(condition: pl.Expr, value: pl.Expr | None = None) -> pl.Expr:
    """Minutes covered by the run of consecutive rows (per meter) sharing `condition` (and
    `value`, when given) that each row belongs to."""
    key = pl.struct(
        pl.col("meter_id").alias("meter"),
        condition.fill_null(False).alias("condition"),
        (value if value is not None else pl.lit(0)).alias("value"),
    )
    run = key.rle_id()
    return pl.col("interval_minutes").cast(pl.Int64).sum().over(run)


def _run_threshold(frame: pl.DataFrame, usual: str, minimum: int) -> pl.Expr:
    """The rule's `minimum` minutes, or `USUAL_RUN_FACTOR` times the meter's usual run
    (`usual`, from `usual_runs`, when the frame has it) where that is longer."""
    if usual not in frame.columns:
        return pl.lit(float(minimum))
    return pl.max_horizontal(pl.lit(float(minimum)), USUAL_RUN_FACTOR * pl.col(usual))


def usual_runs(history: pl.DataFrame) -> pl.DataFrame:
    """Per meter of `history` (interval rows sorted by meter then time): `usual_flat_minutes`
    and `usual_zero_minutes`, the median over its days of the day's longest run of identical
    non-zero readings and of zeros. A household whose base load reads 0.062 kWh for two hours
    every night, or whose solar panels zero the import every afternoon, does that daily; a
    stuck meter or a dropout on one day does not move the median."""
    energy = pl.col("energy_kwh")
    stuck = energy.is_not_null() & (energy != 0)
    zero = energy == 0
    return (
        history.with_columns(
            flat=pl.when(stuck).then(_run_minutes(stuck, energy)).otherwise(0),
            zero=pl.when(zero).then(_run_minutes(zero)).otherwise(0),
        )
        .group_by("meter_id", "day")
        .agg(pl.col("flat").max(), pl.col("zero").max())
        .group_by("meter_id")
        .agg(
            usual_flat_minutes=pl.col("flat").median(),
            usual_zero_minutes=pl.col("zero").median(),
        )
    )


def _neighbours() -> pl.Expr:
    """The median of the `SPIKE_WINDOW` readings around each reading of the meter."""
    energy = pl.col("energy_kwh")
    return energy.rolling_median(SPIKE_WINDOW, center=True, min_samples=3).over("meter_id")


def usual_bursts(history: pl.DataFrame) -> pl.DataFrame:
    """Per meter of `history` (interval rows sorted by meter then time, as the meter sent
    them): `usual_burst_ratio`, the `BURST_QUANTILE` of its readings over the median of their
    neighbours. A household whose kettle or oven lifts a half-hour to 20 times its neighbours
    every other day does that as a habit; a meter whose load is smooth jumps little."""
    return (
        history.with_columns(neighbours_kwh=_neighbours())
        .filter(pl.col("neighbours_kwh") > 0)
        .group_by("meter_id")
        .agg(
            usual_burst_ratio=(pl.col("energy_kwh") / pl.col("neighbours_kwh")).quantile(
                BURST_QUANTILE
            )
        )
    )


def flatline(frame: pl.DataFrame, params: AnomalyParams) -> pl.DataFrame:
    """A stuck meter: the same non-zero reading for at least `flatline_min_minutes`, and longer
    than the meter's usual runs (`_run_threshold`; runs of zeros are dropouts; gaps break
    runs)."""
    energy = pl.col("energy_kwh")
    stuck = energy.is_not_null() & (energy != 0)
    minutes = _run_minutes(stuck, energy)
    threshold = _run_threshold(frame, "usual_flat_minutes", params.flatline_min_minutes)
    return _flags(frame, "flatline", stuck & (minutes >= threshold), minutes / threshold)


def dropout(frame: pl.DataFrame, params: AnomalyParams) -> pl.DataFrame:
    """Exact zeros for at least `dropout_min_minutes`, and longer than the meter's usual zero
    runs (`_run_threshold`), where the meter was expected to consume or, with solar panels, to
    export (or where nothing is known to expect: a meter that reads zero for an hour is
    suspect)."""
    zero = pl.col("energy_kwh") == 0
    minutes = _run_minutes(zero)
    expected = pl.col("expected_kwh").fill_null(1.0)
    run = pl.struct(pl.col("meter_id").alias("meter"), zero.fill_null(False).alias("zero")).rle_id()
    consuming = expected.abs().sum().over(run) > 0
    threshold = _run_threshold(frame, "usual_zero_minutes", params.dropout_min_minutes)
    return _flags(
        frame, "dropout", zero & consuming & (minutes >= threshold), minutes / threshold
    )  # fmt: skip


def negative(frame: pl.DataFrame, _params: AnomalyParams) -> pl.DataFrame:
    """Negative energy on a meter that cannot export (no solar, no battery behind it)."""
    energy = pl.col("energy_kwh")
    level = pl.col("level_kwh").fill_null(1.0)
    return _flags(
        frame, "negative", (energy < 0) & ~pl.col("can_export").fill_null(False),
        1.0 + energy.abs() / level,
    )  # fmt: skip


def _times(frame: pl.DataFrame, reference: pl.Expr) -> pl.Expr:
    """The reading as a multiple of `reference`, the jump above it measured in its size: `x`
    times a positive reference; for a meter that can export (`can_export`) whose reference is
    negative (its panels export), 1 plus the jump over the reference's size, so a kettle at
    noon that turns an export of 0.4 kWh into an import of 0.3 is a jump of nearly 2x its
    size, not a negative ratio. Null where the reference is zero or, for the others, negative."""
    exporting = pl.col("can_export").fill_null(False) if "can_export" in frame.columns else False
    energy = pl.col("energy_kwh")
    return (
        pl.when(reference > 0)
        .then(energy / reference)
        .when(exporting & (reference < 0))
        .then(1.0 + (energy - reference) / reference.abs())
    )


def spike(frame: pl.DataFrame, params: AnomalyParams) -> pl.DataFrame:
    """Consumption at least `spike_ratio` times the expectation and `NEIGHBOUR_RATIO` times the
    median of the neighbouring intervals, `spike_z` robust deviations above what is usual for
    the meter at that hour and day type, and, when
    the frame has them, `SLOT_HIGH_FACTOR` times what the meter usually reads at most at that
    hour (`slot_high_kwh`) and above the jumps over its neighbours the meter usually makes
    (`usual_burst_ratio`, from `usual_bursts`): a household's kettle or oven is short and far
    above its mean, but neither above what it does most evenings nor a bigger jump than it
    makes every few days. Each "times" is `_times`: on a meter whose panels export at that
    hour, a jump of that many times the export's size."""
    frame = frame.with_columns(neighbours_kwh=_neighbours())
    ratio = _times(frame, pl.col("expected_kwh"))
    over_neighbours = _times(frame, pl.col("neighbours_kwh"))
    mask = (
        (ratio >= params.spike_ratio)
        & (over_neighbours >= NEIGHBOUR_RATIO)
        & (pl.col("residual_z") >= params.spike_z)
        & (ratio < params.unit_error_ratio)
    )
    if "slot_high_kwh" in frame.columns:
        over_slot = _times(frame, pl.col("slot_high_kwh"))
        mask = mask & (over_slot >= SLOT_HIGH_FACTOR).fill_null(True)
    if "usual_burst_ratio" in frame.columns:
        mask = mask & (over_neighbours > pl.col("usual_burst_ratio")).fill_null(True)
    return _flags(frame, "spike", mask, ratio / params.spike_ratio)


def unit_jump(frame: pl.DataFrame, params: AnomalyParams) -> pl.DataFrame:
    """Readings about 1000 times the meter's level that silver did not correct (Wh sent as kWh
    on a day whose median still looked plausible)."""
    reference = pl.max_horizontal(pl.col("expected_kwh").abs(), pl.col("level_kwh"))
    ratio = pl.col("energy_kwh") / reference
    return _flags(
        frame, "unit_error", (reference > 0) & (ratio >= params.unit_error_ratio),
        ratio / params.unit_error_ratio,
    )  # fmt: skip


def model_residual(frame: pl.DataFrame, params: AnomalyParams) -> pl.DataFrame:
    """Consumption far from the model's expectation under the observed weather (`residual_z`
    beyond `residual_z`, same direction) for at least `residual_min_minutes`, and outside what
    the meter usually reads at that hour and day kind (below `slot_low_kwh`, above
    `slot_high_kwh`, when the frame has them): a commercial meter at its Sunday level on a
    Sunday the model took for a Saturday (the weekend after a holiday) is the model's miss,
    not the meter's. Only where the model itself ran (`expected_source` = `model`): the
    profile fallbacks know neither weather nor holidays, so a holiday would look like a
    six-hour anomaly to them. Nor, on a meter that can export (`can_export`), a reading above
    an expected export: less export than the radiation forecast promised is what clouds it did
    not see look like (gold keeps no observed radiation), not the meter's doing."""
    z = pl.col("residual_z")
    far = (z.abs() >= params.residual_z) & (pl.col("expected_source") == "model")
    if "can_export" in frame.columns:
        clouds = pl.col("can_export").fill_null(False) & (pl.col("expected_kwh") < 0) & (z > 0)
        far = far & ~clouds.fill_null(False)
    if "slot_low_kwh" in frame.columns:
        energy = pl.col("energy_kwh")
        unusual = pl.when(z < 0).then(energy < pl.col("slot_low_kwh"))
        far = far & unusual.otherwise(energy > pl.col("slot_high_kwh")).fill_null(True)
    minutes = _run_minutes(far, z.sign())
    return _flags(
        frame, "model_residual", far & (minutes >= params.residual_min_minutes),
        z.abs() / params.residual_z,
    )  # fmt: skip


INTERVAL_RULES = (flatline, dropout, negative, spike, unit_jump, model_residual)


def interval_flags(frame: pl.DataFrame, params: AnomalyParams) -> pl.DataFrame:
    """Every interval rule's flags, stacked (an interval may be flagged by several rules)."""
    return pl.concat([rule(frame, params) for rule in INTERVAL_RULES])


def day_runs(
    days: pl.DataFrame, flagged: pl.Expr, day: date, min_days: int, anomaly_type: str
) -> pl.DataFrame:
    """Runs of consecutive flagged days per meter (`days`: `meter_id`, `day`, one row per
    meter-day, plus the columns of `flagged`) that reach `day` and last at least `min_days`:
    `meter_id`, `anomaly_type`, `event_start_utc` (the run's first midnight), `event_end_utc`
    (the end of `day`: the extent known so far) and `run_days` (the flagged days in it). A day
    whose flag is unknown (null: no complete day of readings) or that is missing neither
    confirms nor breaks a run: a drop with a gap in its readings is still one drop. Only
    meters flagged on `day` are followed back (most days none is, and the run search is
    skipped)."""
    today = days.filter((pl.col("day") == day) & flagged.fill_null(False))["meter_id"]
    if today.is_empty():
        return pl.DataFrame(schema={
            "meter_id": days.schema["meter_id"], "anomaly_type": pl.String,
            "event_start_utc": pl.Datetime("us", "UTC"), "event_end_utc": pl.Datetime("us", "UTC"),
            "run_days": pl.Int32,
        })  # fmt: skip
    runs = (
        days.lazy()
        .filter(pl.col("meter_id").is_in(today.implode()))
        .with_columns(is_flagged=flagged)
        .filter(pl.col("is_flagged").is_not_null())
        .sort("meter_id", "day")
        .with_columns(
            is_new_run=(
                pl.col("is_flagged") != pl.col("is_flagged").shift(1).over("meter_id")
            ).fill_null(True)
        )
        .with_columns(run=pl.col("is_new_run").cum_sum())
        .filter(pl.col("is_flagged"))
        .group_by("meter_id", "run")
        .agg(first=pl.col("day").min(), last=pl.col("day").max(), run_days=pl.len())
        .filter((pl.col("last") == day) & (pl.col("run_days") >= min_days))
    )
    midnight = pl.col("first").cast(pl.Datetime("us", "UTC"))
    return runs.select(
        "meter_id",
        anomaly_type=pl.lit(anomaly_type),
        event_start_utc=midnight,
        event_end_utc=pl.lit(day + timedelta(days=1)).cast(pl.Datetime("us", "UTC")),
        run_days=pl.col("run_days").cast(pl.Int32),
    ).collect()


def consumption_ratio(baselines: pl.DataFrame) -> pl.Expr:
    """A meter-day's consumption over its baseline's (`daily_baseline`); for a prosumer both
    without the baseline's solar term (`baseline_solar_kwh`, when the frame has it), so a
    drop of consumption reads as its share even on a summer day the panels make both net
    figures negative. Null where the baseline expects no consumption."""
    energy, baseline = pl.col("energy_kwh"), pl.col("baseline_kwh")
    if "baseline_solar_kwh" in baselines.columns:
        solar = pl.col("baseline_solar_kwh").fill_null(0.0)
        energy, baseline = energy - solar, baseline - solar
    return pl.when(baseline > 0).then(energy / baseline)


def sustained_drop(baselines: pl.DataFrame, day: date, params: AnomalyParams) -> pl.DataFrame:
    """Days whose consumption is below `drop_ratio` of the meter's weather-adjusted baseline
    (`consumption_ratio`: a prosumer's net of its panels), at least `drop_min_days` running up
    to `day`: the signature of theft or a bypassed meter. A meter whose days scatter widely
    around its baseline must fall three of its spreads below it, which rarely happens; but a
    meter that cannot export (`can_export` false, when the frame has it) is low below
    `DROP_FLOOR` of its baseline however wide its spread: a history holding an earlier drop or
    a change of level widens it past any drop."""
    ratio = consumption_ratio(baselines)
    spread_bar = 1.0 - 3.0 * pl.col("baseline_spread")
    if "can_export" in baselines.columns:
        floor = pl.when(pl.col("can_export")).then(None).otherwise(pl.lit(DROP_FLOOR))
        spread_bar = pl.max_horizontal(spread_bar, floor)
    threshold = pl.min_horizontal(pl.lit(params.drop_ratio), spread_bar)
    return day_runs(baselines, ratio < threshold, day, params.drop_min_days, "sustained_drop")


def sustained_rise(baselines: pl.DataFrame, day: date, params: AnomalyParams) -> pl.DataFrame:
    """Days above `rise_ratio` of the meter's weather-adjusted baseline (and three of its spreads
    above it), at least `drop_min_days` running up to `day`: a level that moved up and stays
    there (new load, a heat pump, a new tenant), the mirror of `sustained_drop`. Raised once:
    the baseline learns the new level as the days go by, and until it has, a meter that held
    a level `rise_ratio` above it for days (`baseline_held_ratio`, when the frame has it: the
    new level, seen before a drop hid it for a while) must rise `rise_ratio` above that level
    again: coming back to it is not a second shift. A prosumer's rise must show both in the
    net figures and in its consumption net of the panels' estimated output
    (`consumption_ratio`): either alone reads a cloudier week than the radiation forecast, or
    a net baseline near zero, as new load."""
    net = pl.when(pl.col("baseline_kwh") > 0).then(pl.col("energy_kwh") / pl.col("baseline_kwh"))
    threshold = pl.max_horizontal(pl.lit(params.rise_ratio), 1.0 + 3.0 * pl.col("baseline_spread"))
    if "baseline_held_ratio" in baselines.columns:
        held = pl.col("baseline_held_ratio")
        threshold = pl.max_horizontal(
            threshold, pl.when(held >= params.rise_ratio).then(params.rise_ratio * held)
        )
    high = (net > threshold) & (consumption_ratio(baselines) > threshold)
    return day_runs(baselines, high, day, params.drop_min_days, "level_shift")


def corrected_units(unit_days: pl.DataFrame, day: date) -> pl.DataFrame:
    """Days silver divided by 1000 (`is_unit_corrected`; `unit_days`: `meter_id`, `day`,
    `is_unit_corrected`): corrected, but still an event the meter's owner must hear about."""
    return day_runs(unit_days, pl.col("is_unit_corrected"), day, 1, "unit_error")
