"""CLI cold start, side by side in one run: `python -c pass` (the floor) vs `stackhub --help`, `stackhub plugins`
and `stackhub validate --offline` on the embedded stack; with `--zenml`, also the stack CLI users know,
`zenml --help` and `zenml stack describe`, from a virtual environment of its own that this script creates and
installs ZenML into on first use (cached under ~/.cache/stackhub-benchmarks/). Prints medians and ratios.

    python benchmarks/cli_cold_start.py [--runs 20] [--zenml]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ZENML_ENV = Path.home() / ".cache" / "stackhub-benchmarks" / "zenml"
ZENML_RUNS = 5  # each run takes seconds


def median_seconds(argv: list[str], runs: int, cwd: Path, env: dict[str, str] | None = None) -> float:
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def zenml_executable() -> Path:
    """ZenML's CLI in its own environment: its dependencies must not touch the one being measured."""
    zenml = ZENML_ENV / "bin" / "zenml"
    if not zenml.exists():
        print(f"installing zenml into {ZENML_ENV} (first use only) ...", file=sys.stderr)
        venv.create(ZENML_ENV, with_pip=True)
        subprocess.run([ZENML_ENV / "bin" / "python", "-m", "pip", "install", "-q", "zenml[local]"], check=True)
    return zenml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--zenml", action="store_true", help="Also time ZenML's CLI (installs it on first use).")
    args = parser.parse_args()
    # The script of this interpreter's environment; a `stackhub` found on PATH may be another one, or a shim.
    stackhub = shutil.which("stackhub", path=str(Path(sys.executable).parent)) or sys.exit(
        f"stackhub is not installed in the environment of {sys.executable}"
    )
    results: dict[str, float] = {}
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
        if args.zenml:
            zenml = str(zenml_executable())
            # A config folder of its own, initialised once (`zenml init`), so every timed run is a warm start of
            # the same local stack, as a user's second command would be.
            env = {**os.environ, "ZENML_CONFIG_PATH": str(cwd / "zenml-config"), "ZENML_ANALYTICS_OPT_IN": "false"}
            subprocess.run([zenml, "init"], cwd=cwd, env=env, check=True, capture_output=True)
            for name, argv in {
                "zenml --help": [zenml, "--help"],
                "zenml stack describe": [zenml, "stack", "describe"],
            }.items():
                results[name] = median_seconds(argv, ZENML_RUNS, cwd, env)
    floor = results["python -c pass"]
    print("| command | median | x python -c pass |")
    print("|---|---|---|")
    for name, seconds in results.items():
        print(f"| `{name}` | {seconds * 1000:.0f} ms | {seconds / floor:.1f} |")
    if args.zenml:
        for ours, theirs in (("stackhub --help", "zenml --help"), ("stackhub plugins", "zenml stack describe")):
            print(f"`{ours}` is {results[theirs] / results[ours]:.0f}x faster than `{theirs}`")


if __name__ == "__main__":
    main()
