"""Cited answers as domain rules: which passage answers, what the checks flag, when kb abstains.

Everything here runs on Article objects written in the test; the web tests
(tests/web/test_answers.py) run the same steps through the search engine and the app.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest

from kb.answers import Candidate, Question, QuoteComposer, answer, weigh
from kb.answers.checks import CODE, PRODUCT, VERSION, check, names_product
from kb.answers.confidence import THRESHOLD, Evidence, confidence
from kb.answers.passages import ANSWER, CAUSE, INFO, PROBLEM, choose, parts_of, role_of
from kb.answers.words import content_words, error_codes, versions
from kb.markdown import render, sections
from kb.model import Article


def article(body: str, *, id: str = "KB1", title: str = "Outlook asks for the password again and again",  # noqa: A002
            type: str = "tsg", product: str | None = "Outlook", codes: tuple[str, ...] = (),  # noqa: A002
            **fields) -> Article:
    return Article(id=id, title=title, body=textwrap.dedent(body).lstrip(), path=f"{id}.md", type=type,
                   audience="public", product=product, error_codes=codes, **fields)


TSG = """
    ## Symptoms

    Outlook shows the Windows Security password prompt again and again after the mailbox move,
    even though the right password is typed.

    ## Cause

    Outlook still uses basic authentication for the moved mailbox.

    ## Resolution

    1. Close Outlook.
    2. Set `AlwaysUseMSOAuthForAutoDiscover` to 1 under the Outlook registry key.
    3. Start Outlook and sign in with modern authentication.

    ## More information

    Basic authentication was retired for Exchange Online.
    """


# --- structure ---------------------------------------------------------------------------


def test_sections_keep_the_page_anchors_and_the_author_s_lines():
    body = textwrap.dedent(TSG).lstrip()
    found = sections(body)
    assert [s.heading for s in found] == ["Symptoms", "Cause", "Resolution", "More information"]
    html = render(body)
    for s in found:
        assert f'id="{s.anchor}"' in html  # a citation's #anchor lands on the rendered heading
    steps = found[2].blocks[0]
    assert steps.kind == "steps" and [i.number for i in steps.items] == [1, 2, 3]
    lines = body.splitlines()
    assert lines[steps.items[1].lines[0]].startswith("2. Set `AlwaysUseMSOAuthForAutoDiscover`")


def test_sub_sections_know_their_parents():
    found = sections("## Resolution\n\nUse one of these:\n\n### Method 1: Reset\n\nRun reset.\n")
    assert found[1].heading == "Method 1: Reset" and found[1].parents == ("Resolution",)


@pytest.mark.parametrize(("heading", "role"), [
    ("Symptoms", PROBLEM), ("Symptom 2", PROBLEM), ("Steps to reproduce the problem", PROBLEM),
    ("Resolution", ANSWER), ("Workarounds", ANSWER), ("Method 3: Use a command prompt window", ANSWER),
    ("Step 5: Escalate the issue", ANSWER), ("Troubleshoot the delegation issue", ANSWER),
    ("To work around this issue", ANSWER), ("Cause", CAUSE), ("Root cause", CAUSE),
    ("More information", INFO), ("Status", INFO), ("Outlook 2016", None),
])
def test_headings_give_sections_their_role_by_word_stems_not_a_fixed_list(heading, role):
    assert role_of(heading) == role


# --- the passage ---------------------------------------------------------------------------


def test_a_symptom_question_is_answered_from_the_resolution_not_echoed_from_the_symptoms():
    passage = choose(article(TSG), "Outlook keeps prompting for my password after the mailbox was moved")
    assert passage.part.heading == "Resolution" and passage.anchor == "sec-resolution"
    assert passage.matched.heading == "Symptoms"
    assert "password prompt again and again" in passage.matched_sentence
    assert passage.markdown.startswith("1. Close Outlook.") and "3. Start Outlook" in passage.markdown
    assert passage.complete


def test_each_symptom_pairs_with_the_resolution_that_follows_it():
    body = """
        ## Symptom 1

        Calendar items disappear from shared calendars.

        ## Resolution 1

        Remove and re-add the shared calendar.

        ## Symptom 2

        Meeting invitations arrive without the Teams join link.

        ## Resolution 2

        Install the Teams meeting add-in again.
        """
    passage = choose(article(body), "invitations arrive without the Teams join link")
    assert passage.part.heading == "Resolution 2"


def test_an_introduction_to_methods_gives_way_to_its_first_method():
    body = """
        ## Symptoms

        Folder names show in the wrong language.

        ## Resolution

        Use one of the following methods:

        ### Method 1: Reset the folder names

        Run `outlook.exe /resetfoldernames`.

        ### Method 2: Use Outlook on the web

        Change the language in the settings.
        """
    passage = choose(article(body), "folder names are in the wrong language")
    assert passage.section == "Resolution › Method 1: Reset the folder names"


def test_the_matching_step_of_a_workflow_is_quoted_alone():
    body = """
        1. Confirm the customer's identity with two factors.
        2. Hand every open case over to a named colleague and note it on the case.
        3. Set an out-of-office reply that names the colleague.
        4. Tell the team lead the date you are back.
        """
    doc = article(body, title="Before you go on leave", type="workflow", product=None)
    passage = choose(doc, "who takes over my open cases, hand over to a colleague?")
    assert passage.step == 2 and passage.markdown.startswith("2. Hand every open case")


def test_a_symptom_question_never_singles_out_a_troubleshooting_step():
    body = """
        ## Symptoms

        Users get Access is denied when they open the file share.

        ## Resolution

        1. Compare share and NTFS permissions.
        2. Ask the user to sign out and in again.
        3. If access is still denied on the share, capture it with Process Monitor.
        """
    passage = choose(article(body, product=None), "Users get access denied on the file share")
    assert passage.step is None and passage.markdown.startswith("1. Compare share")


def test_long_procedures_are_cut_and_say_how_many_steps_are_left():
    steps = "\n".join(f"{n}. Do the thing number {n} with a few more words to make it long enough to count "
                      f"against the budget of the quote." for n in range(1, 15))
    passage = choose(article(f"## Symptoms\n\nIt fails.\n\n## Resolution\n\n{steps}\n"), "it fails")
    assert passage.more_steps > 0 and not passage.complete
    assert passage.markdown.count("\n") + 1 + passage.more_steps == 14


def test_an_article_without_sections_is_answered_from_its_opening():
    doc = article("Open Settings > Account and choose **Delete account**.\n\nA second, longer answer.\n",
                  title="How do I delete my account?", type="how-to", product=None)
    passage = choose(doc, "remove my account")
    assert passage.part.heading == "" and passage.text.startswith("Open Settings")


def test_pictures_alone_are_not_an_answer():
    body = "## Symptoms\n\nIt crashes.\n\n## Resolution\n\n![dialog](media/x.png)\n\nReinstall the add-in.\n"
    passage = choose(article(body), "it crashes")
    assert "media/x.png" not in passage.markdown and passage.text == "Reinstall the add-in."


def test_the_title_heading_of_an_imported_article_is_not_a_section_name():
    body = "# Outlook asks for the password again and again\n\nIt prompts.\n\n## Resolution\n\nSign out.\n"
    parts = parts_of(article(body))
    assert [p.path for p in parts] == ["", "Resolution"]


# --- words and checks -------------------------------------------------------------------------


def test_codes_and_versions_are_read_from_the_question():
    assert set(error_codes("fails with 0x80070005, ORA-12154 and ERROR_ACCESS_DENIED, not PR_SUBJECT")) == {
        "0X80070005", "ORA-12154", "ERROR_ACCESS_DENIED"}
    assert versions("It started in Outlook 2016 on Windows 10, step 2 of the guide") == {
        "outlook": {"2016"}, "windows": {"10"}}
    assert content_words("The users are deleting accounts") == ["delet", "account"]


def test_a_question_s_error_code_that_the_article_lacks_is_flagged_strongest_when_it_documents_another():
    doc = article(TSG, codes=("0x8004010F",))
    other = check("Outlook fails with 0x80070005", doc)
    assert other.strength(CODE) == 1.0 and "0x80070005" in other.flags[0].message and "0x8004010F" in \
        other.flags[0].message
    silent = check("Outlook fails with 0x80070005", article(TSG))
    assert silent.strength(CODE) == 0.5
    same = check("Outlook fails with 0x8004010f", doc)
    assert same.shared_codes == ("0x8004010f",) and not same.flags


def test_a_product_the_question_names_must_be_the_article_s_or_be_mentioned_in_it():
    products = ("Outlook", "Teams", "Exchange Online")
    teams = check("Teams meetings lose the join link", article(TSG), products=products)
    assert teams.strength(PRODUCT) == 1.0
    assert not check("Outlook password prompts", article(TSG), products=products).flags
    mentions = article(TSG + "\nThe same happens in Teams.\n")
    assert not check("Teams password prompts", mentions, products=products).flags
    # the asker's chosen product counts like a named one
    assert check("password prompts", article(TSG), product="Contoso CRM").strength(PRODUCT) == 1.0


def test_a_one_word_product_that_is_also_a_word_counts_only_as_a_name():
    assert names_product("Teams meetings fail", "Teams")
    assert not names_product("my teams can't share files", "Teams")
    assert names_product("the exchange online mailbox", "Exchange Online")


def test_a_version_the_article_never_covers_is_flagged():
    doc = article(TSG + "\nThis applies to Outlook 2010 and Outlook 2013.\n")
    flags = check("Outlook 2016 keeps asking for the password", doc).flags
    assert [f.kind for f in flags] == [VERSION] and "2016" in flags[0].message
    assert not check("Outlook 2013 keeps asking for the password", doc).flags


# --- confidence and the answer -------------------------------------------------------------


def evidence(**values) -> Evidence:
    base = dict(meaning=0.8, coverage=0.9, title_cover=0.6, margin=0.4)
    return Evidence(**{**base, **values})


def test_confidence_rises_with_meaning_and_words_and_falls_with_conflicts():
    assert confidence(evidence(meaning=0.9)) > confidence(evidence(meaning=0.5))
    assert confidence(evidence(coverage=1.0)) > confidence(evidence(coverage=0.3))
    for conflict in ("code_conflict", "product_conflict", "version_conflict"):
        assert confidence(evidence(**{conflict: 1.0})) < confidence(evidence())
    assert confidence(evidence(shared_code=1.0)) > confidence(evidence())
    assert confidence(evidence(validation="not-validated")) < confidence(evidence()) < \
        confidence(evidence(validation="validated"))
    assert 0.0 <= confidence(evidence(meaning=-1.0, coverage=0.0, title_cover=0.0, margin=0.0)) < 0.05


QUESTION = Question("Outlook keeps asking for my password after the mailbox move")


def test_every_answer_cites_the_article_and_section_its_text_comes_from():
    result = answer(QUESTION, [Candidate(article(TSG), 10.0, similarity=0.8)])
    assert not result.abstained and result.confidence >= THRESHOLD
    assert result.support.article.id == "KB1" and result.support.passage.anchor == "sec-resolution"
    assert result.text == result.support.passage.markdown
    assert result.support.reasons()


def test_kb_abstains_below_the_threshold():
    unrelated = article(TSG, title="Printer jams on tray 2")
    result = answer(Question("How do I bake sourdough bread?"), [Candidate(unrelated, 1.0, similarity=0.05)])
    assert result.abstained and result.text == "" and result.support is None
    assert result.confidence < THRESHOLD and result.considered
    assert answer(QUESTION, []).abstained


def test_a_conflicting_error_code_demotes_the_article_below_one_that_documents_the_code():
    asked = Question("Outlook keeps asking for my password with error 0x80070005")
    wrong = article(TSG, id="KB-OTHER", codes=("0x8004010F",))
    right = article(TSG, id="KB-RIGHT", codes=("0x80070005",))
    result = answer(asked, [Candidate(wrong, 10.0, similarity=0.8), Candidate(right, 9.0, similarity=0.8)])
    assert result.support.article.id == "KB-RIGHT"
    conflicted = [s for s in result.considered if s.article.id == "KB-OTHER"][0]
    assert conflicted.confidence < result.confidence and conflicted.flags[0].kind == CODE


def test_a_flag_stays_on_the_card_when_the_article_is_still_the_best():
    asked = Question("Outlook 2016 keeps asking for my password after the mailbox move")
    doc = article(TSG + "\nThis applies to Outlook 2010 and Outlook 2013.\n")
    result = answer(asked, [Candidate(doc, 10.0, similarity=0.85)])
    assert not result.abstained and [f.kind for f in result.support.flags] == [VERSION]


def test_sources_are_never_mixed_a_close_runner_up_is_named_apart():
    first = article(TSG, id="KB-A")
    second = article(TSG, id="KB-B", title="Outlook password prompts after a mailbox move")
    third = article(TSG, id="KB-C", title="Printer jams on tray 2")
    found = [Candidate(first, 10.0, similarity=0.8), Candidate(second, 10.0, similarity=0.8),
             Candidate(third, 2.0, similarity=0.1)]
    result = answer(QUESTION, found)
    assert result.text == result.support.passage.markdown  # one passage of one article
    assert result.also is not None and result.also.article.id != result.support.article.id


def test_the_composer_is_pluggable_and_cannot_change_what_is_cited():
    class Shouting(QuoteComposer):
        name = "shouting"

        def compose(self, question, passage):
            return passage.text.upper()

    result = answer(QUESTION, [Candidate(article(TSG), 10.0, similarity=0.8)], composer=Shouting())
    assert result.text.startswith("CLOSE OUTLOOK") and result.composer == "shouting"
    assert result.support.article.id == "KB1" and result.support.passage.anchor == "sec-resolution"


def test_without_the_engine_s_meaning_the_words_decide():
    supports = weigh(QUESTION, [Candidate(article(TSG), 10.0)])
    assert supports[0].evidence.meaning is None and 0.0 < supports[0].confidence < 1.0


def test_an_article_in_review_counts_as_not_validated():
    doc = replace(article(TSG), status="review")
    supports = weigh(QUESTION, [Candidate(doc, 10.0, similarity=0.8)])
    assert supports[0].evidence.validation == "not-validated"
