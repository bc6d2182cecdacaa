from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


@contextmanager
def hook_requiring(user: str, password: str) -> Iterator[tuple[str, list[str | None]]]:
    """An alert endpoint on 127.0.0.1 that answers 204 to basic auth as `user` and 401 to
    anything else; yields its address (host:port) and the Authorization headers it received."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    seen: list[str | None] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(self.headers.get("Authorization"))
            self.send_response(204 if seen[-1] == expected else 401)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_url_with_user_and_password_delivers_with_basic_auth() -> None:
    with hook_requiring("ops", "pa:ss/w@rd") as (address, seen):
        delivery = post_json(f"http://ops:pa%3Ass%2Fw%40rd@{address}/hook", {"a": 1})

    assert (delivery.is_delivered, delivery.attempts, delivery.error) == (True, 1, None)
    assert len(seen) == 1


def test_wrong_credentials_are_reported_without_the_password() -> None:
    with hook_requiring("ops", "right") as (address, _seen):
        delivery = post_json(f"http://ops:wrong-secret@{address}/hook", {"a": 1})

    assert (delivery.is_delivered, delivery.error) == (False, "HTTP 401")


def test_an_unreachable_hook_is_reported_without_its_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    delivery = post_json(f"http://ops:wrong-secret@127.0.0.1:{port}/hook", {"a": 1}, attempts=1)

    assert not delivery.is_delivered
    assert delivery.error and "wrong-secret" not in delivery.error
