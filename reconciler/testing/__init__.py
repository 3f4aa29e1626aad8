"""What a vendor plug-in's tests use, shipped with the package: the sandbox served over
real HTTP (`sandbox.py`), the CLI run in this process (`cli.py`) and the conformance suite
every vendor passes (`conformance.py`, a pytest plugin registered under `pytest11`) with
the data its fixtures are made of (`fixtures.py`)."""
