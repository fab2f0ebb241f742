"""Feeds to drafts: each item once, drafts only, trimmed to the channel, ETag, failures
reported and stopped, unsafe addresses refused, brand checks on the API."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from accounts.models import Platform
from config.errors import Conflict
from planner.feeds import fetch as fetcher
from planner.feeds import services
from planner.models import Feed, FeedItem, Post, Status
from planner.posts.checks import character_count
from tests.planner.conftest import make_channel

LONG = "Our new oven bakes bread in half the time. " * 40


@pytest.fixture
def feed(team, feed_server, private_allowed):
    bsky = make_channel(team["brand"], platform=Platform.BLUESKY, handle="team.bsky.social")
    feed_server.add_item(title="Spring menu", link="https://example.com/spring", summary=LONG)
    return services.feed_create(
        brand=team["brand"],
        actor=team["author"],
        url=feed_server.url + "/feed.xml",
        channels=[team["channel"], bsky],
    )


def test_new_items_become_drafts_trimmed_to_each_channel(team, feed):
    report = services.feed_fetch(feed_id=feed.pk)
    assert FeedItem.objects.get().problem == ""
    assert (report.error, report.new_items, len(report.drafts)) == ("", 1, 2)
    posts = list(Post.objects.filter(pk__in=report.drafts).select_related("channel"))
    for post in posts:
        assert post.status == Status.DRAFT and post.scheduled_at is None
        assert post.text.startswith("Spring menu\n\n")
        assert post.text.endswith("https://example.com/spring")
        assert not character_count(post.text, post.channel).over
        assert post.author == team["author"] and post.category == "news"
    bluesky = next(p for p in posts if p.channel.platform == Platform.BLUESKY)
    assert "…" in bluesky.text  # 300 graphemes: the summary was cut


def test_each_item_once_and_an_unchanged_feed_is_a_304(feed, feed_server):
    services.feed_fetch(feed_id=feed.pk)
    again = services.feed_fetch(feed_id=feed.pk)
    assert again.not_modified and again.new_items == 0
    sent = [r for r in feed_server.requests_log() if r["path"] == "/feed.xml"]
    assert len(sent) == 2
    feed_server.add_item(title="Summer menu", link="https://example.com/summer", summary="Cold")
    third = services.feed_fetch(feed_id=feed.pk)
    assert third.new_items == 1
    Feed.objects.filter(pk=feed.pk).update(etag="", last_modified="")  # forget the ETag
    fourth = services.feed_fetch(feed_id=feed.pk)
    assert fourth.new_items == 0 and not fourth.not_modified
    assert FeedItem.objects.filter(feed=feed).count() == 2
    assert Post.objects.filter(brand=feed.brand).count() == 4  # 2 items x 2 channels


def test_a_broken_feed_is_reported_then_stopped_not_retried_for_ever(feed, feed_server, team):
    Feed.objects.filter(pk=feed.pk).update(url=feed_server.url + "/broken.xml")
    for attempt in range(1, services.MAX_FAILURES + 1):
        report = services.feed_fetch(feed_id=feed.pk)
        assert "not an RSS or Atom feed" in report.error
        assert report.stopped == (attempt == services.MAX_FAILURES)
    feed.refresh_from_db()
    assert feed.stopped_at is not None and feed.failures == services.MAX_FAILURES
    assert services.feed_fetch(feed_id=feed.pk).error == "stopped"
    assert team["author"].notifications.filter(kind=services.NOTICE_STOPPED).exists()
    assert FeedItem.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "words"),
    [("/huge.xml", "larger than"), ("/gone", "HTTP 404")],
)
def test_a_huge_or_missing_feed_is_stopped_at_once(feed, feed_server, path, words):
    Feed.objects.filter(pk=feed.pk).update(url=feed_server.url + path)
    report = services.feed_fetch(feed_id=feed.pk)
    assert words in report.error and report.stopped


def test_a_redirect_is_followed_and_atom_is_read(feed, feed_server):
    Feed.objects.filter(pk=feed.pk).update(url=feed_server.url + "/moved")
    assert services.feed_fetch(feed_id=feed.pk).new_items == 1
    Feed.objects.filter(pk=feed.pk).update(url=feed_server.url + "/atom.xml", etag="")
    feed_server.add_item(title="Atom item", link="https://example.com/atom", summary="")
    assert services.feed_fetch(feed_id=feed.pk).new_items == 1


def test_private_addresses_and_other_schemes_are_refused(team, feed_server):
    with override_settings(COUNTERSIGN={"ALLOW_PRIVATE_INSTANCE_URLS": False}):
        for url in (feed_server.url + "/feed.xml", "http://localhost/feed", "ftp://x.example/f"):
            with pytest.raises(ValidationError):
                services.feed_create(
                    brand=team["brand"], actor=team["author"], url=url, channels=[team["channel"]]
                )
    # A public-looking name that resolves to loopback is refused when connecting.
    import socket
    from unittest import mock

    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        return real("127.0.0.1" if host == "blog.example" else host, *args, **kwargs)

    port = feed_server.url.rsplit(":", 1)[1]
    with (
        mock.patch("socket.getaddrinfo", resolve),
        pytest.raises(fetcher.FeedProblem, match="private or local"),
    ):
        fetcher.download(f"http://blog.example:{port}/feed.xml", allow_private=False)
    assert not [r for r in feed_server.requests_log() if r["path"] == "/feed.xml"]


def test_untrusted_item_fields_are_cleaned():
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
        b"<item><title>&lt;b&gt;Bold&lt;/b&gt; \x01title</title>"
        b"<link>javascript:alert(1)</link><guid>g1</guid>"
        b"<description>&lt;script&gt;x&lt;/script&gt;Hi</description></item>"
        b"</channel></rss>"
    )
    [item] = fetcher.parse(body)
    assert item.title == "Bold title" and item.link == "" and "<" not in item.summary


def test_the_same_feed_twice_is_a_conflict_and_channels_must_be_the_brands(feed, team, other):
    with pytest.raises(Conflict):
        services.feed_create(
            brand=team["brand"], actor=team["author"], url=feed.url, channels=[team["channel"]]
        )
    with pytest.raises(ValidationError):
        services.feed_create(
            brand=team["brand"],
            actor=team["author"],
            url=feed.url + "?x=1",
            channels=[other["channel"]],
        )


def test_feeds_api(api, team, feed_server, private_allowed, other):
    url = reverse("api_feeds", args=[team["brand"].slug])
    feed_server.add_item(title="From the API", link="https://example.com/api", summary="s")
    made = api(team["author"]).post(
        url, {"url": feed_server.url + "/feed.xml", "channels": [team["channel"].pk]}, format="json"
    )
    assert made.status_code == 201, made.json()
    feed_id = made.json()["id"]
    assert made.json()["channels"] == [team["channel"].pk]
    assert [f["id"] for f in api(team["author"]).get(url).json()] == [feed_id]
    fetched = api(team["author"]).post(
        reverse("api_feed_fetch", args=[team["brand"].slug, feed_id])
    )
    assert fetched.status_code == 200 and fetched.json()["new_items"] == 1
    # Another brand: nothing to see, nothing to fetch, not its channels.
    assert api(other["author"]).get(url).status_code == 404
    their = reverse("api_feed_fetch", args=[other["brand"].slug, feed_id])
    assert api(other["author"]).post(their).status_code == 404
    foreign = api(team["author"]).post(
        url,
        {"url": feed_server.url + "/atom.xml", "channels": [other["channel"].pk]},
        format="json",
    )
    assert foreign.status_code == 404
    assert (
        api(team["author"]).post(url, {"url": "x", "channels": []}, format="json").status_code
        == 400
    )
    assert (
        api(team["trainer"])
        .post(
            url,
            {"url": feed_server.url + "/atom.xml", "channels": [team["channel"].pk]},
            format="json",
        )
        .status_code
        == 403
    )


def test_feeds_page(client, team, feed_server, private_allowed):
    client.force_login(team["author"])
    page = reverse("feed_list", args=[team["brand"].slug])
    feed_server.add_item(title="Page item", link="https://example.com/p", summary="s")
    response = client.post(
        page,
        {
            "url": feed_server.url + "/feed.xml",
            "channels": [team["channel"].pk],
            "category": "news",
        },
    )
    assert response.status_code == 302
    feed = Feed.objects.get(brand=team["brand"])
    client.post(reverse("feed_fetch", args=[team["brand"].slug, feed.pk]))
    body = client.get(page).content.decode()
    assert "Page item" in body and "1 draft" in body


def test_the_periodic_task_is_declared_and_fans_out(feed, django_capture_on_commit_callbacks):
    from unittest import mock

    from planner.feeds import tasks
    from planner.periodic import periodic_tasks

    assert "planner.feeds.tasks.fetch_due_feeds" in {p.task for p in periodic_tasks()}
    with mock.patch.object(tasks.fetch_feed, "delay") as delay:
        assert tasks.fetch_due_feeds() == 1
    delay.assert_called_once_with(feed.pk)
