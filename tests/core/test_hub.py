from __future__ import annotations

import pytest
from stackhub import ConfigError, NotFound, open_stack

pytestmark = pytest.mark.usefixtures("fake_plugins")

STACK = """\
stack: built
spec: "1"
components:
  features: {plugin: fakefs, config: {warehouse: wh}}
  wh: {plugin: fakewh, config: {url: "${WH_URL:-memory://a}"}}
"""


def test_builds_dependencies_first_and_passes_them(write_stack):
    from stackhub_fakes import FakeWarehouse

    FakeWarehouse.closed.clear()
    with open_stack(write_stack(STACK), env={"WH_URL": "memory://from-env"}) as stack:
        assert list(stack) == ["wh", "features"]
        assert stack["features"].dependencies["warehouse"] is stack["wh"]
        assert stack["wh"].config.url == "memory://from-env"
        assert stack.by_category("warehouse") is stack["wh"]
    assert FakeWarehouse.closed == ["memory://from-env"]


def test_a_component_gets_its_dependency_checked_or_a_config_error_naming_the_field():
    from stackhub_fakes import FakeFeatureStore, FakeWarehouse, RefConfig, ServerConfig

    config = RefConfig(warehouse="wh")
    warehouse = FakeWarehouse(ServerConfig(url="memory://a"))
    assert FakeFeatureStore(config, dependencies={"warehouse": warehouse}).warehouse is warehouse
    other = FakeFeatureStore(config, dependencies={"warehouse": warehouse})
    for given, got in (({}, "nothing"), ({"warehouse": other}, "a feature_store component")):
        with pytest.raises(ConfigError) as raised:
            FakeFeatureStore(config, dependencies=given)
        assert raised.value.message == (f"FakeFeatureStore needs a warehouse component as 'warehouse', but got {got}.")
        assert (
            raised.value.fix == "Set 'warehouse' to the name of a warehouse component in the stack file (it is 'wh')."
        )


def test_unknown_component_and_category(write_stack):
    with open_stack(write_stack(STACK)) as stack:
        with pytest.raises(
            NotFound, match=r"Stack 'built' has no component 'tracker'. Its components are: features, wh."
        ):
            stack["tracker"]
        with pytest.raises(NotFound, match="Stack 'built' has 0 tracker components; expected exactly one."):
            stack.by_category("tracker")
        # The Mapping protocol still answers plainly for a missing name.
        assert "tracker" not in stack
        assert "wh" in stack
        assert stack.get("tracker") is None
        assert stack.get("wh") is stack["wh"]


def test_invalid_stack_raises_one_config_error_listing_every_problem(write_stack):
    path = write_stack(STACK.replace("fakewh", "fakwh").replace("features: {plugin: fakefs", "features: {plugin: nope"))
    with pytest.raises(ConfigError) as info:
        open_stack(path)
    text = str(info.value)
    assert f"Stack file {str(path)!r} is invalid:" in text
    assert f"{path}:4:22: SH202 Unknown plugin 'nope'." in text
    assert f"{path}:5:16: SH202 Unknown plugin 'fakwh'. Did you mean 'fakewh'?" in text
    assert text.endswith(f"Run 'stackhub validate {path}' for the full report.")
