from __future__ import annotations

import pyarrow as pa
import pytest
from sqllabels_support import stored, tables
from stackhub import InvalidInput, NotFound, Warehouse
from stackhub.categories.labeling import SupportsPredictions
from stackhub_sqllabels._labeling import SQLLabeling


def test_the_capability_is_declared_and_implemented(labeling: SQLLabeling) -> None:
    assert "predictions" in labeling.capabilities
    assert isinstance(labeling, SupportsPredictions)


def test_predictions_are_stored_with_their_model_version(labeling: SQLLabeling, single: str) -> None:
    predictions = pa.table({"key": ["a", "b", "a"], "label": ["pos", "neg", "neutral"], "score": [0.9, 0.6, 0.1]})
    assert labeling.submit_predictions(single, predictions, model_version="sent-v1") == 3
    assert labeling.submit_predictions(single, predictions.slice(0, 1), model_version="sent-v2") == 1
    rows = stored(labeling, single, "predictions").sort_by([("model_version", "ascending"), ("score", "descending")])
    assert rows.select(["key", "label", "score", "model_version"]).to_pylist() == [
        {"key": "a", "label": "pos", "score": 0.9, "model_version": "sent-v1"},
        {"key": "b", "label": "neg", "score": 0.6, "model_version": "sent-v1"},
        {"key": "a", "label": "neutral", "score": 0.1, "model_version": "sent-v1"},
        {"key": "a", "label": "pos", "score": 0.9, "model_version": "sent-v2"},
    ]
    assert len(set(rows["prediction_id"].to_pylist())) == 4


def test_predictions_are_not_annotations(labeling: SQLLabeling, single: str) -> None:
    labeling.submit_predictions(single, pa.table({"key": ["a"], "label": ["pos"], "score": [1]}), model_version="m")
    assert labeling.export_annotations(single).num_rows == 0
    assert labeling.task_status(single).annotated == 0


def test_multiple_choice_predictions_are_lists(labeling: SQLLabeling, multiple: str) -> None:
    predictions = pa.table({"key": ["m1"], "label": [["spam", "urgent"]], "score": [0.5]})
    assert labeling.submit_predictions(multiple, predictions, model_version="m") == 1
    assert stored(labeling, multiple, "predictions")["label"].to_pylist() == [["spam", "urgent"]]


def test_an_unknown_key_raises_not_found_and_attaches_nothing(
    labeling: SQLLabeling, single: str, warehouse: Warehouse
) -> None:
    before = tables(warehouse)
    with pytest.raises(NotFound, match=r"1 prediction key\(s\) are not tasks"):
        labeling.submit_predictions(
            single, pa.table({"key": ["a", "zz"], "label": ["pos", "neg"], "score": [0.1, 0.2]}), model_version="m"
        )
    assert tables(warehouse) == before


@pytest.mark.parametrize(
    ("predictions", "model_version", "error"),
    [
        (pa.table({"key": ["a"], "label": ["great"], "score": [0.1]}), "m", "not in the schema"),
        (pa.table({"key": ["a"], "label": ["pos"]}), "m", r"lack column\(s\) \['score'\]"),
        (pa.table({"key": ["a"], "label": ["pos"], "score": ["high"]}), "m", "scores must be numbers"),
        (pa.table({"key": ["a"], "label": ["pos"], "score": [0.1]}), "", "model_version must be a non-empty string"),
    ],
)
def test_bad_predictions_raise_invalid_input(
    labeling: SQLLabeling, single: str, warehouse: Warehouse, predictions: pa.Table, model_version: str, error: str
) -> None:
    before = tables(warehouse)
    with pytest.raises(InvalidInput, match=error):
        labeling.submit_predictions(single, predictions, model_version=model_version)
    assert tables(warehouse) == before


def test_predictions_for_a_missing_project_raise_not_found(labeling: SQLLabeling) -> None:
    with pytest.raises(NotFound, match="'nope' does not exist"):
        labeling.submit_predictions("nope", pa.table({"key": ["a"], "label": ["x"], "score": [1.0]}), model_version="m")
