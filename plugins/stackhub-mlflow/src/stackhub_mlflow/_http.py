"""MLflow's HTTP timeout and retries, applied only while a tracker's own call runs.

MLflow's REST client takes no per-client timeout: every request reads ``MLFLOW_HTTP_REQUEST_TIMEOUT``,
``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` and the back-off settings from ``os.environ``, including requests made by
the worker threads that transfer artifacts. So the settings have to be in the process environment during a
call, and must not outlive it: the user's own MLflow code in the same process keeps its own settings.
Concurrent calls with the same settings share one window; calls with different settings wait their turn.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

__all__ = ["http_settings", "mlflow_http_env"]

_condition = threading.Condition()
_active: Mapping[str, str] | None = None
_users = 0
_saved: dict[str, str | None] = {}


def mlflow_http_env(timeout: int, max_retries: int) -> dict[str, str]:
    return {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(timeout),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(max_retries),
        # Back-off 0 s, 2 s, 4 s, ... with no random jitter, so the worst case a user waits is predictable.
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    }


@contextmanager
def http_settings(env: Mapping[str, str]) -> Iterator[None]:
    """Put ``env`` into ``os.environ`` for the duration of the block, then restore what was there."""
    global _active, _users
    with _condition:
        while _users and _active != env:
            _condition.wait()
        if not _users:
            _saved.clear()
            for name, value in env.items():
                _saved[name] = os.environ.get(name)
                os.environ[name] = value
            _active = env
        _users += 1
    try:
        yield
    finally:
        with _condition:
            _users -= 1
            if not _users:
                for name, previous in _saved.items():
                    if previous is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = previous
                _active = None
                _condition.notify_all()
