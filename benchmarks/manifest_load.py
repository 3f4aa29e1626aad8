"""Loading manifests: wall time of `load_workspace` (read + YAML + schema) and of the YAML
step alone, for a workspace with one ContactGroup of N inline contacts.

    python benchmarks/manifest_load.py [--contacts 10000] [--repeat 3]

Run it from another checkout (PYTHONPATH=that/checkout) to compare loaders.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

CONFIG = "providers:\n  mail:\n    type: email-campaigns\n    base_url: sandbox\n"


def write_workspace(root: Path, contacts: int) -> Path:
    (root / "campaignctl.yaml").write_text(CONFIG)
    lines = ["kind: ContactGroup", "name: everyone", "provider: mail", "spec:", "  contacts:"]
    lines += [f"    - {{email: user{i}@example.com, first_name: First{i}, last_name: Last{i}}}"
              for i in range(contacts)]
    (root / "groups.yaml").write_text("\n".join(lines) + "\n")
    return root


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from reconciler.workspace import load_workspace
    from reconciler.yamlsource import load_file

    with tempfile.TemporaryDirectory() as tmp:
        ws = write_workspace(Path(tmp), args.contacts)
        size = (ws / "groups.yaml").stat().st_size
        yaml_s = best_of(args.repeat, lambda: load_file(ws / "groups.yaml"))
        total_s = best_of(args.repeat, lambda: load_workspace(ws))
        _, errors = load_workspace(ws)
        assert not errors, errors[:3]
    import reconciler

    print(f"{reconciler.__file__}:")
    print(f"{args.contacts} inline contacts ({size / 1e6:.2f} MB): YAML {yaml_s:.3f} s, "
          f"load_workspace {total_s:.3f} s (best of {args.repeat})")


if __name__ == "__main__":
    main()
