"""Statements the suite enforces that the spec's docstrings do not say in MUST words yet.

Every other check carries a sentence copied from a category interface's docstrings. These few are the suite's
own reading of the spec (the descriptor, config errors, what a write stores), each proposed for the spec's
docstrings; once a sentence lands there, the check carries the spec's wording and the entry goes.
"""

from __future__ import annotations

__all__ = ["RULES"]

RULES: dict[str, str] = {
    "descriptor": (
        "A plugin's descriptor MUST name a spec version this core supports (the same major version, a minor "
        "version at most the core's) and only capabilities its category defines, and MUST name a config model and "
        "a component class that implements its category's interface and the interface of every capability it "
        "declares."
    ),
    "config": "Building a component from a config its model rejects MUST raise ``ConfigError``.",
    "write_round_trip": (
        "A write MUST store every row and column of the data, given as a Table or as a RecordBatchReader, so that "
        "a query of the table returns the same column names and values, with the same Arrow types or lossless "
        "widenings of them."
    ),
    "append": "``append`` MUST add the data's rows to the table's and keep the rows it had.",
    "labeling_rejected_call": "A call that raises MUST leave the project as it was.",
    "write_result": (
        "A write MUST return a ``WriteResult`` with the table, the mode, the number of rows it wrote and the "
        "table's ``dataset``."
    ),
}
