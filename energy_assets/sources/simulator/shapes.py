"""Harder anomaly shapes for the simulator, the ones that teach a detector the wrong normal.

The simulator's own anomalies leave a meter's history as it was; real meters do not. These shapes
are the ones seen on real-shaped data that made detectors raise false events after a true one:
- a burst of readings 1000x too large (Wh sent as kWh) for 1-10 hours of one day, too short for
  silver's whole-day unit correction; labelled `unit_error`;
- a drop of consumption to 30-60% for 10-20 days, then a return to normal; labelled
  `sustained_drop`;
- a level shift that persists (a new tenant, a heat pump, a closed wing: x0.45-0.6 or x1.8-2.5
  from one day on); labelled `level_shift` over its first `LEVEL_SHIFT_NEWS_DAYS` days, the time
  the expectations need to learn the new level: alarms after that are false.

Like the rest of the simulator every shape is a pure function of (seed, meter, day): drops are
drawn per 56-day block (never crossing its end), shifts per 182-day block since `SHIFTS_FROM`, so
any day knows on its own whether it lies inside one. Clean meters never get a shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

STREAM_BURST = 11
STREAM_DROP = 12
STREAM_SHIFT = 13
P_BURST = 0.006
"""Meter-days with a partial-day burst of 1000x readings."""
BURST_FACTOR = 1000.0
DROP_BLOCK_DAYS = 56
P_DROP_PER_BLOCK = 0.25
SHIFT_BLOCK_DAYS = 182
P_SHIFT_PER_BLOCK = 0.35
SHIFTS_FROM = date(2023, 7, 1).toordinal()
"""Level shifts start in blocks from this day on (a meter's level stays bounded)."""
LEVEL_SHIFT_NEWS_DAYS = 14
"""Days a level shift is labelled: until the meter's expectations (14 days of level) adapt."""


@dataclass(frozen=True)
class ShapeEvent:
    """One labelled shape touching the day: its kind, first day, interval span and magnitude."""

    row: int
    kind: str
    first_day: int
    first_col: int
    stop_col: int
    magnitude: float
    description: str


@dataclass(frozen=True)
class DayShapes:
    """What the shapes do to one day of a group of meters."""

    factor: FloatArray
    """(meters, intervals) multiplier of consumption (drops and shifts)."""
    burst: BoolArray
    """(meters, intervals) readings multiplied by `BURST_FACTOR` after everything else."""
    events: list[ShapeEvent]


def _drop(seed: int, meter: int, ordinal: int) -> tuple[int, int, float] | None:
    """(first day, days, factor) of the meter's drop if `ordinal` lies in one."""
    block = ordinal // DROP_BLOCK_DAYS
    u = np.random.default_rng([seed, meter, block, STREAM_DROP]).random(4)
    if u[0] >= P_DROP_PER_BLOCK:
        return None
    length = 10 + int(u[1] * 11)
    first = block * DROP_BLOCK_DAYS + int(u[2] * (DROP_BLOCK_DAYS - length - 5))
    if not first <= ordinal < first + length:
        return None
    return first, length, 0.3 + 0.3 * float(u[3])


def _shifts(seed: int, meter: int, ordinal: int) -> tuple[float, tuple[int, float] | None]:
    """The meter's level factor on `ordinal` (product of every shift so far) and the latest
    shift (first day, factor) if it is still news."""
    level, news = 1.0, None
    for block in range(SHIFTS_FROM // SHIFT_BLOCK_DAYS + 1, ordinal // SHIFT_BLOCK_DAYS + 1):
        u = np.random.default_rng([seed, meter, block, STREAM_SHIFT]).random(4)
        first = block * SHIFT_BLOCK_DAYS + int(u[1] * SHIFT_BLOCK_DAYS)
        if u[0] >= P_SHIFT_PER_BLOCK or first > ordinal:
            continue
        factor = 0.45 + 0.15 * float(u[2]) if u[3] < 0.5 else 1.8 + 0.7 * float(u[2])
        level *= factor
        news = (first, factor) if ordinal < first + LEVEL_SHIFT_NEWS_DAYS else None
    return level, news


def day_shapes(
    seed: int, meters: IntArray, clean: BoolArray, ordinal: int, n_intervals: int
) -> DayShapes:
    """The shapes of `ordinal` for the meters (indexes) of a group; `clean` ones get none."""
    n = len(meters)
    factor = np.ones((n, n_intervals))
    burst = np.zeros((n, n_intervals), dtype=bool)
    events: list[ShapeEvent] = []
    for j, i in enumerate(meters.tolist()):
        if clean[j]:
            continue
        level, news = _shifts(seed, i, ordinal)
        factor[j] *= level
        if news is not None:
            first, f = news
            events.append(
                ShapeEvent(j, "level_shift", first, 0, n_intervals, f,
                           f"consumption level x{f:.2f} from {date.fromordinal(first)} on")
            )  # fmt: skip
        drop = _drop(seed, i, ordinal)
        if drop is not None:
            first, length, f = drop
            factor[j] *= f
            events.append(
                ShapeEvent(j, "sustained_drop", first, 0, n_intervals, f,
                           f"consumption x{f:.2f} for {length} days from "
                           f"{date.fromordinal(first)}, then back to normal")
            )  # fmt: skip
        u = np.random.default_rng([seed, i, ordinal, STREAM_BURST]).random(3)
        if u[0] < P_BURST:
            length = max(1, round((1 + 9 * u[1]) * n_intervals / 24))
            start = int(u[2] * (n_intervals - length + 1))
            burst[j, start : start + length] = True
            hours = 24 * length / n_intervals
            events.append(
                ShapeEvent(j, "unit_error", ordinal, start, start + length, BURST_FACTOR,
                           f"readings x1000 (Wh sent as kWh) for {hours:g} h of one day")
            )  # fmt: skip
    return DayShapes(factor, burst, events)
