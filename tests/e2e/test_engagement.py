"""The engagement inbox in a real browser: a mention answered within the business-hours
clock, a reply refused for a banned word, three strikes on a troll with the report sent to
the fake Mastodon, and a crisis escalated with the admin alerted and the posts paused.

The customers write on the fake Mastodon; the inbox's fetch (the periodic task's service)
brings them in. The reply's send task runs right after commit in the live server (no broker
in this journey; the task and its checks are the same)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from playwright.sync_api import expect

from accounts import services as account_services
from accounts.models import Brand
from planner.engagement import fetch, replies, reply_tasks
from planner.engagement import services as inbox_services
from planner.engagement.models import Conversation
from policy import services as policy_services
from tests.e2e.conftest import sign_in
from tests.fakes.mastodon import FakeMastodon
from tests.planner.publishing.support import BRAND_ACCOUNT, BRAND_TOKEN, fake_tokens

BANNED = "frobnicate"


@pytest.fixture
def fake():
    from planner.publishing import services as publishing

    publishing.clear_caches()
    with FakeMastodon(tokens=fake_tokens()) as server:
        yield server
    publishing.clear_caches()


@pytest.fixture
def inbox(demo, fake, monkeypatch):
    """The demo brand with a Mastodon channel on the fake, open every hour of every day (so
    the clock runs whenever the journey does), a one-business-day target, a policy that
    bans one word, and a written crisis checklist."""
    brand = demo["brands"][0]
    admin = demo["users"]["admin"]
    channel = account_services.channel_connect(
        brand=brand,
        actor=admin,
        platform="mastodon",
        instance_url=fake.url,
        credential={"access_token": BRAND_TOKEN},
    )
    inbox_services.response_settings_update(
        brand=brand,
        actor=admin,
        business_days=[1, 2, 3, 4, 5, 6, 7],
        start_hour=0,
        end_hour=24,
        target_business_minutes=8 * 60,
    )
    policy_services.policy_version_create(
        brand=brand,
        actor=admin,
        rules=[
            {
                "id": "no-frobnicate",
                "kind": "banned_terms",
                "severity": "block",
                "message": "We never say frobnicate.",
                "terms": [BANNED],
            }
        ],
    )
    from planner.engagement import crisis

    crisis.checklist_update(
        brand=brand,
        actor=admin,
        steps="Pause scheduled posts\nCall the duty manager\nAnswer within the hour",
    )
    # The send task, straight after commit in the live server's thread.
    monkeypatch.setattr(
        reply_tasks.send_reply,
        "delay_on_commit",
        lambda pk: transaction.on_commit(lambda: replies.reply_send(message_id=pk)),
    )
    return {"brand": brand, "channel": channel, "fake": fake, **demo}


def mention(inbox, text: str, *, who: tuple[str, str]) -> Conversation:
    """A customer writes to the brand on the fake, and the inbox fetches it."""
    inbox["fake"].add_inbound(
        to=BRAND_ACCOUNT[0], author={"id": who[0], "username": who[1]}, text=text
    )
    fetch.channel_fetch(channel_id=inbox["channel"].pk, force=True)
    return Conversation.objects.filter(customer_remote_id=who[0]).latest("id")


def test_the_engagement_journey(inbox, new_page):
    brand, fake = inbox["brand"], inbox["fake"]
    customer = mention(inbox, "@kitchen my kettle arrived broken :(", who=("7001", "carol"))

    page = new_page()
    sign_in(page, "author")
    page.goto(f"/b/{brand.slug}/conversations/")
    row = page.get_by_test_id("conversation-row").filter(has_text="carol")
    expect(row.get_by_test_id("conversation-clock")).to_have_attribute("data-state", "waiting")
    row.click()

    # A reply with the banned word: the live lint says so, and the send is refused.
    box = page.get_by_test_id("reply-text")
    box.fill(f"@carol that is just {BANNED} luck")
    expect(page.get_by_test_id("reply-blocked")).to_be_visible()
    expect(page.get_by_test_id("reply-count")).to_contain_text("/ 500")
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("reply-refused")).to_contain_text("We never say frobnicate.")
    assert [p for p in fake.posts() if p.get("in_reply_to_id")] == []

    # A proper answer goes out once, in the thread, within the clock.
    box = page.get_by_test_id("reply-text")
    box.fill("@carol So sorry! A new kettle is on its way today.")
    expect(page.get_by_test_id("reply-findings")).to_have_count(0)
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("reply-row").first).to_have_attribute("data-status", "sent")
    expect(page.get_by_test_id("first-response")).to_be_visible()
    [sent] = [p for p in fake.posts() if p.get("in_reply_to_id")]
    assert sent["in_reply_to_id"] == customer.root_remote_id
    assert sent["text"].startswith("@carol So sorry")
    customer.refresh_from_db()
    assert customer.status == "answered"
    assert customer.first_response_business_minutes is not None
    assert customer.first_response_business_minutes <= 8 * 60

    # A troll: three steps, one click each; the third reports them to the instance.
    troll = mention(inbox, "@kitchen your kettles are garbage, idiots", who=("7002", "grumpy"))
    mention(inbox, "@kitchen answer me, idiots", who=("7002", "grumpy"))
    page.goto(f"/b/{brand.slug}/conversations/{troll.pk}/")
    for step in ("1", "2", "3"):
        button = page.get_by_test_id("strike-next")
        expect(button).to_have_attribute("data-step", step)
        button.click()
        expect(page.get_by_test_id("strike-count")).to_have_text(step)
    expect(page.get_by_test_id("strikes-complete")).to_be_visible()
    expect(page.get_by_test_id("platform-action")).to_have_attribute("data-ok", "1")
    [report] = fake.reports
    assert report["target_account"]["id"] == "7002"
    assert fake.blocks[0]["account_id"] == "7002"
    page.goto(f"/b/{brand.slug}/conversations/")
    expect(
        page.get_by_test_id("conversation-row")
        .filter(has_text="grumpy")
        .first.get_by_test_id("strike-badge")
    ).to_contain_text("3/3")

    # A crisis: escalated, the admin alerted, the steps beside it, posts paused in one click.
    fire = mention(inbox, "@kitchen my kettle caught fire!! video attached", who=("7003", "dan"))
    page.goto(f"/b/{brand.slug}/conversations/{fire.pk}/")
    page.get_by_test_id("crisis-escalate-button").click()
    expect(page.get_by_test_id("crisis-panel")).to_contain_text("Call the duty manager")
    expect(page.get_by_test_id("crisis-pause")).to_have_count(0)  # authors ask an admin
    assert any("Crisis" in m.subject for m in mail.outbox)
    admin = new_page()
    sign_in(admin, "admin")
    admin.goto(f"/b/{brand.slug}/conversations/{fire.pk}/")
    admin.get_by_test_id("crisis-pause").click()
    expect(admin.get_by_test_id("crisis-paused")).to_be_visible()
    assert Brand.objects.get(pk=brand.pk).is_paused


@pytest.fixture
def facebook(demo, monkeypatch, settings):
    """The demo brand with a Facebook Page channel on the fake Graph API, a post of the
    brand's, and the reply's send task right after commit."""
    from planner.publishing import clients
    from planner.publishing import services as publishing
    from tests.fakes.graph import FakeGraph

    publishing.clear_caches()
    with FakeGraph() as graph:
        token = graph.add_page("601", "Demo Kitchen")
        settings.COUNTERSIGN = {
            **settings.COUNTERSIGN,
            "OAUTH_APPS": {
                **settings.COUNTERSIGN.get("OAUTH_APPS", {}),
                "facebook": {"client_id": "fb", "client_secret": "fb-secret", "api_url": graph.url},
            },
        }
        brand, admin = demo["brands"][0], demo["users"]["admin"]
        channel = account_services.channel_connect(
            brand=brand,
            actor=admin,
            platform="facebook",
            instance_url=graph.url,
            credential={"access_token": token, "page_id": "601"},
        )
        post = clients.cached_client(channel).publish(text="New kettles!", idempotency_key="k")
        monkeypatch.setattr(
            reply_tasks.send_reply,
            "delay_on_commit",
            lambda pk: transaction.on_commit(lambda: replies.reply_send(message_id=pk)),
        )
        yield {"brand": brand, "channel": channel, "graph": graph, "post": post.remote_id}
    publishing.clear_caches()


def test_a_facebook_comment_is_answered_and_another_hidden(facebook, new_page):
    brand, graph, channel = facebook["brand"], facebook["graph"], facebook["channel"]
    question = graph.add_comment(
        on=facebook["post"], author={"id": "9001", "name": "Carol Buyer"}, text="Does it whistle?"
    )
    spam = graph.add_comment(
        on=facebook["post"],
        author={"id": "9666", "name": "Cheap Followers"},
        text="<script>alert(1)</script> buy followers at spam.example",
    )
    fetch.channel_fetch(channel_id=channel.pk, force=True)
    asked = Conversation.objects.get(channel=channel, customer_remote_id="9001")
    spammed = Conversation.objects.get(channel=channel, customer_remote_id="9666")

    page = new_page()
    sign_in(page, "author")
    page.goto(f"/b/{brand.slug}/conversations/")
    expect(page.get_by_test_id("inbox-platforms")).to_contain_text("Facebook Page")
    page.get_by_test_id("conversation-row").filter(has_text="Carol Buyer").click()
    page.get_by_test_id("reply-text").fill("Carol Buyer: yes, a gentle whistle when it boils.")
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("reply-row").first).to_have_attribute("data-status", "sent")
    [sent] = [c for c in graph.comments() if c["author"]["id"] == "601"]
    assert sent["parent"] == question["id"] and sent["text"].startswith("Carol Buyer: yes")
    asked.refresh_from_db()
    assert asked.status == "answered"

    # The spam: shown escaped, hidden on Facebook in one click, recorded once.
    page.goto(f"/b/{brand.slug}/conversations/{spammed.pk}/")
    expect(page.get_by_test_id("message-text").first).to_contain_text("<script>alert(1)</script>")
    page.get_by_test_id("hide-message").first.click()
    expect(page.get_by_test_id("message-hidden")).to_be_visible()
    expect(page.get_by_test_id("hide-message")).to_have_count(0)
    expect(page.get_by_test_id("hide-state")).to_have_attribute("data-ok", "1")
    [hidden] = [c for c in graph.comments() if c["hidden"]]
    assert hidden["id"] == spam["id"]


@pytest.fixture
def linkedin(demo, monkeypatch, settings):
    """The demo brand with a LinkedIn organisation channel on the fake LinkedIn API, a post
    of the organisation's, and the reply's send task right after commit."""
    from planner.publishing import clients
    from planner.publishing import services as publishing
    from tests.fakes.linkedin import FakeLinkedIn

    publishing.clear_caches()
    with FakeLinkedIn() as fake:
        fake.add_account("m1", "dana", "Dana Admin")
        org = fake.add_organization(
            "9001", "Demo Kitchen", "demo-kitchen", admins={"m1": "ADMINISTRATOR"}
        )
        settings.COUNTERSIGN = {
            **settings.COUNTERSIGN,
            "OAUTH_APPS": {
                **settings.COUNTERSIGN.get("OAUTH_APPS", {}),
                "linkedin": {"client_id": "li", "client_secret": "li-secret", "api_url": fake.url},
            },
        }
        brand, admin = demo["brands"][0], demo["users"]["admin"]
        channel = account_services.channel_connect(
            brand=brand,
            actor=admin,
            platform="linkedin",
            instance_url=fake.url,
            credential={
                "access_token": fake.issue_token("m1")["access_token"],
                "organization_urn": org,
            },
        )
        post = clients.cached_client(channel).publish(text="New kettles!", idempotency_key="k")
        monkeypatch.setattr(
            reply_tasks.send_reply,
            "delay_on_commit",
            lambda pk: transaction.on_commit(lambda: replies.reply_send(message_id=pk)),
        )
        yield {"brand": brand, "channel": channel, "fake": fake, "post": post.remote_id, "org": org}
    publishing.clear_caches()


def test_a_linkedin_comment_is_answered_and_another_deleted(linkedin, new_page):
    brand, fake, channel = linkedin["brand"], linkedin["fake"], linkedin["channel"]
    question = fake.add_comment(
        on=linkedin["post"], actor="urn:li:person:carol", text="Does the kettle whistle?"
    )
    spam = fake.add_comment(
        on=linkedin["post"],
        actor="urn:li:person:spammer",
        text="<script>alert(1)</script> buy followers at spam.example",
    )
    fetch.channel_fetch(channel_id=channel.pk, force=True)
    asked = Conversation.objects.get(channel=channel, customer_remote_id="urn:li:person:carol")
    spammed = Conversation.objects.get(channel=channel, customer_remote_id="urn:li:person:spammer")

    page = new_page()
    sign_in(page, "author")
    page.goto(f"/b/{brand.slug}/conversations/")
    expect(page.get_by_test_id("inbox-platforms")).to_contain_text("LinkedIn")
    page.get_by_test_id("conversation-row").filter(has_text="Does the kettle whistle?").click()
    expect(page.get_by_test_id("reply-text")).to_have_value("")  # no @handles on LinkedIn
    page.get_by_test_id("reply-text").fill("Yes, a gentle whistle when it boils.")
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("reply-row").first).to_have_attribute("data-status", "sent")
    [sent] = [c for c in fake.comments() if c["actor"] == linkedin["org"]]
    assert sent["parentComment"] == question["commentUrn"]
    assert sent["message"]["text"] == "Yes, a gentle whistle when it boils."
    asked.refresh_from_db()
    assert asked.status == "answered"

    # The spam: shown escaped; deleted on LinkedIn only once the confirmation is ticked.
    page.goto(f"/b/{brand.slug}/conversations/{spammed.pk}/")
    expect(page.get_by_test_id("message-text").first).to_contain_text("<script>alert(1)</script>")
    expect(page.get_by_test_id("hide-message")).to_have_count(0)
    page.get_by_test_id("remove-message").first.click()  # the browser asks for the tick
    assert spam["commentUrn"] in {c["commentUrn"] for c in fake.comments()}
    page.get_by_test_id("remove-confirm").first.check()
    page.get_by_test_id("remove-message").first.click()
    expect(page.get_by_test_id("message-hidden")).to_contain_text("Deleted on LinkedIn")
    expect(page.get_by_test_id("remove-message")).to_have_count(0)
    expect(page.get_by_test_id("hide-state")).to_have_attribute("data-ok", "1")
    assert spam["commentUrn"] not in {c["commentUrn"] for c in fake.comments()}
    assert question["commentUrn"] in {c["commentUrn"] for c in fake.comments()}
