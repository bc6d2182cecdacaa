"""Request and response bodies of `POST /forecast`."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ForecastRequest(BaseModel):
    """One meter or one region, one target day, optionally under another temperature."""

    model_config = ConfigDict(extra="forbid")

    meter_id: str | None = Field(default=None, min_length=1)
    region: str | None = Field(default=None, min_length=1)
    day: date = Field(description="target day (UTC), forecast as issued the day before")
    mean_temperature_c: float | None = Field(
        default=None,
        ge=-60.0,
        le=60.0,
        description="what-if: the day's forecast temperature curve shifted to this mean",
    )

    @model_validator(mode="after")
    def one_subject(self) -> ForecastRequest:
        if (self.meter_id is None) == (self.region is None):
            raise ValueError("give exactly one of meter_id or region")
        return self


class IntervalForecast(BaseModel):
    """P10/P50/P90 of one interval (a meter's own interval, or a UTC hour for a region)."""

    interval_start_utc: datetime
    p10_kwh: float
    p50_kwh: float
    p90_kwh: float
    fallback_meters: int = Field(description="meters of this interval forecast by a fallback")


class ForecastResponse(BaseModel):
    meter_id: str | None
    region: str | None
    day: date
    issued_at_utc: datetime
    mean_temperature_c: float | None
    model_name: str
    model_version: str | None = Field(description="the registered version; None if no model")
    model_used: list[str] = Field(description="the model or the fallbacks behind the intervals")
    fallback_reasons: list[str]
    intervals: list[IntervalForecast]
