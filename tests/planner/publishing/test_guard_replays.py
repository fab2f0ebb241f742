"""The incidents Countersign exists to prevent, replayed against a brand as the staffer would
have tried them: drafted in Countersign, then stopped by the policy or by approvals that
person alone can never get.

- 2012: a political joke about the President's late grandmother, meant for a personal
  account, went out on a kitchen-appliance brand's account.
- 2011: an agency staffer swore about Detroit drivers on a car maker's account.
- 2011: a charity staffer's beer tweet went out as the charity.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEvent, Role
from config.errors import DomainError
from planner.models import Post, Status
from planner.posts import services
from planner.publishing.services import publish_due_inline
from planner.review import services as review_services
from policy import services as policy_services

KITCHEN_JOKE = (
    "Obamas gma even knew it was going 2 b bad! 'She died 3 days b4 he became president'. "
    "#nbcpolitics"
)
DETROIT = (
    "I find it ironic that Detroit is known as the #motorcity and yet no one here knows how "
    "to fucking drive"
)
BEER = (
    "Ryan found two more 4 bottle packs of Dogfish Head's Midas Touch beer.... when we drink "
    "we do it right #gettngslizzerd"
)


@pytest.fixture
def brand(brand_with_team):
    """A brand on the starter policy (as every new brand starts)."""
    policy_services.policy_ensure(brand=brand_with_team["brand"])
    return brand_with_team


def _draft(team, text: str) -> Post:
    return services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=team["channel"],
        text=text,
        category="engagement",
        scheduled_at=timezone.now() + dt.timedelta(hours=2),
    )


def _refused_submit(team, post: Post) -> DomainError:
    with pytest.raises(DomainError) as refused:
        review_services.post_submit(post_id=post.pk, actor=team["author"])
    post.refresh_from_db()
    assert post.status == Status.DRAFT
    return refused.value


def test_kitchen_appliance_political_joke_is_stopped_at_submit(brand):
    post = _draft(brand, KITCHEN_JOKE)
    refusal = _refused_submit(brand, post)
    rules = {f["rule"] for f in refusal.details["findings"]}
    assert "sensitive-politics" in rules
    assert "personal account" in " ".join(f["message"] for f in refusal.details["findings"])


def test_car_maker_profanity_is_stopped_at_submit(brand):
    post = _draft(brand, DETROIT)
    refusal = _refused_submit(brand, post)
    finding = next(f for f in refusal.details["findings"] if f["rule"] == "profanity-en")
    assert DETROIT[finding["start"] : finding["end"]] == "fucking"


def test_evaded_spellings_of_the_same_tweet_are_stopped_too(brand):
    for text in (
        DETROIT.replace("fucking", "f.u.c.k.i.n.g"),
        DETROIT.replace("fucking", "f*cking"),
        DETROIT.replace("fucking", "fuсking"),  # Cyrillic с
        DETROIT.replace("fucking", "f\u200bucking"),  # zero-width space
    ):
        _refused_submit(brand, _draft(brand, text))


def test_charity_beer_tweet_is_stopped_where_the_brand_chose_the_alcohol_rule(brand):
    team = brand
    current = policy_services.policy_ensure(brand=team["brand"])
    rule = next(r for r in current.rules if r["id"] == "sensitive-alcohol-drugs")
    policy_services.policy_rule_save(
        brand=team["brand"],
        actor=team["admin"],
        rule={**rule, "enabled": True},
        replaces=rule["id"],
    )
    refusal = _refused_submit(team, _draft(team, BEER))
    # What stops it is the alcohol rule (the starter policy also warns that its hashtags are
    # new to the brand; a warning never refuses).
    blocking = {f["rule"] for f in refusal.details["findings"] if f["severity"] == "block"}
    assert blocking == {"sensitive-alcohol-drugs"}


def test_without_that_rule_the_beer_tweet_still_needs_approvals_its_author_cannot_give(brand):
    team = brand
    post = _draft(team, BEER)
    review_services.post_submit(post_id=post.pk, actor=team["author"])
    # The author also holds the approver role: still never counts on their own post.
    account_services.membership_set(
        brand=team["brand"], user=team["author"], roles=[Role.AUTHOR, Role.APPROVER], actor=None
    )
    with pytest.raises(DomainError):
        review_services.approval_grant(post_id=post.pk, actor=team["author"])
    post.refresh_from_db()
    assert post.status == Status.IN_REVIEW
    assert AuditEvent.objects.filter(object_id=str(post.pk), action__contains="refused").exists()
    # Its time comes; the dispatcher never sends what nobody approved.
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - dt.timedelta(minutes=1))
    assert publish_due_inline() == []
    post.refresh_from_db()
    assert post.status == Status.IN_REVIEW


def test_a_channel_whose_token_now_belongs_to_a_personal_account_is_held(brand, mailoutbox):
    """Someone swaps the brand channel's stored token for their personal one: the check
    before the send sees another account, holds the post, sends nothing, tells the admins."""
    from accounts.models import Notification
    from tests.fakes.mastodon import FakeMastodon

    team = brand
    with FakeMastodon(
        tokens={"brand-token-1234567": "1001:kitchen", "mine-1234567": "2002:jo"}
    ) as fake:
        channel = account_services.channel_connect(
            brand=team["brand"],
            actor=team["admin"],
            platform="mastodon",
            instance_url=fake.url,
            credential={"access_token": "brand-token-1234567"},
        )
        post = services.post_create(
            brand=team["brand"],
            actor=team["author"],
            channel=channel,
            text="New kettle, same great tea.",
            category="promotional",
            scheduled_at=timezone.now() + dt.timedelta(hours=1),
        )
        review_services.post_submit(post_id=post.pk, actor=team["author"])
        for approver in ("approver1", "approver2"):
            review_services.approval_grant(post_id=post.pk, actor=team[approver])
        channel.set_credential({"access_token": "mine-1234567"})  # the swap
        channel.save(update_fields=["credential_encrypted"])
        Post.objects.filter(pk=post.pk).update(
            scheduled_at=timezone.now() - dt.timedelta(seconds=5)
        )
        publish_due_inline()
        post.refresh_from_db()
        assert post.status == Status.HELD
        assert "1001" in post.held_reason and "2002" in post.held_reason
        assert fake.posts() == []  # nothing reached the platform
    assert AuditEvent.objects.filter(brand=team["brand"], action__contains="identity").exists()
    alerted = Notification.objects.filter(user=team["admin"], brand=team["brand"])
    assert alerted.exists()
