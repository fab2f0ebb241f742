"""Browser journey: the author composes and submits, two approvers approve in their own
browsers (one from the inbox, one from the post page), the post shows approved; then an edit
of the approved post sends it back to review with the approvals dismissed."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Brand, Notification
from planner.models import Approval, Post, Status
from tests.e2e.conftest import sign_in


def status(page) -> str:
    return page.get_by_test_id("status-badge").first.text_content().strip()


def test_author_submits_two_approvers_approve_an_edit_sends_it_back(demo, new_page):
    brand = Brand.objects.get(slug="demo")
    when = (dt.datetime.now(brand.tz) + dt.timedelta(days=9)).replace(hour=11, minute=30)
    text = "Journey: our new kettle boils in ninety seconds."
    # Start from a clean notification list (the demo data notifies people too).
    Notification.objects.update(read_at=timezone.now())

    author = new_page()
    sign_in(author, "author")
    author.goto("/b/demo/compose/")
    author.get_by_label("@demokitchen (Local outbox (demo))").check()
    author.get_by_label("Post text").fill(text)
    author.get_by_label("Scheduled time (Europe/London)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    author.get_by_role("button", name="Save drafts").click()
    author.wait_for_url("**/b/demo/posts/*/")
    post = Post.objects.get(text=text)
    assert "Posting as" in author.content()
    with author.expect_navigation(url=f"**/b/demo/posts/{post.pk}/"):
        author.get_by_role("button", name="Submit for review").click()
    assert status(author) == "In review"
    assert "2 more approvals needed" in author.get_by_test_id("approval-progress").inner_text()

    # approver1, in a browser of their own, approves from the inbox.
    first = new_page()
    sign_in(first, "approver1")
    first.goto("/b/demo/inbox/")
    item = first.locator(f"[data-testid=inbox-item][data-post-id='{post.pk}']")
    assert text in item.get_by_test_id("inbox-text").inner_text()
    assert "@demokitchen" in item.get_by_test_id("identity-chip").inner_text()
    assert "New to you" in item.get_by_test_id("inbox-changes").inner_text()
    item.get_by_role("button", name="Approve this version").click()
    first.wait_for_url(f"**/b/demo/posts/{post.pk}/")
    assert "Approved this version." in first.content()
    assert first.get_by_test_id("approval").count() == 1

    # approver2, in a third browser, approves from the post page.
    second = new_page()
    sign_in(second, "approver2")
    second.goto(f"/b/demo/posts/{post.pk}/")
    with second.expect_navigation(url=f"**/b/demo/posts/{post.pk}/"):
        second.get_by_role("button", name="Approve this version").click()
    assert status(second) == "Approved"

    author.reload()
    assert status(author) == "Approved"
    assert author.get_by_test_id("approval").count() == 2
    assert "enough approvals" in author.get_by_test_id("approval-progress").inner_text()
    assert author.get_by_test_id("unread-count").inner_text().startswith("1")

    # The author edits the approved post: back to review, both approvals dismissed.
    author.goto(f"/b/demo/posts/{post.pk}/edit/")
    author.get_by_label("Post text").fill(text + " Now in blue.")
    author.get_by_role("button", name="Save changes").click()
    author.wait_for_url(f"**/b/demo/posts/{post.pk}/")
    assert status(author) == "In review"
    assert author.get_by_test_id("approval-dismissed").count() == 2
    assert author.get_by_test_id("approval").count() == 0
    timeline = author.get_by_test_id("timeline").inner_text()
    assert "Approvals dismissed" in timeline and "Approved → In review" in timeline

    # approver1 sees it again, with what changed since they approved.
    first.goto("/b/demo/inbox/")
    changes = first.locator(f"[data-testid=inbox-item][data-post-id='{post.pk}']").get_by_test_id(
        "inbox-changes"
    )
    assert "What changed since you last looked" in changes.inner_text()
    assert "blue" in changes.get_by_test_id("inbox-diff").inner_text()

    post.refresh_from_db()
    assert post.status == Status.IN_REVIEW
    assert not Approval.objects.filter(post=post, dismissed_at__isnull=True).exists()
