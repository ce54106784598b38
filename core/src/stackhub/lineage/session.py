"""The lineage of one opened stack: its components' operations wrapped, pipelines as parent runs.

``open_stack`` wraps each emitting operation (``stackhub.lineage.ops``) of each component on the instance, so
``stack["warehouse"]`` stays the very component the plugin built. A wrapped call emits START, runs, then emits
COMPLETE (or FAIL with the error), all three sharing one run id. Calls made while another wrapped call runs in
the same thread (a feature store reading through its warehouse) are that call's implementation: they pass
straight through and emit nothing of their own.

Emission never fails or blocks the operation: a mapping function that raises becomes an ``extractionError``
facet, anything else is logged, and events leave through the spool's queue (``stackhub.lineage.spool``).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import traceback
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from openlineage.client.uuid import generate_new_uuid

from ..errors import InvalidInput
from ..models import DatasetId
from .facets import CustomFacet, StackhubComponentRunFacet
from .facts import PENDING, Call, DatasetFacts, Input, Operation, ParentRef, Record
from .ops import operations
from .spool import Spool

if TYPE_CHECKING:
    from ..categories.feature_store import FeatureView
    from ..categories.warehouse import Warehouse
    from ..plugin import Component
    from ..stack import StackFile
    from .config import LineageConfig

__all__ = ["LineageSession", "PipelineRun", "detached_pipeline", "start_session"]

log = logging.getLogger("stackhub.lineage")

#: True while a wrapped operation runs in this thread (or task): nested calls are its implementation.
_ACTIVE: ContextVar[bool] = ContextVar("stackhub_lineage_active", default=False)
_PIPELINE: ContextVar[PipelineRun | None] = ContextVar("stackhub_lineage_pipeline", default=None)


def _now() -> datetime:
    return datetime.now(UTC)


class PipelineRun:
    """One run of a pipeline: the OpenLineage parent run of every operation made inside it.

    Models logged inside a pipeline (``tracker.log_artifact``) are trained on the training sets the pipeline
    built before them (``feature_store.get_historical_features``), unless ``trained_on`` says otherwise.
    """

    def __init__(self, name: str, job_name: str, session: LineageSession | None, parent: PipelineRun | None) -> None:
        self.name = name
        self.job_name = job_name
        self.id = str(generate_new_uuid())
        self.session = session
        self.parent = parent
        self.training_sets: list[DatasetFacts] = []
        self._declared: list[Input] | None = None

    @property
    def root(self) -> PipelineRun:
        return self if self.parent is None else self.parent.root

    def ref(self, namespace: str) -> ParentRef:
        root = self.root
        return ParentRef(self.id, namespace, self.job_name, root.id, root.job_name)

    def trained_on(self, *data: object) -> None:
        """Declare what the models logged next in this pipeline were trained on.

        Each item is data a stack operation returned (an Arrow table of ``query`` or
        ``get_historical_features``, ...) or a ``DatasetId``. Raises ``InvalidInput`` for data the hub did not
        return, since its lineage is unknown.
        """
        if self.session is None:  # a stack without lineage records nothing
            return
        declared: list[Input] = []
        for item in data:
            if isinstance(item, DatasetId):
                declared.append(DatasetFacts.of(item))
                continue
            sources = self.session.sources_of(item)
            if not sources:
                raise InvalidInput(
                    f"Pipeline {self.name!r} cannot tell where this {type(item).__name__} came from.",
                    fix="Pass data that a stack operation returned (the very object, not a copy), or a DatasetId.",
                )
            declared += sources
        self._declared = declared

    def model_inputs(self) -> list[Input]:
        return list(self._declared) if self._declared is not None else list(self.training_sets)


@contextlib.contextmanager
def detached_pipeline(name: str) -> Iterator[PipelineRun]:
    """A pipeline of a stack without lineage: same API, nothing emitted."""
    yield PipelineRun(name, name, None, None)


@dataclass
class _Running:
    call: Call
    operation: Operation
    job_name: str
    parent: ParentRef | None
    component: CustomFacet
    tool: str | None


class LineageSession:
    """Emits the lineage of one stack's components (see the module docstring)."""

    def __init__(self, stack: str, config: LineageConfig, components: Mapping[str, Component]) -> None:
        self.stack = stack
        self.config = config
        self.namespace = config.namespace or stack
        self.spool = Spool.at(config.spool)
        self.destinations = self.spool.attach(config.transports, config.flush_timeout)
        self._tracked: dict[int, tuple[weakref.ref[Any], list[Input]]] = {}
        self._datasets: dict[tuple[int, str], DatasetId] = {}
        self._views: dict[int, dict[str, FeatureView]] = {}
        self._closed = False
        for name, component in components.items():
            for op_name, operation in operations(component.category).items():
                method = getattr(component, op_name, None)
                if callable(method):
                    setattr(component, op_name, self._wrap(name, component, op_name, operation, method))

    # -- the hot path ----------------------------------------------------------------------------------

    def _wrap(
        self, name: str, component: Component, op_name: str, operation: Operation, method: Callable[..., Any]
    ) -> Callable[..., Any]:
        signature = inspect.signature(method)
        descriptor = component.descriptor
        facet = StackhubComponentRunFacet(
            component=name,
            category=component.category,
            plugin=descriptor.name if descriptor is not None else None,
            operation=op_name,
            stack=self.stack,
        )
        tool = descriptor.tool if descriptor is not None else None

        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _ACTIVE.get() or self._closed:
                return method(*args, **kwargs)
            token = _ACTIVE.set(True)
            try:
                running = self._start(name, component, op_name, operation, signature, facet, tool, args, kwargs)
                try:
                    result = method(*args, **kwargs)
                except BaseException as exc:
                    self._end(running, PENDING, exc)
                    raise
                self._end(running, result, None)
                return result
            finally:
                _ACTIVE.reset(token)

        return wrapper

    def _start(
        self,
        name: str,
        component: Component,
        op_name: str,
        operation: Operation,
        signature: inspect.Signature,
        facet: CustomFacet,
        tool: str | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> _Running | None:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:  # a wrong call: the operation itself raises it, and did nothing worth lineage
            return None
        bound.apply_defaults()
        try:
            now = _now()
            call = Call(self, name, component, op_name, bound.arguments, str(generate_new_uuid(now)))
            pipeline = self._pipeline()
            job_name = f"{pipeline.job_name}.{name}.{op_name}" if pipeline else f"{name}.{op_name}"
            parent = pipeline.ref(self.namespace) if pipeline else None
            running = _Running(call, operation, job_name, parent, facet, tool)
            self._emit(running, "START", now)
            return running
        except Exception:
            log.exception("Could not emit the lineage of %s.%s.", name, op_name)
            return None

    def _end(self, running: _Running | None, result: Any, error: BaseException | None) -> None:
        if running is None:
            return
        try:
            now = _now()
            if error is None:
                running.call.result = result
                self._emit(running, "COMPLETE", now)
            else:
                running.call.error = error
                trace = "".join(traceback.format_exception(error))
                self._emit(running, "FAIL", now, (f"{type(error).__name__}: {error}", trace))
        except Exception:
            log.exception("Could not emit the lineage of %s.", running.job_name)

    def _emit(self, running: _Running, event_type: Any, now: datetime, error: tuple[str, str] | None = None) -> None:
        facts, extraction_error = None, None
        try:
            facts = running.operation.derive(running.call)
        except Exception:
            extraction_error = traceback.format_exc()
        record = Record(
            event_type=event_type,
            time=now,
            run_id=running.call.run_id,
            namespace=self.namespace,
            job_name=running.job_name,
            job_type=running.operation.job_type,
            facts=facts,
            parent=running.parent,
            component=running.component,
            tool=running.tool,
            error=error,
            extraction_error=extraction_error,
        )
        self.spool.submit(record, self.destinations)

    # -- what mapping functions ask (CallContext) ------------------------------------------------------

    def hub_dataset(self, component: str, path: str, **facts: Any) -> DatasetFacts:
        return DatasetFacts(namespace=f"stackhub://{self.namespace}/{component}", name=path, **facts)

    def table_dataset(self, warehouse: Warehouse, table: str) -> DatasetId:
        key = (id(warehouse), table)
        dataset = self._datasets.get(key)
        if dataset is None:
            dataset = self._datasets[key] = warehouse.dataset(table)
        return dataset

    def sources_of(self, data: object) -> list[Input]:
        entry = self._tracked.get(id(data))
        if entry is None or entry[0]() is not data:
            return []
        return list(entry[1])

    def remember(self, data: object, sources: Sequence[Input]) -> None:
        key = id(data)

        def forget(ref: weakref.ref[Any]) -> None:
            entry = self._tracked.get(key)
            if entry is not None and entry[0] is ref:
                del self._tracked[key]

        try:
            ref = weakref.ref(data, forget)
        except TypeError:  # not weak-referenceable: its lineage cannot be followed safely
            return
        self._tracked[key] = (ref, list(sources))

    def feature_views(self, component: Component, names: Sequence[str] | None) -> dict[str, FeatureView]:
        known = self._views.setdefault(id(component), {})
        if names is None or any(n not in known for n in names):
            # Definitions registered by an earlier process: ask the store once (a nested call: no lineage).
            self.learn_feature_views(component, component.list_feature_views())  # type: ignore[attr-defined]
        return known

    def learn_feature_views(self, component: Component, views: Sequence[FeatureView]) -> None:
        self._views.setdefault(id(component), {}).update({v.name: v for v in views})

    def model_inputs(self) -> list[Input]:
        pipeline = self._pipeline()
        return pipeline.model_inputs() if pipeline else []

    def add_training_set(self, dataset: DatasetFacts) -> None:
        pipeline = self._pipeline()
        if pipeline:
            pipeline.training_sets.append(dataset)

    # -- pipelines and closing -------------------------------------------------------------------------

    def _pipeline(self) -> PipelineRun | None:
        pipeline = _PIPELINE.get()
        return pipeline if pipeline is not None and pipeline.session is self else None

    @contextlib.contextmanager
    def pipeline(self, name: str) -> Iterator[PipelineRun]:
        if not name or not name.strip():
            raise InvalidInput("A pipeline needs a name.", fix="Pass a name such as 'churn-training'.")
        outer = self._pipeline()
        run = PipelineRun(name, f"{outer.job_name}.{name}" if outer else name, self, outer)
        parent = outer.ref(self.namespace) if outer else None

        def emit(event_type: Any, error: tuple[str, str] | None = None) -> None:
            record = Record(
                event_type, _now(), run.id, self.namespace, run.job_name, "PIPELINE", parent=parent, error=error
            )
            self.spool.submit(record, self.destinations)

        emit("START")
        token = _PIPELINE.set(run)
        try:
            yield run
        except BaseException as exc:
            emit("FAIL", (f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc))))
            raise
        finally:
            _PIPELINE.reset(token)
        emit("COMPLETE")

    def drain(self) -> None:
        """Turn every queued operation into a spooled event (while the components are still open)."""
        self.spool.drain()

    def close(self) -> bool:
        """Stop emitting and wait up to ``flush_timeout`` for delivery; True when everything was delivered."""
        if self._closed:
            return True
        self._closed = True
        delivered = self.spool.detach(self.destinations, self.config.flush_timeout)
        if not delivered:
            log.warning(
                "Lineage events of stack %r are still spooled in %s; the next process that opens the stack, or "
                "'stackhub lineage flush', delivers them.",
                self.stack,
                self.spool.path,
            )
        return delivered


def start_session(definition: StackFile, components: Mapping[str, Component]) -> LineageSession | None:
    """The lineage session of a stack, or None when its file turns lineage off."""
    from .config import LineageConfig

    config = definition.lineage or LineageConfig()
    if not config.enabled:
        return None
    return LineageSession(definition.stack, config, components)
