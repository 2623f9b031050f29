"""Load articles from files, and the whole knowledge base from a folder.

Loading never stops at the first bad file: every problem is collected as a
:class:`~kb.model.Problem` with its file, line and field, and the good files still load.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from kb import frontmatter
from kb.model import FIELDS, Article, FieldSpec, Problem
from kb.resolution_codes import TAXONOMY_FILE, Taxonomy, load_taxonomy

# Ids end up in URLs and file names: keep them to a safe alphabet.
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
MAX_ID_LENGTH = 100
MAX_FILE_BYTES = 2_000_000


@dataclass
class ParseResult:
    """An article (None when the file is unusable) and the problems found in its file."""

    path: str
    article: Article | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.article is not None and not any(p.is_error for p in self.problems)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to a misspelt word, if any is close enough."""
    matches = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def is_article_file(relpath: Path) -> bool:
    """Markdown files are articles, except READMEs and anything hidden or starting with '_'."""
    if relpath.suffix.lower() != ".md" or relpath.name.lower() == "readme.md":
        return False
    return not any(part.startswith((".", "_")) for part in relpath.parts)


def iter_article_paths(root: Path) -> Iterator[Path]:
    """Every article file under ``root``, in a stable order."""
    for path in sorted(root.rglob("*.md")):
        if path.is_file() and is_article_file(path.relative_to(root)):
            yield path


def content_hash(data: bytes) -> str:
    """Hash of a file's bytes: what incremental indexing compares."""
    return hashlib.sha256(data).hexdigest()


def parse_article(path: Path, root: Path | None = None, data: bytes | None = None) -> ParseResult:
    """Read and validate one article file.

    :param path: the file.
    :param root: the articles folder; the article's ``path`` is relative to it.
    :param data: the file's bytes, when the caller already read them.
    """
    root = root or path.parent
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.as_posix()
    shown = (root / rel).as_posix() if not Path(rel).is_absolute() else rel
    result = ParseResult(path=shown, article=None)

    def problem(line: int, fld: str, message: str, rule: str, severity: str = "error") -> None:
        result.problems.append(Problem(shown, line, fld, message, severity, rule))

    try:
        if data is None:
            data = path.read_bytes()
    except OSError as exc:
        problem(1, "file", f"can't be read: {exc.strerror or exc}", "unreadable")
        return result
    if len(data) > MAX_FILE_BYTES:
        problem(1, "file", f"is {len(data):,} bytes; articles are limited to {MAX_FILE_BYTES:,}", "too-large")
        return result
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problem(line, "file", "is not UTF-8 text: save it as UTF-8", "encoding")
        return result
    if "\x00" in text:
        problem(1, "file", "contains NUL bytes: is it really a Markdown file?", "encoding")
        return result
    try:
        fm = frontmatter.parse(text)
    except frontmatter.FrontMatterError as exc:
        problem(exc.line, "front matter", exc.message, "front-matter")
        return result

    for key, line in fm.duplicates:
        problem(line, key, "is given twice; the last value wins, remove the other", "duplicate-field")

    values: dict[str, object] = {}
    for key, node in fm.values.items():
        line = fm.lines[key]
        spec = FIELDS.get(key)
        if spec is None:
            hint = did_you_mean(key, FIELDS)
            suffix = f"; did you mean '{hint}'?" if hint else f"; known fields: {', '.join(FIELDS)}"
            problem(line, key, f"unknown field{suffix}", "unknown-field")
            continue
        value, message = _convert(spec, node)
        if message:
            problem(line, key, message, "field-type" if "must be" in message else "invalid-value")
            continue
        values[key] = value

    stem = Path(rel).stem
    article_id = values.get("id") or stem
    if not isinstance(article_id, str) or not article_id or len(article_id) > MAX_ID_LENGTH \
            or not set(article_id) <= _ID_CHARS:
        problem(fm.lines.get("id", fm.first_line), "id",
                f"'{article_id}' is not a usable id: use up to {MAX_ID_LENGTH} letters, digits, '.', '_' or '-'",
                "invalid-id")
        return result
    if not values.get("title"):
        if "title" not in fm.values:
            problem(fm.first_line, "title", "is required: add 'title: <what the article solves>'",
                    "required-field")
        elif "title" in values:
            problem(fm.lines["title"], "title", "must not be empty", "required-field")
        return result

    kwargs = {name: values[name] for name in FIELDS if name in values and values[name] is not None}
    kwargs["id"] = article_id
    result.article = Article(
        body=fm.body,
        path=rel,
        content_hash=content_hash(data),
        body_line=fm.body_line,
        field_lines=dict(fm.lines),
        **kwargs,
    )
    return result


def _convert(spec: FieldSpec, node: yaml.Node) -> tuple[object, str | None]:
    """Turn a YAML node into the field's value, or explain why it can't be."""
    if spec.kind == "list":
        if isinstance(node, yaml.ScalarNode) and frontmatter.scalar_text(node) is None:
            return (), None
        if not isinstance(node, yaml.SequenceNode):
            example = frontmatter.scalar_text(node) if isinstance(node, yaml.ScalarNode) else "a, b"
            return None, f"must be a list, e.g. [{example}]"
        items = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                return None, "must be a list of plain values, not nested lists or mappings"
            text = frontmatter.scalar_text(item)
            if text is not None and text.strip():
                items.append(text.strip())
        return tuple(dict.fromkeys(items)), None
    if not isinstance(node, yaml.ScalarNode):
        return None, "must be a single value, not a list or mapping"
    text = frontmatter.scalar_text(node)
    if text is None:
        return None, None
    text = text.strip()
    if spec.kind == "str":
        return text, None
    if spec.kind == "choice":
        if text in spec.choices:
            return text, None
        hint = did_you_mean(text, spec.choices)
        suffix = f"; did you mean '{hint}'?" if hint else ""
        return None, f"'{text}' is not one of {', '.join(spec.choices)}{suffix}"
    if spec.kind == "date":
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return None, f"'{text}' is not a date; write it as YYYY-MM-DD"
    raise AssertionError(f"unhandled field kind {spec.kind}")


@dataclass
class KnowledgeBase:
    """Every article that loaded, the problems found, and the resolution-code taxonomy."""

    root: Path
    articles: dict[str, Article]
    problems: list[Problem]
    taxonomy: Taxonomy
    results: dict[str, ParseResult]  # by relative path, including broken files

    def get(self, article_id: str) -> Article | None:
        return self.articles.get(article_id)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def broken_paths(self) -> set[str]:
        """Relative paths of files whose current version must not be indexed."""
        return {rel for rel, r in self.results.items() if not r.ok}


def load_knowledge_base(root: Path | str) -> KnowledgeBase:
    """Load every article under ``root`` and the taxonomy beside them.

    Files with errors are reported and left out of ``articles``; duplicate ids keep the
    first file in path order and report the rest.
    """
    root = Path(root)
    problems: list[Problem] = []
    taxonomy, tax_problems = load_taxonomy(root / TAXONOMY_FILE)
    problems.extend(tax_problems)
    articles: dict[str, Article] = {}
    results: dict[str, ParseResult] = {}
    if not root.is_dir():
        problems.append(Problem(root.as_posix(), 1, "folder", "does not exist or is not a folder", rule="missing"))
        return KnowledgeBase(root, articles, problems, taxonomy, results)
    for path in iter_article_paths(root):
        result = parse_article(path, root)
        rel = path.relative_to(root).as_posix()
        results[rel] = result
        problems.extend(result.problems)
        article = result.article
        if article is None or not result.ok:
            continue
        if article.id in articles:
            first = articles[article.id]
            dup = Problem(result.path, article.line_of("id"), "id",
                          f"'{article.id}' is already used by {(root / first.path).as_posix()}", rule="duplicate-id")
            problems.append(dup)
            result.problems.append(dup)
            continue
        articles[article.id] = article
    return KnowledgeBase(root, articles, problems, taxonomy, results)
