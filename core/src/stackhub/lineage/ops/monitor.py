"""Monitor operations: the measured datasets are inputs, carrying the standard data quality facets
(dataQualityAssertions per drift test, dataQualityMetrics per quality report); the whole drift report is the
custom run facet ``stackhub_driftReport``."""

from __future__ import annotations

from typing import Any

from ...categories.monitor import P_VALUE_METHODS
from ..facets import ColumnDriftEntry, CustomFacet, StackhubDriftReportRunFacet
from ..facts import Assertion, Call, DatasetFacts, Facts, Input, Operation

__all__ = ["NOT_EMITTING", "OPERATIONS"]


def _measured(call: Call, data: Any, role: str, **facts: Any) -> tuple[DatasetFacts, list[Input]]:
    """The dataset that carries the measurement, and other inputs it came from.

    A table in a warehouse (``TableRef`` of a table name) or data the hub returned as one dataset is measured
    as itself; other Arrow data is named as this run's in-memory ``role`` dataset, next to its known sources.
    """
    from ...categories.monitor import TableRef

    if isinstance(data, TableRef):
        if data.table.split() == [data.table]:
            return call.table(data.warehouse, data.table, **facts), []
        sources: list[Input] = [call.sql_tables(data.table, None, data.warehouse)]
    else:
        facts.setdefault("schema", data.schema)
        sources = call.context.sources_of(data)
        if len(sources) == 1 and isinstance(sources[0], DatasetFacts):
            return sources[0].with_facts(**facts), []
    return call.hub_dataset(f"runs/{call.run_id}/{role}", **facts), sources


def _drift(call: Call) -> Facts:
    report = call.result if call.done else None
    facts: dict[str, Any] = {}
    run_facets: list[CustomFacet] = []
    if report is not None:
        facts["assertions"] = tuple(
            Assertion(
                assertion="no_drift",
                success=not c.drifted,
                column=c.column,
                name=c.method,
                # What passing means: a p-value at or above the threshold, or a distance below it.
                expected=f"{'>=' if c.method in P_VALUE_METHODS else '<'} {c.threshold:g}",
                actual=f"{c.score:g}",
            )
            for c in report.columns
        )
        run_facets.append(
            StackhubDriftReportRunFacet(
                referenceRows=report.reference_rows,
                currentRows=report.current_rows,
                driftShare=report.drift_share,
                shareThreshold=report.share_threshold,
                datasetDrifted=report.dataset_drifted,
                columns=[
                    ColumnDriftEntry(
                        column=c.column,
                        columnType=c.column_type,
                        method=c.method,
                        score=c.score,
                        threshold=c.threshold,
                        drifted=c.drifted,
                    )
                    for c in report.columns
                ],
            )
        )
    reference, reference_sources = _measured(call, call.args["reference"], "reference")
    current, current_sources = _measured(call, call.args["current"], "current", **facts)
    return Facts("DRIFT", inputs=[reference, current, *reference_sources, *current_sources], run_facets=run_facets)


def _quality(call: Call) -> Facts:
    facts = {"quality": call.result} if call.done else {}
    measured, sources = _measured(call, call.args["data"], "data", **facts)
    return Facts("QUALITY", inputs=[measured, *sources])


OPERATIONS: dict[str, Operation] = {
    "drift_report": Operation("DRIFT", _drift),
    "quality_report": Operation("QUALITY", _quality),
}

NOT_EMITTING: dict[str, str] = {
    "save_html": "Renders a report that 'drift_report' already emitted.",
}
