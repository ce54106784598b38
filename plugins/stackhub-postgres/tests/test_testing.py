"""The throwaway-server helper that this suite and cross-stack suites start PostgreSQL with."""

from __future__ import annotations

from pathlib import Path

import pytest
from stackhub_postgres import testing
from stackhub_postgres.testing import PostgresServer, ServerMissing


def test_missing_binaries_name_the_apt_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(testing.BIN_DIR_VARIABLE, str(tmp_path))  # a folder without initdb
    monkeypatch.setattr(testing.glob, "glob", lambda pattern: [])
    with pytest.raises(ServerMissing, match="apt-get update && apt-get install -y postgresql-15"):
        testing.find_bin_dir()


def test_the_session_server_listens_on_loopback_only(server: PostgresServer) -> None:
    assert server.psql("SHOW listen_addresses").strip() == "127.0.0.1"
    assert int(server.psql("SHOW server_version_num")) >= 150_000
    assert server.config()["port"] == server.port
    assert server.init_seconds > 0
    assert server.start_seconds
