"""Writes for accounts, one module per subject; the public names are re-exported here, so
``from accounts import services`` and ``accounts.services.membership_set`` keep working.

- ``audit``: the append-only audit trail.
- ``members``: people, memberships and roles, invitations, personal accounts.
- ``brands``: brands, and pausing or resuming all of a brand's publishing.
- ``channels``: connecting channels (the guard's first layer), the outbox, pause, remove.
- ``oauth_connect``: connecting through a platform's consent page (X, LinkedIn, Meta).
- ``notifications``: in-app notifications and their emails.

Services are keyword-only, atomic, and validate before saving.
"""

from accounts.services.audit import audit_record
from accounts.services.brands import brand_create, brand_pause, brand_pause_clear, brand_update
from accounts.services.channels import (
    MAX_APPROVALS_REQUIRED,
    ChannelRefused,
    PlatformProblem,
    channel_client,
    channel_connect,
    channel_create_outbox,
    channel_mark_reconnect,
    channel_pause,
    channel_pause_clear,
    channel_remove,
    channel_set_required_approvals,
    channel_token_store,
)
from accounts.services.members import (
    HANDLE_RE,
    brand_group_create,
    brand_group_member_add,
    brand_group_member_remove,
    brand_group_members_check,
    member_invite,
    membership_remove,
    membership_set,
    normalize_handle,
    personal_account_delete,
    personal_account_register,
    user_has_history,
    user_remove,
)
from accounts.services.notifications import notification_mark_read, notification_resolve, notify

__all__ = [
    "HANDLE_RE",
    "MAX_APPROVALS_REQUIRED",
    "ChannelRefused",
    "PlatformProblem",
    "audit_record",
    "brand_create",
    "brand_group_create",
    "brand_group_member_add",
    "brand_group_member_remove",
    "brand_group_members_check",
    "brand_pause",
    "brand_pause_clear",
    "brand_update",
    "channel_client",
    "channel_connect",
    "channel_create_outbox",
    "channel_mark_reconnect",
    "channel_pause",
    "channel_pause_clear",
    "channel_remove",
    "channel_set_required_approvals",
    "channel_token_store",
    "member_invite",
    "membership_remove",
    "membership_set",
    "normalize_handle",
    "notification_mark_read",
    "notification_resolve",
    "notify",
    "personal_account_delete",
    "personal_account_register",
    "user_has_history",
    "user_remove",
]
