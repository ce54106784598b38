"""The published JSON Schemas of spec v1, generated from the pydantic models; never edited by hand.

``stackhub specs generate`` writes them, ``stackhub specs check`` (and a test) fails when the committed files
differ from what the models generate. The custom lineage facets go to ``facets/``, one file per facet, shaped
like the official OpenLineage facet schemas so that the ``_schemaURL`` of an emitted facet resolves to them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import categories
from .lineage.facets import CUSTOM_FACETS, FACETS_BASE_URL, CustomFacet
from .models import DatasetId, SchemaField, TableSchema
from .plugin import SPEC_VERSION
from .stack import StackFile

__all__ = ["generate", "render", "stale"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_URL = "https://stackhub.dev/specs"
OPENLINEAGE_SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


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


def _facet_document(facet: type[CustomFacet]) -> dict[str, Any]:
    name = facet.__name__
    schema = facet.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema.pop("$defs", {})
    schema.pop("title", None)
    description = schema.pop("description", None)
    defs[name] = {
        "allOf": [{"$ref": f"{OPENLINEAGE_SPEC}#/$defs/{facet.kind}"}, schema],
        "type": "object",
        **({"description": description} if description else {}),
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{FACETS_BASE_URL}/{name}.json",
        "$comment": f"Generated from {facet.__module__} by 'stackhub specs generate'. Do not edit.",
        "title": f"stackhub lineage facet {facet.key}",
        "$defs": defs,
        "type": "object",
        "properties": {facet.key: {"$ref": f"#/$defs/{name}"}},
    }


def render() -> dict[str, str]:
    """File name (relative to the spec folder) -> content of every schema of the current spec."""
    docs: dict[str, dict[str, Any]] = {
        "common": _document("common", "stackhub.models", (DatasetId, SchemaField, TableSchema)),
        "stack-file": _document("stack-file", "stackhub.stack", (StackFile,)),
    }
    for name, module_name in categories.CATEGORIES.items():
        docs[name] = _document(name, module_name, categories.load(name).MODELS)
    for facet in CUSTOM_FACETS:
        docs[f"facets/{facet.__name__}"] = _facet_document(facet)
    return {f"{name}.json": json.dumps(doc, indent=2, sort_keys=True) + "\n" for name, doc in sorted(docs.items())}


def generate(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, content in render().items():
        target = out / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
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
    problems += sorted(name for p in out.rglob("*.json") if (name := p.relative_to(out).as_posix()) not in expected)
    return problems
