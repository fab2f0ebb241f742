from django.urls import path

from policy import views
from policy.training import urls as training_urls

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
    path("b/<slug:slug>/policy/moments/", views.moment_list, name="policy_moments"),
    path("b/<slug:slug>/policy/moments/<int:pk>/end/", views.moment_end, name="policy_moment_end"),
    path("b/<slug:slug>/policy/hashtags/", views.hashtag_list, name="policy_hashtags"),
    path(
        "b/<slug:slug>/policy/hashtags/approve/",
        views.hashtag_approve,
        name="policy_hashtag_approve",
    ),
    path(
        "b/<slug:slug>/policy/hashtags/<int:pk>/delete/",
        views.hashtag_delete,
        name="policy_hashtag_delete",
    ),
    path("b/<slug:slug>/policy/preset/", views.preset_apply, name="policy_preset"),
]

# Training: quizzes, results, certificates and the trainer's dashboard.
urlpatterns += training_urls.urlpatterns
