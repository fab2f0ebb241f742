"""Review tests: submit, approve, reject, the inbox and the approval rules.

They use the planner's shared fixtures (``team``, ``other``, ``make_post``, ``api``) from
tests/planner/conftest.py; nothing here is copied from it.
"""
