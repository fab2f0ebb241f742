"""Browser journey: a trainer generates a quiz from the demo policy and publishes it; a new
author, refused at submit for want of a certification, fails the quiz, retakes and passes it,
and then submits the post that was refused."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from accounts import services as account_services
from accounts.models import Brand, Channel, Platform, Role, User
from planner.models import Post
from planner.posts import services as planner_services
from policy.models import Attempt, Certification, Quiz
from tests.e2e.conftest import sign_in

TITLE = "Policy check for new staff"


def _newcomer_with_a_draft(demo) -> tuple[User, Post]:
    admin = demo["users"]["admin"]
    brand = Brand.objects.get(slug="demo")
    newbie = User.objects.create_user(
        username="newbie", password="e2e-password", email="newbie@example.com"
    )
    account_services.membership_set(brand=brand, user=newbie, roles=[Role.AUTHOR], actor=admin)
    channel = Channel.objects.get(brand=brand, platform=Platform.OUTBOX)
    post = planner_services.post_create(
        brand=brand,
        actor=newbie,
        channel=channel,
        text="Our spring menu is live on the blog: five new ideas for weekend baking.",
        category="news",
        scheduled_at=timezone.now() + dt.timedelta(days=3),
    )
    account_services.brand_update(brand=brand, actor=admin, require_certification=True)
    return newbie, post


def _answer(page, quiz: Quiz, *, right: bool) -> None:
    for question in quiz.questions.prefetch_related("choices"):
        choices = list(question.choices.all())
        picks = (
            [c for c in choices if c.is_correct]
            if right
            else [next(c for c in choices if not c.is_correct)]
        )
        for choice in picks:
            page.locator(f"input[name='q{question.pk}'][value='{choice.pk}']").check()
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_url("**/training/attempts/*/")


def test_trainer_publishes_a_generated_quiz_and_a_new_author_earns_the_right_to_submit(
    demo, new_page
):
    newbie, post = _newcomer_with_a_draft(demo)

    # The trainer writes a quiz, generates its questions from the live policy, publishes it.
    trainer = new_page()
    sign_in(trainer, "trainer")
    trainer.get_by_role("link", name="Training").first.click()
    trainer.get_by_role("link", name="New quiz").click()
    trainer.get_by_label("Title").fill(TITLE)
    trainer.get_by_label("Pass mark (%)").fill("100")
    trainer.get_by_label("Cool-down before a retake").fill("0")
    trainer.get_by_label("Unit").select_option("minutes")
    trainer.get_by_role("button", name="Create the quiz").click()
    trainer.get_by_role("link", name="Generate questions").click()
    trainer.get_by_label("How many questions").fill("5")
    trainer.get_by_role("button", name="Generate questions").click()
    trainer.get_by_role("alert").filter(has_text="Review them before you publish").wait_for()
    assert trainer.get_by_test_id("quiz-question").count() == 5
    trainer.get_by_role("button", name="Publish", exact=True).click()
    trainer.get_by_role("alert").filter(has_text="Published: every answer agrees").wait_for()
    assert "policy v1" in trainer.get_by_role("alert").first.inner_text()
    quiz = Quiz.objects.get(title=TITLE)
    assert quiz.is_published and quiz.policy_version.number == 1
    assert quiz.questions.filter(source="generated").count() == 5

    # The new author cannot submit yet: the refusal names the quiz and where to take it.
    author = new_page()
    sign_in(author, "newbie")
    author.goto(f"/b/demo/posts/{post.pk}/")
    author.get_by_role("button", name="Submit for review").click()
    refusal = author.get_by_role("alert").filter(has_text="Refused").inner_text()
    quiz_url = f"/b/demo/training/quizzes/{quiz.pk}/"
    assert f"Pass the quiz {TITLE} to submit posts: {quiz_url}" in refusal
    assert Post.objects.get(pk=post.pk).status == "draft"

    # The quiz is among the ones they must pass.
    author.goto("/b/demo/training/")
    assert TITLE in author.get_by_test_id("my-quizzes").inner_text()

    # First try: every answer wrong. A score, and the explanation of each miss.
    author.goto(quiz_url)
    assert author.locator("fieldset legend").count() == 5
    _answer(author, quiz, right=False)
    assert re.search(r"You scored\s+0%", author.get_by_test_id("attempt-score").inner_text())
    assert author.get_by_test_id("explanation").count() == 5
    assert "not passed" in author.locator("h1").inner_text()

    # The cool-down is 0 minutes: retake at once, and pass.
    author.get_by_test_id("retake-link").click()
    author.wait_for_url(f"**{quiz_url}")
    _answer(author, quiz, right=True)
    assert re.search(r"You scored\s+100%", author.get_by_test_id("attempt-score").inner_text())
    author.get_by_test_id("certificate-link").click()
    certificate = author.get_by_test_id("certificate").inner_text()
    assert "certified as author" in certificate and "policy version v1" in certificate
    assert Attempt.objects.filter(user=newbie, quiz=quiz).count() == 2
    assert Certification.objects.get(user=newbie).roles == ["author"]

    # The post that was refused now goes to review.
    author.goto(f"/b/demo/posts/{post.pk}/")
    author.get_by_role("button", name="Submit for review").click()
    author.get_by_role("alert").filter(has_text="Submitted for review").wait_for()
    assert Post.objects.get(pk=post.pk).status == "in_review"
