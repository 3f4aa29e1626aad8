"""JSON Schemas for editors, generated from the models and the rules the validators use
(never written by hand): one per kind, and one for campaignctl.yaml. Each names itself by
its file name (`$id`), which is the path the manifests' `# yaml-language-server: $schema=`
line gives (reconciler/importer.py), so both resolve to the same file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import create_model

from reconciler import config, environments
from reconciler.base_url import BASE_URL_PATTERN
from reconciler.kinds import KIND_ORDER, Envelope, Lifecycle
from reconciler.kinds.vendor_blocks import ignorable_fields, spec_model
from reconciler.output_schemas import output_schemas
from reconciler.variables import REFERENCE
from reconciler.vendors import installed

DRAFT = "https://json-schema.org/draft/2020-12/schema"
CONFIG_SCHEMA = "campaignctl.schema.json"


def schema_file(kind: str) -> str:
    return f"{kind.lower()}.schema.json"


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
    schema["$defs"]["Lifecycle"]["properties"]["ignore_changes"]["items"] = {
        "type": "string", "enum": ignorable_fields(kind)}
    for name, sub in schema["$defs"].items():
        schema["$defs"][name] = _templated(sub)
    schema["properties"] = {k: v if k in ("kind", "for_each") else _templated(v)
                            for k, v in schema["properties"].items()}
    return _named(schema, schema_file(kind), f"campaignctl {kind}")


#: a `${var.NAME}` or `${each...}` reference: checked once expanded, so any value may be one
PLACEHOLDER = {"type": "string", "pattern": REFERENCE.pattern}
_LEAF = {"string", "integer", "number", "boolean", "array"}
_ABOUT = ("title", "description", "default")


def _templated(node: Any) -> Any:
    """`node` where every value checked may also be a reference, as manifests write it."""
    if isinstance(node, list):
        return [_templated(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: v if k in ("if", "propertyNames", "required", "enum", "const") else
           {p: _templated(sub) for p, sub in v.items()} if k == "properties" else
           _templated(v) for k, v in node.items()}
    if isinstance(out.get("type"), str) and out["type"] in _LEAF or "enum" in out or "const" in out:
        about = {k: out.pop(k) for k in _ABOUT if k in out}
        return {**about, "anyOf": [out, PLACEHOLDER]}
    return out


def _named(schema: dict[str, Any], file: str, title: str) -> dict[str, Any]:
    schema["$schema"], schema["$id"], schema["title"] = DRAFT, file, title
    return schema


def _account(vendor_type: str | None) -> dict[str, Any]:
    """The settings of an account of `vendor_type` (any type's, for an environment's block,
    which names no type)."""
    catalog = installed()
    vendors = [catalog[vendor_type]] if vendor_type else list(catalog.values())
    credential = {"type": "string", "pattern": config.CREDENTIAL_PATTERN,
                  "description": "From the environment: ${VAR}"}
    props: dict[str, Any] = {
        "type": {"enum": list(catalog)} if vendor_type is None else {"const": vendor_type},
        "base_url": {"type": "string", "pattern": BASE_URL_PATTERN,
                     "description": "`sandbox` (the built-in emulator) or an https:// URL"},
        "allow_insecure_http": {"type": "boolean", "description": "Allow plain http:// to a "
                                                                  "host that is not this one"},
        **{k: s.schema() for k, s in config.HTTP_SETTINGS.items()},
        "proof": {"type": "object", "required": ["group"], "additionalProperties": False,
                  "properties": {"group": {"type": "string", "minLength": 1}},
                  "description": "The ContactGroup `campaignctl proof` sends to by default"},
    }
    for v in vendors:
        props.update({k: credential for k in v.credentials})
        props.update(v.settings_schema)
    return {"type": "object", "properties": props, "additionalProperties": False}


def config_schema() -> dict[str, Any]:
    models = config.ConfigFile.model_json_schema(by_alias=True)
    defs = models["$defs"]
    catalog = installed()
    defs["Account"] = {
        "type": "object", "required": ["type"],
        "properties": {"type": {"enum": list(catalog), "description": "The vendor type"}},
        "allOf": [{"if": {"properties": {"type": {"const": t}}, "required": ["type"]},
                   "then": _account(t)} for t in catalog]}
    defs["AccountOverride"] = _account(None)
    variables = {"type": "object", "description": "Values for ${var.NAME} in manifests",
                 "propertyNames": {"pattern": config.VAR_NAME_PATTERN}}
    sections = {"state": {"$ref": "#/$defs/StateConfig"},
                "safety": {"$ref": "#/$defs/SafetyConfig"}, "vars": variables}
    environment = {
        "type": ["object", "null"], "additionalProperties": False,
        "properties": {"providers": {"type": "object", "additionalProperties":
                                     {"$ref": "#/$defs/AccountOverride"}}, **sections}}
    assert set(environment["properties"]) == set(environments.SECTIONS)
    schema = {
        "type": "object", "additionalProperties": False, "$defs": defs,
        "properties": {
            "providers": {"type": "object", "description": "Provider accounts by name",
                          "additionalProperties": {"$ref": "#/$defs/Account"}},
            **sections, "policy": models["properties"]["policy"],
            "environments": {
                "type": "object", "minProperties": 1,
                "description": "Targets (staging, production...): each one's settings over "
                               "the top level's",
                "propertyNames": {"pattern": environments.ENV_NAME.pattern},
                "additionalProperties": environment}}}
    return _named(schema, CONFIG_SCHEMA, "campaignctl.yaml")


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    schemas = [(schema_file(kind), kind_schema(kind)) for kind in KIND_ORDER]
    outputs = [(name, schema) for name, (_, schema) in output_schemas().items()]
    for name, schema in [*schemas, (CONFIG_SCHEMA, config_schema()), *outputs]:
        path = directory / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
