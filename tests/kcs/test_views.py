"""Article views are added up in memory and written as one row per article and day."""

from datetime import date, timedelta

from kb.db import utcnow
from kb.kcs.views import ViewCounter, add_views, views_since


def test_views_are_written_in_batches_and_summed_per_article(engine):
    counter = ViewCounter(engine, max_batch=3, background=False)
    counter.view("KB1")
    counter.view("KB1")
    assert views_since(engine) == {}
    counter.view("KB2")
    assert views_since(engine) == {"KB1": 2, "KB2": 1}
    counter.view("KB1")
    counter.flush()
    assert views_since(engine) == {"KB1": 3, "KB2": 1}


def test_old_views_fall_out_of_the_window(engine):
    today = utcnow().date()
    from collections import Counter

    add_views(engine, Counter({("KB1", today - timedelta(days=200)): 9, ("KB1", today): 1}))
    assert views_since(engine) == {"KB1": 1}
    assert views_since(engine, date(2000, 1, 1)) == {"KB1": 10}
