"""Both kinds of Label Studio tokens against the real server: the legacy token, and a personal access token
(made through the API) exchanged for access tokens that are refreshed when they expire."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from labelstudio_support import SINGLE, name, tasks
from stackhub import ConfigError
from stackhub_labelstudio import plugin
from stackhub_labelstudio._labeling import LabelStudioLabeling
from stackhub_labelstudio.testing import LabelStudioServer


@pytest.fixture(scope="session")
def personal_access_token(labelstudio_server: LabelStudioServer) -> str:
    # Label Studio lets a user create one personal access token through the API (POST /api/token/).
    return labelstudio_server.personal_access_token()


@pytest.fixture
def pat_labeling(server: LabelStudioServer, personal_access_token: str) -> Iterator[LabelStudioLabeling]:
    component = plugin.create({"url": server.url, "token": personal_access_token, "timeout": 60})
    assert isinstance(component, LabelStudioLabeling)
    with component:
        yield component


def test_a_personal_access_token_does_everything_the_legacy_token_does(pat_labeling: LabelStudioLabeling) -> None:
    assert pat_labeling.http.kind == "personal"
    title = name("pat")
    pat_labeling.create_project(title, SINGLE)
    try:
        assert pat_labeling.submit_tasks(title, tasks(5)).created == 5
        assert pat_labeling.annotate(title, pa.table({"key": ["task-1"], "label": ["neutral"]})) == 1
        assert pat_labeling.export_annotations(title)["label"].to_pylist() == ["neutral"]
    finally:
        pat_labeling.delete_project(title)
    assert pat_labeling.http.refreshes == 1, "one access token serves many requests"


def test_an_expiring_access_token_is_refreshed_before_it_is_used(pat_labeling: LabelStudioLabeling) -> None:
    pat_labeling.health()
    first = pat_labeling.http._access
    pat_labeling.http._access_expires = time.time() + 5  # inside the 30 s margin
    pat_labeling.health()
    assert pat_labeling.http.refreshes == 2
    assert pat_labeling.http._access != first


def test_an_access_token_the_server_refuses_is_replaced_and_the_request_repeated(
    pat_labeling: LabelStudioLabeling,
) -> None:
    pat_labeling.health()
    # Revoked, or expired early by the server's clock: the server answers 401 to a token we think is valid.
    header, payload, _ = str(pat_labeling.http._access).split(".")
    pat_labeling.http._access = f"{header}.{payload}.forged-signature"
    pat_labeling.health()
    assert pat_labeling.http.refreshes == 2


@pytest.mark.parametrize(
    ("token", "kind", "message"),
    [
        ("pat", "legacy", "answered 401"),
        ("legacy", "personal", "Create a new personal access token"),
        ("0123456789abcdef0123456789abcdef01234567", "auto", "answered 401"),
        ("garbage.jwt.token", "personal", "Create a new personal access token"),
    ],
    ids=["pat_as_legacy", "legacy_as_personal", "unknown_legacy", "broken_jwt"],
)
def test_a_refused_token_is_a_config_error_that_never_shows_it(
    server: LabelStudioServer, personal_access_token: str, token: str, kind: str, message: str
) -> None:
    secret = {"pat": personal_access_token, "legacy": server.token}.get(token, token)
    config: dict[str, Any] = {"url": server.url, "token": secret, "token_kind": kind, "retries": 0}
    with plugin.create(config) as component, pytest.raises(ConfigError, match=message) as raised:
        component.health()
    assert secret not in str(raised.value)
    assert secret not in repr(component)


def test_an_access_token_given_directly_is_used_as_is(server: LabelStudioServer, personal_access_token: str) -> None:
    with plugin.create({"url": server.url, "token": personal_access_token}) as source:
        assert isinstance(source, LabelStudioLabeling)
        source.health()
        access = str(source.http._access)
    with plugin.create({"url": server.url, "token": access}) as component:
        assert isinstance(component, LabelStudioLabeling)
        component.health()
        assert (component.http.kind, component.http.refreshes) == ("personal", 0)
