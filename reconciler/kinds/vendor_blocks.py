"""Vendor-only options attached to the neutral kinds: each installed vendor's block sits
under a key named after its type (`octopush:`, `connectly:`, `scheduled-campaigns:`...);
their models live in the vendor's folder."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, Field, create_model

from reconciler.kinds.base import Strict
from reconciler.kinds.catalog import BASE_SPECS
from reconciler.vendors import installed, vendor_options


@cache
def spec_model(kind: str) -> type[Strict]:
    """The kind's spec model with every vendor block attached under its vendor-type key."""
    base = BASE_SPECS[kind]
    fields: dict[str, Any] = {}
    for vtype, model in vendor_options(kind).items():
        key = installed()[vtype].options_key
        fields[key] = (model | None, Field(None, alias=vtype,
                                            description=f"Options for `{vtype}` accounts"))
    if not fields:
        return base
    return create_model(base.__name__, __base__=base, __module__=__name__, **fields)


def ignorable_fields(kind: str, vendor_type: str | None = None) -> list[str]:
    """What `lifecycle.ignore_changes` may name on a `kind` held by `vendor_type` (any vendor
    when None, as the schema for editors cannot know the account): the spec's fields, the
    vendor block's as `vendor.field`, and the vendor's own name for a planned field."""
    # `proof` says where `campaignctl proof` sends: nothing live to ignore
    names = [f for f in BASE_SPECS[kind].model_fields if f != "proof"]
    for vtype, model in vendor_options(kind).items():
        if vendor_type in (None, vtype):
            names += [vtype, *(f"{vtype}.{f}" for f in model.model_fields)]
    for vtype, vendor in installed().items():
        if vendor_type in (None, vtype):
            names += vendor.plan_fields.get(kind, ())
    return sorted(set(names))


def vendor_block(spec: BaseModel, vendor_type: str) -> Any:
    return getattr(spec, installed()[vendor_type].options_key, None)
