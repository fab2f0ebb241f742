"""A member's channel restriction is explicit: ``channels_restricted``.

Before, "no channels listed" meant "all channels", so removing the one channel a member was
limited to gave them every channel. Existing rows keep their meaning: a member with channels
listed is limited to them; a member with none listed has all channels.
"""

from django.db import migrations, models

import accounts.models


def mark_restricted(apps, schema_editor):
    Membership = apps.get_model("accounts", "Membership")
    Membership.objects.filter(channels__isnull=False).update(channels_restricted=True)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_channel_approvals"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="channels_restricted",
            field=models.BooleanField(
                default=False,
                help_text="When on, the member may draft and approve only on the channels "
                "listed; if those channels are removed, on none.",
                verbose_name="limited to some channels",
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="channels",
            field=models.ManyToManyField(
                blank=True,
                help_text="The channels of a limited member (ignored unless limited).",
                related_name="restricted_memberships",
                to="accounts.channel",
            ),
        ),
        migrations.RunPython(mark_restricted, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="channel",
            name="display_name",
            field=models.CharField(
                blank=True,
                max_length=255,
                validators=[accounts.models.validate_no_control_characters],
            ),
        ),
        migrations.AlterField(
            model_name="channel",
            name="handle",
            field=models.CharField(
                max_length=255, validators=[accounts.models.validate_no_control_characters]
            ),
        ),
        migrations.AlterField(
            model_name="personalaccount",
            name="handle",
            field=models.CharField(
                max_length=255, validators=[accounts.models.validate_no_control_characters]
            ),
        ),
    ]
