from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from accounts.forms import LoginForm
from config import views

# One sign-in page (``login``): LOGIN_URL, ?next= and sign-out all lead to it. The password
# pages are listed one by one (not ``django.contrib.auth.urls``, which would register a
# second ``login``) and use the product's templates under templates/registration/.
password_urls = [
    path("change/", account_views.PasswordChange.as_view(), name="password_change"),
    path(
        "change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("reset/", account_views.PasswordReset.as_view(), name="password_reset"),
    path("reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

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
    path("password/", include(password_urls)),
    path("healthz/", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # The OpenAPI document and its interactive docs (Swagger UI from our own static files,
    # its start-up script a separate request: no inline script under the CSP).
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/", include("accounts.api_urls")),
    path("api/", include("policy.api_urls")),
    path("api/", include("planner.api_urls")),
    path("", include("accounts.urls")),
    path("", include("policy.urls")),
    path("", include("planner.urls")),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
