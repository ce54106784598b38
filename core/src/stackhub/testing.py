"""Helpers for tests that start a real tool on 127.0.0.1: a free port, and a server process that is launched,
awaited and stopped for sure.

The plugins' ``testing`` modules (MLflow, Evidently, Label Studio, Spark Connect) build on it, so that each says
only how its tool starts and when it is ready. The hub never imports this module, and it imports nothing but the
standard library.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["ServerProcess", "free_port"]

# How often wait_until asks whether the server is ready: a server's start takes seconds, a probe milliseconds.
POLL_SECONDS = 0.25


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """One server process with its output appended to ``log``: ``spawn`` starts it, ``wait_until`` waits until it
    is ready, ``stop`` ends it together with every process it forked.

    A subclass names its tool (``name``, for error messages) and says how it stops: ``stop_signal`` goes to the
    server's process (to its whole process group with ``signal_group``), and after ``stop_timeout`` seconds
    everything left is killed.
    """

    name = "server"
    stop_signal = signal.SIGTERM
    signal_group = False
    stop_timeout = 20.0

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        #: Seconds from launch to ready, one entry per start.
        self.start_seconds: list[float] = []
        self._launched_at = 0.0

    def spawn(self, command: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        """Start ``command`` without waiting for it to be ready."""
        self._launched_at = time.monotonic()
        with self.log.open("ab") as log:
            # A session of its own makes it a process group leader: stop() then ends whatever it forks (workers,
            # the JVM a launcher script starts), even when the server itself has died first. No stdin: a server
            # that asks a question must fail, not hang the tests.
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )

    def wait_until(self, ready: Callable[[], bool], *, waiting_for: str | Callable[[], str], timeout: float) -> None:
        """Wait until ``ready()`` is true, at most ``timeout`` seconds from the launch, and record the start's
        duration in ``start_seconds``.

        Raises ``RuntimeError`` with the log's tail when the server exits first, or when the deadline passes (it
        is stopped then). ``waiting_for`` says what was awaited in that error (e.g. "answer /health"); a callable
        is asked at the deadline, for what only the last probe knows.
        """
        if self.process is None:
            raise RuntimeError(f"{self.name} was not launched.")
        while time.monotonic() - self._launched_at < timeout:
            exit_code = self.process.poll()
            if exit_code is not None:
                self.stop()  # what it forked may still run
                raise RuntimeError(f"{self.name} exited with {exit_code}:\n{self.log_tail()}")
            if ready():
                self.start_seconds.append(time.monotonic() - self._launched_at)
                return
            time.sleep(POLL_SECONDS)
        self.stop()
        awaited = waiting_for() if callable(waiting_for) else waiting_for
        raise RuntimeError(f"{self.name} did not {awaited} within {timeout} s:\n{self.log_tail()}")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the server and everything it forked; harmless when it is not running."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if self.signal_group:
                    os.killpg(self.process.pid, self.stop_signal)
                else:
                    self.process.send_signal(self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=self.stop_timeout)
        # Its children are in its group: they must let go of the port too, even when the server ended first.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the log."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
