"""Reads for training: quizzes, attempts, certification states, the certification gate
and the trainer's dashboard."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts import permissions
from accounts.models import Brand, Membership
from policy.models import (
    Attempt,
    AttemptAnswer,
    Certification,
    Choice,
    PolicyVersion,
    Question,
    Quiz,
)
from policy.selectors import policy_linter
from policy.training import generator

CERTIFIABLE_ROLES = ("author", "approver")
Action = permissions.Action


def can_manage_training(user, brand: Brand) -> bool:
    """Trainers write quizzes and see everyone's results."""
    return permissions.has_perm(user, Action.TRAIN, brand)


def can_see_training_results(user, brand: Brand) -> bool:
    """Trainers and brand admins see the dashboard and everyone's certifications."""
    return can_manage_training(user, brand) or permissions.has_perm(user, Action.ADMIN, brand)


def _pk(value) -> int:
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise Http404("Not found.") from None
    if not 0 < pk < 2**63:
        raise Http404("Not found.")
    return pk


def quiz_get(*, user, pk, slug: str | None = None, manage: bool = False) -> Quiz:
    """A quiz the user may see, else 404: members see the published quizzes of their brands,
    trainers also the drafts. ``manage`` asks for the trainer role too (else 403)."""
    quiz = Quiz.objects.select_related("brand", "policy_version").filter(pk=_pk(pk)).first()
    if quiz is None or (slug is not None and quiz.brand.slug != slug):
        raise Http404("No such quiz.")
    if not permissions.has_perm(user, Action.VIEW, quiz.brand):
        raise Http404("No such quiz.")
    if not quiz.is_published and not can_manage_training(user, quiz.brand):
        raise Http404("No such quiz.")
    if manage:
        permissions.require(user, Action.TRAIN, quiz.brand)
    return quiz


def question_get(*, quiz: Quiz, pk) -> Question:
    question = (
        Question.objects.filter(pk=_pk(pk), quiz=quiz)
        .select_related("quiz", "quiz__brand")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("order", "id")))
        .first()
    )
    if question is None:
        raise Http404("No such question.")
    return question


def quiz_list(*, brand: Brand, include_drafts: bool = False) -> QuerySet[Quiz]:
    qs = (
        Quiz.objects.filter(brand=brand)
        .select_related("policy_version")
        .annotate(question_count=Count("questions"))
    )
    if not include_drafts:
        qs = qs.filter(is_published=True)
    return qs.order_by("-is_published", "title", "id")


def quiz_with_questions(*, quiz: Quiz) -> Quiz:
    """The quiz with its questions and their choices, in order, in three queries."""
    choices = Prefetch("choices", queryset=Choice.objects.order_by("order", "id"))
    questions = Prefetch(
        "questions", queryset=Question.objects.order_by("order", "id").prefetch_related(choices)
    )
    return (
        Quiz.objects.select_related("brand", "policy_version")
        .prefetch_related(questions)
        .get(pk=quiz.pk)
    )


def quiz_for_role(*, brand: Brand, role: str) -> Quiz | None:
    """The published quiz to pass for a role: the most recently published one."""
    if role not in CERTIFIABLE_ROLES:
        return None
    return (
        Quiz.objects.filter(brand=brand, is_published=True, **{f"certifies_{role}": True})
        .order_by("-published_at", "-id")
        .first()
    )


def quiz_retake_at(*, quiz: Quiz, user, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the user may take the quiz again, or None when they may now."""
    last = (
        Attempt.objects.filter(quiz=quiz, user=user)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    if last is None:
        return None
    opens = last + dt.timedelta(minutes=quiz.cooldown_minutes)
    return opens if opens > (now or timezone.now()) else None


@dataclass(frozen=True)
class CertificationState:
    """A certification and until when it is valid (see ``certification_state``)."""

    certification: Certification
    valid_until: dt.datetime
    superseded_by: int | None  # the policy version that requires re-certification
    validity_days: int

    def is_valid(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) < self.valid_until

    @property
    def reason(self) -> str:
        """Why it lapses (or lapsed) when it does."""
        if self.superseded_by is not None:
            return f"policy v{self.superseded_by} requires re-certification"
        return f"certifications last {self.validity_days} days"


def _recertification_versions(brand: Brand) -> list[tuple[int, dt.datetime]]:
    return list(
        PolicyVersion.objects.filter(brand=brand, requires_recertification=True)
        .order_by("number")
        .values_list("number", "created_at")
    )


def certification_state(
    certification: Certification, *, brand: Brand, recertification: list[tuple[int, dt.datetime]]
) -> CertificationState:
    """Valid until the brand's validity period has passed since it was earned, or until the
    first later policy version that requires re-certification was made, whichever is first.

    ``certification.policy_version`` should be loaded (``select_related``).
    """
    days = brand.certification_validity_days
    valid_until = certification.earned_at + dt.timedelta(days=days)
    superseded_by = None
    earned_on = certification.policy_version.number
    for number, created_at in recertification:
        if number > earned_on:
            if created_at < valid_until:
                valid_until, superseded_by = created_at, number
            break
    return CertificationState(certification, valid_until, superseded_by, days)


def certifications_for(*, brand: Brand, user=None) -> QuerySet[Certification]:
    qs = Certification.objects.filter(brand=brand).select_related(
        "user", "quiz", "policy_version", "attempt"
    )
    if user is not None:
        qs = qs.filter(user=user)
    return qs.order_by("-earned_at", "-id")


def certification_states(*, brand: Brand, user=None) -> list[CertificationState]:
    recertification = _recertification_versions(brand)
    return [
        certification_state(c, brand=brand, recertification=recertification)
        for c in certifications_for(brand=brand, user=user)
    ]


def certification_latest_state(*, user, brand: Brand, role: str) -> CertificationState | None:
    """The user's most recent certification for the role (valid or not), or None."""
    if role not in CERTIFIABLE_ROLES or not getattr(user, "is_authenticated", False):
        return None
    latest = (
        Certification.objects.filter(user=user, brand=brand, **{f"certifies_{role}": True})
        .select_related("policy_version")
        .order_by("-earned_at", "-id")
        .first()
    )
    if latest is None:
        return None
    return certification_state(
        latest, brand=brand, recertification=_recertification_versions(brand)
    )


def certification_get(*, user, pk, slug: str) -> CertificationState:
    """A certificate: its holder sees it, and so do the brand's trainers and admins."""
    brand = permissions.get_brand(user, slug)
    cert = certifications_for(brand=brand).filter(pk=_pk(pk)).first()
    if cert is None or (cert.user_id != user.pk and not can_see_training_results(user, brand)):
        raise Http404("No such certificate.")
    return certification_state(cert, brand=brand, recertification=_recertification_versions(brand))


def attempt_get(*, user, pk, slug: str) -> Attempt:
    """An attempt with its answers: the person who made it, trainers and admins see it."""
    brand = permissions.get_brand(user, slug)
    attempt = (
        Attempt.objects.filter(pk=_pk(pk), quiz__brand=brand)
        .select_related(
            "quiz",
            "quiz__brand",
            "user",
            "policy_version",
            "certification",
            "certification__policy_version",
        )
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=AttemptAnswer.objects.select_related("question").order_by(
                    "question__order", "question_id"
                ),
            ),
            Prefetch("answers__question__choices", queryset=Choice.objects.order_by("order", "id")),
        )
        .first()
    )
    if attempt is None or (
        attempt.user_id != user.pk and not can_see_training_results(user, brand)
    ):
        raise Http404("No such attempt.")
    return attempt


# --- what a member sees --------------------------------------------------------------------


@dataclass(frozen=True)
class QuizProgress:
    quiz: Quiz
    required: bool  # certifies a role the person holds
    attempts: int
    best_score: int | None
    passed: bool
    last_attempt_at: dt.datetime | None
    retake_at: dt.datetime | None


def training_for_member(*, user, brand: Brand, now: dt.datetime | None = None) -> dict:
    """The published quizzes with the person's progress, and their certification per role."""
    now = now or timezone.now()
    roles = [r for r in permissions.roles_in(user, brand) if r in CERTIFIABLE_ROLES]
    quizzes = list(quiz_list(brand=brand))
    stats = {
        row["quiz"]: row
        for row in Attempt.objects.filter(user=user, quiz__brand=brand)
        .values("quiz")
        .annotate(
            n=Count("id"),
            best=Max("score"),
            last=Max("submitted_at"),
            passes=Count("id", filter=Q(passed=True)),
        )
    }
    progress = []
    for quiz in quizzes:
        row = stats.get(quiz.pk)
        opens = row["last"] + dt.timedelta(minutes=quiz.cooldown_minutes) if row else None
        progress.append(
            QuizProgress(
                quiz=quiz,
                required=any(r in roles for r in quiz.certifies),
                attempts=row["n"] if row else 0,
                best_score=row["best"] if row else None,
                passed=bool(row and row["passes"]),
                last_attempt_at=row["last"] if row else None,
                retake_at=opens if opens and opens > now else None,
            )
        )
    states = certification_states(brand=brand, user=user)
    per_role = {}
    for role in roles:
        per_role[role] = next((s for s in states if role in s.certification.roles), None)
    return {
        "roles": roles,
        "quizzes": progress,
        "certifications": states,
        "per_role": per_role,
        "now": now,
    }


# --- the trainer's dashboard ---------------------------------------------------------------


@dataclass(frozen=True)
class RoleStatus:
    status: str  # certified | lapsed | not_passed | never_tried
    until: dt.datetime | None = None  # valid until, or lapsed at
    version: int | None = None  # the policy version it was earned on
    reason: str = ""

    LABELS = {
        "certified": "Certified",
        "lapsed": "Overdue (lapsed)",
        "not_passed": "Tried, not passed",
        "never_tried": "Never tried",
    }

    @property
    def label(self) -> str:
        return self.LABELS[self.status]


@dataclass(frozen=True)
class PersonRow:
    user: object
    roles: list[str]
    author: RoleStatus | None  # None: not an author, nothing to certify
    approver: RoleStatus | None
    attempts: int
    passes: int
    best_score: int | None
    last_attempt_at: dt.datetime | None

    @property
    def statuses(self) -> list[RoleStatus]:
        return [s for s in (self.author, self.approver) if s is not None]


def training_people(*, brand: Brand, now: dt.datetime | None = None) -> list[PersonRow]:
    """Every member with their certification status per role. Four queries."""
    now = now or timezone.now()
    memberships = list(
        Membership.objects.filter(brand=brand).select_related("user").order_by("user__username")
    )
    recertification = _recertification_versions(brand)
    latest: dict[tuple[int, str], CertificationState] = {}
    certs = (
        Certification.objects.filter(brand=brand)
        .select_related("policy_version")
        .order_by("-earned_at", "-id")
    )
    for cert in certs:
        for role in cert.roles:
            if (cert.user_id, role) not in latest:
                latest[(cert.user_id, role)] = certification_state(
                    cert, brand=brand, recertification=recertification
                )
    attempts = {
        row["user"]: row
        for row in Attempt.objects.filter(quiz__brand=brand)
        .values("user")
        .annotate(
            n=Count("id"),
            passes=Count("id", filter=Q(passed=True)),
            best=Max("score"),
            last=Max("submitted_at"),
            n_author=Count("id", filter=Q(quiz__certifies_author=True)),
            n_approver=Count("id", filter=Q(quiz__certifies_approver=True)),
        )
    }
    rows = []
    for membership in memberships:
        user = membership.user
        tried = attempts.get(user.pk) or {}
        statuses: dict[str, RoleStatus | None] = {}
        for role in CERTIFIABLE_ROLES:
            if not membership.has_role(role):
                statuses[role] = None
                continue
            state = latest.get((user.pk, role))
            if state is not None:
                statuses[role] = RoleStatus(
                    "certified" if state.is_valid(now) else "lapsed",
                    until=state.valid_until,
                    version=state.certification.policy_version.number,
                    reason=state.reason,
                )
            elif tried.get(f"n_{role}"):
                statuses[role] = RoleStatus("not_passed")
            else:
                statuses[role] = RoleStatus("never_tried")
        rows.append(
            PersonRow(
                user=user,
                roles=membership.roles,
                author=statuses["author"],
                approver=statuses["approver"],
                attempts=tried.get("n", 0),
                passes=tried.get("passes", 0),
                best_score=tried.get("best"),
                last_attempt_at=tried.get("last"),
            )
        )
    return rows


@dataclass(frozen=True)
class QuizStats:
    quiz: Quiz
    attempts: int
    passes: int
    people: int

    @property
    def pass_rate(self) -> int | None:
        return round(100 * self.passes / self.attempts) if self.attempts else None


def training_quiz_stats(*, brand: Brand) -> list[QuizStats]:
    quizzes = (
        Quiz.objects.filter(brand=brand)
        .annotate(
            attempt_count=Count("attempts", distinct=True),
            pass_count=Count("attempts", filter=Q(attempts__passed=True), distinct=True),
            people_count=Count("attempts__user", distinct=True),
            question_count=Count("questions", distinct=True),
        )
        .order_by("-is_published", "title", "id")
    )
    return [QuizStats(q, q.attempt_count, q.pass_count, q.people_count) for q in quizzes]


@dataclass(frozen=True)
class MissedQuestion:
    question_id: int
    quiz_id: int
    quiz_title: str
    order: int
    text: str
    answered: int
    missed: int

    @property
    def label(self) -> str:
        text = " ".join(self.text.split())
        text = text if len(text) <= 60 else text[:59] + "…"
        return f"{self.quiz_title} Q{self.order}: {text}"

    @property
    def miss_rate(self) -> int:
        return round(100 * self.missed / self.answered) if self.answered else 0


def training_missed_questions(*, brand: Brand, limit: int = 10) -> list[MissedQuestion]:
    """The questions answered wrongly most often (one query)."""
    rows = (
        AttemptAnswer.objects.filter(attempt__quiz__brand=brand, question__isnull=False)
        .values(
            "question",
            "question__quiz",
            "question__quiz__title",
            "question__order",
            "question__prompt",
            "question__sample_text",
        )
        .annotate(answered=Count("id"), missed=Count("id", filter=Q(is_correct=False)))
        .filter(missed__gt=0)
        .order_by("-missed", "question")[:limit]
    )
    return [
        MissedQuestion(
            question_id=row["question"],
            quiz_id=row["question__quiz"],
            quiz_title=row["question__quiz__title"],
            order=row["question__order"],
            text=row["question__sample_text"] or row["question__prompt"],
            answered=row["answered"],
            missed=row["missed"],
        )
        for row in rows
    ]


def certification_reminder_candidates() -> dict[int, list[CertificationState]]:
    """Per brand, each member's latest certification for each role they still hold (the
    ones a reminder is about). Older certifications, superseded by a newer one, are left."""
    out: dict[int, list[CertificationState]] = defaultdict(list)
    holders = {
        (m["user"], m["brand"]): m
        for m in Membership.objects.filter(Q(is_author=True) | Q(is_approver=True)).values(
            "user", "brand", "is_author", "is_approver"
        )
    }
    brands = {b.pk: b for b in Brand.objects.filter(pk__in={k[1] for k in holders})}
    recertification: dict[int, list] = {}
    seen: set[tuple[int, int, str]] = set()
    certs = (
        Certification.objects.filter(brand__in=list(brands))
        .select_related("policy_version", "user", "quiz")
        .order_by("-earned_at", "-id")
    )
    picked: set[int] = set()
    for cert in certs:
        membership = holders.get((cert.user_id, cert.brand_id))
        if membership is None:
            continue
        for role in cert.roles:
            key = (cert.user_id, cert.brand_id, role)
            if key in seen or not membership[f"is_{role}"]:
                continue
            seen.add(key)
            if cert.pk in picked:
                continue
            picked.add(cert.pk)
            brand = brands[cert.brand_id]
            if brand.pk not in recertification:
                recertification[brand.pk] = _recertification_versions(brand)
            out[brand.pk].append(
                certification_state(cert, brand=brand, recertification=recertification[brand.pk])
            )
    return out


def quiz_problems(*, quiz: Quiz, version: PolicyVersion) -> list[str]:
    """Everything that stops the quiz being published (or scored); empty when it is fine.

    Generated questions are linted again with ``version``: one whose marked answer is not
    the engine's verdict is a problem, so a published quiz never disagrees with the policy.
    """
    problems = []
    questions = list(quiz.questions.order_by("order", "id").prefetch_related("choices"))
    if not questions:
        problems.append("Add at least one question.")
    if not (quiz.certifies_author or quiz.certifies_approver):
        problems.append("Choose at least one role the quiz certifies.")
    compiled = policy_linter(version, brand=quiz.brand)
    for number, question in enumerate(questions, start=1):
        choices = list(question.choices.all())
        correct = sum(c.is_correct for c in choices)
        if len(choices) < 2:
            problems.append(f"Question {number} needs at least two choices.")
        if not correct:
            problems.append(f"Question {number} has no correct choice.")
        elif question.kind == Question.Kind.SINGLE and correct != 1:
            problems.append(
                f"Question {number} takes one answer but has {correct} correct choices: mark "
                "exactly one, or let it take several answers."
            )
        if question.is_generated:
            why = generator.disagreement(
                compiled,
                text=question.sample_text,
                channel=question.sample_channel,
                category=question.sample_category,
                choices=[(c.rule_id, c.is_correct) for c in choices],
                multiple=question.kind == Question.Kind.MULTIPLE,
            )
            if why:
                problems.append(
                    f"Question {number} disagrees with policy v{version.number}: {why}. "
                    "Update the answers to the current policy, or edit the question."
                )
    return problems


def certification_gate(*, user, brand: Brand, role: str) -> str | None:
    """Why ``user`` may not act as ``role`` ("author" or "approver") in the brand for lack of
    a valid policy certification, or None when they may.

    Only brands with ``require_certification`` on ever refuse. The message names the quiz to
    pass and links to it.
    """
    if not brand.require_certification:
        return None
    role = str(getattr(role, "value", role))
    if role not in CERTIFIABLE_ROLES:
        return None
    now = timezone.now()
    state = certification_latest_state(user=user, brand=brand, role=role)
    if state is not None and state.is_valid(now):
        return None
    doing = "submit posts" if role == "author" else "approve posts"
    lapsed = ""
    if state is not None:
        when = state.valid_until.astimezone(brand.tz)
        lapsed = f"Your certification lapsed on {when:%d %b %Y} ({state.reason}). "
    quiz = quiz_for_role(brand=brand, role=role)
    if quiz is None:
        return (
            f"{lapsed}{brand.name} requires a policy certification to {doing}, and no quiz "
            f"certifies {role}s yet: ask a trainer to publish one "
            f"({reverse('training_home', kwargs={'slug': brand.slug})})."
        )
    url = reverse("training_quiz_take", kwargs={"slug": brand.slug, "pk": quiz.pk})
    return f"{lapsed}Pass the quiz {quiz.title} to {doing}: {url}"
