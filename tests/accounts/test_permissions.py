"""The permissions matrix: every role × brand × action, asked of the one permissions module
and through the web and the API, so no view can drift from it."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import permissions, services
from accounts.models import Role
from accounts.permissions import Action

ROLES = [None, Role.AUTHOR, Role.APPROVER, Role.TRAINER, Role.ADMIN]
EXPECTED = {
    # role: actions allowed in the brand they belong to
    None: set(),
    Role.AUTHOR: {Action.VIEW, Action.DRAFT},
    Role.APPROVER: {Action.VIEW, Action.APPROVE},
    Role.TRAINER: {Action.VIEW, Action.TRAIN},
    Role.ADMIN: {Action.VIEW, Action.ADMIN},
}


@pytest.fixture
def two_brands(make_user, make_brand):
    owner = make_user("owner")
    mine = make_brand("mine", admin=owner)
    other = make_brand("other", admin=make_user("other-owner"))
    for brand in (mine, other):
        services.channel_create_outbox(brand=brand, handle=f"@{brand.slug}", actor=None)
    return owner, mine, other


def _member(make_user, brand, role):
    user = make_user()
    if role is not None:
        services.membership_set(brand=brand, user=user, roles=[role], actor=None)
    return user


@pytest.mark.parametrize(("role", "action"), list(itertools.product(ROLES, list(Action))))
def test_matrix_on_brands_and_channels(two_brands, make_user, role, action):
    _, mine, other = two_brands
    user = _member(make_user, mine, role)
    allowed = action in EXPECTED[role]
    assert permissions.has_perm(user, action, mine) is allowed
    channel = mine.channels.get()
    assert permissions.has_perm(user, action, channel) is allowed
    # Nothing at all in a brand they do not belong to.
    assert permissions.has_perm(user, action, other) is False
    assert permissions.has_perm(user, action, other.channels.get()) is False


def test_several_roles_add_up(two_brands, make_user):
    _, mine, _ = two_brands
    user = make_user()
    services.membership_set(brand=mine, user=user, roles=[Role.AUTHOR, Role.APPROVER], actor=None)
    assert permissions.has_perm(user, Action.DRAFT, mine)
    assert permissions.has_perm(user, Action.APPROVE, mine)
    assert not permissions.has_perm(user, Action.ADMIN, mine)


def test_channel_restriction_limits_drafting_to_those_channels(two_brands, make_user):
    _, mine, _ = two_brands
    second = services.channel_create_outbox(brand=mine, handle="@second", actor=None)
    first = mine.channels.exclude(pk=second.pk).get()
    user = make_user()
    services.membership_set(
        brand=mine, user=user, roles=[Role.AUTHOR], channels=[second], actor=None
    )
    assert permissions.has_perm(user, Action.DRAFT, second)
    assert not permissions.has_perm(user, Action.DRAFT, first)
    assert list(permissions.channels_for(user, mine, Action.DRAFT)) == [second]
    # Channels added later follow the restriction too.
    third = services.channel_create_outbox(brand=mine, handle="@third", actor=None)
    assert not permissions.has_perm(user, Action.DRAFT, third)


def test_removed_member_loses_everything(two_brands, make_user):
    owner, mine, _ = two_brands
    user = _member(make_user, mine, Role.ADMIN)
    services.membership_remove(brand=mine, user=user, actor=owner)
    for action in Action:
        assert not permissions.has_perm(user, action, mine)


def test_inactive_user_may_do_nothing(two_brands, make_user):
    _, mine, _ = two_brands
    user = _member(make_user, mine, Role.ADMIN)
    user.is_active = False
    user.save()
    assert not permissions.has_perm(user, Action.VIEW, mine)


# --- the same matrix through the web and the API ------------------------------------------

PAGES = [
    ("brand_detail", Action.VIEW),
    ("channel_list", Action.VIEW),
    ("member_list", Action.VIEW),
    ("brand_settings", Action.ADMIN),
]


@pytest.mark.parametrize(("role", "page"), list(itertools.product(ROLES, PAGES)))
def test_web_pages_follow_the_matrix(client, two_brands, make_user, role, page):
    _, mine, other = two_brands
    name, action = page
    user = _member(make_user, mine, role)
    client.force_login(user)
    response = client.get(reverse(name, kwargs={"slug": mine.slug}))
    # Not a member: 404, so the brand's existence is not revealed.
    expected = 404 if role is None else 200 if action in EXPECTED[role] else 403
    assert response.status_code == expected
    assert client.get(reverse(name, kwargs={"slug": other.slug})).status_code == 404
    assert client.get(reverse(name, kwargs={"slug": "no-such-brand"})).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_api_follows_the_matrix(two_brands, make_user, role):
    _, mine, other = two_brands
    user = _member(make_user, mine, role)
    api = APIClient()
    api.force_authenticate(user)
    expected = 404 if role is None else 200
    assert api.get(f"/api/brands/{mine.slug}/").status_code == expected
    assert api.get(f"/api/brands/{mine.slug}/channels/").status_code == expected
    assert api.get(f"/api/brands/{other.slug}/").status_code == 404
    assert api.get(f"/api/brands/{other.slug}/channels/").status_code == 404
    listed = [b["slug"] for b in api.get("/api/brands/").json()]
    assert listed == ([] if role is None else [mine.slug])
    connect = api.post(
        f"/api/brands/{mine.slug}/channels/", {"platform": "outbox", "handle": "@x"}, format="json"
    )
    if role is None:
        assert connect.status_code == 404
    elif role == Role.ADMIN:
        assert connect.status_code == 201
    else:
        assert connect.status_code == 403
        assert "admin" in connect.json()["detail"]


def test_member_edit_of_another_brand_is_404(client, two_brands, make_user):
    owner, mine, other = two_brands
    client.force_login(owner)
    other_member = other.memberships.get().user
    url = reverse("member_edit", kwargs={"slug": mine.slug, "user_id": other_member.pk})
    assert client.get(url).status_code == 404
    url = reverse("member_edit", kwargs={"slug": other.slug, "user_id": other_member.pk})
    assert client.get(url).status_code == 404
