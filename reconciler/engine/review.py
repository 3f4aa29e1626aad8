"""A saved plan binds to the actions a reviewer saw and to what each was planned from, not
to every byte of the workspace or the live state.

`compare_plans(reviewed, fresh)` lines up the actions of the saved plan with those of a plan
made at apply time (on the merged workspace, under the apply lock) and says, action by
action, where apply would now do something else:

- the same action with the same fields on the same inputs (its manifests as expanded, the
  files they read, its live object: engine/binding.py): still the reviewed action. Other
  pull requests merged and applied since change other actions, not this one; live churn
  elsewhere and derived counts ("opt-outs kept live", estimates) do not matter;
- a send whose audience only shrank because more recipients opted out: still the reviewed
  send; it goes to fewer people, and a note says so;
- a fresh action on an object no reviewed action touches or depends on, changed outside
  campaignctl (drift): left alone, with a note; the next plan shows it;
- a fresh adopt of an object a reviewed action depends on (it was deleted and re-created
  with the same natural key outside campaignctl, engine/identity.py): run with the reviewed
  actions, with a note; it writes nothing at the vendor, and the object matches its
  manifest field for field (else it would be an update);
- anything else is a problem line, named by its address and why: `gone` (apply would now
  do nothing), `new` (an action a reviewed one depends on), `changed inputs` (which
  manifest, file, or the live object), `not yet applied` (a change merged in the manifests
  that this plan lacks: apply its own reviewed plan first), and field-level differences
  (a group that grew, a send time that moved).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.engine.actions import ORIGIN_LABELS, Action, FieldChange, SendSummary
from reconciler.engine.binding import changed_inputs
from reconciler.engine.plan import Plan
from reconciler.escaping import printable
from reconciler.words import plural

Key = tuple[str, str, str]  # account, kind, name


@dataclass
class Review:
    run: list[Action] = field(default_factory=list)  # what apply executes (fresh actions)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    adopted: set[Key] = field(default_factory=set)  # fresh adopts run with the reviewed
    workspace_moved: bool = False  # a reviewed action's manifests or files, or a merge


def _key(a: Action) -> Key:
    return (a.account, a.kind, a.name)


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _value(v: object) -> str:
    return "(none)" if v is None else repr(v) if isinstance(v, str) else str(v)


def _field_problems(address: str, old: list[FieldChange], new: list[FieldChange]) -> list[str]:
    before = {c.field: c for c in old}
    after = {c.field: c for c in new}
    out = []
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        if b is None:
            out.append(f"{address}: {name} would now also change: {_value(a.before)} -> "
                       f"{_value(a.after)}")
        elif a is None:
            out.append(f"{address}: {name} no longer changes (reviewed {_value(b.before)} -> "
                       f"{_value(b.after)})")
        elif (b.before, b.after, b.forces_replace) != (a.before, a.after, a.forces_replace):
            if b.after != a.after:
                out.append(f"{address}: {name} {_value(b.after)} -> {_value(a.after)}")
            else:
                out.append(f"{address}: {name} was {_value(b.before)} when reviewed, is "
                           f"{_value(a.before)} now (changed outside campaignctl)")
    return out


def _audience(s: SendSummary) -> int:
    """Everyone the campaign's groups reach on this channel."""
    return s.recipients + s.suppressed + s.already_sent + s.unknown


def _send_problems(address: str, old: SendSummary, new: SendSummary,
                   ) -> tuple[list[str], str | None]:
    """(problems, note): the note says an accepted smaller audience."""
    out = []
    for name in ("send_at", "timezone"):
        if getattr(old, name) != getattr(new, name):
            out.append(f"{address}: {name} {_value(getattr(old, name))} -> "
                       f"{_value(getattr(new, name))}")
    if new.already_sent != old.already_sent:
        out.append(f"{address}: already sent {_n(old.already_sent)} -> {_n(new.already_sent)} "
                   "(another apply sent since the plan)")
    if new.unknown != old.unknown:
        out.append(f"{address}: outcome unknown {_n(old.unknown)} -> {_n(new.unknown)}")
    note = None
    if new.recipients != old.recipients:
        opted_out = new.suppressed - old.suppressed
        if (new.recipients < old.recipients and opted_out == old.recipients - new.recipients
                and not out):
            note = (f"{address}: sending to {plural(_n(new.recipients), 'recipient')}, not the "
                    f"reviewed {_n(old.recipients)}: {_n(opted_out)} opted out since the plan "
                    "was saved")
        else:
            if _audience(new) > _audience(old):
                why = "group grew"
            elif _audience(new) < _audience(old):
                why = "group shrank"
            else:
                why = "fewer opt-outs" if new.suppressed < old.suppressed else "more opt-outs"
            out.append(f"{address}: recipients {_n(old.recipients)} -> {_n(new.recipients)} "
                       f"({why})")
    elif new.suppressed != old.suppressed:
        out.append(f"{address}: suppressed by opt-outs {_n(old.suppressed)} -> "
                   f"{_n(new.suppressed)}")
    return out, note


def _action_problems(old: Action, new: Action) -> tuple[list[str], str | None]:
    address = old.address
    if new.op != old.op:
        return [f"{address}: reviewed {old.op}, apply would now {new.op} ({new.reason})"], None
    out = _field_problems(address, old.changes, new.changes)
    sets_old = [(s.field, s.add, s.remove, s.update, s.irreversible) for s in old.sets]
    sets_new = [(s.field, s.add, s.remove, s.update, s.irreversible) for s in new.sets]
    if sets_old != sets_new:
        for o, n in zip(old.sets, new.sets, strict=False):
            for name in ("add", "remove", "update"):
                if getattr(o, name) != getattr(n, name):
                    out.append(f"{address}: {o.field} to {name} {_n(getattr(o, name))} -> "
                               f"{_n(getattr(n, name))}")
        if len(old.sets) != len(new.sets) or not out:
            out.append(f"{address}: set changes differ from the reviewed ones")
    if old.path != new.path:
        out.append(f"{address}: state path {' > '.join(map(str, old.path))} -> "
                   f"{' > '.join(map(str, new.path))}")
    if sorted(old.depends_on) != sorted(new.depends_on):
        out.append(f"{address}: depends on {', '.join(old.depends_on) or 'nothing'} -> "
                   f"{', '.join(new.depends_on) or 'nothing'}")
    if old.content != new.content:
        out.append(f"{address}: the content that goes out differs from the reviewed one")
    note = None
    if (old.send is None) != (new.send is None):
        out.append(f"{address}: the send differs from the reviewed one")
    elif old.send is not None and new.send is not None:
        problems, note = _send_problems(address, old.send, new.send)
        out += problems
    if old.data != new.data and not out and note is None:
        out.append(f"{address}: what apply would send to the vendor differs from the review")
    return out, note


def compare_plans(reviewed: Plan, fresh: Plan) -> Review:
    review = Review()
    wanted = [a for a in reviewed.actions if a.is_change]
    fresh_by_key: dict[Key, Action] = {}
    for a in fresh.actions:
        if a.op != "warn":
            fresh_by_key.setdefault(_key(a), a)
    wanted_keys = {_key(a) for a in wanted}
    # What the reviewed actions rely on: a change there was not reviewed with them.
    relied = {d for a in wanted for d in a.depends_on} | {a.address for a in wanted}
    for old in wanted:
        new = fresh_by_key.get(_key(old))
        if new is None:
            review.problems.append(f"{old.address}: gone: reviewed {old.op}, apply would now "
                                   "do nothing (already applied, or the live object already "
                                   "matches)")
            continue
        inputs = changed_inputs(old, new)
        if inputs:
            review.workspace_moved |= any(not i.startswith("the live") for i in inputs)
            review.problems.append(f"{old.address}: changed inputs since the review: "
                                   + ", ".join(inputs))
        problems, note = _action_problems(old, new)
        review.problems += problems
        if note:
            review.notes.append(note)
    for new in fresh.actions:
        key = _key(new)
        if key in wanted_keys:
            continue
        if not new.is_change:
            if new.op == "refuse" and new.address in relied:
                review.problems.append(f"{new.address}: refused now ({new.reason})")
            continue
        elif new.address in relied and new.op == "adopt":
            review.adopted.add(key)
            review.notes.append(f"{new.address}: {new.reason} (re-created outside "
                                "campaignctl since the plan was saved; the same object for "
                                "the reviewed actions)")
        elif new.address in relied:
            review.problems.append(f"{new.address}: new: apply would now also {new.op} it "
                                   f"({ORIGIN_LABELS[new.origin]}: {new.reason}); a reviewed "
                                   "action depends on it")
        elif new.origin == "manifests":
            review.workspace_moved = True
            review.problems.append(f"{new.address}: not yet applied: {new.op} ({new.reason}), "
                                   "merged in the manifests but not in this plan; apply its "
                                   "own reviewed plan first, or plan again")
        else:
            review.left_alone.append(new.address)
            review.notes.append(f"{new.address}: {ORIGIN_LABELS[new.origin]} since the plan "
                                f"was saved ({new.op}: {new.reason}); not in the reviewed "
                                "plan, left alone. Run `campaignctl plan` to review it")
    # One line each, whatever a plan file or a live object holds (a `path` with "\r\n").
    review.problems = [printable(p) for p in review.problems]
    review.notes = [printable(n) for n in review.notes]
    # Warnings on reviewed objects stay with them (e.g. outcomes unknown).
    review.run = [a for a in fresh.actions if _key(a) in wanted_keys | review.adopted
                  and (a.is_change or a.op == "warn")]
    return review
