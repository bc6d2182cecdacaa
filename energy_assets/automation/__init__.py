"""Automation: the landing sensor, schedules, automation conditions and alerts."""
