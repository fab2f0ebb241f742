"""``manage.py inbox_bench``: refuses bad usage with exit 2, and a small run goes through the
real fetch path from the fakes (in their own processes) and prints its figures."""

from __future__ import annotations

import re

import pytest

from accounts.models import Brand
from planner.engagement.models import Message
from tests.commands import manage


@pytest.mark.parametrize(
    "argv",
    [
        ["--notifications", "1"],
        ["--channels", "1"],
        ["--runs", "1"],
        ["--small", "0"],
        ["--channels", "x"],
    ],
)
def test_bad_usage_exits_2(db, argv):
    ran = manage("inbox_bench", *argv)
    assert ran.code == 2 and ran.err


def test_a_small_run_ingests_everything_and_rolls_back(db):
    ran = manage(
        "inbox_bench", "--notifications", "200", "--channels", "4", "--small", "10", "--runs", "2"
    )
    assert ran.code == 0, ran.err
    assert re.search(
        r"Ingested 200 notifications on 4 channels in [\d.]+s: [\d,]+ items/s", ran.out
    )
    pages = re.findall(r"inbox page\s+([\d,]+)\s+[\d.]+\s+[\d.]+\s+(\d+)", ran.out)
    assert [size for size, _ in pages] == ["10", "200"]
    assert pages[0][1] == pages[1][1]  # the same queries at both sizes
    assert not Brand.objects.filter(slug__startswith="inbox-").exists()
    assert Message.objects.count() == 0
