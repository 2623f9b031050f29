"""Reading kb's own import graph: every import of every module, and the rules it must keep.

Used by ``tests/test_architecture.py`` on the real tree and, in its tests of the test, on
small synthetic trees written to a temporary folder.

An import is every ``import x`` and ``from x import y`` anywhere in a file: at module
level, inside functions (deferred, for a fast ``kb --help`` or to reach an optional part),
in ``try`` blocks and under ``if TYPE_CHECKING``. Relative imports are resolved against
the importing module. ``from package import name`` is an import of ``package.name`` when
that is a module of the tree, else of ``package`` itself.

Deferred imports count for cycles too: a cycle closed inside a function still ties the two
modules together (neither can be understood, moved or tested alone), and it only waits for
the first call to fail halfway through an import. Importing ``kb.cases.store`` also runs
``kb/__init__.py`` and ``kb/cases/__init__.py``; those implicit parent imports are not edges
(as in every import-graph tool), otherwise every module would sit in a cycle with its
package's ``__init__``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    """One imported module, where it is imported and how it is written."""

    module: str  # the importing module, e.g. "kb.authoring"
    file: str  # its path relative to the tree's root, e.g. "kb/authoring.py"
    line: int
    target: str  # the imported module, absolute, e.g. "indexer" or "indexer.search"
    statement: str  # the import as written, e.g. "from indexer import Searcher"
    deferred: bool  # inside a function (runs at call time, not at import time)

    @property
    def where(self) -> str:
        when = "deferred " if self.deferred else ""
        return f"{self.file}:{self.line}: {when}`{self.statement}`"


@dataclass(frozen=True)
class Rule:
    """Modules under ``package`` import none of ``forbidden`` (top-level names)."""

    package: str
    forbidden: tuple[str, ...]
    why: str

    def breaches(self, imports: Iterable[Import]) -> list[str]:
        """A message per forbidden import: file, line, the import, and the rule."""
        found = []
        for imp in imports:
            if not _within(imp.module, self.package):
                continue
            top = imp.target.split(".")[0]
            if top in self.forbidden:
                found.append(f"{imp.where} imports {top}: {self.why}")
        return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def module_name(path: Path, root: Path) -> str:
    """``kb/cases/store.py`` -> ``kb.cases.store``; ``web/__init__.py`` -> ``web``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(root: Path, packages: Sequence[str]) -> Iterator[Path]:
    """Every Python file of ``packages`` under ``root``, in a stable order."""
    for package in packages:
        folder = root / package
        if folder.is_dir():
            yield from sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, file: str, modules: frozenset[str]):
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.file = file
        self.modules = modules
        self.depth = 0  # how many function bodies enclose the current node
        self.found: list[Import] = []

    def _statement(self, node: ast.stmt) -> str:
        text = " ".join(ast.unparse(node).split())
        return text if len(text) <= 90 else text[:87] + "..."

    def _add(self, node: ast.stmt, target: str) -> None:
        self.found.append(Import(self.module, self.file, node.lineno, target, self._statement(node),
                                 self.depth > 0))

    def _function(self, node) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.package.split(".") if self.package else []
            if node.level > len(parts):
                raise ValueError(f"{self.file}:{node.lineno}: relative import beyond the top-level package")
            parts = parts[:len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:
            candidate = f"{base}.{alias.name}" if base else alias.name
            self._add(node, candidate if candidate in self.modules else base)


def collect_imports(root: Path, packages: Sequence[str]) -> list[Import]:
    """Every import in every module of ``packages`` under ``root``."""
    files = list(source_files(root, packages))
    modules = frozenset(module_name(p, root) for p in files)
    found: list[Import] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        collector = _Collector(module_name(path, root), path.name == "__init__.py", rel, modules)
        collector.visit(ast.parse(text, filename=rel))
        found.extend(collector.found)
    return found


def import_cycles(imports: Iterable[Import]) -> list[str]:
    """One message per cycle between the tree's modules, naming each import that closes it.

    Strongly connected components (Tarjan) of the module graph; for each, the shortest
    cycle through its first module, spelled out import by import.
    """
    imports = list(imports)
    modules = {imp.module for imp in imports}
    edges: dict[str, dict[str, Import]] = {m: {} for m in modules}
    for imp in imports:
        if imp.target in modules and imp.target != imp.module:
            edges[imp.module].setdefault(imp.target, imp)
    messages = []
    for component in _components(edges):
        if len(component) < 2:
            continue
        start = min(component)
        path = _shortest_cycle(start, edges, component)
        chain = " -> ".join([*path, start])
        steps = "; ".join(edges[a][b].where for a, b in zip(path, [*path[1:], start], strict=True))
        messages.append(f"import cycle {chain} ({steps})")
    return sorted(messages)


def _components(edges: dict[str, dict[str, Import]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []

    def visit(node: str) -> None:  # recursion depth is bounded by the number of modules
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            out.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def _shortest_cycle(start: str, edges: dict[str, dict[str, Import]], within: set[str]) -> list[str]:
    """Modules on the shortest path from ``start`` back to itself (``start`` first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in sorted(edges[node]):
                if nxt not in within:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return path[::-1]
                if nxt not in previous:
                    previous[nxt] = node
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    raise AssertionError(f"{start} is in a component but on no cycle")  # pragma: no cover


def long_files(root: Path, packages: Sequence[str], max_lines: int) -> list[str]:
    """``path: N lines`` for each source file of ``packages`` longer than ``max_lines``."""
    found = []
    for path in source_files(root, packages):
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > max_lines:
            found.append(f"{path.relative_to(root).as_posix()}: {count} lines (at most {max_lines})")
    return found


def long_classes(root: Path, packages: Sequence[str], max_lines: int) -> list[str]:
    """``path:line: class Name: N lines`` for each class of ``packages`` longer than ``max_lines``
    (from its ``class`` line, or its first decorator, to its last line)."""
    found = []
    for path in source_files(root, packages):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=rel)):
            if isinstance(node, ast.ClassDef):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                count = node.end_lineno - first + 1
                if count > max_lines:
                    found.append(f"{rel}:{node.lineno}: class {node.name}: {count} lines (at most {max_lines})")
    return found


def environment_reads(root: Path, packages: Sequence[str]) -> list[str]:
    """``file:line: code`` for each use of ``os.environ``/``os.getenv`` and each ``"KB_..."`` string."""
    found = []
    for path in source_files(root, packages):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text, filename=rel)):
            hit = (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb")
                   and isinstance(node.value, ast.Name) and node.value.id == "os")
            hit = hit or (isinstance(node, ast.Constant) and isinstance(node.value, str)
                          and _ENV_NAME.fullmatch(node.value) is not None)
            if hit:
                found.append((rel, node.lineno, node.col_offset, ast.get_source_segment(text, node)))
    return [f"{rel}:{line}: {code}" for rel, line, _col, code in sorted(found)]


_ENV_NAME = re.compile(r"KB_[A-Z0-9_]+")
