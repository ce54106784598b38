"""Label Studio's REST API over httpx: authentication, timeouts, retries and errors mapped onto stackhub's.

Authentication takes both kinds of Label Studio tokens:

- a **legacy token** (40 hex characters; off by default since Label Studio 1.17) is sent as
  ``Authorization: Token <t>``;
- a **personal access token** is a JWT refresh token: it is exchanged at ``POST /api/token/refresh/`` for an
  access token (valid for minutes), sent as ``Authorization: Bearer <access>``. The access token is refreshed
  shortly before it expires, and once more when the server answers 401 (a server clock ahead of ours).

Retries: an idempotent request (GET, DELETE, the refresh) that could not connect, timed out, or got 429/502/503/
504 is retried ``retries`` times after 0.5 s, 1 s, 2 s, ... Requests that create something are sent once.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

import httpx
from stackhub import AlreadyExists, ConfigError, InvalidInput, NotFound, StackhubError, Unavailable

from ._config import LabelStudioConfig

__all__ = ["LabelStudioHTTP", "encode_json", "token_kind"]

#: Methods whose repetition cannot do anything twice.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Answers that say "try again later".
RETRY_STATUS = frozenset({429, 502, 503, 504})
BACKOFF = 0.5
#: Refresh an access token this many seconds before it expires.
EXPIRY_MARGIN = 30.0
#: How much of an error body a message quotes.
QUOTED = 400


def _jwt_payload(token: str) -> dict[str, Any] | None:
    """The claims of a JWT, unverified (the server verifies them); None for anything that is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, payload = (json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2])
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or "alg" not in header or not isinstance(payload, dict):
        return None
    return payload


def token_kind(token: str, configured: str) -> str:
    """'personal' or 'legacy': what ``configured`` says, or for 'auto' whether ``token`` is a JWT."""
    if configured != "auto":
        return configured
    return "personal" if _jwt_payload(token) is not None else "legacy"


def _json_default(value: object) -> object:
    """Task data that JSON has no type for: times as ISO 8601, decimals as numbers, bytes as base64."""
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} values cannot be sent to Label Studio as JSON")


def encode_json(value: object) -> bytes:
    """Strict JSON (Label Studio refuses NaN and Infinity), UTF-8."""
    return json.dumps(value, default=_json_default, allow_nan=False, ensure_ascii=False).encode("utf-8")


def _detail(response: httpx.Response) -> str:
    """Label Studio's own words for an error: ``detail`` and ``validation_errors`` of its JSON body."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:QUOTED] or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:QUOTED]
    parts = [str(body.get("detail") or "").strip()]
    problems = body.get("validation_errors") or {k: v for k, v in body.items() if k not in _ENVELOPE}
    if problems:
        parts.append(json.dumps(problems, ensure_ascii=False, default=str))
    text = ": ".join(p for p in parts if p) or response.reason_phrase
    return text if len(text) <= QUOTED else text[: QUOTED - 3] + "..."


_ENVELOPE = {"id", "status_code", "version", "detail", "exc_info", "validation_errors"}


class LabelStudioHTTP:
    """One httpx client per component; thread-safe (httpx's client is, and the token refresh takes a lock)."""

    def __init__(self, config: LabelStudioConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.url = config.url
        self.timeout = config.timeout
        self.retries = config.retries
        self._token = config.token.get_secret_value()
        self.kind = token_kind(self._token, config.token_kind)
        self._client = httpx.Client(
            base_url=config.url + "/",
            timeout=config.timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "stackhub-labelstudio"},
            follow_redirects=False,
        )
        self._lock = threading.Lock()
        self._access: str | None = None
        self._access_expires = 0.0
        #: How many access tokens were fetched: what the tests of the refresh look at.
        self.refreshes = 0
        if self.kind == "personal":
            claims = _jwt_payload(self._token) or {}
            if claims.get("token_type") == "access":  # an access token given as is: used until it expires
                self._access, self._access_expires = self._token, float(claims.get("exp") or 0)

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"LabelStudioHTTP(url={self.url!r}, token_kind={self.kind!r}, token='**********')"

    # -- authentication ---------------------------------------------------------------------------------

    def _authorization(self, *, renew: bool = False) -> str:
        if self.kind == "legacy":
            return f"Token {self._token}"
        with self._lock:
            if renew or self._access is None or time.time() > self._access_expires - EXPIRY_MARGIN:
                self._refresh()
            return f"Bearer {self._access}"

    def _refresh(self) -> None:
        what = "Cannot exchange the personal access token for an access token"
        try:
            response = self._send(
                "POST",
                "api/token/refresh/",
                what=what,
                idempotent=True,
                content=encode_json({"refresh": self._token}),
                auth=None,
            )
        except ConfigError as exc:
            raise ConfigError(
                f"{what}: Label Studio at {self.url} refused it ({exc.message}).",
                fix="Create a new personal access token in Label Studio (Account & Settings), or set "
                "token_kind: legacy if this is a legacy token.",
            ) from None
        except InvalidInput as exc:  # 400: the token is not a refresh token at all
            raise ConfigError(
                f"{what}: Label Studio at {self.url} says {exc.message}",
                fix="Give a personal access token (a refresh token), or a legacy token with token_kind: legacy.",
            ) from None
        access = response.json().get("access")
        claims = _jwt_payload(access) if isinstance(access, str) else None
        if claims is None:
            raise StackhubError(f"{what}: Label Studio at {self.url} answered without an access token.")
        self._access = access
        # No expiry in the token: refresh before every few minutes' worth of requests is safe.
        self._access_expires = float(claims.get("exp") or time.time() + 4 * 60)
        self.refreshes += 1

    # -- requests ---------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        body: object = None,
        content: bytes | None = None,
        retries: int | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one API request; any failure raises the stackhub error that fits, its message starting with
        ``what`` (e.g. "Cannot read project 'x'"). ``body`` is encoded as JSON; ``content`` is JSON already."""
        if body is not None:
            content = encode_json(body)
        return self._send(
            method,
            path,
            what=what,
            params=params,
            content=content,
            retries=retries,
            timeout=timeout,
            idempotent=method in IDEMPOTENT,
            auth=self.kind,
        )

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        idempotent: bool,
        auth: str | None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        retries: int | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        attempts = 1 + ((self.retries if retries is None else retries) if idempotent else 0)
        renewed = False
        attempt = 0
        while True:
            headers = {"Content-Type": "application/json"} if content is not None else {}
            if auth is not None:
                headers["Authorization"] = self._authorization()
            try:
                response = self._client.request(
                    method,
                    path,
                    params=params,
                    content=content,
                    headers=headers,
                    timeout=self.timeout if timeout is None else timeout,
                )
            except httpx.TransportError as exc:
                attempt += 1
                if attempt < attempts:
                    time.sleep(BACKOFF * 2 ** (attempt - 1))
                    continue
                raise self._unreachable(exc, what, timeout) from None
            if response.status_code == 401 and auth == "personal" and not renewed:
                # The access token expired early (clock skew) or was revoked: one new one, and the request again.
                # A 401 means the server did nothing, so this is safe for any method.
                renewed = True
                with self._lock:
                    self._access = None
                continue
            if response.status_code in RETRY_STATUS:
                attempt += 1
                if attempt < attempts:
                    time.sleep(BACKOFF * 2 ** (attempt - 1))
                    continue
            if response.is_success:
                return response
            raise self._error(response, what)

    def _unreachable(self, exc: httpx.TransportError, what: str, timeout: float | None) -> Unavailable:
        if isinstance(exc, httpx.TimeoutException):
            reason = f"no answer within {self.timeout if timeout is None else timeout:g} s"
        else:
            reason = str(exc).strip() or type(exc).__name__
        return Unavailable(
            f"{what}: Label Studio at {self.url} cannot be reached ({reason}).",
            fix="Check that the server runs and that url is right, or raise timeout / retries.",
        )

    def _error(self, response: httpx.Response, what: str) -> StackhubError:
        status = response.status_code
        detail = _detail(response)
        message = f"{what}: Label Studio at {self.url} answered {status}: {detail}"
        if status in (401, 403):
            return ConfigError(
                message,
                fix="Check the token (and token_kind), and that its user may do this in Label Studio.",
            )
        if status == 404:
            return NotFound(message)
        if status == 409:
            return AlreadyExists(message)
        if status in (400, 413, 422):
            return InvalidInput(message)
        if status in RETRY_STATUS:
            return Unavailable(message, fix="The server is busy or restarting: try again later.")
        return StackhubError(message, fix="See the Label Studio server's log for the cause.")
