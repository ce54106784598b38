"""MLflow's HTTP settings live in os.environ; a tracker applies them only for the length of its own calls."""

from __future__ import annotations

import os
import threading

import pytest
from stackhub_mlflow._http import http_settings, mlflow_http_env

TIMEOUT = "MLFLOW_HTTP_REQUEST_TIMEOUT"


@pytest.fixture(autouse=True)
def user_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIMEOUT, "77")


def test_settings_apply_inside_the_block_and_are_restored_after() -> None:
    with http_settings(mlflow_http_env(5, 1)):
        assert os.environ[TIMEOUT] == "5"
        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "1"
    assert os.environ[TIMEOUT] == "77"
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ


def test_calls_with_other_settings_wait_and_calls_with_the_same_share() -> None:
    slow, fast = mlflow_http_env(30, 2), mlflow_http_env(1, 0)
    inside = threading.Event()
    release = threading.Event()
    seen: dict[str, str] = {}

    def first() -> None:
        with http_settings(slow):
            inside.set()
            release.wait(5)
            seen["first, at its end"] = os.environ[TIMEOUT]

    def other() -> None:
        with http_settings(fast):
            seen["other"] = os.environ[TIMEOUT]

    holder = threading.Thread(target=first)
    holder.start()
    assert inside.wait(5)
    with http_settings(slow):  # the same settings: no waiting for the holder
        seen["same"] = os.environ[TIMEOUT]
    waiter = threading.Thread(target=other)
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive(), "a call with other settings ran while the first call's settings were applied"
    release.set()
    holder.join(5)
    waiter.join(5)
    assert seen == {"same": "30", "first, at its end": "30", "other": "1"}
    assert os.environ[TIMEOUT] == "77"
