"""save_html: Evidently's own HTML page of a drift report, written atomically."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from stackhub import InvalidInput, Monitor
from stackhub.categories.monitor import DriftReport
from stackhub_evidently._monitor import EvidentlyMonitor

RNG = np.random.default_rng(3)
REFERENCE = pa.table({"speed": RNG.normal(size=400), "colour": RNG.choice(["red", "blue"], 400)})
CURRENT = pa.table({"speed": RNG.normal(1.0, size=400), "colour": RNG.choice(["red", "blue"], 400)})


def test_the_page_is_evidentlys_report_of_the_columns(monitor: EvidentlyMonitor, tmp_path: Path) -> None:
    report = monitor.drift_report(REFERENCE, CURRENT, methods={"speed": "wasserstein"})
    target = tmp_path / "pages" / "nested" / "drift.html"  # folders are created
    assert monitor.save_html(report, str(target)) == str(target)
    page = target.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html>")
    for text in ("speed", "colour", "Wasserstein distance (normed)", "chi-square p_value", "Dataset Drift"):
        assert text in page, text
    assert "<script src=" not in page  # self-contained: Evidently inlines its scripts
    assert [p.name for p in target.parent.iterdir()] == ["drift.html"]  # no temporary file left


def test_a_copy_of_the_report_renders_the_same_run(monitor: EvidentlyMonitor, tmp_path: Path) -> None:
    report = monitor.drift_report(REFERENCE, CURRENT)
    copy = DriftReport.model_validate_json(report.model_dump_json())
    assert copy is not report
    monitor.save_html(copy, str(tmp_path / "copy.html"))
    assert "speed" in (tmp_path / "copy.html").read_text(encoding="utf-8")


def test_reports_it_did_not_make_are_refused(monitor: EvidentlyMonitor, tmp_path: Path) -> None:
    other = EvidentlyMonitor(monitor.config)
    report = other.drift_report(REFERENCE, CURRENT)
    with pytest.raises(InvalidInput, match="not made by this monitor"):
        monitor.save_html(report, str(tmp_path / "x.html"))
    with pytest.raises(InvalidInput, match="takes a DriftReport, got dict"):
        monitor.save_html(report.model_dump(), str(tmp_path / "x.html"))  # type: ignore[arg-type]
    assert not (tmp_path / "x.html").exists()


def test_only_the_latest_live_reports_are_kept(monitor: EvidentlyMonitor, tmp_path: Path) -> None:
    monitor._snapshots.limit = 2
    small = pa.table({"x": np.arange(30.0)})
    # Three different reports (an equal report would find the run of its equal).
    first, second, third = (monitor.drift_report(small, pa.table({"x": np.arange(30.0) + 10 * i})) for i in range(3))
    with pytest.raises(InvalidInput, match="older than its last"):
        monitor.save_html(first, str(tmp_path / "first.html"))
    monitor.save_html(third, str(tmp_path / "third.html"))
    del second
    gc.collect()
    assert len(monitor._snapshots._entries) == 1  # a report that is gone releases its Evidently widgets
    monitor.close()
    assert not monitor._snapshots._entries


def test_a_failed_write_leaves_the_old_file(
    monitor: EvidentlyMonitor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = monitor.drift_report(REFERENCE, CURRENT)
    target = tmp_path / "drift.html"
    target.write_text("old page", encoding="utf-8")

    def failing_replace(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("stackhub_evidently._monitor.os.replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        monitor.save_html(report, str(target))
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old page"
    assert sorted(os.listdir(tmp_path)) == ["drift.html"]


def test_a_folder_is_not_a_file_name(monitor: Monitor, tmp_path: Path) -> None:
    assert isinstance(monitor, EvidentlyMonitor)
    report = monitor.drift_report(REFERENCE, CURRENT)
    with pytest.raises(InvalidInput, match="is a folder"):
        monitor.save_html(report, str(tmp_path))
