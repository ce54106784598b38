from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TRACKING_URI = "sqlite:///.stackhub/mlflow.db"
DEFAULT_ARTIFACT_LOCATION = ".stackhub/mlartifacts"


class MlflowConfig(BaseModel):
    """Config of the MLflow tracker.

    Credentials are not config fields: MLflow reads ``MLFLOW_TRACKING_TOKEN`` or ``MLFLOW_TRACKING_USERNAME`` /
    ``MLFLOW_TRACKING_PASSWORD`` from the environment, so they never sit in a stack file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tracking_uri: str = Field(
        default=DEFAULT_TRACKING_URI,
        min_length=1,
        description="'sqlite:///path.db' for the embedded store (no server), or 'http://host:port' for a server.",
    )
    registry_uri: str | None = Field(default=None, description="Model registry URI; defaults to tracking_uri.")
    artifact_location: str = Field(
        default=DEFAULT_ARTIFACT_LOCATION,
        min_length=1,
        description="Folder for the artifacts of experiments created on the embedded store. A server stores "
        "artifacts where its own --artifacts-destination says; this field is not used then.",
    )
    # Whole seconds: MLflow reads its HTTP timeout as an integer.
    timeout: int = Field(default=10, ge=1, le=3600, description="Seconds one HTTP request to a server may take.")
    max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of a failed HTTP request (refused connection, timeout, 429/5xx), after 0 s, 2 s, "
        "4 s, ... of back-off. An unreachable server fails an operation within (max_retries + 1) * timeout "
        "plus that back-off; health() never retries, so it answers within timeout.",
    )
