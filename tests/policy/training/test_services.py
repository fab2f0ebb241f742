"""Training services: writing and publishing quizzes, taking them, certifications, the gate,
and the reminders. Data through the real services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditEvent, Notification, Role
from config.errors import Conflict, NotAllowed, NotFoundError
from policy import selectors as policy_selectors
from policy import services as policy_services
from policy.models import Attempt, AttemptAnswer, Certification, Choice, Question, Quiz
from policy.training import generator, selectors, services
from tests.policy.training.support import (
    manual_quiz,
    new_member,
    right_answers,
    wrong_answers,
)


def _generated_quiz(team, *, count=6, seed=5, publish=False, **extra):
    quiz = services.quiz_create(
        brand=team["brand"], actor=team["trainer"], title="From the policy", cooldown_minutes=0
    )
    services.quiz_generate(
        quiz=quiz, actor=team["trainer"], count=count, seed=seed, rule_ids=extra.get("rules")
    )
    if publish:
        services.quiz_publish(quiz=quiz, actor=team["trainer"])
    return Quiz.objects.get(pk=quiz.pk)


# --- writing quizzes -------------------------------------------------------------------------


def test_only_trainers_write_quizzes(team):
    with pytest.raises(NotAllowed, match="trainer role"):
        services.quiz_create(brand=team["brand"], actor=team["author"], title="Mine")
    assert not Quiz.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"pass_mark": 0}, "pass_mark"),
        ({"pass_mark": 101}, "pass_mark"),
        ({"pass_mark": True}, "pass_mark"),
        ({"cooldown_minutes": -1}, "cooldown_minutes"),
        ({"certifies_author": False, "certifies_approver": False}, "certifies_author"),
    ],
)
def test_quiz_settings_are_validated(team, fields, field):
    with pytest.raises(ValidationError) as exc:
        services.quiz_create(
            brand=team["brand"], actor=team["trainer"], **{"title": "Quiz", **fields}
        )
    assert field in exc.value.message_dict


def test_publishing_refuses_a_question_without_a_correct_choice(team):
    quiz = manual_quiz(team["brand"], team["trainer"], publish=False)
    question = quiz.questions.get(kind="single")
    services.question_update(
        question=question,
        actor=team["trainer"],
        prompt=question.prompt,
        kind="single",
        choices=[services.ChoiceInput("No"), services.ChoiceInput("Yes")],
    )
    with pytest.raises(services.QuizNotReady) as exc:
        services.quiz_publish(quiz=quiz, actor=team["trainer"])
    assert "Question 1 has no correct choice." in exc.value.message
    assert exc.value.details["problems"] == ["Question 1 has no correct choice."]
    assert not Quiz.objects.get(pk=quiz.pk).is_published


def test_publishing_refuses_a_single_answer_question_with_two_right_answers(team):
    quiz = manual_quiz(team["brand"], team["trainer"], publish=False)
    question = quiz.questions.get(kind="multiple")
    services.question_update(
        question=question,
        actor=team["trainer"],
        prompt=question.prompt,
        kind="single",
        choices=[services.ChoiceInput(c.text, c.is_correct, c.pk) for c in question.choices.all()],
    )
    with pytest.raises(services.QuizNotReady, match="Question 2 takes one answer but has 2"):
        services.quiz_publish(quiz=quiz, actor=team["trainer"])


def test_publishing_refuses_an_empty_quiz(team):
    quiz = services.quiz_create(brand=team["brand"], actor=team["trainer"], title="Empty")
    with pytest.raises(services.QuizNotReady, match="Add at least one question"):
        services.quiz_publish(quiz=quiz, actor=team["trainer"])


def test_questions_of_a_published_quiz_cannot_change(team, quiz):
    question = quiz.questions.first()
    with pytest.raises(Conflict, match="Unpublish"):
        services.question_delete(question=question, actor=team["trainer"])
    with pytest.raises(Conflict, match="Unpublish"):
        services.quiz_generate(quiz=quiz, actor=team["trainer"], count=2)
    services.quiz_unpublish(quiz=quiz, actor=team["trainer"])
    services.question_delete(question=question, actor=team["trainer"])
    assert list(quiz.questions.values_list("order", flat=True)) == [1]


def test_choice_ids_of_another_question_cannot_be_smuggled_into_an_edit(team, quiz):
    services.quiz_unpublish(quiz=quiz, actor=team["trainer"])
    first, second = quiz.questions.order_by("order")
    stolen = second.choices.first()
    with pytest.raises(ValidationError, match="not part of this question"):
        services.question_update(
            question=first,
            actor=team["trainer"],
            prompt="Changed",
            kind="single",
            choices=[services.ChoiceInput("Mine", True, stolen.pk), services.ChoiceInput("B")],
        )
    assert Choice.objects.get(pk=stolen.pk).question_id == second.pk
    assert Question.objects.get(pk=first.pk).prompt != "Changed"


# --- generating from the policy ----------------------------------------------------------------


def test_generated_questions_carry_the_engines_answers_and_the_policy_version(team):
    quiz = _generated_quiz(team, count=8)
    version = policy_selectors.policy_current(brand=team["brand"])
    assert quiz.policy_version == version
    questions = list(quiz.questions.prefetch_related("choices"))
    assert len(questions) == 8
    compiled = policy_selectors.policy_compiled(version)
    for q in questions:
        assert q.is_generated and q.sample_text and q.explanation
        result = compiled.lint(
            q.sample_text, channel=q.sample_channel or None, category=q.sample_category or None
        )
        blocking = {f.rule for f in result.findings if f.severity == "block"} or {generator.GO}
        assert {c.rule_id for c in q.choices.all() if c.is_correct} == blocking
    event = AuditEvent.objects.get(action="quiz.questions_generated")
    assert event.data["count"] == 8 and event.data["policy_version"] == version.number


def test_generating_from_unknown_rules_is_refused(team):
    quiz = services.quiz_create(brand=team["brand"], actor=team["trainer"], title="Q")
    with pytest.raises(ValidationError, match="nope"):
        services.quiz_generate(quiz=quiz, actor=team["trainer"], count=2, rule_ids=["nope"])
    with pytest.raises(ValidationError):
        services.quiz_generate(quiz=quiz, actor=team["trainer"], count=0)
    assert not quiz.questions.exists()


def test_publishing_rechecks_generated_answers_against_the_current_policy(team):
    quiz = _generated_quiz(team, count=4, rules=["no-politics"])
    target = quiz.questions.filter(choices__rule_id="no-politics", choices__is_correct=True)
    assert target.exists()
    # The admin drops the politics rule: those samples may now go out.
    version = policy_selectors.policy_current(brand=team["brand"])
    policy_services.policy_rule_delete(
        brand=team["brand"], actor=team["admin"], rule_id="no-politics"
    )
    with pytest.raises(services.QuizNotReady, match="disagrees with policy v") as exc:
        services.quiz_publish(quiz=quiz, actor=team["trainer"])
    assert '"it may go out"' in exc.value.message
    assert not Quiz.objects.get(pk=quiz.pk).is_published
    changed = services.quiz_refresh_answers(quiz=quiz, actor=team["trainer"])
    assert changed >= 1
    published = services.quiz_publish(quiz=quiz, actor=team["trainer"])
    assert published.is_published and published.policy_version.number == version.number + 1


def test_a_tampered_generated_answer_is_never_published(team):
    quiz = _generated_quiz(team, count=3)
    question = quiz.questions.first()
    for choice in question.choices.all():
        Choice.objects.filter(pk=choice.pk).update(is_correct=not choice.is_correct)
    with pytest.raises(services.QuizNotReady, match="Question 1 disagrees"):
        services.quiz_publish(quiz=quiz, actor=team["trainer"])


def test_editing_a_generated_sample_recomputes_its_answer(team):
    quiz = _generated_quiz(team, count=3, rules=["no-swearing"])
    question = quiz.questions.filter(choices__rule_id="no-swearing", choices__is_correct=True)[0]
    services.question_generated_update(
        question=question,
        actor=team["trainer"],
        prompt=question.prompt,
        sample_text="Nothing to see here: a clean post about kettles.",
        explanation=question.explanation,
    )
    question.refresh_from_db()
    correct = {c.rule_id for c in question.choices.all() if c.is_correct}
    assert correct == {generator.GO}
    assert question.explanation.startswith("It may go out")
    # Now two rules block it: several answers, and the missing rule is offered.
    services.question_generated_update(
        question=question,
        actor=team["trainer"],
        prompt=question.prompt,
        sample_text="Damn, Brexit.",
        explanation="My own words.",
    )
    question.refresh_from_db()
    assert {c.rule_id for c in question.choices.all() if c.is_correct} == {
        "no-swearing",
        "no-politics",
    }
    assert question.kind == Question.Kind.MULTIPLE
    assert question.explanation == "My own words."
    services.quiz_publish(quiz=quiz, actor=team["trainer"])


# --- taking a quiz ---------------------------------------------------------------------------


def test_passing_certifies_the_roles_on_the_current_policy_version(team, quiz):
    result = services.attempt_submit(quiz=quiz, user=team["author"], answers=right_answers(quiz))
    attempt = result.attempt
    assert (attempt.score, attempt.passed, attempt.correct, attempt.total) == (100, True, 2, 2)
    cert = result.certification
    assert cert.roles == ["author"]
    assert cert.policy_version == policy_selectors.policy_current(brand=team["brand"])
    assert cert.attempt == attempt and cert.quiz == quiz


def test_failing_scores_and_certifies_nothing(team, quiz):
    result = services.attempt_submit(quiz=quiz, user=team["author"], answers=wrong_answers(quiz))
    assert (result.attempt.score, result.attempt.passed) == (0, False)
    assert result.certification is None
    assert not Certification.objects.exists()
    assert AttemptAnswer.objects.filter(attempt=result.attempt, is_correct=False).count() == 2


def test_a_multiple_answer_question_needs_every_right_choice_and_no_wrong_one(team, quiz):
    multi = quiz.questions.get(kind="multiple")
    single = quiz.questions.get(kind="single")
    right = [c.pk for c in multi.choices.all() if c.is_correct]
    answers = {single.pk: [c.pk for c in single.choices.all() if c.is_correct], multi.pk: right[:1]}
    result = services.attempt_submit(quiz=quiz, user=team["author"], answers=answers)
    assert (result.attempt.correct, result.attempt.score) == (1, 50)


def test_a_question_left_out_counts_as_wrong(team, quiz):
    single = quiz.questions.get(kind="single")
    answers = {single.pk: [c.pk for c in single.choices.all() if c.is_correct]}
    result = services.attempt_submit(quiz=quiz, user=team["author"], answers=answers)
    assert (result.attempt.correct, result.attempt.total) == (1, 2)


def test_the_score_is_rounded_down_and_compared_with_the_pass_mark(team):
    quiz = manual_quiz(team["brand"], team["trainer"], pass_mark=50)
    single = quiz.questions.get(kind="single")
    answers = {single.pk: [c.pk for c in single.choices.all() if c.is_correct]}
    result = services.attempt_submit(quiz=quiz, user=team["author"], answers=answers)
    assert result.attempt.score == 50 and result.attempt.passed


def test_a_retake_within_the_cooldown_is_refused_with_when_it_opens(team):
    quiz = manual_quiz(team["brand"], team["trainer"], cooldown=90)
    now = timezone.now()
    services.attempt_submit(quiz=quiz, user=team["author"], answers=wrong_answers(quiz), now=now)
    with pytest.raises(Conflict) as exc:
        services.attempt_submit(
            quiz=quiz,
            user=team["author"],
            answers=right_answers(quiz),
            now=now + dt.timedelta(minutes=30),
        )
    assert exc.value.code == "cooldown"
    opens = (now + dt.timedelta(minutes=90)).astimezone(dt.UTC)
    assert exc.value.details["retake_at"] == opens.isoformat().replace("+00:00", "Z")
    assert Attempt.objects.count() == 1
    later = services.attempt_submit(
        quiz=quiz,
        user=team["author"],
        answers=right_answers(quiz),
        now=now + dt.timedelta(minutes=91),
    )
    assert later.attempt.passed


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([1, 2], "Send answers as an object"),
        ("1:2", "Send answers as an object"),
        ({"abc": [1]}, "'abc' is not a question id"),
        ({"1.5": [1]}, "is not a question id"),
        ({"-3": [1]}, "is not a question id"),
        ({"99999999999999999999": [1]}, "is not a question id"),
        ({"{q}": ["x"]}, "'x' is not a choice id"),
        ({"{q}": [True]}, "'True' is not a choice id"),
        ({"{q}": [{"id": 1}]}, "is not a choice id"),
        ({"{q}": [[1]]}, "is not a choice id"),
        ({"{q}": [None]}, "is not a choice id"),
    ],
)
def test_malformed_answers_are_refused_and_nothing_is_recorded(team, quiz, answers, message):
    q = quiz.questions.first().pk
    if isinstance(answers, dict):
        answers = {k.replace("{q}", str(q)): v for k, v in answers.items()}
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        services.attempt_submit(quiz=quiz, user=team["author"], answers=answers)
    assert not Attempt.objects.exists() and not AttemptAnswer.objects.exists()


def test_choices_of_another_question_or_quiz_are_refused(team, quiz):
    other = manual_quiz(team["brand"], team["trainer"], title="Other")
    single, multi = quiz.questions.get(kind="single"), quiz.questions.get(kind="multiple")
    cases = [
        ({single.pk: [multi.choices.first().pk]}, "is not an answer to question"),
        ({single.pk: [other.questions.first().choices.first().pk]}, "is not an answer"),
        ({other.questions.first().pk: [other.questions.first().choices.first().pk]}, "not part"),
        ({single.pk: [c.pk for c in single.choices.all()]}, "takes one answer, not 2"),
    ]
    for answers, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.attempt_submit(quiz=quiz, user=team["author"], answers=answers)
    assert not Attempt.objects.exists()


def test_an_unpublished_quiz_cannot_be_taken(team, quiz):
    services.quiz_unpublish(quiz=quiz, actor=team["trainer"])
    with pytest.raises(Conflict, match="not published") as exc:
        services.attempt_submit(quiz=quiz, user=team["author"], answers=right_answers(quiz))
    assert exc.value.code == "quiz_not_published"
    assert not Attempt.objects.exists()


def test_a_quiz_without_a_correct_choice_cannot_be_scored(team, quiz):
    Choice.objects.filter(question__quiz=quiz, question__kind="single").update(is_correct=False)
    with pytest.raises(services.QuizNotReady, match="no correct answer"):
        services.attempt_submit(quiz=quiz, user=team["author"], answers=wrong_answers(quiz))
    assert not Attempt.objects.exists()


def test_someone_outside_the_brand_cannot_attempt(team, quiz, make_user):
    outsider = make_user("outsider")
    with pytest.raises(NotFoundError):
        services.attempt_submit(quiz=quiz, user=outsider, answers=right_answers(quiz))
    assert not Attempt.objects.exists()


# --- certification validity and the gate -------------------------------------------------------


def _certify(team, quiz, user=None, *, when=None):
    return services.attempt_submit(
        quiz=quiz, user=user or team["author"], answers=right_answers(quiz), now=when
    ).certification


def test_the_gate_is_open_when_the_brand_does_not_require_certification(team):
    assert (
        selectors.certification_gate(user=team["author"], brand=team["brand"], role="author")
        is None
    )


def test_the_gate_links_to_the_quiz_until_the_person_passes(team, quiz):
    brand = account_services.brand_update(
        brand=team["brand"], actor=team["admin"], require_certification=True
    )
    message = selectors.certification_gate(user=team["author"], brand=brand, role="author")
    assert message == f"Pass the quiz Basics to submit posts: /b/team/training/quizzes/{quiz.pk}/"
    _certify(team, quiz)
    assert selectors.certification_gate(user=team["author"], brand=brand, role="author") is None
    # The quiz certifies authors only: approving still needs a certification.
    message = selectors.certification_gate(user=team["author"], brand=brand, role="approver")
    assert "approve posts" in message and "no quiz certifies approvers" in message
    assert "/b/team/training/" in message


def test_a_certification_lapses_after_the_validity_period(team, quiz):
    brand = account_services.brand_update(
        brand=team["brand"],
        actor=team["admin"],
        require_certification=True,
        certification_validity_days=30,
    )
    cert = _certify(team, quiz, when=timezone.now() - dt.timedelta(days=31))
    state = selectors.certification_latest_state(user=team["author"], brand=brand, role="author")
    assert state.certification == cert and not state.is_valid()
    assert state.valid_until == cert.earned_at + dt.timedelta(days=30)
    message = selectors.certification_gate(user=team["author"], brand=brand, role="author")
    assert message.startswith("Your certification lapsed on ")
    assert "certifications last 30 days" in message and f"quizzes/{quiz.pk}/" in message


def test_a_version_requiring_recertification_lapses_older_certifications(team, quiz):
    brand = account_services.brand_update(
        brand=team["brand"], actor=team["admin"], require_certification=True
    )
    _certify(team, quiz)
    current = policy_selectors.policy_current(brand=brand)
    policy_services.policy_version_create(brand=brand, rules=current.rules, actor=team["admin"])
    assert selectors.certification_gate(user=team["author"], brand=brand, role="author") is None
    newer = policy_services.policy_version_create(
        brand=brand, rules=current.rules, actor=team["admin"], requires_recertification=True
    )
    message = selectors.certification_gate(user=team["author"], brand=brand, role="author")
    assert f"policy v{newer.number} requires re-certification" in message
    # Passing again, on the new version, certifies again.
    Attempt.objects.update(submitted_at=timezone.now() - dt.timedelta(hours=1))
    cert = _certify(team, quiz)
    assert cert.policy_version == newer
    assert selectors.certification_gate(user=team["author"], brand=brand, role="author") is None


# --- reminders -------------------------------------------------------------------------------


def test_reminders_go_once_before_and_once_when_a_certification_lapses(
    team, quiz, mailoutbox, django_capture_on_commit_callbacks
):
    account_services.brand_update(
        brand=team["brand"], actor=team["admin"], certification_validity_days=30
    )
    now = timezone.now()
    _certify(team, quiz, when=now - dt.timedelta(days=25))  # lapses in 5 days

    def run(at):
        with django_capture_on_commit_callbacks(execute=True):
            return services.certification_remind_due(now=at)

    assert run(now - dt.timedelta(days=3)) == {"lapsing": 0, "lapsed": 0}  # 8 days to go
    assert run(now) == {"lapsing": 1, "lapsed": 0}
    assert run(now + dt.timedelta(hours=1)) == {"lapsing": 0, "lapsed": 0}
    assert len(mailoutbox) == 1
    assert "lapses on" in mailoutbox[0].subject and mailoutbox[0].to == ["author@example.com"]
    assert f"/b/team/training/quizzes/{quiz.pk}/" in mailoutbox[0].body
    assert run(now + dt.timedelta(days=6)) == {"lapsing": 0, "lapsed": 1}
    assert run(now + dt.timedelta(days=7)) == {"lapsing": 0, "lapsed": 0}
    assert [m.subject for m in mailoutbox][1].endswith("has lapsed")
    assert Notification.objects.filter(kind="certification.lapsed").count() == 1


def test_no_reminder_for_a_certification_renewed_since_or_a_role_given_up(
    team, quiz, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    _certify(team, quiz, when=now - dt.timedelta(days=400))  # long lapsed
    Attempt.objects.update(submitted_at=now - dt.timedelta(days=400))
    _certify(team, quiz, when=now - dt.timedelta(days=1))  # renewed
    trainer_cert = _certify(team, quiz, user=team["trainer"], when=now - dt.timedelta(days=400))
    assert trainer_cert is not None  # trainers are not authors: nothing to remind them of
    with django_capture_on_commit_callbacks(execute=True):
        assert services.certification_remind_due(now=now) == {"lapsing": 0, "lapsed": 0}
    assert mailoutbox == []


def test_the_daily_task_runs_the_reminders_and_is_declared(team, quiz):
    from planner.periodic import periodic_tasks
    from policy.training.tasks import certification_reminders

    assert certification_reminders.run() == {"lapsing": 0, "lapsed": 0}
    declared = {p.task: p for p in periodic_tasks()}
    assert declared["policy.tasks.certification_reminders"].every_seconds == 86400


def test_a_worker_finds_the_reminders_under_their_first_name():
    """Periodic-task rows name ``policy.tasks.certification_reminders``: the task moved to
    ``policy.training.tasks`` and keeps that name; Celery's autodiscovery (which imports each
    app's ``tasks`` module) registers it."""
    import os
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from config.celery import app; "
        "app.loader.import_default_modules(); "
        "print(app.tasks['policy.tasks.certification_reminders'].__module__)"
    )
    found = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
    )
    assert found.stdout.strip() == "policy.training.tasks"


# --- the dashboard's figures -------------------------------------------------------------------


def test_people_pass_rates_and_missed_questions(team, quiz, make_user):
    brand = account_services.brand_update(
        brand=team["brand"], actor=team["admin"], certification_validity_days=10
    )
    now = timezone.now()
    _certify(team, quiz, when=now - dt.timedelta(days=11))  # author: lapsed
    _certify(team, quiz, user=team["approver1"])  # approver1: certified as author only
    services.attempt_submit(quiz=quiz, user=team["approver2"], answers=wrong_answers(quiz))
    newbie = new_member(make_user, brand, team["admin"], "newbie", [Role.AUTHOR, Role.APPROVER])
    services.attempt_submit(quiz=quiz, user=newbie, answers=wrong_answers(quiz))
    fresh = new_member(make_user, brand, team["admin"], "fresh", [Role.AUTHOR])
    rows = {r.user.username: r for r in selectors.training_people(brand=brand)}
    assert rows["author"].author.status == "lapsed" and rows["author"].approver is None
    assert rows["author"].author.label == "Overdue (lapsed)"
    # The quiz certifies authors only: approvers who took it have not tried an approver quiz.
    assert rows["approver1"].approver.status == "never_tried"
    assert rows["approver2"].approver.status == "never_tried"
    assert rows[newbie.username].author.status == "not_passed"
    assert rows[newbie.username].approver.status == "never_tried"
    assert rows[fresh.username].author.status == "never_tried"
    assert rows["trainer"].statuses == []
    (stats,) = selectors.training_quiz_stats(brand=brand)
    assert (stats.attempts, stats.passes, stats.people, stats.pass_rate) == (4, 2, 4, 50)
    missed = selectors.training_missed_questions(brand=brand)
    assert [(m.missed, m.answered) for m in missed] == [(2, 4), (2, 4)]
    assert missed[0].label.startswith("Basics Q1: ")


def test_demo_seed_publishes_a_quiz_once(db):
    from planner.demo import DEMO_QUIZ_TITLE, demo_seed

    demo_seed(password="pw-for-tests-1")
    demo_seed(password="pw-for-tests-1")
    quiz = Quiz.objects.get(title=DEMO_QUIZ_TITLE)
    assert quiz.is_published and quiz.certifies == ["author", "approver"]
    sources = list(quiz.questions.values_list("source", flat=True))
    assert sources.count("manual") == 3 and sources.count("generated") == 4
    version = policy_selectors.policy_current(brand=quiz.brand)
    assert selectors.quiz_problems(quiz=quiz, version=version) == []
