"""The training API: quizzes, taking them, and certifications."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions
from config.api import error_responses
from policy.training import selectors, services
from policy.training import serializers as shapes


def _quiz_summary(quiz, *, question_count: int | None = None) -> dict:
    return {
        "id": quiz.pk,
        "brand": quiz.brand.slug,
        "title": quiz.title,
        "description": quiz.description,
        "pass_mark": quiz.pass_mark,
        "cooldown_minutes": quiz.cooldown_minutes,
        "certifies": quiz.certifies,
        "is_published": quiz.is_published,
        "published_at": quiz.published_at,
        "question_count": question_count
        if question_count is not None
        else getattr(quiz, "question_count", None),
        "policy_version": quiz.policy_version.number if quiz.policy_version else None,
    }


@extend_schema(
    tags=["training"],
    responses={200: shapes.QuizSummarySerializer(many=True), **error_responses(401, 404)},
)
class QuizList(APIView):
    """Published quizzes for members; trainers see the drafts too."""

    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        drafts = selectors.can_manage_training(request.user, brand)
        quizzes = selectors.quiz_list(brand=brand, include_drafts=drafts).select_related("brand")
        return Response([_quiz_summary(q) for q in quizzes])


@extend_schema(
    tags=["training"],
    responses={200: shapes.QuizDetailSerializer, **error_responses(401, 404)},
)
class QuizDetail(APIView):
    """A quiz with its questions and choices, and nothing that says which choices are right
    (for anyone, trainers included: they see answers in the web editor)."""

    def get(self, request, pk):
        quiz = selectors.quiz_with_questions(quiz=selectors.quiz_get(user=request.user, pk=pk))
        questions = list(quiz.questions.all())
        retake_at = selectors.quiz_retake_at(quiz=quiz, user=request.user)
        return Response(
            {
                **_quiz_summary(quiz, question_count=len(questions)),
                "retake_at": retake_at,
                "questions": [
                    {
                        "id": q.pk,
                        "number": n,
                        "kind": q.kind,
                        "prompt": q.prompt,
                        "sample": {
                            "text": q.sample_text,
                            "channel": q.sample_channel or None,
                            "category": q.sample_category or None,
                        }
                        if q.sample_text
                        else None,
                        "choices": [{"id": c.pk, "text": c.text} for c in q.choices.all()],
                    }
                    for n, q in enumerate(questions, start=1)
                ],
            }
        )


@extend_schema(
    tags=["training"],
    summary="Answer a quiz",
    request=shapes.AttemptInput,
    responses={201: shapes.AttemptResultSerializer, **error_responses(400, 401, 404, 409)},
)
class QuizAttempts(APIView):
    """POST {"answers": {question_id: [choice_id, ...]}} → 201 {score, passed, ...}."""

    def post(self, request, pk):
        quiz = selectors.quiz_get(user=request.user, pk=pk)
        answers = request.data.get("answers") if isinstance(request.data, dict) else None
        if answers is None:
            return Response(
                {"detail": 'Send {"answers": {"<question id>": [<choice id>, ...]}}.'},
                status=status.HTTP_400_BAD_REQUEST,
            )
        result = services.attempt_submit(quiz=quiz, user=request.user, answers=answers)
        attempt, cert = result.attempt, result.certification
        return Response(
            {
                "attempt": attempt.pk,
                "score": attempt.score,
                "passed": attempt.passed,
                "correct": attempt.correct,
                "total": attempt.total,
                "pass_mark": quiz.pass_mark,
                "retake_at": result.retake_at,
                "certification": _certification(
                    selectors.certification_state(
                        cert,
                        brand=quiz.brand,
                        recertification=[],
                    )
                )
                if cert
                else None,
                "results": [
                    {
                        "question": r.question.pk,
                        "correct": r.is_correct,
                        "explanation": r.question.explanation,
                    }
                    for r in result.results
                ],
            },
            status=status.HTTP_201_CREATED,
        )


def _certification(state) -> dict:
    cert = state.certification
    return {
        "id": cert.pk,
        "user": cert.user.username,
        "roles": cert.roles,
        "policy_version": cert.policy_version.number,
        "quiz": {"id": cert.quiz.pk, "title": cert.quiz.title} if cert.quiz else None,
        "earned_at": cert.earned_at,
        "valid_until": state.valid_until,
        "valid": state.is_valid(),
        "lapses_because": state.reason,
    }


@extend_schema(
    tags=["training"],
    responses={200: shapes.CertificationSerializer(many=True), **error_responses(401, 404)},
)
class CertificationList(APIView):
    """My certifications in the brand; trainers and admins see everyone's."""

    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        everyone = selectors.can_see_training_results(request.user, brand)
        states = selectors.certification_states(
            brand=brand, user=None if everyone else request.user
        )
        return Response([_certification(s) for s in states])
