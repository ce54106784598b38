"""docs/lineage.md's first example runs as written and prints what the page shows."""

from __future__ import annotations

import re
import subprocess
import sys

from lineage_support import REPO, run_cli

DOC = (REPO / "docs" / "lineage.md").read_text()


def block(language: str) -> str:
    return re.search(rf"```{language}\n(.*?)\n```", DOC, re.S).group(1)  # type: ignore[union-attr]


def test_the_first_example_runs_and_prints_what_the_page_shows(workdir):
    (workdir / "stack.yaml").write_text(block("yaml"))
    subprocess.run([sys.executable, "-c", block("python")], cwd=workdir, check=True, timeout=60)
    command, *expected = block("console").splitlines()
    result = run_cli(*command.removeprefix("$ stackhub ").split(), cwd=workdir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(expected)
    for line, shown in zip(lines, expected, strict=True):
        assert re.fullmatch(re.escape(shown).replace(re.escape("..."), ".*"), line), (line, shown)
