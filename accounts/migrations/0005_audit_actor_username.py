"""Audit events keep the actor's username as written, and protect their brand and actor.

Deleting a user used to null the actor of their audit events (SET NULL) and deleting a brand
removed its events (CASCADE). Both are PROTECT now: people with history are deactivated.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill_usernames(apps, schema_editor):
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    User = apps.get_model("accounts", "User")
    names = dict(User.objects.values_list("pk", "username"))
    for actor_id in AuditEvent.objects.filter(actor__isnull=False).values_list(
        "actor_id", flat=True
    ).distinct():
        AuditEvent.objects.filter(actor_id=actor_id).update(actor_username=names[actor_id])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_membership_channels_restricted"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="actor_username",
            field=models.CharField(blank=True, editable=False, max_length=150),
        ),
        migrations.RunPython(backfill_usernames, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="brand",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit_events",
                to="accounts.brand",
            ),
        ),
    ]
