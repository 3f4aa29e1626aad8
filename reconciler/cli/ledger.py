"""`campaignctl state ledger ...`: the send ledger of send-only accounts, for people.

- `unknown`: every batch whose outcome is unknown, with what to ask the vendor about it
  (account, request time, size, ticket if any, the reason it is unknown);
- `settle BATCH --sent|--not-sent`: record what the vendor said, so `apply
  --resend-unknown` (which sends them all again) is not the only way out;
- `import Campaign/NAME FILE`: record recipients sent before campaignctl was adopted, so
  it never sends that campaign to them again.

`state show Campaign/NAME` prints a send-only campaign with `ledger_lines`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from reconciler.api import ledger as ops
from reconciler.cli.options import calls, env_option
from reconciler.cli.shell import emit, format_option
from reconciler.state.ledger import SENT, Batch
from reconciler.words import plural


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


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


def ledger_lines(cl: ops.CampaignLedger) -> list[str]:
    """`state show` for a send-only campaign: its counts, then each batch."""
    lines = [f"address: Campaign/{cl.campaign}", f"account: {cl.account} (send ledger)",
             f"sent: {cl.sent}", f"unknown: {cl.unknown}",
             f"rejected: {cl.rejected} (in {plural(cl.rejected_batches, 'batch')}; free to "
             "send again)"]
    if cl.cost:
        lines.append(f"cost: {cl.cost[0]:g} {cl.cost[1] or ''}".rstrip())
    lines.append(f"batches: {len(cl.batches)}")
    lines += [batch_line(b, cost) for b, cost in cl.batches]
    return lines


@click.group("ledger")
def ledger() -> None:
    """The send ledger of send-only accounts: unknown batches, settling them, earlier sends."""


@calls(ops.unknown_batches)
@ledger.command("unknown")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@format_option("ledger-unknown")
@env_option
def ledger_unknown(directory: Path, fmt: str, environment: str | None) -> None:
    """List batches whose outcome is unknown, with what to check with the vendor."""
    rows = [{"account": u.account, "vendor": u.vendor, "campaign": u.batch.campaign,
             **batch_row(u.batch)}
            for u in ops.unknown_batches(directory, environment=environment)]
    emit("ledger-unknown", fmt, rows)


@calls(ops.settle, renamed={"outcome": "sent"})
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
    b = ops.settle(batch, directory, sent=outcome == "sent", environment=environment)
    if b.status == SENT:
        click.echo(f"batch {batch} (Campaign/{b.campaign}, "
                   f"{plural(b.recipients, 'recipient')}) settled as sent: they are never "
                   "sent this campaign again.")
    else:
        click.echo(f"batch {batch} (Campaign/{b.campaign}, "
                   f"{plural(b.recipients, 'recipient')}) settled as not sent: the next plan "
                   "sends to them.")


@calls(ops.import_sent)
@ledger.command("import")
@click.argument("address", metavar="Campaign/NAME")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def ledger_import(address: str, file: Path, directory: Path, environment: str | None) -> None:
    """Record recipients a campaign was sent to before campaignctl (a CSV with an `email`
    or `phone` column), so it never sends that campaign to them again."""
    done = ops.import_sent(address, file, directory, environment=environment)
    msg = (f"recorded {plural(done.recorded, 'recipient')} of {address} as sent (batch "
           f"{done.batch})" if done.batch else f"nothing new to record for {address}")
    extra = [f"{done.held} already in the ledger" if done.held else "",
             f"{plural(done.skipped, 'row')} without a"
             f"{'n email' if done.channel == 'email' else ' phone'} skipped"
             if done.skipped else ""]
    extra = [e for e in extra if e]
    click.echo(msg + (f" ({'; '.join(extra)})" if extra else "") +
               f". The ledger now holds {done.sent_total} sent; the next plan never sends "
               "them this campaign.")
