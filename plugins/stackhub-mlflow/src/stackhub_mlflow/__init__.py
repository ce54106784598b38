"""stackhub-mlflow: the descriptor only; MLflow itself is imported by the component on first use."""

from importlib.metadata import PackageNotFoundError, version

from stackhub import PluginDescriptor

__all__ = ["plugin"]


def _tool() -> str:
    # Reports print the version of ``tool``. The full ``mlflow`` (server included) depends on the
    # ``mlflow-skinny`` of the same version, which is always there; name the distribution the user installed.
    try:
        version("mlflow")
    except PackageNotFoundError:
        return "mlflow-skinny"
    return "mlflow"


plugin = PluginDescriptor(
    name="mlflow",
    category="tracker",
    spec_version="1.0",
    component="stackhub_mlflow._tracker:MlflowTracker",
    config="stackhub_mlflow._config:MlflowConfig",
    capabilities=frozenset({"model_registry"}),
    tool=_tool(),
    summary="MLflow tracking and model registry: an embedded SQLite store, or an MLflow server over HTTP.",
)
