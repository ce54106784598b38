"""The request checks and spec rules every monitor plugin shares (stackhub.categories.monitor_input), on schemas
alone: the plugins' own tests run them through real tools."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from stackhub import InvalidInput
from stackhub.categories import monitor_input
from stackhub.categories.monitor import DEFAULT_THRESHOLDS, default_method
from stackhub.categories.monitor_input import Planned

SCHEMA = pa.schema(
    {
        "a": pa.float64(),
        "n": pa.dictionary(pa.int8(), pa.int32()),
        "s": pa.string(),
        "d": pa.dictionary(pa.int8(), pa.string()),
    }
)


def plan(reference: pa.Schema = SCHEMA, current: pa.Schema = SCHEMA, **options: Any) -> list[Planned]:
    return monitor_input.plan(
        reference,
        current,
        options.get("columns"),
        options.get("column_types"),
        options.get("methods"),
        options.get("thresholds"),
    )


def test_columns_default_to_the_references_typed_by_arrow() -> None:
    assert plan() == [
        Planned("a", "numerical", None, None),
        Planned("n", "numerical", None, None),  # a dictionary counts as its values
        Planned("s", "categorical", None, None),
        Planned("d", "categorical", None, None),
    ]


def test_the_callers_columns_types_methods_and_thresholds_are_kept() -> None:
    got = plan(
        columns=["s", "a"],
        column_types={"a": "categorical"},
        methods={"a": "psi"},
        thresholds={"s": 1},
    )
    assert got == [Planned("s", "categorical", None, 1.0), Planned("a", "categorical", "psi", None)]
    assert isinstance(got[0].threshold, float)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"columns": "a"}, "columns is the string 'a', not a list of column names."),
        ({"columns": []}, "There are no columns to compare."),
        ({"columns": ["a", "a"]}, "Column 'a' is requested more than once."),
        ({"columns": ["z"]}, "Column 'z' is missing from the reference dataset."),
        ({"thresholds": {"z": 0.1}}, "thresholds names column 'z', which the report does not compare."),
        ({"column_types": {"a": "ordinal"}}, "Column type 'ordinal' of 'a' is not one of numerical, categorical."),
        ({"column_types": {"s": "numerical"}}, "Column 's' cannot be numerical: it is string in the reference"),
        ({"methods": {"a": "t-test"}}, "Unknown drift method 't-test' for 'a'."),
        ({"methods": {"a": "chisquare"}}, "Method 'chisquare' does not apply to the numerical column 'a'."),
        ({"methods": {"s": "ks"}}, "Method 'ks' does not apply to the categorical column 's'."),
        ({"thresholds": {"a": float("inf")}}, "Threshold inf for 'a' is not a finite number."),
        ({"thresholds": {"a": True}}, "Threshold True for 'a' is not a finite number."),
        ({"thresholds": {"a": "0.1"}}, "Threshold '0.1' for 'a' is not a finite number."),
    ],
)
def test_bad_requests_say_what_where_and_the_fix(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        plan(**options)
    assert raised.value.message.startswith(message)
    assert raised.value.fix


def test_a_method_that_does_not_apply_names_those_that_do() -> None:
    with pytest.raises(InvalidInput) as raised:
        plan(methods={"a": "chisquare"})
    assert raised.value.fix == "Use one of ks, wasserstein, jensenshannon, psi."
    with pytest.raises(InvalidInput) as raised:
        plan(methods={"s": "ks"})
    assert raised.value.fix == "Use one of chisquare, jensenshannon, psi."


def test_each_dataset_must_hold_each_compared_column_once() -> None:
    with pytest.raises(
        InvalidInput, match=r"^Column 'a' is missing from the current dataset\. Its columns are: none\."
    ):
        plan(current=pa.schema({}), columns=["a"])
    twice = pa.schema([("a", pa.float64()), ("a", pa.string()), ("b", pa.int8())])
    with pytest.raises(InvalidInput, match="The current dataset has more than one column named 'a'"):
        plan(SCHEMA.append(pa.field("b", pa.int8())), twice, columns=["a", "b"])
    assert plan(twice.remove(0), twice, columns=["b"]) == [Planned("b", "numerical", None, None)]


@pytest.mark.parametrize("rows", [10, 1000, 1001])
def test_unconfigured_columns_get_the_spec_defaults_for_the_references_values(rows: int) -> None:
    for planned in plan():
        decided = monitor_input.decide(planned, rows, 5)
        assert decided.method == default_method(planned.column_type, rows)
        assert decided.threshold == DEFAULT_THRESHOLDS[decided.method]
    configured = monitor_input.decide(Planned("a", "numerical", "psi", 0.2), rows, 5)
    assert (configured.method, configured.threshold) == ("psi", 0.2)


@pytest.mark.parametrize(("counts", "dataset"), [((0, 5), "reference"), ((5, 0), "current"), ((0, 0), "reference")])
def test_a_column_without_values_to_compare_is_refused(counts: tuple[int, int], dataset: str) -> None:
    with pytest.raises(InvalidInput, match=f"^Column 'a' has no values to compare in the {dataset} dataset") as raised:
        monitor_input.decide(Planned("a", "numerical", None, None), *counts)
    assert raised.value.fix == "Leave the column out of the report (columns=...)."


def test_the_report_follows_the_spec_rules() -> None:
    ks = monitor_input.decide(Planned("a", "numerical", "ks", None), 100, 100)
    psi = monitor_input.decide(Planned("s", "categorical", "psi", None), 100, 100)
    assert ks.drift(0.05).drifted is False  # a p-value at the threshold is not drift
    assert psi.drift(0.1).drifted is True  # a distance at the threshold is
    report = monitor_input.report([ks.drift(0.01), psi.drift(0.0)], reference_rows=100, current_rows=90)
    assert (report.drift_share, report.dataset_drifted) == (0.5, True)
    assert (report.reference_rows, report.current_rows) == (100, 90)
    report = monitor_input.report([ks.drift(0.5), psi.drift(0.0)], reference_rows=100, current_rows=90)
    assert (report.drift_share, report.dataset_drifted) == (0.0, False)
