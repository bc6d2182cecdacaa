"""The dbt marts as Dagster assets."""
