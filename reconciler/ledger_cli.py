"""`campaignctl state ledger ...`: the send ledger of send-only accounts, for people.

- `unknown`: every batch whose outcome is unknown, with what to ask the vendor about it
  (account, request time, size, ticket if any, the reason it is unknown);
- `settle BATCH --sent|--not-sent`: record what the vendor said, so `apply
  --resend-unknown` (which sends them all again) is not the only way out;
- `import Campaign/NAME FILE`: record recipients sent before campaignctl was adopted, so
  it never sends that campaign to them again.

`state show Campaign/NAME` uses `ledger_lines` for a send-only campaign.
"""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import click

from reconciler.cli_options import env_option
from reconciler.contacts import Contact, CsvProblem, read_csv
from reconciler.errors import CampaignctlError
from reconciler.state.ledger import REJECTED, SENT, Batch, LedgerError, SendLedger
from reconciler.state.store import lock_holder
from reconciler.words import plural


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _store(directory: Path, environment: str | None):
    from reconciler.state.backend import open_workspace_store

    return open_workspace_store(directory, environment)


def _vendors(directory: Path, environment: str | None) -> dict[str, str]:
    """account name -> vendor type, from campaignctl.yaml."""
    from reconciler.state.backend import workspace_config

    return {name: acc.type
            for name, acc in workspace_config(directory, environment).accounts.items()}


def batch_row(b: Batch, cost: float | None = None) -> dict:
    return {"batch": b.id, "status": b.status, "recipients": b.recipients,
            "ticket": b.ticket, "requested_at": when(b.created_at),
            "updated_at": when(b.updated_at), "note": b.error, "cost": cost}


def batch_line(b: Batch, cost: float | None = None) -> str:
    parts = [f"batch {b.id}", b.status, f"{plural(b.recipients, 'recipient')}",
             f"requested {when(b.created_at)}"]
    if b.ticket:
        parts.append(f"ticket {b.ticket}")
    if cost is not None:
        parts.append(f"cost {cost:g}")
    if b.error:
        parts.append(b.error)
    return "  " + ", ".join(parts)


def ledger_lines(store, account: str, campaign: str) -> list[str]:
    """`state show` for a send-only campaign: its counts, then each batch."""
    ledger = SendLedger(store)
    cl = ledger.campaign(account, campaign)
    costs = ledger.batch_costs(account, campaign)
    rejected = sum(b.recipients for b in cl.batches if b.status == REJECTED)
    total = ledger.costs(account, campaign)
    lines = [f"address: Campaign/{campaign}", f"account: {account} (send ledger)",
             f"sent: {len(cl.sent)}", f"unknown: {len(cl.unknown)}",
             f"rejected: {rejected} (in {plural(len(cl.rejected_batches), 'batch')}; free to send "
             "again)"]
    if total:
        lines.append(f"cost: {total[0]:g} {total[1] or ''}".rstrip())
    lines.append(f"batches: {len(cl.batches)}")
    lines += [batch_line(b, costs.get(b.id)) for b in cl.batches]
    return lines


@click.group("ledger")
def ledger() -> None:
    """The send ledger of send-only accounts: unknown batches, settling them, earlier sends."""


@ledger.command("unknown")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@env_option
def ledger_unknown(directory: Path, fmt: str, environment: str | None) -> None:
    """List batches whose outcome is unknown, with what to check with the vendor."""
    with closing(_store(directory, environment)) as store:
        found = SendLedger(store).unknown_batches()
    vendors = _vendors(directory, environment)
    rows = [{"account": account, "vendor": vendors.get(account, "unknown account"),
             "campaign": b.campaign, **batch_row(b)} for account, b in found]
    if fmt == "json":
        click.echo(json.dumps({"unknown_batches": rows}, indent=2))
        return
    if not rows:
        click.echo("No batch has an unknown outcome.")
        return
    for row in rows:
        click.echo(f"batch {row['batch']}: Campaign/{row['campaign']} on {row['account']} "
                   f"({row['vendor']}), {plural(row['recipients'], 'recipient')}, {row['status']}")
        click.echo(f"  requested at {row['requested_at']} (last update {row['updated_at']})"
                   + (f", ticket {row['ticket']}" if row["ticket"] else ", no ticket"))
        if row["note"]:
            click.echo(f"  why unknown: {row['note']}")
        click.echo(f"  check with {row['vendor']}: was a send of {plural(row['recipients'], 'recipient')} "
                   f"accepted on account {row['account']} around "
                   f"{row['requested_at']}?")
    click.echo(f"{plural(len(rows), 'batch')}. When you know: `campaignctl state ledger settle "
               "BATCH --sent` (they received it: never sent again) or `--not-sent` (the "
               "next apply sends to them).")


@ledger.command("settle")
@click.argument("batch", type=int)
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--sent", "outcome", flag_value="sent", help="The vendor accepted the batch.")
@click.option("--not-sent", "outcome", flag_value="not-sent",
              help="The vendor has no trace of it: its recipients are sent to next apply.")
@env_option
def ledger_settle(batch: int, directory: Path, outcome: str | None,
                  environment: str | None) -> None:
    """Record what the vendor said about a batch whose outcome was unknown."""
    if outcome is None:
        raise click.UsageError("say what the vendor said: --sent or --not-sent")
    with closing(_store(directory, environment)) as store:
        with store.locked():  # never while an apply sends (its batches are in flight)
            note = (f"settled as {outcome} by {lock_holder()} at "
                    f"{datetime.now(UTC).isoformat(timespec='seconds')}")
            try:
                b = SendLedger(store).settle(batch, outcome == "sent", note)
            except LedgerError as exc:
                raise CampaignctlError(str(exc)) from None
    if b.status == SENT:
        click.echo(f"batch {batch} (Campaign/{b.campaign}, {plural(b.recipients, 'recipient')}) "
                   "settled as sent: they are never sent this campaign again.")
    else:
        click.echo(f"batch {batch} (Campaign/{b.campaign}, {plural(b.recipients, 'recipient')}) "
                   "settled as not sent: the next plan sends to them.")


@ledger.command("import")
@click.argument("address", metavar="Campaign/NAME")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def ledger_import(address: str, file: Path, directory: Path, environment: str | None) -> None:
    """Record recipients a campaign was sent to before campaignctl (a CSV with an `email`
    or `phone` column), so it never sends that campaign to them again."""
    from reconciler.engine.contract import RunContext, RunOptions
    from reconciler.run import load_valid
    from reconciler.sending.recipients import address_of
    from reconciler.sending.sendonly import SendOnlyProvider
    from reconciler.state.backend import open_store
    from reconciler.state.ledger import identity_of
    from reconciler.vendors import installed

    kind, _, name = address.partition("/")
    ws = load_valid(directory, environment)
    r = ws.get(kind, name) if kind == "Campaign" else None
    if r is None:
        raise CampaignctlError(f"{address}: no such Campaign in the workspace (the ledger "
                               "records sends of a campaign its manifests describe)")
    acc = ws.config.accounts[r.provider]
    with closing(open_store(ws.config)) as store:
        provider = installed()[acc.type].provider(acc, RunContext(ws, store, RunOptions()))
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
        cl = SendLedger(store).campaign(r.provider, r.name)
    held = len(set(recipients)) - n
    msg = (f"recorded {plural(n, 'recipient')} of {address} as sent (batch {batch_id})" if batch_id
           else f"nothing new to record for {address}")
    extra = [f"{held} already in the ledger" if held else "",
             f"{plural(skipped, 'row')} without a{'n email' if channel == 'email' else ' phone'} "
             "skipped" if skipped else ""]
    extra = [e for e in extra if e]
    click.echo(msg + (f" ({'; '.join(extra)})" if extra else "") +
               f". The ledger now holds {len(cl.sent)} sent; the next plan never sends "
               "them this campaign.")
