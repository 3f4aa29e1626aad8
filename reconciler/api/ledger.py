"""The send ledger of send-only accounts (`state ledger ...`, `state show Campaign/NAME`):
its batches of unknown outcome, settling one with what the vendor said, and recording
recipients sent before campaignctl, so a campaign is never sent to them again."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reconciler.api.pipeline import load_valid
from reconciler.audience import address_of
from reconciler.contacts import Contact, CsvProblem, read_csv
from reconciler.engine.contract import RunContext, RunOptions
from reconciler.errors import CampaignctlError
from reconciler.state.backend import open_store, open_workspace_store, workspace_config
from reconciler.state.ledger import REJECTED, Batch, LedgerError, SendLedger, identity_of
from reconciler.state.store import Store, lock_holder
from reconciler.suggest import did_you_mean
from reconciler.vendors import installed
from reconciler.words import plural


@dataclass
class UnknownBatch:
    account: str
    vendor: str  # the account's vendor type ("unknown account" when no longer configured)
    batch: Batch


def unknown_batches(directory: Path, *, environment: str | None = None) -> list[UnknownBatch]:
    """Every batch whose outcome is unknown, with the account's vendor to ask about it."""
    config = workspace_config(Path(directory), environment)
    vendors = {name: acc.type for name, acc in config.accounts.items()}
    with closing(open_store(config)) as store:
        found = SendLedger(store).unknown_batches()
    return [UnknownBatch(account, vendors.get(account, "unknown account"), b)
            for account, b in found]


def settle(batch: int, directory: Path, *, sent: bool,
           environment: str | None = None) -> Batch:
    """Record what the vendor said about a batch whose outcome was unknown (`sent`: they
    received it, never sent again; else the next apply sends to them)."""
    with closing(open_workspace_store(Path(directory), environment)) as store:
        with store.locked():  # never while an apply sends (its batches are in flight)
            note = (f"settled as {'sent' if sent else 'not-sent'} by {lock_holder()} at "
                    f"{datetime.now(UTC).isoformat(timespec='seconds')}")
            try:
                return SendLedger(store).settle(batch, sent, note)
            except LedgerError as exc:
                raise CampaignctlError(str(exc)) from None


@dataclass
class Recorded:
    address: str
    batch: int | None  # None: nothing new to record
    recorded: int  # recipients newly recorded as sent
    held: int  # recipients of the file the ledger already held
    skipped: int  # rows without an address on the campaign's channel
    channel: str
    sent_total: int  # what the ledger holds as sent for the campaign now


def import_sent(address: str, file: Path, directory: Path, *,
                environment: str | None = None) -> Recorded:
    """Record the recipients of `file` (a CSV with an `email` or `phone` column) as sent
    the send-only campaign `address` before campaignctl; all or nothing."""
    file = Path(file)
    kind, _, name = address.partition("/")
    ws = load_valid(Path(directory), environment)
    r = ws.get(kind, name) if kind == "Campaign" else None
    if r is None:
        known = [f"Campaign/{c.name}" for c in ws.of_kind("Campaign")]
        raise CampaignctlError(f"{address}: no such Campaign in the workspace"
                               f"{did_you_mean(address, known)} (the ledger records sends "
                               "of a campaign its manifests describe)")
    acc = ws.config.accounts[r.provider]
    with closing(open_store(ws.config)) as store:
        provider = installed()[acc.type].provider(acc, RunContext(ws, store, RunOptions()))
        from reconciler.providers.sendonly.provider import SendOnlyProvider  # HTTP layer: on use

        if not isinstance(provider, SendOnlyProvider):
            raise CampaignctlError(f"{address} is on {acc.type} account {r.provider!r}, whose "
                                   "API reports what it sent; the ledger is for send-only "
                                   "accounts")
        channel = provider.channel(r)
        recipients, problems, skipped = [], [], 0
        for _, row in read_csv(file):
            if isinstance(row, CsvProblem):
                problems.append(f"{file}:{row.line}:{row.col}: {row.message}")
            elif isinstance(row, Contact):
                found = address_of(row, channel)
                if found:
                    recipients.append(found)
                else:
                    skipped += 1
        if problems:
            raise CampaignctlError("\n".join(problems[:20]) + f"\n{plural(len(problems), 'problem')} "
                                   f"in {file}; nothing was recorded")
        with store.locked():
            batch_id, n = SendLedger(store).record_sent(
                r.provider, r.name, identity_of(provider.content(r)), recipients,
                f"sent before campaignctl; recorded from {file.name}")
        total = len(SendLedger(store).campaign(r.provider, r.name).sent)
    return Recorded(address, batch_id, n, len(set(recipients)) - n, skipped, channel, total)


@dataclass
class CampaignLedger:
    """A send-only campaign's record on one account: its counts, then each batch."""

    account: str
    campaign: str
    sent: int
    unknown: int
    rejected: int
    rejected_batches: int
    cost: tuple[float, str | None] | None
    batches: list[tuple[Batch, float | None]]  # each batch, with its cost when known


def campaign_ledgers(store: Store, kind: str, name: str) -> list[CampaignLedger]:
    """The ledger records of Campaign/NAME on every send-only account that sent it."""
    ledger = SendLedger(store)
    out = []
    for account in [a for a, c in ledger.campaign_names() if c == name and kind == "Campaign"]:
        cl = ledger.campaign(account, name)
        costs = ledger.batch_costs(account, name)
        out.append(CampaignLedger(
            account, name, len(cl.sent), len(cl.unknown),
            sum(b.recipients for b in cl.batches if b.status == REJECTED),
            len(cl.rejected_batches), ledger.costs(account, name) or None,
            [(b, costs.get(b.id)) for b in cl.batches]))
    return out
