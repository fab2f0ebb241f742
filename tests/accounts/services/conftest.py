"""Fixtures shared by the accounts services tests: a superuser in Django admin (which saves
through the same services)."""

from __future__ import annotations

import pytest


@pytest.fixture
def staff(make_user):
    return make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client
