"""French regional electricity consumption and grid carbon intensity (RTE éCO2mix, served by ODRE's
Opendatasoft Explore API v2.1).

Each metropolitan region is a "meter" of customer type `grid_region`. Two datasets:
`eco2mix-regional-tr` (real time, 15-minute values) and `eco2mix-regional-cons-def` (consolidated
and definitive). Their records carry `code_insee_region`, `libelle_region`, `date_heure` (the
interval start, ISO 8601 with offset), `consommation` (mean power in MW over the interval) and,
where published, `taux_co2` (gCO2/kWh of the regional mix). Both are mapped onto the same 30-minute
grid (mean power of the interval's published values x 0.5 h x 1000 = kWh). The real-time dataset
is fetched first and the consolidated one after, so in silver the consolidated value, received
last, replaces the real-time one: a revision, not a duplicate.

Documented response shape of `GET /api/explore/v2.1/catalog/datasets/{id}/records`:
`{"total_count": int, "results": [{field: value, ...}, ...]}`, at most 100 records per page
(`limit`, `offset`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa

from checks.contracts import BRONZE_GRID_CARBON_INTENSITY, BRONZE_METER_READINGS, BRONZE_METERS
from checks.quarantine import Rejection
from energy_assets.sources.http import ApiResponse, MalformedResponseError

SOURCE = "eco2mix"
BASE_URL = "https://odre.opendatasoft.com"
REAL_TIME = "eco2mix-regional-tr"
CONSOLIDATED = "eco2mix-regional-cons-def"
DATASETS = (REAL_TIME, CONSOLIDATED)
"""Fetch order matters: the consolidated dataset comes last so its values win in silver."""
PAGE_SIZE = 100
GRID_MINUTES = 30
REQUIRED_FIELDS = ("code_insee_region", "libelle_region", "date_heure", "consommation")
INTENSITY_FIELD = "taux_co2"
"""Optional: a record without it has no published intensity (the country factor stands in)."""


@dataclass(frozen=True)
class Region:
    insee_code: str
    region: str
    """ISO 3166-2 code, as the other sources name regions."""
    name: str
    latitude: float
    longitude: float


REGIONS: tuple[Region, ...] = (
    Region("11", "FR-IDF", "Île-de-France", 48.71, 2.50),
    Region("24", "FR-CVL", "Centre-Val de Loire", 47.48, 1.68),
    Region("27", "FR-BFC", "Bourgogne-Franche-Comté", 47.24, 4.81),
    Region("28", "FR-NOR", "Normandie", 49.12, 0.11),
    Region("32", "FR-HDF", "Hauts-de-France", 49.97, 2.78),
    Region("44", "FR-GES", "Grand Est", 48.69, 5.62),
    Region("52", "FR-PDL", "Pays de la Loire", 47.47, -0.82),
    Region("53", "FR-BRE", "Bretagne", 48.18, -2.84),
    Region("75", "FR-NAQ", "Nouvelle-Aquitaine", 45.19, 0.20),
    Region("76", "FR-OCC", "Occitanie", 43.70, 2.14),
    Region("84", "FR-ARA", "Auvergne-Rhône-Alpes", 45.51, 4.54),
    Region("93", "FR-PAC", "Provence-Alpes-Côte d'Azur", 43.96, 6.06),
)
"""The 12 metropolitan regions éCO2mix publishes (Corsica is not in the regional datasets), with
approximate geographic centroids."""
REGION_BY_CODE = {r.insee_code: r for r in REGIONS}


@dataclass(frozen=True)
class Eco2mixConfig:
    base_url: str = BASE_URL
    api_key: str | None = None
    region_codes: tuple[str, ...] = tuple(REGION_BY_CODE)

    def regions(self) -> list[Region]:
        unknown = sorted(set(self.region_codes) - set(REGION_BY_CODE))
        if unknown:
            raise ValueError(
                f"unknown éCO2mix region codes {unknown}; known: {sorted(REGION_BY_CODE)}"
            )
        return [REGION_BY_CODE[code] for code in self.region_codes]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Apikey {self.api_key}"} if self.api_key else {}


def meter_id(region: Region) -> str:
    return f"{SOURCE}-{region.region}"


def region_meters(config: Eco2mixConfig, described_at_utc: datetime, batch_id: str) -> pa.Table:
    """One `grid_region` meter per configured region: rows of `bronze/meters`. Holidays are
    France's national ones (Alsace-Moselle's extra days cover only part of Grand Est)."""
    rows = [
        {
            "source": SOURCE,
            "meter_id": meter_id(region),
            "location_id": meter_id(region),
            "region": region.region,
            "timezone": "Europe/Paris",
            "country": "FR",
            "subdivision": None,
            "customer_type": "grid_region",
            "interval_minutes": GRID_MINUTES,
            "can_export": False,
            "latitude": region.latitude,
            "longitude": region.longitude,
            "installed_on": None,
            "ingested_at_utc": described_at_utc,
            "batch_id": batch_id,
        }
        for region in config.regions()
    ]
    return pa.Table.from_pylist(rows, schema=BRONZE_METERS.schema)


def records_url(config: Eco2mixConfig, dataset: str) -> str:
    return f"{config.base_url.rstrip('/')}/api/explore/v2.1/catalog/datasets/{dataset}/records"


def request_params(region: Region, day: date) -> dict[str, Any]:
    """One region's records of one UTC day, in time order, timestamps in UTC."""
    low, high = day.isoformat(), (day + timedelta(days=1)).isoformat()
    return {
        "where": (
            f"code_insee_region = '{region.insee_code}' AND "
            f"date_heure >= date'{low}T00:00:00Z' AND date_heure < date'{high}T00:00:00Z'"
        ),
        "order_by": "date_heure",
        "timezone": "UTC",
    }


def page_rows(response: ApiResponse) -> int:
    """Records in a page (for pagination)."""
    body = response.json()
    results = body.get("results") if isinstance(body, dict) else None
    return len(results) if isinstance(results, list) else 0


@dataclass(frozen=True)
class Parsed:
    readings: pa.Table
    intensity: pa.Table
    rejections: list[Rejection]


def parse(response: ApiResponse, dataset: str, day: date, batch_id: str) -> Parsed:
    """Readings and carbon intensity on the 30-minute grid from one page of records.

    A record missing a required field (schema drift) is rejected naming the field; an invalid
    body is rejected whole. A null `consommation` is a gap: no reading, silver marks it missing.
    """
    try:
        body = response.json()
    except MalformedResponseError as error:
        return _rejected_page(response, str(error), day)
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        return _rejected_page(response, "schema drift: field 'results' missing", day)
    power: dict[tuple[str, datetime], list[float]] = defaultdict(list)
    intensity: dict[tuple[str, datetime], list[float]] = defaultdict(list)
    rejections: list[Rejection] = []
    for record in results:
        missing = [name for name in REQUIRED_FIELDS if name not in record]
        if missing:
            reason = (
                "schema drift: field "
                + ", ".join(f"'{name}'" for name in missing)
                + f" missing from {dataset} (record has {sorted(record)})"
            )
            rejections.append(Rejection(record, reason, day))
            continue
        region = REGION_BY_CODE.get(str(record["code_insee_region"]))
        if region is None:
            reason = f"unknown region code {record['code_insee_region']!r}"
            rejections.append(Rejection(record, reason, day))
            continue
        start = datetime.fromisoformat(record["date_heure"]).astimezone(UTC)
        slot = start.replace(minute=start.minute - start.minute % GRID_MINUTES, second=0)
        if record["consommation"] is not None:
            power[(meter_id(region), slot)].append(float(record["consommation"]))
        if record.get(INTENSITY_FIELD) is not None:
            intensity[(region.region, slot)].append(float(record[INTENSITY_FIELD]))
    at = response.fetched_at_utc
    values_per_slot = GRID_MINUTES // 15 if dataset == REAL_TIME else 1
    readings = [
        {
            "source": SOURCE,
            "meter_id": meter,
            "interval_start_utc": slot,
            "interval_minutes": GRID_MINUTES,
            "energy_kwh": sum(mw) / len(mw) * GRID_MINUTES / 60 * 1000,
            "reported_unit": "kWh",
            "is_estimated": len(mw) < values_per_slot,
            "ingested_at_utc": at,
            "batch_id": batch_id,
            "day": slot.date(),
        }
        for (meter, slot), mw in power.items()
    ]
    rates = [
        {
            "source": SOURCE,
            "region": region_code,
            "interval_start_utc": slot,
            "interval_minutes": GRID_MINUTES,
            "carbon_intensity_gco2e_per_kwh": sum(values) / len(values),
            "dataset": dataset,
            "ingested_at_utc": at,
            "batch_id": batch_id,
            "day": slot.date(),
        }
        for (region_code, slot), values in intensity.items()
    ]
    return Parsed(
        pa.Table.from_pylist(readings, schema=BRONZE_METER_READINGS.schema),
        pa.Table.from_pylist(rates, schema=BRONZE_GRID_CARBON_INTENSITY.schema),
        rejections,
    )


def _rejected_page(response: ApiResponse, reason: str, day: date) -> Parsed:
    record = {"endpoint": response.endpoint, "params": response.params, "body": response.body}
    return Parsed(
        BRONZE_METER_READINGS.schema.empty_table(),
        BRONZE_GRID_CARBON_INTENSITY.schema.empty_table(),
        [Rejection(record, reason, day)],
    )


def concat(parts: Sequence[Parsed]) -> Parsed:
    return Parsed(
        pa.concat_tables(
            [p.readings for p in parts] or [BRONZE_METER_READINGS.schema.empty_table()]
        ),
        pa.concat_tables(
            [p.intensity for p in parts] or [BRONZE_GRID_CARBON_INTENSITY.schema.empty_table()]
        ),
        [r for p in parts for r in p.rejections],
    )
