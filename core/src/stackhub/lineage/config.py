"""The stack file's ``lineage`` key.

    lineage:
      namespace: churn            # job namespace; default: the stack's name
      transport:                  # one transport or a list; default: the embedded store
        - {type: store, path: .stackhub/lineage.db}
        - {type: http, url: "http://127.0.0.1:5000", api_key: "${MARQUEZ_TOKEN}"}
      spool: .stackhub/lineage-spool.db
      flush_timeout: 5

When the key is absent, lineage goes to the embedded store at ``.stackhub/lineage.db``; ``enabled: false``
turns it off. Relative paths are relative to the working directory, as the DuckDB plugin's ``path`` is.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "DEFAULT_SPOOL",
    "DEFAULT_STORE",
    "ConsoleTransport",
    "FileTransport",
    "HttpTransport",
    "LineageConfig",
    "StoreTransport",
    "TransportConfig",
]

DEFAULT_STORE = ".stackhub/lineage.db"
DEFAULT_SPOOL = ".stackhub/lineage-spool.db"


class _Transport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreTransport(_Transport):
    """The embedded system of record (sqlite), queried with ``stackhub lineage upstream|downstream|serve``."""

    type: Literal["store"] = "store"
    path: str = Field(default=DEFAULT_STORE, min_length=1, description="The store's sqlite file.")


class FileTransport(_Transport):
    """openlineage-python's file transport: one JSON event per line, appended."""

    type: Literal["file"]
    path: str = Field(min_length=1, description="The JSON-lines file events are appended to.")


class ConsoleTransport(_Transport):
    """openlineage-python's console transport: each event logged as JSON on standard error."""

    type: Literal["console"]


class HttpTransport(_Transport):
    """openlineage-python's HTTP transport, to any OpenLineage backend (Marquez, ``stackhub lineage serve``)."""

    type: Literal["http"]
    url: str = Field(min_length=1, description="The backend's base URL, e.g. 'http://127.0.0.1:5000'.")
    endpoint: str = Field(default="api/v1/lineage", description="Path of the lineage endpoint under url.")
    api_key: str | None = Field(default=None, description="Sent as 'Authorization: Bearer <api_key>'.")
    timeout: float = Field(default=5.0, gt=0, description="Seconds per request.")
    compression: Literal["gzip"] | None = Field(default=None, description="Compress request bodies.")


TransportConfig = Annotated[
    StoreTransport | FileTransport | ConsoleTransport | HttpTransport, Field(discriminator="type")
]


def _default_transports() -> list[StoreTransport | FileTransport | ConsoleTransport | HttpTransport]:
    return [StoreTransport()]


def _as_list(value: Any) -> Any:
    # One transport may be written without a list; as a list, a mistake is reported once, at its index.
    return [value] if isinstance(value, dict | BaseModel) else value


class LineageConfig(BaseModel):
    """Where the OpenLineage events of a stack's operations go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Emit lineage for the stack's operations.")
    namespace: str | None = Field(default=None, min_length=1, description="Job namespace; default: the stack name.")
    transport: Annotated[
        list[TransportConfig],
        BeforeValidator(_as_list, json_schema_input_type=TransportConfig | list[TransportConfig]),
    ] = Field(default_factory=_default_transports, description="One destination or several; each gets every event.")
    spool: str = Field(
        default=DEFAULT_SPOOL,
        min_length=1,
        description="The sqlite spool events wait in until every destination has accepted them.",
    )
    flush_timeout: float = Field(
        default=5.0,
        ge=0,
        description="Seconds that closing a stack (or the process exiting) waits for delivery; "
        "what is not delivered by then stays spooled for the next process or 'stackhub lineage flush'.",
    )

    @property
    def transports(self) -> list[StoreTransport | FileTransport | ConsoleTransport | HttpTransport]:
        return list(self.transport)

    @property
    def store_path(self) -> str | None:
        """The embedded store's file, where lineage queries look; None when no transport is the store."""
        return next((t.path for t in self.transports if isinstance(t, StoreTransport)), None)
