"""The JSON Schemas of what the command line prints as JSON, written to schemas/ beside the
manifests' (`campaignctl schema`, reconciler/schema.py): `plan --format json` and `show`
(the saved plan's format, engine/plan.schema.json), `apply --format json` (a stream of
events, one per line: each line is one document of apply-events.schema.json), `status`,
`validate` and `state ledger unknown`. Each document carries `format_version`; a change that
would break a reader bumps it. docs/reference/formats.md is written from these."""

from __future__ import annotations

from typing import Any

from reconciler.engine.saved import load_schema as plan_schema
from reconciler.render.apply_events import APPLY_EVENTS_FORMAT_VERSION, BATCH_EVENTS
from reconciler.render.diagnostics import VALIDATE_FORMAT_VERSION
from reconciler.render.ledger import LEDGER_FORMAT_VERSION
from reconciler.render.status import STATUS_FORMAT_VERSION

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_STR = {"type": "string"}
_INT = {"type": "integer", "minimum": 0}
_NULL_STR = {"type": ["string", "null"]}


def _doc(name: str, title: str, description: str, version: int, required: list[str],
         properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"$schema": DRAFT, "$id": name,
            "title": title, "description": description, "type": "object",
            "required": ["format_version", *required],
            "properties": {"format_version": {"const": version}, **properties}, **extra}


def _event(kind: str, description: str, required: list[str] = (),
           properties: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description,
            "properties": {"type": {"const": kind}, **(properties or {})},
            "required": list(required)}


_ACTION = {"address": {"type": "string", "pattern": "^[A-Za-z]+/.+$"}, "op": _STR,
           "kind": _STR, "name": _STR, "account": _STR}
_BATCH = {"address": _ACTION["address"], "batch": _STR, "recipients": _INT, "error": _STR}


def apply_events_schema() -> dict[str, Any]:
    events = [
        _event("apply_started", "The apply is about to run `actions` plan actions",
               ["actions"], {"actions": _INT}),
        *(_event(f"action_{e}", f"A plan action {what}", list(_ACTION),
                 {**_ACTION, **({"error": _STR} if e == "failed" else {})})
          for e, what in (("started", "started"), ("done", "is done"),
                          ("failed", "failed (`error` says why)"))),
        *(_event(f"batch_{e}", what, ["address", "batch", "recipients"], _BATCH)
          for e, what in zip(BATCH_EVENTS, (
              "A batch of a send was accepted by the vendor",
              "A batch's outcome is unknown (a timeout, a lost answer): never resent unasked; "
              "see `campaignctl state ledger unknown`",
              "The vendor refused a batch: nothing of it was sent",
              "A batch was not sent (it stays to send)"), strict=True)),
        _event("note", "What apply says about the plan it runs (smaller audiences, drift "
               "left alone, the state's lineage recorded)", ["message"], {"message": _STR}),
        _event("error", "The apply was refused or stopped (exit 1); nothing more follows",
               ["message"], {"message": _STR}),
        _event("summary", "The last event: what was done (exit 1 unless `ok`)",
               ["ok", "planned", "done", "failed", "skipped", "writes", "reads", "drift",
                "refused", "failures", "text"],
               {"ok": {"type": "boolean"}, "planned": _INT, "done": _INT, "failed": _INT,
                "skipped": _INT, "writes": _INT, "reads": _INT,
                "drift": {"type": "array", "items": _STR}, "refused": _NULL_STR,
                "failures": {"type": "array", "items": {
                    "type": "object", "required": ["address", "error"],
                    "properties": {"address": _STR, "error": _STR}}},
                "text": {"type": "array", "items": _STR}}),
    ]
    return _doc(
        "apply-events.schema.json", "campaignctl apply --format json (one event per line)",
        "Each line `campaignctl apply --format json` prints is one event. Readers ignore "
        "types and fields they do not know.", APPLY_EVENTS_FORMAT_VERSION, ["type", "time"],
        {"type": {"enum": [e["properties"]["type"]["const"] for e in events]},
         "time": {"type": "string", "format": "date-time"}},
        oneOf=[{"type": "object", **e} for e in events])


def status_schema() -> dict[str, Any]:
    counts = {"type": ["integer", "null"], "minimum": 0}
    campaign = {"type": "object",
                "required": ["account", "vendor", "name", "state"],
                "properties": {
                    "account": _STR, "vendor": _STR, "name": _STR, "state": _STR,
                    "send_at": _NULL_STR, "planned": counts, "sent": counts,
                    "rejected": counts, "unknown": counts,
                    "cost": {"type": ["number", "null"]}, "currency": _NULL_STR,
                    "results": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "remote_id": _NULL_STR, "note": _STR,
                    "details": {"type": "array", "items": {"type": "object"}},
                    "contacts": {"type": "array", "items": {"type": "object"},
                                 "description": "only with --show-contacts"}}}
    return _doc("status.schema.json", "campaignctl status --format json",
                "Each campaign's state at its vendor: sent, rejected, unknown counts, costs.",
                STATUS_FORMAT_VERSION, ["campaigns"],
                {"campaigns": {"type": "array", "items": campaign}})


def validate_schema() -> dict[str, Any]:
    diagnostic = {"type": "object", "required": ["path", "line", "col", "severity", "message"],
                  "properties": {"path": _STR, "line": {"type": ["integer", "null"]},
                                 "col": {"type": ["integer", "null"]},
                                 "severity": {"enum": ["error", "warning"]},
                                 "message": _STR}}
    return _doc("validate.schema.json", "campaignctl validate --format json",
                "Every finding of the offline checks, at its file:line:col.",
                VALIDATE_FORMAT_VERSION, ["directory", "valid", "errors", "diagnostics"],
                {"directory": _STR, "valid": {"type": "boolean"}, "errors": _INT,
                 "diagnostics": {"type": "array", "items": diagnostic}})


def ledger_unknown_schema() -> dict[str, Any]:
    batch = {"type": "object",
             "required": ["account", "vendor", "campaign", "batch", "status", "recipients"],
             "properties": {"account": _STR, "vendor": _STR, "campaign": _STR,
                            "batch": {"type": ["integer", "string"]}, "status": _STR,
                            "recipients": _INT, "ticket": _NULL_STR,
                            "requested_at": _NULL_STR, "updated_at": _NULL_STR,
                            "note": _NULL_STR, "cost": {"type": ["number", "null"]}}}
    return _doc("ledger-unknown.schema.json", "campaignctl state ledger unknown --format json",
                "The batches whose outcome is unknown, with what to check with the vendor.",
                LEDGER_FORMAT_VERSION, ["unknown_batches"],
                {"unknown_batches": {"type": "array", "items": batch}})


#: file name in schemas/ -> (the command that prints it, its schema)
def output_schemas() -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "plan.schema.json": ("plan --format json, show --format json, plan -o FILE",
                             {**plan_schema(), "$id": "plan.schema.json"}),
        "apply-events.schema.json": ("apply --format json", apply_events_schema()),
        "status.schema.json": ("status --format json", status_schema()),
        "validate.schema.json": ("validate --format json", validate_schema()),
        "ledger-unknown.schema.json": ("state ledger unknown --format json",
                                       ledger_unknown_schema()),
    }
