"""The vendor-neutral manifest kinds (pydantic v2), one module per kind (`sender.py`,
`opt_out_list.py`, `contact_group.py`, `message.py`, `campaign.py`), each declaring its
`Kind` (name, spec model, references); `catalog.py` lists them once, in order; `envelope.py`
holds the document around a spec; `vendor_blocks.py` attaches each installed vendor's
options (imported from there: the vendor registry itself depends on the kind list)."""

from reconciler.kinds.base import NAME_PATTERN, Kind, Strict
from reconciler.kinds.campaign import CampaignSpec, DeferredSendAt, LocalSendAt
from reconciler.kinds.catalog import BASE_SPECS, KIND_ORDER, KINDS, REFERENCES
from reconciler.kinds.contact_group import ContactEntry, ContactGroupSpec
from reconciler.kinds.envelope import ENVELOPE_ORDER, Envelope, Lifecycle
from reconciler.kinds.message import MessageSpec
from reconciler.kinds.opt_out_list import OptOutListSpec
from reconciler.kinds.sender import SenderSpec

__all__ = ["BASE_SPECS", "ENVELOPE_ORDER", "KINDS", "KIND_ORDER", "NAME_PATTERN", "REFERENCES",
           "CampaignSpec", "ContactEntry", "ContactGroupSpec", "Envelope", "Kind", "Lifecycle",
           "DeferredSendAt", "LocalSendAt", "MessageSpec", "OptOutListSpec", "SenderSpec", "Strict"]
