"""Opening the spool's and the store's sqlite files the same way: WAL, and set up once at a time."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

__all__ = ["open_database"]

_setup_lock = threading.Lock()


def open_database(path: Path, schema: str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), usable from any thread."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    # Switching a new file to WAL takes an exclusive lock and does not wait for one: connections of this
    # process take turns, and another process's setup is waited out here.
    with _setup_lock:
        for attempt in range(100):
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(schema)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 99:
                    conn.close()
                    raise
                time.sleep(0.05)
    # WAL with synchronous=NORMAL survives a process crash; only an OS crash can lose the last commits.
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn
