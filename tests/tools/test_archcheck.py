"""The layering rules hold on the package, and the checker catches each kind of breach."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from reconciler.tools.archcheck import check

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_passes_archcheck():
    result = subprocess.run([sys.executable, "-m", "reconciler.tools.archcheck"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no violations" in result.stdout


def package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "reconciler" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for folder in [p for p in (tmp_path / "reconciler").rglob("*") if p.is_dir()] + [
            tmp_path / "reconciler"]:
        (folder / "__init__.py").touch()
    return tmp_path


def test_each_rule_is_caught(tmp_path):
    root = package(tmp_path, {
        "engine/planner.py": "from reconciler.providers.catalog import VENDORS\n",
        "engine/saved.py": """
            def save():
                from ..render import json  # relative and lazy: still an import
            """,
        "kinds.py": "import reconciler.providers.base\n",
        "config.py": """
            import importlib
            importlib.import_module("reconciler.providers.catalog")
            """,
        "validate.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from reconciler.providers.base import Provider  # counts for layering
            """,
        "sandbox/vendor.py": "from reconciler.providers.vendor import rules\n",
        "sandbox/other.py": "from reconciler import sms\n",
        "providers/catalog.py": "", "providers/base.py": "", "providers/vendor/rules.py": "",
        "render/json.py": "", "sms.py": "",
    })
    found = "\n".join(check(root))
    for needle in ("engine/planner.py:1: reconciler.engine.planner imports "
                   "reconciler.providers.catalog",
                   "engine/saved.py:3: reconciler.engine.saved imports reconciler.render.json",
                   "kinds.py:1: reconciler.kinds imports reconciler.providers.base",
                   "config.py:3: reconciler.config imports reconciler.providers.catalog",
                   "validate.py:4: reconciler.validate imports reconciler.providers.base",
                   "sandbox/vendor.py:1: reconciler.sandbox.vendor imports "
                   "reconciler.providers.vendor.rules",
                   "sandbox/other.py:1: reconciler.sandbox.other imports reconciler.sms"):
        assert needle in found, found
    assert "cycle" not in found


def test_cycles_count_lazy_imports_but_not_type_checking_ones(tmp_path):
    root = package(tmp_path, {
        "state/store.py": """
            def open_store():
                from reconciler.state.postgres import PostgresStore
            """,
        "state/postgres.py": "from reconciler.state.store import Store\n",
        "a.py": "from reconciler import b\n",
        "b.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from reconciler.a import A
            """,
    })
    found = check(root)
    assert len(found) == 1, found
    assert found[0].startswith(
        "import cycle between reconciler.state.postgres, reconciler.state.store")


def test_a_clean_package_passes(tmp_path):
    root = package(tmp_path, {
        "engine/planner.py": "from reconciler.engine import contract\n",
        "engine/contract.py": "",
        "providers/base.py": "from reconciler.engine.contract import Provider\n",
        "sandbox/app.py": "from reconciler.sandbox import clock\n", "sandbox/clock.py": "",
        "run.py": "from reconciler.providers import base\nfrom reconciler.engine import planner\n",
    })
    assert check(root) == []


def test_the_layer_order_puts_the_cli_on_top_and_the_api_under_it(tmp_path):
    root = package(tmp_path, {
        "cli/plan.py": "from reconciler.api import plan\n",  # down: fine
        "api/planning.py": """
            def plan():
                from reconciler.cli.shell import fail  # lazy, and up: caught
            """,
        "status.py": "import reconciler.api.planning\n",  # the library uses the API: caught
        "__main__.py": "from reconciler.cli import main\n",  # the entry point: fine
        "render/text.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from reconciler.cli.shell import fail  # a type name only: fine
            """,
        "cli/shell.py": "", "api/plan.py": "",
    })
    found = check(root)
    assert len(found) == 2, found
    assert "api/planning.py:3: reconciler.api.planning imports reconciler.cli.shell" in found[0]
    assert "status.py:1: reconciler.status imports reconciler.api.planning" in found[1]
    assert "layer order" in found[1]


def test_a_kind_module_of_the_kinds_package_is_neutral_too(tmp_path):
    root = package(tmp_path, {
        "kinds/campaign.py": "from reconciler.providers.base import Provider\n",
        "kinds/catalog.py": "from reconciler.kinds import campaign\n",  # within: fine
        "providers/base.py": "",
    })
    found = check(root)
    assert len(found) == 1, found
    assert "kinds/campaign.py:1: reconciler.kinds.campaign imports reconciler.providers.base" \
        in found[0]
    assert "neutral models" in found[0]
