"""Helpers of the tests that talk to the real server: unique names, tables, and a transport that fails on cue."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.compute as pc
from stackhub.categories.labeling import LabelSchema
from stackhub_labelstudio._config import LabelStudioConfig
from stackhub_labelstudio._http import LabelStudioHTTP
from stackhub_labelstudio._labeling import LabelStudioLabeling
from stackhub_labelstudio.testing import LabelStudioServer

SINGLE = LabelSchema(input="text", labels=("positive", "negative", "neutral"), instructions="Tone of the review.")
MULTIPLE = LabelSchema(input="text", labels=("billing", "bug", "feature", "praise"), choice="multiple")


def name(label: str) -> str:
    return f"sh_ls_{label}_{secrets.token_hex(4)}"


def tasks(rows: int, *, start: int = 0) -> pa.Table:
    ids = pc.cast(pa.arange(start, start + rows), pa.string())
    return pa.table(
        {
            "key": pc.binary_join_element_wise("task-", ids, ""),
            "text": pc.binary_join_element_wise("review ", ids, ""),
        }
    )


def label_studio_tasks(server: LabelStudioServer, project_id: str) -> list[dict[str, Any]]:
    """The project's tasks as Label Studio lists them (id, data), read past the plugin."""
    answer = server.api("GET", f"api/tasks/?project={project_id}&page_size=100000&include=id,data&resolve_uri=false")
    assert isinstance(answer, dict)
    found: list[dict[str, Any]] = answer["tasks"]
    return found


@dataclass
class Fault:
    """Fail the ``nth`` request (1-based) whose "METHOD /path" matches ``pattern``: ``before`` it reaches the
    server (a refused connection) or ``after`` the server did it (the answer is lost: a read timeout)."""

    pattern: str
    when: str
    nth: int = 1
    seen: int = 0


@dataclass
class Faults(httpx.BaseTransport):
    """The real HTTP transport, with ``Fault``s; ``sent`` records every request as "METHOD /path"."""

    faults: list[Fault] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    inner: httpx.HTTPTransport = field(default_factory=httpx.HTTPTransport)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        line = f"{request.method} {request.url.path}"
        self.sent.append(line)
        due = None
        for fault in self.faults:
            if re.fullmatch(fault.pattern, line):
                fault.seen += 1
                if fault.seen == fault.nth and due is None:
                    due = fault
        if due is not None and due.when == "before":
            raise httpx.ConnectError("injected: connection refused", request=request)
        response = self.inner.handle_request(request)
        if due is not None:
            response.read()
            response.close()
            raise httpx.ReadTimeout("injected: the answer was lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()

    def count(self, pattern: str) -> int:
        return sum(1 for line in self.sent if re.fullmatch(pattern, line))


def with_faults(component: LabelStudioLabeling, *faults: Fault) -> Faults:
    """Route the component's requests through a ``Faults`` transport."""
    transport = Faults(list(faults))
    config: LabelStudioConfig = component.config
    component.http.close()
    component.http = LabelStudioHTTP(config, transport=transport)
    return transport
