"""MLflow errors onto the stackhub hierarchy, with any password in a URI masked."""

from __future__ import annotations

import re

from stackhub import AlreadyExists, ConfigError, InvalidInput, NotFound, StackhubError, Unavailable

__all__ = ["map_error", "redact"]

# user:password@ in any URI (http://, postgresql://, ...): MLflow puts URIs into its messages verbatim.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s:]*(?::[^/@\s]*)?@")

_NOT_FOUND = {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"}
_ALREADY_EXISTS = {"RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"}
_INVALID = {"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "MALFORMED_REQUEST", "INVALID_STATE", "INVALID_ARGUMENT"}
_UNAVAILABLE = {"TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED", "DEADLINE_EXCEEDED", "ENDPOINT_NOT_FOUND"}
_UNAUTHENTICATED = {"UNAUTHENTICATED", "PERMISSION_DENIED", "CUSTOMER_UNAUTHORIZED"}

# MLflow wraps the requests/urllib3 error of an HTTP call into a plain MlflowException(INTERNAL_ERROR) raised
# inside the ``except`` block, so the cause is only found on the exception chain, by class name (importing
# requests here would tie this module to MLflow's HTTP stack).
_UNREACHABLE_CLASSES = {
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "Timeout",
    "RetryError",
    "MaxRetryError",
    "NewConnectionError",
    "ConnectionRefusedError",
    "TimeoutError",
}


def redact(text: str) -> str:
    """Mask credentials embedded in URIs: ``http://alice:s3cret@host`` -> ``http://***@host``."""
    return _USERINFO.sub(r"\g<scheme>***@", text)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes/contexts, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` or anything on its cause/context chain is a connection failure or a timeout."""
    return any(type(link).__name__ in _UNREACHABLE_CLASSES for link in _chain(exc))


def _reason(exc: BaseException) -> str:
    # The first line is MLflow's sentence; the rest is often a SQL statement or a traceback of the server.
    text = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return redact(text[0]) if text else type(exc).__name__


def _root_reason(exc: BaseException) -> str:
    """The innermost cause, e.g. ``Connection refused`` or ``timed out``, not urllib3's retry wrapping."""
    return re.sub(r"^\[Errno -?\d+\]\s*", "", _reason(_chain(exc)[-1]))


def map_error(exc: Exception, context: str, *, where: str) -> StackhubError:
    """Translate an MLflow, HTTP or file error raised while doing ``context`` against the store at ``where``."""
    if isinstance(exc, StackhubError):
        return exc
    code = getattr(exc, "error_code", None)
    reason = _reason(exc)
    message = f"{context}: {reason}"
    if is_unreachable(exc) or code in _UNAVAILABLE:
        return Unavailable(
            f"{context}: the MLflow store at {redact(where)} did not answer: {_root_reason(exc)}.",
            fix="Check that the server is running and reachable, or raise 'timeout' / 'max_retries'.",
        )
    # An HTTP error that MLflow let through (artifact transfers raise requests' HTTPError as it is).
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if code in _NOT_FOUND or status == 404:
        return NotFound(message)
    if code in _ALREADY_EXISTS:
        return AlreadyExists(message)
    if code in _INVALID:
        return InvalidInput(message)
    if code in _UNAUTHENTICATED or status in (401, 403):
        return ConfigError(
            message, fix="Set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD."
        )
    # SQLAlchemy's OperationalError: the database cannot be opened, is locked, or its server is down.
    if (isinstance(status, int) and status >= 500) or any(
        type(link).__name__ == "OperationalError" for link in _chain(exc)
    ):
        return Unavailable(message, fix=f"Check the MLflow store at {redact(where)}.")
    if isinstance(exc, OSError) and status is None:
        # The embedded store's database or artifact folder: missing permissions, a full disk, a lock.
        return Unavailable(message, fix=f"Check that the files of {redact(where)} are readable and writable.")
    return StackhubError(message)
