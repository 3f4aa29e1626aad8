"""Vendors are found through the `campaignctl.vendors` entry-point group, the built-in
ones included; a plug-in that cannot be used stops every command with one line naming its
distribution; a run imports no vendor code it does not use."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import EXAMPLE
from installer import install

from reconciler.plugins import VendorPlugin

BUILT_IN = ("connectly", "email-campaigns", "octopush", "scheduled-campaigns")
CAMPAIGNCTL = str(Path(sys.executable).parent / "campaignctl")


def test_the_entry_point_group_lists_the_four_built_in_vendors():
    found = {ep.name: ep for ep in importlib.metadata.entry_points(group="campaignctl.vendors")
             if ep.dist is not None and ep.dist.name == "campaignctl"}
    assert sorted(found) == list(BUILT_IN)
    for name, ep in found.items():
        plugin = ep.load()
        assert isinstance(plugin, VendorPlugin)
        assert plugin.type == name
        assert ep.value == f"reconciler.providers.{name.replace('-', '_')}.plugin:PLUGIN"
        assert plugin.emulator == f"reconciler.sandbox.{name.replace('-', '_')}"
        assert plugin.conformance().type == name  # every built-in runs the conformance suite


def package(root: Path, name: str, entry: str, plugin_py: str) -> Path:
    """A one-module vendor package's source: pyproject.toml and <module>/plugin.py."""
    module = name.replace("-", "_")
    (root / module).mkdir(parents=True)
    (root / module / "__init__.py").write_text("")
    (root / module / "plugin.py").write_text(textwrap.dedent(plugin_py))
    (root / "pyproject.toml").write_text(textwrap.dedent(f"""
        [project]
        name = "{name}"
        version = "1.2.0"
        [project.entry-points."campaignctl.vendors"]
        {entry} = "{module}.plugin:PLUGIN"
        [tool.setuptools]
        packages = ["{module}"]
        """))
    return root


def validate_with(site: Path):
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1"}
    return subprocess.run([CAMPAIGNCTL, "validate", str(EXAMPLE), "--env", "staging"],
                          capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


FACTORY = "from reconciler.plugins import VendorPlugin\n\ndef make(account, ctx): ...\n"


@pytest.mark.parametrize("entry, plugin_py, message", [
    ("sms-x", "import sms_x_sdk\n",
     "vendor plug-in 'sms-x' (distribution bad-vendor 1.2.0, bad_vendor.plugin:PLUGIN) "
     "cannot be loaded: ModuleNotFoundError: No module named 'sms_x_sdk'"),
    ("sms-x", "PLUGIN = {'type': 'sms-x'}\n",
     "vendor plug-in 'sms-x' (distribution bad-vendor 1.2.0, bad_vendor.plugin:PLUGIN) is a "
     "dict, not a reconciler.plugins.VendorPlugin"),
    ("sms-x", FACTORY + "PLUGIN = VendorPlugin(type='sms-y', credentials=('key',), "
                        "provider=make)\n",
     "the entry point is named 'sms-x' but the plug-in declares type 'sms-y'"),
    ("sms-x", FACTORY + "PLUGIN = VendorPlugin(type='sms-x', credentials=(), provider=make, "
                        "kinds=('Campaign', 'Segment'))\n",
     "credentials must name at least one key; unknown kinds Segment"),
    ("octopush", FACTORY + "PLUGIN = VendorPlugin(type='octopush', credentials=('key',), "
                           "provider=make)\n",
     "vendor type 'octopush' is registered twice: by distribution bad-vendor 1.2.0 and by "
     f"campaignctl {importlib.metadata.version('campaignctl')}; uninstall one of them"),
])
def test_a_plugin_that_cannot_be_used_is_one_clear_error_naming_its_distribution(
        tmp_path, entry, plugin_py, message):
    site = install(package(tmp_path / "src", "bad-vendor", entry, plugin_py), tmp_path / "site")
    result = validate_with(site)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert message in result.stderr, result.stderr


def test_validate_imports_no_provider_client_or_emulator_code():
    probe = textwrap.dedent(f"""
        import sys
        from reconciler.cli import main
        try:
            main(["validate", {str(EXAMPLE)!r}, "--env", "staging"])
        except SystemExit as exit_:
            assert not exit_.code, exit_.code
        loaded = sorted(m for m in sys.modules if m.startswith("reconciler.providers.")
                        and m.rsplit(".", 1)[1] in ("provider", "client")
                        or m.startswith("reconciler.sandbox") or m in ("httpx", "starlette"))
        print(loaded)
        """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]", result.stdout


def test_the_sandbox_loads_emulators_not_vendor_clients_or_providers(tmp_path):
    probe = textwrap.dedent(f"""
        import sys
        from reconciler.sandbox.app import build_app
        build_app({str(tmp_path)!r})
        print(sorted(m for m in sys.modules if m.startswith("reconciler.providers.")
                     and m.rsplit(".", 1)[1] in ("provider", "client")))
        print(sorted(m for m in sys.modules if m.startswith("reconciler.sandbox.")))
        """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    providers, sandbox = result.stdout.splitlines()
    assert providers == "[]"
    for vendor in BUILT_IN:
        assert f"reconciler.sandbox.{vendor.replace('-', '_')}" in sandbox
