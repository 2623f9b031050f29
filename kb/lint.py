"""`kb lint`: every rule an article and the taxonomy must follow, reported all at once.

Parsing already reports file-level problems (YAML, unknown fields, wrong types, missing
title, duplicate ids). The rules here look at content and at links between articles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date

from kb.articles import KnowledgeBase
from kb.model import TSG_REQUIRED_SECTIONS, Article, Problem

# rule id -> what it checks; the README and `kb lint --rules` print this table.
# Rules marked (format) are warnings unless the strict kb format is asked for (--strict or
# `strict: true` in kb.yaml): kb.articles.FORMAT_RULES.
RULES: dict[str, str] = {
    "front-matter": "front matter that is there is closed and valid YAML (or TOML between '+++' lines)",
    "no-front-matter": "the file starts with front matter (format; without it the first '# Title' is the title)",
    "not-an-article": "a Markdown file without front matter has a '# Title' heading (format; else it is skipped)",
    "unknown-field": "every front-matter field is one kb knows or kb.yaml maps (format; did-you-mean)",
    "duplicate-field": "no field is given twice (format)",
    "field-type": "lists are lists, single values are single values (format)",
    "invalid-value": "type, audience and status use allowed values; dates are YYYY-MM-DD (format)",
    "required-field": "the article has a title",
    "invalid-id": "ids use up to 100 letters, digits, '.', '_' and '-' (format; else the path gives the id)",
    "mapping": "kb.yaml, the mapping file, is valid: known settings, kb fields and values",
    "duplicate-id": "no two articles share an id",
    "encoding": "files are UTF-8 text",
    "missing-section": "a TSG has Symptoms, Cause and Resolution sections",
    "empty-section": "a TSG's required sections are not empty",
    "missing-steps": "a workflow has numbered steps",
    "unknown-resolution-code": "resolution codes exist in resolution-codes.yaml",
    "broken-link": "kb: links point at existing articles",
    "broken-anchor": "kb:ID#anchor links point at an existing heading",
    "related-missing": "related ids exist",
    "superseded-missing": "superseded_by points at an existing article",
    "superseded-not-archived": "an article with superseded_by is archived (warning)",
    "self-reference": "an article doesn't list itself as related or its own replacement",
    "public-links-internal": "a public article's links and related ids are public too (warning)",
    "duplicate-title": "no two articles have the same title (warning)",
    "review-overdue": "review_by is not in the past (warning)",
    "validation-record": "validated_at and validated_by are given together, not in the future (warning)",
    "taxonomy": "resolution-codes.yaml is valid: fields, booleans, unique codes",
    "internal-procedure": "a public article doesn't name resolution codes: closing cases is staff procedure "
                          "that customers can't act on (warning)",
    # Authoring (kb/authoring.py): template guidance and near-duplicate titles.
    "unfilled-template": "no 'TODO:' guidance from the article template is left (warning)",
    "near-duplicate-title": "no two articles have nearly the same title, by distinctive words (warning)",
}

Check = Callable[[Article, KnowledgeBase, date], Iterator[Problem]]


def _problem(article: Article, kb: KnowledgeBase, line: int, field: str, message: str, rule: str,
             severity: str = "error") -> Problem:
    return Problem((kb.root / article.path).as_posix(), line, field, message, severity, rule)


def check_sections(article: Article, kb: KnowledgeBase, today: date) -> Iterator[Problem]:
    if article.type != "tsg":
        return
    sections = article.outline.sections
    for name in TSG_REQUIRED_SECTIONS:
        if name not in sections:
            yield _problem(article, kb, article.body_line, "body",
                           f"a TSG needs a '## {name.capitalize()}' section", "missing-section")
        elif not sections[name].strip():
            yield _problem(article, kb, _heading_line(article, name), "body",
                           f"the '{name.capitalize()}' section is empty", "empty-section")


def check_steps(article: Article, kb: KnowledgeBase, today: date) -> Iterator[Problem]:
    if article.type == "workflow" and not article.outline.has_ordered_list:
        yield _problem(article, kb, article.body_line, "body",
                       "a workflow needs numbered steps (a '1.' list)", "missing-steps")


def check_resolution_codes(article: Article, kb: KnowledgeBase, today: date) -> Iterator[Problem]:
    if not kb.taxonomy.codes:
        return  # the taxonomy's own problem is reported once, not per article
    for code in article.resolution_codes:
        if code not in kb.taxonomy:
            hint = kb.taxonomy.suggest(code)
            yield _problem(article, kb, article.line_of("resolution_codes"), "resolution_codes",
                           f"unknown resolution code '{code}'" + (f"; did you mean '{hint}'?" if hint else ""),
                           "unknown-resolution-code")


def check_references(article: Article, kb: KnowledgeBase, today: date) -> Iterator[Problem]:
    for rid in article.related:
        target = kb.get(rid)
        if rid == article.id:
            yield _problem(article, kb, article.line_of("related"), "related",
                           "lists the article itself", "self-reference")
        elif target is None:
            yield _problem(article, kb, article.line_of("related"), "related",
                           f"'{rid}' is not an article{_suggest_id(rid, kb)}", "related-missing")
        elif article.is_public and not target.is_public:
            yield _problem(article, kb, article.line_of("related"), "related",
                           f"'{rid}' is not public; help-center readers won't see it",
                           "public-links-internal", "warning")
    if article.superseded_by:
        line = article.line_of("superseded_by")
        if article.superseded_by == article.id:
            yield _problem(article, kb, line, "superseded_by", "names the article itself", "self-reference")
        elif kb.get(article.superseded_by) is None:
            yield _problem(article, kb, line, "superseded_by",
                           f"'{article.superseded_by}' is not an article{_suggest_id(article.superseded_by, kb)}",
                           "superseded-missing")
        if article.status != "archived":
            yield _problem(article, kb, line, "status",
                           f"is '{article.status}' but superseded_by is set; archive it", "superseded-not-archived",
                           "warning")


def check_links(article: Article, kb: KnowledgeBase, today: date) -> Iterator[Problem]:
    for target_id, anchor, body_line in article.outline.links:
        line = article.body_line + max(body_line - 1, 0)
        target = kb.get(target_id)
        if target is None:
            yield _problem(article, kb, line, "body",
                           f"link to 'kb:{target_id}': no such article{_suggest_id(target_id, kb)}", "broken-link")
            continue
        if anchor and anchor not in {h.anchor for h in target.outline.headings}:
            known = ", ".join(h.anchor for h in target.outline.headings[:6]) or "none"
            yield _problem(article, kb, line, "body",
                           f"link to 'kb:{target_id}#{anchor}': no such heading (headings: {known})", "broken-anchor")
        if article.is_public and not target.is_public:
            yield _problem(article, kb, line, "body",
                           f"link to 'kb:{target_id}', which is not public; help-center readers see plain text",
                           "public-links-internal", "warning")


def check_review_date(article: Article, kb: KnowledgeBase, today: date) -> Iterator[Problem]:
    if article.review_by and article.review_by < today and article.status != "archived":
        yield _problem(article, kb, article.line_of("review_by"), "review_by",
                       f"review was due on {article.review_by.isoformat()}", "review-overdue", "warning")


def check_validation_record(article: Article, kb: KnowledgeBase, today: date) -> Iterator[Problem]:
    """Who validated an article and when go together, and a validation can't be in the future."""
    if bool(article.validated_at) != bool(article.validated_by):
        given, missing = ("validated_at", "validated_by") if article.validated_at else ("validated_by", "validated_at")
        yield _problem(article, kb, article.line_of(given), given, f"is given without {missing}: record both, "
                       "or run `kb validate`", "validation-record", "warning")
    if article.validated_at and article.validated_at > today:
        yield _problem(article, kb, article.line_of("validated_at"), "validated_at",
                       f"{article.validated_at.isoformat()} is in the future", "validation-record", "warning")


def check_public_wording(article: Article, kb: KnowledgeBase, today: date) -> Iterator[Problem]:
    if article.audience != "public" or not kb.taxonomy.codes:
        return
    names = sorted((c.code for c in kb.taxonomy.codes), key=len, reverse=True)
    codes = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])")
    for number, text in enumerate(article.body.splitlines(), start=article.body_line):
        found = codes.search(text)
        if found:
            yield _problem(article, kb, number, "body",
                           f"names the resolution code '{found.group(1)}': customers read this article; keep "
                           "case procedure for staff (the resolution_codes field, or an internal article)",
                           "internal-procedure", "warning")


# --- authoring rules (owned with kb/authoring.py) ---

def check_unfilled_template(article: Article, kb: KnowledgeBase, today: date) -> Iterator[Problem]:
    from kb.authoring import guidance_lines

    for body_line, text in guidance_lines(article.body):
        shown = text if len(text) <= 60 else text[:57] + "..."
        yield _problem(article, kb, article.body_line + body_line - 1, "body",
                       f"template guidance not filled in: 'TODO: {shown}'", "unfilled-template", "warning")


def _near_duplicate_titles(kb: KnowledgeBase) -> Iterator[Problem]:
    from kb.authoring import near_duplicate_pairs

    # Archived articles are left out: a replacement often has nearly the old title.
    current = [a for a in kb.articles.values() if a.status != "archived"]
    exact = {a.id: " ".join(sorted(re.findall(r"\w+", a.title.lower()))) for a in current}
    titles = {a.id: a.title for a in current}
    for first_id, second_id, score in near_duplicate_pairs(titles):
        if exact[first_id] == exact[second_id]:
            continue  # already a duplicate-title
        first, second = kb.articles[first_id], kb.articles[second_id]
        yield _problem(second, kb, second.line_of("title"), "title",
                       f"nearly the same title as {first.id} ({first.path}), {score:.0%} of words shared; "
                       "merge them or make the titles say how they differ", "near-duplicate-title", "warning")


CHECKS: tuple[Check, ...] = (check_sections, check_steps, check_resolution_codes, check_references,
                             check_links, check_review_date, check_validation_record, check_public_wording,
                             check_unfilled_template)


def _heading_line(article: Article, section: str) -> int:
    pattern = re.compile(r"^\s{0,3}#{1,2}\s+(.*?)\s*#*\s*$")
    from kb.markdown import section_key

    for offset, text in enumerate(article.body.splitlines()):
        match = pattern.match(text)
        if match and section_key(match.group(1)) == section:
            return article.body_line + offset
    return article.body_line


def _suggest_id(article_id: str, kb: KnowledgeBase) -> str:
    import difflib

    match = difflib.get_close_matches(article_id, list(kb.articles), n=1, cutoff=0.7)
    return f"; did you mean '{match[0]}'?" if match else ""


def _duplicate_titles(kb: KnowledgeBase) -> Iterator[Problem]:
    seen: dict[str, Article] = {}
    for article in kb.articles.values():
        key = " ".join(sorted(re.findall(r"\w+", article.title.lower())))
        first = seen.setdefault(key, article)
        if first is not article:
            yield _problem(article, kb, article.line_of("title"), "title",
                           f"same title as {first.id} ({first.path})", "duplicate-title", "warning")


def lint(kb: KnowledgeBase, today: date | None = None) -> list[Problem]:
    """Every problem in the knowledge base, sorted by file and line."""
    today = today or date.today()
    problems = list(kb.problems)
    for article in kb.articles.values():
        for check in CHECKS:
            problems.extend(check(article, kb, today))
    problems.extend(_duplicate_titles(kb))
    problems.extend(_near_duplicate_titles(kb))
    return sorted(problems, key=lambda p: (p.path, p.line, p.field, p.message))
