from django.urls import path

from policy import api

urlpatterns = [
    path("brands/<slug:slug>/lint/", api.Lint.as_view(), name="api_lint"),
    path("brands/<slug:slug>/policy/", api.PolicyCurrent.as_view(), name="api_policy"),
    path(
        "brands/<slug:slug>/policy/versions/",
        api.PolicyVersions.as_view(),
        name="api_policy_versions",
    ),
]

urlpatterns += [
    path("brands/<slug:slug>/quizzes/", api.QuizList.as_view(), name="api_quizzes"),
    path("quizzes/<int:pk>/", api.QuizDetail.as_view(), name="api_quiz"),
    path("quizzes/<int:pk>/attempts/", api.QuizAttempts.as_view(), name="api_quiz_attempts"),
    path(
        "brands/<slug:slug>/certifications/",
        api.CertificationList.as_view(),
        name="api_certifications",
    ),
]
