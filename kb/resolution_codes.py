"""The resolution-code taxonomy: how a case ended, read from one YAML file.

Codes are data, not code: ``articles/resolution-codes.yaml`` is the single registry.
This module reads and validates it and answers questions the case store asks.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from kb.errors import UnknownResolutionCode
from kb.model import Problem

TAXONOMY_FILE = "resolution-codes.yaml"
# The codes a knowledge base without its own resolution-codes.yaml uses.
DEFAULT_TAXONOMY = Path(__file__).resolve().parent / "defaults" / TAXONOMY_FILE
_CODE_FIELDS = {"code", "name", "description", "requires_article", "solved_by_knowledge",
                "requires_bug_reference"}
_FLAGS = ("requires_article", "solved_by_knowledge", "requires_bug_reference")


@dataclass(frozen=True)
class ResolutionCode:
    """One way a case can end, and the rules that closing with it must follow."""

    code: str
    name: str
    description: str
    requires_article: bool = False
    solved_by_knowledge: bool = False
    requires_bug_reference: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Taxonomy:
    """The resolution codes in file order."""

    codes: tuple[ResolutionCode, ...] = ()

    def __contains__(self, code: str) -> bool:
        return any(c.code == code for c in self.codes)

    def __iter__(self):
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, code: str) -> ResolutionCode:
        """The code's definition; raises :class:`UnknownResolutionCode` with a suggestion."""
        for c in self.codes:
            if c.code == code:
                return c
        raise UnknownResolutionCode(code, self.suggest(code))

    def suggest(self, code: str) -> str | None:
        matches = difflib.get_close_matches(code, [c.code for c in self.codes], n=1, cutoff=0.5)
        return matches[0] if matches else None


def load_taxonomy(path: Path) -> tuple[Taxonomy, list[Problem]]:
    """Read the taxonomy, returning every problem found rather than stopping at the first."""
    shown = path.as_posix()
    problems: list[Problem] = []

    def problem(line: int, fld: str, message: str, rule: str = "taxonomy") -> None:
        problems.append(Problem(shown, line, fld, message, "error", rule))

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        if path == DEFAULT_TAXONOMY:
            raise
        taxonomy, _ = load_taxonomy(DEFAULT_TAXONOMY)
        problems.append(Problem(shown, 1, "file", f"is missing: kb uses its built-in resolution codes; copy "
                                                  f"{DEFAULT_TAXONOMY} there to change them", "warning", "taxonomy"))
        return taxonomy, problems
    except (OSError, UnicodeDecodeError) as exc:
        problem(1, "file", f"can't be read: {exc}")
        return Taxonomy(), problems
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem(mark.line + 1 if mark else 1, "file", f"is not valid YAML: {getattr(exc, 'problem', exc)}")
        return Taxonomy(), problems
    entries = None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "resolution_codes":
                entries = value
    if not isinstance(entries, yaml.SequenceNode):
        problem(1, "resolution_codes", "must be a list of codes under a 'resolution_codes:' key")
        return Taxonomy(), problems

    codes: list[ResolutionCode] = []
    seen: set[str] = set()
    for entry in entries.value:
        line = entry.start_mark.line + 1
        if not isinstance(entry, yaml.MappingNode):
            problem(line, "resolution_codes", "each entry must be a mapping with code, name and description")
            continue
        raw = {k.value: v for k, v in entry.value}
        lines = {k.value: k.start_mark.line + 1 for k, _ in entry.value}
        bad = False
        for key in raw:
            if key not in _CODE_FIELDS:
                hint = difflib.get_close_matches(key, _CODE_FIELDS, n=1)
                problem(lines[key], key, "unknown field" + (f"; did you mean '{hint[0]}'?" if hint else ""))
                bad = True
        values: dict[str, object] = {}
        for key in ("code", "name", "description"):
            node = raw.get(key)
            if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
                problem(lines.get(key, line), key, "is required and must be text")
                bad = True
            else:
                values[key] = node.value.strip()
        for key in _FLAGS:
            node = raw.get(key)
            if node is None:
                continue
            value = yaml.safe_load(node.value) if isinstance(node, yaml.ScalarNode) else None
            if not isinstance(value, bool):
                problem(lines[key], key, "must be true or false")
                bad = True
            else:
                values[key] = value
        code = values.get("code")
        if isinstance(code, str):
            if code in seen:
                problem(lines["code"], "code", f"'{code}' is defined twice")
                bad = True
            seen.add(code)
        if not bad:
            codes.append(ResolutionCode(**values))
    return Taxonomy(tuple(codes)), problems
