"""The lifecycle module owns status: moves as data, one transition(), typed refusals, audit."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from accounts.models import AuditEvent
from config.errors import Conflict, NotFoundError
from planner import lifecycle
from planner.models import Post, Status


def test_every_status_is_known_to_the_machine():
    states = {frm for frm, _ in lifecycle.TRANSITIONS} | {to for _, to in lifecycle.TRANSITIONS}
    assert states == set(Status)
    assert set(lifecycle.BADGE) == set(Status)
    # Final states have no way out.
    assert not any(frm in lifecycle.FINAL for frm, _ in lifecycle.TRANSITIONS)


def test_new_posts_are_drafts(make_post):
    assert make_post().status == Status.DRAFT


def test_transition_moves_locks_and_audits(team, make_post):
    post = make_post()
    moved = lifecycle.transition(post.pk, to=Status.IN_REVIEW, actor=team["author"])
    assert moved.status == Status.IN_REVIEW
    event = AuditEvent.objects.get(action="post.submit")
    assert event.actor == team["author"]
    assert event.data["from"] == "draft" and event.data["to"] == "in_review"
    assert event.data["content_hash"] == post.content_hash


def test_refused_moves_raise_a_typed_conflict(team, make_post):
    post = make_post()
    with pytest.raises(lifecycle.TransitionRefused) as exc:
        lifecycle.transition(post.pk, to=Status.PUBLISHED, actor=team["author"])
    assert isinstance(exc.value, Conflict) and exc.value.status_code == 409
    assert "draft to published" in exc.value.message
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.transition(post.pk, to="bogus", actor=team["author"])
    post.refresh_from_db()
    assert post.status == Status.DRAFT
    assert (
        not AuditEvent.objects.filter(action__startswith="post.")
        .exclude(action="post.created")
        .exists()
    )


def test_a_guard_can_refuse_under_the_lock(team, make_post):
    post = make_post()

    def guard(locked):
        assert locked.pk == post.pk
        raise lifecycle.TransitionRefused("Not today.")

    with pytest.raises(lifecycle.TransitionRefused, match="Not today"):
        lifecycle.transition(post.pk, to=Status.IN_REVIEW, actor=team["author"], guard=guard)
    post.refresh_from_db()
    assert post.status == Status.DRAFT


def test_held_posts_keep_the_reason(team, make_post):
    post = make_post()
    Post.objects.filter(pk=post.pk).update(status=Status.APPROVED)  # set up the state only
    held = lifecycle.transition(
        post.pk, to=Status.HELD, actor=None, reason="Channel credential changed identity"
    )
    assert held.held_reason == "Channel credential changed identity"
    again = lifecycle.transition(post.pk, to=Status.APPROVED, actor=team["admin"])
    assert again.held_reason == ""


def test_missing_post_is_not_found(team):
    with pytest.raises(NotFoundError):
        lifecycle.transition(999_999, to=Status.IN_REVIEW, actor=team["author"])


def test_the_database_refuses_unknown_statuses(make_post):
    post = make_post()
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(pk=post.pk).update(status="scheduled-ish")


def test_nothing_outside_lifecycle_assigns_status():
    """A guard against drift: only lifecycle.py writes `.status =` in the planner."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "planner"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "lifecycle.py"
        and "migrations" not in path.parts
        and re.search(r"\.status\s*=(?!=)", path.read_text())
    ]
    assert offenders == []


_WRITES = {"update", "create", "bulk_create", "update_or_create", "get_or_create"}


def _writes_status(node, name, keywords) -> bool:
    import ast

    def has_status(items) -> bool:
        return any(isinstance(e, ast.Constant) and e.value == "status" for e in items)

    if "status" in keywords and (name in _WRITES or name in {"Post", "Delivery"}):
        return True
    if name in {"update_or_create", "get_or_create"}:
        dicts = [k.value for k in node.keywords if isinstance(k.value, ast.Dict)]
        return any(has_status(d.keys) for d in dicts)
    if name == "bulk_update":
        values = [*node.args, *(k.value for k in node.keywords)]
        return any(isinstance(v, ast.List | ast.Tuple) and has_status(v.elts) for v in values)
    return False


def _status_writes(source: str) -> list[int]:
    """Lines that write a status in bulk or on creation: ``.update(status=...)``,
    ``.create(status=...)``, ``Post(status=...)`` (as handed to ``bulk_create``), ``defaults=
    {"status": ...}`` and ``bulk_update(..., ["status"])``."""
    import ast

    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        keywords = {k.arg for k in node.keywords}
        if _writes_status(node, name, keywords):
            lines.append(node.lineno)
    return lines


def test_the_status_guard_sees_bulk_and_creating_writes():
    assert _status_writes("Post.objects.filter(pk=1).update(status='held')") == [1]
    assert _status_writes("Post.objects.bulk_create([Post(text='x', status='approved')])") == [1]
    assert _status_writes("Post.objects.bulk_update(posts, ['status', 'text'])") == [1]
    assert _status_writes("Post.objects.update_or_create(pk=1, defaults={'status': 'x'})") == [1]
    assert _status_writes("Post.objects.create(text='x', status='held')") == [1]
    assert _status_writes("Post.objects.filter(status='held').update(text='x')") == []
    assert _status_writes("render(request, 'x.html', status=400)") == []


def test_nothing_outside_lifecycle_writes_status_in_bulk_or_on_creation():
    """The same guard for the writes ``.status =`` does not catch: bulk creates and bulk
    updates. Only lifecycle.py (the dispatcher's claim) may."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "planner"
    offenders = [
        f"{path.relative_to(root)}:{line}"
        for path in root.rglob("*.py")
        if path.name != "lifecycle.py" and "migrations" not in path.parts
        for line in _status_writes(path.read_text())
    ]
    assert offenders == []
