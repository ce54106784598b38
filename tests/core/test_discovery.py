from __future__ import annotations

import pytest
from stackhub import PluginNotFound
from stackhub.discovery import discover, resolve

pytestmark = pytest.mark.usefixtures("fake_plugins")


def test_discovers_descriptors_with_their_distribution():
    installed, _ = discover()
    assert sorted(installed) == ["fakefs", "fakewh", "futurewh", "loopwh", "plainwh"]
    wh = installed["fakewh"]
    assert (wh.distribution, wh.version, wh.descriptor.category) == ("stackhub-fakes", "9.9.9", "warehouse")


def test_broken_and_misnamed_plugins_are_reported_not_raised():
    _, broken = discover()
    errors = {b.name: b.error for b in broken}
    assert errors["brokenwh"].startswith("ModuleNotFoundError: No module named 'stackhub_fakes_missing'")
    assert "entry point 'othername2' names a descriptor called 'othername'" in errors["othername2"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", []), ("fakewh", ["fakewh"]), (" fakewh , fakefs ", ["fakefs", "fakewh"]), ("nothing", [])],
)
def test_load_plugins_variable_filters_discovery(monkeypatch, value, expected):
    monkeypatch.setenv("STACKHUB_LOAD_PLUGINS", value)
    installed, broken = discover()
    assert sorted(installed) == expected
    assert broken == []


def test_known_uninstalled_plugin_gets_the_pip_command():
    installed, _ = discover()
    with pytest.raises(PluginNotFound) as info:
        resolve("postgres", installed)
    assert str(info.value) == "Plugin 'postgres' is not installed. Install it with: pip install stackhub-postgres"


def test_misspelt_plugin_gets_did_you_mean():
    installed, _ = discover()
    with pytest.raises(PluginNotFound) as info:
        resolve("duckbd", installed)
    assert str(info.value) == "Unknown plugin 'duckbd'. Did you mean 'duckdb'?"
    with pytest.raises(PluginNotFound, match=r"Did you mean 'fakewh'\?"):
        resolve("fakwh", installed)


def test_unknown_plugin_lists_the_installed_ones():
    installed, _ = discover()
    with pytest.raises(PluginNotFound) as info:
        resolve("zzzzzz", installed)
    assert str(info.value) == (
        "Unknown plugin 'zzzzzz'. Installed plugins: fakefs, fakewh, futurewh, loopwh, plainwh; "
        "run 'stackhub plugins' to list them."
    )


def test_plugin_excluded_by_load_plugins_says_so(monkeypatch):
    monkeypatch.setenv("STACKHUB_LOAD_PLUGINS", "fakefs")
    installed, _ = discover()
    with pytest.raises(PluginNotFound, match=r"excluded by STACKHUB_LOAD_PLUGINS='fakefs'"):
        resolve("fakewh", installed)


def test_descriptor_create_validates_config_and_names_the_field():
    installed, _ = discover()
    from stackhub import ConfigError

    with pytest.raises(ConfigError) as info:
        installed["fakewh"].descriptor.create({"url": "x", "port": "not a number"})
    assert "Invalid config for plugin 'fakewh': port: Input should be a valid integer" in str(info.value)
    component = installed["fakewh"].descriptor.create({"url": "x"})
    assert component.capabilities == frozenset({"asof_join"})
    assert component.descriptor is installed["fakewh"].descriptor
