"""Anomaly detection assets and their checks."""
