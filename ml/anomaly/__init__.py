"""Anomaly detection: expectations, rules, events and their evaluation against labels."""
