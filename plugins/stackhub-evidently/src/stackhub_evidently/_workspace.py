"""The Evidently workspace a monitor stores its drift reports in: an Evidently UI service, or a local folder.

Both go through Evidently's own clients (``RemoteWorkspace``, ``Workspace``), so a stored run is exactly what
``evidently ui`` shows. ``health()`` asks the service for ``/api/version`` itself, with the configured timeout:
Evidently's client sets none.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackhub import ConfigError, Conflict, NotFound, StackhubError, Unavailable

if TYPE_CHECKING:
    from evidently.core.report import Snapshot
    from evidently.ui.workspace import WorkspaceBase

    from ._config import EvidentlyConfig

__all__ = ["LocalWorkspace", "RemoteWorkspace", "StoredRun", "open_workspace"]

PROJECT_DESCRIPTION = "Drift reports of stackhub's Evidently monitor (stackhub-evidently)."
#: What an Evidently UI service calls itself in ``/api/version``.
APPLICATION = "Evidently"


class StoredRun:
    """Where a report went: the run's id, its project's id, and the page that shows it (a service only)."""

    def __init__(self, run_id: str, project_id: str, url: str | None) -> None:
        self.run_id, self.project_id, self.url = run_id, project_id, url


def open_workspace(config: EvidentlyConfig) -> RemoteWorkspace | LocalWorkspace | None:
    if config.workspace is None:
        return None
    if config.workspace.startswith(("http://", "https://")):
        secret = config.secret.get_secret_value() if config.secret is not None else None
        return RemoteWorkspace(config.workspace, config.project, secret=secret, timeout=config.timeout)
    if "://" in config.workspace:
        raise ConfigError(
            f"workspace {config.workspace!r} is neither an http(s):// URL nor a folder.",
            fix="Give the URL of an Evidently UI service, or the path of a local workspace folder.",
        )
    if config.secret is not None:
        raise ConfigError(
            "secret is set, but the workspace is a local folder, which has none.",
            fix="Remove secret, or point workspace at the Evidently UI service it belongs to.",
        )
    return LocalWorkspace(Path(config.workspace).expanduser().absolute(), config.project)


class _Workspace:
    """A workspace and the project the runs go to, resolved (and created when missing) on first use."""

    where: str

    def __init__(self, project: str) -> None:
        self.project = project
        self._client: WorkspaceBase | None = None
        self._project_id: Any = None

    def health(self) -> None:
        raise NotImplementedError

    def _connect(self) -> WorkspaceBase:
        raise NotImplementedError

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        yield

    def add_run(self, snapshot: Snapshot) -> StoredRun:
        """Store ``snapshot`` as a run of the project; nothing is stored when this raises."""
        with self._errors("store the drift report as a run"):
            if self._client is None:
                self._client = self._connect()
            project_id = self._resolve_project(self._client)
            stored = self._client.add_run(project_id, snapshot)
        return StoredRun(str(stored.id), str(stored.project_id), self._url(str(stored.project_id), str(stored.id)))

    def _url(self, project_id: str, run_id: str) -> str | None:
        return None

    def _resolve_project(self, client: WorkspaceBase) -> Any:
        if self._project_id is not None:
            return self._project_id
        try:
            project_id = uuid.UUID(self.project)
        except ValueError:
            project_id = None
        if project_id is not None:
            if self._get_project(client, project_id) is None:
                raise NotFound(
                    f"The Evidently workspace {self.where} has no project with id {self.project}.",
                    fix="Set project to the id of an existing project, or to a name (a project of that name is "
                    "created when there is none).",
                )
            self._project_id = project_id
            return project_id
        matches = [p for p in client.search_project(self.project) if p.name == self.project]
        if len(matches) > 1:
            ids = ", ".join(str(p.id) for p in matches)
            raise Conflict(
                f"{len(matches)} projects of the Evidently workspace {self.where} are named {self.project!r} ({ids}).",
                fix="Set project to the id of the one that should receive the runs.",
            )
        project = matches[0] if matches else client.create_project(self.project, description=PROJECT_DESCRIPTION)
        self._project_id = project.id
        return project.id

    def _get_project(self, client: WorkspaceBase, project_id: uuid.UUID) -> Any:
        return client.get_project(project_id)

    def close(self) -> None:
        self._client = None
        self._project_id = None


class RemoteWorkspace(_Workspace):
    """An Evidently UI service (``evidently ui``), through Evidently's ``RemoteWorkspace`` client."""

    def __init__(self, url: str, project: str, *, secret: str | None, timeout: float) -> None:
        super().__init__(project)
        self.url = url.rstrip("/")
        self.where = f"at {self.url}"
        self.secret = secret
        self.timeout = timeout

    def health(self) -> None:
        fix = f"Start it (`evidently ui --host HOST --port PORT`) or correct the workspace URL {self.url!r}."
        try:
            with urllib.request.urlopen(f"{self.url}/api/version", timeout=self.timeout) as response:
                answer = json.loads(response.read().decode("utf-8", errors="replace"))
        except urllib.error.HTTPError as exc:
            raise Unavailable(
                f"The Evidently UI service {self.where} answered HTTP {exc.code} to GET /api/version.", fix=fix
            ) from None
        except (OSError, ValueError) as exc:  # refused, timed out, unresolvable, not JSON
            reason = getattr(exc, "reason", None) or exc
            raise Unavailable(f"The Evidently UI service {self.where} cannot be reached: {reason}.", fix=fix) from None
        application = answer.get("application") if isinstance(answer, dict) else None
        if not (isinstance(application, str) and APPLICATION in application):
            raise Unavailable(f"The server {self.where} is not an Evidently UI service (GET /api/version).", fix=fix)

    def _connect(self) -> WorkspaceBase:
        from evidently.ui.workspace import RemoteWorkspace as Client

        # verify=False: health() is the reachability check, with a timeout; Evidently's own has none.
        return Client(self.url, secret=self.secret, verify=False)

    def _url(self, project_id: str, run_id: str) -> str | None:
        return f"{self.url}/projects/{project_id}/reports/{run_id}"

    def _get_project(self, client: WorkspaceBase, project_id: uuid.UUID) -> Any:
        from evidently.errors import EvidentlyError

        try:
            return client.get_project(project_id)
        except EvidentlyError as exc:  # the service's 404 comes back as its detail message
            if "not found" in str(exc).lower():
                return None
            raise

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        import requests
        from evidently.errors import EvidentlyError

        try:
            yield
        except StackhubError:
            raise
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (401, 403):
                raise ConfigError(
                    f"The Evidently UI service {self.where} refused to {doing} (HTTP {status}).",
                    fix="Set secret to the --secret the service was started with.",
                ) from None
            raise Unavailable(
                f"The Evidently UI service {self.where} failed to {doing}: HTTP {status}.",
                fix="Check the service's log, then retry.",
            ) from None
        except requests.RequestException as exc:
            raise Unavailable(
                f"The Evidently UI service {self.where} cannot be reached to {doing}: {type(exc).__name__}.",
                fix=f"Start it, or correct the workspace URL {self.url!r}.",
            ) from None
        except EvidentlyError as exc:  # the service's refusal, as the detail of its JSON answer
            if "permission" in str(exc).lower():
                raise ConfigError(
                    f"The Evidently UI service {self.where} refused to {doing}: {exc}.",
                    fix="Set secret to the --secret the service was started with.",
                ) from None
            raise Unavailable(
                f"The Evidently UI service {self.where} failed to {doing}: {exc}.",
                fix="Check the service's log, then retry.",
            ) from None


class LocalWorkspace(_Workspace):
    """A workspace folder, through Evidently's ``Workspace`` (what ``evidently ui --workspace FOLDER`` serves)."""

    def __init__(self, path: Path, project: str) -> None:
        super().__init__(project)
        self.path = path
        self.where = f"in {str(path)!r}"

    def health(self) -> None:
        fix = "Point workspace at a folder this process may write, or at a path where one can be created."
        existing = self.path
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise Unavailable(
                f"The Evidently workspace {self.where} cannot be opened: {str(existing)!r} is not a folder.", fix=fix
            )
        if not os.access(existing, os.W_OK | os.X_OK):
            raise Unavailable(
                f"The Evidently workspace {self.where} cannot be written: {str(existing)!r} is read-only here.",
                fix=fix,
            )

    def _connect(self) -> WorkspaceBase:
        from evidently.ui.workspace import Workspace as Client

        self.health()
        return Client(str(self.path))

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except StackhubError:
            raise
        except OSError as exc:
            raise Unavailable(
                f"The Evidently workspace {self.where} failed to {doing}: {exc.strerror or exc}.",
                fix="Check that the folder is writable and its disk is not full.",
            ) from None
