"""The thresholds of the anomaly detectors, in one place so the asset's config, the MLflow params
and the README figures all name the same settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class AnomalyParams:
    """Detector settings. Durations are in minutes so meters of any interval share them."""

    flatline_min_minutes: int = 120
    """A run of identical non-zero readings at least this long is a stuck meter."""
    dropout_min_minutes: int = 60
    """A run of exact zeros at least this long, where consumption was expected, is a dropout."""
    spike_ratio: float = 2.5
    """A spike is at least this many times the expected consumption ..."""
    spike_z: float = 5.0
    """... and this many robust deviations above the meter's usual residual for the slot."""
    unit_error_ratio: float = 300.0
    """Readings this many times the expected level, left uncorrected, are Wh sent as kWh."""
    drop_ratio: float = 0.75
    """A day whose consumption is below this share of the weather-adjusted baseline is low ..."""
    drop_min_days: int = 3
    """... and this many low days running make a sustained drop (possible theft)."""
    rise_ratio: float = 1.5
    """As many days running above this multiple of the baseline are an upward level shift."""
    baseline_days: int = 56
    """Days of the meter's own history the daily baseline and the residual scales use."""
    min_baseline_days: int = 10
    """Fewer whole days of history than this: detectors that need a baseline stand down."""
    residual_z: float = 7.0
    """Model residuals this many robust deviations from the slot's usual residual ..."""
    residual_min_minutes: int = 120
    """... sustained this long (no rule explaining them) are a model-residual anomaly."""
    unusual_day_score: float = 0.72
    """Isolation-forest score (0.5 is ordinary, 1 is isolated at once) above which a day is
    unusual, when it also exceeds every score of the meter's history days."""
    merge_gap_minutes: int = 60
    """Flagged intervals of one type closer than this merge into one event."""
    severe_share: float = 0.2
    """Share of meters with a high-severity anomaly on a day above which the day check warns."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
