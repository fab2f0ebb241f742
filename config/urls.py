from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import LoginForm
from config import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", include("django.contrib.auth.urls")),
    path("healthz/", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("api/", include("accounts.api_urls")),
    path("api/", include("policy.api_urls")),
    path("api/", include("planner.api_urls")),
    path("api/", include("planner.publishing_api_urls")),
    path("", include("accounts.urls")),
    path("", include("policy.urls")),
    path("", include("planner.urls")),
    path("", include("planner.publishing_urls")),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
