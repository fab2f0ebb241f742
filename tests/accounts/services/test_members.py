"""Members' groups (e.g. Legal): each belongs to one brand, only its members are put in it,
and its admins never see another brand's groups or the installation's staff groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from accounts import selectors, services
from accounts.models import AuditEvent, BrandGroup, Role
from config.errors import Conflict, NotAllowed


@pytest.fixture
def other(make_brand, make_user):
    admin = make_user("other-admin")
    return {"brand": make_brand("other", admin=admin), "admin": admin}


def test_a_brand_lists_only_its_own_groups(brand_with_team, other):
    brand = brand_with_team["brand"]
    legal = services.brand_group_create(brand=brand, name="Legal", actor=brand_with_team["admin"])
    services.brand_group_create(brand=other["brand"], name="Other legal", actor=other["admin"])
    Group.objects.create(name="Staff editors")  # the installation's, no brand's
    assert list(selectors.brand_groups(brand=brand)) == [legal]
    assert BrandGroup.objects.get(group=legal).brand == brand
    assert AuditEvent.objects.filter(action="group.created", brand=brand).count() == 1


def test_only_a_brand_admin_makes_its_groups_and_names_are_unique(brand_with_team, other):
    brand = brand_with_team["brand"]
    with pytest.raises(NotAllowed):
        services.brand_group_create(brand=brand, name="Legal", actor=other["admin"])
    with pytest.raises(NotAllowed):
        services.brand_group_create(brand=brand, name="Legal", actor=brand_with_team["author"])
    services.brand_group_create(brand=brand, name="Legal", actor=brand_with_team["admin"])
    with pytest.raises(Conflict):
        services.brand_group_create(brand=other["brand"], name="Legal", actor=other["admin"])
    for bad in ("", "   ", "x" * 151, "Le\ngal"):
        with pytest.raises(ValidationError):
            services.brand_group_create(brand=brand, name=bad, actor=brand_with_team["admin"])
    assert list(selectors.brand_groups(brand=other["brand"])) == []


def test_only_members_of_the_brand_are_put_in_its_group(brand_with_team, other, make_user):
    brand, admin = brand_with_team["brand"], brand_with_team["admin"]
    legal = services.brand_group_create(brand=brand, name="Legal", actor=admin)
    outsider = make_user("outsider")
    with pytest.raises(ValidationError, match="not a member of the brand"):
        services.brand_group_member_add(group=legal, user=outsider, actor=admin)
    with pytest.raises(NotAllowed):
        services.brand_group_member_add(
            group=legal, user=brand_with_team["approver1"], actor=other["admin"]
        )
    assert not outsider.groups.exists()
    services.brand_group_member_add(group=legal, user=brand_with_team["approver1"], actor=admin)
    assert list(brand_with_team["approver1"].groups.all()) == [legal]
    assert AuditEvent.objects.filter(action="group.member_added", brand=brand).count() == 1
    services.brand_group_member_remove(group=legal, user=brand_with_team["approver1"], actor=admin)
    assert not brand_with_team["approver1"].groups.exists()
    staff = Group.objects.create(name="Staff editors")
    with pytest.raises(ValidationError, match="not a brand's group"):
        services.brand_group_member_add(group=staff, user=outsider, actor=None)


def test_leaving_a_brand_leaves_its_groups_only(brand_with_team, other):
    brand, admin = brand_with_team["brand"], brand_with_team["admin"]
    person = brand_with_team["approver1"]
    services.membership_set(brand=other["brand"], user=person, roles=[Role.APPROVER], actor=None)
    legal = services.brand_group_create(brand=brand, name="Legal", actor=admin)
    theirs = services.brand_group_create(brand=other["brand"], name="Their legal", actor=None)
    staff = Group.objects.create(name="Staff editors")
    services.brand_group_member_add(group=legal, user=person, actor=admin)
    services.brand_group_member_add(group=theirs, user=person, actor=None)
    person.groups.add(staff)
    services.membership_remove(brand=brand, user=person, actor=admin)
    assert set(person.groups.all()) == {theirs, staff}


def test_the_admin_puts_only_brand_members_in_a_brands_group(
    admin_client, brand_with_team, make_user
):
    client = admin_client
    legal = services.brand_group_create(brand=brand_with_team["brand"], name="Legal", actor=None)
    outsider = make_user("outsider")
    url = f"/admin/accounts/user/{outsider.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "groups"}
    data.update(
        {
            "username": outsider.username,
            "date_joined_0": "2024-01-01",
            "date_joined_1": "00:00:00",
            "groups": [legal.pk],
            "user_permissions": [],
        }
    )
    data.pop("last_login", None)
    data.pop("date_joined", None)
    data.pop("password", None)
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the refusal
    assert "not a member of the brand" in response.content.decode()
    assert not outsider.groups.exists()
    member = brand_with_team["approver1"]
    data["username"] = member.username
    response = client.post(f"/admin/accounts/user/{member.pk}/change/", data)
    assert response.status_code == 302
    assert list(member.groups.all()) == [legal]


def test_the_admin_shows_a_groups_brand(admin_client, brand_with_team):
    client = admin_client
    legal = services.brand_group_create(brand=brand_with_team["brand"], name="Legal", actor=None)
    listing = client.get("/admin/auth/group/").content.decode()
    assert "Legal" in listing and brand_with_team["brand"].name in listing
    assert client.get(f"/admin/auth/group/{legal.pk}/change/").status_code == 200
