"""A member limited to some channels stays limited: when those channels are removed they have
none, never all of the brand's channels (the restriction is explicit, not "empty = all")."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from rest_framework.test import APIClient

from accounts import permissions, services
from accounts.models import Channel, Membership, Role
from accounts.permissions import Action


@pytest.fixture
def limited(brand_with_team):
    """An author limited to @first, in a brand that also has @second."""
    brand, admin = brand_with_team["brand"], brand_with_team["admin"]
    first = services.channel_create_outbox(brand=brand, handle="@first", actor=admin)
    second = services.channel_create_outbox(brand=brand, handle="@second", actor=admin)
    author = brand_with_team["author"]
    services.membership_set(
        brand=brand, user=author, roles=[Role.AUTHOR], channels=[first], actor=admin
    )
    assert list(permissions.channels_for(author, brand, Action.DRAFT)) == [first]
    return {**brand_with_team, "first": first, "second": second}


def _drafts_on(user, brand) -> set[str]:
    return {c.handle for c in permissions.channels_for(user, brand, Action.DRAFT)}


def test_removing_the_only_channel_leaves_the_member_with_none(limited):
    brand, author, admin = limited["brand"], limited["author"], limited["admin"]
    services.channel_remove(channel=limited["first"], actor=admin)
    assert _drafts_on(author, brand) == set()
    # ... and stays so when every member's permissions are derived again (a new channel).
    services.channel_create_outbox(brand=brand, handle="@third", actor=admin)
    assert _drafts_on(author, brand) == set()
    assert not permissions.has_perm(author, Action.DRAFT, limited["second"])
    membership = Membership.objects.get(user=author, brand=brand)
    assert membership.channels_restricted is True
    # An unlimited author has every channel, the new one included.
    assert _drafts_on(limited["approver1"], brand) == set()  # approvers do not draft
    services.membership_set(
        brand=brand, user=limited["approver1"], roles=[Role.AUTHOR], actor=admin
    )
    assert "@third" in _drafts_on(limited["approver1"], brand)


def test_a_channel_deleted_outside_the_service_does_not_widen_a_restriction(limited):
    brand, author = limited["brand"], limited["author"]
    Channel.objects.filter(pk=limited["first"].pk).delete()
    permissions.sync_brand_permissions(brand)
    assert _drafts_on(author, brand) == set()


def test_a_channel_with_posts_cannot_be_removed(limited):
    from config.errors import Conflict
    from planner.posts import services as planner_services

    planner_services.post_create(
        brand=limited["brand"],
        actor=limited["author"],
        channel=limited["first"],
        text="Hello",
        category="news",
    )
    with pytest.raises(Conflict, match="pause it instead"):
        services.channel_remove(channel=limited["first"], actor=limited["admin"])
    assert Channel.objects.filter(pk=limited["first"].pk).exists()
    assert _drafts_on(limited["author"], limited["brand"]) == {"@first"}


def test_the_api_refuses_a_post_on_another_channel_after_the_removal(limited):
    brand, author = limited["brand"], limited["author"]
    services.channel_remove(channel=limited["first"], actor=limited["admin"])
    api = APIClient()
    api.force_authenticate(author)
    response = api.post(
        f"/api/brands/{brand.slug}/posts/",
        {"channel": limited["second"].pk, "text": "Hello", "category": "news"},
        format="json",
    )
    assert response.status_code in (400, 403, 404), response.content
    from planner.models import Post

    assert not Post.objects.filter(channel=limited["second"]).exists()
    api.force_authenticate(limited["admin"])
    members = api.get(f"/api/brands/{brand.slug}/members/")
    assert members.status_code == 200
    rows = members.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    row = next(m for m in rows if m["username"] == author.username)
    assert row["channels_restricted"] is True and row["channels"] == []


def test_the_web_shows_none_and_an_edit_keeps_the_member_limited(limited, client):
    brand, author, admin = limited["brand"], limited["author"], limited["admin"]
    services.channel_remove(channel=limited["first"], actor=admin)
    client.force_login(admin)
    page = client.get(f"/b/{brand.slug}/members/")
    assert page.status_code == 200
    assert b'data-testid="no-channels"' in page.content
    # The admin changes the author's roles; the form keeps "only the channels ticked" on.
    edit = client.get(f"/b/{brand.slug}/members/{author.pk}/")
    assert edit.status_code == 200
    assert edit.context["form"].initial["channels_restricted"] is True
    response = client.post(
        f"/b/{brand.slug}/members/{author.pk}/",
        {"roles": [Role.AUTHOR, Role.APPROVER], "channels_restricted": "on"},
    )
    assert response.status_code == 302
    assert _drafts_on(author, brand) == set()
    # Unticking "only the channels ticked" gives all channels back, on purpose.
    client.post(f"/b/{brand.slug}/members/{author.pk}/", {"roles": [Role.AUTHOR]})
    assert _drafts_on(author, brand) == {"@team", "@second"}
    # The author, restricted again, cannot draft on @second on the web.
    services.membership_set(
        brand=brand,
        user=author,
        roles=[Role.AUTHOR],
        channels=[],
        channels_restricted=True,
        actor=admin,
    )
    client.force_login(author)
    compose = client.get(f"/b/{brand.slug}/compose/")
    assert b"@second" not in compose.content


def test_the_migration_keeps_existing_meaning(limited):
    """Rows with channels listed were limited; rows without had all channels."""
    import importlib

    migration = importlib.import_module("accounts.migrations.0004_membership_channels_restricted")
    Membership.objects.update(channels_restricted=False)
    migration.mark_restricted(django_apps, None)
    flags = dict(
        Membership.objects.filter(brand=limited["brand"]).values_list(
            "user__username", "channels_restricted"
        )
    )
    assert flags["author"] is True
    assert flags["approver1"] is False and flags["boss"] is False
