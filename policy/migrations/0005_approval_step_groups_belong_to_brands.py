"""Every group an approval step names becomes a group of that step's brand.

A group that steps of several brands name is split: the brand whose step named it first
keeps it, and each other brand gets its own copy ("Legal (brand-slug)") holding those of the
group's people who are members of that brand, and its steps are pointed at the copy. People
outside a brand never counted for its steps, so every step is met by exactly the people who
met it before. The original group keeps its people and permissions (they may be used for
staff permissions too). Reversing keeps the groups as they are.
"""

from django.conf import settings
from django.db import migrations


def _free_name(Group, wanted: str) -> str:
    name, n = wanted[:150], 1
    while Group.objects.filter(name=name).exists():
        n += 1
        suffix = f" {n}"
        name = wanted[: 150 - len(suffix)] + suffix
    return name


def assign_groups(apps, schema_editor):
    ApprovalStep = apps.get_model("policy", "ApprovalStep")
    BrandGroup = apps.get_model("accounts", "BrandGroup")
    Brand = apps.get_model("accounts", "Brand")
    Membership = apps.get_model("accounts", "Membership")
    Group = apps.get_model("auth", "Group")
    UserGroups = apps.get_model(settings.AUTH_USER_MODEL).groups.through

    group_ids = (
        ApprovalStep.objects.filter(group__isnull=False)
        .order_by("group_id")
        .values_list("group_id", flat=True)
        .distinct()
    )
    for group in Group.objects.filter(pk__in=list(group_ids)).order_by("pk"):
        brand_ids = []  # in the order their steps first named the group
        for brand_id in (
            ApprovalStep.objects.filter(group=group).order_by("pk").values_list("brand_id", flat=True)
        ):
            if brand_id not in brand_ids:
                brand_ids.append(brand_id)
        owned = BrandGroup.objects.filter(group=group).first()
        owner = owned.brand_id if owned else brand_ids[0]
        if owned is None:
            BrandGroup.objects.create(group=group, brand_id=owner)
        for brand_id in brand_ids:
            if brand_id == owner:
                continue
            brand = Brand.objects.get(pk=brand_id)
            copy = Group.objects.create(name=_free_name(Group, f"{group.name} ({brand.slug})"))
            BrandGroup.objects.create(group=copy, brand_id=brand_id)
            members = Membership.objects.filter(brand_id=brand_id).values_list("user_id", flat=True)
            people = UserGroups.objects.filter(group_id=group.pk, user_id__in=list(members))
            UserGroups.objects.bulk_create(
                [UserGroups(group_id=copy.pk, user_id=uid) for uid in people.values_list("user_id", flat=True)]
            )
            ApprovalStep.objects.filter(brand_id=brand_id, group=group).update(group=copy)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_brand_groups"),
        ("policy", "0004_quiz_plural"),
    ]

    operations = [migrations.RunPython(assign_groups, migrations.RunPython.noop)]
