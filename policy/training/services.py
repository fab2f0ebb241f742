"""Writes for training: quizzes, questions (written or generated from the live policy),
attempts, certifications and their reminders."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Membership, User
from accounts.services import audit_record, notify
from config.errors import Conflict, DomainError, NotFoundError
from policy import selectors as policy_selectors
from policy.models import (
    Attempt,
    AttemptAnswer,
    Certification,
    Choice,
    PolicyVersion,
    Question,
    Quiz,
)
from policy.services import policy_ensure
from policy.training import generator, selectors

MAX_QUESTIONS = 100
MAX_CHOICES = 10
MAX_GENERATE = 30
MAX_COOLDOWN_MINUTES = 60 * 24 * 90
REMINDER_DAYS = 7


class QuizNotReady(DomainError):
    """The quiz cannot be published (or taken) as it is; ``problems`` lists why."""

    status_code = 400
    code = "quiz_not_ready"


def _require_trainer(actor: User | None, brand: Brand) -> None:
    if actor is not None:  # None: the system (seed_demo), never a request
        permissions.require(actor, permissions.Action.TRAIN, brand)


def _lock_quiz(quiz: Quiz) -> Quiz:
    return Quiz.objects.select_for_update().select_related("brand").get(pk=quiz.pk)


def _require_draft(quiz: Quiz) -> None:
    if quiz.is_published:
        raise Conflict(
            "Unpublish the quiz before changing its questions: people may be taking it.",
            code="quiz_published",
        )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_quiz_fields(fields: dict) -> dict:
    errors: dict[str, str] = {}
    out = dict(fields)
    if "title" in out:
        out["title"] = str(out["title"] or "").strip()
        if not out["title"]:
            errors["title"] = "Give the quiz a title."
        elif len(out["title"]) > 200:
            errors["title"] = "Keep the title under 200 characters."
    if "description" in out:
        out["description"] = str(out["description"] or "").strip()[:2000]
    if "pass_mark" in out and not (_is_int(out["pass_mark"]) and 1 <= out["pass_mark"] <= 100):
        errors["pass_mark"] = "The pass mark is a percentage from 1 to 100."  # noqa: S105
    if "cooldown_minutes" in out and not (
        _is_int(out["cooldown_minutes"]) and 0 <= out["cooldown_minutes"] <= MAX_COOLDOWN_MINUTES
    ):
        errors["cooldown_minutes"] = "The cool-down is from 0 minutes to 90 days."
    for key in ("certifies_author", "certifies_approver"):
        if key in out:
            out[key] = bool(out[key])
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def quiz_create(
    *,
    brand: Brand,
    actor: User | None,
    title: str,
    pass_mark: int = 80,
    cooldown_minutes: int = 60,
    certifies_author: bool = True,
    certifies_approver: bool = False,
    description: str = "",
) -> Quiz:
    """A new draft quiz. Questions are added (or generated) before it is published."""
    _require_trainer(actor, brand)
    fields = _clean_quiz_fields(
        {
            "title": title,
            "description": description,
            "pass_mark": pass_mark,
            "cooldown_minutes": cooldown_minutes,
            "certifies_author": certifies_author,
            "certifies_approver": certifies_approver,
        }
    )
    if not (fields["certifies_author"] or fields["certifies_approver"]):
        raise ValidationError({"certifies_author": "Choose at least one role the quiz certifies."})
    quiz = Quiz(brand=brand, created_by=actor, **fields)
    quiz.full_clean()
    quiz.save()
    audit_record(action="quiz.created", actor=actor, brand=brand, obj=quiz, message=quiz.title)
    return quiz


QUIZ_FIELDS = {
    "title",
    "description",
    "pass_mark",
    "cooldown_minutes",
    "certifies_author",
    "certifies_approver",
}


@transaction.atomic
def quiz_update(*, quiz: Quiz, actor: User | None, **fields) -> Quiz:
    """Change a quiz's settings (allowed on a published quiz: questions stay as they are)."""
    _require_trainer(actor, quiz.brand)
    unknown = set(fields) - QUIZ_FIELDS
    if unknown:
        raise ValidationError(f"Unknown quiz fields: {', '.join(sorted(unknown))}")
    fields = _clean_quiz_fields(fields)
    quiz = _lock_quiz(quiz)
    changes = {}
    for key, value in fields.items():
        if getattr(quiz, key) != value:
            changes[key] = [str(getattr(quiz, key)), str(value)]
            setattr(quiz, key, value)
    if not (quiz.certifies_author or quiz.certifies_approver):
        raise ValidationError({"certifies_author": "Choose at least one role the quiz certifies."})
    quiz.full_clean()
    quiz.save()
    if changes:
        audit_record(action="quiz.updated", actor=actor, brand=quiz.brand, obj=quiz, data=changes)
    return quiz


@dataclass(frozen=True)
class ChoiceInput:
    """One choice of a hand-written question; ``id`` names an existing choice to keep."""

    text: str
    is_correct: bool = False
    id: int | None = None


def _clean_question(*, prompt, kind, explanation, sample_text, choices) -> list[ChoiceInput]:
    errors: dict[str, list[str]] = {}
    if not str(prompt or "").strip():
        errors.setdefault("prompt", []).append("Write the question.")
    elif len(str(prompt)) > 1000:
        errors.setdefault("prompt", []).append("Keep the question under 1,000 characters.")
    if kind not in Question.Kind.values:
        errors.setdefault("kind", []).append("Choose one answer or several answers.")
    if len(str(explanation or "")) > 3000:
        errors.setdefault("explanation", []).append("Keep the explanation under 3,000 characters.")
    if len(str(sample_text or "")) > 5000:
        errors.setdefault("sample_text", []).append("Keep the sample post under 5,000 characters.")
    cleaned = [
        ChoiceInput(str(c.text).strip()[:500], bool(c.is_correct), c.id)
        for c in choices
        if str(c.text or "").strip()
    ]
    if len(cleaned) < 2:
        errors.setdefault("__all__", []).append("Give at least two choices.")
    elif len(cleaned) > MAX_CHOICES:
        errors.setdefault("__all__", []).append(f"Give at most {MAX_CHOICES} choices.")
    texts = [c.text.casefold() for c in cleaned]
    if len(set(texts)) != len(texts):
        errors.setdefault("__all__", []).append("Two choices say the same thing.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _next_order(quiz: Quiz) -> int:
    return (quiz.questions.aggregate(top=Max("order"))["top"] or 0) + 1


def _check_room(quiz: Quiz, adding: int) -> None:
    if quiz.questions.count() + adding > MAX_QUESTIONS:
        raise ValidationError(f"A quiz has at most {MAX_QUESTIONS} questions.")


@transaction.atomic
def question_create(
    *,
    quiz: Quiz,
    actor: User | None,
    prompt: str,
    kind: str,
    choices: list[ChoiceInput],
    explanation: str = "",
    sample_text: str = "",
) -> Question:
    """A hand-written question on a draft quiz."""
    _require_trainer(actor, quiz.brand)
    quiz = _lock_quiz(quiz)
    _require_draft(quiz)
    choices = _clean_question(
        prompt=prompt,
        kind=kind,
        explanation=explanation,
        sample_text=sample_text,
        choices=choices,
    )
    _check_room(quiz, 1)
    question = Question.objects.create(
        quiz=quiz,
        order=_next_order(quiz),
        kind=kind,
        source=Question.Source.MANUAL,
        prompt=str(prompt).strip(),
        sample_text=str(sample_text or "").strip(),
        explanation=str(explanation or "").strip(),
    )
    Choice.objects.bulk_create(
        Choice(question=question, order=i, text=c.text, is_correct=c.is_correct)
        for i, c in enumerate(choices, start=1)
    )
    audit_record(
        action="quiz.question_added",
        actor=actor,
        brand=quiz.brand,
        obj=quiz,
        data={"id": question.pk},
    )
    return question


@transaction.atomic
def question_update(
    *,
    question: Question,
    actor: User | None,
    prompt: str,
    kind: str,
    choices: list[ChoiceInput],
    explanation: str = "",
    sample_text: str = "",
) -> Question:
    """Change a hand-written question and its choices (kept by id, added, or removed)."""
    _require_trainer(actor, question.quiz.brand)
    quiz = _lock_quiz(question.quiz)
    _require_draft(quiz)
    question = Question.objects.select_for_update().get(pk=question.pk, quiz=quiz)
    if question.is_generated:
        raise Conflict(
            "A generated question's answer comes from the policy: edit its sample post instead.",
            code="generated_question",
        )
    choices = _clean_question(
        prompt=prompt,
        kind=kind,
        explanation=explanation,
        sample_text=sample_text,
        choices=choices,
    )
    existing = {c.pk: c for c in question.choices.all()}
    unknown = [c.id for c in choices if c.id is not None and c.id not in existing]
    if unknown:
        raise ValidationError("Those choices are not part of this question.")
    question.prompt = str(prompt).strip()
    question.kind = kind
    question.explanation = str(explanation or "").strip()
    question.sample_text = str(sample_text or "").strip()
    question.save()
    keep = {c.id for c in choices if c.id is not None}
    question.choices.exclude(pk__in=keep).delete()
    for order, item in enumerate(choices, start=1):
        if item.id is not None:
            choice = existing[item.id]
            choice.order, choice.text, choice.is_correct = order, item.text, item.is_correct
            choice.save(update_fields=["order", "text", "is_correct"])
        else:
            Choice.objects.create(
                question=question, order=order, text=item.text, is_correct=item.is_correct
            )
    audit_record(
        action="quiz.question_changed",
        actor=actor,
        brand=quiz.brand,
        obj=quiz,
        data={"id": question.pk},
    )
    return question


@transaction.atomic
def question_delete(*, question: Question, actor: User | None) -> None:
    _require_trainer(actor, question.quiz.brand)
    quiz = _lock_quiz(question.quiz)
    _require_draft(quiz)
    deleted, _ = Question.objects.filter(pk=question.pk, quiz=quiz).delete()
    if not deleted:
        raise NotFoundError("No such question.")
    for order, q in enumerate(quiz.questions.order_by("order", "id"), start=1):
        if q.order != order:
            Question.objects.filter(pk=q.pk).update(order=order)
    audit_record(
        action="quiz.question_removed",
        actor=actor,
        brand=quiz.brand,
        obj=quiz,
        data={"id": question.pk},
    )


def _version_label(version: PolicyVersion) -> str:
    return f"v{version.number}"


def _enabled_rules(version: PolicyVersion) -> dict[str, dict]:
    return {r["id"]: r for r in version.rules if r.get("enabled", True)}


@transaction.atomic
def quiz_generate(
    *,
    quiz: Quiz,
    actor: User | None,
    count: int,
    rule_ids: list[str] | None = None,
    seed: int | None = None,
) -> list[Question]:
    """Add up to ``count`` questions generated from the brand's current policy (or only the
    rules in ``rule_ids``). Each answer is the policy engine's verdict on the sample post."""
    _require_trainer(actor, quiz.brand)
    quiz = _lock_quiz(quiz)
    _require_draft(quiz)
    if not _is_int(count) or not 1 <= count <= MAX_GENERATE:
        raise ValidationError({"count": f"Generate from 1 to {MAX_GENERATE} questions at a time."})
    _check_room(quiz, count)
    version = policy_ensure(brand=quiz.brand)
    rule_ids = _chosen_rule_ids(rule_ids, version=version)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    made = generator.generate(
        # with the brand's vocabulary and active moments, so questions cover them too
        policy_selectors.policy_linter(version, brand=quiz.brand),
        count=count,
        seed=seed,
        rule_ids=rule_ids,
        version_label=_version_label(version),
    )
    if not made:
        raise ValidationError("No questions could be made from those rules.")
    questions = _generated_questions_save(quiz, made)
    quiz.policy_version = version
    quiz.save(update_fields=["policy_version", "updated_at"])
    audit_record(
        action="quiz.questions_generated",
        actor=actor,
        brand=quiz.brand,
        obj=quiz,
        message=f"{len(questions)} questions from policy v{version.number}",
        data={"count": len(questions), "seed": seed, "policy_version": version.number},
    )
    return questions


def _chosen_rule_ids(rule_ids: list[str] | None, *, version: PolicyVersion) -> list[str] | None:
    """The rules to generate from: all (None), or those chosen, each an enabled rule of the
    version."""
    if rule_ids is None:
        return None
    rules = _enabled_rules(version)
    rule_ids = [str(r) for r in rule_ids]
    unknown = sorted(set(rule_ids) - set(rules))
    if unknown:
        raise ValidationError(
            {"rules": f"Not rules of policy v{version.number}: {', '.join(unknown)}."}
        )
    if not rule_ids:
        raise ValidationError({"rules": "Choose at least one rule."})
    return rule_ids


def _generated_questions_save(quiz: Quiz, made: list) -> list[Question]:
    """Store the generated questions and their choices after the quiz's last question."""
    order = _next_order(quiz)
    questions = []
    for offset, item in enumerate(made):
        question = Question.objects.create(
            quiz=quiz,
            order=order + offset,
            kind=Question.Kind.MULTIPLE if item.multiple else Question.Kind.SINGLE,
            source=Question.Source.GENERATED,
            prompt=item.prompt,
            sample_text=item.sample_text,
            sample_channel=item.channel,
            sample_category=item.category,
            technique=item.technique,
            explanation=item.explanation,
        )
        Choice.objects.bulk_create(
            Choice(
                question=question,
                order=i,
                text=c.text,
                rule_id=c.rule_id,
                is_correct=c.is_correct,
            )
            for i, c in enumerate(item.choices, start=1)
        )
        questions.append(question)
    return questions


def _recompute(question: Question, *, version: PolicyVersion) -> tuple[bool, generator.Verdict]:
    """Make a generated question's answer the engine's verdict under ``version``; returns
    whether anything changed, and the verdict."""
    verdict = generator.judge(
        policy_selectors.policy_linter(version, brand=version.brand),
        question.sample_text,
        channel=question.sample_channel,
        category=question.sample_category,
    )
    expected = verdict.answer
    choices = list(question.choices.all())
    offered = {c.rule_id for c in choices}
    rules = _enabled_rules(version)
    top = max((c.order for c in choices), default=0)
    missing = sorted(expected - offered)
    for rule_id in missing:
        top += 1
        text = (
            generator.GO_TEXT
            if rule_id == generator.GO
            else generator.rule_choice_text(rules[rule_id])
        )
        choices.append(
            Choice.objects.create(question=question, order=top, text=text, rule_id=rule_id)
        )
    changed = bool(missing)
    for choice in choices:
        correct = choice.rule_id in expected
        if choice.is_correct != correct:
            choice.is_correct = correct
            choice.save(update_fields=["is_correct"])
            changed = True
    multiple = len(expected) > 1
    kind = Question.Kind.MULTIPLE if multiple else Question.Kind.SINGLE
    if question.kind != kind:
        question.kind = kind
        if question.prompt in (generator.PROMPT_SINGLE, generator.PROMPT_MULTIPLE):
            question.prompt = generator.PROMPT_MULTIPLE if multiple else generator.PROMPT_SINGLE
        changed = True
    return changed, verdict


@transaction.atomic
def question_generated_update(
    *,
    question: Question,
    actor: User | None,
    prompt: str,
    sample_text: str,
    sample_channel: str = "",
    sample_category: str = "",
    explanation: str = "",
) -> Question:
    """Edit a generated question. Its answer is recomputed by the engine whenever the sample
    post (or its channel or category) changes; the explanation is rewritten too, unless the
    trainer changed it in the same edit."""
    _require_trainer(actor, question.quiz.brand)
    quiz = _lock_quiz(question.quiz)
    _require_draft(quiz)
    question = Question.objects.select_for_update().get(pk=question.pk, quiz=quiz)
    if not question.is_generated:
        raise Conflict("This question is hand-written.", code="manual_question")
    errors = {}
    prompt, sample_text = str(prompt or "").strip(), str(sample_text or "").strip()
    if not prompt:
        errors["prompt"] = "Write the question."
    if not sample_text:
        errors["sample_text"] = "A generated question asks about a sample post: write one."
    elif len(sample_text) > 5000:
        errors["sample_text"] = "Keep the sample post under 5,000 characters."
    if len(str(explanation or "")) > 3000:
        errors["explanation"] = "Keep the explanation under 3,000 characters."
    if errors:
        raise ValidationError(errors)
    sample_channel = str(sample_channel or "").strip()[:255]
    sample_category = str(sample_category or "").strip()[:50]
    explanation = str(explanation or "").strip()
    resample = (sample_text, sample_channel, sample_category) != (
        question.sample_text,
        question.sample_channel,
        question.sample_category,
    )
    kept_explanation = explanation == question.explanation
    question.prompt, question.sample_text = prompt, sample_text
    question.sample_channel, question.sample_category = sample_channel, sample_category
    question.explanation = explanation
    if resample:
        version = policy_ensure(brand=quiz.brand)
        _, verdict = _recompute(question, version=version)
        question.technique = "edited"
        if kept_explanation:
            question.explanation = generator.explain(
                verdict, technique="edited", version_label=_version_label(version)
            )
    question.save()
    audit_record(
        action="quiz.question_changed",
        actor=actor,
        brand=quiz.brand,
        obj=quiz,
        data={"id": question.pk, "recomputed": resample},
    )
    return question


@transaction.atomic
def quiz_refresh_answers(*, quiz: Quiz, actor: User | None) -> int:
    """Recompute every generated question's answer (and explanation) with the current policy.
    Returns how many answers changed."""
    _require_trainer(actor, quiz.brand)
    quiz = _lock_quiz(quiz)
    _require_draft(quiz)
    version = policy_ensure(brand=quiz.brand)
    changed = 0
    generated = quiz.questions.filter(source=Question.Source.GENERATED).prefetch_related("choices")
    for question in generated:
        did_change, verdict = _recompute(question, version=version)
        changed += did_change
        question.explanation = generator.explain(
            verdict, technique=question.technique, version_label=_version_label(version)
        )
        question.save()
    quiz.policy_version = version
    quiz.save(update_fields=["policy_version", "updated_at"])
    audit_record(
        action="quiz.answers_refreshed",
        actor=actor,
        brand=quiz.brand,
        obj=quiz,
        data={"changed": changed, "policy_version": version.number},
    )
    return changed


@transaction.atomic
def quiz_publish(*, quiz: Quiz, actor: User | None) -> Quiz:
    """Publish a quiz after checking every question, and every generated answer against the
    policy engine with the current policy version."""
    _require_trainer(actor, quiz.brand)
    quiz = _lock_quiz(quiz)
    if quiz.is_published:
        raise Conflict("The quiz is already published.", code="quiz_published")
    version = policy_ensure(brand=quiz.brand)
    problems = selectors.quiz_problems(quiz=quiz, version=version)
    if problems:
        raise QuizNotReady(
            "The quiz cannot be published yet. " + " ".join(problems),
            details={"problems": problems},
        )
    quiz.is_published = True
    quiz.published_at = timezone.now()
    quiz.policy_version = version
    quiz.save(update_fields=["is_published", "published_at", "policy_version", "updated_at"])
    audit_record(
        action="quiz.published",
        actor=actor,
        brand=quiz.brand,
        obj=quiz,
        message=quiz.title,
        data={"policy_version": version.number},
    )
    return quiz


@transaction.atomic
def quiz_unpublish(*, quiz: Quiz, actor: User | None) -> Quiz:
    _require_trainer(actor, quiz.brand)
    quiz = _lock_quiz(quiz)
    if not quiz.is_published:
        raise Conflict("The quiz is not published.", code="quiz_not_published")
    quiz.is_published = False
    quiz.save(update_fields=["is_published", "updated_at"])
    audit_record(action="quiz.unpublished", actor=actor, brand=quiz.brand, obj=quiz)
    return quiz


# --- taking a quiz ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerResult:
    question: Question
    chosen: list[int]
    is_correct: bool


@dataclass(frozen=True)
class AttemptResult:
    attempt: Attempt
    results: list[AnswerResult]
    certification: Certification | None
    retake_at: dt.datetime


_ID_RE = re.compile(r"^[0-9]{1,18}$")


def _as_id(value, *, what: str) -> int:
    if _is_int(value) and 0 < value < 2**63:
        return value
    if isinstance(value, str) and _ID_RE.match(value.strip()) and int(value) > 0:
        return int(value)
    raise ValidationError({"answers": f"{str(value)[:40]!r} is not a {what} id."})


def parse_answers(answers) -> dict[int, list[int]]:
    """``{question_id: [choice_id, ...]}`` from JSON or a form: ids as numbers or digit
    strings. Anything else is refused with the reason (nothing is recorded)."""
    if not isinstance(answers, dict):
        raise ValidationError(
            {"answers": "Send answers as an object: {question_id: [choice_id, ...]}."}
        )
    if len(answers) > MAX_QUESTIONS:
        raise ValidationError({"answers": "Too many answers."})
    parsed: dict[int, list[int]] = {}
    for key, value in answers.items():
        question_id = _as_id(key, what="question")
        if question_id in parsed:
            raise ValidationError({"answers": f"Question {question_id} is answered twice."})
        if value is None:
            value = []
        elif not isinstance(value, list):
            value = [value]
        if len(value) > MAX_CHOICES:
            raise ValidationError({"answers": f"Too many choices for question {question_id}."})
        parsed[question_id] = list(dict.fromkeys(_as_id(v, what="choice") for v in value))
    return parsed


def _score(correct: int, total: int) -> int:
    return (100 * correct) // total if total else 0


@transaction.atomic
def attempt_submit(
    *, quiz: Quiz, user: User, answers, now: dt.datetime | None = None
) -> AttemptResult:
    """Score one try at a published quiz and record it; a pass certifies the quiz's roles on
    the brand's current policy version.

    A question left out (or answered with no choice) counts as wrong. Refused, with nothing
    recorded: malformed answers, a question or choice that is not this quiz's (400); an
    unpublished quiz, a retake within the cool-down, a quiz that cannot be scored (409/400).
    """
    parsed = parse_answers(answers)
    now = now or timezone.now()
    brand = quiz.brand
    quiz = _quiz_to_take(quiz=quiz, user=user, now=now)
    questions = list(quiz.questions.order_by("order", "id").prefetch_related("choices"))
    version = policy_ensure(brand=brand)
    if not questions or any(not any(c.is_correct for c in q.choices.all()) for q in questions):
        raise QuizNotReady(
            "This quiz cannot be scored: a question has no correct answer. A trainer has to "
            "fix it first.",
        )
    results = _marked(questions, parsed)
    correct = sum(r.is_correct for r in results)
    score = _score(correct, len(results))
    passed = score >= quiz.pass_mark
    attempt, certification = _attempt_record(
        quiz=quiz, user=user, version=version, now=now, results=results, passed=passed
    )
    audit_record(
        action="quiz.passed" if passed else "quiz.failed",
        actor=user,
        brand=brand,
        obj=quiz,
        message=f"{user.username}: {score}% ({correct}/{len(results)})",
        data={"attempt": attempt.pk, "score": score, "policy_version": version.number},
    )
    return AttemptResult(
        attempt=attempt,
        results=results,
        certification=certification,
        retake_at=now + dt.timedelta(minutes=quiz.cooldown_minutes),
    )


def _attempt_record(
    *,
    quiz: Quiz,
    user: User,
    version: PolicyVersion,
    now: dt.datetime,
    results: list[AnswerResult],
    passed: bool,
) -> tuple[Attempt, Certification | None]:
    """The attempt and its answers; a pass certifies the quiz's roles on ``version``."""
    correct = sum(r.is_correct for r in results)
    score = _score(correct, len(results))
    brand = quiz.brand
    attempt = Attempt.objects.create(
        quiz=quiz,
        user=user,
        policy_version=version,
        submitted_at=now,
        correct=correct,
        total=len(results),
        score=score,
        passed=passed,
    )
    AttemptAnswer.objects.bulk_create(
        AttemptAnswer(
            attempt=attempt, question=r.question, choice_ids=r.chosen, is_correct=r.is_correct
        )
        for r in results
    )
    certification = None
    if passed and (quiz.certifies_author or quiz.certifies_approver):
        certification = Certification.objects.create(
            user=user,
            brand=brand,
            quiz=quiz,
            attempt=attempt,
            policy_version=version,
            certifies_author=quiz.certifies_author,
            certifies_approver=quiz.certifies_approver,
            earned_at=now,
        )
    return attempt, certification


def _quiz_to_take(*, quiz: Quiz, user: User, now: dt.datetime) -> Quiz:
    """The quiz, once ``user`` may take it now: a member of its brand (whose membership row,
    locked, keeps their attempts one at a time), published, and out of the cool-down."""
    brand = quiz.brand
    membership = Membership.objects.select_for_update().filter(user=user, brand=brand).first()
    if membership is None or not permissions.has_perm(user, permissions.Action.VIEW, brand):
        raise NotFoundError("No such quiz.")
    quiz = Quiz.objects.select_related("brand").get(pk=quiz.pk)
    if not quiz.is_published:
        raise Conflict(
            "This quiz is not published, so it cannot be taken yet.", code="quiz_not_published"
        )
    retake_at = selectors.quiz_retake_at(quiz=quiz, user=user, now=now)
    if retake_at is not None:
        local = retake_at.astimezone(brand.tz)
        raise Conflict(
            f"You took this quiz a moment ago. You can retake it from "
            f"{local:%d %b %Y, %H:%M} ({brand.timezone}).",
            code="cooldown",
            details={"retake_at": retake_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")},
        )
    return quiz


def _marked(questions: list[Question], parsed: dict[int, list[int]]) -> list[AnswerResult]:
    """Each question's answer, marked; answers to another quiz's questions or choices, or two
    answers to a single-answer question, are refused."""
    by_id = {q.pk: q for q in questions}
    stray = [qid for qid in parsed if qid not in by_id]
    if stray:
        raise ValidationError({"answers": f"Question {stray[0]} is not part of this quiz."})
    results = []
    for question in questions:
        chosen = parsed.get(question.pk, [])
        choice_ids = {c.pk for c in question.choices.all()}
        foreign = [c for c in chosen if c not in choice_ids]
        if foreign:
            raise ValidationError(
                {"answers": f"Choice {foreign[0]} is not an answer to question {question.pk}."}
            )
        if question.kind == Question.Kind.SINGLE and len(chosen) > 1:
            raise ValidationError(
                {"answers": f"Question {question.pk} takes one answer, not {len(chosen)}."}
            )
        right = {c.pk for c in question.choices.all() if c.is_correct}
        results.append(AnswerResult(question, chosen, bool(chosen) and set(chosen) == right))
    return results


# --- reminders -------------------------------------------------------------------------------


def _claim_reminder(cert: Certification, field: str, now: dt.datetime) -> bool:
    """Mark the reminder sent; True only for the one caller that marked it."""
    return bool(
        Certification.objects.filter(pk=cert.pk, **{f"{field}__isnull": True}).update(
            **{field: now}
        )
    )


def certification_remind_due(
    *, now: dt.datetime | None = None, days_before: int = REMINDER_DAYS
) -> dict[str, int]:
    """Email people whose certification lapses within ``days_before`` days, and people whose
    certification has lapsed. Each certification gets each email at most once (the time it
    went is recorded on it), so running this again, or twice at once, sends nothing twice."""
    now = now or timezone.now()
    sent = {"lapsing": 0, "lapsed": 0}
    for states in selectors.certification_reminder_candidates().values():
        for state in states:
            cert = state.certification
            lapsed = not state.is_valid(now)
            if lapsed and cert.reminded_lapsed_at is None:
                field, kind = "reminded_lapsed_at", "lapsed"
            elif (
                not lapsed
                and cert.reminded_before_at is None
                and state.valid_until - now <= dt.timedelta(days=days_before)
            ):
                field, kind = "reminded_before_at", "lapsing"
            else:
                continue
            with transaction.atomic():
                if not _claim_reminder(cert, field, now):
                    continue
                _notify_certification(state, kind=kind)
            sent[kind] += 1
    return sent


def _notify_certification(state, *, kind: str) -> None:
    cert = state.certification
    brand = cert.brand
    roles = " and ".join(cert.roles)
    quiz = next(
        (q for q in (selectors.quiz_for_role(brand=brand, role=r) for r in cert.roles) if q),
        None,
    )
    url = (
        reverse("training_quiz_take", kwargs={"slug": brand.slug, "pk": quiz.pk})
        if quiz
        else reverse("training_home", kwargs={"slug": brand.slug})
    )
    when = f"{state.valid_until.astimezone(brand.tz):%d %b %Y}"
    earned = (
        f"Your {roles} certification for {brand.name} (earned {cert.earned_at:%d %b %Y} "
        f"on policy v{cert.policy_version.number})"
    )
    again = f"Pass the quiz {quiz.title} again" if quiz else "Ask a trainer for the quiz"
    if kind == "lapsed":
        subject = f"Your policy certification for {brand.name} has lapsed"
        body = f"{earned} lapsed on {when}: {state.reason}. {again} to be certified again."
    else:
        subject = f"Your policy certification for {brand.name} lapses on {when}"
        body = f"{earned} lapses on {when}: {state.reason}. {again} before then."
    notify(
        users=[cert.user],
        kind=f"certification.{kind}",
        subject=subject,
        body=body,
        url=url,
        brand=brand,
    )
