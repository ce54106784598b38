"""A throwaway Evidently UI service (``evidently ui``) on 127.0.0.1, for tests of this plugin and of stacks that
use it. The service ships with ``evidently`` itself; the plugin never imports this module.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

from stackhub.testing import ServerProcess, free_port

__all__ = ["EvidentlyUI", "free_port"]

# A cold start (no bytecode, 2 busy cores) took about 20 s; leave room for a loaded CI machine.
SERVER_START_TIMEOUT = 120.0


class EvidentlyUI(ServerProcess):
    """``evidently ui`` serving the workspace folder ``root / "workspace"``; a restart keeps every project and run.

    Started with ``DO_NOT_TRACK=1``, so the service sends Evidently no usage telemetry. ``secret`` starts it with
    ``--secret``: writes then need that secret.
    """

    name = "evidently ui"

    def __init__(self, root: Path, *, secret: str | None = None) -> None:
        super().__init__(root / "server.log")
        self.root = root
        self.workspace = root / "workspace"
        self.secret = secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

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
        self.root.mkdir(parents=True, exist_ok=True)
        self.spawn(command, env={**os.environ, "DO_NOT_TRACK": "1"}, cwd=self.root)

    def wait(self) -> None:
        """Wait until the launched service answers ``/api/version``; stop it and raise when it does not."""
        self.wait_until(self.healthy, waiting_for="answer /api/version", timeout=SERVER_START_TIMEOUT)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/version", timeout=2) as response:
                return "Evidently" in str(json.loads(response.read()).get("application"))
        except (OSError, ValueError):
            return False

    def get(self, path: str) -> Any:
        """GET ``path`` of the service's API, as JSON."""
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as response:
            return json.loads(response.read())
