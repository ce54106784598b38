from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from lineage_support import ENTRY_POINTS, HERE, STACK


def pytest_configure(config: pytest.Config) -> None:
    # An exception on the lineage thread is a bug even when the events still arrive (the caller drained them).
    config.addinivalue_line("filterwarnings", "error::pytest.PytestUnhandledThreadExceptionWarning")


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own folder: stacks write .stackhub/ there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def plugins(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Discovery sees the real DuckDB plugin and the throwaway ones, as one installed distribution."""
    site = tmp_path_factory.mktemp("site")
    info = site / "lineage_fakes-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lineage-fakes\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (dist,) = metadata.distributions(path=[str(site)])
    monkeypatch.syspath_prepend(str(HERE / "fakes"))
    monkeypatch.setattr("stackhub.discovery.metadata.entry_points", lambda **sel: dist.entry_points.select(**sel))
    monkeypatch.setattr("stackhub.hooks.metadata.entry_points", lambda **sel: dist.entry_points.select(**sel))
    monkeypatch.delenv("STACKHUB_LOAD_PLUGINS", raising=False)
    try:
        yield
    finally:
        sys.modules.pop("lineage_fakes", None)


@pytest.fixture
def stack_file(workdir: Path):  # type: ignore[no-untyped-def]
    def write(text: str = STACK) -> Path:
        path = workdir / "stack.yaml"
        path.write_text(text)
        return path

    return write
