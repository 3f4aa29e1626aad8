"""`campaignctl render`: the manifests as the plan sees them, templates expanded and
${var.NAME} substituted, one YAML document each, headed by where it came from."""

from __future__ import annotations

import io
from pathlib import Path

from ruamel.yaml import YAML

from reconciler.config import load_config
from reconciler.errors import Diagnostic, Location
from reconciler.var_overrides import Overrides
from reconciler.workspace import expanded_documents
from reconciler.yamlsource import plain


def render_expanded(directory: Path, environment: str | None = None,
                    overrides: Overrides | None = None) -> tuple[str, list[Diagnostic]]:
    """(the YAML text, the problems that stop it: config, syntax, variables, for_each)."""
    directory = Path(directory)
    if not directory.is_dir():
        return "", [Diagnostic(Location(str(directory)), "not a directory")]
    config, diagnostics = load_config(directory, environment=environment, overrides=overrides)
    if config is None:
        return "", diagnostics
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 100
    parts = []
    for _, doc, template in expanded_documents(directory, config, diagnostics):
        buf = io.StringIO()
        yaml.dump(plain(doc.data), buf)
        origin = f"# from {doc.start}" + (f", template {template.label}" if template else "")
        parts.append(f"{origin}\n{buf.getvalue()}")
    if diagnostics:
        return "", diagnostics
    return "---\n".join(parts), []
