"""Web pages: composer and its live partial, post page (findings, history, comments), edit,
copy, list, campaigns. Access is checked on every page."""

from __future__ import annotations

import re

from django.urls import reverse

from accounts import services as account_services
from accounts.models import Platform, Role
from planner.models import Post, Revision, Status
from planner.posts import services
from tests.planner.conftest import BANNED, make_channel, png, soon


def test_compose_page_lists_only_channels_the_author_may_draft_on(client, team, make_user):
    restricted = make_user("restricted")
    account_services.membership_set(
        brand=team["brand"],
        user=restricted,
        roles=[Role.AUTHOR],
        channels=[team["second"]],
        actor=None,
    )
    client.force_login(restricted)
    response = client.get(reverse("post_compose", args=[team["brand"].slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "@team2" in html and f'value="{team["channel"].pk}"' not in html


def test_compose_is_refused_without_the_author_role(client, team, other):
    client.force_login(team["approver1"])
    assert client.get(reverse("post_compose", args=["team"])).status_code == 403
    client.force_login(other["author"])
    assert client.get(reverse("post_compose", args=["team"])).status_code == 404


def test_compose_for_two_channels_saves_two_drafts(author_client, team):
    response = author_client.post(
        reverse("post_compose", args=["team"]),
        {
            "channels": [team["channel"].pk, team["second"].pk],
            "text": f"Hello {BANNED} world",
            "category": "news",
            "scheduled_at": "2030-06-01T09:30",
        },
    )
    assert response.status_code == 302
    posts = list(Post.objects.order_by("channel__handle"))
    assert [p.channel.handle for p in posts] == ["@team", "@team2"]
    # Europe/London is UTC+1 in June: 09:30 local is 08:30 UTC. Block findings do not stop a draft.
    assert all(p.scheduled_at.isoformat() == "2030-06-01T08:30:00+00:00" for p in posts)
    assert all(p.status == Status.DRAFT for p in posts)


def test_compose_refuses_a_time_that_has_passed_with_the_text_kept(author_client, team):
    response = author_client.post(
        reverse("post_compose", args=["team"]),
        {
            "channels": [team["channel"].pk],
            "text": "Happy new year!",
            "category": "news",
            "scheduled_at": "2020-01-01T10:00",
            "confirm_handles": "@team",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "That time has already passed" in html
    assert "This would go out within" not in html
    assert "Happy new year!" in html
    assert not Post.objects.exists()


def test_compose_with_an_image_needs_alt_text(author_client, team):
    url = reverse("post_compose", args=["team"])
    data = {"channels": [team["channel"].pk], "text": "pic", "category": "news"}
    response = author_client.post(url, {**data, "media_file": png()})
    assert response.status_code == 200
    assert "Alt text cannot be empty" in response.content.decode()
    assert not Post.objects.exists()
    response = author_client.post(url, {**data, "media_file": png(), "alt_text": "A kettle"})
    assert response.status_code == 302
    assert Post.objects.get().media.get().alt_text == "A kettle"


def test_compose_refuses_a_channel_the_author_may_not_use(author_client, team, other):
    response = author_client.post(
        reverse("post_compose", args=["team"]),
        {"channels": [other["channel"].pk], "text": "hi", "category": "news"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Post.objects.exists()


def test_compose_refuses_skipped_and_repeated_local_times(author_client, team):
    url = reverse("post_compose", args=["team"])
    data = {"channels": [team["channel"].pk], "text": "clocks", "category": "news"}
    response = author_client.post(url, {**data, "scheduled_at": "2030-03-31T01:30"})
    assert response.status_code == 200
    assert "does not exist in Europe/London" in response.content.decode()
    response = author_client.post(url, {**data, "scheduled_at": "2030-10-27T01:30"})
    assert "happens twice in Europe/London" in response.content.decode()
    assert not Post.objects.exists()
    response = author_client.post(url, {**data, "scheduled_at": "2030-10-27T02:30"})
    assert response.status_code == 302
    assert Post.objects.get().scheduled_at.isoformat() == "2030-10-27T02:30:00+00:00"


def test_over_long_post_is_refused_with_the_count_on_the_page(author_client, team):
    bluesky = make_channel(team["brand"], platform=Platform.BLUESKY, handle="t.bsky.social")
    response = author_client.post(
        reverse("post_compose", args=["team"]),
        {"channels": [bluesky.pk], "text": "z" * 305, "category": "news"},
    )
    assert response.status_code == 200
    assert "305 characters, the limit is 300 (5 over)" in response.content.decode()
    assert not Post.objects.exists()


def test_live_preview_counts_highlights_and_shows_who_it_posts_as(author_client, team):
    mastodon = make_channel(
        team["brand"], platform=Platform.MASTODON, handle="@team@social.example", max_characters=40
    )
    text = f"<script>x</script> {BANNED} #one #two"
    response = author_client.post(
        reverse("compose_preview", args=["team"]),
        {
            "text": text,
            "channels": [team["channel"].pk, mastodon.pk, "999999", "junk"],
            "category": "news",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="preview-target"') == 2
    assert html.count('data-testid="identity-chip"') == 2
    assert "@team@social.example" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert f'<mark class="finding-block" title="We never say frobnicate.">{BANNED}</mark>' in html
    assert '<mark class="finding-warn"' in html
    assert f"{len(text)} / 40" in html


def test_live_preview_never_fails_on_odd_input(author_client, team):
    url = reverse("compose_preview", args=["team"])
    assert author_client.post(url, {}).status_code == 200
    response = author_client.post(url, {"text": "a" * 200_000, "channels": ["x"]})
    assert response.status_code == 200
    assert "the most is 10,000" in response.content.decode()


def test_post_page_shows_findings_history_and_comments(author_client, team, make_post):
    post = make_post(f"First {BANNED} draft", when=soon(2))
    services.post_update(post=post, actor=team["author"], text="Second <i>draft</i>")
    services.comment_create(post=post, actor=team["approver1"], body="<img src=x onerror=alert(1)>")
    response = author_client.get(reverse("post_detail", args=["team", post.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="identity-chip"' in html
    assert "Second &lt;i&gt;draft&lt;/i&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    # The diff between the two revisions, escaped.
    assert f'<del class="diff-del">First {BANNED} draft</del>' in html or "diff-del" in html
    assert '<ins class="diff-ins">' in html and "&lt;i&gt;draft&lt;/i&gt;" in html
    # Any two revisions can be compared, in either order; nonsense is ignored.
    again = author_client.get(reverse("post_detail", args=["team", post.pk]) + "?a=2&b=1")
    assert again.status_code == 200 and "Revision 1 → 2" in again.content.decode()
    odd = author_client.get(reverse("post_detail", args=["team", post.pk]) + "?a=x&b=99")
    assert odd.status_code == 200


def test_post_page_highlights_findings_in_place(author_client, team, make_post):
    post = make_post(f"No {BANNED} here")
    html = author_client.get(reverse("post_detail", args=["team", post.pk])).content.decode()
    assert (
        f'No <mark class="finding-block" title="We never say frobnicate.">{BANNED}</mark>' in html
    )


def test_another_brands_post_is_not_found(client, team, other, make_post):
    post = make_post()
    client.force_login(other["author"])
    for name in ("post_detail", "post_edit", "post_copy"):
        assert client.get(reverse(name, args=["team", post.pk])).status_code == 404
    assert client.get(reverse(name, args=["other", post.pk])).status_code == 404
    assert (
        client.post(reverse("post_comment", args=["other", post.pk]), {"body": "x"}).status_code
        == 404
    )


def test_post_urls_with_absurd_ids_are_404(author_client):
    for path in ("/b/team/posts/99999999999999999999999/", "/b/team/posts/-1/"):
        assert author_client.get(path).status_code == 404
    assert author_client.get("/b/team/posts/999999999999999999/").status_code == 404


def test_edit_makes_a_revision(author_client, team, make_post):
    post = make_post("Before", when=soon(2))
    response = author_client.post(
        reverse("post_edit", args=["team", post.pk]),
        {
            "channel": team["second"].pk,
            "text": "After",
            "category": "support",
            "campaign": "",
            "scheduled_at": "2030-01-15T10:00",
        },
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.text, post.channel, post.category, post.revision) == (
        "After",
        team["second"],
        "support",
        2,
    )
    assert Revision.objects.filter(post=post).count() == 2


def test_edit_refuses_another_brands_channel(author_client, team, other, make_post):
    post = make_post()
    response = author_client.post(
        reverse("post_edit", args=["team", post.pk]),
        {"channel": other["channel"].pk, "text": "moved?", "category": "news"},
    )
    assert response.status_code == 200
    post.refresh_from_db()
    assert post.channel == team["channel"] and post.text == "Hello from the team"


def test_copying_a_post_whose_time_has_passed_says_the_copy_is_undated(
    author_client, team, make_post
):
    import datetime as dt

    from django.utils import timezone

    post = make_post("Last week's news", when=timezone.now() - dt.timedelta(days=7))
    response = author_client.post(
        reverse("post_copy", args=["team", post.pk]), {"channel": team["second"].pk}, follow=True
    )
    assert response.status_code == 200
    assert "It has no time yet" in response.content.decode()
    copy = Post.objects.exclude(pk=post.pk).get()
    assert copy.scheduled_at is None and copy.channel == team["second"]


def test_edit_needs_the_author_role_on_that_channel(client, team, make_post):
    post = make_post()
    client.force_login(team["approver1"])
    assert client.get(reverse("post_edit", args=["team", post.pk])).status_code == 403
    response = client.post(
        reverse("post_edit", args=["team", post.pk]),
        {"channel": team["channel"].pk, "text": "x", "category": "news"},
    )
    assert response.status_code == 403


def test_copy_page_makes_a_new_draft_in_the_other_brand(client, team, other, make_post):
    account_services.membership_set(
        brand=other["brand"], user=team["author"], roles=[Role.AUTHOR], actor=None
    )
    post = make_post("Travel well")
    client.force_login(team["author"])
    page = client.get(reverse("post_copy", args=["team", post.pk]))
    assert "@other" in page.content.decode()
    response = client.post(
        reverse("post_copy", args=["team", post.pk]), {"channel": other["channel"].pk}
    )
    assert response.status_code == 302
    copy = Post.objects.exclude(pk=post.pk).get()
    assert copy.brand == other["brand"] and response["Location"].startswith("/b/other/posts/")


def test_comment_form(author_client, team, make_post):
    post = make_post()
    url = reverse("post_comment", args=["team", post.pk])
    assert author_client.post(url, {"body": "   "}).status_code == 400
    response = author_client.post(url, {"body": " ok \n"})
    assert response.status_code == 302
    assert post.comments.get().body == " ok \n"


def test_media_attach_and_remove_from_the_edit_page(author_client, team, make_post):
    post = make_post()
    add = reverse("post_media_add", args=["team", post.pk])
    author_client.post(add, {"media_file": png(), "alt_text": ""})
    assert not post.media.exists()
    author_client.post(add, {"media_file": png(), "alt_text": "A toaster"})
    item = post.media.get()
    post.refresh_from_db()
    assert post.revision == 2
    author_client.post(reverse("post_media_remove", args=["team", post.pk, item.pk]))
    assert not post.media.exists()


def test_list_filters_and_paginates(author_client, team, make_post):
    for i in range(30):
        make_post(f"Post number {i}", when=soon(i + 1), category="news" if i % 2 else "support")
    url = reverse("post_list", args=["team"])
    html = author_client.get(url).content.decode()
    assert "30 in total" in html and html.count('data-testid="post-row"') == 25
    assert "Page 1 of 2" in html
    html = author_client.get(url, {"category": "news"}).content.decode()
    assert "15 in total" in html
    html = author_client.get(url, {"q": "number 17"}).content.decode()
    assert html.count('data-testid="post-row"') == 1
    html = author_client.get(url, {"channel": "nope", "status": "zzz"}).content.decode()
    assert 'data-testid="filter-errors"' in html


def test_campaigns_page(author_client, team):
    url = reverse("campaign_list", args=["team"])
    response = author_client.post(url, {"name": "<b>Spring</b>", "colour": "#112233"})
    assert response.status_code == 302
    html = author_client.get(url).content.decode()
    assert "&lt;b&gt;Spring&lt;/b&gt;" in html
    response = author_client.post(url, {"name": "<b>Spring</b>", "colour": "#112233"})
    assert "already has a campaign with that name" in response.content.decode()


def test_brand_overview_links_to_the_calendar(author_client, team):
    html = author_client.get(reverse("brand_detail", args=["team"])).content.decode()
    assert reverse("calendar", args=["team"]) in html


def test_list_shows_dated_posts_first_then_undated_drafts(author_client, make_post):
    undated = make_post("Someday")
    later = make_post("Later", when=soon(5))
    sooner = make_post("Sooner", when=soon(1))
    html = author_client.get(reverse("post_list", args=["team"])).content.decode()
    positions = [html.index(f"/b/team/posts/{p.pk}/") for p in (sooner, later, undated)]
    assert positions == sorted(positions)


def test_scheduling_for_now_needs_the_handles_typed(author_client, team):
    """Posting within minutes is a risky action: type who it posts as."""
    import datetime as dt

    from django.utils import timezone

    url = reverse("post_compose", args=["team"])
    soon = (timezone.now() + dt.timedelta(minutes=5)).astimezone(team["brand"].tz)
    data = {
        "channels": [team["channel"].pk, team["second"].pk],
        "text": "Flash sale starts now",
        "category": "promotional",
        "scheduled_at": soon.strftime("%Y-%m-%dT%H:%M"),
    }
    refused = author_client.post(url, data)
    assert refused.status_code == 200
    assert "Type @team, @team2 to confirm" in refused.content.decode()
    assert not Post.objects.exists()
    half = author_client.post(url, {**data, "confirm_handles": "@team"})
    assert "Type @team2 to confirm" in half.content.decode()
    assert not Post.objects.exists()
    done = author_client.post(url, {**data, "confirm_handles": "@TEAM, team2"})
    assert done.status_code == 302
    assert Post.objects.count() == 2


# --- the edit page: nothing lost, the composer's live preview, the approvals it dismisses ---


def _edit_data(post, **changes):
    data = {
        "channel": post.channel_id,
        "text": post.text,
        "category": post.category,
        "campaign": "",
        "scheduled_at": post.scheduled_at.astimezone(post.brand.tz).strftime("%Y-%m-%dT%H:%M")
        if post.scheduled_at
        else "",
        "revision": post.revision,
    }
    return {**data, **changes}


def test_edit_form_carries_its_revision_and_a_stale_save_keeps_the_text(
    author_client, team, make_post
):
    post = make_post("The kettle is back", when=soon(3))
    url = reverse("post_edit", args=["team", post.pk])
    page = author_client.get(url).content.decode()
    assert 'name="revision" value="1"' in page
    first = _edit_data(post, text="The kettle is back in red")
    mine = _edit_data(post, text="My careful rewrite of the kettle post")
    assert author_client.post(url, first).status_code == 302
    stale = author_client.post(url, mine)
    assert stale.status_code == 409
    html = stale.content.decode()
    assert 'data-testid="edit-stale"' in html and "Not saved" in html
    assert 'data-testid="edit-stale-diff"' in html
    assert "in red</ins>" in html  # what the other person changed
    assert "My careful rewrite of the kettle post</textarea>" in html  # nothing lost
    assert 'name="revision" value="2"' in html  # the next save goes on top of revision 2
    post.refresh_from_db()
    assert (post.text, post.revision) == ("The kettle is back in red", 2)
    again = author_client.post(url, {**mine, "revision": 2})
    assert again.status_code == 302
    assert Post.objects.get(pk=post.pk).text == "My careful rewrite of the kettle post"


def test_edit_page_has_the_composers_live_preview_and_the_approvals_it_would_dismiss(
    author_client, team, make_post
):
    from tests.planner.publishing.support import approve

    post = approve(team, make_post("Ready to go #one #two", when=soon(3)))
    url = reverse("post_edit", args=["team", post.pk])
    html = author_client.get(url).content.decode()
    preview_url = reverse("post_edit_preview", args=["team", post.pk])
    assert f'hx-post="{preview_url}"' in html and 'data-testid="compose-preview"' in html
    assert 'data-testid="char-count"' in html and 'class="finding-warn"' in html
    assert 'data-dismisses="0"' in html and "2 approvals (approver1, approver2)" in html
    # As the person types: the same partial, and the count it would dismiss.
    live = author_client.post(
        preview_url, {"text": "Ready to go", "channel": post.channel_id, "category": post.category}
    ).content.decode()
    assert 'data-testid="preview-target"' in live and "11 characters" in live
    assert 'data-dismisses="2"' in live and "Saving this will dismiss 2 approvals" in live
    assert "send the post back to review" in live
    same = author_client.post(
        preview_url, {"text": post.text, "channel": post.channel_id, "category": post.category}
    ).content.decode()
    assert 'data-dismisses="0"' in same and "moving only the time keeps" in same
    # Someone who may not draft on the channel gets nothing from it.
    author_client.force_login(team["approver1"])
    assert author_client.post(preview_url, {"text": "x"}).status_code == 403


def test_edit_into_the_past_is_refused_on_the_form(author_client, team, make_post):
    post = make_post("Tomorrow's post", when=soon(1))
    url = reverse("post_edit", args=["team", post.pk])
    response = author_client.post(url, _edit_data(post, scheduled_at="2026-01-05T09:00"))
    assert response.status_code == 200
    assert "That time has already passed" in response.content.decode()
    assert Post.objects.get(pk=post.pk).scheduled_at == soon(1)


def test_edit_keeps_a_stored_time_with_seconds_when_only_the_text_changes(
    author_client, team, make_post
):
    import datetime as dt

    from django.utils import timezone

    # Due in 10 minutes, with seconds: the form shows whole minutes and sends them back.
    when = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=10, seconds=7)
    post = make_post("Due soon", when=when)
    url = reverse("post_edit", args=["team", post.pk])
    response = author_client.post(url, _edit_data(post, text="Due soon, edited"))
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.text, post.scheduled_at) == ("Due soon, edited", when)


# --- compose: save the drafts that fit, never cut at a textarea limit -------------------------


def test_compose_saves_the_drafts_that_fit_and_keeps_the_text_for_the_one_that_does_not(
    author_client, team
):
    bluesky = make_channel(team["brand"], platform=Platform.BLUESKY, handle="t.bsky.social")
    text = "w" * 312
    response = author_client.post(
        reverse("post_compose", args=["team"]),
        {"channels": [team["channel"].pk, bluesky.pk], "text": text, "category": "news"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    saved = Post.objects.get()
    assert saved.channel == team["channel"] and saved.text == text
    assert 'data-testid="compose-partial"' in html
    assert "Not saved for t.bsky.social: 312/300 characters." in html
    assert f'href="{saved.get_absolute_url()}"' in html
    assert f"{text}</textarea>" in html
    ticked = re.findall(r'name="channels" value="(\d+)"[^>]*checked', html)
    assert ticked == [str(bluesky.pk)]  # only the refused channel is ticked again


def test_no_textarea_cuts_text_silently(author_client, team, make_post):
    for url in (
        reverse("post_compose", args=["team"]),
        reverse("post_edit", args=["team", make_post().pk]),
    ):
        html = author_client.get(url).content.decode()
        assert "maxlength" not in html.split('name="text"')[1].split(">")[0]
        assert "Up to 10,000 characters" in html
    response = author_client.post(
        reverse("post_compose", args=["team"]),
        {"channels": [team["channel"].pk], "text": "q" * 10_001, "category": "news"},
    )
    assert "10,001 characters; the most is 10,000" in response.content.decode()
