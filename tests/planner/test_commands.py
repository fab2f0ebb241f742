"""The demo seed's posts and the calendar benchmark command."""

from __future__ import annotations

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from accounts.models import Brand, User
from planner.demo import DEMO_POSTS, demo_seed
from planner.models import Post


def test_demo_posts_spread_over_this_month_and_are_seeded_once(db):
    demo_seed(password="pw-for-tests-1")
    demo_seed(password="pw-for-tests-1")
    demo = Brand.objects.get(slug="demo")
    posts = list(Post.objects.filter(brand=demo))
    # The month's posts, plus one approved to go out two minutes after the demo starts.
    assert len(posts) == len(DEMO_POSTS) + 1
    soon = max(posts, key=lambda p: p.created_at)
    assert soon.status == "approved"
    assert soon.scheduled_at <= timezone.now() + dt.timedelta(minutes=3)
    month = timezone.now().astimezone(demo.tz).month
    monthly = [p for p in posts if p.pk != soon.pk]
    assert {p.scheduled_at.astimezone(demo.tz).month for p in monthly} == {month}
    assert len({p.scheduled_at.astimezone(demo.tz).day for p in monthly}) >= 8
    assert Post.objects.filter(brand__slug="acme").count() == 3
    assert all(p.revision == 1 for p in posts)
    assert {p.status for p in monthly} <= {"draft", "in_review", "approved"}


def test_calendar_bench_runs_and_cleans_up(db):
    out = io.StringIO()
    brands_before = Brand.objects.count()
    call_command("calendar_bench", posts=40, channels=3, runs=2, stdout=out)
    report = out.getvalue()
    for label in ("trivial view /healthz/", "calendar month page", "calendar API", "post list"):
        assert label in report
    assert "median ms" in report and "p95 ms" in report
    assert Brand.objects.count() == brands_before
    assert not Post.objects.exists()
    assert not User.objects.filter(username__startswith="bench-").exists()
