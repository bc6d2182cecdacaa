"""Operational helpers without Dagster: alerts to a webhook, the pipeline's own footprint."""
