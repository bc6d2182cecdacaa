"""Silver and gold table builders: plain functions over Arrow and polars, no Dagster."""
