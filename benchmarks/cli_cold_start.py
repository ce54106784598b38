"""CLI cold start, side by side in one run: `python -c pass` (the floor) vs `stackhub --help`, `stackhub plugins`
and `stackhub validate --offline` on the embedded stack; with `--zenml`, also the stack CLI users know,
`zenml --help` and `zenml stack describe`, from a virtual environment of its own that this script creates and
installs ZenML into on first use (cached under ~/.cache/stackhub-benchmarks/). Prints medians and ratios.
Run it with the interpreter of an environment that has every plugin installed (``benchmarks/run.py`` uses tox's
``servers`` environment): discovery reads every installed plugin's entry point.

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

from _harness import Report, add_report_argument, ratio

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
    add_report_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.runs = 2
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
    plugins = subprocess.run([stackhub, "plugins"], capture_output=True, text=True, check=True).stdout
    report = Report("CLI cold start", "python benchmarks/cli_cold_start.py --zenml")
    report.note(
        f"Median of {args.runs} runs ({ZENML_RUNS} for ZenML) of each command in a new process, "
        f"{len(plugins.strip().splitlines()) - 1} plugins installed; ZenML (`zenml[local]`) in its own virtual "
        "environment, its local stack initialised once."
    )
    report.table(
        ("command", "median", "x `python -c pass`"),
        [(f"`{name}`", f"{seconds * 1000:.0f} ms", ratio(seconds, floor)) for name, seconds in results.items()],
    )
    if args.zenml:
        report.note(
            "; ".join(
                f"`{ours}` is {ratio(results[theirs], results[ours])} faster than `{theirs}`"
                for ours, theirs in (("stackhub --help", "zenml --help"), ("stackhub plugins", "zenml stack describe"))
            )
        )
    report.finish(args.report, smoke=args.smoke)


if __name__ == "__main__":
    main()
