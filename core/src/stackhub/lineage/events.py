"""Records -> openlineage-python RunEvents (``event_v2`` / ``facet_v2`` models), serialized with its ``Serde``.

Runs on the lineage thread only, so neither the client's attrs validation nor serialization costs the caller.
"""

from __future__ import annotations

import functools
import time
import traceback
from importlib import metadata
from typing import Any

import attr
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    BaseFacet,
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    OutputDatasetFacet,
    RunFacet,
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
    dataset_type_dataset,
    dataset_version_dataset,
    datasource_dataset,
    error_message_run,
    execution_parameters_run,
    extraction_error_run,
    job_type_job,
    lifecycle_state_change_dataset,
    output_statistics_output_dataset,
    parent_run,
    processing_engine_run,
    schema_dataset,
    sql_job,
)
from openlineage.client.serde import Serde

from .. import __version__
from ..models import TableSchema
from .destinations import GIL_PAUSE
from .facets import CustomFacet, schema_url
from .facts import DatasetFacts, Facts, Record, resolve_inputs

__all__ = ["PRODUCER", "build", "serialize"]

#: The producer URI of every event and facet stackhub emits.
PRODUCER = f"https://stackhub.dev/stackhub/{__version__}"
INTEGRATION = "STACKHUB"

_BASES: dict[str, type[BaseFacet]] = {
    "RunFacet": RunFacet,
    "JobFacet": JobFacet,
    "DatasetFacet": DatasetFacet,
    "InputDatasetFacet": InputDatasetFacet,
    "OutputDatasetFacet": OutputDatasetFacet,
}


@functools.cache
def _facet_class(model: type[CustomFacet]) -> type[BaseFacet]:
    """An attrs facet class of openlineage-python's kind for a custom facet model, built once per model."""
    fields = {name: attr.field(default=None) for name in model.model_fields}
    cls: type[BaseFacet] = attr.make_class(model.__name__, fields, bases=(_BASES[model.kind],))
    url = schema_url(model)
    cls._get_schema = staticmethod(lambda: url)  # type: ignore[method-assign]
    return cls


def _custom(facet: CustomFacet) -> BaseFacet:
    return _facet_class(type(facet))(**facet.model_dump(mode="json", exclude_none=True), producer=PRODUCER)


@functools.cache
def _tool_version(tool: str) -> str | None:
    try:
        return metadata.version(tool)
    except metadata.PackageNotFoundError:
        return None


def _schema(schema: Any) -> schema_dataset.SchemaDatasetFacet:
    if isinstance(schema, TableSchema):
        pairs = [(f.name, f.type) for f in schema.fields]
    elif isinstance(schema, list | tuple):
        pairs = list(schema)
    else:  # a pyarrow.Schema
        pairs = [(f.name, str(f.type)) for f in schema]
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name=name, type=dtype, ordinal_position=i)
            for i, (name, dtype) in enumerate(pairs, start=1)
        ],
        producer=PRODUCER,
    )


# Facets that only depend on a name are built once and shared: events are never changed after building.
@functools.lru_cache(maxsize=1024)
def _data_source(namespace: str) -> datasource_dataset.DatasourceDatasetFacet:
    return datasource_dataset.DatasourceDatasetFacet(name=namespace, uri=namespace, producer=PRODUCER)


@functools.lru_cache(maxsize=256)
def _job_type(job_type: str) -> job_type_job.JobTypeJobFacet:
    return job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration=INTEGRATION, jobType=job_type, producer=PRODUCER
    )


@functools.lru_cache(maxsize=1024)
def _custom_cached(facet: CustomFacet) -> BaseFacet:
    return _custom(facet)


def _dataset_facets(dataset: DatasetFacts) -> dict[str, Any]:
    facets: dict[str, Any] = {"dataSource": _data_source(dataset.namespace)}
    if dataset.schema is not None:
        facets["schema"] = _schema(dataset.schema)
    if dataset.dataset_type is not None:
        facets["datasetType"] = dataset_type_dataset.DatasetTypeDatasetFacet(
            datasetType=dataset.dataset_type, producer=PRODUCER
        )
    if dataset.version is not None:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=dataset.version, producer=PRODUCER
        )
    if dataset.lifecycle is not None:
        facets["lifecycleStateChange"] = lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
            lifecycleStateChange=lifecycle_state_change_dataset.LifecycleStateChange(dataset.lifecycle),
            producer=PRODUCER,
        )
    for facet in dataset.facets:
        facets[facet.key] = _custom(facet)
    return facets


def _input(dataset: DatasetFacts) -> InputDataset:
    input_facets: dict[str, Any] = {}
    if dataset.quality is not None:
        input_facets["dataQualityMetrics"] = data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
            rowCount=dataset.quality.rows,
            columnMetrics={
                c.column: data_quality_metrics_input_dataset.ColumnMetrics(
                    nullCount=c.missing, distinctCount=c.distinct, count=float(c.count), min=c.min, max=c.max
                )
                for c in dataset.quality.columns
            },
            producer=PRODUCER,
        )
    if dataset.assertions:
        input_facets["dataQualityAssertions"] = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=[
                data_quality_assertions_dataset.Assertion(
                    assertion=a.assertion,
                    success=a.success,
                    column=a.column,
                    name=a.name,
                    expected=a.expected,
                    actual=a.actual,
                )
                for a in dataset.assertions
            ],
            producer=PRODUCER,
        )
    return InputDataset(
        namespace=dataset.namespace,
        name=dataset.name,
        facets=_dataset_facets(dataset),
        inputFacets=input_facets,
    )


def _output(dataset: DatasetFacts) -> OutputDataset:
    output_facets: dict[str, Any] = {}
    if dataset.rows is not None:
        output_facets["outputStatistics"] = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=dataset.rows, producer=PRODUCER
        )
    return OutputDataset(
        namespace=dataset.namespace, name=dataset.name, facets=_dataset_facets(dataset), outputFacets=output_facets
    )


def _datasets(record: Record, facts: Facts) -> tuple[list[InputDataset], list[OutputDataset]]:
    inputs = [_input(d) for d in resolve_inputs(facts.inputs)]
    if record.event_type == "FAIL":
        # A failed operation wrote nothing (writes are atomic); naming outputs would draw false lineage.
        return inputs, []
    written = list(facts.outputs)
    if facts.sql_outputs is not None:
        written += facts.sql_outputs.written()
    return inputs, [_output(d) for d in written]


def build(record: Record) -> RunEvent:
    """The RunEvent of a record. When the record's facts cannot be turned into datasets, the event still goes
    out, with an extractionError facet saying why."""
    run_facets: dict[str, Any] = {}
    job_facets: dict[str, Any] = {"jobType": _job_type(record.job_type)}
    inputs: list[InputDataset] = []
    outputs: list[OutputDataset] = []
    extraction_error = record.extraction_error
    facts = record.facts
    if facts is not None:
        try:
            inputs, outputs = _datasets(record, facts)
        except Exception:
            extraction_error = traceback.format_exc()
        if facts.sql is not None:
            job_facets["sql"] = sql_job.SQLJobFacet(query=facts.sql[0], dialect=facts.sql[1], producer=PRODUCER)
        if facts.parameters:
            run_facets["executionParameters"] = execution_parameters_run.ExecutionParametersRunFacet(
                parameters=[
                    execution_parameters_run.ExecutionParameter(key=k, value=v) for k, v in facts.parameters.items()
                ],
                producer=PRODUCER,
            )
        for facet in facts.run_facets:
            run_facets[facet.key] = _custom(facet)
    if record.component is not None:  # one instance per component operation: worth sharing
        run_facets[record.component.key] = _custom_cached(record.component)
    if record.parent is not None:
        p = record.parent
        run_facets["parent"] = parent_run.ParentRunFacet(
            run=parent_run.Run(runId=p.run_id),
            job=parent_run.Job(namespace=p.namespace, name=p.job_name),
            root=parent_run.Root(
                run=parent_run.RootRun(runId=p.root_run_id),
                job=parent_run.RootJob(namespace=p.namespace, name=p.root_job_name),
            ),
            producer=PRODUCER,
        )
    if record.tool is not None and (version := _tool_version(record.tool)) is not None:
        run_facets["processing_engine"] = processing_engine_run.ProcessingEngineRunFacet(
            version=version, name=record.tool, openlineageAdapterVersion=__version__, producer=PRODUCER
        )
    if record.error is not None:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=record.error[0], programmingLanguage="python", stackTrace=record.error[1], producer=PRODUCER
        )
    if extraction_error is not None:
        run_facets["extractionError"] = extraction_error_run.ExtractionErrorRunFacet(
            totalTasks=1,
            failedTasks=1,
            errors=[
                extraction_error_run.Error(
                    errorMessage=extraction_error.strip().splitlines()[-1], stackTrace=extraction_error
                )
            ],
            producer=PRODUCER,
        )
    return RunEvent(
        eventType=RunState(record.event_type),
        eventTime=record.time.isoformat(),
        run=Run(runId=record.run_id, facets=run_facets),
        job=Job(namespace=record.namespace, name=record.job_name, facets=job_facets),
        inputs=inputs,
        outputs=outputs,
        producer=PRODUCER,
    )


def serialize(record: Record) -> str:
    """The event's JSON, as openlineage-python's transports would send it."""
    event = build(record)
    time.sleep(GIL_PAUSE)
    payload = str(Serde.to_json(event))
    time.sleep(GIL_PAUSE)
    return payload
