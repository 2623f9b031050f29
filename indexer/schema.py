"""The Whoosh schema: every field of an indexed article, why it exists and how it is analysed.

Two indexes share this schema: the public one (published public articles only) and the
internal one (everything). Stored fields hold the full front matter (as JSON) and the raw
Markdown body, so pages can be served from the last good indexed version even when the
file on disk is later broken.

Bump :data:`SCHEMA_VERSION` whenever a field, an analyzer or what :func:`document_fields`
produces changes: ``kb index`` then rebuilds instead of mixing old and new terms.
"""

from __future__ import annotations

import json
from datetime import date

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, KEYWORD, STORED, TEXT, SchemaClass

from indexer.analyzers import (
    ExactAnalyzer,
    SpellAnalyzer,
    TitleWordsAnalyzer,
    normalize_code,
    title_key,
    weighted_sections,
)
from indexer.fast_analysis import IdentifierAnalyzer, IndexedID, IndexedText, WordsAnalyzer
from indexer.ranking import SECTION_WEIGHTS
from indexer.snippets import collapsed
from kb.kcs.confidence import effective, last_verified
from kb.model import FIELDS, Article

# 5: the W3 codec subclass moved (indexer.engine.whoosh_adapter), pickled in segments;
# 6: KCS confidence, verified and review_by columns;
# 7: the analysed fields are IndexedText and IndexedID with indexer.fast_analysis analyzers
#    (the same terms, but new classes in the pickled schema).
SCHEMA_VERSION = 7


class ArticleSchema(SchemaClass):
    """Fields of one indexed article."""

    # Unique key: updates and deletes go by id; stored for hits; a column so incremental
    # builds can read every id without loading stored documents.
    id = IndexedID(stored=True, unique=True, sortable=True)
    # File path relative to the articles folder: incremental builds diff and delete by path.
    path = IndexedID(stored=True, sortable=True)
    # sha256 of the file's bytes: "changed" means a different hash, nothing else.
    content_hash = IndexedID(stored=True, sortable=True)
    # Size and modification time of the file when indexed (b"size:mtime_ns"): incremental
    # builds hash only files whose stamp changed. A column only.
    file_stamp = COLUMN()

    # Everything searchable about the article in ONE field, each section's tokens weighted
    # (SECTION_WEIGHTS): BM25F by weighted term frequency. One posting list per word
    # instead of one per field keeps both queries and builds fast at 100k articles.
    content = IndexedText(analyzer=IdentifierAnalyzer(sections=True))
    # The title again, on its own, so a title match scores as its own (saturating) BM25
    # term on top of content; phrase positions for the exact-title-phrase boost. Stored.
    title = IndexedText(analyzer=IdentifierAnalyzer(), stored=True)
    # Normalized words of the whole title, for "the query is the title" matching.
    title_key = IndexedID()
    # Lowercased title as a column, for browse pages sorted by title.
    title_sort = IndexedID(sortable=True)
    # Unstemmed title words for autocomplete: typed words are matched as prefixes of these.
    title_words = IndexedText(analyzer=WordsAnalyzer(TitleWordsAnalyzer()), phrase=False)
    # Error codes as whole normalized strings: an exact match gets a large boost.
    error_code = TEXT(analyzer=ExactAnalyzer(), phrase=False)

    # Tags as exact, lowercased values: filters and facet counts.
    tag = KEYWORD(commas=True, lowercase=True, stored=True)
    # Product exactly as written ("SQL Server"): filters and facet values.
    product = IndexedID(stored=True)
    # Product and component as words, for the "product:sql" query filter.
    product_text = IndexedText(analyzer=IdentifierAnalyzer(), phrase=False)
    # Article type, audience and status: exact values for filters and facets. Audience and
    # status are columns too, so the public index can be derived from the internal one.
    type = IndexedID(stored=True)
    audience = IndexedID(stored=True, sortable=True)
    status = IndexedID(stored=True, sortable=True)
    # Resolution codes: exact values for filters and facets.
    resolution_code = KEYWORD(commas=True, stored=True)

    # ISO date of the last meaningful change: a column for "recently updated" sorting.
    updated = IndexedID(stored=True, sortable=True)
    # Times the article solved a case, as given to `kb index`. A column only (never
    # searched, so no postings): read for ranking and result lists.
    reuse_count = COLUMN(NumericColumn("i", default=0))
    superseded_by = IndexedID(stored=True)
    # KCS confidence (kb.kcs.confidence: work-in-progress, not-validated, validated,
    # archived), and the ISO dates the article was last verified and is due for review:
    # columns for the ranking's confidence and freshness factor.
    confidence = IndexedID(stored=True, sortable=True)
    verified = IndexedID(sortable=True)
    review_by = IndexedID(sortable=True)

    # Plain text of the body, stored for snippets (never re-render Markdown per result), its
    # whitespace collapsed as snippets show it. (Snippets still collapse text indexed before
    # it was, so an older index needs no rebuild.)
    text = STORED()
    # Full front matter as JSON and the raw Markdown body: get_article() rebuilds the
    # Article from these alone (never from the file), so a broken file keeps serving.
    meta = STORED()
    markdown = STORED()

    # Unstemmed vocabulary for "did you mean" and typo matching: the words of the title,
    # headings, tags, product, error codes and symptoms (the full body would double the
    # postings for little gain). Never stored, no positions.
    spell = IndexedText(analyzer=WordsAnalyzer(SpellAnalyzer()), phrase=False)


COLUMN_FIELDS = frozenset(name for name, fieldtype in ArticleSchema().items() if fieldtype.column_type)


# Sections whose words feed the "did you mean" vocabulary.
SPELL_SECTIONS = ("title", "headings", "keywords", "product", "error_codes", "symptoms")


def article_sections(article: Article) -> dict[str, str]:
    """The text of each weighted section of an article (see :data:`SECTION_WEIGHTS`)."""
    outline = article.outline
    symptoms = outline.sections.get("symptoms", "")
    rest = "\n".join(text for key, text in outline.sections.items() if key != "symptoms")
    return {
        "title": article.title,
        "error_codes": "\n".join(article.error_codes),
        "symptoms": symptoms,
        "headings": "\n".join(h.text for h in outline.headings),
        "keywords": " ".join([*article.tags, article.component or ""]).strip(),
        "product": article.product or "",
        "body": rest,
    }


def document_fields(article: Article, reuse_count: int = 0) -> dict:
    """The field values to index for an article (empty values are left out)."""
    sections = article_sections(article)
    product_words = " ".join(p for p in (article.product, article.component) if p)
    fields = {
        "id": article.id,
        "path": article.path,
        "content_hash": article.content_hash,
        "file_stamp": b"",
        "content": weighted_sections([(SECTION_WEIGHTS[name], text) for name, text in sections.items()]),
        "title": article.title,
        "title_key": title_key(article.title),
        "title_sort": article.title.casefold(),
        "title_words": article.title,
        "error_code": "\n".join(article.error_codes),
        "tag": ",".join(t.replace(",", " ").strip() for t in article.tags),
        "product": article.product or "",
        "product_text": product_words,
        "type": article.type,
        "audience": article.audience,
        "status": article.status,
        "resolution_code": ",".join(c.replace(",", " ") for c in article.resolution_codes),
        "updated": article.updated.isoformat() if article.updated else "",
        "reuse_count": int(reuse_count),
        "superseded_by": article.superseded_by or "",
        "confidence": effective(article.status, article.confidence),
        "verified": verified.isoformat() if (verified := last_verified(article)) else "",
        "review_by": article.review_by.isoformat() if article.review_by else "",
        "text": collapsed(article.outline.text),
        "meta": json.dumps(article.metadata(), ensure_ascii=False),
        "markdown": article.body,
        "spell": "\n".join(sections[name] for name in SPELL_SECTIONS),
    }
    # Column fields get a value in every document (Whoosh cannot read a column whose last
    # documents lack one); other empty values are left out.
    return {name: value for name, value in fields.items() if value != "" or name in COLUMN_FIELDS}


def article_from_stored(stored: dict) -> Article:
    """Rebuild an :class:`~kb.model.Article` from a document's stored fields."""
    meta = json.loads(stored["meta"])
    kwargs: dict = {}
    for name, spec in FIELDS.items():
        value = meta.get(name)
        if value is None:
            continue
        if spec.kind == "list":
            value = tuple(value)
        elif spec.kind == "date":
            value = date.fromisoformat(value)
        kwargs[name] = value
    kwargs["id"] = stored.get("id", kwargs.get("id"))
    if isinstance(meta.get("extra"), dict):
        kwargs["extra"] = meta["extra"]
    return Article(body=stored.get("markdown", ""), path=stored.get("path", meta.get("path", "")),
                   content_hash=stored.get("content_hash", ""), **kwargs)


def exact_code(text: str) -> str:
    """The term an error code is indexed under in the ``error_code`` field."""
    return normalize_code(text)
