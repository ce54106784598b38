"""A throwaway Evidently UI service (``evidently ui``) on 127.0.0.1, for tests of this plugin and of stacks that
use it. The service ships with ``evidently`` itself; the plugin never imports this module.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["EvidentlyUI", "free_port"]

# A cold start (no bytecode, 2 busy cores) took about 20 s; leave room for a loaded CI machine.
SERVER_START_TIMEOUT = 120.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EvidentlyUI:
    """``evidently ui`` serving the workspace folder ``root / "workspace"``; a restart keeps every project and run.

    Started with ``DO_NOT_TRACK=1``, so the service sends Evidently no usage telemetry. ``secret`` starts it with
    ``--secret``: writes then need that secret.
    """

    def __init__(self, root: Path, *, secret: str | None = None) -> None:
        self.root = root
        self.workspace = root / "workspace"
        self.secret = secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds: list[float] = []
        self._launched = 0.0

    def start(self) -> None:
        """Launch the service and wait until it answers."""
        self.launch()
        self.wait()

    def launch(self) -> None:
        """Start the process without waiting: several services then start side by side (see ``wait``)."""
        command = [
            sys.executable,
            "-m",
            "evidently.cli",
            "ui",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workspace",
            str(self.workspace),
        ]
        if self.secret is not None:
            command += ["--secret", self.secret]
        env = {**os.environ, "DO_NOT_TRACK": "1"}
        self.root.mkdir(parents=True, exist_ok=True)
        self._launched = time.monotonic()
        with self.log.open("ab") as log:
            # Its own process group, so that stop() ends whatever the service forks, even if the parent dies first.
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root, start_new_session=True
            )

    def wait(self) -> None:
        """Wait until the launched service answers ``/api/version``; stop it and raise when it does not."""
        assert self.process is not None, "launch() first"
        while time.monotonic() - self._launched < SERVER_START_TIMEOUT:
            if self.process.poll() is not None:
                raise RuntimeError(f"evidently ui exited with {self.process.returncode}:\n{self._log_tail()}")
            if self.healthy():
                self.start_seconds.append(time.monotonic() - self._launched)
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(
            f"evidently ui did not answer /api/version within {SERVER_START_TIMEOUT} s:\n{self._log_tail()}"
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/version", timeout=2) as response:
                return "Evidently" in str(json.loads(response.read()).get("application"))
        except (OSError, ValueError):
            return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def get(self, path: str) -> Any:
        """GET ``path`` of the service's API, as JSON."""
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def _log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
