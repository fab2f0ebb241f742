import datetime as dt

from planner.strategy.mix import Target, worst_window

T = Target(category="promotional", max_percent=20, window_days=14)
NOW = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def days(n):
    return NOW + dt.timedelta(days=n)


def test_a_promotional_post_among_enough_others_is_fine():
    others = [(days(-i), "engagement") for i in range(1, 5)]
    assert worst_window(NOW, "promotional", others, T) is None  # 1 of 5 = 20%


def test_one_more_promotional_post_pushes_the_channel_over():
    others = [(days(-i), "engagement") for i in range(1, 5)] + [(days(-6), "promotional")]
    over = worst_window(NOW, "promotional", others, T)
    assert over is not None
    assert (over.count, over.total, over.max_percent) == (2, 6, 20)
    assert over.percent == 33


def test_the_windows_of_later_posts_count_too_not_only_the_one_ending_at_the_post():
    # Plenty of engagement posts 10 days before: fine up to the post (1 of 9). The window
    # ending at the promotional post planned after it drops those old posts: 2 of 2.
    others = [(days(-10 + i * 0.1), "engagement") for i in range(8)]
    others += [(days(5), "promotional"), (days(5.5), "engagement"), (days(6), "promotional")]
    over = worst_window(NOW, "promotional", others, T)
    assert over is not None and (over.count, over.total) == (2, 2)
    assert over.end == days(5)


def test_posts_outside_every_window_do_not_count():
    others = [(days(-20), "promotional"), (days(20), "promotional")]
    others += [(days(-1), "engagement")] * 4
    assert worst_window(NOW, "promotional", others, T) is None


def test_other_categories_are_not_checked_against_this_target():
    assert worst_window(NOW, "engagement", [(days(-1), "promotional")], T) is None
