"""The training API: quizzes, attempts and certifications."""

from django.urls import path

from policy.training import api

urlpatterns = [
    path("brands/<slug:slug>/quizzes/", api.QuizList.as_view(), name="api_quizzes"),
    path("quizzes/<int:pk>/", api.QuizDetail.as_view(), name="api_quiz"),
    path("quizzes/<int:pk>/attempts/", api.QuizAttempts.as_view(), name="api_quiz_attempts"),
    path(
        "brands/<slug:slug>/certifications/",
        api.CertificationList.as_view(),
        name="api_certifications",
    ),
]
