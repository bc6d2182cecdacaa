"""The allowed values of the lake's categorical columns: the one Python home of each list.

The pandera schemas, the detectors, the landing parser and the feedback reader use these lists,
and dbt's `accepted_values` tests on the marts must name the same values.
"""

from __future__ import annotations

from typing import Literal

WEATHER_KINDS = ("observation", "forecast")
"""`kind` of a weather row: measured, or issued ahead of its valid time."""
WEATHER_SOURCES = ("forecast", "observation", "missing")
"""Values of gold `weather_source`: the forecast as issued, the observation standing in, none."""
INTENSITY_SOURCES = ("eco2mix", "country_factor", "mixed", "unknown")
"""Where a carbon intensity came from: the regional grid, the country's yearly factor, both."""
SCORECARD_STATUSES = ("good", "degraded", "bad")
REPORTED_UNITS = ("kWh", "Wh", "kW")
"""The energy unit a source declared for a reading, before conversion to kWh."""
LandingKind = Literal["meters", "readings", "weather"]
LANDING_KINDS: tuple[LandingKind, ...] = ("meters", "readings", "weather")
"""The landing folder's sub-folders, one per kind of file."""
LANDING_STATUSES = ("accepted", "rejected", "duplicate")
ALERT_KINDS = ("run_failure", "check_failure")
ALERT_SEVERITIES = ("ERROR", "WARN")
ANOMALY_TYPES = (
    "flatline",
    "dropout",
    "negative",
    "spike",
    "unit_error",
    "sustained_drop",
    "level_shift",
    "model_residual",
    "unusual_day",
)
ANOMALY_SEVERITIES = ("low", "medium", "high")
"""From least to most severe."""
FEEDBACK_VERDICTS = ("confirmed", "false_alarm")
"""An analyst's verdict on an anomaly event."""
CLUSTER_STATUSES = ("clustered", "outlier", "too_few_days", "no_consumption")
"""A meter's outcome in a month's clustering (`gold/meter_clusters.status`)."""
PROFILE_DAY_TYPES = ("working", "non_working")
"""The two halves of a load profile: working days, then weekends and public holidays."""
