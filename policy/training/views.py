"""Training pages: quizzes (write, generate, publish, take), results, certificates, and the
trainer's dashboard with its CSV export."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.permissions import Action
from config.errors import DomainError
from config.web import call_service
from policy import services as policy_services
from policy.training import generator, selectors, services
from policy.training.forms import (
    GeneratedQuestionForm,
    GenerateForm,
    QuestionForm,
    QuizForm,
    TakeQuizForm,
    choice_formset,
)

# --- member pages ----------------------------------------------------------------------------


@login_required
def training_home(request: HttpRequest, slug: str) -> HttpResponse:
    """My quizzes and certifications; for trainers and admins, the dashboard as well."""
    brand = permissions.get_brand(request.user, slug)
    can_manage = selectors.can_manage_training(request.user, brand)
    context = {
        "brand": brand,
        "me": selectors.training_for_member(user=request.user, brand=brand),
        "can_manage": can_manage,
        "can_see_results": can_manage or permissions.has_perm(request.user, Action.ADMIN, brand),
    }
    if context["can_see_results"]:
        missed = selectors.training_missed_questions(brand=brand)
        context.update(
            people=selectors.training_people(brand=brand),
            quiz_stats=selectors.training_quiz_stats(brand=brand),
            missed=missed,
            missed_chart={
                "labels": [m.label for m in missed],
                "missed": [m.missed for m in missed],
                "answered": [m.answered for m in missed],
            },
        )
    return render(request, "policy/training_home.html", context)


@login_required
def quiz_list(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    can_manage = selectors.can_manage_training(request.user, brand)
    return render(
        request,
        "policy/training_quiz_list.html",
        {
            "brand": brand,
            "me": selectors.training_for_member(user=request.user, brand=brand),
            "can_manage": can_manage,
            "drafts": list(
                selectors.quiz_list(brand=brand, include_drafts=True).filter(is_published=False)
            )
            if can_manage
            else [],
        },
    )


def _take_context(request, quiz, form) -> dict:
    return {
        "brand": quiz.brand,
        "quiz": quiz,
        "form": form,
        "questions": [
            {
                "question": q,
                "field": f"q{q.pk}",
                "errors": form.errors.get(f"q{q.pk}", []),
                "selected": form.selected(q),
            }
            for q in form.questions
        ],
        "retake_at": selectors.quiz_retake_at(quiz=quiz, user=request.user),
        "can_manage": selectors.can_manage_training(request.user, quiz.brand),
    }


@login_required
def quiz_take(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The whole quiz on one page. Nothing on it says which choices are right."""
    quiz = selectors.quiz_get(user=request.user, pk=pk, slug=slug)
    quiz = selectors.quiz_with_questions(quiz=quiz)
    questions = list(quiz.questions.all())
    form = TakeQuizForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        result = call_service(
            form,
            lambda: services.attempt_submit(quiz=quiz, user=request.user, answers=form.answers),
        )
        if result is not None:
            return redirect("training_attempt", slug=slug, pk=result.attempt.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "policy/training_quiz_take.html", _take_context(request, quiz, form), status=status
    )


@login_required
def attempt_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The score, what was right and wrong, and the explanation of each miss."""
    attempt = selectors.attempt_get(user=request.user, pk=pk, slug=slug)
    rows = []
    for answer in attempt.answers.all():
        question = answer.question
        if question is None:
            continue
        texts = {c.pk: c.text for c in question.choices.all()}
        rows.append(
            {
                "question": question,
                "is_correct": answer.is_correct,
                "chosen": [texts[c] for c in answer.choice_ids if c in texts],
            }
        )
    certification = getattr(attempt, "certification", None)
    return render(
        request,
        "policy/training_attempt_detail.html",
        {
            "brand": attempt.quiz.brand,
            "attempt": attempt,
            "rows": rows,
            "certification": certification,
            "is_mine": attempt.user_id == request.user.pk,
            "retake_at": selectors.quiz_retake_at(quiz=attempt.quiz, user=request.user),
        },
    )


@login_required
def certificate_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    state = selectors.certification_get(user=request.user, pk=pk, slug=slug)
    return render(
        request,
        "policy/training_certificate.html",
        {
            "brand": state.certification.brand,
            "state": state,
            "cert": state.certification,
            "valid": state.is_valid(),
        },
    )


# --- the trainer's pages ---------------------------------------------------------------------


@login_required
def quiz_create(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug, Action.TRAIN)
    form = QuizForm(request.POST or None, submit="Create the quiz")
    if request.method == "POST" and form.is_valid():
        quiz = call_service(
            form,
            lambda: services.quiz_create(brand=brand, actor=request.user, **form.quiz_fields),
        )
        if quiz is not None:
            messages.success(request, "Quiz created. Add or generate its questions next.")
            return redirect("training_quiz_edit", slug=slug, pk=quiz.pk)
    return render(request, "policy/training_quiz_form.html", {"brand": brand, "form": form})


@login_required
def quiz_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The quiz's settings and every question with its answers (trainers only)."""
    quiz = selectors.quiz_get(user=request.user, pk=pk, slug=slug, manage=True)
    form = QuizForm(
        request.POST or None, initial=QuizForm.initial_from_quiz(quiz), submit="Save settings"
    )
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form,
            lambda: services.quiz_update(quiz=quiz, actor=request.user, **form.quiz_fields),
        )
        if saved is not None:
            messages.success(request, "Settings saved.")
            return redirect("training_quiz_edit", slug=slug, pk=quiz.pk)
    quiz = selectors.quiz_with_questions(quiz=quiz)
    version = policy_services.policy_ensure(brand=quiz.brand)
    questions = list(quiz.questions.all())
    return render(
        request,
        "policy/training_quiz_edit.html",
        {
            "brand": quiz.brand,
            "quiz": quiz,
            "form": form,
            "questions": questions,
            "has_generated": any(q.is_generated for q in questions),
            "version": version,
            "problems": []
            if quiz.is_published
            else selectors.quiz_problems(quiz=quiz, version=version),
            "techniques": generator.TECHNIQUE_LABELS,
            "go": generator.GO,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def quiz_generate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    quiz = selectors.quiz_get(user=request.user, pk=pk, slug=slug, manage=True)
    version = policy_services.policy_ensure(brand=quiz.brand)
    rules = [r for r in version.rules if r.get("enabled", True)]
    form = GenerateForm(request.POST or None, rules=rules)
    if request.method == "POST" and form.is_valid():
        made = call_service(
            form,
            lambda: services.quiz_generate(
                quiz=quiz,
                actor=request.user,
                count=form.cleaned_data["count"],
                rule_ids=form.cleaned_data["rules"],
            ),
        )
        if made is not None:
            messages.success(
                request,
                ngettext(
                    "Generated %(n)d question from policy v%(v)s. Review it before you publish "
                    "the quiz.",
                    "Generated %(n)d questions from policy v%(v)s. Review them before you publish "
                    "the quiz.",
                    len(made),
                )
                % {"n": len(made), "v": version.number},
            )
            return redirect("training_quiz_edit", slug=slug, pk=quiz.pk)
    return render(
        request,
        "policy/training_quiz_generate.html",
        {"brand": quiz.brand, "quiz": quiz, "form": form, "version": version},
    )


def _post_action(request, slug: str, pk: int, action, done: str) -> HttpResponse:
    quiz = selectors.quiz_get(user=request.user, pk=pk, slug=slug, manage=True)
    try:
        result = action(quiz)
    except (DomainError, ValidationError) as exc:
        text = exc.message if isinstance(exc, DomainError) else " ".join(exc.messages)
        messages.error(request, text)
    else:
        messages.success(request, done.format(result=result))
    return redirect("training_quiz_edit", slug=slug, pk=quiz.pk)


@login_required
@require_POST
def quiz_publish(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _post_action(
        request,
        slug,
        pk,
        lambda quiz: services.quiz_publish(quiz=quiz, actor=request.user),
        "Published: every answer agrees with policy v{result.policy_version.number}.",
    )


@login_required
@require_POST
def quiz_unpublish(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _post_action(
        request,
        slug,
        pk,
        lambda quiz: services.quiz_unpublish(quiz=quiz, actor=request.user),
        "Unpublished: nobody can take the quiz until you publish it again.",
    )


@login_required
@require_POST
def quiz_refresh(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _post_action(
        request,
        slug,
        pk,
        lambda quiz: services.quiz_refresh_answers(quiz=quiz, actor=request.user),
        "Answers computed again with the current policy: {result} changed.",
    )


def _question(request, slug: str, pk: int, qid: int):
    quiz = selectors.quiz_get(user=request.user, pk=pk, slug=slug, manage=True)
    question = selectors.question_get(quiz=quiz, pk=qid) if qid is not None else None
    return quiz, question


def _choice_inputs(formset) -> list[services.ChoiceInput]:
    return [
        services.ChoiceInput(
            text=f.cleaned_data.get("text") or "",
            is_correct=bool(f.cleaned_data.get("is_correct")),
            id=f.cleaned_data.get("id"),
        )
        for f in formset.forms
        if f.cleaned_data
    ]


@login_required
def question_edit(request: HttpRequest, slug: str, pk: int, qid: int | None = None):
    """Add a hand-written question, or edit any question (a generated one's answer stays the
    engine's: only its sample post and wording can change)."""
    quiz, question = _question(request, slug, pk, qid)
    data = request.POST or None
    if question is not None and question.is_generated:
        form = GeneratedQuestionForm(
            data,
            initial={
                "prompt": question.prompt,
                "sample_text": question.sample_text,
                "sample_channel": question.sample_channel,
                "sample_category": question.sample_category,
                "explanation": question.explanation,
            },
        )
        formset = None
        if request.method == "POST" and form.is_valid():
            saved = call_service(
                form,
                lambda: services.question_generated_update(
                    question=question, actor=request.user, **form.cleaned_data
                ),
            )
            if saved is not None:
                messages.success(request, "Question saved; its answer is the engine's.")
                return redirect("training_quiz_edit", slug=slug, pk=quiz.pk)
    else:
        initial = (
            {
                "prompt": question.prompt,
                "kind": question.kind,
                "sample_text": question.sample_text,
                "explanation": question.explanation,
            }
            if question is not None
            else {"kind": "single"}
        )
        form = QuestionForm(data, initial=initial)
        formset = choice_formset(data, question=question)
        if request.method == "POST" and form.is_valid() and formset.is_valid():
            fields = {**form.cleaned_data, "choices": _choice_inputs(formset)}

            def save():
                if question is None:
                    return services.question_create(quiz=quiz, actor=request.user, **fields)
                return services.question_update(question=question, actor=request.user, **fields)

            saved = call_service(form, save)
            if saved is not None:
                messages.success(request, "Question saved.")
                return redirect("training_quiz_edit", slug=slug, pk=quiz.pk)
    return render(
        request,
        "policy/training_question_form.html",
        {
            "brand": quiz.brand,
            "quiz": quiz,
            "question": question,
            "form": form,
            "formset": formset,
            "go": generator.GO,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def question_delete(request: HttpRequest, slug: str, pk: int, qid: int) -> HttpResponse:
    quiz, question = _question(request, slug, pk, qid)
    try:
        services.question_delete(question=question, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Question removed.")
    return redirect("training_quiz_edit", slug=slug, pk=quiz.pk)


# --- CSV export ------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading '."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _status_cells(status) -> list[str]:
    if status is None:
        return ["", "", ""]
    until = f"{status.until:%Y-%m-%d %H:%M} UTC" if status.until else ""
    version = f"v{status.version}" if status.version else ""
    return [status.label, until, version]


@login_required
def people_csv(request: HttpRequest, slug: str) -> HttpResponse:
    brand = permissions.get_brand(request.user, slug)
    if not selectors.can_see_training_results(request.user, brand):
        permissions.require(request.user, Action.TRAIN, brand)
    rows = selectors.training_people(brand=brand)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="{brand.slug}-certifications-{stamp}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "username",
            "name",
            "email",
            "roles",
            "author status",
            "author valid until / lapsed at",
            "author policy version",
            "approver status",
            "approver valid until / lapsed at",
            "approver policy version",
            "attempts",
            "passes",
            "best score",
            "last attempt",
        ]
    )
    for row in rows:
        user = row.user
        cells = [
            user.username,
            user.get_full_name(),
            user.email,
            " ".join(row.roles),
            *_status_cells(row.author),
            *_status_cells(row.approver),
            row.attempts,
            row.passes,
            "" if row.best_score is None else row.best_score,
            f"{row.last_attempt_at:%Y-%m-%d %H:%M} UTC" if row.last_attempt_at else "",
        ]
        writer.writerow([csv_cell(c) for c in cells])
    return response
