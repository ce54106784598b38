from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

DEFAULT_PROJECT = "stackhub"


class EvidentlyConfig(BaseModel):
    """Config of the Evidently monitor. Every field is optional: without a workspace, reports stay in the process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workspace: str | None = Field(
        default=None,
        min_length=1,
        description="Where each drift report is also stored as an Evidently run, to browse in Evidently's UI: "
        "'http(s)://host:port' of an Evidently UI service (`evidently ui`), or a local workspace folder (the one "
        "`evidently ui --workspace FOLDER` serves; a relative path is taken from the folder the component is "
        "built in). None keeps reports in the process only.",
    )
    project: str = Field(
        default=DEFAULT_PROJECT,
        min_length=1,
        pattern=r"^[^/\\]+$",
        description="The workspace project that receives the runs: its name (created when no project has it) "
        "or its id.",
    )
    secret: SecretStr | None = Field(
        default=None,
        description="The secret of an Evidently UI service started with --secret (needed to write to it). Put it "
        "in the environment and write '${EVIDENTLY_SECRET}' in the stack file.",
    )
    timeout: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="Seconds health() waits for an Evidently UI service to answer.",
    )
