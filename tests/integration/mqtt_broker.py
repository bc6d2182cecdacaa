"""Debian's mosquitto on 127.0.0.1 for tests: a persistent broker that can be restarted."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

CONFIG = """listener {port} 127.0.0.1
user {user}
allow_anonymous true
persistence true
persistence_location {folder}/
max_queued_messages 20000
max_inflight_messages 1000
log_dest file {folder}/mosquitto.log
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Broker:
    """A mosquitto whose sessions and queued messages survive a restart (persistence on).

    It runs as the test's user: started as root, mosquitto would otherwise switch to the
    `mosquitto` user and could not write its persistence file in the test's folder."""

    def __init__(self, folder: Path) -> None:
        executable = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(executable).exists():
            pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
        self.executable = executable
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(CONFIG.format(port=self.port, folder=folder, user=getpass.getuser()))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([self.executable, "-c", str(self.config)])
        while not accepts(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.process.returncode}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop cleanly (SIGTERM), which writes the persistence file."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        self.process = None
