"""Browser journey for strategy and measurement: the author sees the content-mix warning while
composing a promotional post whose link to the brand's site is tagged; two approvers approve
the tagged text; a fake feed's item becomes a draft from the Feeds page; the dashboard's
charts are read, filled from metrics fetched from a fake Mastodon."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from playwright.sync_api import expect

from accounts import services as account_services
from accounts.models import Brand, Channel, User
from planner.metrics import services as metrics
from planner.models import Post, Status
from planner.posts import services as post_services
from planner.publishing import services as publishing
from planner.review import services as review
from planner.strategy import services as strategy
from tests.e2e.conftest import sign_in
from tests.fakes.feed import FakeFeed
from tests.fakes.mastodon import FakeMastodon
from tests.planner.publishing.support import BRAND_ACCOUNT, BRAND_TOKEN, fake_tokens, make_due


@pytest.fixture
def fakes():
    with FakeMastodon(tokens=fake_tokens()) as mastodon, FakeFeed() as feed:
        yield {"mastodon": mastodon, "feed": feed}


def _published_with_metrics(brand, fake) -> Post:
    """A post published on a Mastodon channel of the brand (the real flow), its metrics and
    followers fetched from the fake as the periodic task would."""
    admin = User.objects.get(username="admin")
    channel = account_services.channel_connect(
        brand=brand,
        actor=admin,
        platform="mastodon",
        instance_url=fake.url,
        credential={"access_token": BRAND_TOKEN},
    )
    post = post_services.post_create(
        brand=brand,
        actor=User.objects.get(username="author"),
        channel=channel,
        text="Kettle tip: descale monthly.",
        category="engagement",
        scheduled_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    review.post_submit(post_id=post.pk, actor=post.author)
    for name in ("approver1", "approver2"):
        review.approval_grant(post_id=post.pk, actor=User.objects.get(username=name))
    make_due([post.pk])
    assert [o.result for o in publishing.publish_due_inline() if o.post_id == post.pk] == [
        "published"
    ]
    post = Post.objects.select_related("delivery").get(pk=post.pk)
    fake.set_metrics(
        statuses={
            post.delivery.remote_id: {
                "favourites_count": 17,
                "reblogs_count": 4,
                "replies_count": 3,
            }
        },
        followers={BRAND_ACCOUNT[0]: 480},
    )
    assert metrics.snapshot_take(post_id=post.pk, age="1h").ok
    assert metrics.followers_take(channel_id=channel.pk).ok
    return post


def test_mix_warning_tagged_link_approved_feed_draft_and_dashboard(demo, new_page, fakes):
    brand = Brand.objects.get(slug="demo")
    outbox = Channel.objects.get(brand=brand, handle="@demokitchen")
    author_user = User.objects.get(username="author")
    admin = User.objects.get(username="admin")
    strategy.link_tracking_set(
        brand=brand, actor=admin, enabled=True, domains=["demokitchen.example"]
    )
    when = (dt.datetime.now(brand.tz) + dt.timedelta(days=45)).replace(hour=10, minute=0)
    for i in range(2):
        post_services.post_create(
            brand=brand,
            actor=author_user,
            channel=outbox,
            text=f"Offer {i}: 10% off kettles",
            category="promotional",
            scheduled_at=(when - dt.timedelta(days=1 + i)).astimezone(dt.UTC),
        )

    # The author composes a promotional post: the mix warning and the tagged link show.
    author = new_page()
    sign_in(author, "author")
    author.goto("/b/demo/compose/")
    author.get_by_label("@demokitchen (Local outbox (demo))").check()
    author.get_by_label("Category").select_option("promotional")
    author.get_by_label("Scheduled time (Europe/London)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    text = "Spring sale on kettles: https://demokitchen.example/sale"
    author.get_by_label("Post text").fill(text)
    warning = author.get_by_test_id("mix-warning")
    expect(warning).to_contain_text("promotional would be 3 of 3 posts (100%)")
    expect(author.get_by_test_id("links-tagged")).to_be_visible()
    expect(author.get_by_test_id("lint-preview")).to_contain_text("utm_source=outbox")
    author.get_by_role("button", name="Save drafts").click()
    author.wait_for_url("**/b/demo/posts/*/")
    post = Post.objects.get(brand=brand, text__startswith="Spring sale on kettles")
    assert "https://demokitchen.example/sale?utm_source=outbox&utm_medium=social" in post.text
    with author.expect_navigation(url=f"**/b/demo/posts/{post.pk}/"):
        author.get_by_role("button", name="Submit for review").click()

    # Two approvers see the tagged link and the warning, and approve that exact text.
    for name in ("approver1", "approver2"):
        page = new_page()
        sign_in(page, name)
        page.goto(f"/b/demo/posts/{post.pk}/")
        expect(page.get_by_test_id("post-text")).to_contain_text("utm_source=outbox")
        expect(page.get_by_test_id("review-findings")).to_contain_text("Content mix")
        with page.expect_navigation(url=f"**/b/demo/posts/{post.pk}/"):
            page.get_by_role("button", name="Approve this version").click()
    expect(page.get_by_test_id("review-panel")).to_contain_text("enough approvals")
    deadline = time.monotonic() + 10  # the server's commit, seen from this process
    post.refresh_from_db()
    while post.status != Status.APPROVED and time.monotonic() < deadline:
        time.sleep(0.1)
        post.refresh_from_db()
    assert post.status == Status.APPROVED

    # The calendar shows the channel over its promotional target for that month.
    author.goto(f"/b/demo/calendar/?view=month&date={when:%Y-%m-%d}")
    over = author.locator("[data-testid=mix-channel][data-over='1']")
    expect(over.first).to_contain_text("@demokitchen")

    # A fake feed's item becomes a draft.
    feed = fakes["feed"]
    feed.add_item(
        title="New: the whistling kettle",
        link="https://demokitchen.example/kettle",
        summary="Our loudest kettle yet. " * 30,
    )
    author.goto("/b/demo/feeds/")
    author.get_by_label("Feed address (RSS or Atom)").fill(feed.url + "/feed.xml")
    author.get_by_label("@demokitchen (Local outbox (demo))").check()
    author.get_by_role("button", name="Add the feed").click()
    author.wait_for_url("**/b/demo/feeds/")
    author.get_by_test_id("feed-fetch").click()
    author.wait_for_url("**/b/demo/feeds/")
    expect(author.get_by_test_id("feed-item")).to_contain_text("New: the whistling kettle")
    expect(author.get_by_test_id("feed-item")).to_contain_text("1 draft")
    draft = Post.objects.get(brand=brand, text__startswith="New: the whistling kettle")
    assert draft.status == Status.DRAFT and draft.scheduled_at is None
    assert "utm_source=outbox" in draft.text

    # The dashboard's charts, from metrics fetched from the fake Mastodon.
    published = _published_with_metrics(brand, fakes["mastodon"])
    author.goto("/b/demo/dashboard/")
    chart = author.locator("canvas[data-chart=engagement]")
    expect(chart).to_have_attribute("data-loaded", "1")
    section = author.locator("[data-testid=kpi-chart][data-chart=engagement]")
    section.locator("summary").click()
    expect(section.get_by_test_id("kpi-table")).to_contain_text(str(published.pk))
    expect(section.get_by_test_id("kpi-table")).to_contain_text("24")
    rate = author.locator("[data-testid=kpi-chart][data-chart=rate]")
    expect(rate.locator("canvas")).not_to_have_attribute("data-loaded", "error")
    rate.locator("summary").click()
    expect(rate.get_by_test_id("kpi-table")).to_contain_text("480")
    expect(author.get_by_test_id("kpi-summary")).to_contain_text("480")
    for name in ("categories", "times", "cadence", "mix", "lead-time"):
        expect(author.locator(f"canvas[data-chart='{name}']")).not_to_have_attribute(
            "data-loaded", "error"
        )
