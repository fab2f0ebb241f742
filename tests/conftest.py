"""Shared fixtures. Data is made through the real services."""

from __future__ import annotations

import os

import pytest
from django.db.backends.signals import connection_created

from accounts import services
from accounts.models import Role, User

IN_CI = os.environ.get("CI", "").lower() == "true"


def _audit_maintenance_marker(sender, connection, **kwargs):
    """Django's flush between transactional tests empties SQLite tables with DELETE, which the
    audit table's trigger refuses unless the connection has this TEMP marker table (see
    accounts/migrations/0006_audit_append_only_triggers.py). Test connections only."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS countersign_audit_maintenance (x)")


connection_created.connect(_audit_maintenance_marker, dispatch_uid="audit_maintenance_marker")


def require_service(available: bool, what: str) -> None:
    """Skip locally when a service is missing; fail in CI, where everything must be installed."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available", pytrace=False)
    pytest.skip(f"{what} is not available on this machine")


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (races, SKIP LOCKED) belong to the PostgreSQL pass, and the
    single-machine tests (SQLite file + SQLite broker) to the SQLite pass: each is
    deselected in the other pass, never skipped."""
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    other_pass = "sqlite_only" if on_postgres else "postgres"
    keep, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker(other_pass) else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(autouse=True)
def _forget_policy_versions():
    """Policy versions are cached per process by id; a rolled-back test's ids come back."""
    from policy.selectors import policy_cache_clear

    policy_cache_clear()
    yield


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def make(username: str | None = None, **extra) -> User:
        counter["n"] += 1
        name = username or f"user{counter['n']}"
        return User.objects.create_user(
            username=name, password="pw-for-tests-1", email=f"{name}@example.com", **extra
        )

    return make


@pytest.fixture
def make_brand(db):
    def make(slug: str = "brand", *, admin: User | None = None, **extra):
        return services.brand_create(
            slug=slug, name=extra.pop("name", slug.title()), created_by=admin, **extra
        )

    return make


@pytest.fixture
def brand_with_team(db, make_user, make_brand):
    """A brand with an outbox channel, an admin, an author, two approvers and a trainer."""
    admin = make_user("boss")
    brand = make_brand("team", admin=admin)
    channel = services.channel_create_outbox(brand=brand, handle="@team", actor=admin)
    people = {"admin": admin}
    for name, roles in {
        "author": [Role.AUTHOR],
        "approver1": [Role.APPROVER],
        "approver2": [Role.APPROVER],
        "trainer": [Role.TRAINER],
    }.items():
        people[name] = make_user(name)
        services.membership_set(brand=brand, user=people[name], roles=roles, actor=admin)
    return {"brand": brand, "channel": channel, **people}
