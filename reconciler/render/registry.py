"""Every renderer of the command line, in one table keyed by (view, format): the plan
(`plan`, `show`; html: a self-contained report), validation findings (`validate`), campaign status (`status`) and the send
ledger's unknown batches (`state ledger unknown`). A command asks `formats(view)` for its
`--format` choices and `render(view, fmt, data, options)` for what to print, so a new
format is one entry here and a new view one block.

Each renderer module is imported when used: a command loads only its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RenderOptions:
    """What a renderer may need besides its data."""

    color: bool = False  # ANSI colours (a terminal)
    quiet: bool = False  # -q: errors and the verdict only
    directory: str = ""  # the workspace, as the user named it
    environment: str | None = None
    verdict: str | None = None  # `show`: how a saved plan's signature checked


@dataclass(frozen=True)
class Output:
    """What a renderer prints: its document on stdout; findings a person must see even
    when stdout is redirected (validate's errors and their count) on stderr."""

    stdout: str | None = None
    stderr: str | None = None


def _plan_text(view: Any, o: RenderOptions) -> str:
    from reconciler.render.text import render_text

    return render_text(view, o.color)


def _plan_json(view: Any, o: RenderOptions) -> str:
    from reconciler.render.json import render_json

    return render_json(view)


def _plan_markdown(view: Any, o: RenderOptions) -> str:
    from reconciler.render.markdown import render_markdown

    return render_markdown(view)


def _plan_html(view: Any, o: RenderOptions) -> str:
    from reconciler.render.html import render_html

    return render_html(view, o.verdict)


def _validate_text(diagnostics: list, o: RenderOptions) -> Output:
    from reconciler.words import plural

    shown = [d for d in diagnostics if not o.quiet or d.severity == "error"]
    errors = [d for d in diagnostics if d.severity == "error"]
    out = [str(d) for d in shown if d.severity != "error"]
    err = [str(d) for d in shown if d.severity == "error"]
    if errors:
        err.append(f"{plural(len(errors), 'error')}.")
    elif not o.quiet:  # -q: only errors
        # `validate --all-envs` names every environment it checked: "a, b"
        label = "environments" if o.environment and ", " in o.environment else "environment"
        out.append(f"{o.directory}: valid" + (f" ({label} {o.environment})."
                                              if o.environment else "."))
    return Output("\n".join(out) or None, "\n".join(err) or None)


def _validate_json(diagnostics: list, o: RenderOptions) -> str:
    from reconciler.render.diagnostics import render_json

    return render_json(diagnostics, o.directory)


def _validate_github(diagnostics: list, o: RenderOptions) -> str | None:
    from reconciler.render.diagnostics import render_github

    return render_github(diagnostics) if diagnostics else None


def _status_text(statuses: list, o: RenderOptions) -> str:
    from reconciler.render.status import render_text

    return render_text(statuses)


def _status_json(statuses: list, o: RenderOptions) -> str:
    from reconciler.render.status import render_json

    return render_json(statuses)


def _status_markdown(statuses: list, o: RenderOptions) -> str:
    from reconciler.render.status import render_markdown

    return render_markdown(statuses)


def _unknown_text(rows: list, o: RenderOptions) -> str:
    from reconciler.render.ledger import render_unknown_text

    return render_unknown_text(rows)


def _unknown_json(rows: list, o: RenderOptions) -> str:
    from reconciler.render.ledger import render_unknown_json

    return render_unknown_json(rows)


Renderer = Callable[[Any, RenderOptions], "str | Output | None"]
#: (view, format) -> renderer; the first format of a view is its default
RENDERERS: dict[tuple[str, str], Renderer] = {
    ("plan", "text"): _plan_text,
    ("plan", "json"): _plan_json,
    ("plan", "markdown"): _plan_markdown,
    ("plan", "html"): _plan_html,
    ("validate", "text"): _validate_text,
    ("validate", "json"): _validate_json,
    ("validate", "github"): _validate_github,
    ("status", "text"): _status_text,
    ("status", "json"): _status_json,
    ("status", "markdown"): _status_markdown,
    ("ledger-unknown", "text"): _unknown_text,
    ("ledger-unknown", "json"): _unknown_json,
}


def formats(view: str) -> tuple[str, ...]:
    """The `--format` choices of `view`, its default first."""
    found = tuple(f for v, f in RENDERERS if v == view)
    if not found:
        raise KeyError(f"no renderer for the view {view!r}")
    return found


def render(view: str, fmt: str, data: Any, options: RenderOptions | None = None) -> Output:
    """`data` (the view's model) rendered in `fmt`."""
    try:
        renderer = RENDERERS[(view, fmt)]
    except KeyError:
        raise KeyError(f"no {fmt!r} renderer for the view {view!r} (one of "
                       f"{', '.join(formats(view))})") from None
    rendered = renderer(data, options or RenderOptions())
    return rendered if isinstance(rendered, Output) else Output(rendered)
