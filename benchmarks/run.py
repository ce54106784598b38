"""Every benchmark in one command, each in the tox environment that has what it compares (tox builds it on first
use), then the collected sections written into docs/benchmarks.md between its results markers.

    python -m pip install 'tox>=4.30' 'tox-uv>=1.20' && python benchmarks/run.py [--smoke] [--only NAME ...]

``--smoke`` runs the smallest sizes and leaves docs/benchmarks.md alone (it checks that the scripts still run).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from _harness import machine

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- results: written by benchmarks/run.py -->", "<!-- end of results -->"

#: name -> (tox environment, script arguments). The environment is the one whose tests cover the same plugins.
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "training_set": ("feast", []),
    "hub_overhead": ("stack", []),
    "lineage_overhead": ("stack", []),
    "cli_cold_start": ("servers", ["--zenml"]),  # every plugin of the repository is installed there
    "drift_report": ("evidently", []),  # last: its 100M-row part runs for half an hour
}


def run(name: str, environment: str, arguments: list[str], folder: Path, smoke: bool) -> str:
    report = folder / f"{name}.md"
    command = [sys.executable, "-m", "tox", "exec", "-q", "-e", environment, "--"]
    command += ["python", f"benchmarks/{name}.py", *arguments, "--report", str(report)]
    if smoke:
        command.append("--smoke")
    print(f"--> {name} (tox env {environment})", flush=True)
    subprocess.run(command, cwd=ROOT, check=True)
    return report.read_text()


def write_docs(sections: list[str]) -> None:
    text = DOCS.read_text()
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    if not after:
        raise SystemExit(f"{DOCS} lacks the markers {START!r} ... {END!r}")
    header = f"Latest run: {date.today().isoformat()}, {machine()}."
    DOCS.write_text("\n\n".join([before.rstrip() + "\n\n" + START, header, *sections, END]) + after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="smallest sizes; docs/benchmarks.md is not written")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run these benchmarks only")
    args = parser.parse_args()
    chosen = args.only or list(BENCHMARKS)
    with tempfile.TemporaryDirectory() as tmp:
        sections = [run(name, *BENCHMARKS[name], Path(tmp), args.smoke) for name in chosen]
    if not args.smoke and not args.only:
        write_docs([section.strip() for section in sections])
        print(f"wrote {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
