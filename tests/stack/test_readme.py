"""The README's commands and snippets run as written: the main-job command in a fresh virtual environment,
the test command is exactly what CI runs, and every Python snippet executes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv

from conftest import REPO

README = (REPO / "README.md").read_text()


def bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", README, re.S)


def test_ci_runs_exactly_the_readme_test_command():
    _main_job, tests = bash_blocks()
    ci = (REPO / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == tests


def test_main_job_command_in_a_fresh_environment(tmp_path):
    main_job, _ = bash_blocks()
    checkout = tmp_path / "checkout"
    shutil.copytree(
        REPO, checkout, ignore=shutil.ignore_patterns(".git", ".tox", "*.egg-info", "__pycache__", ".stackhub")
    )
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    env = {**os.environ, "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(env_dir)}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        ["bash", "-c", main_job], cwd=checkout, env=env, capture_output=True, text=True, timeout=540, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Stack 'churn' (examples/churn/stack.yaml): valid" in result.stdout
    summary = result.stdout[result.stdout.index("\nSummary (") :]
    for stage in ("ran on", "model      validation AUC", "labeling   40 tasks", "drift      dataset DRIFTED"):
        assert stage in summary, summary
    assert "What trained models/churn-gbm/1" in summary
    assert "warehouse.main.orders" in summary


def test_python_snippets_run(tmp_path):
    (tmp_path / "stack.yaml").write_text(re.search(r"```yaml\n(.*?)\n```", README, re.S).group(1))
    for snippet in re.findall(r"```python\n(.*?)\n```", README, re.S):
        result = subprocess.run(
            [sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
    assert "[{'n': 2}]" in result.stdout
