"""What one operation read and wrote, as plain data: the output of the per-category mapping functions.

Mapping functions run on the caller's thread inside the operation, so they only collect what the call's
arguments and result already hold (names, Arrow schemas, row counts). Everything costly (parsing SQL for its
tables, building and serializing the OpenLineage event) happens later on the lineage thread: ``Sources`` defer
it, and ``stackhub.lineage.events`` turns facts into openlineage-python events there.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from ..categories.feature_store import FeatureView
    from ..categories.monitor import QualityReport
    from ..categories.warehouse import Warehouse
    from ..models import DatasetId
    from ..plugin import Component
    from .facets import CustomFacet

__all__ = [
    "PENDING",
    "Assertion",
    "Call",
    "CallContext",
    "DatasetFacts",
    "Facts",
    "Input",
    "Operation",
    "ParentRef",
    "Record",
    "Sources",
    "SqlTables",
    "resolve_inputs",
]

Lifecycle = Literal["CREATE", "OVERWRITE", "DROP"]


class _Pending:
    def __repr__(self) -> str:
        return "PENDING"


#: ``Call.result`` while the operation has not returned.
PENDING: Any = _Pending()


@dataclass(frozen=True)
class Assertion:
    """One data quality test and its outcome (OpenLineage's dataQualityAssertions entry)."""

    assertion: str
    success: bool
    column: str | None = None
    name: str | None = None
    expected: str | None = None
    actual: str | None = None


@dataclass(frozen=True)
class DatasetFacts:
    """A dataset an operation read or wrote, with what is known about it."""

    namespace: str
    name: str
    #: A ``pyarrow.Schema`` or a ``TableSchema``; turned into the schema facet on the lineage thread.
    schema: Any = None
    #: Rows written (outputStatistics; outputs only).
    rows: int | None = None
    #: datasetType: ``TABLE``, ``MODEL``, ...
    dataset_type: str | None = None
    version: str | None = None
    lifecycle: Lifecycle | None = None
    #: dataQualityMetrics (inputs only).
    quality: QualityReport | None = None
    #: dataQualityAssertions (inputs only).
    assertions: tuple[Assertion, ...] = ()
    facets: tuple[CustomFacet, ...] = ()

    @classmethod
    def of(cls, dataset: DatasetId, **facts: Any) -> DatasetFacts:
        return cls(namespace=dataset.namespace, name=dataset.name, **facts)

    def with_facts(self, **facts: Any) -> DatasetFacts:
        return replace(self, **facts)

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


class Sources(abc.ABC):
    """Input datasets that are only known after costly work; resolved once, on the lineage thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._resolved: list[DatasetFacts] | None = None

    def resolve(self) -> list[DatasetFacts]:
        with self._lock:
            if self._resolved is None:
                self._resolved = self._compute()
            return self._resolved

    @abc.abstractmethod
    def _compute(self) -> list[DatasetFacts]: ...


class SqlTables(Sources):
    """The tables a SQL statement reads, named by the warehouse that runs it."""

    def __init__(self, sql: str, dialect: str | None, warehouse: Warehouse, name: Callable[[str], DatasetId]) -> None:
        super().__init__()
        self.sql = sql
        self.dialect = dialect or warehouse.dialect
        self._name = name

    def _compute(self) -> list[DatasetFacts]:
        from .sqltables import tables_read

        return [DatasetFacts.of(self._name(table)) for table in tables_read(self.sql, self.dialect)]

    def written(self) -> list[DatasetFacts]:
        """The table the statement writes (INSERT, CREATE ... AS, UPDATE, DELETE, MERGE), if any."""
        from .sqltables import tables_written

        return [DatasetFacts.of(self._name(table)) for table in tables_written(self.sql, self.dialect)]


Input = DatasetFacts | Sources


def resolve_inputs(inputs: Sequence[Input]) -> list[DatasetFacts]:
    """Concrete input datasets, deferred ones resolved, each dataset once (the first mention keeps its facets)."""
    seen: dict[tuple[str, str], DatasetFacts] = {}
    for item in inputs:
        for dataset in item.resolve() if isinstance(item, Sources) else [item]:
            seen.setdefault(dataset.key, dataset)
    return list(seen.values())


@dataclass
class Facts:
    """Everything one operation's events say besides the job, run id, times and parent."""

    job_type: str
    inputs: list[Input] = field(default_factory=list)
    outputs: list[DatasetFacts] = field(default_factory=list)
    #: SQL whose written table (if any) is an output too.
    sql_outputs: SqlTables | None = None
    #: (statement, dialect) for the sql job facet.
    sql: tuple[str, str] | None = None
    #: executionParameters: the call's parameters worth keeping, as strings.
    parameters: dict[str, str] = field(default_factory=dict)
    run_facets: list[CustomFacet] = field(default_factory=list)


class CallContext(Protocol):
    """What a mapping function may ask of the lineage session (implemented by ``LineageSession``)."""

    namespace: str

    def hub_dataset(self, component: str, path: str, **facts: Any) -> DatasetFacts: ...

    def table_dataset(self, warehouse: Warehouse, table: str) -> DatasetId: ...

    def sources_of(self, data: object) -> list[Input]: ...

    def remember(self, data: object, sources: Sequence[Input]) -> None: ...

    def feature_views(self, component: Component, names: Sequence[str] | None) -> dict[str, FeatureView]: ...

    def learn_feature_views(self, component: Component, views: Sequence[FeatureView]) -> None: ...

    def model_inputs(self) -> list[Input]: ...

    def add_training_set(self, dataset: DatasetFacts) -> None: ...


@dataclass
class Call:
    """One call of a component operation, as its mapping function sees it.

    The mapping function runs twice: when the operation starts (``result`` is ``PENDING``: facts from the
    arguments, for the START event) and when it ends (with ``result``, or ``error`` when it raised).
    """

    context: CallContext
    component_name: str
    component: Component
    operation: str
    args: Mapping[str, Any]
    run_id: str
    result: Any = PENDING
    error: BaseException | None = None

    @property
    def done(self) -> bool:
        """True once the operation returned (not when it raised)."""
        return self.result is not PENDING

    def hub_dataset(self, path: str, **facts: Any) -> DatasetFacts:
        """A dataset that lives in this component but that no warehouse names (a run's artifact, a project)."""
        return self.context.hub_dataset(self.component_name, path, **facts)

    def table(self, warehouse: Warehouse, table: str, **facts: Any) -> DatasetFacts:
        return DatasetFacts.of(self.context.table_dataset(warehouse, table), **facts)

    def sql_tables(self, sql: str, dialect: str | None, warehouse: Warehouse) -> SqlTables:
        # Not a closure over this call: the sources outlive it (remembered with the result they describe), and
        # through ``self.result`` they would keep that result alive for as long as the session lasts.
        context = self.context
        return SqlTables(sql, dialect, warehouse, lambda table: context.table_dataset(warehouse, table))

    def warehouse(self) -> Warehouse | None:
        """The warehouse this component depends on (the feature store's), if any."""
        from ..categories.warehouse import Warehouse

        for dependency in self.component.dependencies.values():
            if isinstance(dependency, Warehouse):
                return dependency
        return None


@dataclass(frozen=True)
class Operation:
    """How one interface operation maps to lineage: its OpenLineage job type and its mapping function."""

    job_type: str
    derive: Callable[[Call], Facts]


@dataclass(frozen=True)
class ParentRef:
    """The pipeline run an operation belongs to, and the outermost pipeline run (OpenLineage's root)."""

    run_id: str
    namespace: str
    job_name: str
    root_run_id: str
    root_job_name: str


@dataclass(frozen=True)
class Record:
    """One event to emit, as captured on the caller's thread; ``events.build`` makes it a RunEvent."""

    event_type: Literal["START", "COMPLETE", "FAIL"]
    time: datetime
    run_id: str
    namespace: str
    job_name: str
    job_type: str
    facts: Facts | None = None
    parent: ParentRef | None = None
    component: CustomFacet | None = None
    #: The distribution of the tool behind the component, for the processing_engine facet.
    tool: str | None = None
    #: (message, stack trace) of the exception the operation raised.
    error: tuple[str, str] | None = None
    #: Why the mapping function could not say what the operation read and wrote.
    extraction_error: str | None = None
