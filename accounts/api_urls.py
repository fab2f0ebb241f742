from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api_token"),
    path("me/", api.Me.as_view(), name="api_me"),
    path("me/tokens/", api.TokenList.as_view(), name="api_tokens"),
    path("me/tokens/<str:token_id>/", api.TokenRevoke.as_view(), name="api_token_revoke"),
    path("me/personal-accounts/", api.PersonalAccountListCreate.as_view(), name="api_personal"),
    path(
        "me/personal-accounts/<int:pk>/",
        api.PersonalAccountDelete.as_view(),
        name="api_personal_delete",
    ),
    path("platforms/", api.PlatformList.as_view(), name="api_platforms"),
    path("brands/", api.BrandList.as_view(), name="api_brands"),
    path("brands/<slug:slug>/", api.BrandDetail.as_view(), name="api_brand"),
    path("brands/<slug:slug>/channels/", api.ChannelListCreate.as_view(), name="api_channels"),
    path("brands/<slug:slug>/members/", api.MemberList.as_view(), name="api_members"),
]
