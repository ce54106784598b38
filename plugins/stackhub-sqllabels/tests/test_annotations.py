from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sqllabels_support import MULTIPLE, SINGLE, FailingWarehouse, build, tables
from stackhub import InvalidInput, NotFound, Warehouse
from stackhub.categories.labeling import EXPORT_COLUMNS
from stackhub_sqllabels._labeling import SQLLabeling

UTC = pa.timestamp("us", tz="UTC")
STRINGS = pa.schema([("key", pa.string()), ("label", pa.string())])


def test_every_annotation_is_exported_once_with_its_key(labeling: SQLLabeling, single: str) -> None:
    assert labeling.annotate(single, pa.table({"key": ["a", "b"], "label": ["pos", "neg"]})) == 2
    assert labeling.annotate(single, pa.table({"key": ["c"], "label": ["neutral"], "annotator": ["ann"]})) == 1
    exported = labeling.export_annotations(single)
    assert exported.column_names == list(EXPORT_COLUMNS)
    assert sorted(zip(exported["key"].to_pylist(), exported["label"].to_pylist(), strict=True)) == [
        ("a", "pos"),
        ("b", "neg"),
        ("c", "neutral"),
    ]
    assert pc.count_distinct(exported["annotation_id"]).as_py() == 3
    assert exported["annotator"].to_pylist() == [None, None, "ann"]


def test_a_task_annotated_twice_has_two_annotations(labeling: SQLLabeling, single: str) -> None:
    labeling.annotate(single, pa.table({"key": ["a", "a"], "label": ["pos", "neg"], "annotator": ["x", "y"]}))
    labeling.annotate(single, pa.table({"key": ["a"], "label": ["pos"], "annotator": ["z"]}))
    exported = labeling.export_annotations(single)
    assert exported["key"].to_pylist() == ["a", "a", "a"]
    assert sorted(exported["annotator"].to_pylist()) == ["x", "y", "z"]
    assert labeling.task_status(single).model_dump() == {"total": 3, "annotated": 1, "unannotated": 2}


def test_export_types_for_single_choice(labeling: SQLLabeling, single: str) -> None:
    labeling.annotate(single, pa.table({"key": ["a"], "label": ["pos"]}))
    expected = pa.schema(
        [("key", pa.string()), ("annotation_id", pa.string()), ("label", pa.string()), ("annotator", pa.string())]
    ).append(pa.field("created_at", UTC))
    assert labeling.export_annotations(single).schema.equals(expected)


def test_multiple_choice_round_trips_lists_of_strings(labeling: SQLLabeling, multiple: str) -> None:
    labels = pa.array([["spam", "promo"], [], ["urgent"]], pa.large_list(pa.string()))
    assert labeling.annotate(multiple, pa.table({"key": ["m1", "m2", "m3"], "label": labels})) == 3
    exported = labeling.export_annotations(multiple).sort_by("key")
    assert exported.schema.field("label").type == pa.list_(pa.string())
    assert exported["label"].to_pylist() == [["spam", "promo"], [], ["urgent"]]
    assert labeling.task_status(multiple).annotated == 3


def test_an_empty_export_has_the_export_schema(labeling: SQLLabeling, multiple: str) -> None:
    exported = labeling.export_annotations(multiple)
    assert exported.num_rows == 0
    assert exported.column_names == list(EXPORT_COLUMNS)
    assert exported.schema.field("label").type == pa.list_(pa.string())
    assert exported.schema.field("created_at").type == UTC


def test_export_orders_annotations_as_they_were_made(labeling: SQLLabeling, single: str) -> None:
    labeling.annotate(single, pa.table({"key": ["c", "a", "b", "a"] * 3, "label": ["pos"] * 12}))
    exported = labeling.export_annotations(single)
    assert exported["key"].to_pylist() == ["c", "a", "b", "a"] * 3
    assert exported["annotation_id"].to_pylist() == sorted(exported["annotation_id"].to_pylist())


def test_dictionary_encoded_labels_and_keys_are_accepted(labeling: SQLLabeling, single: str) -> None:
    data = pa.table(
        {"key": pa.array(["a", "b"]).dictionary_encode(), "label": pa.array(["pos", "neg"]).dictionary_encode()}
    )
    assert labeling.annotate(single, data) == 2
    assert labeling.export_annotations(single)["label"].to_pylist() == ["pos", "neg"]


def test_an_empty_annotate_records_nothing(labeling: SQLLabeling, single: str) -> None:
    empty = pa.table({"key": pa.array([], pa.string()), "label": pa.array([], pa.string())})
    assert labeling.annotate(single, empty) == 0
    assert labeling.export_annotations(single).num_rows == 0


# -- errors: each leaves every table as it was -------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotations", "error"),
    [
        (pa.table({"key": ["a", "b"], "label": ["pos", "great"]}), r"\['great'\] are not in the schema"),
        (pa.table({"key": ["a"], "label": [None]}, schema=STRINGS), "are null"),
        (pa.table({"key": ["a"], "label": [["pos"]]}), "is single choice"),
        (pa.table({"key": ["a"], "label": [1]}), "is single choice"),
        (pa.table({"key": [None], "label": ["pos"]}, schema=STRINGS), "null"),
        (pa.table({"label": ["pos"]}), r"lack column\(s\) \['key'\]"),
        (pa.table({"key": ["a"]}), r"lack column\(s\) \['label'\]"),
        (pa.table({"key": ["a"], "label": ["pos"], "annotater": ["x"]}), r"unknown column\(s\) \['annotater'\]"),
        (pa.table({"key": ["a"], "label": ["pos"], "annotator": [7]}), "'annotator' must hold strings"),
        ({"key": ["a"], "label": ["pos"]}, "must be a pyarrow.Table, not dict"),
    ],
)
def test_bad_single_choice_annotations_raise_invalid_input(
    labeling: SQLLabeling, single: str, warehouse: Warehouse, annotations: pa.Table, error: str
) -> None:
    before = tables(warehouse)
    with pytest.raises(InvalidInput, match=error):
        labeling.annotate(single, annotations)
    assert tables(warehouse) == before


@pytest.mark.parametrize(
    ("labels", "error"),
    [
        (pa.array([["spam"], ["promo", "great"]]), r"\['great'\] are not in the schema"),
        (pa.array([["spam"], ["promo", None]]), "1 annotation label"),
        (pa.array([["spam"], None], pa.list_(pa.string())), "1 annotation label"),
        (pa.array(["spam", "promo"]), "is multiple choice"),
        (pa.array([[1], [2]]), "is multiple choice"),
    ],
)
def test_bad_multiple_choice_labels_raise_invalid_input(
    labeling: SQLLabeling, multiple: str, warehouse: Warehouse, labels: pa.Array, error: str
) -> None:
    before = tables(warehouse)
    with pytest.raises(InvalidInput, match=error):
        labeling.annotate(multiple, pa.table({"key": ["m1", "m2"], "label": labels}))
    assert tables(warehouse) == before


def test_an_unknown_key_raises_not_found_and_records_nothing(
    labeling: SQLLabeling, single: str, warehouse: Warehouse
) -> None:
    before = tables(warehouse)
    with pytest.raises(NotFound, match=r"1 annotation key\(s\) are not tasks of project 'reviews', e.g. \['zz'\]"):
        labeling.annotate(single, pa.table({"key": ["a", "zz", "b"], "label": ["pos", "neg", "neg"]}))
    assert tables(warehouse) == before


def test_annotating_before_any_submit_raises_not_found(labeling: SQLLabeling) -> None:
    labeling.create_project("reviews", SINGLE)
    with pytest.raises(NotFound, match="not tasks of project"):
        labeling.annotate("reviews", pa.table({"key": ["a"], "label": ["pos"]}))


def test_a_label_of_another_project_is_rejected(labeling: SQLLabeling, single: str, multiple: str) -> None:
    labeling.submit_tasks(single, pa.table({"key": ["m1"], "text": ["x"]}))
    with pytest.raises(InvalidInput, match="not in the schema of project 'reviews'"):
        labeling.annotate(single, pa.table({"key": ["m1"], "label": [MULTIPLE.labels[0]]}))


@pytest.mark.parametrize("operation", ["annotate", "export_annotations", "task_status"])
def test_operations_on_a_missing_project_raise_not_found(labeling: SQLLabeling, operation: str) -> None:
    args = (pa.table({"key": ["a"], "label": ["pos"]}),) if operation == "annotate" else ()
    with pytest.raises(NotFound, match="'nope' does not exist"):
        getattr(labeling, operation)("nope", *args)


def test_a_failed_write_records_no_annotation(labeling: SQLLabeling, single: str, warehouse: Warehouse) -> None:
    before = tables(warehouse)
    with pytest.raises(InvalidInput, match="Injected"):
        build(FailingWarehouse(warehouse, fail_on="_annotations")).annotate(
            single, pa.table({"key": ["a"], "label": ["pos"]})
        )
    assert tables(warehouse) == before
