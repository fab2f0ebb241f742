"""The audit trail cannot be eroded: not by deleting people or brands, not from Django admin,
not with raw SQL (the database refuses UPDATE and DELETE), and nobody can write into the
trail of a brand they cannot see."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from accounts import permissions, services
from accounts.models import AuditEvent, Brand, Channel, Membership, User
from accounts.permissions import Action
from config.errors import NotFoundError


def _post(brand_with_team, text="Hello from the team"):
    from planner.posts import services as planner_services

    return planner_services.post_create(
        brand=brand_with_team["brand"],
        actor=brand_with_team["author"],
        channel=brand_with_team["channel"],
        text=text,
        category="news",
    )


# --- (d) the database refuses ----------------------------------------------------------------


def _without_test_marker():
    """Test connections may flush the table (see tests/conftest.py); production ones may not.
    Drop the marker for this connection (the test's transaction restores it)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS temp.countersign_audit_maintenance")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditevent SET message = 'rewritten'",
        "UPDATE accounts_auditevent SET actor_id = NULL",
        "DELETE FROM accounts_auditevent",
    ],
)
def test_raw_sql_cannot_update_or_delete_audit_events(brand_with_team, sql):
    assert AuditEvent.objects.filter(brand=brand_with_team["brand"]).exists()
    before = list(AuditEvent.objects.values_list("pk", "message", "actor_id"))
    _without_test_marker()
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert list(AuditEvent.objects.values_list("pk", "message", "actor_id")) == before


def test_the_orm_cannot_update_or_delete_audit_events_either(brand_with_team):
    _without_test_marker()
    event = AuditEvent.objects.filter(brand=brand_with_team["brand"]).first()
    event.message = "rewritten"
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).message != "rewritten"


def test_new_events_can_still_be_appended(brand_with_team):
    _without_test_marker()
    services.audit_record(action="test.appended", brand=brand_with_team["brand"])
    assert AuditEvent.objects.filter(action="test.appended").count() == 1


# --- (a) people and brands with history are kept ---------------------------------------------


def test_deleting_a_person_with_history_is_refused_by_the_database_layer(brand_with_team):
    admin = brand_with_team["admin"]
    assert services.user_has_history(admin)
    with pytest.raises(ProtectedError), transaction.atomic():
        admin.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        brand_with_team["brand"].delete()


def test_approvals_protect_their_approver():
    from django.db.models import PROTECT

    from planner.models import Approval

    assert Approval._meta.get_field("approver").remote_field.on_delete is PROTECT
    assert AuditEvent._meta.get_field("actor").remote_field.on_delete is PROTECT
    assert AuditEvent._meta.get_field("brand").remote_field.on_delete is PROTECT


def test_admin_delete_of_a_person_with_history_deactivates_them(admin_client, brand_with_team):
    author = brand_with_team["author"]
    post = _post(brand_with_team)
    url = reverse("admin:accounts_user_delete", args=[author.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b"cannot be deleted; they can be deactivated" in page.content
    assert b'value="Deactivate author"' in page.content
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert b"deactivated instead of deleted" in response.content
    author.refresh_from_db()
    assert author.is_active is False
    created = AuditEvent.objects.get(action="post.created", object_id=str(post.pk))
    assert created.actor_id == author.pk and created.actor_username == "author"
    assert AuditEvent.objects.filter(action="user.deactivated", object_id=str(author.pk)).exists()


def test_admin_bulk_delete_deletes_only_people_without_history(
    admin_client, brand_with_team, make_user
):
    newcomer = make_user("newcomer")
    author = brand_with_team["author"]
    _post(brand_with_team)
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "remove_selected", "_selected_action": [newcomer.pk, author.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not User.objects.filter(pk=newcomer.pk).exists()
    assert User.objects.get(pk=author.pk).is_active is False
    assert b"Deactivated instead of deleted" in response.content
    # The stock "delete selected" (which would cascade) is not offered.
    page = admin_client.get(reverse("admin:accounts_user_changelist"))
    assert b'value="delete_selected"' not in page.content


def test_admin_cannot_delete_a_brand_with_history(admin_client, brand_with_team):
    brand = brand_with_team["brand"]
    url = reverse("admin:accounts_brand_delete", args=[brand.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b"cannot delete brand" in page.content.lower()
    admin_client.post(url, {"post": "yes"})
    assert Brand.objects.filter(pk=brand.pk).exists()


# --- (b) the username as written ----------------------------------------------------------------


def test_events_keep_the_actors_username_as_written(brand_with_team):
    admin = brand_with_team["admin"]
    event = services.audit_record(action="test.named", actor=admin, brand=brand_with_team["brand"])
    admin.username = "renamed-boss"
    admin.save()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor_username == "boss" and event.actor == admin


def test_the_backfill_fills_usernames_of_earlier_events(brand_with_team):
    migration = importlib.import_module("accounts.migrations.0005_audit_actor_username")
    # Events written before the column existed have no name; the migration fills them.
    # (The triggers refuse UPDATE, so the check runs on a copy of the rule's query.)
    admin = brand_with_team["admin"]
    assert AuditEvent.objects.filter(actor=admin).exclude(actor_username="boss").count() == 0
    updates = []

    class Recorder:
        def __init__(self, qs):
            self.qs = qs

        def filter(self, **kw):
            return Recorder(self.qs.filter(**kw))

        def values_list(self, *a, **kw):
            return self.qs.values_list(*a, **kw)

        def update(self, **kw):
            updates.append((sorted(self.qs.values_list("pk", flat=True)), kw))

    class FakeApps:
        def get_model(self, app, name):
            model = django_apps.get_model(app, name)
            if name == "AuditEvent":
                return type("M", (), {"objects": Recorder(model.objects.all())})
            return model

    migration.backfill_usernames(FakeApps(), None)
    names = {kw["actor_username"] for _, kw in updates}
    assert "boss" in names
    covered = {pk for pks, _ in updates for pk in pks}
    assert covered == set(
        AuditEvent.objects.filter(actor__isnull=False).values_list("pk", flat=True)
    )


# --- (c) admin goes through the services ---------------------------------------------------------


def test_a_role_change_in_admin_is_audited_and_applied(admin_client, brand_with_team, staff):
    brand, author = brand_with_team["brand"], brand_with_team["author"]
    membership = Membership.objects.get(brand=brand, user=author)
    url = reverse("admin:accounts_membership_change", args=[membership.pk])
    response = admin_client.post(
        url,
        {"is_author": "on", "is_approver": "on", "channels": []},
    )
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.filter(action="membership.changed", object_id=str(membership.pk))
    assert event.get().actor == staff
    assert event.get().data["after"] == ["approver", "author"]
    assert permissions.has_perm(author, Action.APPROVE, brand_with_team["channel"])


def test_admin_cannot_remove_the_last_brand_admin(admin_client, brand_with_team):
    brand, boss = brand_with_team["brand"], brand_with_team["admin"]
    membership = Membership.objects.get(brand=brand, user=boss)
    url = reverse("admin:accounts_membership_change", args=[membership.pk])
    response = admin_client.post(url, {"is_author": "on"}, follow=True)
    assert response.status_code == 200
    assert b"at least one admin" in response.content
    assert Membership.objects.get(pk=membership.pk).is_admin is True
    delete = admin_client.post(
        reverse("admin:accounts_membership_delete", args=[membership.pk]),
        {"post": "yes"},
        follow=True,
    )
    assert delete.status_code == 200 and b"at least one admin" in delete.content
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_membership_added_in_admin_is_audited(admin_client, brand_with_team, make_user, staff):
    newcomer = make_user("newcomer")
    brand = brand_with_team["brand"]
    response = admin_client.post(
        reverse("admin:accounts_membership_add"),
        {"user": newcomer.pk, "brand": brand.pk, "is_trainer": "on"},
    )
    assert response.status_code == 302, response.content[:3000]
    membership = Membership.objects.get(user=newcomer, brand=brand)
    assert AuditEvent.objects.get(
        action="membership.added", object_id=str(membership.pk)
    ).actor == (staff)
    assert permissions.has_perm(newcomer, Action.TRAIN, brand)


def test_a_channel_cannot_be_edited_or_added_in_admin(admin_client, brand_with_team, make_brand):
    channel = brand_with_team["channel"]
    other = make_brand("elsewhere")
    url = reverse("admin:accounts_channel_change", args=[channel.pk])
    response = admin_client.post(
        url,
        {
            "brand": other.pk,
            "handle": "@hijacked",
            "instance_url": "https://evil.example",
            "remote_account_id": "999",
            "platform": "mastodon",
        },
    )
    assert response.status_code == 403
    channel.refresh_from_db()
    assert (channel.brand_id, channel.handle) == (brand_with_team["brand"].pk, "@team")
    assert admin_client.get(reverse("admin:accounts_channel_add")).status_code == 403
    # It can be looked at.
    assert admin_client.get(url).status_code == 200


def test_an_unused_channel_removed_in_admin_goes_through_the_service(
    admin_client, brand_with_team, staff
):
    brand = brand_with_team["brand"]
    spare = services.channel_create_outbox(brand=brand, handle="@spare", actor=None)
    response = admin_client.post(
        reverse("admin:accounts_channel_delete", args=[spare.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Channel.objects.filter(pk=spare.pk).exists()
    assert AuditEvent.objects.get(action="channel.removed", brand=brand).actor == staff


def test_a_brand_edit_in_admin_is_audited(admin_client, brand_with_team, staff):
    brand = brand_with_team["brand"]
    url = reverse("admin:accounts_brand_change", args=[brand.pk])
    response = admin_client.post(
        url,
        {
            "name": "Team renamed",
            "timezone": brand.timezone,
            "colour": brand.colour,
            "approvals_required": 3,
            "certification_validity_days": brand.certification_validity_days,
            "quiet_days": brand.quiet_days,
        },
    )
    assert response.status_code == 302, response.content[:3000]
    event = AuditEvent.objects.filter(action="brand.updated", brand=brand).get()
    assert event.actor == staff and set(event.data["changes"]) == {"name", "approvals_required"}


def test_the_planner_admin_cannot_delete_posts(admin_client, brand_with_team):
    post = _post(brand_with_team)
    response = admin_client.post(
        reverse("admin:planner_post_delete", args=[post.pk]), {"post": "yes"}
    )
    assert response.status_code == 403


# --- 6. refusals are recorded only where the actor may see them ---------------------------------


def test_an_outsiders_refused_attempt_is_not_written_into_the_brand(
    brand_with_team, make_user, make_brand, caplog
):
    from planner.review import services as review_services

    outsider = make_user("outsider")
    make_brand("theirs", admin=outsider)
    post = _post(brand_with_team)
    before = AuditEvent.objects.filter(brand=brand_with_team["brand"]).count()
    with caplog.at_level("WARNING", logger="countersign.security"), pytest.raises(NotFoundError):
        review_services.post_submit(post_id=post.pk, actor=outsider)
    assert AuditEvent.objects.filter(brand=brand_with_team["brand"]).count() == before
    assert not AuditEvent.objects.filter(actor=outsider, action__endswith="refused").exists()
    assert "post.submit_refused" in caplog.text and "outsider" in caplog.text
    # A member who may see the post still has their refusal in the brand's trail.
    with pytest.raises(Exception):  # noqa: B017  (approvers may not submit)
        review_services.post_submit(post_id=post.pk, actor=brand_with_team["approver1"])
    assert AuditEvent.objects.filter(
        brand=brand_with_team["brand"],
        actor=brand_with_team["approver1"],
        action="post.submit_refused",
    ).exists()


def test_audit_record_itself_keeps_refusals_out_of_brands_the_actor_cannot_see(
    brand_with_team, make_user
):
    outsider = make_user("outsider")
    brand = brand_with_team["brand"]
    assert services.audit_record(action="post.approve_refused", actor=outsider, brand=brand) is None
    assert services.audit_record(action="channel.refused", actor=outsider, brand=brand) is None
    assert not AuditEvent.objects.filter(actor=outsider).exists()
    # Not a refusal: written (services check permissions before acting).
    assert services.audit_record(action="test.done", actor=outsider, brand=brand) is not None
    assert services.audit_record(
        action="post.approve_refused", actor=brand_with_team["author"], brand=brand
    )
