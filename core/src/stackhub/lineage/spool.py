"""The durable spool between emission and delivery, and the background sender.

The caller's thread only appends a ``Record`` to an in-memory queue (microseconds). One lineage thread per
spool file builds each event, writes it to the spool (sqlite, WAL) together with one pending row per
destination, and delivers pending events in spool order, one batch per destination at a time. A destination
that fails is retried with exponential backoff (0.2 s doubling to 30 s, with jitter) while the others go on;
its events stay spooled, across processes: the next process that opens a stack with that destination, or
``stackhub lineage flush``, delivers them. A lease per destination (in the spool) keeps two processes from
sending the same events. Delivery is at least once: a crash between a backend's answer and the spool's
bookkeeping re-sends that one batch; the embedded store ignores such repeats.

Closing a stack (and the process exiting, through ``atexit``) first writes every queued record to the spool,
however long that takes, then waits up to ``flush_timeout`` seconds for delivery. Only a hard kill loses the
records still in memory. When the queue holds ``MAX_QUEUE`` records, the caller's thread writes its record to
the spool itself: slower, never dropped, never blocked on a backend.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import random
import sqlite3
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from .destinations import Destination, Transient, TransportConfig, create
from .facts import Record
from .sqlite import open_database

__all__ = ["MAX_QUEUE", "Spool"]

log = logging.getLogger("stackhub.lineage")

MAX_QUEUE = 10_000
#: How long the lineage thread lets a burst of records gather before writing them: one spool transaction and
#: one delivery for the burst instead of one per event, which keeps its share of the GIL small.
LINGER_SECONDS = 0.02
LINGER_RECORDS = 256
LEASE_SECONDS = 30.0
FIRST_RETRY = 0.2
MAX_RETRY = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pending (
    destination TEXT NOT NULL, event_id INTEGER NOT NULL, PRIMARY KEY (destination, event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead (destination TEXT NOT NULL, payload TEXT NOT NULL, error TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS leases (destination TEXT PRIMARY KEY, owner TEXT NOT NULL, until REAL NOT NULL);
"""


def connect(path: Path) -> sqlite3.Connection:
    return open_database(path, _SCHEMA)


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Spool:
    """One spool file and its lineage thread; one instance per file in a process (``Spool.at``)."""

    _instances: ClassVar[dict[Path, Spool]] = {}
    _instances_lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def at(cls, path: str | Path) -> Spool:
        resolved = Path(path).resolve()
        with cls._instances_lock:
            if not cls._instances:
                atexit.register(cls._shutdown_all)
            spool = cls._instances.get(resolved)
            if spool is None:
                spool = cls._instances[resolved] = cls(resolved)
            return spool

    def __init__(self, path: Path) -> None:
        self.path = path
        self.owner = uuid.uuid4().hex
        self._queue: deque[tuple[Record, tuple[str, ...]]] = deque()
        self._write_lock = threading.Lock()
        self._wake = threading.Condition()
        self._sleeping = False
        self._progress = threading.Event()
        self._lock = threading.Lock()
        self._configs: dict[str, TransportConfig] = {}
        self._users: dict[str, int] = {}
        self._flush_timeout: dict[str, float] = {}
        self._destinations: dict[str, Destination] = {}
        self._retry_at: dict[str, float] = {}
        self._failures: dict[str, int] = {}
        #: The last delivery error per destination, for ``stackhub lineage flush``.
        self.last_error: dict[str, str] = {}
        self._thread: threading.Thread | None = None
        self._stop = False
        self._local = threading.local()
        #: Records that could not be turned into events (a bug, logged with its traceback).
        self.dropped = 0

    # -- the caller's side -----------------------------------------------------------------------------

    def attach(self, configs: Iterable[TransportConfig], flush_timeout: float) -> tuple[str, ...]:
        """Register destinations for this process; deliver what earlier processes left for them."""
        from .destinations import destination_name

        names = []
        with self._lock:
            # A lineage thread still finishing a stop (a slow backend) simply goes on working.
            self._stop = False
            for config in configs:
                name = destination_name(config)
                self._configs[name] = config
                self._users[name] = self._users.get(name, 0) + 1
                self._flush_timeout[name] = max(self._flush_timeout.get(name, 0.0), flush_timeout)
                names.append(name)
        if self.path.exists():
            self._kick()
        return tuple(names)

    def submit(self, record: Record, destinations: tuple[str, ...]) -> None:
        """Queue a record for its destinations; never waits on a backend."""
        self._queue.append((record, destinations))
        if len(self._queue) > MAX_QUEUE:
            # Back-pressure instead of loss: the caller writes a batch to the spool itself, in queue order.
            self._write_batch(500, self._connection())
        self._kick()

    def drain(self) -> None:
        """Write every queued record to the spool, from this thread if need be."""
        conn = self._connection()
        while self._write_batch(500, conn):
            pass

    def flush(self, destinations: Sequence[str], timeout: float) -> bool:
        """Drain, then wait up to ``timeout`` seconds until nothing is pending for ``destinations``."""
        self.drain()
        deadline = time.monotonic() + timeout
        self._kick()
        while self.pending(list(destinations)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._kick()
            self._progress.wait(min(remaining, 0.05))
            self._progress.clear()
        return True

    def pending(self, destinations: list[str] | None = None) -> int:
        """Events spooled and not yet delivered to ``destinations`` (default: any)."""
        if not self.path.exists() or destinations == []:
            return 0
        conn = self._connection()
        if destinations is None:
            (count,) = conn.execute("SELECT count(*) FROM pending").fetchone()
        else:
            marks = ",".join("?" * len(destinations))
            sql = f"SELECT count(*) FROM pending WHERE destination IN ({marks})"
            (count,) = conn.execute(sql, tuple(destinations)).fetchone()
        return int(count)

    def detach(self, destinations: Sequence[str], timeout: float) -> bool:
        """Flush, then unregister; the last user stops the lineage thread. True when all was delivered."""
        delivered = self.flush(destinations, timeout)
        with self._lock:
            for name in destinations:
                self._users[name] -= 1
                if not self._users[name]:
                    del self._users[name], self._configs[name]
            last = not self._users
        if last:
            self.stop()
        return delivered

    def stop(self, join_timeout: float = 10.0) -> None:
        thread = self._thread
        if thread is not None:
            self._stop = True
            self._notify()
            thread.join(join_timeout)
            if not thread.is_alive():
                self._thread = None
        for destination in self._destinations.values():
            destination.close()
        self._destinations.clear()
        if self.path.exists():
            with transaction(self._connection()) as conn:
                conn.execute("UPDATE leases SET until = 0 WHERE owner = ?", (self.owner,))

    @classmethod
    def _shutdown_all(cls) -> None:
        for spool in list(cls._instances.values()):
            try:
                with spool._lock:
                    names = list(spool._configs)
                    timeout = max((spool._flush_timeout.get(n, 0.0) for n in names), default=0.0)
                spool.flush(names, timeout)
                spool.stop(join_timeout=1.0)
            except Exception:  # at exit, one broken spool must not keep another from flushing
                log.exception("Could not flush the lineage spool %s at exit.", spool.path)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
        return conn

    def _notify(self) -> None:
        with self._wake:
            self._wake.notify()

    def _kick(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._stop = False
                    self._thread = threading.Thread(target=self._run, name=f"stackhub-lineage:{self.path.name}")
                    self._thread.daemon = True
                    self._thread.start()
        if self._sleeping:
            self._notify()

    def _write_batch(self, limit: int, conn: sqlite3.Connection) -> int:
        """Pop up to ``limit`` records and write them; one writer at a time keeps the spool in queue order."""
        with self._write_lock:
            batch = []
            with contextlib.suppress(IndexError):
                for _ in range(limit):
                    batch.append(self._queue.popleft())
            if batch:
                self._write(batch, conn)
        return len(batch)

    def _write(self, batch: list[tuple[Record, tuple[str, ...]]], conn: sqlite3.Connection) -> None:
        from .events import serialize

        rows = []
        for record, destinations in batch:
            try:
                rows.append((serialize(record), destinations))
            except Exception:
                self.dropped += 1
                log.exception("Could not build the lineage event of %s %s.", record.job_name, record.event_type)
        now = time.time()
        with transaction(conn):
            for payload, destinations in rows:
                event_id = conn.execute("INSERT INTO events (payload, created) VALUES (?, ?)", (payload, now)).lastrowid
                conn.executemany(
                    "INSERT INTO pending (destination, event_id) VALUES (?, ?)", [(d, event_id) for d in destinations]
                )
        self._progress.set()

    # -- the lineage thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path)
            while True:
                if 0 < len(self._queue) < LINGER_RECORDS and not self._stop:
                    time.sleep(LINGER_SECONDS)
                if self._write_batch(500, conn):
                    continue
                if self._stop:
                    return
                if self._deliver_due(conn):
                    self._progress.set()
                    continue
                self._progress.set()
                with self._wake:
                    # Set before looking at the queue, so a submit after the look always notifies.
                    self._sleeping = True
                    if not self._queue and not self._stop:
                        self._wake.wait(self._next_retry_in())
                    self._sleeping = False
        except Exception:
            log.exception("The lineage thread of %s stopped; events stay spooled.", self.path)
        finally:
            if conn is not None:
                conn.close()

    def _next_retry_in(self) -> float:
        now = time.monotonic()
        due = [at - now for at in self._retry_at.values() if at > now]
        return max(0.01, min(due, default=1.0))

    def _lease(self, conn: sqlite3.Connection, destination: str) -> bool:
        now = time.time()
        with transaction(conn):
            conn.execute("INSERT OR IGNORE INTO leases (destination, owner, until) VALUES (?, '', 0)", (destination,))
            taken = conn.execute(
                "UPDATE leases SET owner = ?, until = ? WHERE destination = ? AND (owner = ? OR until < ?)",
                (self.owner, now + LEASE_SECONDS, destination, self.owner, now),
            ).rowcount
        return taken == 1

    def _destination(self, name: str) -> Destination:
        destination = self._destinations.get(name)
        if destination is None:
            destination = self._destinations[name] = create(self._configs[name])
        return destination

    def _deliver_due(self, conn: sqlite3.Connection) -> bool:
        """Deliver one batch to each destination that is due; True when something was delivered or tried."""
        worked = False
        with self._lock:
            names = list(self._configs)
        for name in names:
            if self._retry_at.get(name, 0.0) > time.monotonic():
                continue
            batch_size = self._destinations[name].batch_size if name in self._destinations else 100
            rows = conn.execute(
                "SELECT e.id, e.payload FROM pending p JOIN events e ON e.id = p.event_id"
                " WHERE p.destination = ? ORDER BY p.event_id LIMIT ?",
                (name, batch_size),
            ).fetchall()
            if not rows or not self._lease(conn, name):
                continue
            worked = True
            error: Transient | None = None
            try:
                results = self._destination(name).deliver([payload for _, payload in rows])
                delivered = len(rows)
            except Transient as exc:
                error, results, delivered = exc, exc.results, exc.delivered
            except Exception as exc:  # a transport that cannot even be built (bad URL) is retried too
                error = Transient(f"{name}: {type(exc).__name__}: {exc}", 0, [])
                results, delivered = [], 0
            self._record(conn, name, rows[:delivered], results)
            self._backoff(name, error)
        return worked

    def _record(
        self, conn: sqlite3.Connection, destination: str, rows: list[tuple[int, str]], results: list[str | None]
    ) -> None:
        if not rows:
            return
        ids = [(destination, event_id) for event_id, _ in rows]
        now = time.time()
        with transaction(conn):
            conn.executemany("DELETE FROM pending WHERE destination = ? AND event_id = ?", ids)
            rejected = [
                (destination, payload, reason, now)
                for (_, payload), reason in zip(rows, results, strict=False)
                if reason
            ]
            conn.executemany("INSERT INTO dead (destination, payload, error, at) VALUES (?, ?, ?, ?)", rejected)
            conn.executemany(
                "DELETE FROM events WHERE id = ? AND NOT EXISTS (SELECT 1 FROM pending WHERE event_id = ?)",
                [(event_id, event_id) for event_id, _ in rows],
            )
        for reason in filter(None, results):
            log.warning(
                "Lineage destination %s rejected an event; it is kept in the spool's 'dead' table: %s",
                destination,
                reason,
            )

    def _backoff(self, destination: str, error: Transient | None) -> None:
        if error is None:
            if self._failures.pop(destination, 0):
                log.info("Lineage destination %s is back; delivering spooled events.", destination)
            self._retry_at.pop(destination, None)
            self.last_error.pop(destination, None)
            return
        failures = self._failures[destination] = self._failures.get(destination, 0) + 1
        delay = min(MAX_RETRY, FIRST_RETRY * 2 ** (failures - 1)) * random.uniform(0.75, 1.25)
        self._retry_at[destination] = time.monotonic() + delay
        self.last_error[destination] = error.reason
        if failures == 1:
            log.warning(
                "Lineage destination %s is unavailable (%s); its events stay spooled in %s and are retried.",
                destination,
                error.reason,
                self.path,
            )
