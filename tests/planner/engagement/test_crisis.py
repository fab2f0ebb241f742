"""Crisis: escalate a conversation, the admins alerted by email after commit, the brand's
written steps beside it, and one click (an admin's) to pause the scheduled posts."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Brand
from config.errors import Conflict, NotAllowed
from planner.engagement import crisis
from planner.engagement.models import CrisisChecklist
from tests.planner.engagement.respond_support import *  # noqa: F403
from tests.planner.engagement.respond_support import customer_writes


def page(client, team, conversation):
    return client.get(reverse("conversation_respond", args=[team["brand"].slug, conversation.pk]))


def test_escalating_alerts_the_admins_after_commit(engage, django_capture_on_commit_callbacks):
    conversation = customer_writes(engage, "@kitchen your blender caught fire in my kitchen")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        crisis.conversation_escalate_crisis(
            conversation=conversation, actor=engage["author"], note="Fire report, going viral"
        )
    assert mail.outbox == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[engage["admin"].email]]
    assert "Crisis" in mail.outbox[0].subject
    assert "Fire report, going viral" in mail.outbox[0].body
    conversation.refresh_from_db()
    assert conversation.status == "crisis"
    assert conversation.escalated_by == engage["author"]
    assert conversation.escalated_at is not None
    assert AuditEvent.objects.filter(action="conversation.status", data__to="crisis").exists()
    with pytest.raises(Conflict):
        crisis.conversation_escalate_crisis(conversation=conversation, actor=engage["author"])


def test_the_checklist_is_shown_beside_a_crisis(client, engage):
    crisis.checklist_update(
        brand=engage["brand"],
        actor=engage["admin"],
        steps="Pause all posts\r\n\r\nCall <legal> & PR\nAnswer within the hour",
    )
    conversation = customer_writes(engage)
    client.force_login(engage["author"])
    before = page(client, engage, conversation)
    assert b'data-testid="crisis-panel"' not in before.content
    crisis.conversation_escalate_crisis(conversation=conversation, actor=engage["author"])
    after = page(client, engage, conversation)
    assert b'data-testid="crisis-panel"' in after.content
    assert b"<li>Call &lt;legal&gt; &amp; PR</li>" in after.content
    assert after.content.count(b"<li>Pause all posts</li>") == 1
    assert CrisisChecklist.objects.get(brand=engage["brand"]).step_list == [
        "Pause all posts",
        "Call <legal> & PR",
        "Answer within the hour",
    ]
    # The author is not an admin: no pause button, a note to ask one.
    assert b'data-testid="crisis-pause"' not in after.content


def test_one_click_pauses_scheduled_posts_for_an_admin(client, engage):
    conversation = customer_writes(engage)
    crisis.conversation_escalate_crisis(conversation=conversation, actor=engage["author"])
    client.force_login(engage["admin"])
    assert b'data-testid="crisis-pause"' in page(client, engage, conversation).content
    response = client.post(
        reverse("crisis_pause", args=[engage["brand"].slug, conversation.pk]), {}
    )
    assert response.status_code == 302
    brand = Brand.objects.get(pk=engage["brand"].pk)
    assert brand.is_paused and "Crisis" in brand.paused_reason
    assert b'data-testid="crisis-paused"' in page(client, engage, conversation).content
    # A second click says it is already paused (a message, not a 500).
    again = client.post(reverse("crisis_pause", args=[engage["brand"].slug, conversation.pk]))
    assert again.status_code == 302


def test_only_admins_pause_and_edit_the_checklist(client, engage):
    conversation = customer_writes(engage)
    with pytest.raises(NotAllowed):
        crisis.crisis_pause_posts(brand=engage["brand"], actor=engage["author"])
    with pytest.raises(NotAllowed):
        crisis.checklist_update(brand=engage["brand"], actor=engage["author"], steps="x")
    client.force_login(engage["author"])
    response = client.post(reverse("crisis_pause", args=[engage["brand"].slug, conversation.pk]))
    assert response.status_code == 403
    assert not Brand.objects.get(pk=engage["brand"].pk).is_paused
    settings_url = reverse("engagement_settings", args=[engage["brand"].slug])
    assert client.get(settings_url).status_code == 403
    assert client.post(settings_url, {"form": "checklist", "steps": "x"}).status_code == 403
    assert not CrisisChecklist.objects.exists()


def test_the_settings_page_saves_steps_and_reply_approval(client, engage):
    client.force_login(engage["admin"])
    url = reverse("engagement_settings", args=[engage["brand"].slug])
    assert client.get(url).status_code == 200
    nul = client.post(url, {"form": "checklist", "steps": "One\x00"})
    assert nul.status_code == 400  # refused with the reason, never a 500
    response = client.post(url, {"form": "checklist", "steps": "One\r\n\nTwo"})
    assert response.status_code == 302
    assert CrisisChecklist.objects.get(brand=engage["brand"]).step_list == ["One", "Two"]
    response = client.post(
        url, {"form": "mode", "mode": "one", f"channel_{engage['channel'].pk}": "same_as_posts"}
    )
    assert response.status_code == 302
    from planner.engagement import replies

    assert replies.approval_mode(engage["channel"]) == "same_as_posts"
    bad = client.post(url, {"form": "mode", "mode": "everyone"})
    assert bad.status_code == 400
    huge = client.post(url, {"form": "checklist", "steps": "x" * 20_000})
    assert huge.status_code == 400


def test_another_brand_cannot_escalate(engage, make_user, make_brand):
    conversation = customer_writes(engage)
    stranger = make_user("stranger")
    make_brand("elsewhere", admin=stranger)
    web = Client()
    web.force_login(stranger)
    for name in ("crisis_escalate", "crisis_pause"):
        for slug in (engage["brand"].slug, "elsewhere"):
            assert web.post(reverse(name, args=[slug, conversation.pk])).status_code == 404
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert not Brand.objects.get(pk=engage["brand"].pk).is_paused


def test_web_escalation_button(client, engage):
    conversation = customer_writes(engage)
    client.force_login(engage["author"])
    response = client.post(
        reverse("crisis_escalate", args=[engage["brand"].slug, conversation.pk]),
        {"note": "<b>viral</b>"},
    )
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == "crisis"
