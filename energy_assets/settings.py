"""Environment settings, read when a run starts (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

KNOWN_SOURCES = ("simulator", "landing", "open_meteo", "eco2mix")
DEFAULT_START_DATE = "2024-01-01"


def start_date() -> date:
    """First daily partition (`ENERGY_START_DATE`), so imported history of any age fits."""
    return date.fromisoformat(os.environ.get("ENERGY_START_DATE", DEFAULT_START_DATE))


@dataclass(frozen=True)
class Settings:
    """What an environment uses: its sources, the simulator's size and the day-ahead issue hour."""

    sources: tuple[str, ...]
    simulator_seed: int
    simulator_meters: int
    forecast_issue_hour_utc: int

    @classmethod
    def from_env(cls) -> Settings:
        sources = tuple(
            s.strip() for s in os.environ.get("ENERGY_SOURCES", "simulator").split(",") if s.strip()
        )
        unknown = sorted(set(sources) - set(KNOWN_SOURCES))
        if unknown:
            raise ValueError(
                f"ENERGY_SOURCES names unknown sources {unknown}; known: {list(KNOWN_SOURCES)}"
            )
        return cls(
            sources=sources,
            simulator_seed=int(os.environ.get("ENERGY_SIM_SEED", "42")),
            simulator_meters=int(os.environ.get("ENERGY_SIM_METERS", "50")),
            forecast_issue_hour_utc=int(os.environ.get("ENERGY_FORECAST_ISSUE_HOUR_UTC", "12")),
        )
