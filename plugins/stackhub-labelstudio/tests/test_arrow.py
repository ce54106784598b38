"""Arrow to and from Label Studio's JSON, on documents shaped as Label Studio 1.23 writes them (no server)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from stackhub import NotFound
from stackhub.categories import labeling_input
from stackhub.categories.labeling import EXPORT_COLUMNS, LabelSchema
from stackhub_labelstudio import _arrow

SINGLE = LabelSchema(input="text", labels=("yes", "no"))
MULTIPLE = LabelSchema(input="text", labels=("a", "b", "c"), choice="multiple")


def _region(choices: list[str], *, control: str = "label", region: str = "r1") -> dict[str, object]:
    return {"id": region, "from_name": control, "to_name": "input", "type": "choices", "value": {"choices": choices}}


def _annotation(
    i: int, result: list[dict[str, object]], *, user: int = 1, cancelled: bool = False
) -> dict[str, object]:
    return {
        "id": i,
        "completed_by": user,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": f"2026-11-27T03:36:{i:02d}.448741Z",
        "task": 1,
        "unique_id": "755a4ca1-8294-40fb-9146-abdc5a8f9109",
    }


def _task(i: int, key: str | None, annotations: list[dict[str, object]]) -> dict[str, object]:
    data: dict[str, object] = {"text": "t", "nested": {"deep": [1, 2]}}
    if key is not None:
        data["stackhub_key"] = key
    return {"id": i, "annotations": annotations, "drafts": [], "predictions": [], "data": data, "meta": {}}


def test_the_export_has_one_row_per_annotation_in_id_order_without_skips() -> None:
    exported = [
        _task(1, "k1", [_annotation(5, [_region(["no"])], user=2), _annotation(2, [_region(["yes"])])]),
        _task(2, "k2", [_annotation(3, [], cancelled=True)]),
        _task(3, None, [_annotation(4, [_region(["x"], control="other"), _region(["yes"], region="r2")])]),
        _task(4, "k4", [_annotation(6, [])]),
    ]
    table = _arrow.annotations_table(exported, schema=SINGLE, control="label", users={1: "me@x.org", 2: "alice"})
    assert table.column_names == list(EXPORT_COLUMNS)
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert table.drop_columns(["created_at"]).to_pylist() == [
        {"key": "k1", "annotation_id": "2", "label": "yes", "annotator": "me@x.org"},
        {"key": None, "annotation_id": "4", "label": "yes", "annotator": "me@x.org"},  # a task made elsewhere
        {"key": "k1", "annotation_id": "5", "label": "no", "annotator": "alice"},
        {"key": "k4", "annotation_id": "6", "label": None, "annotator": "me@x.org"},  # nothing chosen
    ]


def test_multiple_choice_labels_are_lists_and_an_empty_choice_an_empty_list() -> None:
    exported = [
        _task(1, "k", [_annotation(1, [_region(["b", "a"])]), _annotation(2, []), _annotation(3, [_region([])])])
    ]
    table = _arrow.annotations_table(exported, schema=MULTIPLE, control="label", users={})
    assert table.schema.field("label").type == pa.list_(pa.string())
    assert table["label"].to_pylist() == [["b", "a"], [], []]
    assert table["annotator"].to_pylist() == [None, None, None]  # users unknown


@pytest.mark.parametrize("schema", [SINGLE, MULTIPLE], ids=["single", "multiple"])
def test_an_empty_export_has_the_export_columns(schema: LabelSchema) -> None:
    for exported in ([], [_task(1, "k", [_annotation(1, [], cancelled=True)])]):
        table = _arrow.annotations_table(exported, schema=schema, control="label", users={})
        assert (table.num_rows, table.column_names) == (0, list(EXPORT_COLUMNS))
        assert table.schema.field("label").type == labeling_input.label_type(schema)


def test_a_listing_maps_keys_to_task_ids() -> None:
    pages = iter(
        [
            [{"id": 10, "data": {"stackhub_key": "a", "text": "x"}}, {"id": 11, "data": {}}],
            [{"id": 12, "data": {"stackhub_key": "c"}}],
        ]
    )
    listed = _arrow.listing(pages)
    assert listed.to_pylist() == [{"id": 10, "key": "a"}, {"id": 11, "key": None}, {"id": 12, "key": "c"}]
    ids = _arrow.lookup(listed, pa.chunked_array([["c", "a", "c"]]), project="p", what="annotation")
    assert ids.to_pylist() == [12, 10, 12]
    with pytest.raises(NotFound, match=r"2 annotation key\(s\) are not tasks of project 'p': \['zz', 'yy'\]"):
        _arrow.lookup(listed, pa.chunked_array([["zz", "a", "yy"]]), project="p", what="annotation")


def test_task_payloads_are_label_studios_import_format() -> None:
    data = pa.table({"key": [1, 2], "text": ["a", "b"], "score": [float("nan"), 0.5]})
    payload = _arrow.task_payloads(data, pa.chunked_array([["1", "2"]]))
    assert payload.to_pylist() == [
        {"data": {"key": 1, "text": "a", "score": None, "stackhub_key": "1"}},
        {"data": {"key": 2, "text": "b", "score": 0.5, "stackhub_key": "2"}},
    ]


def test_tagged_annotations_and_predictions_are_found_by_their_region_id() -> None:
    exported = [
        _task(1, "k", [_annotation(1, [_region(["yes"], region="tag")]), _annotation(2, [_region(["no"])])]),
        _task(2, "j", [_annotation(3, [_region(["no"], region="tag"), _region(["no"], region="tag")])]),
    ]
    assert sorted(_arrow.tagged_annotations(exported, "tag")) == [1, 3]
    predictions = [{"id": 7, "result": [_region(["yes"], region="tag")], "score": 0.5}, {"id": 8, "result": []}]
    assert _arrow.tagged_predictions(predictions, "tag") == [7]
