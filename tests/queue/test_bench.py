"""``manage.py publish_bench`` runs end to end (a few posts) and cleans up its posts."""

from __future__ import annotations

import sqlite3

import pytest

from tests.queue import stack

pytestmark = pytest.mark.queue


@pytest.mark.sqlite_only
def test_publish_bench_reports_both_rates_and_deletes_its_brand(tmp_path):
    db = tmp_path / "bench.sqlite3"
    env = stack.base_env(
        DATABASE_URL=f"sqlite:///{db}",
        CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        COUNTERSIGN_VAR_DIR=str(tmp_path / "var"),
    )
    stack.manage("migrate", "--no-input", "-v", "0", env=env)
    out = stack.manage(
        "publish_bench", "--posts", "30", "--workers", "1", "--concurrency", "2", env=env
    )
    assert "plain loop of the same POSTs" in out and "Countersign (claim" in out
    assert "posts/s" in out and "ratio" in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM planner_post").fetchone() == (0,)
        # The brand keeps its append-only audit trail; its people are deactivated.
        assert conn.execute("SELECT count(*) FROM accounts_brand").fetchone() == (1,)
        assert conn.execute(
            "SELECT count(*) FROM accounts_user WHERE is_active AND username LIKE 'bench%'"
        ).fetchone() == (0,)
