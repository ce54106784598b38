from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

DEFAULT_URL = "http://127.0.0.1:8080"


class LabelStudioConfig(BaseModel):
    """Config of the Label Studio labeling component.

    The token is a secret: write ``token: ${LABEL_STUDIO_TOKEN}`` in the stack file so that it comes from the
    environment. It is never printed: not in messages, not in ``repr()``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(
        default=DEFAULT_URL,
        min_length=1,
        description="Base URL of the Label Studio server, e.g. 'http://127.0.0.1:8080' or 'https://host/ls'.",
    )
    token: SecretStr = Field(
        description="An access token of a Label Studio user: a personal access token (Account & Settings > "
        "Personal Access Token; a JWT) or a legacy token (40 hex characters). Write '${LABEL_STUDIO_TOKEN}'."
    )
    token_kind: Literal["auto", "personal", "legacy"] = Field(
        default="auto",
        description="'personal': a personal access token, exchanged at /api/token/refresh/ for short-lived access "
        "tokens sent as 'Authorization: Bearer'; 'legacy': sent as 'Authorization: Token'; 'auto': personal when "
        "the token is a JWT, legacy otherwise.",
    )
    timeout: float = Field(default=30.0, gt=0, le=3600, description="Seconds one HTTP request may take.")
    retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of an idempotent request (GET, DELETE, the token refresh) that failed to connect, "
        "timed out or got 429/502/503/504, after 0.5 s, 1 s, 2 s, ... of back-off. Requests that create "
        "something (task import, annotations, predictions) are never retried: a retried submit_tasks() is safe "
        "anyway, because tasks are idempotent by key. health() never retries.",
    )
    chunk_size: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Rows per import request (tasks, predictions); a request is also split to stay under "
        "max_request_mb.",
    )
    max_request_mb: float = Field(
        default=50.0,
        gt=0,
        le=1000,
        description="Largest JSON body sent in one request, in MB. Label Studio refuses bodies over its "
        "DATA_UPLOAD_MAX_MEMORY_SIZE (250 MB by default); a proxy in front of it may allow less.",
    )
    create_annotators: bool = Field(
        default=True,
        description="annotate() records an 'annotator' as the Label Studio user of that username or email; "
        "when there is none, create it (a user without password; needs a token of an organization admin in "
        "Label Studio Enterprise). False: an unknown annotator is an error.",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, not {value!r}")
        return value.rstrip("/")
