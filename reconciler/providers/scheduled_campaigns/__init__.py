"""The scheduled-campaigns vendor: declared in plugin.py (its VendorPlugin), client.py (HTTP only),
provider.py (neutral kinds <-> vendor), rules.py, its emulator under reconciler/sandbox/."""
