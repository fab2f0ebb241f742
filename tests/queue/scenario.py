"""Scenario steps run in their own process (``python -m tests.queue.scenario ...``) against the
database in DATABASE_URL: set-up through the real services, and dispatchers that claim and
enqueue exactly as the periodic task does. Each step prints one JSON document.

    setup --mastodon URL [--posts N] [--slug S] [--approved-in SECONDS]
          [--due-from SECONDS --due-every SECONDS]   # the N posts fall due one by one
    dispatch [--limit L] [--until-empty] [--start-at EPOCH] [--pause S]
             [--loop-seconds D] [--stop-file PATH]
    status
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _setup(args) -> dict:
    import datetime as dt

    from django.utils import timezone

    from planner.posts import services
    from tests.planner.publishing.support import (
        approve,
        bulk_approved_posts,
        publishing_team,
    )

    team = publishing_team(instance_url=args.mastodon, slug=args.slug)
    posts = bulk_approved_posts(team, args.posts) if args.posts else []
    if posts and args.due_every:
        from planner.models import Post, Revision

        start = timezone.now() + dt.timedelta(seconds=args.due_from)
        for i, pk in enumerate(posts):
            due = start + dt.timedelta(seconds=i * args.due_every)
            Post.objects.filter(pk=pk).update(scheduled_at=due)
            Revision.objects.filter(post_id=pk).update(scheduled_at=due)
    result = {
        "brand": team["brand"].slug,
        "channel": team["channel"].pk,
        "handle": team["channel"].handle,
        "posts": posts,
        "users": {role: team[role].username for role in ("admin", "author", "approver1")},
        "password": "pw-for-tests-1",
    }
    if args.approved_in is not None:
        post = services.post_create(
            brand=team["brand"],
            actor=team["author"],
            channel=team["channel"],
            text="Our new sourdough is out of the oven. Come and taste it!",
            category="news",
            scheduled_at=timezone.now() + dt.timedelta(seconds=args.approved_in),
        )
        result["approved_post"] = approve(team, post).pk
    return result


def _dispatch(args) -> dict:
    from planner import tasks

    if args.start_at:
        time.sleep(max(0.0, args.start_at - time.time()))
    claimed: list[int] = []
    rounds = empty = 0
    started = time.monotonic()
    while True:
        rounds += 1
        result = tasks.dispatch_due(limit=args.limit)
        claimed += result["claimed"]
        empty = 0 if result["claimed"] else empty + 1
        if args.until_empty and empty >= 2:
            break
        if args.loop_seconds and time.monotonic() - started > args.loop_seconds:
            break
        if args.stop_file and os.path.exists(args.stop_file):
            break
        time.sleep(args.pause)
    return {"pid": os.getpid(), "claimed": claimed, "rounds": rounds}


def _status(args) -> dict:
    from django.db.models import Count

    from planner.models import Post

    rows = Post.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.queue.scenario")
    sub = parser.add_subparsers(dest="step", required=True)
    setup = sub.add_parser("setup")
    setup.add_argument("--mastodon", required=True)
    setup.add_argument("--posts", type=int, default=0)
    setup.add_argument("--slug", default="kitchen")
    setup.add_argument("--approved-in", type=float, default=None)
    setup.add_argument("--due-from", type=float, default=0.0)
    setup.add_argument("--due-every", type=float, default=0.0)
    dispatch = sub.add_parser("dispatch")
    dispatch.add_argument("--limit", type=int, default=500)
    dispatch.add_argument("--until-empty", action="store_true")
    dispatch.add_argument("--start-at", type=float, default=0.0)
    dispatch.add_argument("--pause", type=float, default=0.05)
    dispatch.add_argument("--loop-seconds", type=float, default=0.0)
    dispatch.add_argument("--stop-file", default="")
    sub.add_parser("status")
    args = parser.parse_args(argv)

    import django

    django.setup()
    step = {"setup": _setup, "dispatch": _dispatch, "status": _status}[args.step]
    json.dump(step(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
