"""Feature store operations: feature views read their source tables (named by the feature store's warehouse);
a training set is a new dataset per call, built from the views' sources and the entity rows' own sources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..facets import FeatureEntry, StackhubFeatureViewDatasetFacet, StackhubTrainingSetDatasetFacet
from ..facts import Call, DatasetFacts, Facts, Input, Operation

if TYPE_CHECKING:
    from ...categories.feature_store import FeatureView

__all__ = ["NOT_EMITTING", "OPERATIONS"]


def _view_names(features: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ref.split(":", 1)[0] for ref in features))


def _source(call: Call, view: FeatureView) -> DatasetFacts:
    warehouse = call.warehouse()
    if warehouse is None:
        return call.hub_dataset(f"sources/{view.source}")
    return call.table(warehouse, view.source)


def _view_dataset(call: Call, view: FeatureView) -> DatasetFacts:
    facet = StackhubFeatureViewDatasetFacet(
        name=view.name,
        entities=list(view.entities),
        source=view.source,
        timestampField=view.timestamp_field,
        createdTimestampField=view.created_timestamp_field,
        ttlSeconds=view.ttl.total_seconds() if view.ttl is not None else None,
        features=[FeatureEntry(name=f.name, dtype=f.dtype) for f in view.features],
    )
    schema = [(f.name, f.dtype) for f in view.features]
    return call.hub_dataset(f"feature_views/{view.name}", facets=(facet,), schema=schema)


def _online(call: Call, view: str, **facts: Any) -> DatasetFacts:
    return call.hub_dataset(f"online/{view}", **facts)


def _apply(call: Call) -> Facts:
    views: Sequence[FeatureView] = call.args["feature_views"]
    if call.done:
        call.context.learn_feature_views(call.component, views)
    return Facts(
        "REGISTER",
        inputs=[_source(call, v) for v in views],
        outputs=[_view_dataset(call, v) for v in views],
    )


def _historical(call: Call) -> Facts:
    features: Sequence[str] = call.args["features"]
    names = _view_names(features)
    views = call.context.feature_views(call.component, names)
    entity_rows = call.args["entity_rows"]
    inputs: list[Input] = [_source(call, views[n]) for n in names if n in views]
    inputs += call.context.sources_of(entity_rows)
    facet = StackhubTrainingSetDatasetFacet(
        features=list(features),
        featureViews=names,
        entityRows=entity_rows.num_rows,
        timestampColumn=call.args["timestamp_column"],
        fullFeatureNames=call.args["full_feature_names"],
    )
    output = call.hub_dataset(f"training_sets/{call.run_id}", facets=(facet,))
    if call.done:
        output = output.with_facts(schema=call.result.schema, rows=call.result.num_rows)
        call.context.remember(call.result, [output])
        call.context.add_training_set(output)
    return Facts("TRAINING_SET", inputs=inputs, outputs=[output])


def _materialize(call: Call) -> Facts:
    requested = call.args["feature_views"]
    views = call.context.feature_views(call.component, None if requested is None else list(requested))
    names = list(requested) if requested is not None else sorted(views)
    rows = call.result.rows_written if call.done and len(names) == 1 else None
    return Facts(
        "MATERIALIZE",
        inputs=[_source(call, views[n]) for n in names if n in views],
        outputs=[_online(call, n, rows=rows) for n in names],
        parameters={"start": call.args["start"].isoformat(), "end": call.args["end"].isoformat()},
    )


def _online_lookup(call: Call) -> Facts:
    inputs: list[Input] = [_online(call, n) for n in _view_names(call.args["features"])]
    if call.done:
        call.context.remember(call.result, inputs)
    return Facts("ONLINE_LOOKUP", inputs=inputs)


def _push(call: Call) -> Facts:
    rows = call.result if call.done else None
    output = _online(call, call.args["feature_view"], schema=call.args["rows"].schema, rows=rows)
    return Facts("PUSH", inputs=call.context.sources_of(call.args["rows"]), outputs=[output])


OPERATIONS: dict[str, Operation] = {
    "apply": Operation("REGISTER", _apply),
    "get_historical_features": Operation("TRAINING_SET", _historical),
    "materialize": Operation("MATERIALIZE", _materialize),
    "get_online_features": Operation("ONLINE_LOOKUP", _online_lookup),
    "push": Operation("PUSH", _push),
}

NOT_EMITTING: dict[str, str] = {
    "list_feature_views": "Reads the registry's definitions; 'apply' emits them when they change.",
}
