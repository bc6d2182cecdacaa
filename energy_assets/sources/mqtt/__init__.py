"""The `mqtt` source: readings meters or gateways publish to an MQTT broker.

A long-running consumer (`energy-lake mqtt-consume`, `consumer`) holds a persistent QoS 1
session, appends micro-batches of raw messages to the spool `bronze/mqtt_messages` (`spool`) and
acknowledges them only once the append is committed: at least once. Bronze runs read the spool
(`source`), keep one message per key and parse the payloads (`payload`, `messages`) with the
landing parser's rules: exactly-once effect. A sensor in `defs/streaming/` rebuilds the days new
messages touch.
"""
