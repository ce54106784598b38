from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import stackhub_duckdb
from sqllabels_support import MULTIPLE, SINGLE, FailingWarehouse, build, tables
from stackhub import AlreadyExists, InvalidInput, NotFound, Warehouse
from stackhub_sqllabels._labeling import SQLLabeling


def test_create_then_get_returns_the_same_project(labeling: SQLLabeling) -> None:
    created = labeling.create_project("reviews", SINGLE)
    assert created.name == "reviews"
    assert created.label_schema == SINGLE
    assert labeling.get_project("reviews") == created


def test_projects_are_distinct_and_keep_their_schemas(labeling: SQLLabeling) -> None:
    first = labeling.create_project("reviews", SINGLE)
    second = labeling.create_project("mails", MULTIPLE)
    assert first.id != second.id
    assert labeling.get_project("mails").label_schema.choice == "multiple"
    assert labeling.get_project("reviews").label_schema.choice == "single"


def test_create_twice_raises_already_exists(labeling: SQLLabeling, warehouse: Warehouse) -> None:
    labeling.create_project("reviews", SINGLE)
    before = tables(warehouse)
    with pytest.raises(AlreadyExists, match="'reviews' exists already") as info:
        labeling.create_project("reviews", MULTIPLE)
    assert "delete_project('reviews')" in str(info.value)
    assert tables(warehouse) == before
    assert labeling.get_project("reviews").label_schema == SINGLE


def test_get_missing_raises_not_found(labeling: SQLLabeling) -> None:
    with pytest.raises(NotFound, match="'nope' does not exist"):
        labeling.get_project("nope")


@pytest.mark.parametrize("name", ["", None])
def test_create_rejects_a_bad_name(labeling: SQLLabeling, name: str) -> None:
    with pytest.raises(InvalidInput, match="non-empty string"):
        labeling.create_project(name, SINGLE)


def test_create_rejects_a_schema_that_is_not_a_label_schema(labeling: SQLLabeling) -> None:
    with pytest.raises(InvalidInput, match="must be a LabelSchema"):
        labeling.create_project("reviews", {"input": "text", "labels": ["a"]})  # type: ignore[arg-type]


def test_delete_removes_the_project_and_its_tables(labeling: SQLLabeling, single: str, warehouse: Warehouse) -> None:
    labeling.annotate(single, pa.table({"key": ["a"], "label": ["pos"]}))
    labeling.delete_project(single)
    with pytest.raises(NotFound):
        labeling.get_project(single)
    assert warehouse.list_tables() == ["stackhub_labels_projects"]


def test_delete_keeps_other_projects(labeling: SQLLabeling, single: str, multiple: str) -> None:
    labeling.delete_project(single)
    assert labeling.task_status(multiple).total == 3


def test_delete_missing_raises_not_found_unless_missing_ok(labeling: SQLLabeling) -> None:
    with pytest.raises(NotFound, match="'nope' does not exist"):
        labeling.delete_project("nope")
    assert labeling.delete_project("nope", missing_ok=True) is None


def test_a_recreated_project_starts_empty(labeling: SQLLabeling, single: str) -> None:
    labeling.annotate(single, pa.table({"key": ["a"], "label": ["pos"]}))
    labeling.delete_project(single)
    labeling.create_project(single, SINGLE)
    assert labeling.task_status(single).total == 0
    assert labeling.export_annotations(single).num_rows == 0


def test_projects_persist_in_a_warehouse_file(tmp_path: Path) -> None:
    config = {"path": str(tmp_path / "wh.duckdb")}
    with stackhub_duckdb.plugin.create(config) as warehouse:
        labeling = build(warehouse)
        labeling.create_project("reviews", SINGLE)
        labeling.submit_tasks("reviews", pa.table({"key": ["a"], "text": ["good"]}))
        labeling.annotate("reviews", pa.table({"key": ["a"], "label": ["pos"]}))
        exported = labeling.export_annotations("reviews")
    with stackhub_duckdb.plugin.create(config) as warehouse:
        reopened = build(warehouse)
        assert reopened.get_project("reviews").label_schema == SINGLE
        assert reopened.export_annotations("reviews").equals(exported)


def test_table_prefix_separates_queues_on_one_warehouse(warehouse: Warehouse) -> None:
    first, second = build(warehouse), build(warehouse, table_prefix="team_b")
    first.create_project("reviews", SINGLE)
    second.create_project("reviews", MULTIPLE)
    assert first.get_project("reviews").label_schema == SINGLE
    assert second.get_project("reviews").label_schema == MULTIPLE
    assert all(t.startswith(("stackhub_labels_", "team_b_")) for t in warehouse.list_tables())


def test_a_failed_create_leaves_no_tables(warehouse: Warehouse) -> None:
    labeling = build(FailingWarehouse(warehouse, fail_on="_projects"))
    with pytest.raises(InvalidInput, match="Injected"):
        labeling.create_project("reviews", SINGLE)
    assert warehouse.list_tables() == []
    with pytest.raises(NotFound):
        labeling.get_project("reviews")
