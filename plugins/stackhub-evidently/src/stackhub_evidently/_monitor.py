"""The Evidently monitor: drift and data quality computed by Evidently 0.7, from Arrow tables or warehouse tables.

A drift report is one Evidently ``Report([DataDriftPreset(...)])`` run over the compared columns, each with the
method and threshold the spec resolves (``default_method``, ``DEFAULT_THRESHOLDS``, or the caller's), so
Evidently never picks a test itself: its own defaults differ from core's for columns with at most five values.
Evidently's scores are the spec's reference statistics (``stackhub.categories.monitor``); the drift flags and
the dataset verdict are the spec's (``is_drifted``, ``drift_share >= 0.5``). The request is checked, and the
tests and verdicts decided, by ``stackhub.categories.monitor_input``, as in every monitor plugin.

Arrow is read, selected and cast here; ``_engine`` turns it into pandas for Evidently (once per dataset, only the
compared columns) and is imported with the first report, so building a monitor and its ``health()`` stay fast.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp
from stackhub import Component, InvalidInput, Monitor
from stackhub.categories import monitor_input
from stackhub.categories.monitor import (
    DRIFT_SHARE_THRESHOLD,
    ColumnQuality,
    ColumnType,
    DriftReport,
    Method,
    QualityReport,
    SupportsHtmlReport,
    TableRef,
)
from stackhub.sql import from_source

from ._config import EvidentlyConfig
from ._workspace import StoredRun, open_workspace

if TYPE_CHECKING:
    from evidently.core.report import Snapshot

__all__ = ["REMEMBERED_REPORTS", "EvidentlyMonitor"]

#: How many of its latest drift reports a monitor can still save as HTML (each keeps Evidently's rendered widgets).
REMEMBERED_REPORTS = 32


class _Snapshots:
    """The Evidently snapshots behind the monitor's latest drift reports, found again by report, for save_html.

    A snapshot is kept while its report is alive, at most ``limit`` of them; it holds Evidently's widgets, not the
    data (it is rebuilt from its model without the run's datasets).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: OrderedDict[int, tuple[weakref.ref[DriftReport], Snapshot]] = OrderedDict()

    def remember(self, report: DriftReport, snapshot: Snapshot) -> None:
        entries, key = self._entries, id(report)
        entries[key] = (weakref.ref(report, lambda _gone: entries.pop(key, None)), snapshot)
        entries.move_to_end(key)
        while len(entries) > self.limit:
            entries.popitem(last=False)

    def find(self, report: DriftReport) -> Snapshot | None:
        entry = self._entries.get(id(report))
        if entry is not None and entry[0]() is report:
            return entry[1]
        # An equal report (a copy, or one read back from JSON) names the same Evidently run.
        for ref, snapshot in reversed(list(self._entries.values())):
            if ref() == report:
                return snapshot
        return None

    def clear(self) -> None:
        self._entries.clear()


class EvidentlyMonitor(Monitor, SupportsHtmlReport):
    def __init__(self, config: EvidentlyConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: EvidentlyConfig = config
        self.workspace = open_workspace(config)
        #: The workspace run the latest drift report was stored as (None without a workspace).
        self.last_run: StoredRun | None = None
        self._snapshots = _Snapshots(REMEMBERED_REPORTS)

    def health(self) -> None:
        # Evidently runs in this process (imported with the first report); only a workspace can be down.
        if self.workspace is not None:
            self.workspace.health()

    def close(self) -> None:
        self._snapshots.clear()
        if self.workspace is not None:
            self.workspace.close()

    # -- drift ------------------------------------------------------------------------------------------

    def drift_report(
        self,
        reference: pa.Table | TableRef,
        current: pa.Table | TableRef,
        *,
        columns: Sequence[str] | None = None,
        column_types: Mapping[str, ColumnType] | None = None,
        methods: Mapping[str, Method] | None = None,
        thresholds: Mapping[str, float] | None = None,
    ) -> DriftReport:
        ref_schema, cur_schema = _schema(reference, "reference"), _schema(current, "current")
        plan = monitor_input.plan(ref_schema, cur_schema, columns, column_types, methods, thresholds)
        _refuse_nested(plan, ref_schema, cur_schema)
        names = [p.name for p in plan]
        numerical = {p.name for p in plan if p.column_type == "numerical"}
        ref_table = _drift_columns(_fetch(reference, names), numerical)
        cur_table = _drift_columns(_fetch(current, names), numerical)
        # Evidently counts the reference after dropping missing values; so does the default here.
        tests = [
            monitor_input.decide(
                p, _compared_values(ref_table.column(p.name)), _compared_values(cur_table.column(p.name))
            )
            for p in plan
        ]

        from . import _engine  # Evidently loads with the first report, not with the component

        snapshot, scores = _engine.drift(
            ref_table,
            cur_table,
            numerical=[t.name for t in tests if t.column_type == "numerical"],
            categorical=[t.name for t in tests if t.column_type == "categorical"],
            methods={t.name: t.method for t in tests},
            thresholds={t.name: t.threshold for t in tests},
            share_threshold=DRIFT_SHARE_THRESHOLD,
        )
        report = monitor_input.report(
            [t.drift(scores[t.name]) for t in tests],
            reference_rows=ref_table.num_rows,
            current_rows=cur_table.num_rows,
        )
        if self.workspace is not None:
            self.last_run = self.workspace.add_run(snapshot)
        # Widgets and results only: the snapshot's own context would keep both datasets in memory.
        self._snapshots.remember(report, _engine.without_data(snapshot))
        return report

    # -- quality ----------------------------------------------------------------------------------------

    def quality_report(self, data: pa.Table | TableRef) -> QualityReport:
        schema = _schema(data, "data")
        if not schema.names:
            raise InvalidInput("The data has no columns to report on.", fix="Pass a table with at least one column.")
        repeated = sorted({n for n in schema.names if schema.names.count(n) > 1})
        if repeated:
            raise InvalidInput(
                f"The data has more than one column named {', '.join(repr(n) for n in repeated)}.",
                fix="Rename the duplicates first.",
            )
        nested = [f.name for f in schema if _is_nested(f.type)]
        if nested:
            raise InvalidInput(
                f"Column {', '.join(repr(n) for n in nested)} holds nested values (lists, structs, maps), whose "
                "distinct values cannot be counted.",
                fix="Report on the scalar columns: data.select([...]).",
            )
        table = _fetch(data, schema.names)
        numeric = [f.name for f in schema if monitor_input.is_numeric(f.type)]
        distinct = {name: _distinct(table.column(name)) for name in schema.names}
        if table.num_rows == 0:  # Evidently's missing-value share divides by the row count
            return QualityReport(
                rows=0,
                columns=tuple(
                    ColumnQuality(column=f.name, type=str(f.type), count=0, missing=0, distinct=0) for f in schema
                ),
            )

        from . import _engine

        rows, missing, stats = _engine.quality(_quality_columns(table, set(numeric)), numeric)
        columns = [
            ColumnQuality(
                column=field.name,
                type=str(field.type),
                count=rows - missing[field.name],
                missing=missing[field.name],
                distinct=distinct[field.name],
                **stats.get(field.name, {}),
            )
            for field in schema
        ]
        return QualityReport(rows=rows, columns=tuple(columns))

    # -- html_report ------------------------------------------------------------------------------------

    def save_html(self, report: DriftReport, path: str) -> str:
        if not isinstance(report, DriftReport):
            raise InvalidInput(
                f"save_html() takes a DriftReport, got {type(report).__name__}.",
                fix="Pass what drift_report() returned.",
            )
        snapshot = self._snapshots.find(report)
        if snapshot is None:
            raise InvalidInput(
                "This drift report was not made by this monitor, or is older than its last "
                f"{REMEMBERED_REPORTS} reports: Evidently renders its HTML from the run that computed it.",
                fix="Call save_html() with a report that this same monitor's drift_report() returned recently.",
            )
        target = Path(path)
        if target.is_dir():
            raise InvalidInput(f"{path!r} is a folder.", fix="Name the HTML file to write, e.g. 'drift.html'.")
        from . import _engine

        page = _engine.html(snapshot)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Atomic: a half-written page never replaces the file, and a failed write leaves no temporary file.
        handle, scratch = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(page)
            os.replace(scratch, target)
        except BaseException:
            Path(scratch).unlink(missing_ok=True)
            raise
        return str(target)


# -- data ---------------------------------------------------------------------------------------------------


def _is_nested(data_type: pa.DataType) -> bool:
    """Lists, structs, maps and unions: values Evidently (pandas) cannot count, since they do not hash."""
    return bool(pa.types.is_nested(monitor_input.value_type(data_type)))


def _refuse_nested(plan: Sequence[monitor_input.Planned], reference: pa.Schema, current: pa.Schema) -> None:
    for p in plan:
        for dataset, schema in (("reference", reference), ("current", current)):
            data_type = schema.field(p.name).type
            if _is_nested(data_type):
                raise InvalidInput(
                    f"Column {p.name!r} holds {data_type} values in the {dataset} dataset, which a drift test cannot "
                    "count: Evidently compares values that hash (numbers, strings, booleans, dates).",
                    fix="Leave the column out (columns=...), or flatten it into scalar columns first.",
                )


def _schema(data: pa.Table | TableRef, role: str) -> pa.Schema:
    if isinstance(data, pa.Table):
        return data.schema
    if isinstance(data, TableRef):
        statement = exp.select(exp.Star()).from_(from_source(data.table, dialect=data.warehouse.dialect)).limit(0)
        return data.warehouse.query(statement.sql(dialect=data.warehouse.dialect)).schema
    raise InvalidInput(
        f"The {role} dataset is a {type(data).__name__}.",
        fix="Pass a pyarrow.Table, or a TableRef(warehouse, table) to read it from a warehouse.",
    )


def _fetch(data: pa.Table | TableRef, names: Sequence[str]) -> pa.Table:
    """The named columns as one Arrow table: selected from a table, or read from the warehouse."""
    if isinstance(data, pa.Table):
        return data.select(list(names))
    dialect = data.warehouse.dialect
    statement = exp.select(*(exp.column(n, quoted=True) for n in names)).from_(from_source(data.table, dialect=dialect))
    return data.warehouse.query(statement.sql(dialect=dialect))


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column


def _drift_columns(table: pa.Table, numerical: set[str]) -> pa.Table:
    """Values as Evidently should see them: dictionaries decoded; numerical columns float64, except integers
    (numpy's Sturges bins are at least 1 wide for integer data, as in the spec's reference statistics)."""
    columns = {}
    for name in table.column_names:
        column = _decoded(table.column(name))
        if name in numerical and not pa.types.is_integer(column.type):
            column = column.cast(pa.float64())
        columns[name] = column
    return pa.table(columns)


def _quality_columns(table: pa.Table, numeric: set[str]) -> pa.Table:
    """Dictionaries decoded and decimals as float64, so that pandas holds numbers, not Decimal objects."""
    columns = {}
    for name in table.column_names:
        column = _decoded(table.column(name))
        if name in numeric and pa.types.is_decimal(column.type):
            column = column.cast(pa.float64())
        columns[name] = column
    return pa.table(columns)


def _compared_values(column: pa.ChunkedArray) -> int:
    """How many values a drift test compares: not null, and for floats finite (Evidently drops NaN and +-inf)."""
    if pa.types.is_floating(column.type):
        return int(pc.sum(pc.is_finite(column)).as_py() or 0)
    return int(len(column) - column.null_count)


def _distinct(column: pa.ChunkedArray) -> int:
    """Distinct present values: nulls and NaN left out, -0.0 counted as 0.0."""
    column = _decoded(column)
    if pa.types.is_floating(column.type):
        column = pc.add(column.filter(pc.invert(pc.is_nan(column))), pa.scalar(0.0, column.type))
    if pa.types.is_null(column.type):
        return 0
    return int(pc.count_distinct(column, mode="only_valid").as_py())
