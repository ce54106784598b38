"""The package around the component: descriptor, entry point, import cost, config, a stack file."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest
from stackhub import ConfigError
from stackhub.categories.labeling import Labeling, SupportsPredictions
from stackhub.hub import open_stack
from stackhub_labelstudio import plugin
from stackhub_labelstudio._labeling import LabelStudioLabeling
from stackhub_labelstudio.testing import LabelStudioServer


def test_descriptor() -> None:
    assert (plugin.name, plugin.category, plugin.spec_version) == ("labelstudio", "labeling", "1.0")
    assert plugin.capabilities == {"predictions"}
    assert plugin.known_gaps == {}
    assert issubclass(plugin.load_component(), Labeling)
    assert issubclass(plugin.load_component(), SupportsPredictions)
    # Reports print the version of the server the tests ran against: the pinned release of the [server] extra.
    assert importlib.metadata.version(str(plugin.tool)) == "1.23.2"


def test_entry_point() -> None:
    (entry,) = [ep for ep in importlib.metadata.entry_points(group="stackhub.plugins") if ep.name == "labelstudio"]
    assert entry.value == "stackhub_labelstudio:plugin"
    assert entry.load() is plugin


def test_the_plugin_needs_no_label_studio_package() -> None:
    requires = importlib.metadata.requires("stackhub-labelstudio") or []
    base = [r for r in requires if "extra ==" not in r]
    assert sorted(re.split(r"[<>=!~; \[]", r)[0] for r in base) == ["httpx", "pyarrow", "stackhub"]


def test_listing_the_plugin_imports_neither_httpx_nor_pyarrow() -> None:
    code = (
        "import sys, stackhub_labelstudio; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'pyarrow', 'label_studio')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "token"),
        ({"token": "t", "url": "localhost:8080"}, "url"),
        ({"token": "t", "token_kind": "jwt"}, "token_kind"),
        ({"token": "t", "timeout": 0}, "timeout"),
        ({"token": "t", "retries": 11}, "retries"),
        ({"token": "t", "chunk_size": 0}, "chunk_size"),
        ({"token": "t", "api_key": "t"}, "api_key"),
    ],
)
def test_bad_config_is_a_config_error(config: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        plugin.create(config)


def test_a_stack_file_takes_the_token_from_the_environment(server: LabelStudioServer, tmp_path: Path) -> None:
    stack_file = tmp_path / "stack.yaml"
    stack_file.write_text(
        "stack: labels\n"
        'spec: "1"\n'
        "components:\n"
        "  labeling:\n"
        "    plugin: labelstudio\n"
        "    config:\n"
        "      url: ${LABEL_STUDIO_URL}\n"
        "      token: ${LABEL_STUDIO_TOKEN}\n"
    )
    env = {"LABEL_STUDIO_URL": server.url, "LABEL_STUDIO_TOKEN": server.token}
    with open_stack(stack_file, env=env, lineage=False) as stack:
        component = stack["labeling"]
        assert isinstance(component, LabelStudioLabeling)
        component.health()
        assert server.token not in repr(component)
        assert server.token not in repr(component.config)
