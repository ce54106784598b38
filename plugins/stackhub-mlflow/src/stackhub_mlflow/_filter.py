"""The portable run-search grammar of ``Tracker.search_runs``, checked and rewritten into MLflow's syntax.

MLflow's own parser accepts far more (``OR`` in some stores, ``LIKE``, ``IN``, ``datasets.*``), so a filter that
works here would not be portable; anything outside the spec's grammar is refused with the reason. Keys are
re-emitted in backticks, which MLflow needs for names with dots (``metrics.`val.loss```).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import get_args

from stackhub import InvalidInput
from stackhub.categories.tracker import RunStatus

__all__ = ["to_mlflow_filter", "to_mlflow_order_by"]

_NAME = r"[A-Za-z0-9_\-./]+"
_TOKENS = re.compile(
    rf"""\s*(?:
      (?P<key>(?:metrics|params|tags)\.{_NAME}|attributes\.[A-Za-z_]+)
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])
    | (?P<string>'[^']*')
    | (?P<other>\S+)
    )""",
    re.VERBOSE,
)
_FILTER_ATTRIBUTES = ("status", "run_name")
_ORDER_ATTRIBUTES = ("status", "run_name", "start_time", "end_time")
_METRIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STRING_OPS = ("=", "!=")
_STATUSES = get_args(RunStatus)

_GRAMMAR = (
    "A filter is comparisons joined by 'and': metrics.K with = != < <= > >= and a number; params.K, tags.K, "
    "attributes.status or attributes.run_name with = or != and a single-quoted string. K is letters, digits "
    "and _ - . /"
)


def _fail(text: str, position: int, problem: str) -> InvalidInput:
    return InvalidInput(f"Invalid search filter {text!r} at position {position}: {problem}.", fix=_GRAMMAR + ".")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out = []
    position = 0
    while position < len(text):
        match = _TOKENS.match(text, position)
        if match is None:  # only trailing whitespace is left
            break
        kind = match.lastgroup
        assert kind is not None
        out.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return out


def _mlflow_key(key: str) -> tuple[str, str]:
    """``metrics.val.loss`` -> ``("metrics", "metrics.`val.loss`")``."""
    kind, _, name = key.partition(".")
    return kind, f"{kind}.{name}" if kind == "attributes" else f"{kind}.`{name}`"


def to_mlflow_filter(text: str | None) -> str:
    """Check ``text`` against the portable grammar and return the equivalent MLflow filter string."""
    if text is None or not text.strip():
        return ""
    tokens = _tokens(text)
    clauses: list[str] = []
    index = 0
    while True:
        if index + 3 > len(tokens):
            position = tokens[index][2] if index < len(tokens) else len(text)
            raise _fail(text, position, "the comparison is incomplete; expected a key, an operator and a value")
        (kind, key, key_at), (op_kind, op, op_at), (value_kind, value, value_at) = tokens[index : index + 3]
        if kind != "key":
            raise _fail(text, key_at, f"expected metrics.K, params.K, tags.K or attributes.*, found {key!r}")
        prefix, mlflow_key = _mlflow_key(key)
        if prefix == "attributes" and key.partition(".")[2] not in _FILTER_ATTRIBUTES:
            raise _fail(text, key_at, f"{key!r} cannot be filtered on; use attributes.status or attributes.run_name")
        if op_kind != "op":
            raise _fail(text, op_at, f"expected an operator after {key!r}, found {op!r}")
        if prefix == "metrics":
            if op not in _METRIC_OPS:
                raise _fail(text, op_at, f"{op!r} is not an operator")
            if value_kind != "number":
                raise _fail(text, value_at, f"a metric is compared with a number, found {value!r}")
            # Plain decimal notation: MLflow's tokenizer (sqlparse) does not read every exponent form.
            literal = format(Decimal(value), "f")
        else:
            if op not in _STRING_OPS:
                raise _fail(text, op_at, f"{key!r} takes only = or !=, found {op!r}")
            if value_kind != "string":
                raise _fail(text, value_at, f"{key!r} is compared with a single-quoted string, found {value!r}")
            if key == "attributes.status" and value.strip("'") not in _STATUSES:
                raise _fail(text, value_at, f"a run status is one of {', '.join(_STATUSES)}, found {value}")
            literal = value
        clauses.append(f"{mlflow_key} {op} {literal}")
        index += 3
        if index == len(tokens):
            return " and ".join(clauses)
        kind, word, word_at = tokens[index]
        if word.lower() != "and" or kind != "other":
            raise _fail(text, word_at, f"expected 'and' between comparisons, found {word!r}")
        index += 1


def to_mlflow_order_by(items: Sequence[str]) -> list[str]:
    """Check ``"metrics.K DESC"``-style items and return them in MLflow's syntax."""
    if isinstance(items, str):
        raise InvalidInput("order_by takes a list of items such as ['metrics.loss ASC'], not one string.")
    out = []
    for item in items:
        parts = item.split()
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        key_match = (
            re.fullmatch(rf"(?:metrics|params|tags)\.{_NAME}|attributes\.([a-z_]+)", parts[0]) if parts else None
        )
        if (
            key_match is None
            or len(parts) > 2
            or direction not in ("ASC", "DESC")
            or (key_match.group(1) is not None and key_match.group(1) not in _ORDER_ATTRIBUTES)
        ):
            raise InvalidInput(
                f"Invalid order_by item {item!r}.",
                fix="Use 'metrics.K', 'params.K', 'tags.K' or 'attributes.' + one of "
                f"{', '.join(_ORDER_ATTRIBUTES)}, optionally followed by ASC or DESC.",
            )
        out.append(f"{_mlflow_key(parts[0])[1]} {direction}")
    return out
