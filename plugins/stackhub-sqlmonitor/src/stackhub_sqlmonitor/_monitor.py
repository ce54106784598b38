"""The warehouse-native monitor: drift and quality computed by the stack's warehouse, in SQL.

Data reaches the warehouse once: an Arrow table is written to a uniquely named scratch table, a table of
another warehouse is streamed over batch by batch, a table of this warehouse is read in place. Three statements
at most then return summaries (counts per category or bin, ECDF gaps, a few aggregates), and ``_stats`` turns
them into the scores scipy and Evidently compute from the rows.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp
from stackhub import Component, InvalidInput, Monitor, Warehouse
from stackhub.categories import monitor_input
from stackhub.categories.monitor import (
    ColumnQuality,
    ColumnType,
    DriftReport,
    Method,
    QualityReport,
    TableRef,
)
from stackhub.sql import from_source

from . import _sql, _stats
from ._config import SQLMonitorConfig
from ._sql import Col

#: Scratch tables are named with this prefix and a random suffix, and dropped when the report is done.
SCRATCH_PREFIX = "stackhub_sqlmonitor_"

_ECDF_METHODS = frozenset({"ks", "wasserstein"})


@dataclasses.dataclass(frozen=True)
class _Planned(monitor_input.Planned):
    """A compared column before the data is read, with what the SQL needs to know of its Arrow types."""

    col: Col
    #: Integer in both datasets: numpy's Sturges rule then keeps bins at least 1 wide.
    integer: bool


def _names(what: str, names: Sequence[str]) -> str:
    return f"{what} {', '.join(repr(n) for n in names)}"


class SQLMonitor(Monitor):
    def __init__(self, config: SQLMonitorConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: SQLMonitorConfig = config
        self.warehouse: Warehouse = self.dependency("warehouse", Warehouse)

    def health(self) -> None:
        self.warehouse.health()

    # -- reports ----------------------------------------------------------------------------------------

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
        ref_schema, cur_schema = self._schema(reference, "reference"), self._schema(current, "current")
        checked = monitor_input.plan(ref_schema, cur_schema, columns, column_types, methods, thresholds)
        plan = _plan(ref_schema, cur_schema, checked)
        names = [p.col.name for p in plan]
        with ExitStack() as scratch:
            ref = scratch.enter_context(self._staged(reference, names))
            cur = scratch.enter_context(self._staged(current, names))
            return self._drift(ref, cur, plan)

    def quality_report(self, data: pa.Table | TableRef) -> QualityReport:
        schema = self._schema(data, "data")
        if not schema.names:
            raise InvalidInput("The data has no columns to report on.", fix="Pass a table with at least one column.")
        cols = [
            Col(
                i,
                f.name,
                floating=pa.types.is_floating(monitor_input.value_type(f.type)),
                numerical=monitor_input.is_numeric(f.type),
            )
            for i, f in enumerate(schema)
        ]
        with self._staged(data, schema.names) as src:
            statement, keys = _sql.quality(src, cols)
            values = self._row(statement, keys)
        rows = int(values["rows", -1])
        return QualityReport(
            rows=rows,
            columns=tuple(
                ColumnQuality(
                    column=col.name,
                    type=str(schema.field(col.index).type),
                    count=int(values["count", col.index]),
                    missing=rows - int(values["count", col.index]),
                    distinct=int(values["distinct", col.index]),
                    min=values.get(("min", col.index)),
                    max=values.get(("max", col.index)),
                    mean=values.get(("mean", col.index)),
                )
                for col in cols
            ),
        )

    # -- drift ------------------------------------------------------------------------------------------

    def _drift(self, ref: exp.Expr, cur: exp.Expr, plan: list[_Planned]) -> DriftReport:
        numerical = [p for p in plan if p.column_type == "numerical"]
        statement, keys = _sql.profile(
            ref,
            cur,
            [p.col for p in plan],
            # A default numerical test may turn out to be Wasserstein, which is normed by this deviation.
            spread={p.col.index for p in numerical if p.method in (None, "wasserstein")},
            ranges={p.col.index for p in numerical if p.method in ("jensenshannon", "psi")},
        )
        profile = self._row(statement, keys)

        sizes = {p.col.index: (int(profile["ref_n", p.col.index]), int(profile["cur_n", p.col.index])) for p in plan}
        # Evidently picks the default test by the column's compared values, after dropping missing ones.
        tests = {p.col.index: monitor_input.decide(p, *sizes[p.col.index]) for p in plan}
        methods: dict[int, Method] = {index: test.method for index, test in tests.items()}
        scores = self._ecdf_scores(
            ref, cur, [p for p in plan if methods[p.col.index] in _ECDF_METHODS], methods, sizes, profile
        )
        scores |= self._frequency_scores(
            ref, cur, [p for p in plan if methods[p.col.index] not in _ECDF_METHODS], methods, sizes, profile
        )

        return monitor_input.report(
            [tests[p.col.index].drift(scores[p.col.index]) for p in plan],
            reference_rows=int(profile["ref_rows", -1]),
            current_rows=int(profile["cur_rows", -1]),
        )

    def _ecdf_scores(
        self,
        ref: exp.Expr,
        cur: exp.Expr,
        plan: list[_Planned],
        methods: Mapping[int, Method],
        sizes: Mapping[int, tuple[int, int]],
        profile: Mapping[tuple[str, int], Any],
    ) -> dict[int, float]:
        if not plan:
            return {}
        result = self._query(_sql.ecdf(ref, cur, [p.col for p in plan], sizes))
        scores = {}
        for index, w, gap in zip(*(result.column(i).to_pylist() for i in range(3)), strict=True):
            n1, n2 = sizes[index]
            if methods[index] == "ks":
                scores[index] = _stats.ks_pvalue(n1, n2, int(gap))
            else:
                distance = float(w or 0.0) / (n1 * n2)
                scores[index] = _stats.wasserstein_normed(distance, float(profile["ref_std", index]))
        return scores

    def _frequency_scores(
        self,
        ref: exp.Expr,
        cur: exp.Expr,
        plan: list[_Planned],
        methods: Mapping[int, Method],
        sizes: Mapping[int, tuple[int, int]],
        profile: Mapping[tuple[str, int], Any],
    ) -> dict[int, float]:
        if not plan:
            return {}
        edges: dict[int, list[float] | None] = {}
        for p in plan:
            index = p.col.index
            # Evidently bins a numerical column (numpy's Sturges bins over both datasets) only when the reference
            # has more than 20 distinct values; otherwise it counts values as categories.
            binned = p.column_type == "numerical" and profile["ref_distinct", index] > _stats.BINNED_MIN_DISTINCT
            edges[index] = (
                _stats.sturges_edges(
                    min(profile["ref_min", index], profile["cur_min", index]),
                    max(profile["ref_max", index], profile["cur_max", index]),
                    sum(sizes[index]),
                    integer=p.integer,
                ).tolist()
                if binned
                else None
            )
        result = self._query(_sql.frequencies(ref, cur, [(p.col, edges[p.col.index]) for p in plan]))
        column_of = result.column(0).to_numpy()
        ref_counts = result.column(1).to_numpy().astype(np.float64)
        cur_counts = result.column(2).to_numpy().astype(np.float64)
        scores = {}
        for p in plan:
            index = p.col.index
            mine = column_of == index
            reference, current = ref_counts[mine], cur_counts[mine]
            bins = edges[index]
            if bins is not None:
                # Bins empty in both datasets return no row; Evidently's vectors hold them as zeros, and PSI's
                # filling of empty bins makes them count.
                empty = np.zeros(len(bins) - 1 - len(reference))
                reference, current = np.concatenate([reference, empty]), np.concatenate([current, empty])
            method = methods[index]
            if method == "chisquare":
                scores[index] = _stats.chisquare_pvalue(reference, current)
            elif method == "jensenshannon":
                scores[index] = _stats.jensenshannon(reference, current)
            else:
                scores[index] = _stats.psi(reference, current)
        return scores

    # -- warehouse access -------------------------------------------------------------------------------

    def _query(self, statement: exp.Expr) -> pa.Table:
        return self.warehouse.query(statement.sql(dialect=self.warehouse.dialect))

    def _row(self, statement: exp.Expr, keys: list[tuple[str, int]]) -> dict[tuple[str, int], Any]:
        result = self._query(statement)
        return {key: result.column(i)[0].as_py() for i, key in enumerate(keys)}

    def _schema(self, data: pa.Table | TableRef, role: str) -> pa.Schema:
        what = "The data" if role == "data" else f"The {role} data"
        if isinstance(data, pa.Table):
            schema = data.schema
        elif isinstance(data, TableRef):
            home = data.warehouse
            src = from_source(data.table, dialect=home.dialect)
            schema = home.query(exp.select(exp.Star()).from_(src).limit(0).sql(dialect=home.dialect)).schema
        else:
            raise InvalidInput(
                f"{what} must be a pyarrow Table or a TableRef, not {type(data).__name__}.",
                fix="Pass a pyarrow.Table, or TableRef(warehouse, table) for a table in a warehouse.",
            )
        duplicates = sorted({n for n in schema.names if schema.names.count(n) > 1})
        if duplicates:
            raise InvalidInput(
                f"{what} has more than one {_names('column', duplicates)}.", fix="Rename the duplicates first."
            )
        return schema

    @contextmanager
    def _staged(self, data: pa.Table | TableRef, names: Sequence[str]) -> Iterator[exp.Expr]:
        """Yield what FROM reads for ``data`` in this warehouse; a scratch table is dropped on the way out,
        whatever happened."""
        if isinstance(data, TableRef) and data.warehouse is self.warehouse:
            yield from_source(data.table, dialect=self.warehouse.dialect)
            return
        scratch = f"{SCRATCH_PREFIX}{uuid.uuid4().hex}"
        try:
            if isinstance(data, TableRef):
                home = data.warehouse
                select = exp.select(*(exp.column(n, quoted=True) for n in names)).from_(
                    from_source(data.table, dialect=home.dialect)
                )
                self.warehouse.write(scratch, home.query_batches(select.sql(dialect=home.dialect)))
            else:
                self.warehouse.write(scratch, data.select(list(names)))
            yield from_source(scratch, dialect=self.warehouse.dialect)
        finally:
            self.warehouse.drop_table(scratch, missing_ok=True)


def _plan(ref_schema: pa.Schema, cur_schema: pa.Schema, planned: list[monitor_input.Planned]) -> list[_Planned]:
    """Each compared column of the checked request, numbered and typed for the SQL."""
    plan = []
    for index, p in enumerate(planned):
        types = (
            monitor_input.value_type(ref_schema.field(p.name).type),
            monitor_input.value_type(cur_schema.field(p.name).type),
        )
        plan.append(
            _Planned(
                **dataclasses.asdict(p),
                col=Col(
                    index,
                    p.name,
                    floating=any(pa.types.is_floating(t) for t in types),
                    numerical=p.column_type == "numerical",
                ),
                integer=all(pa.types.is_integer(t) for t in types),
            )
        )
    return plan
