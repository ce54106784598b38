"""stackhub.testing with real processes: a server is awaited until ready, fails with its log when it exits or
takes too long, and stop() leaves nothing behind, not even what the server forked."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from stackhub.testing import ServerProcess, free_port

FORKS_A_CHILD = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print("child", child.pid, flush=True)
time.sleep(60)
"""

REPORTS_ITS_STOP_SIGNAL = """
import signal, sys, time
def report(number, frame):
    print("got", signal.Signals(number).name, flush=True)
    sys.exit(0)
signal.signal(signal.SIGINT, report)
signal.signal(signal.SIGTERM, report)
print("ready", flush=True)
time.sleep(60)
"""

IGNORES_SIGTERM = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(60)
"""


class ToyServer(ServerProcess):
    name = "toy server"

    def logged(self, text: str) -> bool:
        return text in self.log.read_text()


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[ToyServer]:
    server = ToyServer(tmp_path / "server.log")
    yield server
    server.stop()  # whatever a failed test left running


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended: a zombie waiting for its new parent to reap it counts as ended."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return True
    return state == "Z"


def eventually(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_free_port_can_be_bound() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", free_port()))


def test_waits_until_ready_and_records_the_start(toy: ToyServer, tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hello")
    port = free_port()

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello.txt", timeout=2) as response:
                return bool(response.read() == b"hello")
        except OSError:
            return False

    toy.spawn([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=tmp_path)
    toy.wait_until(answers, waiting_for="answer", timeout=60)
    assert toy.running()
    assert len(toy.start_seconds) == 1
    assert 0 < toy.start_seconds[0] < 60
    toy.stop()
    assert not toy.running()
    assert toy.process is None
    assert not answers()
    toy.stop()  # a second stop is harmless


def test_a_server_that_exits_fails_with_its_log(toy: ToyServer) -> None:
    toy.spawn(
        python("import os, sys; print('cannot start:', os.environ['TOY_PROBLEM']); sys.exit(3)"),
        env={**os.environ, "TOY_PROBLEM": "port taken"},
    )
    with pytest.raises(RuntimeError, match=r"^toy server exited with 3:\ncannot start: port taken$"):
        toy.wait_until(lambda: False, waiting_for="answer", timeout=60)
    assert toy.process is None
    assert toy.start_seconds == []


def test_the_deadline_stops_the_server_and_fails_with_its_log(toy: ToyServer) -> None:
    toy.spawn(python("import time; print('still migrating', flush=True); time.sleep(60)"))
    assert toy.process is not None
    pid = toy.process.pid
    # The line must be in the error even on a slow machine. The deadline counts from the launch: it may then have
    # passed already, which only ends the wait sooner.
    assert eventually(lambda: toy.logged("still migrating"))
    with pytest.raises(RuntimeError, match=r"^toy server did not answer /health within 0.5 s:\nstill migrating$"):
        toy.wait_until(lambda: False, waiting_for="answer /health", timeout=0.5)
    assert toy.process is None
    assert gone(pid)


def test_what_it_waited_for_is_said_at_the_deadline(toy: ToyServer) -> None:
    probes: list[float] = []

    def probe() -> bool:
        probes.append(time.monotonic())
        return False

    toy.spawn(python("import time; time.sleep(60)"))
    with pytest.raises(RuntimeError, match=r"^toy server did not answer after \d+ probes within 0.6 s") as raised:
        toy.wait_until(probe, waiting_for=lambda: f"answer after {len(probes)} probes", timeout=0.6)
    assert f"after {len(probes)} probes" in str(raised.value)


def test_waiting_for_a_server_never_launched_fails(toy: ToyServer) -> None:
    with pytest.raises(RuntimeError, match=r"^toy server was not launched\.$"):
        toy.wait_until(lambda: True, waiting_for="answer", timeout=1)


def test_stop_ends_the_children_the_server_forked(toy: ToyServer) -> None:
    toy.spawn(python(FORKS_A_CHILD))
    toy.wait_until(lambda: toy.logged("child "), waiting_for="fork", timeout=60)
    child = int(toy.log.read_text().split()[1])
    assert not gone(child)
    toy.stop()  # SIGTERM to the server only: its child lives on unless stop() ends the whole group
    assert eventually(lambda: gone(child), seconds=5), "the child the server forked outlived stop()"


@pytest.mark.parametrize(
    ("stop_signal", "signal_group"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["mlflow", "label-studio", "spark"],
)
def test_stop_sends_the_servers_stop_signal(toy: ToyServer, stop_signal: signal.Signals, signal_group: bool) -> None:
    toy.stop_signal = stop_signal
    toy.signal_group = signal_group
    toy.spawn(python(REPORTS_ITS_STOP_SIGNAL))
    toy.wait_until(lambda: toy.logged("ready"), waiting_for="say ready", timeout=60)
    toy.stop()
    assert toy.log.read_text().splitlines() == ["ready", f"got {stop_signal.name}"]


def test_a_server_that_ignores_its_stop_signal_is_killed_after_the_stop_timeout(toy: ToyServer) -> None:
    toy.stop_timeout = 0.5
    toy.spawn(python(IGNORES_SIGTERM))
    toy.wait_until(lambda: toy.logged("ready"), waiting_for="say ready", timeout=60)
    process = toy.process
    assert process is not None
    started = time.monotonic()
    toy.stop()
    assert 0.5 <= time.monotonic() - started < 10
    assert process.returncode == -signal.SIGKILL
