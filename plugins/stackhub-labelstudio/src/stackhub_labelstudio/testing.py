"""A throwaway Label Studio server on 127.0.0.1, for tests of this plugin and of stacks that use it.

Needs the server (``pip install 'stackhub-labelstudio[server]'``); the plugin itself never imports this module.
The server runs non-interactively with a user, a legacy API token and a secret key of its own, and a data
folder under ``root``; it answers on 127.0.0.1 only::

    server = LabelStudioServer(tmp_path)
    server.start()
    config = {"url": server.url, "token": server.token}
    ...
    server.stop()

A first start on a fresh data folder runs Label Studio's database migrations (about a minute on 2 cores); a
start from an existing folder takes seconds. ``snapshots`` names a folder where the database is kept right after
a first start, so that later test sessions start from that copy (one per Label Studio version).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import sys
import urllib.request
from importlib.metadata import version
from pathlib import Path

from stackhub.testing import ServerProcess, free_port

__all__ = ["LabelStudioServer", "free_port"]

# A cold first start (fresh database: migrations) took 57-66 s on 2 idle cores, and up to 290 s on 2 loaded ones.
SERVER_START_TIMEOUT = 600.0
_STARTED = re.compile(rb"Starting development server at http://127\.0\.0\.1:(\d+)/")
#: Variables Label Studio reads besides its own: unprefixed USERNAME, PASSWORD, PORT and HOST included.
_INHERITED = ("USERNAME", "PASSWORD", "PORT", "HOST", "USER_TOKEN", "DEBUG", "SECRET_KEY")


class LabelStudioServer(ServerProcess):
    """``label-studio start`` with a user ``username``/``password`` whose legacy token is ``token``."""

    name = "label-studio"
    stop_signal = signal.SIGINT  # runserver's "Quit the server with CONTROL-C"

    username = "stackhub@stackhub.invalid"
    password = "stackhub-test-password"  # a throwaway server on 127.0.0.1
    token = "stackhub0test0legacy0token0000000000000"  # the same
    secret_key = "stackhub-test-secret-key-not-for-production"

    def __init__(self, root: Path, *, snapshots: Path | None = None) -> None:
        super().__init__(root / "server.log")
        self.root = root
        self.data = root / "data"
        self.snapshots = snapshots
        self.port = free_port()
        #: Whether the last start ran the migrations on a fresh database.
        self.cold = True
        self._probe = "no probe yet"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.data / "label_studio.sqlite3"

    def _snapshot(self) -> Path | None:
        if self.snapshots is None:
            return None
        tag = f"label-studio-{version('label-studio')}-py{sys.version_info.major}{sys.version_info.minor}"
        return self.snapshots / f"{tag}.sqlite3"

    def _environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in _INHERITED and not k.startswith(("LABEL_STUDIO_", "HEARTEX_", "DJANGO_"))
        }
        env.update(
            {
                "LABEL_STUDIO_BASE_DATA_DIR": str(self.data),
                "LABEL_STUDIO_USERNAME": self.username,
                "LABEL_STUDIO_PASSWORD": self.password,
                "LABEL_STUDIO_USER_TOKEN": self.token,
                # Legacy tokens are off since 1.17; this switches them on for the organization the first start
                # creates (it has no effect on an existing one).
                "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
                "SECRET_KEY": self.secret_key,  # else a new one each start, and personal access tokens break
                "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
                "LATEST_VERSION_CHECK": "false",
                "COLLECT_ANALYTICS": "false",
                "LOG_LEVEL": "WARNING",  # no log line per request
                "PYTHONUNBUFFERED": "1",  # the line that says which port it took must reach the log at once
            }
        )
        return env

    def start(self) -> None:
        """Start the server and wait until it answers; ``RuntimeError`` with the log's tail when it does not."""
        self.data.mkdir(parents=True, exist_ok=True)
        snapshot = self._snapshot()
        if not self.database.exists() and snapshot is not None and snapshot.exists():
            shutil.copyfile(snapshot, self.database)
        self.cold = not self.database.exists()
        command = [
            sys.executable,
            "-m",
            "label_studio.server",
            "start",
            "--no-browser",
            "--internal-host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.spawn(command, env=self._environment(), cwd=self.root)
        self.wait_until(
            lambda: self._started_since(offset) and self.healthy(),
            waiting_for=lambda: f"answer /health (last {self._probe})",
            timeout=SERVER_START_TIMEOUT,
        )
        if snapshot is not None and not snapshot.exists():
            self._keep(snapshot)

    def _started_since(self, offset: int) -> bool:
        """Whether the log past ``offset`` says the server started; Label Studio silently moves to the next port
        when ours was taken meanwhile, so ``port`` becomes the one it says."""
        found = _STARTED.search(self.log.read_bytes()[offset:])
        if found:
            self.port = int(found.group(1))
        return found is not None

    def _keep(self, snapshot: Path) -> None:
        """Copy the database (migrated, with the user and its token, nothing else yet) with SQLite's online
        backup, which is consistent while the server runs."""
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        partial = snapshot.with_suffix(".partial")
        with (
            contextlib.closing(sqlite3.connect(self.database)) as source,
            contextlib.closing(sqlite3.connect(partial)) as target,
        ):
            source.backup(target)
        partial.replace(snapshot)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=5) as response:
                answer = response.read()
        except OSError as exc:
            self._probe = f"GET /health: {exc!r}"
            return False
        self._probe = f"GET /health answered {answer[:200]!r}"
        try:
            return bool(json.loads(answer).get("status") == "UP")
        except ValueError:
            return False

    def api(self, method: str, path: str, body: object = None, *, token: str | None = None) -> object:
        """One call of the REST API with the legacy token (or ``token`` as a Bearer token)."""
        request = urllib.request.Request(
            f"{self.url}/{path.lstrip('/')}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}" if token else f"Token {self.token}",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def personal_access_token(self) -> str:
        """A personal access token of the server's user, made through the API (``POST /api/token/``)."""
        answer = self.api("POST", "api/token/", {})
        assert isinstance(answer, dict)
        return str(answer["token"])
