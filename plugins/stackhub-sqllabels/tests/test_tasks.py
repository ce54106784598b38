from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sqllabels_support import SINGLE, FailingWarehouse, build, stored, tables
from stackhub import InvalidInput, NotFound, Warehouse
from stackhub_sqllabels._labeling import SQLLabeling


def test_every_submitted_task_is_stored_with_its_data(labeling: SQLLabeling) -> None:
    labeling.create_project("reviews", SINGLE)
    tasks = pa.table(
        {
            "key": ["a", "b", "c"],
            "text": ["good", "bad", "meh"],
            "stars": pa.array([5, 1, 3], pa.int32()),
            "at": pa.array([dt.datetime(2026, 1, d, tzinfo=dt.UTC) for d in (1, 2, 3)], pa.timestamp("us", tz="UTC")),
            "tags": [["x"], [], ["y", "z"]],
        }
    )
    assert labeling.submit_tasks("reviews", tasks).model_dump() == {"created": 3, "existing": 0}
    rows = stored(labeling, "reviews", "tasks").sort_by("_stackhub_key")
    assert rows["_stackhub_key"].to_pylist() == ["a", "b", "c"]
    assert rows.select(tasks.column_names).cast(tasks.schema).equals(tasks)
    assert labeling.task_status("reviews").model_dump() == {"total": 3, "annotated": 0, "unannotated": 3}


def test_resubmitting_the_same_tasks_creates_none(labeling: SQLLabeling, single: str) -> None:
    again = pa.table({"key": ["a", "b", "c"], "text": ["good", "bad", "meh"]})
    assert labeling.submit_tasks(single, again).model_dump() == {"created": 0, "existing": 3}
    assert stored(labeling, single, "tasks").num_rows == 3
    assert labeling.task_status(single).total == 3


def test_a_partly_new_submit_creates_only_the_new_keys_and_first_data_wins(labeling: SQLLabeling, single: str) -> None:
    result = labeling.submit_tasks(single, pa.table({"key": ["c", "d"], "text": ["CHANGED", "new"]}))
    assert result.model_dump() == {"created": 1, "existing": 1}
    rows = stored(labeling, single, "tasks").sort_by("_stackhub_key")
    assert rows["_stackhub_key"].to_pylist() == ["a", "b", "c", "d"]
    assert rows["text"].to_pylist() == ["good", "bad", "meh", "new"]


def test_a_custom_integer_key_column_is_matched_as_a_string(labeling: SQLLabeling) -> None:
    labeling.create_project("reviews", SINGLE)
    tasks = pa.table({"id": [10, 20], "text": ["good", "bad"]})
    assert labeling.submit_tasks("reviews", tasks, key="id").created == 2
    assert labeling.submit_tasks("reviews", tasks, key="id").existing == 2
    assert stored(labeling, "reviews", "tasks")["id"].type == pa.int64()  # the submitted column keeps its type
    assert labeling.annotate("reviews", pa.table({"key": ["10"], "label": ["pos"]})) == 1


def test_an_empty_submit_creates_nothing(labeling: SQLLabeling, single: str) -> None:
    empty = pa.table({"key": pa.array([], pa.string()), "text": pa.array([], pa.string())})
    assert labeling.submit_tasks(single, empty).model_dump() == {"created": 0, "existing": 0}
    assert labeling.task_status(single).total == 3


def test_status_of_a_project_without_tasks_is_zero(labeling: SQLLabeling) -> None:
    labeling.create_project("reviews", SINGLE)
    assert labeling.task_status("reviews").model_dump() == {"total": 0, "annotated": 0, "unannotated": 0}


def test_a_large_submit_runs_without_per_row_python(labeling: SQLLabeling) -> None:
    n = 100_000
    labeling.create_project("big", SINGLE)
    keys = pc.cast(pc.cumulative_sum(pa.repeat(1, n)), pa.string())
    tasks = pa.table({"key": keys, "text": pa.repeat("some text", n)})
    assert labeling.submit_tasks("big", tasks).created == n
    assert labeling.submit_tasks("big", tasks).existing == n
    assert labeling.annotate("big", pa.table({"key": keys, "label": pa.repeat("pos", n)})) == n
    assert labeling.task_status("big").model_dump() == {"total": n, "annotated": n, "unannotated": 0}
    assert labeling.export_annotations("big").num_rows == n


# -- errors: each leaves every table as it was -------------------------------------------------------------


@pytest.mark.parametrize(
    ("tasks", "error"),
    [
        (pa.table({"id": ["d"], "text": ["x"]}), r"lack column\(s\) \['key'\]"),
        (pa.table({"key": ["d"], "body": ["x"]}), r"lack column\(s\) \['text'\]"),
        (pa.table({"key": ["d", "e", "d"], "text": ["x", "y", "z"]}), r"repeat key\(s\) \['d'\]"),
        (pa.table({"key": ["d", None], "text": ["x", "y"]}), r"1 task key 'key'\(s\) are null"),
        (pa.table({"key": [1.5], "text": ["x"]}), "must be strings or integers, not double"),
        (pa.table({"key": ["d"], "text": ["x"], "_stackhub_key": ["d"]}), "is reserved"),
        (pa.table([pa.array(["d"]), pa.array(["x"]), pa.array(["y"])], names=["key", "text", "text"]), "repeat column"),
        (pa.table({"key": ["d"], "text": ["x"], "extra": [1]}), r"columns \['key', 'text'\], but these tasks have"),
        (pa.table({"key": ["d"], "text": [["x"]]}), "do not fit the column types"),
        (pa.record_batch({"key": ["d"], "text": ["x"]}), "must be a pyarrow.Table, not RecordBatch"),
    ],
)
def test_bad_tasks_raise_invalid_input(
    labeling: SQLLabeling, single: str, warehouse: Warehouse, tasks: pa.Table, error: str
) -> None:
    before = tables(warehouse)
    with pytest.raises(InvalidInput, match=error):
        labeling.submit_tasks(single, tasks)
    assert tables(warehouse) == before


def test_repeated_keys_are_rejected_in_a_first_submit_too(labeling: SQLLabeling, warehouse: Warehouse) -> None:
    labeling.create_project("reviews", SINGLE)
    with pytest.raises(InvalidInput, match="repeat key"):
        labeling.submit_tasks("reviews", pa.table({"key": [1, 1], "text": ["x", "y"]}))
    assert labeling.task_status("reviews").total == 0


def test_submit_to_a_missing_project_raises_not_found(labeling: SQLLabeling) -> None:
    with pytest.raises(NotFound, match="'nope' does not exist"):
        labeling.submit_tasks("nope", pa.table({"key": ["a"], "text": ["x"]}))


def test_a_failed_write_leaves_no_task_and_no_staging_table(warehouse: Warehouse, labeling: SQLLabeling) -> None:
    labeling.create_project("reviews", SINGLE)
    labeling.submit_tasks("reviews", pa.table({"key": ["a"], "text": ["x"]}))
    before = tables(warehouse)
    failing = build(FailingWarehouse(warehouse, fail_on="_tasks"))
    with pytest.raises(InvalidInput, match="Injected"):
        failing.submit_tasks("reviews", pa.table({"key": ["b"], "text": ["y"]}))
    assert tables(warehouse) == before
