"""Operational helpers without Dagster: posting alerts to a webhook."""
