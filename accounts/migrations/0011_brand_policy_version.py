import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_current_versions(apps, schema_editor):
    """Every brand points at its highest-numbered policy version (none: left empty)."""
    Brand = apps.get_model("accounts", "Brand")
    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    latest = PolicyVersion.objects.filter(brand=OuterRef("pk")).order_by("-number")
    Brand.objects.update(policy_version=Subquery(latest.values("pk")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_channel_oauth_platforms"),
        ("policy", "0005_approval_step_groups_belong_to_brands"),
    ]

    operations = [
        migrations.AddField(
            model_name="brand",
            name="policy_version",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="policy.policyversion",
            ),
        ),
        migrations.RunPython(fill_current_versions, migrations.RunPython.noop),
    ]
