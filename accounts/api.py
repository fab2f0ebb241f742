"""HTTP API for accounts. Interfaces only: parse, ask permissions, call one service."""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in
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


class _Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


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


class TokenRevoke(APIView):
    def delete(self, request, token_id):
        if not tokens.token_revoke(user=request.user, id=token_id):
            raise NotFound("No such token of yours.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class BrandList(generics.ListAPIView):
    serializer_class = BrandSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.brand_list_for(self.request.user)


class BrandDetail(APIView):
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        data = BrandSerializer(brand).data
        data["my_roles"] = permissions.roles_in(request.user, brand)
        return Response(data)


class ChannelListCreate(APIView):
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        channels = selectors.channel_list(brand=brand)
        return Response(ChannelSerializer(channels, many=True).data)

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


class MemberList(APIView):
    def get(self, request, slug):
        brand = permissions.get_brand(request.user, slug)
        return Response(
            MembershipSerializer(selectors.membership_list(brand=brand), many=True).data
        )


class PersonalAccountListCreate(APIView):
    def get(self, request):
        accounts = request.user.personal_accounts.all()
        return Response(PersonalAccountSerializer(accounts, many=True).data)

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


class PersonalAccountDelete(APIView):
    def delete(self, request, pk):
        services.personal_account_delete(user=request.user, pk=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
