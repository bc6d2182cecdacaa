"""All Dagster code: assets, checks, schedules, sensors and resources, by domain."""
