"""Publishing tests: dispatch, send, reconcile, the send-time checks, pause and release.

The shared publishing fixtures (``offline_publishing``, ``mastodon``, ``pub``) are in
tests/planner/conftest.py: the command tests use them too. Helpers are in ``support.py``.
"""
