from __future__ import annotations

import socket

from energy_assets.ops.webhook import post_json


def test_a_down_endpoint_is_retried_with_growing_backoff_and_reported_not_raised() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pauses: list[float] = []

    delivery = post_json(
        f"http://127.0.0.1:{port}/", {"a": 1}, attempts=3, backoff_s=0.5, sleep=pauses.append
    )

    assert (delivery.is_delivered, delivery.attempts) == (False, 3)
    assert "Connection" in (delivery.error or "") or "refused" in (delivery.error or "")
    assert pauses == [0.5, 1.0]
