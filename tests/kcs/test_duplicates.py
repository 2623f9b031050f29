"""Duplicates found for you: likely pairs first, each with why, by words and meaning together."""

import numpy as np

from kb.articles import load_knowledge_base
from kb.kcs.duplicates import find_duplicates, texts_of
from kb.kcs.similarity import Text, WordSpace
from tests.kcs.conftest import front

FILLER = [
    ("Printer queue stalls after the spooler restarts", "Jobs wait in the queue; restart the print spooler service."),
    ("Reset a forgotten portal password", "Use the self-service link on the sign-in page to reset it."),
    ("Export the audit log as CSV", "Open the admin center, choose audit, then export."),
    ("Calendar invitations arrive twice", "Duplicate meeting requests come from two delegates."),
    ("Mobile app crashes on large attachments", "The app loads the whole file into memory and closes."),
    ("Certificate expiry warnings on the gateway", "Renew the certificate before the date in the warning."),
]


def corpus(extra: dict[str, str]):
    files = {f"f{n}.md": front(f"F{n}", title, body=body) for n, (title, body) in enumerate(FILLER)}
    return {**files, **extra}


def test_the_pair_that_says_the_same_thing_comes_first_with_why(make_kb):
    root = make_kb(corpus({
        "a.md": front("A", "Outlook prompts for the password again and again", error_codes='["0x8004010F"]',
                      body="Outlook keeps asking for credentials after the mailbox move. Error 0x8004010F.\n"),
        "b.md": front("B", "Repeated password prompts in Outlook after mailbox migration",
                      error_codes='["0x8004010F"]',
                      body="After migrating the mailbox, Outlook prompts for the password repeatedly. 0x8004010F\n"),
    }))
    pairs = find_duplicates(texts_of(load_knowledge_base(root).articles.values()), limit=5)
    top = pairs[0]
    assert {top.a, top.b} == {"A", "B"}
    assert top.codes == ("0x8004010F",)
    assert any(reason.startswith("shared error codes: 0x8004010F") for reason in top.why)
    assert "outlook" in top.terms and top.meaning is None
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)
    assert set(top.as_dict()) >= {"a", "b", "score", "why"}


def test_meaning_finds_a_paraphrase_that_shares_almost_no_words():
    texts = [Text(f"F{n}", title, body) for n, (title, body) in enumerate(FILLER)]
    texts += [Text("P", "Remove my FB account", "How can I get rid of my profile for good?"),
              Text("Q", "Delete your Facebook account permanently", "Settings, then deactivation and deletion."),
              # Many shared words, different problems: what words alone put first.
              Text("R", "Printer queue stalls after a driver update", "Jobs wait in the printer queue; roll back.")]
    rng = np.random.default_rng(7)
    vectors = {t.id: rng.normal(size=16) for t in texts}
    vectors["Q"] = vectors["P"] + rng.normal(scale=0.05, size=16)  # the encoder's view: same meaning
    words_only = find_duplicates(texts, limit=3)
    with_meaning = find_duplicates(texts, vectors=vectors, limit=3)
    assert {with_meaning[0].a, with_meaning[0].b} == {"P", "Q"} and with_meaning[0].meaning > 0.9
    assert {words_only[0].a, words_only[0].b} == {"F0", "R"}


def test_archived_articles_and_pairs_already_merged_are_left_out(make_kb):
    root = make_kb(corpus({
        "a.md": front("A", "VPN drops every few minutes on Wi-Fi", body="The tunnel drops; IKE fragmentation.\n"),
        "b.md": front("B", "VPN tunnel drops every few minutes", body="The tunnel drops; IKE fragmentation.\n"),
        "c.md": front("C", "VPN drops every few minutes (old)", status="archived", superseded_by="A",
                      body="The tunnel drops; IKE fragmentation.\n"),
    }))
    kb = load_knowledge_base(root)
    texts = texts_of(kb.articles.values())
    assert "C" not in {t.id for t in texts}
    pairs = find_duplicates(texts, limit=3, superseded={"B": "A"})
    assert {"A", "B"} not in [{p.a, p.b} for p in pairs]


def test_a_long_templated_body_does_not_drown_the_title():
    template = " ".join(["Build ID 20240101 user agent Mozilla steps to reproduce actual results expected"] * 30)
    space = WordSpace([Text("A", "Mail window freezes when opening a large folder", template),
                       Text("B", "Mail window hangs opening big folders", template),
                       Text("C", "Bookmarks toolbar missing after update", template)])
    assert space.cosine(0, 1) > space.cosine(0, 2) + 0.1


def test_fewer_than_two_articles_have_no_pairs():
    assert find_duplicates([Text("A", "Only one")]) == []
