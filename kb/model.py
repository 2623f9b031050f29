"""The article model: the one shape that authors, the linter, the indexer and the web share.

Front-matter fields are declared once in ``FIELDS``; validation, the did-you-mean for
misspelt fields and the format documentation test all read that table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.markdown import BodyOutline

ARTICLE_TYPES = ("tsg", "workflow", "how-to", "known-issue", "reference")
# What each type is called where people read it (the codes above are for files and URLs).
TYPE_LABELS = {"tsg": "Troubleshooting guide", "workflow": "Workflow", "how-to": "How-to",
               "known-issue": "Known issue", "reference": "Reference"}
AUDIENCES = ("public", "internal")
STATUSES = ("draft", "review", "published", "archived")
# KCS confidence an author states on an article (work in progress and archived follow from
# the status; see kb/kcs/confidence.py for the effective confidence of every article).
CONFIDENCES = ("not-validated", "validated")

# Sections a TSG must have (case-insensitive headings) and the optional ones.
TSG_REQUIRED_SECTIONS = ("symptoms", "cause", "resolution")
TSG_OPTIONAL_SECTIONS = ("environment", "more information")


@dataclass(frozen=True)
class FieldSpec:
    """One front-matter field: its kind, default and the sentence that documents it."""

    name: str
    kind: str  # "str", "choice", "list", "date"
    help: str
    default: object = None
    required: bool = False
    choices: tuple[str, ...] = ()


FIELDS: dict[str, FieldSpec] = {f.name: f for f in (
    FieldSpec("id", "str", "Unique id across the knowledge base; defaults to the file's name without .md."),
    FieldSpec("title", "str", "What the article solves, as an engineer would search for it.", required=True),
    FieldSpec("type", "choice", "Kind of article.", default="reference", choices=ARTICLE_TYPES),
    FieldSpec("audience", "choice", "Who may read it; internal unless said otherwise.",
              default="internal", choices=AUDIENCES),
    FieldSpec("status", "choice", "Review state.", default="published", choices=STATUSES),
    FieldSpec("product", "str", "Product the article is about."),
    FieldSpec("component", "str", "Part of the product."),
    FieldSpec("tags", "list", "Free keywords.", default=()),
    FieldSpec("error_codes", "list", "Exact error strings the article resolves (0x80070005, ORA-12154...).",
              default=()),
    FieldSpec("resolution_codes", "list", "Resolution codes a case solved by this article closes with.",
              default=()),
    FieldSpec("related", "list", "Ids of related articles.", default=()),
    FieldSpec("superseded_by", "str", "Id of the article that replaces this one."),
    FieldSpec("owner", "str", "Person or team that keeps the article correct."),
    FieldSpec("updated", "date", "Date of the last meaningful change (YYYY-MM-DD)."),
    FieldSpec("review_by", "date", "Date by which the article must be reviewed again (YYYY-MM-DD)."),
    FieldSpec("confidence", "choice", "KCS confidence: validated by an approver, or not yet; unset on a "
                                      "published article means validated.", choices=CONFIDENCES),
    FieldSpec("validated_at", "date", "Date an approver last validated the article (YYYY-MM-DD)."),
    FieldSpec("validated_by", "str", "Who validated it (a user name)."),
)}


@dataclass(frozen=True)
class Problem:
    """A finding about a file: where it is, which field, what is wrong, how bad."""

    path: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"
    rule: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        level = "" if self.is_error else "warning: "
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{self.path}:{self.line}: {self.field}: {level}{self.message}{rule}"

    def as_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "field": self.field, "message": self.message,
                "severity": self.severity, "rule": self.rule}


@dataclass(frozen=True)
class Article:
    """An article loaded from a Markdown file with YAML front matter."""

    id: str
    title: str
    body: str
    path: str  # relative to the articles folder, with forward slashes
    type: str = "reference"
    audience: str = "internal"
    status: str = "published"
    product: str | None = None
    component: str | None = None
    tags: tuple[str, ...] = ()
    error_codes: tuple[str, ...] = ()
    resolution_codes: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    superseded_by: str | None = None
    owner: str | None = None
    updated: date | None = None
    review_by: date | None = None
    confidence: str | None = None
    validated_at: date | None = None
    validated_by: str | None = None
    content_hash: str = ""
    body_line: int = 1  # line of the file where the body starts, for lint messages
    field_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # Front-matter keys kb has no field for (another system's ``ms.topic``, ``sidebar_position``
    # ...), as plain values: kept with the article and shown to staff, never to customers.
    extra: dict[str, object] = field(default_factory=dict, hash=False, repr=False)

    @property
    def is_public(self) -> bool:
        """Whether a customer may ever see this article: public and published, nothing else."""
        return self.audience == "public" and self.status == "published"

    @cached_property
    def outline(self) -> BodyOutline:
        """Plain text, sections, headings and links of the body (parsed once, on demand)."""
        from kb.markdown import outline

        return outline(self.body)

    def line_of(self, name: str) -> int:
        """The file line of a front-matter field, or 1 when the field is absent."""
        return self.field_lines.get(name, 1)

    def metadata(self) -> dict:
        """Front-matter values as plain JSON-friendly types."""
        out = {}
        for name in FIELDS:
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, date):
                value = value.isoformat()
            out[name] = value
        out["path"] = self.path
        if self.extra:
            out["extra"] = self.extra
        return out


def source_path(root: Path, article: Article) -> Path:
    """The file an article was loaded from."""
    return root / article.path
