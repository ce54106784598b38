"""The HTTP layer's policy: token kinds, JSON encoding, which requests are retried, how errors map.

These run against httpx's MockTransport, which answers what a test tells it to: the retry policy is about
what the client sends, and a real server cannot be told to fail the third request. Everything else about
Label Studio runs against the real server (the other test modules).
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr
from stackhub import AlreadyExists, ConfigError, InvalidInput, NotFound, StackhubError, Unavailable
from stackhub_labelstudio._config import LabelStudioConfig
from stackhub_labelstudio._http import LabelStudioHTTP, encode_json, token_kind


def _jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.signature"


REFRESH = _jwt({"token_type": "refresh", "exp": 8_000_000_000, "user_id": "1"})
LEGACY = "0123456789abcdef0123456789abcdef01234567"


def _http(handler: Callable[[httpx.Request], httpx.Response], **config: object) -> LabelStudioHTTP:
    settings = LabelStudioConfig.model_validate({"url": "http://ls.test", "token": LEGACY, **config})
    return LabelStudioHTTP(settings, transport=httpx.MockTransport(handler))


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stackhub_labelstudio._http.BACKOFF", 0.0)


@pytest.mark.parametrize(
    ("token", "configured", "kind"),
    [
        (REFRESH, "auto", "personal"),
        (LEGACY, "auto", "legacy"),
        (REFRESH, "legacy", "legacy"),
        ("x.y.z", "auto", "legacy"),
    ],
)
def test_the_token_kind_is_detected_or_taken_as_configured(token: str, configured: str, kind: str) -> None:
    assert token_kind(token, configured) == kind


def test_a_legacy_token_is_sent_as_token() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={})

    _http(handler).request("GET", "api/projects/", what="x")
    assert seen == [f"Token {LEGACY}"]


def test_a_personal_access_token_is_exchanged_and_the_access_token_reused_until_it_expires() -> None:
    calls: list[str] = []
    access = _jwt({"token_type": "access", "exp": time.time() + 300})

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path} {request.headers.get('Authorization', '-')}")
        if request.url.path == "/api/token/refresh/":
            assert json.loads(request.content) == {"refresh": REFRESH}
            return httpx.Response(200, json={"access": access})
        return httpx.Response(200, json={})

    http = _http(handler, token=REFRESH)
    http.request("GET", "api/projects/", what="x")
    http.request("GET", "api/projects/", what="x")
    assert calls == [
        "POST /api/token/refresh/ -",
        f"GET /api/projects/ Bearer {access}",
        f"GET /api/projects/ Bearer {access}",
    ]
    http._access_expires = time.time() + 10  # within the margin: refreshed before the next request
    http.request("GET", "api/projects/", what="x")
    assert http.refreshes == 2


def test_a_refused_personal_access_token_is_a_config_error_that_never_shows_the_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": "Token is invalid", "code": "token_not_valid"})

    with pytest.raises(ConfigError, match="Create a new personal access token") as raised:
        _http(handler, token=REFRESH).request("GET", "api/projects/", what="x")
    assert REFRESH not in str(raised.value)


def test_idempotent_requests_are_retried_on_503_and_timeouts_with_backoff() -> None:
    answers: list[httpx.Response | Exception] = [
        httpx.Response(503),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json={"ok": True}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert _http(handler, retries=2).request("GET", "api/projects/", what="x").json() == {"ok": True}
    assert answers == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("failure", ["503", "timeout", "refused"])
def test_requests_that_create_are_sent_once(method: str, failure: str) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if failure == "timeout":
            raise httpx.ReadTimeout("slow")
        if failure == "refused":
            raise httpx.ConnectError("refused")
        return httpx.Response(503)

    with pytest.raises(Unavailable):
        _http(handler, retries=5).request(method, "api/projects/1/import", what="x", body=[])
    assert sent == [method]


def test_retries_zero_means_one_attempt() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        raise httpx.ConnectError("refused")

    with pytest.raises(Unavailable, match="cannot be reached"):
        _http(handler, retries=3).request("GET", "api/current-user/whoami", what="x", retries=0)
    assert sent == ["GET"]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, InvalidInput),
        (401, ConfigError),
        (403, ConfigError),
        (404, NotFound),
        (409, AlreadyExists),
        (500, StackhubError),
        (503, Unavailable),
    ],
)
def test_answers_map_onto_stackhub_errors_with_label_studios_words(status: int, error: type[Exception]) -> None:
    body = {"id": "x", "status_code": status, "detail": "Validation error", "validation_errors": {"title": ["bad"]}}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    with pytest.raises(error) as raised:
        _http(handler, retries=0).request("GET", "api/projects/", what="Cannot read project 'p'")
    assert type(raised.value) is error
    message = str(raised.value)
    assert message.startswith(f"Cannot read project 'p': Label Studio at http://ls.test answered {status}")
    assert 'Validation error: {"title": ["bad"]}' in message


def test_json_carries_times_decimals_and_bytes_and_refuses_nan() -> None:
    value = {"t": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "d": date(2026, 1, 2), "n": Decimal("1.5"), "b": b"\x00"}
    assert json.loads(encode_json(value)) == {
        "t": "2026-01-02T03:04:05+00:00",
        "d": "2026-01-02",
        "n": 1.5,
        "b": "AA==",
    }
    with pytest.raises(ValueError, match="Out of range float"):
        encode_json({"x": [math.nan]})


def test_the_token_is_a_secret() -> None:
    config = LabelStudioConfig.model_validate({"token": LEGACY})
    assert LEGACY not in repr(config)
    assert LEGACY not in str(config.model_dump())
    assert LEGACY not in repr(LabelStudioHTTP(config))
    assert isinstance(config.token, SecretStr)


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://host", ""])
def test_the_url_must_be_http(url: str) -> None:
    with pytest.raises(ValueError, match="url"):
        LabelStudioConfig.model_validate({"url": url, "token": LEGACY})


def test_the_url_loses_its_trailing_slash_and_keeps_a_path() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    http = _http(handler, url="https://host.test/labelstudio/")
    http.request("GET", "api/projects/", what="x")
    assert seen == ["https://host.test/labelstudio/api/projects/"]
