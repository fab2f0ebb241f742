"""Fixtures for the accounts tests come from ``tests/conftest.py`` (``make_user``,
``make_brand``, ``brand_with_team``); the services tests' own are in ``services/conftest.py``."""
