"""Synonyms and abbreviations from ``articles/synonyms.yaml``, applied when searching.

The file is a list of groups of equivalent terms (``[bsod, blue screen, stop error]``).
Expansion happens at query time, not at indexing time, so authors can extend the file
without a rebuild: ``kb index`` copies it next to the index and searchers pick it up.
Terms are analysed like any query, so "Blue Screens" matches the entry "blue screen".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from indexer.analyzers import Word, query_words
from kb.model import Problem

SYNONYMS_FILE = "synonyms.yaml"
MAX_TERMS_PER_ENTRY = 5  # longest entry, in words, that can match a query


@dataclass(frozen=True)
class SynonymMatch:
    """Query words ``start:end`` matched a group; ``alternatives`` are every term of it, analysed."""

    start: int
    end: int
    group: tuple[str, ...]
    alternatives: tuple[tuple[Word, ...], ...]


@dataclass
class Synonyms:
    """Groups of equivalent terms and a lookup from analysed term to group."""

    groups: list[tuple[str, ...]] = field(default_factory=list)
    _table: dict[tuple[str, ...], int] = field(default_factory=dict, repr=False)
    _analysed: list[tuple[tuple[Word, ...], ...]] = field(default_factory=list, repr=False)

    @classmethod
    def from_groups(cls, groups: list[list[str]] | list[tuple[str, ...]]) -> Synonyms:
        """Build the lookup table; a term listed in two groups belongs to the first."""
        syn = cls()
        for group in groups:
            terms = tuple(dict.fromkeys(str(t).strip() for t in group if str(t).strip()))
            analysed = tuple(tuple(query_words(t)) for t in terms)
            keys = [tuple(w.key for w in words) for words in analysed if words]
            if len(keys) < 2:
                continue
            index = len(syn.groups)
            syn.groups.append(terms)
            syn._analysed.append(tuple(words for words in analysed if words))
            for key in keys:
                syn._table.setdefault(key, index)
        return syn

    def __len__(self) -> int:
        return len(self.groups)

    def alternatives_for(self, text: str) -> list[list[str]]:
        """Every term equivalent to ``text``, as lists of analysed word keys (for tests and tools).

        >>> Synonyms.from_groups([["bsod", "blue screen"]]).alternatives_for("BSOD")
        [['bsod'], ['blue', 'screen']]
        """
        key = tuple(w.key for w in query_words(text))
        index = self._table.get(key)
        if index is None:
            return []
        return [[w.key for w in words] for words in self._analysed[index]]

    def match(self, words: list[Word]) -> list[SynonymMatch]:
        """Longest non-overlapping matches of synonym terms in a sequence of query words."""
        matches: list[SynonymMatch] = []
        i = 0
        while i < len(words):
            found = None
            for j in range(min(len(words), i + MAX_TERMS_PER_ENTRY), i, -1):
                index = self._table.get(tuple(w.key for w in words[i:j]))
                if index is not None:
                    found = SynonymMatch(i, j, self.groups[index], self._analysed[index])
                    break
            if found:
                matches.append(found)
                i = found.end
            else:
                i += 1
        return matches

    def to_json(self) -> str:
        return json.dumps([list(g) for g in self.groups], ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Synonyms:
        return cls.from_groups(json.loads(text))


def load_synonyms(path: Path) -> tuple[Synonyms, list[Problem]]:
    """Read a synonyms file; a missing file is an empty list, a broken one is reported.

    Every problem names the file and line, like the article linter does.
    """
    shown = path.as_posix()
    if not path.exists():
        return Synonyms(), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        return Synonyms(), [Problem(shown, 1, "file", f"can't be read: {exc}", rule="synonyms")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return Synonyms(), [Problem(shown, line, "file", f"is not valid YAML: {getattr(exc, 'problem', exc)}",
                                    rule="synonyms")]
    if data is None:
        return Synonyms(), []
    if isinstance(data, dict) and "synonyms" in data:
        data = data["synonyms"]
    problems: list[Problem] = []
    if not isinstance(data, list):
        return Synonyms(), [Problem(shown, 1, "file", "must be a list of groups, e.g. - [bsod, blue screen]",
                                    rule="synonyms")]
    groups: list[list[str]] = []
    for number, group in enumerate(data, 1):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(t, (str, int)) for t in group):
            problems.append(Problem(shown, 1, f"group {number}",
                                    "must be a list of at least two terms, e.g. [bsod, blue screen]",
                                    rule="synonyms"))
            continue
        groups.append([str(t) for t in group])
    return Synonyms.from_groups(groups), problems
