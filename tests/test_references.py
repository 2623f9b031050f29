"""Every file the docs, docstrings and comments name exists in the repository.

A reference is a path with a folder (``web/openapi/api.yaml``) or a bare Markdown or
Python file name (``README.md``). It resolves when a file of the repository ends with
it: ``authoring/_history.html`` names ``web/templates/authoring/_history.html``. Paths
starting with an upper-case placeholder (``INSTANCE/kb.cfg``, ``INDEX_ROOT/...``) are
runtime files, not the repository's, and globs or ``<placeholders>`` are not references.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ("kb", "indexer", "web", "cli", "tests", "bench")  # their docstrings and comments
DOCS = ("README.md", "indexer/README.md", "articles/README.md")  # plus every Markdown file under docs/
SKIP = {".git", ".venv", "__pycache__", "node_modules", "instance"}

_EXTENSIONS = "py|md|yaml|yml|json|toml|html|js|css|cfg|txt"
_REF = re.compile(rf"(?<![\w./:<>*$~\\-])((?:[\w.-]+/)*[\w-][\w.-]*\.(?:{_EXTENSIONS}))(?![\w/*<>-])")
_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*/")


def _docstrings_and_comments(text: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every docstring line and comment of a Python source."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                for offset, line in enumerate(first.value.value.splitlines()):
                    yield first.lineno + offset, line
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def references(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """(line, referenced path) in one file: Markdown's text, or a Python file's docstrings and comments."""
    text = path.read_text(encoding="utf-8")
    lines = enumerate(text.splitlines(), 1) if path.suffix == ".md" else _docstrings_and_comments(text)
    for number, line in lines:
        for match in _REF.finditer(line):
            ref = match.group(1)
            if ("/" in ref or ref.endswith((".md", ".py"))) and not _PLACEHOLDER.match(ref):
                yield number, ref


def repository_files(root: Path) -> list[str]:
    """Every file under ``root`` as a relative POSIX path (tools' and runtime folders skipped)."""
    return [p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and not SKIP.intersection(p.relative_to(root).parts)]


def scanned_files(root: Path) -> list[Path]:
    """The documentation and code whose references are checked."""
    found = [root / doc for doc in DOCS if (root / doc).is_file()]
    found += sorted((root / "docs").rglob("*.md")) if (root / "docs").is_dir() else []
    for folder in CODE:
        found += sorted(p for p in (root / folder).rglob("*.py") if not SKIP.intersection(p.parts))
    return found


def broken_references(root: Path) -> list[str]:
    """``file:line: path`` for every reference no file of the repository answers to."""
    files = repository_files(root)
    ends = {part for rel in files for part in _suffixes(rel)}
    broken = []
    for path in scanned_files(root):
        for number, ref in references(path, root):
            if ref.lstrip("./") not in ends:
                broken.append(f"{path.relative_to(root).as_posix()}:{number}: {ref} does not exist")
    return broken


def _suffixes(rel: str) -> Iterator[str]:
    parts = rel.split("/")
    for i in range(len(parts)):
        yield "/".join(parts[i:])


def test_every_referenced_file_exists():
    broken = broken_references(ROOT)
    assert not broken, "\n".join(broken)


def test_the_check_reports_a_missing_file_with_its_file_and_line(tmp_path):
    (tmp_path / "README.md").write_text("See `docs/guide.md`, STACK.md and kb/real.py.\n", encoding="utf-8")
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "real.py").write_text(
        '"""Real: see kb/real.py and web/templates/x.html."""\n\n'
        "x = 'kb/strings/are/not/references.py'\n"
        "# INSTANCE/kb.cfg is a runtime file; tests/web/test_gone.py is not\n", encoding="utf-8")
    (tmp_path / "indexer").mkdir()
    (tmp_path / "indexer" / "README.md").write_text("Files: `*.md`, `kb/templates/<type>.md`.\n")
    assert broken_references(tmp_path) == [
        "README.md:1: docs/guide.md does not exist",
        "README.md:1: STACK.md does not exist",
        "kb/real.py:1: web/templates/x.html does not exist",
        "kb/real.py:4: tests/web/test_gone.py does not exist",
    ]
