"""CLI cold start, side by side in one run: `python -c pass` (the floor) vs `stackhub --help`, `stackhub plugins`
and `stackhub validate --offline` on the embedded stack. Prints medians and ratios to the floor.

    python benchmarks/cli_cold_start.py [--runs 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_seconds(argv: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    # The script of this interpreter's environment; a `stackhub` found on PATH may be another one, or a shim.
    stackhub = shutil.which("stackhub", path=str(Path(sys.executable).parent)) or sys.exit(
        f"stackhub is not installed in the environment of {sys.executable}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        subprocess.run([stackhub, "init"], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "stackhub --help": [stackhub, "--help"],
            "stackhub plugins": [stackhub, "plugins"],
            "stackhub validate --offline": [stackhub, "validate", "--offline"],
        }
        results = {name: median_seconds(argv, args.runs, cwd) for name, argv in cases.items()}
    floor = results["python -c pass"]
    print(f"| command | median ({args.runs} runs) | x python -c pass |")
    print("|---|---|---|")
    for name, seconds in results.items():
        print(f"| `{name}` | {seconds * 1000:.0f} ms | {seconds / floor:.1f} |")


if __name__ == "__main__":
    main()
