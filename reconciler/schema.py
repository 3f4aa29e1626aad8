"""JSON Schemas for editors, generated from the models (never written by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import create_model

from reconciler.kinds import Envelope, Lifecycle, spec_model
from reconciler.workspace import KIND_ORDER


def kind_schema(kind: str) -> dict[str, Any]:
    spec = spec_model(kind)
    model = create_model(
        kind, __base__=Envelope,
        kind=(str, ...), spec=(spec, ...), lifecycle=(Lifecycle, Lifecycle()))
    schema = model.model_json_schema(by_alias=True)
    schema["properties"]["kind"] = {"const": kind, "title": "Kind"}
    # Templates (reconciler/foreach.py): expanded before the models see the document.
    schema["properties"]["for_each"] = {
        "title": "For Each",
        "description": "Expand this document once per key: ${each.key}, ${each.value.FIELD}; "
                       "the name becomes NAME-KEY",
        "anyOf": [{"type": "object", "minProperties": 1},
                  {"type": "array", "items": {"type": "string"}, "minItems": 1},
                  {"type": "string", "pattern": r"^\$\{var\.[A-Za-z0-9_.-]+\}$"}]}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"campaignctl {kind}"
    return schema


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KIND_ORDER:
        path = directory / f"{kind.lower()}.schema.json"
        path.write_text(json.dumps(kind_schema(kind), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
