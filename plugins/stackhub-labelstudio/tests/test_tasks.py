"""Task import: every column as task data, idempotent by key, in chunks within the server's limits, undone when
it fails half-way."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from labelstudio_support import SINGLE, Fault, label_studio_tasks, name, tasks, with_faults
from stackhub import InvalidInput, Unavailable
from stackhub_labelstudio import plugin
from stackhub_labelstudio._labeling import LabelStudioLabeling
from stackhub_labelstudio.testing import LabelStudioServer

IMPORT = r"POST /api/projects/\d+/import"


@pytest.fixture
def project(labeling: LabelStudioLabeling) -> Iterator[str]:
    title = name("tasks")
    labeling.create_project(title, SINGLE)
    yield title
    labeling.delete_project(title, missing_ok=True)


def _keys(server: LabelStudioServer, labeling: LabelStudioLabeling, project: str) -> list[str]:
    found = label_studio_tasks(server, labeling.get_project(project).id)
    return sorted(t["data"]["stackhub_key"] for t in found)


def test_task_data_keeps_every_column_and_the_key(
    labeling: LabelStudioLabeling, server: LabelStudioServer, project: str
) -> None:
    data = pa.table(
        {
            "id": pa.array([7, 8], pa.int64()),
            "text": ["first", "second"],
            "stars": pa.array([5, None], pa.int32()),
            "score": [0.5, math.nan],
            "seen": pa.array([datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), None], pa.timestamp("us", tz="UTC")),
            "day": pa.array([date(2026, 1, 2), date(2026, 1, 3)]),
            "price": pa.array([Decimal("1.25"), Decimal("2.50")], pa.decimal128(5, 2)),
            "tags": [["a", "b"], []],
            "where": [{"city": "Lyon", "zip": 69001}, {"city": None, "zip": None}],
            "flag": [True, False],
        }
    )
    result = labeling.submit_tasks(project, data, key="id")
    assert (result.created, result.existing) == (2, 0)
    found = sorted(label_studio_tasks(server, labeling.get_project(project).id), key=lambda t: t["data"]["id"])
    assert [t["data"] for t in found] == [
        {
            "id": 7,
            "text": "first",
            "stars": 5,
            "score": 0.5,
            "seen": "2026-01-02T03:04:05+00:00",
            "day": "2026-01-02",
            "price": 1.25,
            "tags": ["a", "b"],
            "where": {"city": "Lyon", "zip": 69001},
            "flag": True,
            "stackhub_key": "7",  # keys are kept, and compared, as strings
        },
        {
            "id": 8,
            "text": "second",
            "stars": None,
            "score": None,  # JSON has no NaN
            "seen": None,
            "day": "2026-01-03",
            "price": 2.5,
            "tags": [],
            "where": {"city": None, "zip": None},
            "flag": False,
            "stackhub_key": "8",
        },
    ]
    again = labeling.submit_tasks(project, data.slice(1), key="id")
    assert (again.created, again.existing) == (0, 1)


def test_a_retried_submit_whose_answer_was_lost_creates_no_duplicates(
    labeling: LabelStudioLabeling, server: LabelStudioServer, project: str
) -> None:
    # The server imports the tasks, but its answer never arrives: the submit fails with Unavailable...
    transport = with_faults(labeling, Fault(IMPORT, "after"))
    with pytest.raises(Unavailable, match="cannot be reached"):
        labeling.submit_tasks(project, tasks(120))
    assert transport.count(IMPORT) == 1, "an import request was retried"
    # ... after deleting the tasks it may have made, so that the failed call changed nothing;
    assert labeling.task_status(project).total == 0
    # and the user's retry creates every task once.
    result = labeling.submit_tasks(project, tasks(120))
    assert (result.created, result.existing) == (120, 0)
    assert labeling.submit_tasks(project, tasks(120)).existing == 120
    assert _keys(server, labeling, project) == sorted(tasks(120)["key"].to_pylist())


def test_a_retry_after_a_failure_that_could_not_be_undone_completes_the_submit(
    labeling: LabelStudioLabeling, server: LabelStudioServer, project: str
) -> None:
    # The second chunk's answer is lost and the server is gone before the undo: the first two chunks stay.
    labeling.config = labeling.config.model_copy(update={"chunk_size": 50})
    with_faults(
        labeling,
        Fault(IMPORT, "after", nth=2),
        Fault(r"GET /api/tasks/", "before", nth=2),
        Fault(r"GET /api/tasks/", "before", nth=3),
        Fault(r"GET /api/tasks/", "before", nth=4),
    )
    with pytest.raises(Unavailable, match="submitting the same tasks again is safe"):
        labeling.submit_tasks(project, tasks(150))
    assert labeling.task_status(project).total == 100
    result = labeling.submit_tasks(project, tasks(150))
    assert (result.created, result.existing) == (50, 100)
    assert _keys(server, labeling, project) == sorted(tasks(150)["key"].to_pylist())


def test_a_failed_chunk_undoes_the_chunks_before_it(labeling: LabelStudioLabeling, project: str) -> None:
    labeling.submit_tasks(project, tasks(5, start=1000))
    labeling.config = labeling.config.model_copy(update={"chunk_size": 40})
    transport = with_faults(labeling, Fault(IMPORT, "before", nth=3))
    with pytest.raises(Unavailable):
        labeling.submit_tasks(project, tasks(100))
    assert transport.count(IMPORT) == 3
    assert labeling.task_status(project).total == 5, "the tasks of the first two chunks were left behind"


def test_large_submits_go_in_chunks_within_the_request_limit(
    labelstudio_config: dict[str, object], server: LabelStudioServer, project: str
) -> None:
    component = plugin.create({**labelstudio_config, "chunk_size": 40, "max_request_mb": 0.01})
    assert isinstance(component, LabelStudioLabeling)
    with component:
        transport = with_faults(component)
        data = tasks(100).set_column(1, "text", pa.repeat("x" * 300, 100))
        assert component.submit_tasks(project, data).created == 100
        # 40 rows of ~360 bytes are over 10 kB: each chunk was halved, to 20 rows.
        assert transport.count(IMPORT) == 5
        assert component.task_status(project).total == 100
        with pytest.raises(InvalidInput, match="over max_request_mb"):
            component.submit_tasks(project, pa.table({"key": ["big"], "text": ["x" * 20_000]}))
        assert transport.count(IMPORT) == 5
        assert _keys(server, component, project) == sorted(tasks(100)["key"].to_pylist())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pa.table({"key": ["a"], "text": ["t"], "stackhub_key": ["b"]}), "where stackhub keeps the key"),
        (pa.table({"key": [1.5], "text": ["t"]}), "strings or integers"),
        (pa.table({"key": ["a", None], "text": ["t", "u"]}), "null"),
        (pa.table({"key": ["a"], "text": ["t"], "blob": pa.array([[math.inf]])}), "as JSON"),
        ({"key": ["a"], "text": ["t"]}, "pyarrow.Table"),
    ],
    ids=["reserved_column", "float_key", "null_key", "nested_infinity", "not_a_table"],
)
def test_bad_tasks_are_refused_before_anything_is_sent(
    labeling: LabelStudioLabeling, project: str, data: pa.Table, message: str
) -> None:
    transport = with_faults(labeling)
    with pytest.raises(InvalidInput, match=message):
        labeling.submit_tasks(project, data)
    assert transport.count(IMPORT) == 0
    assert labeling.task_status(project).total == 0
