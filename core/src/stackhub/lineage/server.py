"""The OpenLineage HTTP API over the embedded store, as Marquez implements it:

    POST /api/v1/lineage                  one event (JSON, optionally gzip) -> 201; 400 {"error": ...} if invalid
    GET  /api/v1/lineage?nodeId=ID&depth=N  the graph around a node, both directions -> 200 (Marquez's shape)

Bound to a loopback address it may run open; bound anywhere else it requires a bearer token, and refuses to
start without one, since anyone who can reach it could write lineage.
"""

from __future__ import annotations

import gzip
import hmac
import ipaddress
import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import ConfigError, InvalidInput, NotFound, StackhubError
from .render import as_json
from .store import LineageStore

__all__ = ["MAX_BODY", "LineageServer", "is_loopback"]

log = logging.getLogger("stackhub.lineage.server")

MAX_BODY = 16 * 1024 * 1024
PATH = "/api/v1/lineage"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    server: LineageServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def _send(self, status: HTTPStatus, body: dict[str, Any] | str | None = None) -> None:
        data = b"" if body is None else (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        token = self.server.token
        if token is None:
            return True
        given = self.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
        self._send(
            HTTPStatus.UNAUTHORIZED, {"error": "A bearer token is required: send 'Authorization: Bearer <token>'."}
        )
        return False

    def do_POST(self) -> None:
        if urlsplit(self.path).path.rstrip("/") != PATH:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"No endpoint {self.path!r}; events go to POST {PATH}."})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"An event may not exceed {MAX_BODY} bytes."})
            self.close_connection = True
            return
        body = self.rfile.read(length)
        if not self._authorized():
            return
        try:
            if self.headers.get("Content-Encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            event = json.loads(body)
            self.server.store.ingest(event)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": f"The body is not a JSON event: {exc}."})
            return
        except InvalidInput as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": exc.message})
            return
        self._send(HTTPStatus.CREATED)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path.rstrip("/") != PATH:
            self._send(
                HTTPStatus.NOT_FOUND, {"error": f"No endpoint {url.path!r}; the graph is at GET {PATH}?nodeId=..."}
            )
            return
        if not self._authorized():
            return
        query = parse_qs(url.query)
        node = (query.get("nodeId") or [""])[0]
        if not node:
            self._send(
                HTTPStatus.BAD_REQUEST,
                {"error": "The query parameter 'nodeId' is required, e.g. nodeId=dataset:NAMESPACE:NAME."},
            )
            return
        try:
            depth = int((query.get("depth") or ["20"])[0])
            graph = self.server.store.lineage(node, "both", depth)
        except ValueError:
            self._send(HTTPStatus.BAD_REQUEST, {"error": "'depth' must be an integer."})
        except NotFound as exc:
            self._send(HTTPStatus.NOT_FOUND, {"error": exc.message, "fix": exc.fix})
        except StackhubError as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": exc.message, "fix": exc.fix})
        else:
            self._send(HTTPStatus.OK, as_json(graph))


class LineageServer(ThreadingHTTPServer):
    """``serve_forever`` answers the OpenLineage HTTP API from ``store``."""

    daemon_threads = True

    def __init__(
        self, store: LineageStore, host: str = "127.0.0.1", port: int = 5000, token: str | None = None
    ) -> None:
        if not is_loopback(host) and not token:
            raise ConfigError(
                f"Refusing to serve lineage on {host!r} without a token: anyone who can reach it could write lineage.",
                fix="Pass --token TOKEN (or set STACKHUB_LINEAGE_TOKEN), or bind to 127.0.0.1.",
            )
        self.store = store
        self.token = token or None
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror}.", fix="Choose another --port or --host."
            ) from None
