"""Load articles from files, and the whole knowledge base from a folder.

Loading never stops at the first bad file: every problem is collected as a
:class:`~kb.model.Problem` with its file, line and field, and the good files still load.

Trees written for other tools load as they are: keys kb doesn't know are kept with the
article (and warned about), files without front matter are articles when they have a
``# Title`` heading, and ids default to one derived from the path. The mapping file
(:mod:`kb.mapping`) says how to read another system's keys and values; the strict kb
format (``--strict``, or ``strict: true`` in it) turns the format warnings into errors.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from kb import frontmatter
from kb.mapping import FieldMap, Mapping, mapping_for, parse_date
from kb.model import FIELDS, Article, FieldSpec, Problem
from kb.resolution_codes import TAXONOMY_FILE, Taxonomy, load_taxonomy

# Ids end up in URLs and file names: keep them to a safe alphabet.
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
MAX_ID_LENGTH = 100  # what the database's article_id columns hold
MAX_FILE_BYTES = 2_000_000

# Rules about the format of a file rather than its meaning: problems under them are
# warnings, so an existing tree indexes as it is, unless the strict kb format is asked for
# (``--strict`` or ``strict: true`` in kb.yaml), which makes them errors.
FORMAT_RULES = frozenset({"unknown-field", "invalid-value", "field-type", "duplicate-field", "invalid-id",
                          "no-front-matter", "not-an-article"})
_MAX_EXTRA_DEPTH = 6
_MAX_EXTRA_ITEMS = 200
_DEFAULT_MAPPING = Mapping()


@dataclass
class ParseResult:
    """An article (None when the file is unusable) and the problems found in its file.

    ``visibility`` is the (audience, status) the file asks for, read even when the file has
    errors elsewhere (None when not even that can be read): a build that keeps the last good
    version of a broken file must still honour a narrowed audience or status.
    ``skipped`` says the file is not an article at all (no front matter, no title heading).
    """

    path: str
    article: Article | None
    problems: list[Problem] = field(default_factory=list)
    visibility: tuple[str, str] | None = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.article is not None and not any(p.is_error for p in self.problems)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to a misspelt word, if any is close enough."""
    matches = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def is_article_file(relpath: Path | str, mapping: Mapping | None = None) -> bool:
    """Markdown files are articles, except READMEs, anything hidden or starting with '_', and
    folders the mapping file ignores (``includes`` by default)."""
    return (mapping or _DEFAULT_MAPPING).is_article_file(relpath)


def iter_article_paths(root: Path, mapping: Mapping | None = None) -> Iterator[Path]:
    """Every article file under ``root``, in a stable order."""
    mapping = mapping or mapping_for(root)
    for path in sorted(root.rglob("*.md")):
        if path.is_file() and mapping.is_article_file(path.relative_to(root)):
            yield path


def content_hash(data: bytes) -> str:
    """Hash of a file's bytes: what incremental indexing compares."""
    return hashlib.sha256(data).hexdigest()


def path_id(rel: str) -> str:
    """The id of an article that doesn't give one: its path, made safe for URLs.

    Folders and file name (without ``.md``) are joined with '.', each reduced to letters,
    digits, '_' and '-' (accents dropped, other characters become '-'). The same path always
    gives the same id. Paths longer than :data:`MAX_ID_LENGTH` keep the file name's start
    and a hash of the whole path.

    >>> path_id("Teams/meetings/meeting-recording-overview.md")
    'Teams.meetings.meeting-recording-overview'
    >>> path_id("Outlook/Client/Can't open (2).markdown")
    'Outlook.Client.Cant-open-2-markdown'
    """
    parts = PurePosixPath(rel).parts
    if parts and parts[-1].lower().endswith(".md"):
        parts = (*parts[:-1], parts[-1][:-3])
    segments = [_id_segment(part) for part in parts] or ["article"]
    joined = ".".join(segments)
    if len(joined) <= MAX_ID_LENGTH:
        return joined
    digest = hashlib.sha256(rel.encode("utf-8")).hexdigest()[:12]
    return f"{segments[-1][:MAX_ID_LENGTH - len(digest) - 1].rstrip('._-')}-{digest}"


def _id_segment(part: str) -> str:
    text = unicodedata.normalize("NFKD", part)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['\u2019`]", "", text)  # "can't" -> "cant", not "can-t"
    text = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")
    text = re.sub(r"-{2,}", "-", text)
    return text or "x" + hashlib.sha256(part.encode("utf-8")).hexdigest()[:8]


def is_usable_id(article_id: object) -> bool:
    """Whether an id is safe in URLs, file names and links."""
    return isinstance(article_id, str) and 0 < len(article_id) <= MAX_ID_LENGTH \
        and set(article_id) <= _ID_CHARS and article_id.strip(".") != ""


def parse_article(path: Path, root: Path | None = None, data: bytes | None = None, *,
                  mapping: Mapping | None = None, strict: bool | None = None) -> ParseResult:
    """Read and validate one article file.

    :param path: the file.
    :param root: the articles folder; the article's ``path`` is relative to it.
    :param data: the file's bytes, when the caller already read them.
    :param mapping: how to read another system's front matter (default: the folder's kb.yaml).
    :param strict: the strict kb format (default: the mapping's ``strict``): format problems
        (:data:`FORMAT_RULES`) are errors instead of warnings.
    """
    root = root or path.parent
    mapping = mapping if mapping is not None else mapping_for(root)
    strict = mapping.strict if strict is None else strict
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = path.as_posix()
    shown = (root / rel).as_posix() if not Path(rel).is_absolute() else rel
    result = ParseResult(path=shown, article=None)

    def problem(line: int, fld: str, message: str, rule: str, severity: str = "error") -> None:
        if rule in FORMAT_RULES and not strict:
            severity = "warning"
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
    has_front_matter = True
    try:
        fm = frontmatter.parse(text)
    except frontmatter.NoFrontMatter as exc:
        has_front_matter = False
        fm = frontmatter.FrontMatter(body=text, body_line=1, first_line=1)
        if strict:
            problem(exc.line, "front matter", exc.message, "no-front-matter")
    except frontmatter.FrontMatterError as exc:
        problem(exc.line, "front matter", exc.message, "front-matter")
        result.visibility = _visibility_of_broken(text, rel, mapping)
        return result

    for key, line in fm.duplicates:
        problem(line, key, "is given twice; the last value wins, remove the other", "duplicate-field")

    reading = _FieldReader(fm, rel, mapping, problem)
    values = reading.values
    result.visibility = (str(values.get("audience") or FIELDS["audience"].default),
                         str(values.get("status") or FIELDS["status"].default))

    body = fm.body
    if not values.get("title") and "title" not in reading.failed:
        heading = title_heading(body)
        if heading is not None:
            values["title"], body = heading
    if not values.get("title"):
        if not has_front_matter:
            result.skipped = not strict
            problem(1, "file", "is not an article: it has no front matter and no '# Title' heading "
                               "(snippets belong in a folder that kb.yaml ignores)", "not-an-article")
        elif "title" in reading.failed:
            pass  # already reported
        elif "title" not in reading.lines:
            keys = " or ".join(f"'{k}'" for k in mapping.sources("title")) or "a key kb.yaml names"
            problem(fm.first_line, "title", f"is required: add 'title: <what the article solves>' "
                                            f"(read from {keys}) or a '# Title' heading", "required-field")
        else:
            problem(reading.lines["title"], "title", "must not be empty", "required-field")
        return result

    article_id = values.get("id")
    if article_id is not None and not is_usable_id(article_id):
        fallback = path_id(rel)
        problem(reading.lines.get("id", fm.first_line), "id",
                f"'{str(article_id)[:120]}' is not a usable id: use up to {MAX_ID_LENGTH} letters, digits, "
                f"'.', '_' or '-'" + ("" if strict else f"; using '{fallback}', derived from the path"),
                "invalid-id")
        if strict:
            return result
        article_id = None
    if article_id is None:
        article_id = path_id(rel)

    kwargs = {name: values[name] for name in FIELDS if name in values and values[name] is not None}
    kwargs["id"] = article_id
    result.article = Article(
        body=body,
        path=rel,
        content_hash=content_hash(data),
        body_line=fm.body_line,
        field_lines=reading.lines,
        extra=reading.extra,
        **kwargs,
    )
    return result


def _visibility_of_broken(text: str, rel: str, mapping: Mapping) -> tuple[str, str] | None:
    """The (audience, status) of a file whose front matter does not parse, read from its
    top-level ``key: value`` lines one at a time; None when the front matter can't be found.

    Only a build keeping the file's last good version asks: what the author wrote in the
    lines that do parse (``audience: internal`` beside a broken ``tags:``) still counts.
    """
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].rstrip() != frontmatter.FENCE:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].rstrip() in ("---", "...")), len(lines))
    fm = frontmatter.FrontMatter(first_line=start + 2)
    for number in range(start + 1, end):
        line = lines[number]
        if not line or line[0].isspace() or line.startswith(("#", "-")) or ":" not in line:
            continue
        try:
            node = yaml.compose(line, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            continue
        if isinstance(node, yaml.MappingNode) and len(node.value) == 1:
            key_node, value = node.value[0]
            if isinstance(key_node, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode):
                fm.values[key_node.value] = value
                fm.lines[key_node.value] = number + 1
    values = _FieldReader(fm, rel, mapping, lambda *args: None).values
    return (str(values.get("audience") or FIELDS["audience"].default),
            str(values.get("status") or FIELDS["status"].default))


def title_heading(body: str) -> tuple[str, str] | None:
    """The first level-1 heading of a body, and the body without it (blank lines keep the
    line numbers), as MkDocs titles a page that has no front matter; None without one."""
    from kb.markdown import first_heading

    found = first_heading(body, level=1)
    if found is None:
        return None
    text, start, end = found
    lines = body.splitlines(keepends=True)
    rest = "".join(lines[:start]) + "\n" * (end - start) + "".join(lines[end:])
    return text, rest


class _FieldReader:
    """The kb fields of one file's front matter, read through the mapping.

    Fills ``values`` (kb field -> value), ``lines`` (kb field -> file line of its source
    key), ``extra`` (every other key, as plain values) and ``failed`` (fields whose value
    could not be used), reporting each problem through ``problem``.
    """

    def __init__(self, fm: frontmatter.FrontMatter, rel: str, mapping: Mapping, problem):
        self.values: dict[str, object] = {}
        self.lines: dict[str, int] = {}
        self.extra: dict[str, object] = {}
        self.failed: set[str] = set()
        self.problem = problem
        consumed: set[str] = set()
        for name, spec in FIELDS.items():
            fmap = mapping.fields.get(name)
            found = []
            for key in mapping.sources(name):
                hit = _lookup(fm, key)
                if hit is not None:
                    found.append((key, *hit))
                    consumed.add(key if key in fm.values else key.partition(".")[0])
            if found:
                self.lines[name] = found[0][2]
                self.read(spec, fmap, found)
            elif fmap is not None:
                folder = mapping.folder_value(fmap, rel) if fmap.folder else None
                if folder is not None:
                    value, message = _convert_text(spec, fmap.map_value(folder), fmap)
                    if message:
                        problem(1, name, f"from the folder '{folder}': {message}", "invalid-value")
                    else:
                        self.values[name] = value
                elif fmap.default is not None:
                    self.values[name] = fmap.default
        for key, node in fm.values.items():
            if key in consumed:
                continue
            self.extra[key] = _plain(node)
            if key in FIELDS or mapping.is_expected(key):
                continue  # a kb field the mapping reads from elsewhere, or a key this tree is known to use
            hint = did_you_mean(key, FIELDS)
            suffix = f"; did you mean '{hint}'?" if hint else \
                " (kept with the article; list it under extra_fields in kb.yaml to silence this)"
            problem(fm.lines[key], key, f"unknown field{suffix}", "unknown-field")
        if "status" in self.failed:
            self.values["audience"] = "internal"  # an unreadable status never publishes anything

    def read(self, spec: FieldSpec, fmap: FieldMap | None, found: list[tuple[str, yaml.Node, int]]) -> None:
        name = spec.name
        if spec.kind == "list" and fmap is not None:
            items: list[str] = []
            for key, node, line in found:
                value, message = _convert(spec, node, fmap)
                if message:
                    self.report(name, key, line, message)
                else:
                    items.extend(value)
            self.values[name] = tuple(dict.fromkeys(items))
            return
        key, node, line = found[0]
        value, message = _convert(spec, node, fmap)
        if message:
            self.report(name, key, line, message)
            self.failed.add(name)
            if name == "audience":
                self.values[name] = "internal"
            return
        self.values[name] = value

    def report(self, name: str, key: str, line: int, message: str) -> None:
        shown = key if key == name else f"{key} (read as {name})"
        if name in ("title", "id"):
            self.problem(line, shown, message, "required-field" if name == "title" else "invalid-id")
            return
        rule = "field-type" if "must be" in message else "invalid-value"
        fallback = {"audience": "read as 'internal' until fixed",
                    "status": "the article is internal (staff only) until it is fixed"}.get(
            name, "ignored until fixed")
        self.problem(line, shown, f"{message}; {fallback}", rule)


def _lookup(fm: frontmatter.FrontMatter, key: str) -> tuple[yaml.Node, int] | None:
    """The node of a front-matter key and its file line; ``a.b`` also finds ``b`` inside a
    mapping ``a`` (Docusaurus' ``last_update.date``) when no key is literally ``a.b``."""
    node = fm.values.get(key)
    if node is not None:
        return node, fm.lines[key]
    head, sep, rest = key.partition(".")
    while sep:
        node = fm.values.get(head)
        if isinstance(node, yaml.MappingNode):
            for sub_key, sub_value in node.value:
                if isinstance(sub_key, yaml.ScalarNode) and sub_key.value == rest:
                    return sub_value, frontmatter.node_line(sub_key, fm.first_line)
        more, sep, rest = rest.partition(".")
        head = f"{head}.{more}"
    return None


def _plain(node: yaml.Node, depth: int = 0) -> object:
    """A YAML node as plain JSON-friendly values (text as written: '0042' stays '0042')."""
    if depth > _MAX_EXTRA_DEPTH:
        return None
    if isinstance(node, yaml.ScalarNode):
        return frontmatter.scalar_text(node)
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, depth + 1) for item in node.value[:_MAX_EXTRA_ITEMS]]
    if isinstance(node, yaml.MappingNode):
        return {str(getattr(k, "value", "")): _plain(v, depth + 1) for k, v in node.value[:_MAX_EXTRA_ITEMS]}
    return None


def _convert(spec: FieldSpec, node: yaml.Node, fmap: FieldMap | None = None) -> tuple[object, str | None]:
    """Turn a YAML node into the field's value, or explain why it can't be.

    Through a mapping (``fmap``), source values are translated by its value map, a list
    field read from a single value takes it as a one-item list, and a single-value field
    read from a list takes the list's first item.
    """
    if spec.kind == "list":
        if isinstance(node, yaml.ScalarNode):
            text = frontmatter.scalar_text(node)
            if text is None:
                return (), None
            if fmap is None:
                return None, f"must be a list, e.g. [{text}]"
            node = yaml.SequenceNode("tag:yaml.org,2002:seq", [node])
        if not isinstance(node, yaml.SequenceNode):
            return None, "must be a list, e.g. [a, b]"
        items = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                return None, "must be a list of plain values, not nested lists or mappings"
            text = frontmatter.scalar_text(item)
            if text is not None and text.strip():
                items.append(str(fmap.map_value(text) if fmap else text).strip())
        return tuple(dict.fromkeys(i for i in items if i)), None
    if isinstance(node, yaml.SequenceNode) and fmap is not None and node.value:
        node = node.value[0]
    if not isinstance(node, yaml.ScalarNode):
        return None, "must be a single value, not a list or mapping"
    text = frontmatter.scalar_text(node)
    if text is None:
        return None, None
    return _convert_text(spec, fmap.map_value(text) if fmap else text, fmap)


def _convert_text(spec: FieldSpec, value: object, fmap: FieldMap | None) -> tuple[object, str | None]:
    text = str(value).strip()
    if spec.kind == "str":
        return text, None
    if spec.kind == "choice":
        if text in spec.choices:
            return text, None
        hint = did_you_mean(text, spec.choices)
        suffix = f"; did you mean '{hint}'?" if hint else ""
        return None, f"'{text[:80]}' is not one of {', '.join(spec.choices)}{suffix}"
    if spec.kind == "date":
        parsed = parse_date(text, fmap.formats if fmap else ())
        if parsed is not None:
            return parsed, None
        formats = " or ".join(fmap.formats) if fmap and fmap.formats else ""
        return None, f"'{text[:40]}' is not a date; write it as YYYY-MM-DD" + (
            f" (or {formats}, as kb.yaml says)" if formats else "")
    raise AssertionError(f"unhandled field kind {spec.kind}")


@dataclass
class KnowledgeBase:
    """Every article that loaded, the problems found, and the resolution-code taxonomy."""

    root: Path
    articles: dict[str, Article]
    problems: list[Problem]
    taxonomy: Taxonomy
    results: dict[str, ParseResult]  # by relative path, including broken and skipped files
    mapping: Mapping = field(default_factory=Mapping)

    def get(self, article_id: str) -> Article | None:
        return self.articles.get(article_id)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def broken_paths(self) -> set[str]:
        """Relative paths of files whose current version must not be indexed."""
        return {rel for rel, r in self.results.items() if not r.ok and not r.skipped}

    def skipped_paths(self) -> set[str]:
        """Relative paths of Markdown files that are not articles (no front matter, no title)."""
        return {rel for rel, r in self.results.items() if r.skipped}


def load_knowledge_base(root: Path | str, *, strict: bool | None = None) -> KnowledgeBase:
    """Load every article under ``root``, the taxonomy and the mapping file beside them.

    Files with errors are reported and left out of ``articles``; duplicate ids keep the
    first file in path order and report the rest.

    :param strict: the strict kb format (default: what kb.yaml says).
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
    mapping = mapping_for(root)
    problems.extend(mapping.problems)
    for path in iter_article_paths(root, mapping):
        result = parse_article(path, root, mapping=mapping, strict=strict)
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
    return KnowledgeBase(root, articles, problems, taxonomy, results, mapping)
