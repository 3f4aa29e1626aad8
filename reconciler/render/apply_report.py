"""The apply's result as Markdown for the merged pull request (`apply --report FILE`):
done, failed, or outcome unknown, with counts; details folded; never longer than GitHub's
comment limit (lists are cut between items, with a count of what was left out)."""

from __future__ import annotations

from reconciler.engine.executor import ApplyResult
from reconciler.render.escape import markdown_text
from reconciler.render.markdown import MAX_CHARS, SECTION_BUDGET, _bounded
from reconciler.secrets import redact
from reconciler.words import plural

APPLY_MARKER = "<!-- campaignctl-apply -->"


def _unknown(error: str) -> bool:
    return "unknown" in error.lower()


def apply_status(result: ApplyResult | None, error: str | None = None) -> str:
    if result is None:
        return "failed" if error else "done"
    if any(_unknown(e) for _, e in result.failed):
        return "unknown"
    return "failed" if result.failed else "done"


TITLES = {"done": ":white_check_mark: done", "failed": ":x: failed",
          "unknown": ":warning: outcome unknown"}


def apply_report(result: ApplyResult | None, *, error: str | None = None,
                 notes: list[str] = (), writes: int = 0, reads: int = 0,
                 max_chars: int = MAX_CHARS) -> str:
    status = apply_status(result, error)
    # Masked before any text is cut to its budget, so no part of a credential is left.
    # Vendor and manifest text shown as written, never rendered as HTML or links.
    error = markdown_text(redact(error)) if error is not None else None
    notes = [markdown_text(redact(n)) for n in notes]
    out = [APPLY_MARKER, f"## campaignctl apply: {TITLES[status]}", ""]
    if result is None:
        out += [f"**Nothing was changed:** {error}" if error else "**No changes.**", ""]
    else:
        unknown = sum(1 for _, e in result.failed if _unknown(e))
        out += [f"**{len(result.done)} done, {len(result.failed)} failed ({unknown} with an "
                f"unknown outcome), {len(result.skipped)} skipped**; {plural(writes, 'write call')}, "
                f"{plural(reads, 'read call')}.", ""]
    budget = max(max_chars - sum(len(x) + 1 for x in out) - 200, 1000) // 2
    if notes:
        out += _bounded([f"- {n}" for n in notes], min(budget, SECTION_BUDGET), "note")
        out.append("")
    if result is not None:
        rows = ([f"- FAILED `{a.op} {a.address}`: {markdown_text(redact(str(e)))}" for a, e in result.failed]
                + [f"- skipped `{a.op} {a.address}` (an earlier action failed)"
                   for a in result.skipped]
                + [f"- done `{a.op} {a.address}`" for a in result.done])
        if rows:
            out += ["<details><summary>Details</summary>", ""]
            out += _bounded(rows, budget, "action")
            out += ["", "</details>"]
    return "\n".join(out).rstrip() + "\n"
