"""A throwaway PostgreSQL server on 127.0.0.1, for tests of this plugin and of stacks that use it.

It runs the server binaries of the machine (Debian's ``postgresql-15``: ``/usr/lib/postgresql/15/bin``); nothing
is downloaded or installed at run time. ``initdb`` and ``pg_ctl`` refuse to run as root, so as root they run as
the ``postgres`` user (``runuser``), with the data in a fresh folder that user owns. The plugin itself never
imports this module::

    server = PostgresServer.create()       # initdb + start; raises ServerMissing without the binaries
    config = server.config()               # {"host": "127.0.0.1", "port": ..., "user": "postgres", ...}
    ...
    server.destroy()                       # stop and remove the data folder
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from stackhub.testing import free_port

__all__ = ["INSTALL_HINT", "PostgresServer", "ServerMissing", "find_bin_dir", "free_port"]

#: How to get the binaries on Debian/Ubuntu (the project's machines run Debian 12 with PostgreSQL 15).
INSTALL_HINT = "apt-get update && apt-get install -y postgresql-15"
#: Environment variable naming another folder with initdb, pg_ctl and postgres (e.g. another major version).
BIN_DIR_VARIABLE = "STACKHUB_PG_BIN"
# initdb took 4.5 s and a start 0.3 s on 2 idle cores; leave room for a loaded CI machine.
START_TIMEOUT = 60


class ServerMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def find_bin_dir() -> Path:
    """The folder with initdb and pg_ctl: $STACKHUB_PG_BIN, else Debian's /usr/lib/postgresql/<newest>/bin."""
    override = os.environ.get(BIN_DIR_VARIABLE)
    candidates = [Path(override)] if override else []
    candidates += sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    where = f"${BIN_DIR_VARIABLE}={override} or " if override else ""
    raise ServerMissing(
        f"No PostgreSQL server binaries (initdb, pg_ctl) in {where}/usr/lib/postgresql/*/bin. Install them with: "
        f"{INSTALL_HINT} (or set {BIN_DIR_VARIABLE} to a folder that has them)."
    )


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only, with trust authentication for
    the ``postgres`` superuser (and password authentication for roles added by :meth:`add_password_role`)."""

    def __init__(self, root: Path, bin_dir: Path, port: int) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.port = port
        self.data = root / "data"
        self.log = root / "server.log"
        self.init_seconds = 0.0
        self.start_seconds: list[float] = []
        self._as_postgres = os.geteuid() == 0

    # -- life cycle -------------------------------------------------------------------------------------

    @classmethod
    def create(cls, *, port: int | None = None) -> PostgresServer:
        """initdb a new cluster in a fresh temporary folder and start it."""
        bin_dir = find_bin_dir()
        root = Path(tempfile.mkdtemp(prefix="stackhub-pg-"))
        server = cls(root, bin_dir, port or free_port())
        atexit.register(server.destroy)  # a crashed test session must not leave a server behind
        try:
            server._initdb()
            server.start()
        except BaseException:
            server.destroy()
            raise
        return server

    def _initdb(self) -> None:
        if self._as_postgres:
            shutil.chown(self.root, user="postgres", group="postgres")
            self.root.chmod(0o700)
        started = time.monotonic()
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        )
        self.init_seconds = time.monotonic() - started

    def start(self) -> None:
        """Start the server (again) on the same port and data, and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data} -c fsync=off "
            # Not synchronous_commit=off: a crash (stop('immediate')) could then lose transactions that committed.
            "-c full_page_writes=off -c max_connections=50"
        )
        started = time.monotonic()
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT), "-o", options, "start"
        )
        self.start_seconds.append(time.monotonic() - started)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` ends sessions and shuts down cleanly, ``immediate`` is a crash (recovery runs
        at the next start)."""
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", str(START_TIMEOUT), "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def running(self) -> bool:
        if not (self.data / "postmaster.pid").exists():
            return False
        status = subprocess.run(self._command("pg_ctl", "-D", str(self.data), "status"), capture_output=True)
        return status.returncode == 0

    def destroy(self) -> None:
        """Stop the server and remove its folder. Calling it twice is harmless."""
        with contextlib.suppress(Exception):
            if self.data.exists():
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- use --------------------------------------------------------------------------------------------

    def config(self, **overrides: Any) -> dict[str, Any]:
        """The stackhub-postgres config of this server's ``postgres`` database, as superuser."""
        return {"host": "127.0.0.1", "port": self.port, "database": "postgres", "user": "postgres"} | overrides

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        """Run SQL as the superuser through psql on the server's socket; returns psql's unaligned output."""
        completed = self._run(
            "psql", "-h", str(self.data), "-p", str(self.port), "-U", "postgres", "-d", database, "-v",
            "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql,
        )  # fmt: skip
        return completed.stdout

    def add_password_role(self, role: str, password: str) -> None:
        """Create a login role that must authenticate with ``password`` (SCRAM) over TCP."""
        literal = password.replace("'", "''")
        self.psql(f"CREATE ROLE \"{role}\" LOGIN SUPERUSER PASSWORD '{literal}'")
        hba = self.data / "pg_hba.conf"
        # First match wins: this line goes before the trust lines initdb wrote.
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        self._run("pg_ctl", "-D", str(self.data), "reload")
        time.sleep(0.2)  # the postmaster re-reads pg_hba.conf on SIGHUP, asynchronously

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    # -- helpers ----------------------------------------------------------------------------------------

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / tool), *args]
        return ["runuser", "-u", "postgres", "--", *command] if self._as_postgres else command

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            self._command(tool, *args), capture_output=True, text=True, cwd=self.root, timeout=START_TIMEOUT + 30
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"{tool} {' '.join(args)} failed with exit code {completed.returncode}:\n{completed.stdout}"
                f"{completed.stderr}\n{self.log_tail()}"
            )
        return completed
