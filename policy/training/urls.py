"""Training pages: quizzes, results, certificates and the trainer's dashboard."""

from django.urls import path

from policy.training import views

urlpatterns = [
    path("b/<slug:slug>/training/", views.training_home, name="training_home"),
    path(
        "b/<slug:slug>/training/people.csv",
        views.people_csv,
        name="training_people_csv",
    ),
    path("b/<slug:slug>/training/quizzes/", views.quiz_list, name="training_quizzes"),
    path(
        "b/<slug:slug>/training/quizzes/new/",
        views.quiz_create,
        name="training_quiz_new",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/",
        views.quiz_take,
        name="training_quiz_take",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/edit/",
        views.quiz_edit,
        name="training_quiz_edit",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/generate/",
        views.quiz_generate,
        name="training_quiz_generate",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/publish/",
        views.quiz_publish,
        name="training_quiz_publish",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/unpublish/",
        views.quiz_unpublish,
        name="training_quiz_unpublish",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/refresh/",
        views.quiz_refresh,
        name="training_quiz_refresh",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/questions/new/",
        views.question_edit,
        name="training_question_new",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/questions/<int:qid>/",
        views.question_edit,
        name="training_question_edit",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/questions/<int:qid>/delete/",
        views.question_delete,
        name="training_question_delete",
    ),
    path(
        "b/<slug:slug>/training/attempts/<int:pk>/",
        views.attempt_detail,
        name="training_attempt",
    ),
    path(
        "b/<slug:slug>/training/certificates/<int:pk>/",
        views.certificate_detail,
        name="training_certificate",
    ),
]
