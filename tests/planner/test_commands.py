"""The planner's commands: the demo seed, publish_due, setup_periodic_tasks and the benchmarks,
on their happy and unhappy paths, run as `manage.py` runs them (real exit status, never a
traceback)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from accounts.models import Brand, User
from planner.demo import DEMO_POSTS, DEMO_USERS, demo_seed
from planner.models import Conversation, Message, Post, Status
from planner.periodic import periodic_tasks
from planner.publishing import services as publishing
from tests.commands import manage
from tests.planner.publishing.support import (
    approved_post,
    block_bread,
    bulk_approved_posts,
    make_due,
)


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


# --- seed_demo --------------------------------------------------------------------------------


def _demo_counts() -> tuple:
    return (
        Brand.objects.count(),
        User.objects.count(),
        Post.objects.count(),
        PeriodicTask.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
    )


def test_seed_demo_refuses_with_debug_off_and_changes_nothing(db, settings):
    settings.DEBUG = False
    before = _demo_counts()
    ran = manage("seed_demo")
    assert ran.code == 2
    assert "DEBUG is off" in ran.err and "--force" in ran.err and "Nothing was changed" in ran.err
    assert ran.out == ""
    assert _demo_counts() == before
    assert not Brand.objects.filter(slug="demo").exists()
    assert not User.objects.filter(username__in=DEMO_USERS).exists()


def test_seed_demo_with_force_runs_with_debug_off(db, settings):
    settings.DEBUG = False
    ran = manage("seed_demo", "--force")
    assert ran.code == 0 and "Demo data ready: brands demo, acme" in ran.out
    assert Brand.objects.filter(slug__in=["demo", "acme"]).count() == 2


def test_seed_demo_runs_with_debug_on_and_is_idempotent(db, settings):
    settings.DEBUG = True  # what `make run` has by default
    first = manage("seed_demo")
    assert first.code == 0 and "Demo data ready" in first.out
    after_first = _demo_counts()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(django_settings.COUNTERSIGN["DEMO_PASSWORD"])
    second = manage("seed_demo")
    assert second.code == 0 and "passwords unchanged" in second.out
    assert _demo_counts() == after_first


def test_seed_demo_never_changes_an_existing_users_password(db, settings):
    settings.DEBUG = True
    User.objects.create_superuser(
        username="admin", email="ops@example.org", password="the-real-admin-password"
    )
    User.objects.create_user(
        username="author", email="real.author@example.org", password="authors-own-password"
    )
    ran = manage("seed_demo")
    assert ran.code == 0 and "admin" in ran.out and "author" in ran.out
    admin = User.objects.get(username="admin")
    assert admin.check_password("the-real-admin-password")
    assert not admin.check_password(django_settings.COUNTERSIGN["DEMO_PASSWORD"])
    assert admin.is_superuser and admin.email == "ops@example.org"
    author = User.objects.get(username="author")
    assert author.check_password("authors-own-password") and not author.is_staff
    assert author.email == "real.author@example.org"
    # The missing ones were created with the demo password.
    assert User.objects.get(username="approver1").check_password(
        django_settings.COUNTERSIGN["DEMO_PASSWORD"]
    )
    # Seeding directly (the e2e set-up does) keeps them too.
    demo_seed(password="another-password-1")
    assert User.objects.get(username="admin").check_password("the-real-admin-password")


def test_seed_demo_refuses_unknown_options(db, settings):
    settings.DEBUG = True
    assert manage("seed_demo", "--no-such-option").code == 2
    assert not Brand.objects.filter(slug="demo").exists()


# --- publish_due --------------------------------------------------------------------------------


@pytest.fixture
def offline(offline_publishing):
    return offline_publishing


def test_publish_due_reports_a_held_post_and_exits_0(pub, mastodon, offline):
    post = approved_post(pub, "Fresh bread today.")
    make_due([post.pk])
    block_bread(pub["brand"])
    ran = manage("publish_due")
    assert ran.code == 0, ran
    assert f"post {post.pk}: held Policy v" in ran.out
    assert ran.lines[-1] == "publish_due: 1 held"
    assert Post.objects.get(pk=post.pk).status == Status.HELD
    assert mastodon.posts() == []


def test_publish_due_reports_a_failed_post_and_a_published_one(pub, mastodon, offline):
    long = approved_post(pub, "A post that is longer than ten characters.")
    short = approved_post(pub, "Short one")
    make_due([long.pk, short.pk])
    mastodon.configure(max_characters=10)
    ran = manage("publish_due")
    assert ran.code == 0, ran
    assert f"post {long.pk}: failed" in ran.out and "character limit" in ran.out
    assert ran.lines[-1] == "publish_due: 1 failed, 1 published"
    assert manage("publish_due").lines == ["publish_due: nothing due"]


def test_publish_due_quiet_prints_only_the_summary(pub, mastodon, offline):
    post = approved_post(pub, "Fresh bread today.")
    make_due([post.pk])
    block_bread(pub["brand"])
    ran = manage("publish_due", "-v", "0")
    assert ran.code == 0 and ran.lines == ["publish_due: 1 held"]


@pytest.mark.parametrize("argv", [["--limit", "0"], ["--limit", "-3"], ["--limit", "many"]])
def test_publish_due_bad_usage_exits_2(db, argv):
    ran = manage("publish_due", *argv)
    assert ran.code == 2 and ran.err and ran.out == ""


def test_publish_due_call_command_with_a_held_post(pub, mastodon, offline):
    post = approved_post(pub, "Fresh bread today.")
    make_due([post.pk])
    block_bread(pub["brand"])
    out = io.StringIO()
    call_command("publish_due", stdout=out)  # raised AttributeError before
    assert "1 held" in out.getvalue()


# --- setup_periodic_tasks -----------------------------------------------------------------------


def test_setup_periodic_tasks_is_idempotent_and_disables_stale_tasks(db):
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="Old dispatcher", task="planner.tasks.old", interval=every)
    PeriodicTask.objects.create(
        name="celery.backend_cleanup", task="celery.backend_cleanup", interval=every
    )
    first = manage("setup_periodic_tasks")
    assert first.code == 0 and "Periodic tasks installed" in first.out
    names = {item.name for item in periodic_tasks()}
    assert set(PeriodicTask.objects.filter(enabled=True).values_list("name", flat=True)) == (
        names | {"celery.backend_cleanup"}
    )
    assert not PeriodicTask.objects.get(name="Old dispatcher").enabled
    count = PeriodicTask.objects.count()
    assert manage("setup_periodic_tasks").code == 0
    assert PeriodicTask.objects.count() == count
    assert manage("setup_periodic_tasks", "--no-such-option").code == 2


# --- the benchmarks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["calendar_bench", "--posts", "0"],
        ["calendar_bench", "--runs", "1"],
        ["calendar_bench", "--channels", "x"],
        ["publish_bench", "--posts", "0"],
        ["publish_bench", "--workers", "0"],
        ["publish_bench", "--latency", "-1"],
    ],
)
def test_bench_bad_arguments_exit_2_before_doing_anything(db, argv):
    before = _demo_counts()
    ran = manage(*argv)
    assert ran.code == 2 and ran.err
    assert _demo_counts() == before


def test_publish_bench_waits_for_its_own_posts_not_other_brands(
    pub, mastodon, offline, monkeypatch
):
    """Another brand's post falling due (the demo's, after seed_demo) is claimed by the same
    pass; it must not count as one of the bench's, or a bench post is never claimed."""
    from config.celery import app
    from planner.management.commands import publish_bench

    someone_elses = approved_post(pub, "The demo's post, due a minute ago.")
    make_due([someone_elses.pk], ago=dt.timedelta(minutes=1))
    ids = bulk_approved_posts(pub, 3, prefix="Bench post")

    def workers_meanwhile(seconds):
        # What the bench's workers do while it waits: publish what was claimed.
        for pk in Post.objects.filter(status=Status.PUBLISHING).values_list("pk", flat=True):
            publishing.publish_one(pk)

    monkeypatch.setattr(publish_bench.time, "sleep", workers_meanwhile)
    out = io.StringIO()
    queue = app.conf.task_default_queue
    try:
        elapsed = publish_bench.Command(stdout=out)._run(ids, "bench-test", timeout=5)
    finally:
        app.conf.task_default_queue = queue  # the bench points the app at its own queue
    assert elapsed < 5
    assert set(Post.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.PUBLISHED
    }
    assert "1 due post(s) of other brands were claimed too; not counted" in out.getvalue()
