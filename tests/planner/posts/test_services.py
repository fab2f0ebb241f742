"""Services: composing, editing, revisions, content hash, copying, media, comments, campaigns."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404

from accounts import services as account_services
from accounts.models import AuditEvent, Platform, Role
from config.errors import Conflict, NotAllowed
from planner import lifecycle
from planner.content import content_fingerprint, fingerprint
from planner.models import Campaign, Media, Post, Revision, Status
from planner.posts import services
from planner.review import services as review_services
from tests.planner.conftest import JPEG, MP4, make_channel, png, soon


def test_compose_makes_one_draft_per_channel_in_one_group(team):
    posts = services.post_compose(
        brand=team["brand"],
        actor=team["author"],
        channels=[team["channel"], team["second"]],
        text="Spring is here",
        category="news",
        scheduled_at=soon(2),
    )
    assert [p.channel for p in posts] == [team["channel"], team["second"]]
    assert {p.group_id for p in posts} == {posts[0].group_id}
    for post in posts:
        post.refresh_from_db()
        assert post.status == Status.DRAFT
        assert post.brand == team["brand"]
        assert post.author == team["author"] == post.last_editor
        assert post.revision == 1
        assert post.content_hash == content_fingerprint(post)
        assert post.revisions.get().text == "Spring is here"
    # Siblings are separate posts: their hashes differ because their channels do.
    assert posts[0].content_hash != posts[1].content_hash
    assert AuditEvent.objects.filter(action="post.created").count() == 2


def test_compose_is_all_or_nothing(team):
    bluesky = make_channel(team["brand"], platform=Platform.BLUESKY, handle="team.bsky.social")
    with pytest.raises(ValidationError) as exc:
        services.post_compose(
            brand=team["brand"],
            actor=team["author"],
            channels=[team["channel"], bluesky],
            text="x" * 301,
            category="news",
        )
    assert "301 characters, the limit is 300" in str(exc.value)
    assert Post.objects.count() == 0


def test_over_long_post_is_refused_with_the_count(team):
    mastodon = make_channel(
        team["brand"], platform=Platform.MASTODON, handle="@team@social.example", max_characters=50
    )
    with pytest.raises(ValidationError) as exc:
        services.post_create(
            brand=team["brand"],
            actor=team["author"],
            channel=mastodon,
            text="y" * 51,
            category="news",
        )
    message = exc.value.message_dict["text"][0]
    assert "51 characters, the limit is 50 (1 over)" in message
    # The instance limit is what counts, and URLs count 23.
    ok = services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=mastodon,
        text="See https://example.com/" + "a" * 200 + " now",
        category="news",
    )
    assert ok.pk


def test_author_cannot_draft_on_a_channel_they_are_not_allowed(team, make_user):
    restricted = make_user("restricted")
    account_services.membership_set(
        brand=team["brand"],
        user=restricted,
        roles=[Role.AUTHOR],
        channels=[team["second"]],
        actor=None,
    )
    with pytest.raises(NotAllowed):
        services.post_create(
            brand=team["brand"],
            actor=restricted,
            channel=team["channel"],
            text="hi",
            category="news",
        )
    with pytest.raises(NotAllowed):
        services.post_create(
            brand=team["brand"],
            actor=team["approver1"],
            channel=team["channel"],
            text="hi",
            category="news",
        )
    assert Post.objects.count() == 0


def test_channel_of_another_brand_is_refused(team, other):
    with pytest.raises(ValidationError) as exc:
        services.post_create(
            brand=team["brand"],
            actor=team["author"],
            channel=other["channel"],
            text="hi",
            category="news",
        )
    assert "another brand" in str(exc.value)


def test_post_model_validation_refuses_a_foreign_channel(team, other, make_post):
    post = make_post()
    post.channel = other["channel"]
    with pytest.raises(ValidationError):
        post.full_clean()


def test_edit_makes_a_revision_and_a_new_hash(team, make_post):
    post = make_post("First words", when=soon(1))
    first_hash = post.content_hash
    account_services.membership_set(
        brand=team["brand"], user=team["admin"], roles=[Role.ADMIN, Role.AUTHOR], actor=None
    )
    post = services.post_update(post=post, actor=team["admin"], text="Second words")
    assert post.revision == 2
    assert post.content_hash != first_hash
    assert post.author == team["author"] and post.last_editor == team["admin"]
    assert list(post.revisions.values_list("number", "text")) == [
        (1, "First words"),
        (2, "Second words"),
    ]
    # Nothing changed: no revision.
    same = services.post_update(post=post, actor=team["author"], text="Second words")
    assert same.revision == 2
    # A new time is a revision too, but the content (and its hash) is the same.
    moved = services.post_reschedule(post=post, actor=team["author"], scheduled_at=soon(3))
    assert moved.revision == 3
    assert moved.content_hash == post.content_hash


def test_admin_without_author_role_cannot_edit(team, make_post):
    post = make_post()
    with pytest.raises(NotAllowed):
        services.post_update(post=post, actor=team["approver1"], text="sneaky")
    post.refresh_from_db()
    assert post.text == "Hello from the team"


def test_channel_changes_within_the_brand_only(team, other, make_post):
    post = make_post()
    moved = services.post_update(post=post, actor=team["author"], channel=team["second"])
    assert moved.channel == team["second"]
    assert moved.content_hash != post.content_hash
    with pytest.raises(ValidationError) as exc:
        services.post_update(post=moved, actor=team["author"], channel=other["channel"])
    assert "Posts never move between brands" in str(exc.value)
    moved.refresh_from_db()
    assert moved.brand == team["brand"] and moved.channel == team["second"]


def test_copy_to_another_brand_makes_a_new_draft_there(team, other, make_post):
    account_services.membership_set(
        brand=other["brand"], user=team["author"], roles=[Role.AUTHOR], actor=None
    )
    campaign = services.campaign_create(brand=team["brand"], actor=team["author"], name="Spring")
    post = make_post("Copy me", when=soon(2), campaign=campaign)
    copy = services.post_copy(post=post, actor=team["author"], channel=other["channel"])
    assert copy.pk != post.pk
    assert copy.brand == other["brand"] and copy.channel == other["channel"]
    assert copy.group_id != post.group_id
    assert copy.text == "Copy me" and copy.status == Status.DRAFT
    assert copy.campaign is None  # campaigns stay in their brand
    post.refresh_from_db()
    assert post.brand == team["brand"] and post.channel == team["channel"]
    assert AuditEvent.objects.filter(action="post.copied", brand=other["brand"]).exists()


def test_a_copy_keeps_only_a_time_that_needs_no_confirmation(team, make_post):
    """A published post's time has passed and one minutes away would need the handle typed:
    such a copy is an undated draft; a later time is kept."""
    from django.utils import timezone

    now = timezone.now()
    for when, kept in (
        (now - dt.timedelta(days=3), False),
        (now + dt.timedelta(minutes=5), False),
        (now + dt.timedelta(days=2), True),
        (None, False),
    ):
        post = make_post("Copy me", when=when)
        copy = services.post_copy(post=post, actor=team["author"], channel=team["second"])
        assert copy.scheduled_at == (when if kept else None), when


def test_copy_needs_drafting_rights_on_the_target(team, other, make_post):
    post = make_post()
    with pytest.raises(NotAllowed):
        services.post_copy(post=post, actor=team["author"], channel=other["channel"])
    # Someone who cannot see the source cannot copy it either.
    with pytest.raises(Http404):
        services.post_copy(post=post, actor=other["author"], channel=other["channel"])


def test_posts_being_published_or_done_are_not_editable(team, make_post):
    post = make_post()
    Post.objects.filter(pk=post.pk).update(status=Status.PUBLISHED)  # set up the state only
    post.refresh_from_db()
    with pytest.raises(lifecycle.TransitionRefused) as exc:
        services.post_update(post=post, actor=team["author"], text="changed")
    assert exc.value.status_code == 409
    with pytest.raises(lifecycle.TransitionRefused):
        services.post_reschedule(post=post, actor=team["author"], scheduled_at=soon(4))
    post.refresh_from_db()
    assert post.text == "Hello from the team" and post.revision == 1


def test_scheduled_time_must_be_aware_and_sane(team, make_post):
    post = make_post()
    with pytest.raises(ValidationError):
        services.post_reschedule(
            post=post, actor=team["author"], scheduled_at=dt.datetime(2030, 1, 1, 9, 0)
        )
    with pytest.raises(ValidationError):
        services.post_reschedule(
            post=post,
            actor=team["author"],
            scheduled_at=dt.datetime(9000, 1, 1, tzinfo=dt.UTC),
        )
    services.post_reschedule(post=post, actor=team["author"], scheduled_at=None)
    post.refresh_from_db()
    assert post.scheduled_at is None


def test_media_alt_text_is_required_for_images(team):
    with pytest.raises(ValidationError) as exc:
        services.post_create(
            brand=team["brand"],
            actor=team["author"],
            channel=team["channel"],
            text="pic",
            category="news",
            media=[services.MediaUpload(file=png(), alt_text="   ")],
        )
    assert "Alt text cannot be empty" in str(exc.value)
    post = services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=team["channel"],
        text="pic",
        category="news",
        media=[services.MediaUpload(file=png(), alt_text="A red kettle")],
    )
    media = post.media.get()
    assert (media.kind, media.mime_type, media.alt_text) == ("image", "image/png", "A red kettle")
    assert "A red kettle" in post.revisions.get().media_summary


def test_media_type_is_read_from_the_bytes(team):
    fake = SimpleUploadedFile("evil.png", b"<?php echo 1; ?>" * 4, content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        services.post_create(
            brand=team["brand"],
            actor=team["author"],
            channel=team["channel"],
            text="x",
            category="news",
            media=[services.MediaUpload(file=fake, alt_text="alt")],
        )
    assert "not an image or video" in str(exc.value)


def test_media_limits_follow_the_platform(team):
    bluesky = make_channel(team["brand"], platform=Platform.BLUESKY, handle="t.bsky.social")
    big = png(size=1_000_001)
    with pytest.raises(ValidationError) as exc:
        services.post_create(
            brand=team["brand"],
            actor=team["author"],
            channel=bluesky,
            text="x",
            category="news",
            media=[services.MediaUpload(file=big, alt_text="alt")],
        )
    assert "up to 1,000,000 bytes" in str(exc.value)
    too_many = [services.MediaUpload(file=png(f"p{i}.png"), alt_text="alt") for i in range(5)]
    with pytest.raises(ValidationError) as exc:
        services.post_create(
            brand=team["brand"],
            actor=team["author"],
            channel=bluesky,
            text="x",
            category="news",
            media=too_many,
        )
    assert "at most 4 attachments" in str(exc.value)
    # Video needs no alt text.
    video = SimpleUploadedFile("clip.mp4", MP4, content_type="video/mp4")
    post = services.post_create(
        brand=team["brand"],
        actor=team["author"],
        channel=bluesky,
        text="x",
        category="news",
        media=[services.MediaUpload(file=video)],
    )
    assert post.media.get().kind == "video"


def test_media_is_part_of_the_content_hash(team, make_post):
    post = make_post()
    before = post.content_hash
    item = services.media_attach(
        post=post,
        actor=team["author"],
        upload=services.MediaUpload(
            file=SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg"), alt_text="alt one"
        ),
    )
    post.refresh_from_db()
    assert post.content_hash != before and post.revision == 2
    with_media = post.content_hash
    assert with_media == fingerprint(
        text=post.text,
        channel_id=post.channel_id,
        category=post.category,
        media=[(item.pk, "alt one")],
    )
    services.media_remove(post=post, actor=team["author"], media_id=item.pk)
    post.refresh_from_db()
    assert post.content_hash == before and post.revision == 3


def test_database_refuses_an_image_without_alt_text(team, make_post):
    post = make_post()
    with pytest.raises(IntegrityError), transaction.atomic():
        Media.objects.create(
            post=post, file="x.png", kind="image", mime_type="image/png", size=1, alt_text=""
        )


def test_comments_are_kept_exactly(team, make_post):
    post = make_post()
    comment = services.comment_create(
        post=post, actor=team["approver1"], body="  <b>looks</b> fine\n"
    )
    assert comment.body == "  <b>looks</b> fine\n"
    with pytest.raises(ValidationError):
        services.comment_create(post=post, actor=team["approver1"], body="   ")
    with pytest.raises(NotAllowed):
        services.comment_create(post=post, actor=AnonymousUser(), body="anon")


def test_campaign_names_are_unique_per_brand(team, other):
    services.campaign_create(brand=team["brand"], actor=team["author"], name="Launch")
    with pytest.raises(Conflict):
        services.campaign_create(brand=team["brand"], actor=team["author"], name="Launch")
    services.campaign_create(brand=other["brand"], actor=other["author"], name="Launch")
    assert Campaign.objects.filter(name="Launch").count() == 2
    with pytest.raises(NotAllowed):
        services.campaign_create(brand=team["brand"], actor=team["trainer"], name="Nope")


def test_campaign_of_another_brand_is_refused(team, other, make_post):
    theirs = services.campaign_create(brand=other["brand"], actor=other["author"], name="Theirs")
    with pytest.raises(ValidationError):
        make_post(campaign=theirs)


def test_revision_numbers_are_unique(team, make_post):
    post = make_post()
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(
            post=post,
            number=1,
            text="dup",
            channel=post.channel,
            category="news",
            content_hash="0" * 64,
        )


# --- nothing lost: an edit on top of an older revision is refused ------------------------


def test_an_edit_on_top_of_an_older_revision_is_refused_with_what_changed(team, make_post):
    post = make_post("First words", when=soon(3))
    # Two people open revision 1; the first saves.
    services.post_update(post=post, actor=team["author"], text="Mine", expected_revision=1)
    with pytest.raises(services.StaleEdit) as refused:
        services.post_update(
            post=Post.objects.get(pk=post.pk),
            actor=team["author"],
            text="Theirs",
            expected_revision=1,
        )
    details = refused.value.details
    assert refused.value.status_code == 409
    assert details["revision"] == 2 and details["your_revision"] == 1
    assert details["current"]["text"] == "Mine"
    assert details["changed"] == {"text": {"was": "First words", "now": "Mine"}}
    assert details["changed_by"] == "author"
    post.refresh_from_db()
    assert (post.text, post.revision) == ("Mine", 2)  # the second save changed nothing
    # Made on top of the current revision, it saves.
    services.post_update(post=post, actor=team["author"], text="Theirs", expected_revision=2)
    post.refresh_from_db()
    assert (post.text, post.revision) == ("Theirs", 3)


def test_a_stale_content_hash_is_refused_even_for_a_time_move(team, make_post):
    post = make_post("Hash me", when=soon(3))
    seen = post.content_hash
    services.post_update(post=post, actor=team["author"], category="news")
    with pytest.raises(services.StaleEdit):
        services.post_update(
            post=Post.objects.get(pk=post.pk),
            actor=team["author"],
            scheduled_at=soon(4),
            expected_content_hash=seen,
        )
    assert Post.objects.get(pk=post.pk).scheduled_at == soon(3)


def test_an_edit_without_an_expected_version_still_applies(team, make_post):
    post = make_post("Old")
    services.post_update(post=post, actor=team["author"], text="Newer")
    services.post_update(post=Post.objects.get(pk=post.pk), actor=team["author"], text="Newest")
    assert Post.objects.get(pk=post.pk).text == "Newest"


# --- a time within minutes needs the handles typed, whoever asks ---------------------------


def test_soon_confirmation_is_one_check_for_create_and_reschedule(team, make_post):
    from django.utils import timezone

    in_five = timezone.now() + dt.timedelta(minutes=5)
    create = {
        "brand": team["brand"],
        "actor": team["author"],
        "channel": team["channel"],
        "text": "Now!",
        "category": "news",
        "scheduled_at": in_five,
    }
    with pytest.raises(services.ConfirmationNeeded) as refused:
        services.post_create(**create, confirm_handles=[])
    assert refused.value.status_code == 409
    assert refused.value.details == {"confirm_handles": ["@team"]}
    with pytest.raises(services.ConfirmationNeeded):
        services.post_create(**create, confirm_handles=["@team2"])
    assert not Post.objects.exists()
    assert services.post_create(**create, confirm_handles=["TEAM"]).scheduled_at == in_five
    # Later than 15 minutes: nothing to confirm.
    later = services.post_create(
        **{**create, "scheduled_at": in_five + dt.timedelta(minutes=20)}, confirm_handles=[]
    )
    # Moving a post to within minutes asks too; moving it elsewhere does not.
    with pytest.raises(services.ConfirmationNeeded):
        services.post_reschedule(
            post=later, actor=team["author"], scheduled_at=in_five, confirm_handles=[]
        )
    assert Post.objects.get(pk=later.pk).scheduled_at == in_five + dt.timedelta(minutes=20)
    services.post_reschedule(
        post=later, actor=team["author"], scheduled_at=in_five, confirm_handles=["@team"]
    )
    assert Post.objects.get(pk=later.pk).scheduled_at == in_five


def test_a_person_cannot_compose_into_the_past_but_demo_data_can(team):
    from django.utils import timezone

    create = {
        "brand": team["brand"],
        "actor": team["author"],
        "channel": team["channel"],
        "text": "Last week",
        "category": "news",
        "scheduled_at": timezone.now() - dt.timedelta(days=7),
    }
    for confirm in ([], ["@team"]):
        with pytest.raises(ValidationError) as refused:
            services.post_create(**create, confirm_handles=confirm)
        assert "already passed" in str(refused.value.message_dict["scheduled_at"])
    assert not Post.objects.exists()
    # Demo data and internal code (no person asking) keep a history.
    assert services.post_create(**create).scheduled_at == create["scheduled_at"]
    # Up to 15 minutes ago is "now": it asks for the handle like any time that close.
    just_now = timezone.now() - dt.timedelta(minutes=10)
    with pytest.raises(services.ConfirmationNeeded):
        services.post_create(**{**create, "scheduled_at": just_now}, confirm_handles=[])
    services.post_create(**{**create, "scheduled_at": just_now}, confirm_handles=["@team"])
    with pytest.raises(ValidationError):
        services.post_create(
            **{**create, "scheduled_at": timezone.now() - dt.timedelta(minutes=20)},
            confirm_handles=["@team"],
        )


def test_changing_the_channel_of_a_post_due_within_minutes_asks_for_the_new_handle(team, make_post):
    from django.utils import timezone

    post = make_post("Soon", when=timezone.now() + dt.timedelta(minutes=5))
    with pytest.raises(services.ConfirmationNeeded) as refused:
        services.post_update(
            post=post, actor=team["author"], channel=team["second"], confirm_handles=["@team"]
        )
    assert refused.value.details["confirm_handles"] == ["@team2"]
    # Editing only the text of a post due soon needs no confirmation.
    services.post_update(post=post, actor=team["author"], text="Soon!", confirm_handles=[])


# --- no moves into the past --------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_a_post_cannot_be_moved_into_the_past(team, make_post, status):
    from django.utils import timezone

    post = make_post("Plan ahead", when=soon(2))
    if status == Status.IN_REVIEW:
        review_services.post_submit(post_id=post.pk, actor=team["author"])
    with pytest.raises(ValidationError) as refused:
        services.post_reschedule(
            post=post, actor=team["author"], scheduled_at=timezone.now() - dt.timedelta(hours=3)
        )
    assert "already passed" in refused.value.message_dict["scheduled_at"][0]
    post.refresh_from_db()
    assert post.scheduled_at == soon(2) and post.revision == 1
    # "Now", as a form with whole minutes sends it, is not the past.
    now_minute = timezone.now().replace(second=0, microsecond=0)
    services.post_reschedule(
        post=post, actor=team["author"], scheduled_at=now_minute, confirm_handles=["@team"]
    )
    assert Post.objects.get(pk=post.pk).scheduled_at == now_minute


# --- compose: save the drafts that fit ---------------------------------------------------


def test_compose_saves_the_drafts_that_fit_and_names_the_one_that_does_not(team):
    bluesky = make_channel(team["brand"], platform=Platform.BLUESKY, handle="t.bsky.social")
    text = "y" * 312
    result = services.post_compose_fitting(
        brand=team["brand"],
        actor=team["author"],
        channels=[team["channel"], bluesky],
        text=text,
        category="news",
    )
    assert [p.channel for p in result.posts] == [team["channel"]]
    assert [r.channel for r in result.refused] == [bluesky]
    assert result.refused[0].message == "Not saved for t.bsky.social: 312/300 characters."
    assert Post.objects.get().text == text  # never cut
    # Too long for every channel: nothing saved, every count said.
    with pytest.raises(ValidationError) as refused:
        services.post_compose_fitting(
            brand=team["brand"],
            actor=team["author"],
            channels=[bluesky],
            text=text,
            category="news",
        )
    assert "312 characters, the limit is 300" in refused.value.message_dict["text"][0]
    assert Post.objects.count() == 1
    # post_compose (the API's, one channel) stays all or nothing.
    with pytest.raises(ValidationError):
        services.post_compose(
            brand=team["brand"],
            actor=team["author"],
            channels=[team["channel"], bluesky],
            text=text,
            category="news",
        )
    assert Post.objects.count() == 1
