"""Spark's errors, mapped onto stackhub's: by Spark's error condition (``TABLE_OR_VIEW_NOT_FOUND``, ...), which
classic pyspark, Spark Connect and the JVM all report the same way."""

from __future__ import annotations

import re

from stackhub import AlreadyExists, Conflict, InvalidInput, NotFound, StackhubError, Unavailable

__all__ = ["JAVA_FIX", "conditions", "map_error"]

#: How to get the Java that pyspark needs.
JAVA_FIX = (
    "Spark needs Java 17 or newer: install it (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) "
    "or point JAVA_HOME at one."
)

_CONDITION = re.compile(r"\[([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)\]")

_NOT_FOUND = frozenset({"TABLE_OR_VIEW_NOT_FOUND", "SCHEMA_NOT_FOUND", "PATH_NOT_FOUND", "NO_SUCH_TABLE"})
_EXISTS = frozenset({"TABLE_OR_VIEW_ALREADY_EXISTS", "SCHEMA_ALREADY_EXISTS", "TEMP_TABLE_OR_VIEW_ALREADY_EXISTS"})
_CONFLICT = frozenset({"LOCATION_ALREADY_EXISTS"})
_CONFIG = frozenset({"CANNOT_MODIFY_CONFIG", "CANNOT_MODIFY_STATIC_CONFIG", "INVALID_CONF_VALUE"})
_GONE = frozenset({"JAVA_GATEWAY_EXITED", "RETRIES_EXCEEDED", "SESSION_CLOSED", "NO_ACTIVE_SESSION"})
_METASTORE_BUSY = ("Another instance of Derby may have already booted the database",)
_GONE_TEXT = (
    "SparkContext was shut down",
    "Cannot call methods on a stopped SparkContext",
    "Answer from Java side is empty",
    "Error while sending or receiving",
    "failed to connect to all addresses",
    "Connection refused",
    "StatusCode.UNAVAILABLE",
    "StatusCode.DEADLINE_EXCEEDED",
)


def conditions(exc: BaseException) -> set[str]:
    """Spark's error conditions named by ``exc`` (its own, and those quoted in its message), without sub-classes."""
    found: list[str] = []
    get = getattr(exc, "getCondition", None)
    if callable(get):
        try:
            condition = get()
        except Exception:  # a pyspark error without a JVM counterpart may fail to answer
            condition = None
        if condition:
            found.append(str(condition))
    found += _CONDITION.findall(str(exc))
    return {c.split(".")[0] for c in found}


def _reason(exc: BaseException) -> str:
    """The line of Spark's message that says what went wrong: the innermost ``[CONDITION] ...`` one when a job
    failure wraps it, else the first."""
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    tagged = [line[m.start() :] for line in lines if (m := _CONDITION.search(line))]
    line = tagged[-1] if tagged else lines[0]
    return line if len(line) <= 600 else line[:597] + "..."


def _converted(exc: BaseException) -> BaseException:
    """A raw Py4JJavaError (from pyspark internals that do not convert it) as the pyspark error it stands for."""
    try:
        from py4j.protocol import Py4JJavaError
    except ImportError:  # pragma: no cover - py4j comes with pyspark
        return exc
    if not isinstance(exc, Py4JJavaError):
        return exc
    from pyspark.errors.exceptions.captured import convert_exception

    try:
        converted: BaseException = convert_exception(exc.java_exception)  # what pyspark's own calls do
    except Exception:  # the JVM is gone: keep the original, which says so
        converted = exc
    return converted


def _unreachable(exc: BaseException, found: set[str]) -> bool:
    if found & _GONE or isinstance(exc, ConnectionError | TimeoutError):
        return True
    try:
        from py4j.protocol import Py4JNetworkError
    except ImportError:  # pragma: no cover
        Py4JNetworkError = ()
    if isinstance(exc, Py4JNetworkError):
        return True
    text = str(exc)
    return any(marker in text for marker in _GONE_TEXT)


def map_error(exc: BaseException, context: str) -> StackhubError:
    """Translate an error raised by pyspark (classic or Connect) into the stackhub hierarchy."""
    if isinstance(exc, StackhubError):
        return exc
    exc = _converted(exc)
    from pyspark.errors import (
        AnalysisException,
        ArithmeticException,
        DateTimeException,
        IllegalArgumentException,
        PySparkTypeError,
        PySparkValueError,
        SparkRuntimeException,
    )

    found = conditions(exc)
    message = f"{context}: {_reason(exc)}"
    if found & _NOT_FOUND:
        return NotFound(message, fix="Check the name with list_tables().")
    if found & _EXISTS:
        return AlreadyExists(message, fix="Use mode='overwrite' to replace it, or another name.")
    if found & _CONFLICT:
        return Conflict(
            message,
            fix="The table's folder in the warehouse holds files the catalog does not know (e.g. written by an "
            "earlier Spark process with the in-memory catalog): delete that folder, or set catalog: hive to keep "
            "tables across processes.",
        )
    if any(marker in str(exc) for marker in _METASTORE_BUSY):
        return Unavailable(
            message,
            fix="The embedded Hive metastore (Derby) is open in another process, and Derby allows one: close that "
            "process, or point spark.hadoop.hive.metastore.uris at a metastore server.",
        )
    if found & _CONFIG:
        from stackhub import ConfigError

        return ConfigError(message, fix="Set it when Spark starts (in the Spark Connect server's own settings).")
    if _unreachable(exc, found):
        return Unavailable(message, fix="Check that Spark (the driver JVM or the Spark Connect server) is running.")
    if isinstance(
        exc,
        AnalysisException
        | ArithmeticException
        | DateTimeException
        | IllegalArgumentException
        | SparkRuntimeException
        | PySparkTypeError
        | PySparkValueError,
    ) or any(
        c.startswith(("CAST_", "ARITHMETIC_", "DIVIDE_BY_ZERO", "NUMERIC_", "INVALID_", "DATATYPE_")) for c in found
    ):
        return InvalidInput(message, fix="Fix the statement or the data.")
    return StackhubError(message)
