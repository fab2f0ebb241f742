from rest_framework import serializers

from accounts.models import Brand, Channel, Membership, PersonalAccount


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = [
            "slug",
            "name",
            "timezone",
            "colour",
            "approvals_required",
            "require_certification",
            "quiet_days",
            "is_paused",
            "paused_reason",
        ]


class ChannelSerializer(serializers.ModelSerializer):
    brand = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Channel
        fields = [
            "id",
            "brand",
            "platform",
            "handle",
            "display_name",
            "avatar_url",
            "profile_url",
            "instance_url",
            "remote_account_id",
            "max_characters",
            "is_paused",
            "paused_reason",
            "connected_at",
        ]


class ChannelConnectSerializer(serializers.Serializer):
    platform = serializers.CharField(max_length=20)
    instance_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    access_token = serializers.CharField(
        max_length=4096, required=False, allow_blank=True, write_only=True
    )
    identifier = serializers.CharField(max_length=255, required=False, allow_blank=True)
    app_password = serializers.CharField(
        max_length=255, required=False, allow_blank=True, write_only=True
    )
    secret = serializers.CharField(
        max_length=4096, required=False, allow_blank=True, write_only=True
    )
    handle = serializers.CharField(max_length=255, required=False, allow_blank=True)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    channels = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "roles", "channels_restricted", "channels"]


class PersonalAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = PersonalAccount
        fields = ["id", "platform", "instance_url", "handle", "remote_account_id", "created_at"]
        read_only_fields = ["id", "remote_account_id", "created_at"]
        extra_kwargs = {"instance_url": {"required": False, "allow_blank": True}}
