from django.urls import path

from policy import training_views, views

urlpatterns = [
    path("b/<slug:slug>/policy/", views.policy_detail, name="policy_detail"),
    path("b/<slug:slug>/policy/try/", views.policy_try, name="policy_try"),
    path("b/<slug:slug>/policy/rules/new/", views.rule_add, name="policy_rule_add"),
    path("b/<slug:slug>/policy/rules/<slug:rule_id>/", views.rule_edit, name="policy_rule_edit"),
    path(
        "b/<slug:slug>/policy/rules/<slug:rule_id>/delete/",
        views.rule_delete,
        name="policy_rule_delete",
    ),
    path("b/<slug:slug>/policy/versions/", views.version_list, name="policy_versions"),
    path(
        "b/<slug:slug>/policy/versions/<int:number>/", views.version_detail, name="policy_version"
    ),
    path("b/<slug:slug>/policy/import/", views.policy_import, name="policy_import"),
    path("b/<slug:slug>/policy/export.yaml", views.policy_export, name="policy_export"),
]

# Training: quizzes, results, certificates and the trainer's dashboard.
urlpatterns += [
    path("b/<slug:slug>/training/", training_views.training_home, name="training_home"),
    path(
        "b/<slug:slug>/training/people.csv",
        training_views.people_csv,
        name="training_people_csv",
    ),
    path("b/<slug:slug>/training/quizzes/", training_views.quiz_list, name="training_quizzes"),
    path(
        "b/<slug:slug>/training/quizzes/new/",
        training_views.quiz_create,
        name="training_quiz_new",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/",
        training_views.quiz_take,
        name="training_quiz_take",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/edit/",
        training_views.quiz_edit,
        name="training_quiz_edit",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/generate/",
        training_views.quiz_generate,
        name="training_quiz_generate",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/publish/",
        training_views.quiz_publish,
        name="training_quiz_publish",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/unpublish/",
        training_views.quiz_unpublish,
        name="training_quiz_unpublish",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/refresh/",
        training_views.quiz_refresh,
        name="training_quiz_refresh",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/questions/new/",
        training_views.question_edit,
        name="training_question_new",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/questions/<int:qid>/",
        training_views.question_edit,
        name="training_question_edit",
    ),
    path(
        "b/<slug:slug>/training/quizzes/<int:pk>/questions/<int:qid>/delete/",
        training_views.question_delete,
        name="training_question_delete",
    ),
    path(
        "b/<slug:slug>/training/attempts/<int:pk>/",
        training_views.attempt_detail,
        name="training_attempt",
    ),
    path(
        "b/<slug:slug>/training/certificates/<int:pk>/",
        training_views.certificate_detail,
        name="training_certificate",
    ),
]
