"""An approval step names only one of its brand's own groups: the editor lists no other, the
step services refuse any other, and existing steps' groups were given to their brands."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts import services as account_services
from policy import services
from policy.models import ApprovalStep


@pytest.fixture
def groups(brand_with_team, make_brand, make_user):
    other = make_brand("other", admin=make_user("other-admin"))
    return {
        "own": account_services.brand_group_create(
            brand=brand_with_team["brand"], name="Legal", actor=None
        ),
        "foreign": account_services.brand_group_create(
            brand=other, name="Other brand's legal", actor=None
        ),
        "staff": Group.objects.create(name="Staff editors"),
    }


def test_a_step_may_name_only_the_brands_own_group(brand_with_team, groups):
    brand = brand_with_team["brand"]
    assert services.approval_step_group_clean(brand=brand, group=None) is None
    assert services.approval_step_group_clean(brand=brand, group=groups["own"]) == groups["own"]
    for name in ("foreign", "staff"):
        with pytest.raises(ValidationError, match="brand's own groups"):
            services.approval_step_group_clean(brand=brand, group=groups[name])


def _step_data(group) -> dict:
    return {"form": "step", "name": "Legal", "required": "1", "role": "approver", "group": group}


def test_the_editor_lists_and_accepts_only_the_brands_groups(client, brand_with_team, groups):
    client.force_login(brand_with_team["admin"])
    page = reverse("approval_settings", args=["team"])
    html = client.get(page).content.decode()
    assert "Legal" in html
    assert "Other brand&#x27;s legal" not in html and "Other brand's legal" not in html
    assert "Staff editors" not in html
    for name in ("foreign", "staff"):
        response = client.post(page, _step_data(groups[name].pk))
        assert response.status_code == 400
    assert not ApprovalStep.objects.exists()
    assert client.post(page, _step_data(groups["own"].pk)).status_code == 302
    step = ApprovalStep.objects.get()
    assert step.group == groups["own"]
    edit = reverse("approval_step_edit", args=["team", step.pk])
    edit_html = client.get(edit).content.decode()
    assert "Staff editors" not in edit_html and "Other brand" not in edit_html
    data = {"name": "Legal", "required": "1", "role": "approver"}
    response = client.post(edit, {**data, "group": groups["foreign"].pk})
    assert response.status_code == 200  # the form again, refused
    step.refresh_from_db()
    assert step.group == groups["own"]


# --- existing steps' groups become their brands' (the data migration) ------------------------

BEFORE = [("accounts", "0008_drop_plaintext_api_tokens"), ("policy", "0004_quiz_plural")]
AFTER = [
    ("accounts", "0009_brand_groups"),
    ("policy", "0005_approval_step_groups_belong_to_brands"),
]


@pytest.fixture
def back_to_latest_migrations():
    """The test migrates to an older state: the tests after it need the latest schema."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest_migrations")
def test_existing_step_groups_are_given_to_their_brands_and_shared_ones_split():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Brand = apps.get_model("accounts", "Brand")
    User = apps.get_model("accounts", "User")
    Membership = apps.get_model("accounts", "Membership")
    Step = apps.get_model("policy", "ApprovalStep")
    HGroup = apps.get_model("auth", "Group")
    first = Brand.objects.create(slug="first", name="First")
    second = Brand.objects.create(slug="second", name="Second")
    shared = HGroup.objects.create(name="Legal")
    only_second = HGroup.objects.create(name="Brand team")
    unused = HGroup.objects.create(name="Staff editors")
    HGroup.objects.create(name="Legal (second)")  # the obvious copy name is taken
    people = {name: User.objects.create(username=name) for name in ("ann", "bob", "cy")}
    Membership.objects.create(user=people["ann"], brand=first, is_approver=True)
    Membership.objects.create(user=people["bob"], brand=second, is_approver=True)
    for person in people.values():
        person.groups.add(shared)
    Step.objects.create(brand=first, order=1, name="Legal", required=1, group=shared)
    Step.objects.create(brand=second, order=1, name="Legal", required=1, group=shared)
    Step.objects.create(brand=second, order=2, name="Brand", required=1, group=only_second)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    BrandGroup = apps.get_model("accounts", "BrandGroup")
    Step = apps.get_model("policy", "ApprovalStep")
    HGroup = apps.get_model("auth", "Group")
    owners = {
        bg.group.name: bg.brand.slug for bg in BrandGroup.objects.select_related("group", "brand")
    }
    assert owners == {"Legal": "first", "Legal (second) 2": "second", "Brand team": "second"}
    assert "Staff editors" not in owners and HGroup.objects.filter(pk=unused.pk).exists()
    steps = {
        (s.brand.slug, s.name): s.group.name for s in Step.objects.select_related("brand", "group")
    }
    assert steps == {
        ("first", "Legal"): "Legal",
        ("second", "Legal"): "Legal (second) 2",
        ("second", "Brand"): "Brand team",
    }
    copy = HGroup.objects.get(name="Legal (second) 2")
    assert set(copy.user_set.values_list("username", flat=True)) == {"bob"}
    assert set(HGroup.objects.get(name="Legal").user_set.values_list("username", flat=True)) == {
        "ann",
        "bob",
        "cy",
    }
