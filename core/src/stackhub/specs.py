"""The published JSON Schemas of spec v1, generated from the pydantic models; never edited by hand.

``stackhub specs generate`` writes them, ``stackhub specs check`` (and a test) fails when the committed files
differ from what the models generate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import categories
from .models import DatasetId, SchemaField, TableSchema
from .plugin import SPEC_VERSION
from .stack import StackFile

__all__ = ["generate", "render", "stale"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_URL = "https://stackhub.dev/specs"


def _document(name: str, source: str, models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    major = SPEC_VERSION.split(".")[0]
    _, defs = models_json_schema([(m, "validation") for m in models], ref_template="#/$defs/{model}")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{BASE_URL}/v{major}/{name}.json",
        "$comment": f"Generated from {source} by 'stackhub specs generate'. Do not edit.",
        "title": f"stackhub spec {SPEC_VERSION}: {name}",
        "$defs": defs.get("$defs", {}),
    }


def render() -> dict[str, str]:
    """File name -> content of every schema of the current spec."""
    docs: dict[str, dict[str, Any]] = {
        "common": _document("common", "stackhub.models", (DatasetId, SchemaField, TableSchema)),
        "stack-file": _document("stack-file", "stackhub.stack", (StackFile,)),
    }
    for name, module_name in categories.CATEGORIES.items():
        docs[name] = _document(name, module_name, categories.load(name).MODELS)
    return {f"{name}.json": json.dumps(doc, indent=2, sort_keys=True) + "\n" for name, doc in sorted(docs.items())}


def generate(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, content in render().items():
        target = out / file_name
        target.write_text(content, encoding="utf-8")
        written.append(target)
    return written


def stale(out: Path) -> list[str]:
    """Names of schema files in ``out`` that are missing, differ from the models, or are left over."""
    expected = render()
    problems = [
        n
        for n, content in expected.items()
        if not (out / n).is_file() or (out / n).read_text(encoding="utf-8") != content
    ]
    problems += sorted(p.name for p in out.glob("*.json") if p.name not in expected)
    return problems
