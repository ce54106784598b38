"""Where spooled events go: the embedded store, or one of openlineage-python's transports.

A destination takes a batch of serialized events in spool order. It returns, per event, ``None`` when the
event was accepted or a reason when it never will be (a 4xx answer: retrying cannot help). It raises
``Transient`` when the backend cannot take events now; the events from ``delivered`` on are retried later.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import ConsoleTransport, FileTransport, HttpTransport, StoreTransport

__all__ = ["GIL_PAUSE", "Destination", "Transient", "create", "destination_name"]

TransportConfig = StoreTransport | FileTransport | ConsoleTransport | HttpTransport

#: The lineage thread's work is pure Python; between pieces of it, it sleeps this long so that a caller's
#: thread waiting for the GIL takes it. (sleep(0) hands the GIL over too rarely: the sleeper usually takes it
#: back before the waiter wakes, and the waiter then waits out the 5 ms switch interval.)
GIL_PAUSE = 5e-5


class Transient(Exception):
    """The backend could not take the events now; the first ``delivered`` of the batch were taken."""

    def __init__(self, reason: str, delivered: int, results: list[str | None]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delivered = delivered
        self.results = results


def destination_name(config: TransportConfig) -> str:
    """The destination's key in the spool: the same config names the same destination in every process."""
    if isinstance(config, StoreTransport):
        return f"store:{Path(config.path).resolve()}"
    if isinstance(config, FileTransport):
        return f"file:{Path(config.path).resolve()}"
    if isinstance(config, HttpTransport):
        return f"http:{config.url.rstrip('/')}/{config.endpoint.lstrip('/')}"
    return "console"


class Destination:
    """One place events are delivered to."""

    #: How many events one delivery attempt takes: a crash after delivering and before the spool records it
    #: re-sends at most this many.
    batch_size = 100

    def __init__(self, name: str) -> None:
        self.name = name

    def deliver(self, payloads: Sequence[str]) -> list[str | None]:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""


class StoreDestination(Destination):
    batch_size = 1000

    def __init__(self, name: str, path: str) -> None:
        super().__init__(name)
        self.path = path
        self._store: Any = None

    def deliver(self, payloads: Sequence[str]) -> list[str | None]:
        import sqlite3

        from .store import LineageStore

        try:
            if self._store is None:
                self._store = LineageStore(self.path, create=True)
            results: list[str | None] = []
            # In slices, pausing between them, so that a caller's thread is not kept from the GIL for long.
            for start in range(0, len(payloads), 100):
                results += self._store.ingest_many(payloads[start : start + 100])
                time.sleep(GIL_PAUSE)
            return results
        except sqlite3.Error as exc:  # a locked or unwritable file may recover
            raise Transient(f"Lineage store {self.path!r}: {exc}.", 0, []) from None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class TransportDestination(Destination):
    """An openlineage-python transport, one event per ``emit``."""

    def __init__(self, name: str, transport: Any, batch_size: int) -> None:
        super().__init__(name)
        self.transport = transport
        self.batch_size = batch_size

    def deliver(self, payloads: Sequence[str]) -> list[str | None]:
        import requests

        results: list[str | None] = []
        for index, payload in enumerate(payloads):
            try:
                self.transport.emit(json.loads(payload))
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                reason = f"{self.name} answered HTTP {status}: {(exc.response.text if exc.response is not None else '')[:500]}"
                if 400 <= status < 500 and status not in (408, 429):
                    results.append(reason)
                    continue
                raise Transient(reason, index, results) from None
            except Exception as exc:  # connection refused, timeouts, full disks: the backend may come back
                raise Transient(f"{self.name}: {type(exc).__name__}: {exc}", index, results) from None
            results.append(None)
        return results

    def close(self) -> None:
        self.transport.close(timeout=0)


def create(config: TransportConfig) -> Destination:
    """Build the destination of a transport config (imports openlineage-python's transports here)."""
    name = destination_name(config)
    if isinstance(config, StoreTransport):
        return StoreDestination(name, config.path)
    if isinstance(config, FileTransport):
        from openlineage.client.transport.file import FileConfig
        from openlineage.client.transport.file import FileTransport as OLFileTransport

        Path(config.path).parent.mkdir(parents=True, exist_ok=True)
        transport = OLFileTransport(FileConfig(log_file_path=str(config.path), append=True))
        return TransportDestination(name, transport, batch_size=200)
    if isinstance(config, HttpTransport):
        from openlineage.client.transport.http import HttpConfig
        from openlineage.client.transport.http import HttpTransport as OLHttpTransport

        params: dict[str, Any] = {
            "url": config.url,
            "endpoint": config.endpoint,
            "timeout": config.timeout,
            # The spool retries with backoff; the client's own retries would hold the sender for seconds.
            "retry": {"total": 0, "connect": 0, "read": 0, "status": 0},
        }
        if config.api_key:
            params["auth"] = {"type": "api_key", "apiKey": config.api_key}
        if config.compression:
            params["compression"] = config.compression
        return TransportDestination(name, OLHttpTransport(HttpConfig.from_dict(params)), batch_size=20)
    from openlineage.client.transport.console import ConsoleConfig
    from openlineage.client.transport.console import ConsoleTransport as OLConsoleTransport

    # The console transport logs each event at INFO; without a handler of its own nobody would see it.
    logger = logging.getLogger("openlineage.client.transport.console")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return TransportDestination(name, OLConsoleTransport(ConsoleConfig()), batch_size=200)
