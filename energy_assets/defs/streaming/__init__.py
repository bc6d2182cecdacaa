"""Streaming ingest: the sensor that rebuilds the days MQTT messages touch."""
