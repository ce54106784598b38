"""Arrow types as the hub names them (``Feature.dtype``, ``describe_table``) and the Feast types they map onto."""

from __future__ import annotations

import re

import pyarrow as pa
from feast import types as feast_types
from stackhub import InvalidInput

__all__ = ["SUPPORTED", "arrow_type", "feast_type", "utc_timestamp"]

_TIMESTAMP = re.compile(r"timestamp\[(s|ms|us|ns)(?:, tz=([^\]]+))?\]")

#: What the plugin maps, as said in errors.
SUPPORTED = "bool, (u)int8-64, float, double, string, large_string, binary, large_binary and timestamp[...]"


def arrow_type(name: str, what: str) -> pa.DataType:
    """The Arrow type that ``name`` (as Arrow prints it, e.g. ``'int64'``, ``'timestamp[us, tz=UTC]'``) denotes."""
    match = _TIMESTAMP.fullmatch(name.strip())
    if match is not None:
        return pa.timestamp(match[1], match[2])
    try:
        return pa.type_for_alias(name.strip())
    except (ValueError, KeyError):
        raise InvalidInput(
            f"{what} has type {name!r}, which is not an Arrow type name this plugin reads.",
            fix=f"Use one of: {SUPPORTED}.",
        ) from None


def feast_type(arrow: pa.DataType, what: str) -> feast_types.FeastType:
    """The Feast type that holds values of ``arrow`` without loss."""
    if pa.types.is_boolean(arrow):
        return feast_types.Bool
    if arrow in (pa.int8(), pa.int16(), pa.int32(), pa.uint8(), pa.uint16()):
        return feast_types.Int32
    if arrow in (pa.int64(), pa.uint32()):
        return feast_types.Int64
    if arrow in (pa.float16(), pa.float32()):
        return feast_types.Float32
    if arrow == pa.float64():
        return feast_types.Float64
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return feast_types.String
    if pa.types.is_binary(arrow) or pa.types.is_large_binary(arrow):
        return feast_types.Bytes
    if pa.types.is_timestamp(arrow):
        return feast_types.UnixTimestamp
    raise InvalidInput(
        f"{what} has type {arrow}, which has no lossless Feast type.",
        fix=f"Cast it in the source table (a view or a new table) to one of: {SUPPORTED}.",
    )


def utc_timestamp(arrow: pa.DataType) -> pa.DataType:
    """A timestamp type of the same unit (at least microseconds), in UTC: how timestamps cross into Feast."""
    unit = "ns" if pa.types.is_timestamp(arrow) and arrow.unit == "ns" else "us"
    return pa.timestamp(unit, "UTC")
