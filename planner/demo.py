"""Demo data: brands `demo` and `acme`, their people, channels, policy and posts.

Idempotent: running it again changes nothing that is already there.
"""

from __future__ import annotations

from django.db import transaction

from accounts import services as account_services
from accounts.models import Brand, Channel, Platform, Role, User

DEMO_USERS = {
    # username: (first name, roles in demo)
    "author": ("Alex Author", [Role.AUTHOR]),
    "approver1": ("Ada Approver", [Role.APPROVER]),
    "approver2": ("Bo Approver", [Role.APPROVER]),
    "trainer": ("Tess Trainer", [Role.TRAINER]),
    "admin": ("Ari Admin", [Role.ADMIN, Role.APPROVER]),
}


def _user(username: str, *, full_name: str, password: str, staff: bool = False) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com"}
    )
    first, _, last = full_name.partition(" ")
    user.first_name, user.last_name = first, last
    user.is_staff = user.is_superuser = staff
    user.set_password(password)
    user.save()
    return user


def _brand(slug: str, *, name: str, colour: str, timezone_name: str) -> Brand:
    brand = Brand.objects.filter(slug=slug).first()
    if brand is None:
        brand = account_services.brand_create(
            slug=slug, name=name, colour=colour, timezone_name=timezone_name, created_by=None
        )
    return brand


def _outbox(brand: Brand, handle: str) -> Channel:
    channel = Channel.objects.filter(brand=brand, platform=Platform.OUTBOX).first()
    if channel is None:
        channel = account_services.channel_create_outbox(brand=brand, handle=handle, actor=None)
    return channel


@transaction.atomic
def demo_seed(*, password: str) -> dict:
    demo = _brand("demo", name="Demo Kitchen Co.", colour="#c2185b", timezone_name="Europe/London")
    acme = _brand("acme", name="Acme Motors", colour="#1565c0", timezone_name="America/Detroit")
    _outbox(demo, "@demokitchen")
    _outbox(acme, "@acmemotors")
    users = {}
    for username, (full_name, roles) in DEMO_USERS.items():
        user = _user(username, full_name=full_name, password=password, staff=username == "admin")
        account_services.membership_set(brand=demo, user=user, roles=roles, actor=None)
        users[username] = user
    acme_author = _user("acme_author", full_name="Casey Acme", password=password)
    account_services.membership_set(brand=acme, user=acme_author, roles=[Role.AUTHOR], actor=None)
    account_services.membership_set(
        brand=acme, user=users["admin"], roles=[Role.ADMIN], actor=None
    )
    return {"brands": [demo, acme], "users": users}
