"""The ``stackhub_*`` custom facets: what the standard OpenLineage facets cannot say about an ML stack.

Each model is the spec of one facet. ``stackhub specs generate`` publishes its JSON Schema at
``specs/v1/facets/<ClassName>.json`` in the shape of the official facet schemas (the facet's own properties
``allOf`` the OpenLineage base facet it extends), and every emitted facet's ``_schemaURL`` points at it.
Field names are camelCase, as in every OpenLineage facet.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..plugin import SPEC_VERSION

__all__ = [
    "CUSTOM_FACETS",
    "ColumnDriftEntry",
    "CustomFacet",
    "FeatureEntry",
    "StackhubComponentRunFacet",
    "StackhubDriftReportRunFacet",
    "StackhubFeatureViewDatasetFacet",
    "StackhubLabelingProjectDatasetFacet",
    "StackhubTrackerRunRunFacet",
    "StackhubTrainingSetDatasetFacet",
    "schema_url",
]

FACETS_BASE_URL = f"https://stackhub.dev/specs/v{SPEC_VERSION.split('.')[0]}/facets"

FacetKind = Literal["RunFacet", "JobFacet", "DatasetFacet", "InputDatasetFacet", "OutputDatasetFacet"]


class CustomFacet(BaseModel):
    """Base of the custom facets.

    Unknown fields are not forbidden: an emitted facet also carries the base facet's ``_producer`` and
    ``_schemaURL``, and OpenLineage facets are open for extension.
    """

    model_config = ConfigDict(frozen=True)

    #: The facet's key in a ``facets`` map, ``stackhub_<name>`` (OpenLineage's ``{prefix}_{name}``).
    key: ClassVar[str]
    #: The OpenLineage base facet it extends.
    kind: ClassVar[FacetKind]


def schema_url(facet: type[CustomFacet]) -> str:
    """The ``_schemaURL`` of a custom facet: its published schema file and the definition inside it."""
    return f"{FACETS_BASE_URL}/{facet.__name__}.json#/$defs/{facet.__name__}"


class StackhubComponentRunFacet(CustomFacet):
    """Which component of the stack ran the operation, through which plugin."""

    key: ClassVar[str] = "stackhub_component"
    kind: ClassVar[FacetKind] = "RunFacet"

    component: str = Field(description="The component's name in the stack file.")
    category: str = Field(description="Its stack category, e.g. 'warehouse'.")
    plugin: str | None = Field(default=None, description="The plugin's registry key, e.g. 'duckdb'.")
    operation: str = Field(description="The interface operation, e.g. 'write'.")
    stack: str = Field(description="The stack's name.")


class FeatureEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    dtype: str = Field(description="Arrow type as Arrow prints it.")


class StackhubFeatureViewDatasetFacet(CustomFacet):
    """A registered feature view: its entities, timestamps, time to live and features."""

    key: ClassVar[str] = "stackhub_featureView"
    kind: ClassVar[FacetKind] = "DatasetFacet"

    name: str
    entities: list[str]
    source: str = Field(description="The source table in the feature store's warehouse.")
    timestampField: str
    createdTimestampField: str | None = None
    ttlSeconds: float | None = Field(default=None, description="Rows older than this are not used; none: no limit.")
    features: list[FeatureEntry]


class StackhubTrainingSetDatasetFacet(CustomFacet):
    """A point-in-time-correct training set: which features, for how many entity rows."""

    key: ClassVar[str] = "stackhub_trainingSet"
    kind: ClassVar[FacetKind] = "DatasetFacet"

    features: list[str] = Field(description="Feature references, 'view:feature', in column order.")
    featureViews: list[str]
    entityRows: int
    timestampColumn: str
    fullFeatureNames: bool = False


class StackhubLabelingProjectDatasetFacet(CustomFacet):
    """The labeling project a dataset of tasks, annotations or predictions belongs to."""

    key: ClassVar[str] = "stackhub_labelingProject"
    kind: ClassVar[FacetKind] = "DatasetFacet"

    project: str
    projectId: str | None = None
    input: str | None = Field(default=None, description="The task column annotators see.")
    inputType: str | None = None
    labels: list[str] | None = None
    choice: Literal["single", "multiple"] | None = None


class ColumnDriftEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    column: str
    columnType: Literal["numerical", "categorical"]
    method: str
    score: float
    threshold: float
    drifted: bool


class StackhubDriftReportRunFacet(CustomFacet):
    """A drift report between a reference and a current dataset, per column and for the whole dataset."""

    key: ClassVar[str] = "stackhub_driftReport"
    kind: ClassVar[FacetKind] = "RunFacet"

    referenceRows: int
    currentRows: int
    driftShare: float
    shareThreshold: float
    datasetDrifted: bool
    columns: list[ColumnDriftEntry]


class StackhubTrackerRunRunFacet(CustomFacet):
    """The experiment tracker's run an operation belongs to, and what it recorded."""

    key: ClassVar[str] = "stackhub_trackerRun"
    kind: ClassVar[FacetKind] = "RunFacet"

    runId: str = Field(description="The tracker's own run id (not the OpenLineage run id).")
    experiment: str | None = None
    runName: str | None = None
    status: str | None = None
    tags: dict[str, str] | None = None
    metrics: dict[str, float] | None = None
    step: int | None = None


CUSTOM_FACETS: tuple[type[CustomFacet], ...] = (
    StackhubComponentRunFacet,
    StackhubDriftReportRunFacet,
    StackhubFeatureViewDatasetFacet,
    StackhubLabelingProjectDatasetFacet,
    StackhubTrackerRunRunFacet,
    StackhubTrainingSetDatasetFacet,
)
