"""The MQTT consumer: a persistent QoS 1 session whose messages are spooled, then acknowledged.

Messages arrive on paho's network thread and wait in a buffer; the main loop appends the buffer
to the spool in one commit (at `batch_messages`, after `batch_seconds`, or when deliveries
pause) and only then acknowledges each message (`manual_ack`). Killed at any point, the consumer
loses nothing the broker accepted: unacknowledged messages stay in the session and are
redelivered when it comes back (the spool keeps one row per message key). A message received
before a reconnection is spooled but not acknowledged on the new connection, where its packet id
may name another message; the broker redelivers it and the duplicate is removed on read.

A broker that is down or goes away is retried with exponential backoff (1 s doubling to
`max_backoff_seconds`), each failure logged; a failed spool write keeps the batch and retries it.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from energy_assets.settings import MqttSettings
from energy_assets.sources.mqtt.spool import COMPACT_EVERY, Message, compact, spool
from energy_assets.storage.lake import Lake

LOG = logging.getLogger(__name__)
QUIET_SECONDS = 0.1
"""A pause in deliveries this long ends a micro-batch."""


class Consumer:
    """Spools what the broker delivers on the configured topics into `store`."""

    def __init__(self, settings: MqttSettings, store: Lake) -> None:
        self.settings = settings
        self.store = store
        self.spooled = 0
        self.commits = 0
        self._lock = threading.Lock()
        self._buffer: list[tuple[int, Message]] = []
        self._connection = 0
        self._oldest: datetime | None = None
        self._stopping = False
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if settings.username:
            client.username_pw_set(settings.username, settings.password)
        if settings.is_tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=int(settings.max_backoff_seconds))
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self.client = client

    @property
    def _broker(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            LOG.warning("broker %s refused the connection: %s; retrying", self._broker, reason)
            return
        with self._lock:
            self._connection += 1
        resumed = "resumed" if flags.session_present else "new"
        LOG.info("connected to %s (%s session), subscribing %s", self._broker, resumed, self.topics)
        client.subscribe([(topic, self.settings.qos) for topic in self.settings.topics])

    @property
    def topics(self) -> str:
        return ", ".join(self.settings.topics)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        granted = [str(reason) for reason in reasons]
        LOG.info("subscribed to %s (granted: %s)", self.topics, ", ".join(granted))

    def _on_connect_fail(self, _client: mqtt.Client, _userdata: Any) -> None:
        LOG.warning("broker %s unreachable; retrying with backoff", self._broker)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if self._stopping:
            LOG.info("disconnected from %s", self._broker)
        else:
            LOG.warning(
                "disconnected from %s (%s); reconnecting with backoff", self._broker, reason
            )

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        now = datetime.now(UTC)
        message = Message(msg.topic, bytes(msg.payload), msg.mid, now)
        with self._lock:
            self._buffer.append((self._connection, message))
            self._oldest = self._oldest or now

    def _due(self) -> bool:
        """A batch is written when full, when its oldest message has waited `batch_seconds`, or
        when the broker has gone quiet for `QUIET_SECONDS`: a broker holds back further messages
        until the ones in flight are acknowledged (mosquitto's default: 20), so waiting longer
        would only slow the stream down."""
        with self._lock:
            if not self._buffer or self._oldest is None:
                return False
            now = datetime.now(UTC)
            waited = (now - self._oldest).total_seconds()
            quiet = (now - self._buffer[-1][1].received_utc).total_seconds()
            return (
                len(self._buffer) >= self.settings.batch_messages
                or waited >= self.settings.batch_seconds
                or quiet >= QUIET_SECONDS
            )

    def flush(self) -> int:
        """Spool the buffered messages in one commit, then acknowledge those of the current
        connection; return how many were spooled. A failed write keeps them buffered."""
        with self._lock:
            batch, self._buffer, self._oldest = self._buffer, [], None
        if not batch:
            return 0
        try:
            spool(self.store, [m for _, m in batch], datetime.now(UTC))
        except Exception:
            LOG.exception("spooling %d messages failed; keeping them to retry", len(batch))
            with self._lock:
                self._buffer = batch + self._buffer
                self._oldest = batch[0][1].received_utc
            return 0
        with self._lock:
            connection = self._connection
        for received_on, message in batch:
            if received_on == connection:
                self.client.ack(message.message_id, self.settings.qos)
        self.spooled += len(batch)
        self.commits += 1
        LOG.info("spooled %d messages (%d in all)", len(batch), self.spooled)
        if self.commits % COMPACT_EVERY == 0:
            self._compact()
        return len(batch)

    def _compact(self) -> None:
        """Compact the spool; a failure is logged and tried again `COMPACT_EVERY` commits on."""
        try:
            LOG.info("compacted the spool: %d small files rewritten", compact(self.store))
        except Exception:
            LOG.exception(
                "compacting the spool failed; the next attempt is in %d commits", COMPACT_EVERY
            )

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, then spool what is buffered and disconnect."""
        LOG.info("consuming %s from %s as %s", self.topics, self._broker, self.settings.client_id)
        self.client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self.client.loop_start()
        try:
            while not stop.wait(QUIET_SECONDS / 2):
                if self._due():
                    self.flush()
            self.flush()
        finally:
            self._stopping = True
            self.client.disconnect()
            self.client.loop_stop()
