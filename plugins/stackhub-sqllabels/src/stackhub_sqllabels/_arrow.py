"""Column builders, all in Arrow compute: no Python loop ever touches a row; the input checks every labeling
plugin shares come from ``stackhub.categories.labeling_input``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
from stackhub.categories.labeling_input import UTC_MICROS

__all__ = ["now", "row_ids"]


def row_ids(n: int) -> pa.Array:
    """``n`` ids unique across calls: a random prefix per call plus the zero-padded row number, so that ids
    sort in row order within a call."""
    numbers = pc.cast(pc.cumulative_sum(pa.repeat(1, n)), pa.string())
    return pc.binary_join_element_wise(f"{uuid.uuid4().hex}-", pc.utf8_lpad(numbers, len(str(n)), "0"), "")


def now(n: int) -> pa.Array:
    """One timestamp for every row that a call records: the rows of one call were made together."""
    return pa.repeat(pa.scalar(datetime.now(UTC), UTC_MICROS), n)
