"""The one error hierarchy that every plugin maps its tool's errors onto.

Portable code catches these, never ``duckdb.CatalogException`` or ``mlflow.MlflowException``::

    StackhubError
    ├── ConfigError           a stack file or component config is wrong (the user fixes a file)
    ├── PluginNotFound        a stack names a plugin that is not installed or does not exist
    ├── InvalidInput          an operation got arguments the spec forbids (bad SQL, bad schema, ...)
    ├── NotFound              the named object (table, run, project, ...) does not exist
    ├── AlreadyExists         the object to create exists already
    ├── Conflict              the operation contradicts stored state (e.g. changing an immutable param)
    ├── Unavailable           the tool or server cannot be reached or timed out; retrying may help
    └── CapabilityMissing     the plugin does not declare the optional capability the call needs

Every message is a full sentence that names what is wrong and, where there is one, the fix.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "CapabilityMissing",
    "ConfigError",
    "Conflict",
    "InvalidInput",
    "NotFound",
    "PluginNotFound",
    "StackhubError",
    "Unavailable",
]


class StackhubError(Exception):
    """Base of every error stackhub raises on purpose.

    ``fix`` optionally says how to resolve it; the CLI prints it after the message.
    """

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message} {self.fix}"
        return self.message


class ConfigError(StackhubError):
    """A stack file or a component's configuration is invalid."""


class PluginNotFound(ConfigError):
    """A plugin named by a stack file is not installed, or no such plugin exists."""


class InvalidInput(StackhubError):
    """An operation was called with input the spec does not allow."""


class NotFound(StackhubError):
    """The object an operation refers to does not exist."""


class AlreadyExists(StackhubError):
    """The object an operation would create exists already."""


class Conflict(StackhubError):
    """The operation contradicts state that the spec says is immutable."""


class Unavailable(StackhubError):
    """The tool behind a component cannot be reached, or did not answer in time."""


class CapabilityMissing(StackhubError):
    """The component does not declare the optional capability the operation needs."""
