"""Fixtures for the policy tests come from ``tests/conftest.py`` (``brand_with_team``);
training's own are in ``tests/policy/training/conftest.py``."""
