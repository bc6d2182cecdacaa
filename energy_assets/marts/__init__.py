"""Around dbt: the dbt-duckdb plugin exposing lake tables, and the Parquet exports of the marts."""
