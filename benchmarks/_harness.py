"""What every benchmark script shares: running a contender in a process of its own (so that its peak memory is
its own), timing it there, and writing the markdown section that ``benchmarks/run.py`` collects.

A contender is a module-level function of the benchmark script; it runs in a fresh interpreter started with the
``spawn`` method, which imports the script again (so the script's heavy imports are paid before the clock
starts, as a user's long-running process would have paid them) and then calls the function. Only the call is
timed; the peak resident memory is the whole child process's, from its first import to the end of the call.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any


@dataclass(frozen=True)
class Measured:
    """One contender over its repeats: the value of its last call, the wall time of each call, its peak memory."""

    value: Any
    seconds: tuple[float, ...]
    peak_bytes: int

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _child(
    target: Callable[..., Any], args: tuple[Any, ...], queue: Any, prepare: Callable[[], object] | None = None
) -> None:
    if prepare is not None:
        prepare()
    start = time.perf_counter()
    value = target(*args)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    queue.put((value, seconds, peak_kib * 1024))


def isolated(
    target: Callable[..., Any], *args: Any, repeat: int = 1, prepare: Callable[[], object] | None = None
) -> Measured:
    """Call ``target(*args)`` ``repeat`` times, each in a new process; its return value must pickle.

    ``prepare`` (a module-level function, or a ``functools.partial`` of one) runs in each process before the
    clock starts: there a contender imports or sets up what only it needs (its memory counts in the peak, its time
    does not), so that the script's own imports can stay light for the other contenders.
    """
    context = multiprocessing.get_context("spawn")
    value: Any = None
    seconds: list[float] = []
    peak = 0
    for _ in range(repeat):
        queue = context.Queue()
        process = context.Process(target=_child, args=(target, args, queue, prepare))
        process.start()
        # Read before join: a large value blocks the child in put() until the parent takes it.
        value, took, peak_bytes = _result(queue, process, target.__name__)
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"{target.__name__} exited with code {process.exitcode}")
        seconds.append(took)
        peak = max(peak, peak_bytes)
    return Measured(value, tuple(seconds), peak)


def _result(queue: Any, process: Any, name: str) -> tuple[Any, float, int]:
    """What the child put in ``queue``; ``RuntimeError`` if it died without (e.g. killed for lack of memory)."""
    while True:
        try:
            return queue.get(timeout=1)
        except Empty:
            if not process.is_alive() and queue.empty():
                process.join()
                raise RuntimeError(f"{name} exited with code {process.exitcode} before returning") from None


def machine() -> str:
    """The machine a table was measured on, for the report's header."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def mebibytes(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if value / reference < 10 else f"{value / reference:.0f}x"


@dataclass
class Report:
    """A markdown section: a heading, the command that reproduces it, tables and notes, in order."""

    title: str
    command: str
    parts: list[str] = field(default_factory=list)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
        self.parts.append("\n".join(lines))

    def note(self, text: str) -> None:
        self.parts.append(text)

    def markdown(self) -> str:
        return "\n\n".join([f"## {self.title} — `{self.command}`", *self.parts]) + "\n"

    def finish(self, path: Path | None, *, smoke: bool = False) -> None:
        """Print the section, and write it to ``path`` (``--report``) for ``benchmarks/run.py``. A smoke run (in
        CI, where only the head of the output is kept) prints one line instead of its tables."""
        text = self.markdown()
        print(f"{self.title}: smoke run done" if smoke else text)
        if path is not None:
            path.write_text(text)


def add_report_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report", type=Path, help="also write the markdown section to this file")
    parser.add_argument("--smoke", action="store_true", help="the smallest sizes, to check that the script runs")
