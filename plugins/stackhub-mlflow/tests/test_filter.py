"""The portable search grammar, rewritten into MLflow's: no store needed (the stores run it in test_tracker.py)."""

from __future__ import annotations

import pytest
from stackhub import InvalidInput
from stackhub_mlflow._filter import to_mlflow_filter, to_mlflow_order_by


@pytest.mark.parametrize(
    ("portable", "mlflow"),
    [
        (None, ""),
        ("   ", ""),
        ("metrics.loss < 0.5", "metrics.`loss` < 0.5"),
        ("metrics.val.loss>=1e3", "metrics.`val.loss` >= 1000"),
        ("metrics.m > -2.5E-2", "metrics.`m` > -0.025"),
        ("params.lr = '0.1' AND tags.note != 'a and b'", "params.`lr` = '0.1' and tags.`note` != 'a and b'"),
        (
            "attributes.status = 'KILLED' and attributes.run_name != ''",
            "attributes.status = 'KILLED' and attributes.run_name != ''",
        ),
        ("tags.team/sub-team = 'x'", "tags.`team/sub-team` = 'x'"),
    ],
)
def test_portable_filters_become_mlflow_filters(portable: str | None, mlflow: str) -> None:
    assert to_mlflow_filter(portable) == mlflow


@pytest.mark.parametrize(
    ("portable", "position", "problem"),
    [
        ("metrics.a < 1 or metrics.b > 2", 14, "expected 'and' between comparisons, found 'or'"),
        ("params.lr = 0.1", 12, "'params.lr' is compared with a single-quoted string, found '0.1'"),
        ("tags.t < 'x'", 7, "'tags.t' takes only = or !=, found '<'"),
        ("metrics.a = 'x'", 12, "a metric is compared with a number, found \"'x'\""),
        ("metrics.a = 5x", 12, "a metric is compared with a number, found '5x'"),
        ("attributes.status = 'DONE'", 20, "a run status is one of RUNNING, FINISHED, FAILED, KILLED, found 'DONE'"),
        ("attributes.end_time = '1'", 0, "'attributes.end_time' cannot be filtered on"),
        ("metric.a > 1", 0, "expected metrics.K, params.K, tags.K or attributes.*, found 'metric.a'"),
        ("metrics.a LIKE 1", 10, "expected an operator after 'metrics.a', found 'LIKE'"),
        ("metrics.a > 1 and", 17, "the comparison is incomplete"),
        ("metrics.a > 1 metrics.b > 1", 14, "expected 'and' between comparisons, found 'metrics.b'"),
        ("params.`odd key` = 'x'", 0, "expected metrics.K"),
        ("params.a = 'it''s'", 15, "expected 'and' between comparisons"),
    ],
)
def test_filters_outside_the_grammar_say_where_and_why(portable: str, position: int, problem: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        to_mlflow_filter(portable)
    assert raised.value.message.startswith(f"Invalid search filter {portable!r} at position {position}: {problem}")
    assert "joined by 'and'" in str(raised.value.fix)


def test_order_by_items() -> None:
    assert to_mlflow_order_by(["metrics.val.loss desc", "params.a", "attributes.start_time ASC"]) == [
        "metrics.`val.loss` DESC",
        "params.`a` ASC",
        "attributes.start_time ASC",
    ]
    assert to_mlflow_order_by(()) == []


@pytest.mark.parametrize("items", [["metrics.a DOWN"], ["attributes.id"], ["x.y"], [""], ["metrics.a ASC extra"]])
def test_bad_order_by_items(items: list[str]) -> None:
    with pytest.raises(InvalidInput, match="Invalid order_by item"):
        to_mlflow_order_by(items)


def test_order_by_is_a_list_not_a_string() -> None:
    with pytest.raises(InvalidInput, match="not one string"):
        to_mlflow_order_by("metrics.a DESC")
