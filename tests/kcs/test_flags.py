"""Flag it: a flag records why and becomes (or joins) a task for the article's owner."""

import pytest

from kb.kcs import flags as f
from kb.kcs import tasks as t
from kb.kcs.policy import Policy
from kb.model import Article

OWNED = Article(id="KB7", title="Outlook keeps prompting", body="", path="messaging/kb7.md", owner="msg-team")
ORPHAN = Article(id="KB8", title="VPN drops", body="", path="networking/kb8.md", product="VPN Gateway")
POLICY = Policy(products={"vpn gateway": "network-team"})


def test_a_flag_raises_a_task_for_the_owner_and_later_flags_join_it(engine):
    first, task = f.flag_article(engine, OWNED, "outdated", "Step 3 moved", source="help", policy=POLICY)
    second, same = f.flag_article(engine, OWNED, "Missing information", "", source="article", policy=POLICY,
                                  user_name="bo", case_id=12)
    assert (task.owner, task.owner_source, task.kind) == ("msg-team", "article", t.FLAG)
    assert same.id == task.id and same.events == 2
    assert [x.reason for x in f.flags_for_task(engine, task.id)] == ["outdated", "missing-information"]
    assert (second.user_name, second.case_id, first.user_name) == ("bo", 12, None)


def test_an_article_without_an_owner_gets_the_mapping_files_fallback(engine):
    _, task = f.flag_article(engine, ORPHAN, "incorrect", "", source="api", policy=POLICY)
    assert (task.owner, task.owner_source) == ("network-team", "product")
    _, nobody = f.flag_article(engine, ORPHAN, "unclear", "", source="api", policy=Policy())
    assert nobody.owner == "network-team"  # joined the open task, whose owner was set when it opened


@pytest.mark.parametrize(("reason", "field"), [("wrong-ish", "reason"), ("", "reason"), (None, "reason")])
def test_an_unknown_reason_is_refused_naming_the_field(engine, reason, field):
    with pytest.raises(f.FlagError) as refused:
        f.flag_article(engine, OWNED, reason, "", source="api", policy=POLICY)
    assert refused.value.field == field
    assert t.list_tasks(engine) == []


def test_comments_are_limited_and_must_be_text(engine):
    with pytest.raises(f.FlagError, match="limit"):
        f.flag_article(engine, OWNED, "other", "x" * (f.MAX_COMMENT + 1), source="api", policy=POLICY)
    with pytest.raises(f.FlagError, match="text"):
        f.flag_article(engine, OWNED, "other", ["not", "text"], source="api", policy=POLICY)
    with pytest.raises(f.FlagError, match="NUL"):
        f.flag_article(engine, OWNED, "other", "a\x00b", source="api", policy=POLICY)


def test_anonymous_writes_are_limited_per_address_in_a_store_every_process_shares(engine):
    from kb.logins import DatabaseFailures
    from web.ratelimit import LoginLimiter, WriteLimiter

    clock = [1000.0]
    shared = DatabaseFailures(engine)
    first = WriteLimiter(2, 60, clock=lambda: clock[0], store=shared, namespace="flag")
    second = WriteLimiter(2, 60, clock=lambda: clock[0], store=shared, namespace="flag")  # another process
    assert first.attempt("203.0.113.9") == 0 and second.attempt("203.0.113.9") == 0
    assert first.attempt("203.0.113.9") == 60 and second.attempt("198.51.100.1") == 0
    clock[0] += 61
    assert second.attempt("203.0.113.9") == 0
    # A limiter with a shorter window never forgets another kind's attempts early.
    logins = LoginLimiter(1, 1, window=900, clock=lambda: clock[0], store=shared)
    assert logins.attempt("ana", "203.0.113.9").wait == 0  # never succeeds: a failure
    clock[0] += 120
    first.attempt("203.0.113.7")
    assert logins.retry_after("ana", "203.0.113.9") > 0
