"""The team's knowledge-loop rules, from the mapping file ``kb.yaml`` in the articles folder.

Two settings, both optional::

    owners:                       # who gets the tasks of an article that names no owner
      default: knowledge-team     # anyone's, when nothing below matches
      products: {SQL Server: data-platform-team}
      folders: {identity: identity-team, database/oracle: oracle-team}
      teams: {identity-team: [ana, bo]}   # members see their team's tasks as theirs
    help_center: validated        # validated (default): only validated public articles;
                                  # published: every published public article

An article's own ``owner`` always wins; then its product, then the deepest folder that
matches, then ``default``. Problems are reported with the file and line like an article's,
and a broken setting falls back to its default rather than stopping kb.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from kb.model import Article, Problem

MAPPING_FILE = "kb.yaml"
HELP_CENTER_VALIDATED = "validated"
HELP_CENTER_PUBLISHED = "published"
HELP_CENTER_POLICIES = (HELP_CENTER_VALIDATED, HELP_CENTER_PUBLISHED)
OWNER_KEYS = {
    "default": "the owner of an article no rule below matches",
    "products": "a map from an article's product to its owner",
    "folders": "a map from a folder (relative to the articles folder) to the owner of what is in it",
    "teams": "a map from a team's name to its members' user names",
}

# Where an owner came from, shown beside tasks so a wrong owner is easy to fix at its source.
FROM_ARTICLE, FROM_PRODUCT, FROM_FOLDER, FROM_DEFAULT = "article", "product", "folder", "default"


@dataclass(frozen=True)
class Policy:
    """Fallback owners, teams and the help center's rule; ``Policy()`` when there is no file."""

    default_owner: str | None = None
    products: dict[str, str] = field(default_factory=dict)  # casefolded product -> owner
    folders: dict[str, str] = field(default_factory=dict)  # folder path -> owner
    teams: dict[str, tuple[str, ...]] = field(default_factory=dict)
    help_center: str = HELP_CENTER_VALIDATED
    problems: tuple[Problem, ...] = ()

    @property
    def validated_only(self) -> bool:
        """Whether the help center leaves out public articles that are not validated."""
        return self.help_center == HELP_CENTER_VALIDATED

    def owner_for(self, article: Article) -> tuple[str | None, str | None]:
        """``(owner, where it came from)`` for an article; ``(None, None)`` when nobody owns it."""
        if article.owner:
            return article.owner, FROM_ARTICLE
        if article.product and article.product.casefold() in self.products:
            return self.products[article.product.casefold()], FROM_PRODUCT
        folders = PurePosixPath(article.path).parts[:-1]
        for depth in range(len(folders), 0, -1):
            owner = self.folders.get("/".join(folders[:depth]))
            if owner:
                return owner, FROM_FOLDER
        if self.default_owner:
            return self.default_owner, FROM_DEFAULT
        return None, None

    def owners_of(self, user_name: str) -> tuple[str, ...]:
        """The owner names whose tasks are this user's: the user and the teams they belong to."""
        teams = sorted(team for team, members in self.teams.items() if user_name in members)
        return (user_name, *teams)


def read_policy(path: Path) -> Policy:
    """The policy in a mapping file; ``Policy()`` when the file doesn't exist."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return Policy()
    except (OSError, UnicodeDecodeError) as exc:
        return Policy(problems=(_problem(path, 1, "file", f"can't be read: {exc}"),))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return Policy(problems=(_problem(path, mark.line + 1 if mark else 1, "file", "is not valid YAML"),))
    if not isinstance(data, dict):
        return Policy()
    problems: list[Problem] = []
    lines = _key_lines(text)
    owners = data.get("owners")
    values: dict = {}
    if owners is not None:
        values.update(_read_owners(path, owners, lines.get("owners", 1), problems))
    policy = data.get("help_center")
    if policy is not None:
        if policy in HELP_CENTER_POLICIES:
            values["help_center"] = policy
        else:
            problems.append(_problem(path, lines.get("help_center", 1), "help_center",
                                     f"'{policy}' is not one of {', '.join(HELP_CENTER_POLICIES)}; "
                                     f"using '{HELP_CENTER_VALIDATED}'"))
    return Policy(**values, problems=tuple(problems))


def _read_owners(path: Path, owners: object, line: int, problems: list[Problem]) -> dict:
    if not isinstance(owners, dict):
        problems.append(_problem(path, line, "owners", "must be a mapping of " + ", ".join(OWNER_KEYS)))
        return {}
    out: dict = {}
    for key, value in owners.items():
        where = f"owners.{key}"
        if key not in OWNER_KEYS:
            problems.append(_problem(path, line, where, f"is not an owners setting; use {', '.join(OWNER_KEYS)}"))
        elif key == "default":
            if isinstance(value, str) and value.strip():
                out["default_owner"] = value.strip()
            else:
                problems.append(_problem(path, line, where, "must be an owner's name"))
        elif not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            problems.append(_problem(path, line, where, f"must be a mapping ({OWNER_KEYS[key]})"))
        elif key == "teams":
            teams = {}
            for team, members in value.items():
                names = [members] if isinstance(members, str) else members
                if not isinstance(names, list) or not all(isinstance(m, str) for m in names):
                    problems.append(_problem(path, line, f"{where}.{team}", "must be a list of user names"))
                    continue
                teams[team] = tuple(m.strip() for m in names if m.strip())
            out["teams"] = teams
        else:
            good = {k.strip(): v.strip() for k, v in value.items() if isinstance(v, str) and v.strip()}
            for name in sorted(set(value) - set(good)):
                problems.append(_problem(path, line, f"{where}.{name}", "must name an owner"))
            if key == "products":
                out["products"] = {k.casefold(): v for k, v in good.items()}
            else:
                out["folders"] = {k.strip("/"): v for k, v in good.items()}
    return out


def _key_lines(text: str) -> dict[str, int]:
    """Line of each top-level key, for messages."""
    lines = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line[:1].isalpha() and ":" in line:
            lines.setdefault(line.split(":", 1)[0].strip(), number)
    return lines


def _problem(path: Path, line: int, where: str, message: str) -> Problem:
    return Problem(path.as_posix(), line, where, message, "warning", "mapping")


_cache: dict[str, tuple[tuple, Policy]] = {}
_cache_lock = threading.Lock()


def policy_for(articles_dir: Path | str) -> Policy:
    """The policy of an articles folder, read again only when its mapping file changes."""
    path = Path(articles_dir) / MAPPING_FILE
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
    policy = read_policy(path)
    with _cache_lock:
        _cache[key] = (stamp, policy)
    return policy
