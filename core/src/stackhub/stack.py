"""The stack file: parsing with positions, ``${VAR}`` interpolation, its schema, and building components.

    stack: churn-local
    spec: "1"
    components:
      warehouse: {plugin: duckdb, config: {path: .stackhub/warehouse.duckdb}}
      tracker:   {plugin: mlflow, config: {tracking_uri: "${MLFLOW_URI:-sqlite:///.stackhub/mlflow.db}"}}

Every problem becomes a :class:`Finding` with a stable code, a ``file:line:column`` location and a fix;
``validate`` collects them all, ``open_stack`` raises them as one ``ConfigError``. Values that came from the
environment are never echoed: messages name the field, not its content.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .lineage.config import LineageConfig

__all__ = ["ComponentSpec", "Finding", "ParsedStack", "StackFile", "parse_stack"]

Severity = Literal["error", "warning"]
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class Finding:
    """One validation result: ``code`` is stable across releases, ``fix`` says what to do."""

    code: str
    layer: str
    message: str
    fix: str | None = None
    location: str | None = None
    component: str | None = None
    severity: Severity = "error"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "layer": self.layer,
            "component": self.component,
            "location": self.location,
            "message": self.message,
            "fix": self.fix,
        }


class ComponentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plugin: str = Field(description="Registry key of the plugin, e.g. 'duckdb'.")
    config: dict[str, Any] = Field(default_factory=dict, description="The plugin's config; its own model checks it.")


class StackFile(BaseModel):
    """The schema of a stack file."""

    model_config = ConfigDict(extra="forbid")

    stack: str = Field(min_length=1, description="The stack's name.")
    spec: str = Field(description="The stackhub spec major version the stack is written for, e.g. '1'.")
    components: dict[str, ComponentSpec] = Field(min_length=1)
    lineage: LineageConfig | None = Field(
        default=None, description="Where lineage events go; absent: the embedded store at .stackhub/lineage.db."
    )

    @field_validator("spec", mode="before")
    @classmethod
    def _spec_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


@dataclass
class ParsedStack:
    """A stack file as far as it could be read: its data, where each value sits, and what went wrong."""

    path: Path
    data: dict[str, Any] | None = None
    model: StackFile | None = None
    positions: dict[tuple[str | int, ...], tuple[int, int]] = field(default_factory=dict)
    #: Paths of values that came from ``${VAR}``: never printed.
    from_env: set[tuple[str | int, ...]] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)

    def where(self, path: tuple[str | int, ...] = ()) -> str:
        """``file:line:column`` of the deepest part of ``path`` the file has."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                line, column = self.positions[path[:end]]
                return f"{self.path}:{line}:{column}"
        return str(self.path)

    @property
    def ok(self) -> bool:
        return self.model is not None and not any(f.severity == "error" for f in self.findings)

    def raise_for_findings(self) -> None:
        errors = [f for f in self.findings if f.severity == "error"]
        if errors:
            lines = "\n".join(
                f"  {f.location or self.path}: {f.code} {f.message} {f.fix or ''}".rstrip() for f in errors
            )
            raise ConfigError(
                f"Stack file {str(self.path)!r} is invalid:\n{lines}",
                fix=f"Run 'stackhub validate {self.path}' for the full report.",
            )


def _walk_positions(
    node: Any, path: tuple[str | int, ...], out: dict[tuple[str | int, ...], tuple[int, int]]
) -> Iterator[tuple[str, tuple[str | int, ...], int, int]]:
    """Record the 1-based position of every value; yield duplicate keys as (key, path, line, column)."""
    import yaml

    out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                yield key, path, key_node.start_mark.line + 1, key_node.start_mark.column + 1
            seen.add(key)
            yield from _walk_positions(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk_positions(item, (*path, index), out)


def _interpolate(value: Any, path: tuple[str | int, ...], parsed: ParsedStack, env: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*path, k), parsed, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*path, i), parsed, env) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        parsed.findings.append(
            Finding(
                code="SH104",
                layer="file",
                message=f"Environment variable {name!r} is not set.",
                fix=f"Set {name}, or give a default: '${{{name}:-value}}'.",
                location=parsed.where(path),
                component=str(path[1]) if len(path) > 1 and path[0] == "components" else None,
            )
        )
        return match.group(0)

    parsed.from_env.add(path)
    return _ENV_REF.sub(substitute, value)


def parse_stack(path: str | Path, env: Mapping[str, str] | None = None) -> ParsedStack:
    """Read, interpolate and schema-check a stack file; never raises for a bad file."""
    import yaml

    parsed = ParsedStack(path=Path(path))
    try:
        text = parsed.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        parsed.findings.append(
            Finding(
                "SH101",
                "file",
                f"Stack file {str(path)!r} does not exist.",
                "Check the path, or create one with 'stackhub init'.",
                str(path),
            )
        )
        return parsed
    except (OSError, UnicodeDecodeError) as exc:
        parsed.findings.append(
            Finding(
                "SH101",
                "file",
                f"Stack file {str(path)!r} cannot be read: {exc}.",
                "Check the file's permissions and encoding.",
                str(path),
            )
        )
        return parsed
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        parsed.findings.append(
            Finding(
                "SH102",
                "file",
                f"The file is not valid YAML: {problem}.",
                "Fix the YAML syntax at this position.",
                where,
            )
        )
        return parsed
    if node is not None:
        for key, parent, line, column in _walk_positions(node, (), parsed.positions):
            parsed.findings.append(
                Finding(
                    "SH103",
                    "file",
                    f"Key {key!r} appears twice in {'.'.join(map(str, parent)) or 'the file'}.",
                    "Keep one of them.",
                    f"{path}:{line}:{column}",
                )
            )
    if not isinstance(data, dict):
        parsed.findings.append(
            Finding(
                "SH103",
                "file",
                "A stack file must be a mapping with 'stack', 'spec' and 'components'.",
                "Start from 'stackhub init'.",
                parsed.where(),
            )
        )
        return parsed
    data = _interpolate(data, (), parsed, os.environ if env is None else env)
    parsed.data = data
    try:
        parsed.model = StackFile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            dotted = ".".join(str(p) for p in loc) or "(file)"
            message = f"{dotted}: {err['msg']}."
            if err["type"] == "extra_forbidden":
                fix = f"Remove {loc[-1]!r}; allowed keys are listed in docs/stack-file.md."
            elif err["type"] == "missing":
                fix = f"Add {loc[-1]!r}."
            else:
                fix = "Fix the value's type."
            component = str(loc[1]) if len(loc) > 1 and loc[0] == "components" else None
            parsed.findings.append(Finding("SH103", "file", message, fix, parsed.where(loc), component))
    return parsed
