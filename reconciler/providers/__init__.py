"""Vendor providers. Each vendor's folder holds its HTTP client (`client.py`), its sandbox
emulator (`emulator.py`), its manifest options (`options.py`) and its mapping to the
neutral kinds (`provider.py`)."""
