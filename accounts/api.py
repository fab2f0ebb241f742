"""HTTP API for accounts. Interfaces only: parse, ask permissions, call one service."""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import permissions, selectors, services, tokens
from accounts.serializers import (
    BrandSerializer,
    ChannelConnectSerializer,
    ChannelSerializer,
    MembershipSerializer,
    PersonalAccountSerializer,
)
from accounts.views import locked_out_text
from config.api import error_responses


class _Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class _TokenInfo(serializers.Serializer):
    id = serializers.CharField(help_text="An id to revoke it by; never the token.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField(help_text="The token this request was made with.")


class _BrandWithRoles(BrandSerializer):
    my_roles = serializers.ListField(child=serializers.CharField())

    class Meta(BrandSerializer.Meta):
        fields = [*BrandSerializer.Meta.fields, "my_roles"]


@extend_schema(
    tags=["auth"],
    request=_Credentials,
    responses={
        200: inline_serializer("Token", {"token": serializers.CharField()}),
        **error_responses(400, 429),
    },
)
class TokenView(APIView):
    """POST {username, password} → {token}. Throttled per address; a wrong password answers
    400; a username + address locked out after repeated failures answers 429."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def post(self, request, *args, **kwargs):
        data = _Credentials(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request=request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            return Response({"detail": locked_out_text()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None:
            raise ValidationError({"detail": "Unable to sign in with those credentials."})
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response({"token": tokens.token_create(user=user)})


@extend_schema(tags=["auth"], responses={200: _TokenInfo(many=True), **error_responses(401)})
class TokenList(APIView):
    """GET → my live API tokens (never the tokens themselves)."""

    def get(self, request):
        return Response(
            [
                {
                    "id": t.id,
                    "created": t.created,
                    "expiry": t.expiry,
                    "current": t.current,
                }
                for t in tokens.token_list(user=request.user, current=request.auth)
            ]
        )


@extend_schema(tags=["auth"], responses={204: None, **error_responses(401, 404)})
class TokenRevoke(APIView):
    def delete(self, request, token_id):
        if not tokens.token_revoke(user=request.user, id=token_id):
            raise NotFound("No such token of yours.")
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["brands"], responses={200: BrandSerializer(many=True), **error_responses(401)})
class BrandList(generics.ListAPIView):
    serializer_class = BrandSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.brand_list_for(self.request.user)


@extend_schema(tags=["brands"], responses={200: _BrandWithRoles, **error_responses(401, 404)})
class BrandDetail(APIView):
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        data = BrandSerializer(brand).data
        data["my_roles"] = permissions.roles_in(request.user, brand)
        return Response(data)


class ChannelListCreate(APIView):
    @extend_schema(
        tags=["channels"],
        responses={200: ChannelSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        channels = selectors.channel_list(brand=brand)
        return Response(ChannelSerializer(channels, many=True).data)

    @extend_schema(
        tags=["channels"],
        summary="Connect a channel: the platform is asked who the credential is",
        request=ChannelConnectSerializer,
        responses={201: ChannelSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, slug):
        brand = permissions.get_brand(request.user, slug, permissions.Action.ADMIN)
        serializer = ChannelConnectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        channel = services.channel_connect(
            brand=brand,
            actor=request.user,
            platform=data.pop("platform"),
            instance_url=data.pop("instance_url", ""),
            credential={k: v for k, v in data.items() if v},
        )
        return Response(ChannelSerializer(channel).data, status=status.HTTP_201_CREATED)


class _PlatformInfo(serializers.Serializer):
    platform = serializers.CharField(help_text="The slug channels and personal accounts use.")
    label = serializers.CharField()
    connect = serializers.ChoiceField(
        choices=["oauth", "token"],
        help_text="oauth: connected from the Channels page through the platform's consent "
        "page; token: with a credential (POST /api/brands/{slug}/channels/).",
    )
    configured = serializers.BooleanField(
        help_text="For oauth platforms: whether this installation has an app on the platform."
    )
    media = serializers.ListField(
        child=serializers.ChoiceField(choices=["image", "gif", "video"]),
        help_text="The kinds of attachment the platform takes.",
    )
    max_characters = serializers.IntegerField(
        allow_null=True, help_text="The text limit in the platform's counting; null: none."
    )
    max_attachments = serializers.IntegerField()
    alt_text = serializers.BooleanField(help_text="Whether alt text is sent with images.")


@extend_schema(
    tags=["channels"],
    summary="The platforms this installation supports",
    responses={200: _PlatformInfo(many=True), **error_responses(401)},
)
class PlatformList(APIView):
    def get(self, request):
        return Response(_PlatformInfo(selectors.platform_list(), many=True).data)


@extend_schema(
    tags=["brands"], responses={200: MembershipSerializer(many=True), **error_responses(401, 404)}
)
class MemberList(APIView):
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        return Response(
            MembershipSerializer(selectors.membership_list(brand=brand), many=True).data
        )


class PersonalAccountListCreate(APIView):
    @extend_schema(
        tags=["me"],
        responses={200: PersonalAccountSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        accounts = request.user.personal_accounts.all()
        return Response(PersonalAccountSerializer(accounts, many=True).data)

    @extend_schema(
        tags=["me"],
        request=PersonalAccountSerializer,
        responses={201: PersonalAccountSerializer, **error_responses(400, 401, 409)},
    )
    def post(self, request):
        serializer = PersonalAccountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = services.personal_account_register(
            user=request.user,
            platform=serializer.validated_data["platform"],
            handle=serializer.validated_data["handle"],
            instance_url=serializer.validated_data.get("instance_url", ""),
        )
        return Response(PersonalAccountSerializer(account).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["me"], responses={204: None, **error_responses(401, 404)})
class PersonalAccountDelete(APIView):
    def delete(self, request, pk):
        services.personal_account_delete(user=request.user, pk=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=["me"],
    responses={
        200: inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "email": serializers.EmailField(),
                "brands": BrandSerializer(many=True),
            },
        ),
        **error_responses(401),
    },
)
class Me(APIView):
    def get(self, request):
        user = request.user
        return Response(
            {
                "username": user.username,
                "email": user.email,
                "brands": BrandSerializer(selectors.brand_list_for(user), many=True).data,
            }
        )
