from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

FAKES = Path(__file__).parent / "fakes"

ENTRY_POINTS = """\
[stackhub.plugins]
fakewh = stackhub_fakes:warehouse
plainwh = stackhub_fakes:plain_warehouse
fakefs = stackhub_fakes:feature_store
futurewh = stackhub_fakes:future
brokenwh = stackhub_fakes_missing:plugin
othername2 = stackhub_fakes:misnamed
loopwh = stackhub_fakes:loop
"""


@pytest.fixture
def fake_plugins(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Install the throwaway plugins as a real distribution (dist-info with entry points) on a temporary
    path, and make discovery see only it, whatever else the environment has installed."""
    site = tmp_path_factory.mktemp("site")
    info = site / "stackhub_fakes-9.9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: stackhub-fakes\nVersion: 9.9.9\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (dist,) = metadata.distributions(path=[str(site)])

    def entry_points(**selection: str) -> metadata.EntryPoints:
        return dist.entry_points.select(**selection)

    monkeypatch.syspath_prepend(str(FAKES))
    monkeypatch.setattr("stackhub.discovery.metadata.entry_points", entry_points)
    monkeypatch.setattr("stackhub.hooks.metadata.entry_points", entry_points)
    monkeypatch.delenv("STACKHUB_LOAD_PLUGINS", raising=False)
    try:
        yield site
    finally:
        sys.modules.pop("stackhub_fakes", None)


@pytest.fixture
def write_stack(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a stack file and return its path."""

    def write(text: str, name: str = "stack.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
