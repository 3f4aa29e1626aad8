"""The send-only provider base: what the vendors whose API can send but not be read
(Octopush, Connectly, and plug-ins like them) extend. It sits beside the vendors because it
is a provider, without a vendor of its own: no plug-in declares it.

- `provider.py`: SendOnlyProvider, the hooks a vendor fills, reading the send ledger and
  preparing each campaign's audience, `status`;
- `live.py`: what a read finds (ledger, prepared campaigns, opt-outs) and what a batch
  answers;
- `campaign_diff.py`: the plan of a campaign (identity, unknown outcomes, schedule, send
  windows) and of an opt-out list;
- `batches.py`: an apply's send: the batches, around the ledger;
- `group_writer.py`: the ledger writes of concurrent batches, committed together;
- `window.py`: how many batches are in flight.

The audience itself (groups deduplicated, minus opt-outs) is vendor-neutral:
reconciler/audience.py.
"""
