from django.urls import path

from planner.strategy import views

urlpatterns = [
    path("b/<slug:slug>/strategy/", views.strategy_settings, name="strategy_settings"),
    path("b/<slug:slug>/posts/<id:pk>/credit/", views.post_credit, name="post_credit"),
]
