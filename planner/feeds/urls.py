from django.urls import path

from planner.feeds import views

urlpatterns = [
    path("b/<slug:slug>/feeds/", views.feed_list, name="feed_list"),
    path("b/<slug:slug>/feeds/<id:pk>/fetch/", views.feed_fetch, name="feed_fetch"),
    path("b/<slug:slug>/feeds/<id:pk>/delete/", views.feed_delete, name="feed_delete"),
]
