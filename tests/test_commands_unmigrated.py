"""Every command that uses the database, run before `migrate` (a fresh clone, a new
DATABASE_URL), says so in one line and exits 2, never a traceback from its first query."""

from __future__ import annotations

import subprocess
import sys
from unittest import mock

import pytest

from tests.commands import manage
from tests.queue import stack

DATABASE_COMMANDS = [
    ("policy_lint", "demo", "hello"),
    ("policy_import", "demo", "policy.yaml"),
    ("policy_export", "demo"),
    ("policy_import_bench",),
    ("publish_due",),
    ("publish_bench", "--posts", "2"),
    ("calendar_bench",),
    ("dashboard_bench",),
    ("page_bench",),
    ("request_bench",),
    ("inbox_bench",),
    ("seed_demo",),
    ("setup_periodic_tasks",),
]


@pytest.mark.parametrize("argv", DATABASE_COMMANDS, ids=lambda a: a[0])
def test_a_command_on_a_database_not_migrated_says_so(argv):
    with mock.patch("config.commands.unapplied_migrations", return_value=["accounts.0001_initial"]):
        ran = manage(*argv)
    assert ran.code == 2
    assert "not ready" in ran.err and "python manage.py migrate" in ran.err


@pytest.mark.sqlite_only
def test_policy_lint_before_migrate_in_a_real_process(tmp_path):
    env = stack.base_env(
        DJANGO_SETTINGS_MODULE="config.settings",
        COUNTERSIGN_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    )
    ran = subprocess.run(
        [sys.executable, "manage.py", "policy_lint", "demo", "hello"],
        cwd=stack.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 2
    assert "Traceback" not in ran.stderr
    assert "migration(s) not applied" in ran.stderr
