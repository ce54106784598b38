from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest
import stackhub_duckdb
from sqllabels_support import MULTIPLE, SINGLE, build
from stackhub import Warehouse
from stackhub_sqllabels._labeling import SQLLabeling


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    with stackhub_duckdb.plugin.create({"path": ":memory:"}) as wh:
        assert isinstance(wh, Warehouse)
        yield wh


@pytest.fixture
def labeling(warehouse: Warehouse) -> SQLLabeling:
    return build(warehouse)


@pytest.fixture
def single(labeling: SQLLabeling) -> str:
    """A single-choice project with three tasks a, b, c."""
    labeling.create_project("reviews", SINGLE)
    labeling.submit_tasks("reviews", pa.table({"key": ["a", "b", "c"], "text": ["good", "bad", "meh"]}))
    return "reviews"


@pytest.fixture
def multiple(labeling: SQLLabeling) -> str:
    """A multiple-choice project with three tasks m1, m2, m3."""
    labeling.create_project("mails", MULTIPLE)
    labeling.submit_tasks("mails", pa.table({"key": ["m1", "m2", "m3"], "text": ["x", "y", "z"]}))
    return "mails"
