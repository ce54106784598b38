"""Where a component's Spark session comes from, and who stops it.

Classic Spark (``master``) has one SparkContext per process: the driver JVM behind py4j. So components never own
Spark by themselves: they lease a session from this module.

- If Spark already runs in the process (the user's own session, a notebook's), components use it and never stop
  it. Their config must describe that Spark (master, warehouse folder, catalog and fixed settings), or building
  a session raises ``ConfigError`` saying what differs: nothing is changed under the user's feet.
- Otherwise the first component that needs Spark starts it from its config, and Spark is stopped when the last
  component using it closes (a reference count): stackhub stops only what stackhub started.
- Components with the same database and runtime settings share one ``SparkSession`` (a ``newSession()`` of the
  running one: own SQL settings and current database, shared catalog and cache), so what one writes the other
  reads at once. stackhub's settings (UTC session time zone, case-sensitive names) stay in those sessions and
  never change the user's.

Spark Connect (``remote``) keeps Spark on the server: each distinct config leases one Connect session (reference
counted too) and closing the last component releases it on the server, which keeps running.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from stackhub import ConfigError, StackhubError, Unavailable

from ._config import SparkConfig
from ._errors import JAVA_FIX, map_error

__all__ = ["STACKHUB_SETTINGS", "Lease", "acquire", "is_local_master", "warehouse_path"]

#: Runtime settings of every session stackhub uses; a key in the config's ``conf`` overrides one.
STACKHUB_SETTINGS: dict[str, str] = {
    # Session-local times (casts, current_timestamp) in UTC; Arrow results carry UTC whatever the zone.
    "spark.sql.session.timeZone": "UTC",
    # Table and column names are kept exactly as written: 'MixedCase' stays 'MixedCase' in the catalog.
    "spark.sql.caseSensitive": "true",
    # Instants as standard Parquet INT64 microseconds instead of the legacy INT96.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}


@dataclass
class Lease:
    """A component's use of a session; ``release()`` once when done."""

    session: Any
    remote: bool
    release: Callable[[], None]


@dataclass
class _Classic:
    """The process's classic Spark as stackhub uses it."""

    root: Any
    #: stackhub started this SparkContext, so it stops it when the last lease ends.
    started: bool
    users: int = 0
    sessions: dict[tuple[Any, ...], Any] = field(default_factory=dict)


@dataclass
class _Remote:
    session: Any
    users: int = 0


_LOCK = threading.RLock()
_classic: _Classic | None = None
_remote: dict[tuple[Any, ...], _Remote] = {}


def is_local_master(master: str) -> bool:
    return master == "local" or master.startswith("local[")


def warehouse_path(config: SparkConfig) -> Path:
    """The absolute warehouse folder of a classic config (relative paths are taken from the current folder)."""
    return Path(config.warehouse_dir or ".stackhub/spark-warehouse").expanduser().resolve()


def _runtime_settings(config: SparkConfig) -> dict[str, str]:
    return {**STACKHUB_SETTINGS, **config.spark_conf}


def _reachable(host: str, port: int, timeout: float, what: str, fix: str) -> None:
    """Fail fast (``Unavailable``) when nothing accepts connections at host:port, instead of letting Spark retry."""
    try:
        with socket.create_connection((host, port), timeout=min(timeout, 10.0)):
            return
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise Unavailable(f"{what} at {host}:{port} cannot be reached: {reason}.", fix=fix) from None


def acquire(config: SparkConfig) -> Lease:
    """A session for ``config``: started, joined or reused as the module docstring says."""
    with _LOCK:
        if config.remote is not None:
            return _acquire_remote(config)
        return _acquire_classic(config)


# -- classic ----------------------------------------------------------------------------------------------


def _check_java() -> None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return
    if shutil.which("java") is None:
        raise Unavailable("Cannot start Spark: no Java runtime found (no 'java' on PATH, no JAVA_HOME).", fix=JAVA_FIX)


def _check_master(master: str, timeout: float) -> None:
    if not master.startswith("spark://"):
        return  # local runs in the driver; yarn and k8s masters are reached through their own clients
    problems: list[Unavailable] = []
    for address in master.removeprefix("spark://").split(","):
        host, _, port = address.rpartition(":")
        try:
            _reachable(
                host or address,
                int(port) if port.isdigit() else 7077,
                timeout,
                "The Spark master",
                fix="Start the master (sbin/start-master.sh) or fix 'master'.",
            )
            return
        except Unavailable as exc:
            problems.append(exc)
    raise problems[0]


def _metastore(warehouse: Path) -> Path:
    return warehouse.parent / f"{warehouse.name}-metastore"


def _start_classic(config: SparkConfig) -> Any:
    if "SPARK_CONNECT_MODE_ENABLED" in os.environ or "SPARK_REMOTE" in os.environ:
        raise ConfigError(
            "This process already uses Spark Connect (SPARK_REMOTE, or a Connect session was created), and pyspark "
            "then refuses to start classic Spark in the same process.",
            fix="Use 'remote: sc://host:port' instead of 'master', or run the stack in its own process.",
        )
    _check_java()
    master = config.master or "local[*]"
    _check_master(master, config.timeout)
    from pyspark.sql import SparkSession

    warehouse = warehouse_path(config)
    try:
        warehouse.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Unavailable(
            f"Cannot create the Spark warehouse folder {str(warehouse)!r}: {exc.strerror}.",
            fix="Choose a 'warehouse_dir' in a writable folder.",
        ) from None
    settings = {
        "spark.api.mode": "classic",
        "spark.sql.warehouse.dir": str(warehouse),
        "spark.sql.catalogImplementation": config.catalog or "in-memory",
        **_runtime_settings(config),
    }
    if config.catalog == "hive":
        metastore = _metastore(warehouse)
        metastore.mkdir(parents=True, exist_ok=True)
        settings.setdefault(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={metastore / 'metastore_db'};create=true",
        )
    builder = SparkSession.builder.master(master).appName(config.app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        root = builder.getOrCreate()
    except Exception as exc:
        error = map_error(exc, f"Cannot start Spark (master {master!r})")
        if "JAVA_GATEWAY_EXITED" in str(exc) or "Java gateway process exited" in str(exc):
            raise Unavailable(error.message, fix=JAVA_FIX) from None
        raise Unavailable(error.message, fix="Check 'master' and 'conf', and the Spark driver's log above.") from None
    if config.catalog == "hive":
        # Derby writes derby.log to the current folder unless told otherwise; keep it with the metastore.
        root._jvm.java.lang.System.setProperty("derby.stream.error.file", str(_metastore(warehouse) / "derby.log"))
    return root


def _local_path(value: str | None) -> Path | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("", "file"):
        return None
    return Path(unquote(parts.path)).expanduser().resolve()


def _check_compatible(root: Any, config: SparkConfig) -> None:
    """The running Spark is the one ``config`` describes; ``ConfigError`` naming each difference otherwise."""
    problems: list[str] = []
    running = str(root.sparkContext.master)
    wanted = config.master or "local[*]"
    if running != wanted and not (is_local_master(running) and is_local_master(wanted)):
        problems.append(f"master is {running!r}, the config asks for {wanted!r}")
    warehouse = warehouse_path(config)
    actual_warehouse = root.conf.get("spark.sql.warehouse.dir", None)
    if _local_path(actual_warehouse) != warehouse:
        problems.append(f"the warehouse folder is {actual_warehouse!r}, the config asks for {str(warehouse)!r}")
    catalog = root.conf.get("spark.sql.catalogImplementation", "in-memory")
    if catalog != (config.catalog or "in-memory"):
        problems.append(f"the catalog is {catalog!r}, the config asks for {config.catalog or 'in-memory'!r}")
    for key, value in config.spark_conf.items():
        if root.conf.isModifiable(key):
            continue
        actual = root.conf.get(key, None)
        if actual != value:
            problems.append(f"{key} is {actual!r} (fixed when Spark started), the config asks for {value!r}")
    if problems:
        raise ConfigError(
            "Spark already runs in this process, and not as the config describes: " + "; ".join(problems) + ".",
            fix="Spark allows one SparkContext per process: make the stack's config match the running Spark "
            "(master, warehouse_dir, catalog, conf), or stop that Spark first.",
        )


def _classic_session(state: _Classic, config: SparkConfig) -> Any:
    settings = {k: v for k, v in _runtime_settings(config).items() if state.root.conf.isModifiable(k)}
    key = (config.database, tuple(sorted(settings.items())))
    session = state.sessions.get(key)
    if session is None:
        session = state.root.newSession()
        for name, value in settings.items():
            session.conf.set(name, value)
        _use_database(session, config.database)
        state.sessions[key] = session
    return session


def _acquire_classic(config: SparkConfig) -> Lease:
    global _classic
    from pyspark import SparkContext

    active = SparkContext._active_spark_context
    if _classic is not None and (active is None or active is not _classic.root.sparkContext):
        _classic = None  # stopped (or replaced) behind stackhub's back: its sessions are gone too
    try:
        if _classic is None:
            if active is not None:
                from pyspark.sql import SparkSession

                _classic = _Classic(
                    SparkSession(active)
                    if SparkSession._instantiatedSession is None
                    else SparkSession._instantiatedSession,
                    started=False,
                )
            else:
                _classic = _Classic(_start_classic(config), started=True)
        state = _classic
        _check_compatible(state.root, config)
        session = _classic_session(state, config)
    except StackhubError:
        raise
    except Exception as exc:
        raise map_error(exc, "Cannot open a Spark session") from None
    state.users += 1
    released = threading.Event()

    def release() -> None:
        global _classic
        with _LOCK:
            if released.is_set():
                return
            released.set()
            state.users -= 1
            if state.users == 0 and state.started:
                with contextlib.suppress(Exception):  # already stopped by someone else: nothing left to do
                    state.root.stop()
                if _classic is state:
                    _classic = None

    return Lease(session=session, remote=False, release=release)


def _use_database(session: Any, database: str) -> None:
    if database != "default":
        session.sql(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    session.sql(f"USE `{database}`")


# -- Spark Connect ----------------------------------------------------------------------------------------


def _acquire_remote(config: SparkConfig) -> Lease:
    assert config.remote is not None
    settings = _runtime_settings(config)
    key = (config.remote, config.database, config.timeout, tuple(sorted(settings.items())))
    entry = _remote.get(key)
    if entry is None:
        host, port = config.remote_address
        _reachable(
            host,
            port,
            config.timeout,
            "The Spark Connect server",
            fix="Start it (sbin/start-connect-server.sh) or fix 'remote'.",
        )
        try:
            from pyspark.sql.connect.client.retries import DefaultPolicy
            from pyspark.sql.connect.session import SparkSession as RemoteSparkSession
        except ImportError as exc:
            raise ConfigError(
                f"Spark Connect ('remote') needs the Connect client, which is not installed: {exc}.",
                fix="pip install 'stackhub-spark[connect]'",
            ) from None
        try:
            # The Connect builder itself, not pyspark's generic one: that one would switch the whole process to
            # Connect mode (SPARK_CONNECT_MODE_ENABLED), breaking classic Spark in the same process.
            session = RemoteSparkSession.builder.remote(config.remote).create()
            # pyspark retries an unreachable server for 10 minutes by default; a component answers in its timeout.
            backoff = int(min(config.timeout, 60.0) * 250)
            session.client.set_retry_policies([DefaultPolicy(max_retries=4, max_backoff=max(backoff, 100))])
            for name, value in settings.items():
                session.conf.set(name, value)
            _use_database(session, config.database)
        except Exception as exc:
            raise map_error(
                exc, f"Cannot open a session on the Spark Connect server {config.remote_endpoint}"
            ) from None
        entry = _remote[key] = _Remote(session)
    entry.users += 1
    released = threading.Event()

    def release() -> None:
        with _LOCK:
            if released.is_set():
                return
            released.set()
            entry.users -= 1
            if entry.users == 0:
                if _remote.get(key) is entry:
                    del _remote[key]
                with contextlib.suppress(Exception):  # the server is gone: the session is gone with it
                    entry.session.stop()

    return Lease(session=entry.session, remote=True, release=release)
