"""The package's layering, checked from its own imports: `python -m reconciler.tools.archcheck`
prints each violation and exits 1 if there is any.

Rules:
- the declared layer order (LAYERS, top first): a module imports nothing from a layer above
  its own. The command line (`reconciler/cli/`) is the top layer under the entry points
  (`__main__`, the test kit's suite, sandbox and in-process CLI under `testing/`,
  these tools): nothing else imports it; the API (`reconciler/api/`) sits under it, and the
  library under the API. A name imported under TYPE_CHECKING does not count here (no
  run-time dependency); it does for the rules below;
- the engine (`reconciler/engine/`) and the vendor-neutral models (`kinds/`,
  `config.py`, `validate.py`) import nothing from `reconciler/providers/`: vendors plug in
  from outside, handed over by the pipeline (`api/pipeline.py`);
- the engine imports nothing from `reconciler/render/`: renderers consume the engine's
  plan, never the other way round;
- the sandbox (`reconciler/sandbox/`: one emulator per vendor API) imports nothing of the
  package outside `reconciler/sandbox/`, so no emulator shares code with its vendor's
  client, provider or rules (whatever the client misreads in a doc, the emulator would
  agree with, and no test could catch it);
- no import cycle between the package's modules.

Every import counts: top-level, inside functions (a lazy import hides a cycle, it does
not remove it), relative, and `importlib.import_module("...")` with a literal name.
Imports under `if TYPE_CHECKING:` count for the layering rules (a layer that names
another's types depends on it) but not for cycles: they never run, and they are the
standard way for two modules to annotate with each other's types.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

PACKAGE = "reconciler"
NEUTRAL = ("reconciler.kinds", "reconciler.config", "reconciler.validate")
#: The package-level layer order, top first: each entry lists the packages and modules of a
#: layer; every module not listed is in the last layer, the library.
LAYERS: tuple[tuple[str, ...], ...] = (
    # entry points, and the test kit vendor packages run (it runs the CLI in-process); the
    # fixtures it runs (testing/fixtures.py, the vendors' conformance.py) are library code
    ("reconciler.__main__", "reconciler.testing.conformance", "reconciler.testing.sandbox",
     "reconciler.testing.cli", "reconciler.tools"),
    ("reconciler.cli",),  # the command line: parses options, calls the API, renders
    ("reconciler.api",),  # the application core: every command's rules
)
#: Edges allowed against the layer order (source pattern, target pattern): none.
LAYER_EXCEPTIONS: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (the most specific module of the package it names)
    line: int
    typing_only: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, modules: set[str]):
        self.module, self.is_package, self.modules = module, is_package, modules
        self.found: list[Import] = []
        self._typing = 0

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self._typing += 1
            for child in node.body:
                self.visit(child)
            self._typing -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _add(self, name: str, line: int) -> None:
        if name == PACKAGE or name.startswith(PACKAGE + "."):
            target = name
            while target not in self.modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in self.modules:
                self.found.append(Import(self.module, target, line, self._typing > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.module.split(".")
            keep = len(base) - node.level + (1 if self.is_package else 0)
            base = base[:keep]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        for alias in node.names:
            full = f"{prefix}.{alias.name}"
            # `from pkg import name`: a submodule if there is one, else a name in pkg
            self._add(full if full in self.modules else prefix, node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if (name == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            self._add(node.args[0].value, node.lineno)
        self.generic_visit(node)


def collect(root: Path) -> tuple[dict[str, Path], list[Import]]:
    """(module -> file, every import between the package's modules)."""
    files = {module_name(p, root): p for p in sorted((root / PACKAGE).rglob("*.py"))}
    modules = set(files)
    imports: list[Import] = []
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        collector = _Collector(module, path.name == "__init__.py", modules)
        collector.visit(tree)
        imports.extend(collector.found)
        # Importing a.b.c runs a/__init__ and a/b/__init__ first: those are edges too.
    return files, list(dict.fromkeys(imports))  # `from m import a, b`: one import of m


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer_of(module: str) -> int:
    """The index of `module`'s layer in LAYERS (len(LAYERS): the library)."""
    for index, members in enumerate(LAYERS):
        if any(_within(module, m) or fnmatch(module, m) for m in members):
            return index
    return len(LAYERS)


def against_layers(imp: Import) -> bool:
    """`imp` goes from a layer up to one above it (TYPE_CHECKING imports do not count: no
    run-time dependency), and is no declared exception."""
    if imp.typing_only or imp.target == PACKAGE or layer_of(imp.target) >= layer_of(imp.source):
        return False
    return not any(fnmatch(imp.source, s) and fnmatch(imp.target, t)
                   for s, t in LAYER_EXCEPTIONS)


def _layer_name(index: int) -> str:
    return ", ".join(LAYERS[index]) if index < len(LAYERS) else "the library"


def layering(imports: list[Import]) -> list[tuple[Import, str]]:
    problems = []
    for imp in imports:
        src, dst = imp.source, imp.target
        if against_layers(imp):
            problems.append((imp, f"{_layer_name(layer_of(src))} is under "
                                  f"{_layer_name(layer_of(dst))} in the layer order "
                                  "(archcheck.LAYERS)"))
        if (_within(src, "reconciler.engine") or any(_within(src, n) for n in NEUTRAL)) and _within(
                dst, "reconciler.providers"):
            problems.append((imp, "the engine and the neutral models must not import "
                                  "providers/ (the pipeline hands vendors in)"))
        if _within(src, "reconciler.engine") and _within(dst, "reconciler.render"):
            problems.append((imp, "the engine must not import render/"))
        if _within(src, "reconciler.sandbox") and not _within(dst, "reconciler.sandbox"):
            problems.append((imp, "the sandbox must not import the client side (only "
                                  "reconciler/sandbox/)"))
    return problems


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def cycles(files: dict[str, Path], imports: list[Import]) -> list[list[str]]:
    """Each strongly connected group of modules (a cycle), smallest name first."""
    graph: dict[str, set[str]] = {m: set() for m in files}
    for imp in imports:
        if imp.typing_only:
            continue
        for target in [*_ancestors(imp.target), imp.target]:
            if target in graph and target != imp.source and not _within(imp.source, target):
                graph[imp.source].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]
    limit = sys.getrecursionlimit()  # a deep chain of imports: raised here, then restored
    sys.setrecursionlimit(max(10_000, limit))

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    try:
        for node in sorted(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(groups)


def check(root: Path) -> list[str]:
    """Every violation, one line each (file:line where there is one)."""
    files, imports = collect(root)
    out = []
    for imp, why in layering(imports):
        path = files[imp.source].relative_to(root)
        out.append(f"{path}:{imp.line}: {imp.source} imports {imp.target}: {why}")
    edges = {(i.source, i.target): i for i in imports if not i.typing_only}
    for group in cycles(files, imports):
        members = set(group)
        lines = [f"{files[s].relative_to(root)}:{i.line} -> {t}"
                 for (s, t), i in sorted(edges.items())
                 if s in members and (t in members or any(a in members for a in _ancestors(t)))]
        out.append(f"import cycle between {', '.join(group)} ({'; '.join(lines)})")
    return out


def stats(root: Path) -> dict[str, int]:
    """The import graph in numbers: modules, import edges (module to module, TYPE_CHECKING
    ones included), edges against the layer order, cycles."""
    files, imports = collect(root)
    edges = {(i.source, i.target) for i in imports}
    against = {(i.source, i.target) for i in imports if against_layers(i)}
    return {"modules": len(files), "import edges": len(edges),
            "edges against the layer order": len(against),
            "cycles": len(cycles(files, imports))}


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[2]
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--stats"]:  # `--stats [ROOT]`: the numbers, for a review
        found = stats(Path(args[1]) if len(args) > 1 else root)
        print(", ".join(f"{k}: {v}" for k, v in found.items()))
        return 0
    problems = check(root)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} architecture violation(s)", file=sys.stderr)
        return 1
    print("architecture: no violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
