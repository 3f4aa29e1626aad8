"""scheduled-campaigns: apply one action. A create POSTs in DRAFT and is bound as soon as
the vendor answers (a lost answer leaves an UNKNOWN_ID binding: this API cannot list, so the
next plan refuses to create a second one); a state change walks its path one PUT per edge,
stopping at the first edge that fails and saying where the campaign stays."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reconciler.engine.actions import Action
from reconciler.errors import ApiError, CampaignctlError, OutcomeUnknown
from reconciler.providers.base import BindingConflict
from reconciler.providers.scheduled_campaigns import states
from reconciler.providers.scheduled_campaigns.client import CampaignGone
from reconciler.providers.scheduled_campaigns.live import ScheduledLive

KIND = "Campaign"
UNKNOWN_ID = "?"  # remote id of a binding whose create's outcome is unknown


class ScheduledExecute:
    """The execute half of ScheduledCampaignsProvider (it provides `client`, `bindings` and
    `account`)."""

    async def execute(self, action: Action, live: ScheduledLive) -> None:
        handler = getattr(self, f"_exec_{action.op}", None)
        if handler is None:
            raise CampaignctlError(f"{action.address}: cannot execute a {action.op!r} action")
        await handler(action)

    async def _exec_create(self, action: Action) -> None:
        data = action.data
        self.bindings.check_unbound(KIND, action.name, data.get("gone"))
        try:
            obj = await self.client.create(dict(data["post"]))
        except OutcomeUnknown as exc:
            # No list endpoint: we cannot look. Record it so the next plan refuses to create
            # a second one, and tell the user how to settle it.
            self.bindings.bind(KIND, action.name, UNKNOWN_ID, data.get("gone"),
                              {"outcome_unknown": True})
            raise CampaignctlError(
                f"{exc}. The campaign may or may not exist and this API cannot list "
                f"campaigns: check the vendor dashboard for {data['post']['name']!r}; if it "
                f"exists, adopt it with `campaignctl import {self.account.name} --id ID`, "
                f"otherwise run `campaignctl state rm {action.address}` and apply again"
            ) from None
        remote_id = obj.get("id")
        if not isinstance(remote_id, int):
            raise CampaignctlError(f"{action.address}: the vendor's answer to POST /campaign "
                                   "has no campaign id")
        try:
            self.bindings.bind(KIND, action.name, str(remote_id), data.get("gone"))
        except BindingConflict as exc:
            # Still DRAFT (never armed), ours and unbound: remove the second copy.
            await self.client.delete(remote_id)
            raise BindingConflict(f"{exc} campaignctl deleted {remote_id} (a DRAFT, never "
                                  "armed), so the campaign exists once.") from None
        await self._walk(action, remote_id, obj.get("state", states.DRAFT), data["steps"], {},
                         "first", data["post"].get("segments", []))

    async def _walk(self, action: Action, remote_id: int, current: str, steps: list[str],
                    put: dict[str, Any], fields_on: str, segments: list[int]) -> None:
        """One PUT per edge, in order, each with the full segments; stop at the first edge
        that fails."""
        for i, step in enumerate(steps):
            body: dict[str, Any] = {"state": step, "segments": segments}
            if put and i == (0 if fields_on == "first" else len(steps) - 1):
                body = {**put, **body}
            try:
                obj = await self.client.update(remote_id, body)
            except CampaignctlError as exc:
                rest = " > ".join([current, *steps[i:]])
                raise CampaignctlError(
                    f"{action.address}: edge {current} > {step} (PUT /campaign/{remote_id}) "
                    f"failed: {exc}. Campaign {remote_id} stays {current}; the edges "
                    f"{rest} were not made. Run `campaignctl plan` again.") from None
            current = obj.get("state", step)

    async def _exec_update(self, action: Action) -> None:
        data = action.data
        await self.client.update(data["id"], {**data["put"], "segments": data["segments"]})

    async def _exec_transition(self, action: Action) -> None:
        data = action.data
        await self._walk(action, data["id"], action.path[0], action.path[1:], data["put"],
                         data["fields_on"], data["segments"])

    async def _exec_replace(self, action: Action) -> None:
        self.bindings.check_unbound(KIND, action.name, str(action.data["id"]))
        try:
            await self.client.delete(action.data["id"])
        except CampaignGone:
            pass
        self.bindings.unbind(KIND, action.name)
        await self._exec_create(replace(action, data={**action.data, "gone": None}))

    async def _exec_delete(self, action: Action) -> None:
        if not action.data.get("forget"):
            try:
                await self.client.delete(action.data["id"])
            except CampaignGone:
                pass
            except ApiError as exc:
                if exc.status == 409:
                    raise CampaignctlError(f"{action.address}: the vendor refused the DELETE "
                                           f"({exc.detail}); it has probably launched") from None
                raise
        self.bindings.unbind(KIND, action.name)
