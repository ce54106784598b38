"""The warehouse-native monitor: drift and quality computed by the stack's warehouse, in SQL.

Data reaches the warehouse once: an Arrow table is written to a uniquely named scratch table, a table of
another warehouse is streamed over batch by batch, a table of this warehouse is read in place. Three statements
at most then return summaries (counts per category or bin, ECDF gaps, a few aggregates), and ``_stats`` turns
them into the scores scipy and Evidently compute from the rows.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
import pyarrow as pa
from sqlglot import exp
from stackhub import Component, ConfigError, InvalidInput, Monitor, Warehouse
from stackhub.categories.monitor import (
    DEFAULT_THRESHOLDS,
    DRIFT_SHARE_THRESHOLD,
    ColumnDrift,
    ColumnQuality,
    ColumnType,
    DriftReport,
    Method,
    QualityReport,
    TableRef,
    default_method,
    is_drifted,
)

from . import _sql, _stats
from ._config import SQLMonitorConfig
from ._sql import Col

#: Scratch tables are named with this prefix and a random suffix, and dropped when the report is done.
SCRATCH_PREFIX = "stackhub_sqlmonitor_"

_COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
_METHODS: tuple[str, ...] = get_args(Method)
# Evidently's allowed feature types per test: KS and Wasserstein need an order, chi-square needs categories.
_METHOD_TYPES: dict[str, frozenset[str]] = {
    "ks": frozenset({"numerical"}),
    "wasserstein": frozenset({"numerical"}),
    "chisquare": frozenset({"categorical"}),
    "jensenshannon": frozenset({"numerical", "categorical"}),
    "psi": frozenset({"numerical", "categorical"}),
}
_ECDF_METHODS = frozenset({"ks", "wasserstein"})


@dataclass(frozen=True)
class _Planned:
    """A compared column before the data is read; ``method`` None means "the default for its size"."""

    col: Col
    column_type: ColumnType
    method: Method | None
    threshold: float | None
    #: Integer in both datasets: numpy's Sturges rule then keeps bins at least 1 wide.
    integer: bool


def _value_type(data_type: pa.DataType) -> pa.DataType:
    return data_type.value_type if pa.types.is_dictionary(data_type) else data_type


def _is_numeric(data_type: pa.DataType) -> bool:
    data_type = _value_type(data_type)
    return bool(pa.types.is_integer(data_type) or pa.types.is_floating(data_type) or pa.types.is_decimal(data_type))


def _names(what: str, names: Sequence[str]) -> str:
    return f"{what} {', '.join(repr(n) for n in names)}"


class SQLMonitor(Monitor):
    def __init__(self, config: SQLMonitorConfig, *, dependencies: Mapping[str, Component] | None = None) -> None:
        super().__init__(config, dependencies=dependencies)
        self.config: SQLMonitorConfig = config
        warehouse = self.dependencies.get("warehouse")
        if not isinstance(warehouse, Warehouse):
            raise ConfigError(
                f"The sqlmonitor needs a warehouse component to compute in, got {type(warehouse).__name__}.",
                fix="Name the stack's warehouse component in the monitor's 'warehouse' config field.",
            )
        self.warehouse: Warehouse = warehouse

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
        plan = _plan(
            self._schema(reference, "reference"),
            self._schema(current, "current"),
            columns,
            dict(column_types or {}),
            dict(methods or {}),
            dict(thresholds or {}),
        )
        names = [p.col.name for p in plan]
        with ExitStack() as scratch:
            ref = scratch.enter_context(self._staged(reference, names))
            cur = scratch.enter_context(self._staged(current, names))
            return self._drift(ref, cur, plan)

    def quality_report(self, data: pa.Table | TableRef) -> QualityReport:
        schema = self._schema(data, "data")
        if not schema.names:
            raise InvalidInput("The data has no columns to report on.")
        cols = [
            Col(i, f.name, floating=pa.types.is_floating(_value_type(f.type)), numerical=_is_numeric(f.type))
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

        methods: dict[int, Method] = {}
        for p in plan:
            for role in ("ref", "cur"):
                if not profile[f"{role}_n", p.col.index]:
                    dataset = "reference" if role == "ref" else "current"
                    raise InvalidInput(
                        f"Column {p.col.name!r} has no values to compare in the {dataset} dataset: every value is null, NaN or infinite.",
                        fix="Leave the column out of the report.",
                    )
            # Evidently picks the default test by the column's compared values, after dropping missing ones.
            methods[p.col.index] = p.method or default_method(p.column_type, int(profile["ref_n", p.col.index]))

        sizes = {p.col.index: (int(profile["ref_n", p.col.index]), int(profile["cur_n", p.col.index])) for p in plan}
        scores = self._ecdf_scores(
            ref, cur, [p for p in plan if methods[p.col.index] in _ECDF_METHODS], methods, sizes, profile
        )
        scores |= self._frequency_scores(
            ref, cur, [p for p in plan if methods[p.col.index] not in _ECDF_METHODS], methods, sizes, profile
        )

        results = []
        for p in plan:
            method = methods[p.col.index]
            threshold = DEFAULT_THRESHOLDS[method] if p.threshold is None else p.threshold
            score = scores[p.col.index]
            results.append(
                ColumnDrift(
                    column=p.col.name,
                    column_type=p.column_type,
                    method=method,
                    score=score,
                    threshold=threshold,
                    drifted=is_drifted(method, score, threshold),
                )
            )
        share = sum(r.drifted for r in results) / len(results)
        return DriftReport(
            columns=tuple(results),
            reference_rows=int(profile["ref_rows", -1]),
            current_rows=int(profile["cur_rows", -1]),
            drift_share=share,
            share_threshold=DRIFT_SHARE_THRESHOLD,
            dataset_drifted=share >= DRIFT_SHARE_THRESHOLD,
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
        if isinstance(data, pa.Table):
            schema = data.schema
        elif isinstance(data, TableRef):
            home = data.warehouse
            src = _sql.source(data.table, dialect=home.dialect)
            schema = home.query(exp.select(exp.Star()).from_(src).limit(0).sql(dialect=home.dialect)).schema
        else:
            raise InvalidInput(f"The {role} data must be a pyarrow Table or a TableRef, not {type(data).__name__}.")
        duplicates = sorted({n for n in schema.names if schema.names.count(n) > 1})
        if duplicates:
            raise InvalidInput(f"The {role} data has more than one {_names('column', duplicates)}.")
        return schema

    @contextmanager
    def _staged(self, data: pa.Table | TableRef, names: Sequence[str]) -> Iterator[exp.Expr]:
        """Yield what FROM reads for ``data`` in this warehouse; a scratch table is dropped on the way out,
        whatever happened."""
        if isinstance(data, TableRef) and data.warehouse is self.warehouse:
            yield _sql.source(data.table, dialect=self.warehouse.dialect)
            return
        scratch = f"{SCRATCH_PREFIX}{uuid.uuid4().hex}"
        try:
            if isinstance(data, TableRef):
                home = data.warehouse
                select = exp.select(*(exp.column(n, quoted=True) for n in names)).from_(
                    _sql.source(data.table, dialect=home.dialect)
                )
                self.warehouse.write(scratch, home.query_batches(select.sql(dialect=home.dialect)))
            else:
                self.warehouse.write(scratch, data.select(list(names)))
            yield _sql.source(scratch, dialect=self.warehouse.dialect)
        finally:
            self.warehouse.drop_table(scratch, missing_ok=True)


def _plan(
    ref_schema: pa.Schema,
    cur_schema: pa.Schema,
    columns: Sequence[str] | None,
    column_types: dict[str, Any],
    methods: dict[str, Any],
    thresholds: dict[str, Any],
) -> list[_Planned]:
    """Check the request against both schemas and decide each column's type, before any data moves."""
    if isinstance(columns, str):
        raise InvalidInput("columns must be a sequence of column names, not one string.", fix=f"Use [{columns!r}].")
    names = list(ref_schema.names if columns is None else columns)
    if not names:
        raise InvalidInput("There are no columns to compare.", fix="Name at least one column.")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidInput(f"{_names('Column', repeated)} is requested more than once.")
    for dataset, schema in (("reference", ref_schema), ("current", cur_schema)):
        missing = [n for n in names if n not in schema.names]
        if missing:
            raise InvalidInput(
                f"{_names('Column', missing)} is missing from the {dataset} dataset.",
                fix=f"Its columns are: {', '.join(repr(n) for n in schema.names)}.",
            )
    for option, given in (("column_types", column_types), ("methods", methods), ("thresholds", thresholds)):
        unknown = [n for n in given if n not in names]
        if unknown:
            raise InvalidInput(f"{option} names {_names('column', unknown)}, which the report does not compare.")

    plan = []
    for index, name in enumerate(names):
        ref_type, cur_type = ref_schema.field(name).type, cur_schema.field(name).type
        numeric = _is_numeric(ref_type)
        column_type = column_types.get(name, "numerical" if numeric else "categorical")
        if column_type not in _COLUMN_TYPES:
            raise InvalidInput(f"Column type {column_type!r} of {name!r} is not one of {', '.join(_COLUMN_TYPES)}.")
        if column_type == "numerical" and not (numeric and _is_numeric(cur_type)):
            raise InvalidInput(
                f"Column {name!r} cannot be numerical: it is {ref_type} in the reference and {cur_type} in the current dataset.",
                fix="Compare it as 'categorical', or cast it to a number first.",
            )
        method = methods.get(name)
        if method is not None and method not in _METHODS:
            raise InvalidInput(
                f"Unknown drift method {method!r} for {name!r}.", fix=f"Use one of {', '.join(_METHODS)}."
            )
        if method is not None and column_type not in _METHOD_TYPES[method]:
            raise InvalidInput(
                f"Method {method!r} does not apply to the {column_type} column {name!r}.",
                fix=f"Use one of {', '.join(m for m in _METHODS if column_type in _METHOD_TYPES[m])}.",
            )
        threshold = thresholds.get(name)
        if threshold is not None and (
            isinstance(threshold, bool) or not isinstance(threshold, int | float) or not math.isfinite(threshold)
        ):
            raise InvalidInput(f"Threshold {threshold!r} for {name!r} is not a finite number.")
        types = (_value_type(ref_type), _value_type(cur_type))
        plan.append(
            _Planned(
                col=Col(
                    index,
                    name,
                    floating=any(pa.types.is_floating(t) for t in types),
                    numerical=column_type == "numerical",
                ),
                column_type=column_type,
                method=method,
                threshold=None if threshold is None else float(threshold),
                integer=all(pa.types.is_integer(t) for t in types),
            )
        )
    return plan
