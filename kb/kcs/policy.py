"""The team's knowledge-loop rules, from the mapping file ``kb.yaml`` in the articles folder.

Two settings of the mapping file (:mod:`kb.mapping` reads the file and hands their values
here; ``mapping_for(root).policy`` is the policy of a knowledge base), both optional::

    owners:                       # who gets the tasks of an article that names no owner
      default: knowledge-team     # anyone's, when nothing below matches
      products: {SQL Server: data-platform-team}
      folders: {identity: identity-team, database/oracle: oracle-team}
      teams: {identity-team: [ana, bo]}   # members see their team's tasks as theirs
    help_center: validated        # validated (default): only validated public articles;
                                  # published: every published public article

An article's own ``owner`` always wins; then its product, then the deepest folder that
matches, then ``default``. Problems are reported with the file and line like the mapping
file's others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from kb.model import Article

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


Report = Callable[[int, str, str], None]  # (line, where, message): a problem in the mapping file


def read_policy(owners: object = None, help_center: object = None, *, line_of: Callable[[str], int] = lambda _: 1,
                report: Report | None = None) -> Policy:
    """A policy from the mapping file's ``owners`` and ``help_center`` values (plain YAML data).

    :param line_of: the file line of a setting ("owners", "help_center"), for messages.
    :param report: called with (line, where, message) for every unusable value; the value
        then falls back to its default.
    """
    problems: list[tuple[int, str, str]] = []

    def problem(where: str, message: str) -> None:
        problems.append((line_of(where.split(".")[0]), where, message))

    values: dict = {}
    if owners is not None:
        values.update(_read_owners(owners, problem))
    if help_center is not None:
        if help_center in HELP_CENTER_POLICIES:
            values["help_center"] = help_center
        else:
            problem("help_center", f"'{help_center}' is not one of {', '.join(HELP_CENTER_POLICIES)}")
    for line, where, message in problems:
        if report is not None:
            report(line, where, message)
    return Policy(**values)


def _read_owners(owners: object, problem: Callable[[str, str], None]) -> dict:
    if not isinstance(owners, dict):
        problem("owners", "must be a mapping of " + ", ".join(OWNER_KEYS))
        return {}
    out: dict = {}
    for key, value in owners.items():
        where = f"owners.{key}"
        if key not in OWNER_KEYS:
            problem(where, f"is not an owners setting; use {', '.join(OWNER_KEYS)}")
        elif key == "default":
            if isinstance(value, str) and value.strip():
                out["default_owner"] = value.strip()
            else:
                problem(where, "must be an owner's name")
        elif not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            problem(where, f"must be a mapping ({OWNER_KEYS[key]})")
        elif key == "teams":
            teams = {}
            for team, members in value.items():
                names = [members] if isinstance(members, str) else members
                if not isinstance(names, list) or not all(isinstance(m, str) for m in names):
                    problem(f"{where}.{team}", "must be a list of user names")
                    continue
                teams[team] = tuple(m.strip() for m in names if m.strip())
            out["teams"] = teams
        else:
            good = {k.strip(): v.strip() for k, v in value.items() if isinstance(v, str) and v.strip()}
            for name in sorted(set(value) - set(good)):
                problem(f"{where}.{name}", "must name an owner")
            if key == "products":
                out["products"] = {k.casefold(): v for k, v in good.items()}
            else:
                out["folders"] = {k.strip("/"): v for k, v in good.items()}
    return out
