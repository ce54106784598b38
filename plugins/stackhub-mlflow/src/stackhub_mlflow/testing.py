"""A throwaway ``mlflow server`` on 127.0.0.1, for tests of this plugin and of stacks that use it.

Needs the server (``pip install 'stackhub-mlflow[server]'``); the plugin itself never imports this module.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

from stackhub.testing import ServerProcess, free_port

__all__ = ["MlflowServer", "free_port"]

# A cold first start (fresh database, no bytecode yet) took 18 s on 2 cores; leave room for a loaded CI machine.
SERVER_START_TIMEOUT = 120.0


class MlflowServer(ServerProcess):
    """``mlflow server`` with the lean settings for 2 cores: one worker, no job runner. Its backend store
    (SQLite) and artifacts live under ``root``, so a restart keeps everything logged."""

    name = "mlflow server"

    def __init__(self, root: Path) -> None:
        super().__init__(root / "server.log")
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--backend-store-uri",
            f"sqlite:///{self.root / 'mlflow.db'}",
            "--artifacts-destination",
            str(self.root / "artifacts"),
            "--workers",
            "1",
        ]
        # The uvicorn worker it forks is in the server's process group, which stop() ends as a whole.
        self.spawn(command, env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
        self.wait_until(self.healthy, waiting_for="answer /health", timeout=SERVER_START_TIMEOUT)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return bool(response.read().decode().strip() == "OK")
        except OSError:
            return False
