"""Content mix, tracked links and customer content through the real services."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.errors import NotAllowed
from planner.content import content_fingerprint
from planner.models import Approval, CustomerCredit, Post, Status
from planner.posts import services
from planner.publishing.checks import run_checks
from planner.review import services as review
from planner.review.services import PolicyBlocked
from planner.strategy import selectors
from planner.strategy import services as strategy
from tests.planner.conftest import soon


def _promo_week(make_post, team, n_promo=1, n_other=2):
    for i in range(n_other):
        make_post(f"Hello {i}", when=soon(1 + i * 0.1))
    for i in range(n_promo):
        make_post(f"Buy {i}", when=soon(2 + i * 0.1), category="promotional")


# --- content mix ---------------------------------------------------------------------------


def test_default_target_is_promotional_20_percent_over_14_days(team):
    [target] = selectors.mix_targets(brand=team["brand"])
    assert (target.category, target.max_percent, target.window_days) == ("promotional", 20, 14)


def test_submit_keeps_a_mix_warning_for_the_approvers(team, make_post):
    _promo_week(make_post, team, n_promo=1, n_other=3)
    post = make_post("Our big sale starts now", when=soon(3), category="promotional")
    post = review.post_submit(post_id=post.pk, actor=team["author"])
    assert post.status == Status.IN_REVIEW
    [finding] = [f for f in post.review_findings if f["rule"] == selectors.MIX_RULE]
    assert finding["severity"] == "warn"
    assert "2 of 5 posts (40%)" in finding["message"] and "at most 20%" in finding["message"]


def test_a_post_within_the_target_has_no_mix_warning(team, make_post):
    _promo_week(make_post, team, n_promo=0, n_other=5)
    post = make_post("One offer", when=soon(3), category="promotional")
    post = review.post_submit(post_id=post.pk, actor=team["author"])
    assert [f for f in post.review_findings if f["rule"] == selectors.MIX_RULE] == []


def test_a_brand_target_replaces_the_default(team, make_post):
    strategy.mix_target_set(
        brand=team["brand"], actor=team["admin"], category="promotional", max_percent=60
    )
    _promo_week(make_post, team, n_promo=1, n_other=2)
    post = make_post("Another offer", when=soon(3), category="promotional")
    assert selectors.mix_findings(post) == []  # 2 of 4 = 50% <= 60%


def test_only_admins_set_targets_and_bad_values_are_refused(team):
    with pytest.raises(NotAllowed):
        strategy.mix_target_set(
            brand=team["brand"], actor=team["author"], category="promotional", max_percent=5
        )
    for bad in (-1, 101, "x", True):
        with pytest.raises(ValidationError):
            strategy.mix_target_set(
                brand=team["brand"], actor=team["admin"], category="promotional", max_percent=bad
            )
    with pytest.raises(ValidationError):
        strategy.mix_target_set(
            brand=team["brand"], actor=team["admin"], category="nonsense", max_percent=5
        )


def test_channel_mix_counts_each_channel_in_the_range(team, make_post):
    _promo_week(make_post, team, n_promo=2, n_other=2)
    make_post("elsewhere", channel=team["second"], when=soon(1))
    start = timezone.now()
    [first, second] = selectors.channel_mix(
        brand=team["brand"],
        channels=[team["channel"], team["second"]],
        start=start,
        end=start + dt.timedelta(days=7),
    )
    promo = next(c for c in first["categories"] if c["category"] == "promotional")
    assert (first["total"], promo["count"], promo["percent"], promo["over"]) == (4, 2, 50, True)
    assert first["over"] and not second["over"] and second["total"] == 1


# --- tracked links -------------------------------------------------------------------------


def test_links_to_own_domains_are_tagged_when_saved_and_hashed_as_tagged(tracked, make_post):
    post = make_post("New range: https://shop.example/new and https://other.org/x")
    assert (
        "https://shop.example/new?utm_source=outbox&utm_medium=social&utm_content=spring"
        in post.text
    )
    assert post.text.endswith("https://other.org/x")
    assert post.content_hash == content_fingerprint(post)


def test_the_campaign_slug_is_utm_campaign_and_changing_it_retags(tracked, make_post):
    spring = services.campaign_create(
        brand=tracked["brand"], actor=tracked["admin"], name="Spring Sale"
    )
    post = make_post("https://example.com/sale", campaign=spring)
    assert "utm_campaign=spring-sale" in post.text
    post = services.post_update(post=post, actor=tracked["author"], campaign=None)
    assert "utm_campaign" not in post.text


def test_editing_a_tagged_approved_post_with_the_same_words_keeps_its_approvals(tracked, make_post):
    post = make_post("Read https://example.com/blog", when=soon(2))
    review.post_submit(post_id=post.pk, actor=tracked["author"])
    for name in ("approver1", "approver2"):
        review.approval_grant(post_id=post.pk, actor=tracked[name])
    post = Post.objects.get(pk=post.pk)
    assert post.status == Status.APPROVED
    # The author types the link as before (untagged): the saved text is the same.
    post = services.post_update(
        post=post, actor=tracked["author"], text="Read https://example.com/blog"
    )
    assert post.status == Status.APPROVED
    assert Approval.objects.filter(post=post, dismissed_at__isnull=True).count() == 2


def test_copying_to_another_platform_tags_for_that_platform(tracked, make_post):
    from accounts.models import Platform
    from tests.planner.conftest import make_channel

    masto = make_channel(
        tracked["brand"], platform=Platform.MASTODON, handle="@shop@social.example"
    )
    post = make_post("https://example.com/x")
    copy = services.post_copy(post=post, actor=tracked["author"], channel=masto)
    assert "utm_source=mastodon" in copy.text and "utm_source=outbox" not in copy.text


def test_link_rules_refuse_what_is_not_a_domain(team):
    with pytest.raises(ValidationError):
        strategy.link_tracking_set(
            brand=team["brand"], actor=team["admin"], enabled=True, domains=["<script>"]
        )
    with pytest.raises(NotAllowed):
        strategy.link_tracking_set(
            brand=team["brand"], actor=team["author"], enabled=True, domains=["example.com"]
        )


# --- customer content ----------------------------------------------------------------------


def _credit(team, post, **extra):
    fields = {
        "author_handle": "@happy_customer",
        "source_url": "https://social.example/@happy_customer/1",
        "permission_from": "@happy_customer",
        "permission_at": timezone.now() - dt.timedelta(days=1),
        "permission_how": "Replied yes to our DM",
        **extra,
    }
    return strategy.customer_credit_record(post=post, actor=team["author"], **fields)


def test_customer_content_without_credit_or_permission_is_blocked_at_submit(team, make_post):
    post = make_post("Look what @happy_customer made!", when=soon(2), category="user_generated")
    with pytest.raises(PolicyBlocked) as refused:
        review.post_submit(post_id=post.pk, actor=team["author"])
    assert "original author's handle" in refused.value.message
    assert refused.value.details["blocked"] is True
    _credit(team, post, permission_from="", permission_at=None, permission_how="")
    with pytest.raises(PolicyBlocked) as refused:
        review.post_submit(post_id=post.pk, actor=team["author"])
    assert "recorded permission" in refused.value.message
    assert Post.objects.get(pk=post.pk).status == Status.DRAFT


def test_customer_content_must_credit_its_author_in_the_text(team, make_post):
    post = make_post("Look what a customer made!", when=soon(2), category="user_generated")
    _credit(team, post)
    with pytest.raises(PolicyBlocked, match="must credit its author"):
        review.post_submit(post_id=post.pk, actor=team["author"])


def test_credited_customer_content_goes_through_and_the_send_recheck_blocks_without_it(
    team, make_post
):
    post = make_post("Look what @happy_customer made!", when=soon(2), category="user_generated")
    _credit(team, post)
    review.post_submit(post_id=post.pk, actor=team["author"])
    for name in ("approver1", "approver2"):
        review.approval_grant(post_id=post.pk, actor=team[name])
    post = Post.objects.select_related("brand", "channel").get(pk=post.pk)
    assert post.status == Status.APPROVED
    assert run_checks(post).reason is None
    CustomerCredit.objects.filter(post=post).delete()
    assert "Customer content" in run_checks(post).reason


def test_a_permission_is_all_or_nothing_and_the_source_must_be_http(team, make_post):
    post = make_post("by @a", category="user_generated")
    with pytest.raises(ValidationError):
        _credit(team, post, permission_how="")
    with pytest.raises(ValidationError):
        _credit(team, post, source_url="javascript:alert(1)")
    with pytest.raises(NotAllowed):
        strategy.customer_credit_record(
            post=post, actor=team["trainer"], author_handle="@a", source_url="https://x.example/"
        )
