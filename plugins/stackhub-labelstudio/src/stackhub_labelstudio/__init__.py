"""stackhub-labelstudio: the descriptor only; httpx and pyarrow load with the component on first use."""

from stackhub import PluginDescriptor

__all__ = ["plugin"]

plugin = PluginDescriptor(
    name="labelstudio",
    category="labeling",
    spec_version="1.0",
    component="stackhub_labelstudio._labeling:LabelStudioLabeling",
    config="stackhub_labelstudio._config:LabelStudioConfig",
    capabilities=frozenset({"predictions"}),
    # The plugin talks to a server over HTTP and imports no Label Studio package; reports name the version of
    # the server package when it is installed next to the plugin (the tests' [server] extra).
    tool="label-studio",
    summary="Label Studio over its REST API: projects, idempotent task import, predictions, annotations as Arrow.",
)
