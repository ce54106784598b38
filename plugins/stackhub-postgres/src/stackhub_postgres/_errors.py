"""PostgreSQL errors onto the stackhub hierarchy, by SQLSTATE where the server sent one and by libpq's words where
it could not (a connection that failed or broke has no SQLSTATE)."""

from __future__ import annotations

import re

from stackhub import (
    AlreadyExists,
    ConfigError,
    Conflict,
    InvalidInput,
    NotFound,
    StackhubError,
    Unavailable,
)

__all__ = ["connection_broken", "map_error", "reason", "scrub"]

_SERVER_LINE = re.compile(r"(?:ERROR|FATAL|PANIC):\s+(.*)")
_NOISE = re.compile(r"^(?:[A-Z_]+: )?(?:\[libpq\] )?")

#: Words of libpq (and of the server's FATAL messages) that mean the connection is gone or never came up.
_CONNECTION_WORDS = (
    "failed to connect",
    "could not connect",
    "connection refused",
    "connection to server",
    "server closed the connection",
    "no connection to the server",
    "terminating connection",
    "could not receive data",
    "could not send data",
    "connection timed out",
    "timeout expired",
    "could not translate host name",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "ssl syscall error",
    "eof detected",
    "broken pipe",
    "connection reset",
    "lost synchronization with server",
)
#: Connection failures that retrying cannot fix: the config names something the server does not have.
_CONFIG_WORDS = (
    "password authentication failed",
    "no password supplied",
    "no pg_hba.conf entry",
    "authentication failed",
    "does not exist",  # FATAL: database "x" / role "x" does not exist (only checked for connection failures)
    "ssl is not enabled on the server",
    "server does not support ssl",
)


def scrub(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` masked."""
    if secret:
        text = text.replace(secret, "********")
    return text


def reason(exc: BaseException) -> str:
    """The server's or libpq's own sentence, without the driver's prefixes and the echoed query."""
    text = str(exc)
    for line in text.splitlines():
        found = _SERVER_LINE.search(line)
        if found:
            return found[1].strip().rstrip(".")
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    first = _NOISE.sub("", first)
    first = re.sub(r"^Failed to connect: ", "", first)
    return first.split(" Query was:")[0].strip().rstrip(".")


def connection_broken(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection failed or broke (so the connection must be discarded)."""
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03"}:
        return True
    if sqlstate:
        return False
    text = str(exc).lower()
    return any(word in text for word in _CONNECTION_WORDS)


def _is_connect_failure(exc: BaseException) -> bool:
    return "failed to connect" in str(exc).lower()


def map_error(exc: BaseException, context: str, *, secret: str | None = None) -> StackhubError:
    """Translate an ADBC / libpq error into the stackhub hierarchy: ``context: <the server's reason>.`` + a fix."""
    sqlstate = getattr(exc, "sqlstate", None) or ""
    why = scrub(reason(exc), secret)
    message = f"{context}: {why}" + (f" (SQLSTATE {sqlstate})." if sqlstate else ".")
    klass = sqlstate[:2]

    if not sqlstate:
        # Some driver errors carry no SQLSTATE, only ADBC's status (e.g. its CREATE TABLE of an ingest).
        status = getattr(getattr(exc, "status_code", None), "name", "")
        if status == "ALREADY_EXISTS":
            return AlreadyExists(message, fix="Use mode='overwrite' to replace it, or another name.")
        if status == "NOT_FOUND":
            return NotFound(message, fix="Check the name with list_tables(), or create it first.")
        if status in {"INVALID_ARGUMENT", "INVALID_DATA", "NOT_IMPLEMENTED"}:
            return InvalidInput(message, fix="Fix the statement or the data.")
        lowered = str(exc).lower()
        if _is_connect_failure(exc) and any(word in lowered for word in _CONFIG_WORDS):
            return ConfigError(message, fix="Check the user, password and database of the component's config.")
        if connection_broken(exc):
            fix = "Check that the PostgreSQL server is running and reachable at the configured host and port"
            if "timeout expired" in lowered:
                fix += ", or raise connect_timeout"
            return Unavailable(message, fix=fix + ".")
        if "canceling statement" in lowered:
            return Unavailable(message, fix="Raise statement_timeout, or make the statement cheaper.")
        if "error:" in lowered:  # a server error met while streaming a result: the statement's own fault
            return InvalidInput(message, fix="Fix the statement or the data it reads.")
        return StackhubError(message)

    if sqlstate in {"42P01", "3F000"}:  # undefined table, schema
        return NotFound(message, fix="Check the name with list_tables(), or create it first.")
    if sqlstate in {"42P07", "42P06", "42710"}:  # duplicate table, schema, object
        return AlreadyExists(message, fix="Use mode='overwrite' to replace it, or another name.")
    if sqlstate == "42501":
        return ConfigError(message, fix="Grant the configured role the privilege, or connect as a role that has it.")
    if sqlstate in {"2BP01", "40001", "40P01"} or sqlstate in {"23505", "23503", "23P01"}:
        return Conflict(message, fix="Resolve the conflicting stored state (or retry a serialization failure).")
    if klass in {"08", "53", "57"} or sqlstate == "55P03":  # connection, resources, operator intervention, lock
        fix = (
            "Raise statement_timeout, or make the statement cheaper."
            if sqlstate == "57014"
            else "Check that the PostgreSQL server is running and reachable, then retry."
        )
        return Unavailable(message, fix=fix)
    if klass in {"28", "3D"}:  # invalid authorization, invalid catalog (database) name
        return ConfigError(message, fix="Check the user, password and database of the component's config.")
    if klass in {"42", "22", "23", "0A", "21", "44"}:
        return InvalidInput(message, fix="Fix the statement or the data.")
    return StackhubError(message)
