"""Read-only helpers behind the marimo notebooks (`notebooks/`): `lake_tables` (what the lake
holds, windows, time travel, mart exports) and `forecast_views` (accuracy, temperature response,
what-if). The champion model comes from `ml.tracking`.

Nothing here writes: Delta tables are read through their log (`Lake`), marts from their Parquet
exports (never dbt's DuckDB file), MLflow only when its store already exists. No Dagster either,
so a notebook starts fast and never blocks a run.
"""
