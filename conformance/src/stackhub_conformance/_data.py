"""Deterministic test data, built with pyarrow only.

Small fixtures (one column per Arrow type, with the edge values engines get wrong) are spelled out as Python
lists; large ones are computed with pyarrow kernels, so no data path loops over rows in Python. The same seed
always gives the same tables, so a failure reproduces exactly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "SEED",
    "TYPE_CASES",
    "DataSourceFailed",
    "TypeCase",
    "accepts_type",
    "all_types_table",
    "failing_reader",
    "numbered_table",
    "typed_table",
]

#: The seed of every generated table.
SEED = 20_261_126


@dataclass(frozen=True)
class TypeCase:
    """One Arrow type, the edge values it must keep, and how to draw more values of it."""

    type: pa.DataType
    edges: tuple[Any, ...]

    def draw(self, rng: random.Random) -> Any:
        t = self.type
        if pa.types.is_integer(t):
            bits = t.bit_width - 1
            return rng.randint(-(2**bits), 2**bits - 1)
        if pa.types.is_floating(t):
            # Rounded to a value float32 holds exactly, so that the expectation itself is not rounded.
            return float(pa.scalar(rng.uniform(-1e6, 1e6), pa.float32()).as_py())
        if pa.types.is_decimal(t):
            return Decimal(rng.randint(-(10**t.precision) + 1, 10**t.precision - 1)).scaleb(-t.scale)
        if pa.types.is_string(t):
            return "".join(rng.choice("abcXYZ 0189-_éß漢🦆") for _ in range(rng.randint(0, 12)))
        if pa.types.is_boolean(t):
            return rng.random() < 0.5
        if pa.types.is_date(t):
            return date.fromordinal(rng.randint(date(1900, 1, 1).toordinal(), date(2100, 12, 31).toordinal()))
        if pa.types.is_timestamp(t):
            stamp = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randint(-(2**51), 2**52))
            return stamp if t.tz else stamp.replace(tzinfo=None)
        raise TypeError(f"No value generator for Arrow type {t}.")


def _stamps(tz: Any) -> tuple[datetime, ...]:
    return (
        datetime(1970, 1, 1, tzinfo=tz),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=tz),  # just before the epoch: negative storage
        datetime(2024, 2, 29, 12, 30, 45, 123_456, tzinfo=tz),
        datetime(2038, 1, 19, 3, 14, 8, tzinfo=tz),  # past the 32-bit second counter
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=tz),
        datetime(1900, 1, 1, tzinfo=tz),
    )


#: The types a warehouse must round-trip, by the name checks are parametrized with.
TYPE_CASES: dict[str, TypeCase] = {
    "int8": TypeCase(pa.int8(), (-128, 127, 0, -1)),
    "int16": TypeCase(pa.int16(), (-32_768, 32_767, 0)),
    "int32": TypeCase(pa.int32(), (-(2**31), 2**31 - 1, 0)),
    "int64": TypeCase(pa.int64(), (-(2**63), 2**63 - 1, 0)),
    "float32": TypeCase(pa.float32(), (1.5, -2.25, 3.4028234663852886e38, 1.1754943508222875e-38, float("inf"))),
    "float64": TypeCase(pa.float64(), (0.1, -1e-300, 1.7976931348623157e308, float("-inf"), 2.0**53 + 2)),
    "decimal128_18_4": TypeCase(
        pa.decimal128(18, 4),
        (Decimal("99999999999999.9999"), Decimal("-99999999999999.9999"), Decimal("0.0001"), Decimal("0.0000")),
    ),
    "string": TypeCase(
        pa.string(),
        (
            "",
            "plain ascii",
            "ünïcödé ß",
            "emoji 🦆🚀👩‍👩‍👧",
            "漢字かな",
            "quote ' and \" and `",
            "line\nbreak\ttab",
            "x" * 5_000,
        ),
    ),
    "bool": TypeCase(pa.bool_(), (True, False)),
    "date32": TypeCase(pa.date32(), (date(1970, 1, 1), date(1969, 12, 31), date(2024, 2, 29), date(9999, 12, 31))),
    "timestamp_utc": TypeCase(pa.timestamp("us", tz="UTC"), _stamps(UTC)),
    "timestamp_naive": TypeCase(pa.timestamp("us"), _stamps(None)),
}


def _column(case: TypeCase, rng: random.Random, rows: int) -> pa.Array:
    values = list(case.edges) + [case.draw(rng) for _ in range(rows - len(case.edges))]
    rng.shuffle(values)
    # A null at the start, in the middle and at the end: engines have lost each of them before.
    for position in (0, rows // 2, rows - 1):
        values[position] = None
    return pa.array(values, type=case.type)


def typed_table(name: str, *, rows: int = 40, seed: int = SEED) -> pa.Table:
    """Columns ``id`` (0..rows-1) and ``value`` of the type case ``name``, with its edges and nulls."""
    case = TYPE_CASES[name]
    rng = random.Random(f"{seed}:{name}")
    return pa.table({"id": pa.arange(0, rows), "value": _column(case, rng, rows)})


def all_types_table(*, rows: int = 40, seed: int = SEED) -> pa.Table:
    """``id`` and one column per type case, named after it; every column has nulls, one row is all null."""
    rng = random.Random(f"{seed}:all")
    columns = {name: _column(case, rng, rows) for name, case in TYPE_CASES.items()}
    return pa.table({"id": pa.arange(0, rows), **columns})


def numbered_table(rows: int, *, seed: int = SEED) -> pa.Table:
    """``id`` 0..rows-1, a seeded ``score`` in [0, 1) and a ``label`` 'row-<id>', computed by pyarrow."""
    ids = pa.arange(0, rows)
    return pa.table(
        {
            "id": ids,
            "score": pc.random(rows, initializer=seed),
            "label": pc.binary_join_element_wise("row-", pc.cast(ids, pa.string()), ""),
        }
    )


class DataSourceFailed(Exception):
    """Raised on purpose by the suite's own data source, to prove that a failed write changes nothing."""


def failing_reader(table: pa.Table, *, batch_rows: int) -> pa.RecordBatchReader:
    """A reader that yields the first ``batch_rows`` rows of ``table`` as one batch, then raises."""

    def batches() -> Iterator[pa.RecordBatch]:
        yield from table.slice(0, batch_rows).to_batches()
        raise DataSourceFailed("The conformance suite's data source failed on purpose after its first batch.")

    return pa.RecordBatchReader.from_batches(table.schema, batches())


_UTC_NAMES = frozenset({"UTC", "utc", "Etc/UTC", "+00:00", "Z", "GMT", "Etc/GMT"})
_UNIT_RANK = {"s": 0, "ms": 1, "us": 2, "ns": 3}


def accepts_type(written: pa.DataType, read: pa.DataType) -> bool:
    """Whether ``read`` holds every value of ``written`` exactly: the same type, or a lossless widening.

    Engines differ in their type systems (Postgres has no int8, Spark no unsigned types), so a warehouse may
    widen; it may never narrow, change the kind of a value, or drop a time zone.
    """
    if written.equals(read):
        return True
    t = pa.types
    if t.is_signed_integer(written):
        return bool(t.is_signed_integer(read)) and read.bit_width >= written.bit_width
    if t.is_floating(written):
        return bool(t.is_floating(read)) and read.bit_width >= written.bit_width
    if t.is_decimal(written):
        return bool(t.is_decimal(read)) and read.scale == written.scale and read.precision >= written.precision
    if t.is_string(written):
        return bool(t.is_large_string(read) or t.is_string_view(read))
    if t.is_date(written):
        return bool(t.is_date(read))
    if t.is_timestamp(written):
        if not t.is_timestamp(read) or _UNIT_RANK[read.unit] < _UNIT_RANK[written.unit]:
            return False
        if written.tz is None or read.tz is None:
            return written.tz is None and read.tz is None
        return read.tz == written.tz or {read.tz, written.tz} <= _UTC_NAMES
    return False
