"""The mapping file: how another documentation system's tree becomes a kb knowledge base.

A team arrives with Markdown written for MkDocs, Docusaurus, Hugo or Microsoft Learn: its
own front-matter keys (``ms.topic``, ``ms.date``, ``draft``, ``sidebar_position``...), its
own values (``troubleshooting`` where kb says ``tsg``), snippet folders that are not
articles. ``kb.yaml`` in the articles folder says, once, how to read them::

    strict: false                 # unknown keys and unusable values are warnings
    ignore: [includes, media]     # folders (or glob patterns) that hold no articles
    readmes: false                # README.md files are not articles
    extra_fields: ["ms.*", author]   # keys expected here: kept with the article, no warning
    fields:
      type:
        from: ms.topic            # the key that holds kb's field (a list: first present wins)
        values: {troubleshooting: tsg, conceptual: reference}
      updated: {from: ms.date, format: "%m/%d/%Y"}
      product: {folder: 1, values: {Teams: Microsoft Teams}}
      audience: {from: [], default: public}

Every problem is reported with the file and line, like an article's; a mapping with an
error is not used (``kb index`` refuses to write rather than reindex the tree with a
half-understood mapping). The format is documented in ``articles/README.md``, which a
test checks against :data:`TOP_KEYS` and :data:`FIELD_KEYS`.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import yaml

from kb.kcs.policy import Policy, read_policy
from kb.model import FIELDS, Problem

MAPPING_FILE = "kb.yaml"
# Folders that hold snippets pulled into other pages (Microsoft Learn's "includes"), not
# articles; a mapping's own ``ignore`` list replaces this one.
DEFAULT_IGNORE: tuple[str, ...] = ("includes",)

# key -> what it says (README documents each; a test keeps the two in step)
TOP_KEYS: dict[str, str] = {
    "strict": "true: the strict kb format, where unknown keys and unusable values are errors",
    "ignore": "folder names or glob patterns (relative to the articles folder) that hold no articles",
    "readmes": "true: README.md files are articles too",
    "extra_fields": "front-matter keys (glob patterns allowed) that are expected: kept, no warning",
    "fields": "for each kb field, where its value comes from",
    "owners": "who owns the articles that name no owner (default, products, folders) and who is in each team",
    "help_center": "validated (the default): the help center shows validated public articles only; "
                   "published: every published public article",
}
FIELD_KEYS: dict[str, str] = {
    "from": "the front-matter key (or list of keys, first present wins) holding the value; [] for none",
    "values": "a map from the other system's values to kb's, e.g. {troubleshooting: tsg}",
    "default": "the value when no file key gives one",
    "format": "date formats (strftime, e.g. '%m/%d/%Y') tried before YYYY-MM-DD",
    "folder": "take the value from the article's folder at this depth (1: the first folder level)",
}
_NO_MAPPING_FIELDS = ("title",)  # mapped with 'from' only: no values, defaults or folders
_FOLDER_KINDS = ("str", "choice")


@dataclass(frozen=True)
class FieldMap:
    """Where one kb field's value comes from."""

    name: str
    sources: tuple[str, ...]
    values: dict[str, object] = field(default_factory=dict)  # casefolded source value -> kb value
    default: object = None
    formats: tuple[str, ...] = ()
    folder: int | None = None

    def map_value(self, text: str) -> object:
        """The kb value for a source value (unchanged when the map doesn't name it)."""
        return self.values.get(text.strip().casefold(), text)


@dataclass
class Mapping:
    """A knowledge base's reading rules; ``Mapping()`` is kb's own format with no mapping file."""

    path: Path | None = None
    strict: bool = False
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    readmes: bool = False
    extra_fields: tuple[str, ...] = ()
    fields: dict[str, FieldMap] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Fallback owners, teams and the help center's rule (kb/kcs/policy.py).
    policy: Policy = field(default_factory=Policy)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def sources(self, name: str) -> tuple[str, ...]:
        """The front-matter keys that may hold kb field ``name``, in order."""
        fmap = self.fields.get(name)
        return fmap.sources if fmap is not None else (name,)

    def is_expected(self, key: str) -> bool:
        """Whether a key that is no kb field is one this tree is known to use."""
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.extra_fields)

    def ignores(self, rel: str) -> bool:
        """Whether a path (a file or folder, relative to the articles folder) holds no articles.

        A pattern without '/' matches any one folder or file name (``includes``, ``*.draft.md``);
        one with '/' matches the path from the articles folder, or a folder above it.
        """
        names, paths = self._patterns
        parts = PurePosixPath(rel).parts
        if names is not None and any(names.match(part) for part in parts):
            return True
        return paths is not None and any(paths.match("/".join(parts[:n])) for n in range(1, len(parts) + 1))

    def ignores_entry(self, rel: str, name: str) -> bool:
        """:meth:`ignores` for a walk that already checked every folder above ``rel``."""
        names, paths = self._patterns
        return bool((names is not None and names.match(name)) or (paths is not None and paths.match(rel)))

    @cached_property
    def _patterns(self) -> tuple[re.Pattern | None, re.Pattern | None]:
        """The ignore patterns compiled into one regex for names and one for paths."""
        names = [fnmatch.translate(p.strip("/")) for p in self.ignore if p.strip("/") and "/" not in p.strip("/")]
        paths = [fnmatch.translate(p.strip("/")) for p in self.ignore if "/" in p.strip("/")]
        return (re.compile("|".join(names)) if names else None, re.compile("|".join(paths)) if paths else None)

    def is_article_file(self, rel: str | os.PathLike) -> bool:
        """Markdown files are articles, except READMEs (unless ``readmes``), anything hidden or
        starting with '_', and what ``ignore`` names."""
        path = PurePosixPath(Path(rel).as_posix())
        if path.suffix.lower() != ".md":
            return False
        if path.name.lower() == "readme.md" and not self.readmes:
            return False
        if any(part.startswith((".", "_")) for part in path.parts):
            return False
        return not self.ignore or not self.ignores(path.as_posix())

    def folder_value(self, fmap: FieldMap, rel: str) -> str | None:
        """The folder name at ``fmap.folder`` levels below the articles folder, if the file is that deep."""
        folders = PurePosixPath(rel).parts[:-1]
        if fmap.folder is None or len(folders) < fmap.folder:
            return None
        return folders[fmap.folder - 1]


# -- loading -------------------------------------------------------------------------------

def load_mapping(root: Path | str) -> Mapping:
    """Read and check the mapping file (kb.yaml) in ``root``; without one, kb's own format with the
    default ignores."""
    path = Path(root) / MAPPING_FILE
    mapping = Mapping()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return mapping
    except (OSError, UnicodeDecodeError) as exc:
        mapping.path = path
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        mapping.problems.append(Problem(path.as_posix(), 1, "file", f"can't be read: {reason}", rule="mapping"))
        return mapping
    mapping.path = path
    _Reader(path, mapping).read(text)
    return mapping


_cache: dict[str, tuple[tuple, Mapping]] = {}
_cache_lock = threading.Lock()


def mapping_for(root: Path | str) -> Mapping:
    """:func:`load_mapping`, read again only when the file changes (every parse asks)."""
    path = Path(root) / MAPPING_FILE
    try:
        st = path.stat()
        stamp: tuple = (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        stamp = ()
    key = os.path.abspath(path)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    mapping = load_mapping(root)
    with _cache_lock:
        _cache[key] = (stamp, mapping)
    return mapping


class _Reader:
    """Checks a mapping file node by node, filling a :class:`Mapping` and its problems."""

    def __init__(self, path: Path, mapping: Mapping):
        self.path = path
        self.mapping = mapping

    def problem(self, node_or_line, where: str, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line + 1
        self.mapping.problems.append(Problem(self.path.as_posix(), line, where, message, rule="mapping"))

    def read(self, text: str) -> None:
        try:
            root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            self.problem(mark.line + 1 if mark else 1, "file",
                         f"is not valid YAML: {getattr(exc, 'problem', None) or exc}")
            return
        if root is None:
            return
        if not isinstance(root, yaml.MappingNode):
            self.problem(root, "file", f"must be a mapping of settings: {', '.join(TOP_KEYS)}")
            return
        loop: dict[str, yaml.Node] = {}
        for key, value in self.pairs(root, TOP_KEYS, ""):
            if key in ("owners", "help_center"):
                loop[key] = value
            elif key == "strict":
                self.mapping.strict = bool(self.boolean(value, key))
            elif key == "readmes":
                self.mapping.readmes = bool(self.boolean(value, key))
            elif key == "ignore":
                self.mapping.ignore = self.strings(value, key)
            elif key == "extra_fields":
                self.mapping.extra_fields = self.strings(value, key)
            elif key == "fields":
                self.read_fields(value)
        if loop:
            self.read_policy(loop)

    def read_policy(self, nodes: dict[str, yaml.Node]) -> None:
        """The knowledge loop's settings (see kb/kcs/policy.py)."""
        constructor = yaml.constructor.SafeConstructor()
        data = {key: constructor.construct_object(node, deep=True) for key, node in nodes.items()}
        self.mapping.policy = read_policy(data.get("owners"), data.get("help_center"),
                                          line_of=lambda key: nodes[key].start_mark.line + 1 if key in nodes else 1,
                                          report=lambda line, where, message: self.problem(line, where, message))

    def pairs(self, node: yaml.MappingNode, known, where: str):
        """(key, value node) of a mapping, reporting unknown and repeated keys."""
        seen = set()
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            name = f"{where}.{key}" if where else str(key)
            if key is None or key not in known:
                hint = difflib.get_close_matches(str(key), list(known), n=1)
                self.problem(key_node, name, "is not a mapping setting" + (
                    f"; did you mean '{hint[0]}'?" if hint else f"; use one of {', '.join(known)}"))
                continue
            if key in seen:
                self.problem(key_node, name, "is given twice")
                continue
            seen.add(key)
            yield key, value

    def boolean(self, node: yaml.Node, where: str) -> bool | None:
        value = _scalar(node)
        if value is not None and value.lower() in ("true", "yes", "on", "false", "no", "off"):
            return value.lower() in ("true", "yes", "on")
        self.problem(node, where, "must be true or false")
        return None

    def strings(self, node: yaml.Node, where: str, *, allow_none: bool = False) -> tuple[str, ...]:
        """A string or a list of strings (an empty list, or null when allowed, for none)."""
        if isinstance(node, yaml.ScalarNode):
            value = _scalar(node)
            if value is None:
                if allow_none:
                    return ()
                self.problem(node, where, "must be text or a list of text")
                return ()
            return (value,) if value.strip() else ()
        if isinstance(node, yaml.SequenceNode):
            out = []
            for item in node.value:
                value = _scalar(item) if isinstance(item, yaml.ScalarNode) else None
                if value is None or not value.strip():
                    self.problem(item, where, "must be a list of text (no empty, nested or null items)")
                    continue
                out.append(value.strip())
            return tuple(out)
        self.problem(node, where, "must be text or a list of text")
        return ()

    def read_fields(self, node: yaml.Node) -> None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, "fields", "must map kb fields to where their values come from, "
                                         "e.g. 'type: {from: ms.topic}'")
            return
        for name, value in self.pairs(node, FIELDS, "fields"):
            fmap = self.read_field(name, value)
            if fmap is not None:
                self.mapping.fields[name] = fmap

    def read_field(self, name: str, node: yaml.Node) -> FieldMap | None:
        where = f"fields.{name}"
        spec = FIELDS[name]
        if isinstance(node, yaml.ScalarNode | yaml.SequenceNode):  # shorthand: the source key(s)
            return FieldMap(name, self.strings(node, where, allow_none=True))
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, where, "must be a key name or a mapping of from/values/default/format/folder")
            return None
        fmap = FieldMap(name, (name,))
        errors_before = len(self.mapping.problems)
        for key, value in self.pairs(node, FIELD_KEYS, where):
            here = f"{where}.{key}"
            if name in _NO_MAPPING_FIELDS and key != "from":
                self.problem(value, here, f"the {name} is only ever read from a key: use 'from'")
            elif key == "from":
                fmap = _replace(fmap, sources=self.strings(value, here, allow_none=True))
            elif key == "values":
                fmap = _replace(fmap, values=self.value_map(spec, value, here))
            elif key == "default":
                fmap = _replace(fmap, default=self.default(spec, value, here))
            elif key == "format":
                formats = self.strings(value, here)
                if spec.kind != "date":
                    self.problem(value, here, f"only date fields have a format; {name} is not a date")
                for fmt in formats:
                    if "%" not in fmt:
                        self.problem(value, here, f"'{fmt}' is not a date format; write it like '%m/%d/%Y'")
                fmap = _replace(fmap, formats=formats)
            elif key == "folder":
                level = _scalar(value)
                if spec.kind not in _FOLDER_KINDS:
                    self.problem(value, here, f"only single-value fields can come from a folder, not {name}")
                elif level is None or not level.isdigit() or int(level) < 1:
                    self.problem(value, here, "must be a folder depth: 1 for the first folder level, 2 for the next")
                else:
                    fmap = _replace(fmap, folder=int(level))
        return fmap if len(self.mapping.problems) == errors_before else None

    def value_map(self, spec, node: yaml.Node, where: str) -> dict[str, object]:
        if spec.kind == "date" or not isinstance(node, yaml.MappingNode):
            self.problem(node, where, "must map the other system's values to kb's, e.g. {troubleshooting: tsg}"
                         if spec.kind != "date" else "dates are not mapped by value; use 'format'")
            return {}
        out: dict[str, object] = {}
        for key_node, value in node.value:
            source = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            target = _scalar(value) if isinstance(value, yaml.ScalarNode) else None
            if source is None or target is None:
                self.problem(key_node, where, "each entry maps one value to one value, e.g. 'troubleshooting: tsg'")
                continue
            if spec.choices and target not in spec.choices:
                hint = difflib.get_close_matches(target, spec.choices, n=1)
                self.problem(value, f"{where}.{source}",
                             f"'{target}' is not one of {', '.join(spec.choices)}"
                             + (f"; did you mean '{hint[0]}'?" if hint else ""))
                continue
            out[source.strip().casefold()] = target.strip()
        return out

    def default(self, spec, node: yaml.Node, where: str) -> object:
        if spec.kind == "list":
            return self.strings(node, where)
        value = _scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if value is None:
            self.problem(node, where, "must be a single value")
            return None
        value = value.strip()
        if spec.choices and value not in spec.choices:
            self.problem(node, where, f"'{value}' is not one of {', '.join(spec.choices)}")
            return None
        if spec.kind == "date":
            parsed = parse_date(value)
            if parsed is None:
                self.problem(node, where, f"'{value}' is not a date; write it as YYYY-MM-DD")
            return parsed
        if spec.name == "id":
            self.problem(node, where, "ids are unique per article: there is no default id")
            return None
        return value


def _replace(fmap: FieldMap, **changes) -> FieldMap:
    from dataclasses import replace

    return replace(fmap, **changes)


def _scalar(node: yaml.Node) -> str | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        return None
    return node.value


def parse_date(text: str, formats: tuple[str, ...] = ()) -> date | None:
    """A date from ``formats`` (strftime), else ISO ``YYYY-MM-DD`` or an ISO date-time (its date)."""
    text = text.strip()
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None
