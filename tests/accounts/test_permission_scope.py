"""One permission decision per request: guardian is asked once, the membership row decides
other people's rights, and htmx partials skip the menus' context."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import permissions
from accounts import services as account_services
from accounts.models import Membership, Role
from accounts.permissions import Action

pytestmark = pytest.mark.django_db


def _guardian_queries(queries) -> int:
    return sum("guardian_userobjectpermission" in q["sql"] for q in queries.captured_queries)


def test_a_request_reads_guardian_once_whatever_it_asks(client, brand_with_team):
    client.force_login(brand_with_team["author"])
    url = reverse("compose_preview", args=[brand_with_team["brand"].slug])
    data = {"text": "Hello", "channels": [brand_with_team["channel"].pk], "category": "news"}
    client.post(url, data)  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    assert response.status_code == 200
    assert _guardian_queries(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("post_list", args=[brand_with_team["brand"].slug]))
    assert response.status_code == 200
    assert _guardian_queries(queries) == 1


def test_htmx_partials_skip_the_navigation_context(client, brand_with_team):
    client.force_login(brand_with_team["author"])
    url = reverse("compose_preview", args=[brand_with_team["brand"].slug])
    data = {"text": "Hello", "channels": [brand_with_team["channel"].pk], "category": "news"}
    client.post(url, data)
    with CaptureQueriesContext(connection) as full:
        client.post(url, data)
    with CaptureQueriesContext(connection) as partial:
        response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "my_brands" not in response.context and "unread_notifications" not in response.context
    assert len(partial) < len(full)
    assert not any("accounts_notification" in q["sql"] for q in partial.captured_queries)


def test_a_scope_forgets_what_a_permission_change_made_stale(brand_with_team):
    brand, author = brand_with_team["brand"], brand_with_team["author"]
    with permissions.request_scope():
        assert not permissions.has_perm(author, Action.APPROVE, brand)
        account_services.membership_set(
            brand=brand, user=author, roles=[Role.AUTHOR, Role.APPROVER], actor=None
        )
        assert permissions.has_perm(author, Action.APPROVE, brand)


@pytest.mark.parametrize("restricted", [False, True])
def test_the_membership_row_decides_as_guardian_does(brand_with_team, restricted):
    brand, approver = brand_with_team["brand"], brand_with_team["approver1"]
    second = account_services.channel_create_outbox(brand=brand, handle="@second", actor=None)
    channels = [brand_with_team["channel"]] if restricted else None
    account_services.membership_set(
        brand=brand, user=approver, roles=[Role.APPROVER], actor=None, channels=channels
    )
    memberships = list(Membership.objects.filter(brand=brand).select_related("user"))
    permissions.load_channel_limits(memberships)
    for membership in memberships:
        for channel in (brand_with_team["channel"], second):
            for action in (Action.APPROVE, Action.DRAFT):
                expected = permissions.has_perm(membership.user, action, channel)
                assert permissions.member_may(membership, action, channel) == expected
    approver_row = next(m for m in memberships if m.user_id == approver.pk)
    assert permissions.member_may(approver_row, Action.APPROVE, second) is (not restricted)
