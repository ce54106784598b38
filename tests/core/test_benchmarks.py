"""The benchmarks stay runnable: each one `benchmarks/run.py` knows exists, and CI runs it at its smoke size in
the very tox environment `run.py` runs it in (benchmarks are not tests; this only keeps them from rotting)."""

from __future__ import annotations

import runpy
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_every_benchmark_runs_at_smoke_size_in_its_tox_environment(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    benchmarks = runpy.run_path(str(ROOT / "benchmarks" / "run.py"), run_name="benchmarks_run")["BENCHMARKS"]
    tox = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["tox"]
    scripts = {path.stem for path in (ROOT / "benchmarks").glob("[!_]*.py")} - {"run"}
    assert set(benchmarks) == scripts
    for name, (environment, _arguments) in benchmarks.items():
        commands = tox["env"][environment]["commands"]
        assert ["python", f"benchmarks/{name}.py", "--smoke"] in commands, (name, environment)
