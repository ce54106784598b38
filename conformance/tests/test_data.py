"""The generated data is deterministic and holds the edges it promises; type widening is judged strictly."""

from __future__ import annotations

import pyarrow as pa
import pytest
from stackhub_conformance._data import TYPE_CASES, accepts_type, all_types_table, numbered_table, typed_table


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    assert all_types_table().equals(all_types_table())
    assert numbered_table(1_000).equals(numbered_table(1_000))
    assert not numbered_table(1_000).equals(numbered_table(1_000, seed=1))
    assert not typed_table("string").equals(typed_table("string", seed=1))


@pytest.mark.parametrize("case", sorted(TYPE_CASES))
def test_each_typed_table_has_its_edges_and_nulls(case: str) -> None:
    column = typed_table(case).column("value")
    assert column.type == TYPE_CASES[case].type
    values = column.to_pylist()
    assert (values[0], values[20], values[-1]) == (None, None, None)
    edges_kept = [edge for edge in TYPE_CASES[case].edges if edge in values]
    assert len(edges_kept) >= len(TYPE_CASES[case].edges) - 3, "at most the three null slots may replace an edge"


@pytest.mark.parametrize(
    ("written", "read", "accepted"),
    [
        (pa.int8(), pa.int16(), True),
        (pa.int64(), pa.int32(), False),
        (pa.int32(), pa.float64(), False),
        (pa.float32(), pa.float64(), True),
        (pa.float64(), pa.float32(), False),
        (pa.decimal128(18, 4), pa.decimal128(38, 4), True),
        (pa.decimal128(18, 4), pa.decimal128(38, 2), False),
        (pa.decimal128(18, 4), pa.float64(), False),
        (pa.string(), pa.large_string(), True),
        (pa.string(), pa.binary(), False),
        (pa.date32(), pa.date64(), True),
        (pa.timestamp("us", tz="UTC"), pa.timestamp("ns", tz="UTC"), True),
        (pa.timestamp("us", tz="UTC"), pa.timestamp("us", tz="+00:00"), True),
        (pa.timestamp("us", tz="UTC"), pa.timestamp("us"), False),
        (pa.timestamp("us"), pa.timestamp("us", tz="UTC"), False),
        (pa.timestamp("us"), pa.timestamp("ms"), False),
        (pa.timestamp("us", tz="UTC"), pa.timestamp("us", tz="Europe/Paris"), False),
        (pa.bool_(), pa.int8(), False),
    ],
)
def test_only_lossless_widenings_are_accepted(written: pa.DataType, read: pa.DataType, accepted: bool) -> None:
    assert accepts_type(written, read) is accepted
