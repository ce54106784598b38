"""Tracker operations: params and metrics are facets of the OpenLineage run; artifacts and registered model
versions are datasets of type MODEL. A model is trained on what its pipeline says (see ``PipelineRun``)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from ..facets import CustomFacet, StackhubTrackerRunRunFacet
from ..facts import Call, DatasetFacts, Facts, Operation

__all__ = ["NOT_EMITTING", "OPERATIONS"]


def _artifact(call: Call, run_id: str, artifact_path: str) -> DatasetFacts:
    return call.hub_dataset(f"runs/{run_id}/artifacts/{artifact_path.strip('/')}", dataset_type="MODEL")


def _start_run(call: Call) -> Facts:
    facets: list[CustomFacet] = []
    if call.done:
        run = call.result
        facets.append(
            StackhubTrackerRunRunFacet(
                runId=run.id, experiment=call.args["experiment"], runName=run.name, status=run.status, tags=run.tags
            )
        )
    return Facts("TRACKER_RUN", run_facets=facets)


def _end_run(call: Call) -> Facts:
    facet = StackhubTrackerRunRunFacet(runId=call.args["run_id"], status=call.args["status"])
    return Facts("TRACKER_RUN", run_facets=[facet])


def _log_params(call: Call) -> Facts:
    params = {str(k): str(v) for k, v in call.args["params"].items()}
    return Facts("TRACKER_LOG", parameters=params, run_facets=[StackhubTrackerRunRunFacet(runId=call.args["run_id"])])


def _log_metrics(call: Call) -> Facts:
    facet = StackhubTrackerRunRunFacet(
        runId=call.args["run_id"],
        metrics={str(k): float(v) for k, v in call.args["metrics"].items()},
        step=call.args["step"],
    )
    return Facts("TRACKER_LOG", run_facets=[facet])


def _set_tags(call: Call) -> Facts:
    facet = StackhubTrackerRunRunFacet(runId=call.args["run_id"], tags=dict(call.args["tags"]))
    return Facts("TRACKER_LOG", run_facets=[facet])


def _log_artifact(call: Call) -> Facts:
    run_id = call.args["run_id"]
    # Named after the folder the caller chose and after the logged path the call returns, so that
    # register_model(name, run_id, artifact_path) finds it by either.
    path = call.args["artifact_path"] or PurePath(str(call.args["local_path"])).name
    outputs = [_artifact(call, run_id, path)]
    if call.done and isinstance(call.result, str) and call.result.strip("/") != path.strip("/"):
        outputs.append(_artifact(call, run_id, call.result))
    return Facts(
        "MODEL",
        inputs=call.context.model_inputs(),
        outputs=outputs,
        run_facets=[StackhubTrackerRunRunFacet(runId=run_id)],
    )


def _register_model(call: Call) -> Facts:
    run_id = call.args["run_id"]
    outputs = []
    if call.done:
        version: Any = call.result
        outputs.append(
            call.hub_dataset(f"models/{version.name}/{version.version}", dataset_type="MODEL", version=version.version)
        )
    return Facts(
        "MODEL",
        inputs=[_artifact(call, run_id, call.args["artifact_path"])],
        outputs=outputs,
        parameters={"model": call.args["name"]},
        run_facets=[StackhubTrackerRunRunFacet(runId=run_id)],
    )


def _download_artifact(call: Call) -> Facts:
    run_id = call.args["run_id"]
    return Facts(
        "MODEL",
        inputs=[_artifact(call, run_id, call.args["artifact_path"])],
        run_facets=[StackhubTrackerRunRunFacet(runId=run_id)],
    )


OPERATIONS: dict[str, Operation] = {
    "start_run": Operation("TRACKER_RUN", _start_run),
    "end_run": Operation("TRACKER_RUN", _end_run),
    "log_params": Operation("TRACKER_LOG", _log_params),
    "log_metrics": Operation("TRACKER_LOG", _log_metrics),
    "set_tags": Operation("TRACKER_LOG", _set_tags),
    "log_artifact": Operation("MODEL", _log_artifact),
    "download_artifact": Operation("MODEL", _download_artifact),
    "register_model": Operation("MODEL", _register_model),
}

NOT_EMITTING: dict[str, str] = {
    "create_experiment": "Creates an empty container; the runs in it emit.",
    "get_experiment": "Reads tracker metadata, not a dataset.",
    "list_artifacts": "Lists names; reading an artifact emits through 'download_artifact'.",
    "get_run": "Reads tracker metadata, not a dataset.",
    "get_metric_history": "Reads what 'log_metrics' already emitted.",
    "search_runs": "Reads tracker metadata, not a dataset.",
    "get_model_version": "Reads registry metadata; 'register_model' emitted the version.",
}
