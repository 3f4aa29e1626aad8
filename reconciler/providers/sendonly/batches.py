"""An apply's send for a send-only account: the plan's send checked again under the lock,
cut into batches (one send time each: the campaign's, or its wave's), each recorded in the
send ledger before its request leaves and after its answer, never guessed when the answer
is lost. A mixin of SendOnlyProvider (provider.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from reconciler.audience import Channel, Recipient, batches
from reconciler.engine.actions import Action
from reconciler.errors import ApiError, NotSentError, OutcomeUnknown
from reconciler.policy.campaign import Gate, recipient_place
from reconciler.policy.frequency import late_policy
from reconciler.providers.sendonly.group_writer import GroupWriter
from reconciler.providers.sendonly.live import (
    Prepared,
    Receipt,
    SendFailed,
    SendLive,
    local_time,
)
from reconciler.providers.sendonly.window import InFlightWindow, clock
from reconciler.state.ledger import NOT_SENT, REJECTED, SENT, UNKNOWN, LedgerError
from reconciler.words import plural, word
from reconciler.workspace import Resource


class BatchSending:
    """SendOnlyProvider's `execute` (it provides `ctx`, `ledger`, `optouts`, `state`, the
    vendor hooks, `_sendable` and `_window_gate`)."""

    async def execute(self, action: Action, live: SendLive) -> None:
        if action.kind == "OptOutList" and action.op == "update":
            lst = live.optouts[action.name]
            if (len(lst.add), len(lst.remove)) != (action.data.get("add"),
                                                   action.data.get("remove")):
                raise SendFailed(f"{action.address}: the opt-outs changed since the plan; "
                                 "plan again")
            self.optouts.apply(self.account.name, action.name, sorted(lst.add),
                               sorted(lst.remove))
            return
        r = self.ctx.workspace.get(action.kind, action.name)
        prep = live.prepared.get(action.name)
        if action.kind == "Campaign" and action.op == "update" and "frequency" in action.data:
            self._drop_held(action, r, prep)  # every recipient held back, and dropped
            return
        if action.op != "send":
            return
        if r is None or prep is None or prep.identity != action.data.get("identity"):
            raise SendFailed(f"{action.address}: the manifest changed since the plan; plan again")
        when = r.spec.send_time()
        if when is not None and when <= datetime.now(UTC):
            raise SendFailed(f"{action.address}: send time {when.isoformat()} has passed since "
                             "the plan; nothing was sent. Set `send_at: now` or a future time")
        account = self.account.name
        # Under the apply lock: batches a dead run left in flight are unknown from now on.
        self.ledger.expire_in_flight(account, r.name)
        cl = self.ledger.campaign(account, r.name)
        if not self._sendable(cl, prep):
            raise SendFailed(f"{action.address}: content differs from what was sent; plan again")
        resend = self.ctx.options.resend_unknown
        skip = cl.sent if resend else cl.holding
        # Held back by a frequency cap (policy/frequency.py, the plan made under the lock):
        # not sent now, and not recorded; a later apply sends them when they are eligible.
        todo = [x for x in prep.pending if x.address not in skip and x.address not in prep.held]
        if len(todo) != action.send.recipients:
            raise SendFailed(f"{action.address}: the ledger changed since the plan "
                             f"({len(todo)} to send, the plan said {action.send.recipients}); "
                             "plan again")
        self.state.record_sent_content(r.name, prep.identity, prep.content)
        if prep.held and late_policy(r) == "drop":
            self._drop_held(action, r, prep)
        # Checked again now: a `now` send, or a wave, whose window closed since the plan.
        gate = self._window_gate(r, prep.channel, todo, self.ctx.options.clock())
        if gate.refusal:
            raise SendFailed(f"{action.address}: send window, checked at apply: {gate.refusal}. "
                             "Nothing was sent")
        size = action.data.get("batch_size") or self.batch_size(r)
        chunks = self._timed_chunks(r, prep.channel, todo, gate, size)
        await self._send_all(r, prep, chunks, resend)

    def _drop_held(self, action: Action, r: Resource | None, prep: Prepared | None) -> None:
        """Record the recipients a frequency cap held back from a campaign that drops them
        (the plan made under the lock held back the same ones)."""
        planned = sum(row["held_back"] for row in action.data["frequency"])
        if r is None or prep is None or len(prep.held) != planned:
            raise SendFailed(f"{action.address}: the recipients held back by frequency caps "
                             "changed since the plan; plan again")
        self.ledger.drop(self.account.name, r.name, [
            (address, cap, when.timestamp()) for address, (cap, when) in prep.held.items()])

    async def _send_all(self, r: Resource, prep: Prepared,
                        chunks: list[tuple[str | None, list[Recipient]]], resend: bool) -> None:
        failures: list[str] = []
        writer = GroupWriter(self.ledger)
        window = InFlightWindow(self.concurrency, self.send_rate())
        queue = list(reversed(chunks))
        sent = [0, 0]  # batches, recipients
        progress = self.ctx.reporter.task(f"send {r.address}",
                                          total=sum(len(c) for _, c in chunks),
                                          unit="recipients")

        async def worker() -> None:
            while queue and not failures:
                send_at, chunk = queue.pop()
                async with window.slot():
                    error = await self._one_batch(r, prep, chunk, resend, writer, send_at,
                                                  window)
                if error:
                    failures.append(error)
                else:
                    sent[0] += 1
                    sent[1] += len(chunk)
                    progress.advance(len(chunk))

        try:
            await asyncio.gather(*(worker() for _ in range(min(self.concurrency,
                                                                len(chunks)))))
        finally:
            progress.close(failed=bool(failures) or bool(queue))
            await writer.aclose()
        if failures:
            left = len(queue)
            raise SendFailed(
                f"{r.address}: {failures[0]}"
                + (f" (+{len(failures) - 1} more failed {word(len(failures) - 1, 'batch')})" if len(failures) > 1 else "")
                + f". Sent {plural(sent[0], 'batch')} ({sent[1]} recipients) before stopping; "
                f"{plural(left, 'batch')} not attempted. The send ledger is up to date: run "
                "`campaignctl plan` to see what is left")

    async def _one_batch(self, r: Resource, prep: Prepared, chunk: list[Recipient],
                         resend: bool, writer: GroupWriter, send_at: str | None,
                         window: InFlightWindow | None = None) -> str | None:
        """Send one batch around the ledger. Returns an error message, or None if sent."""
        await self.before_batch()
        # What a slot holds (Little's law): the in-flight record's commit, the request and
        # the outcome's commit, not the wait for a rate-limit slot before them.
        started = clock()
        try:
            reaches = (datetime.fromisoformat(send_at) if send_at
                       else self.ctx.options.clock()).timestamp()
            batch_id = await writer.submit(("begin", self.account.name, r.name, prep.identity,
                                            [x.address for x in chunk], resend, reaches))
        except LedgerError as exc:
            return str(exc)

        async def finish(status: str, ticket: str | None, error: str | None,
                         cost: tuple[float, str | None] | None = None) -> None:
            await writer.submit(("finish", batch_id, status, ticket, error, cost))
            self.ctx.reporter.batch(status, r.address, batch_id, len(chunk), error)

        # Read after the batch's record is committed: a halt recorded before that record
        # stops it here, so no batch whose record is later than a halt ever leaves.
        halt = self.state.halt()
        if halt is not None:
            await finish(NOT_SENT, None, f"halted: {halt.describe()}")
            return f"stopped before this batch: {halt.describe()} (batch {batch_id} not sent)"
        try:
            answer = await self.send_batch(r, prep, chunk, send_at)
        except NotSentError as exc:
            await finish(NOT_SENT, None, str(exc))
            return f"{exc} (batch {batch_id}; its recipients stay unsent)"
        except ApiError as exc:
            # A 4xx (or 429 after retries): the vendor accepted nothing of this batch.
            await finish(REJECTED, None, str(exc))
            return f"rejected by the vendor: {exc} (batch {batch_id}: nothing was sent)"
        except OutcomeUnknown as exc:
            await finish(UNKNOWN, None, exc.reason)
            return (f"{exc} (batch {batch_id}, {len(chunk)} recipients: outcome UNKNOWN; "
                    "not resent; `apply --resend-unknown` only after checking with the vendor)")
        except BaseException as exc:
            # Anything else (cancelled, interrupted, a bug): we cannot know; never guess.
            self.ledger.unknown(batch_id, f"interrupted: {type(exc).__name__}")
            self.ctx.reporter.batch(UNKNOWN, r.address, batch_id, len(chunk),
                                    f"interrupted: {type(exc).__name__}")
            raise
        if isinstance(answer, Receipt):
            cost = (answer.cost, answer.currency) if answer.cost is not None else None
            await finish(SENT, answer.ticket, None, cost)
        else:
            await finish(SENT, answer, None)
        if window is not None:
            window.round_trip(clock() - started)
        return None


    def _timed_chunks(self, r: Resource, channel: Channel, todo: list[Recipient], gate: Gate,
                      size: int) -> list[tuple[str | None, list[Recipient]]]:
        """(vendor send time, batch) for every batch: one send time for a fixed send, the
        wave's for a local-time one."""
        if not gate.waves:
            when = r.spec.send_time()
            at = local_time(when, r.spec.timezone) if when else None
            return [(at, chunk) for chunk in batches(todo, size)]
        # Each recipient goes with the wave that holds their place (a local-time send has
        # one wave per zone set; a deferred one may have several per zone: one per time).
        wave_of = {place: i for i, w in enumerate(gate.waves) for place in w.places}
        by_wave: dict[int | None, list[Recipient]] = {}
        for x in todo:
            place = recipient_place(x, channel, r.spec.timezone)
            by_wave.setdefault(wave_of.get(place), []).append(x)
        out = []
        for i, w in enumerate(gate.waves):
            at = w.to_dict()["send_at"]
            out += [(at, chunk) for chunk in batches(by_wave.get(i, []), size)]
        return out
