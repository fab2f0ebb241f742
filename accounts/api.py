"""HTTP API for accounts. Interfaces only: parse, ask permissions, call one service."""

from __future__ import annotations

from rest_framework import generics, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions, selectors, services
from accounts.serializers import (
    BrandSerializer,
    ChannelConnectSerializer,
    ChannelSerializer,
    MembershipSerializer,
    PersonalAccountSerializer,
)


class TokenView(ObtainAuthToken):
    """POST {username, password} → {token}. Throttled; a wrong password answers 400."""

    permission_classes = [AllowAny]
    throttle_scope = "auth"

    def post(self, request, *args, **kwargs):
        from rest_framework.authtoken.models import Token

        serializer = self.serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


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
