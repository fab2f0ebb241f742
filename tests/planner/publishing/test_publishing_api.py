"""The publishing interfaces: evidence, pause and resume (brand and channel), releasing a
held post with the handle typed to confirm, on the API and on the web pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Role, User
from accounts.services import brand_create, membership_set
from planner.models import Post, Status
from planner.publishing import services as publishing
from tests.planner.publishing.support import (
    approved_post,
    make_due,
)

pytestmark = pytest.mark.usefixtures("offline_publishing")


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient()
        client.default_format = "json"  # the API parses JSON only
        client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def stranger(db):
    boss = User.objects.create_user(username="stranger", password="pw-for-tests-1")
    brand_create(slug="elsewhere", name="Elsewhere", created_by=boss)
    return boss


@pytest.fixture
def published(pub):
    post = approved_post(pub, "Published bread.")
    make_due([post.pk])
    [outcome] = publishing.publish_due_inline()
    assert outcome.result == "published"
    return Post.objects.get(pk=post.pk)


@pytest.fixture
def held(pub):
    post = approved_post(pub, "Held bread.")
    make_due([post.pk])
    publishing.brand_pause(brand=pub["brand"], actor=pub["admin"], reason="Crisis")
    publishing.brand_resume(brand=pub["brand"], actor=pub["admin"], confirm=pub["brand"].slug)
    post = Post.objects.get(pk=post.pk)
    assert post.status == Status.HELD
    return post


# --- evidence ---------------------------------------------------------------------------------


def test_evidence_of_a_published_post(api, pub, published, mastodon):
    response = api(pub["author"]).get(f"/api/posts/{published.pk}/evidence/")
    assert response.status_code == 200
    body = response.json()
    [status] = mastodon.posts()
    assert body["remote"]["url"] == status["url"] == published.remote_url
    assert body["content"]["fingerprint"] == published.content_hash
    assert body["identity"]["matches"] is True
    assert body["approvals"][0]["approver"] == pub["approver1"].username
    assert body["policy"]["version"] >= 1
    assert "certification" in body and body["idempotency_key"]
    assert body["attempts"][-1]["outcome"] == "published"


def test_evidence_is_refused_with_a_reason_or_hidden(api, pub, published, stranger):
    draft = approved_post(pub, "Not yet.")
    response = api(pub["author"]).get(f"/api/posts/{draft.pk}/evidence/")
    assert response.status_code == 409
    assert response.json()["code"] == "not_published" and "approved" in response.json()["detail"]
    assert api(stranger).get(f"/api/posts/{published.pk}/evidence/").status_code == 404
    assert APIClient().get(f"/api/posts/{published.pk}/evidence/").status_code in (401, 403)


# --- pause and resume ----------------------------------------------------------------------


def test_pause_and_resume_the_brand_over_the_api(api, pub, mastodon):
    slug = pub["brand"].slug
    post = approved_post(pub, "Due during the pause.")
    assert api(pub["author"]).post(f"/api/brands/{slug}/pause/", {"reason": "x"}).status_code == 403
    empty = api(pub["admin"]).post(f"/api/brands/{slug}/pause/", {}, format="json")
    assert empty.status_code == 400 and "reason" in str(empty.json())
    paused = api(pub["admin"]).post(f"/api/brands/{slug}/pause/", {"reason": "Crisis"})
    assert paused.status_code == 200 and paused.json()["is_paused"] is True
    make_due([post.pk])
    assert publishing.publish_due_inline() == []  # paused: not even claimed
    wrong = api(pub["admin"]).post(f"/api/brands/{slug}/resume/", {"confirm": "nope"})
    assert wrong.status_code == 400 and slug in str(wrong.json())
    # The stable interface takes no body; the held posts are the same either way.
    resumed = api(pub["admin"]).post(f"/api/brands/{slug}/resume/", {}, format="json")
    assert resumed.status_code == 200
    assert resumed.json()["is_paused"] is False and resumed.json()["held"] == [post.pk]
    post.refresh_from_db()
    assert post.status == Status.HELD and "paused" in post.held_reason
    assert publishing.publish_due_inline() == [] and mastodon.posts() == []


def test_pause_and_resume_a_channel_over_the_api(api, pub, stranger):
    base = f"/api/brands/{pub['brand'].slug}/channels/{pub['channel'].pk}"
    paused = api(pub["admin"]).post(f"{base}/pause/", {"reason": "Token leaked"})
    assert paused.status_code == 200 and paused.json()["paused_reason"] == "Token leaked"
    assert api(stranger).post(f"{base}/resume/").status_code == 404
    assert api(pub["approver1"]).post(f"{base}/resume/").status_code == 403
    resumed = api(pub["admin"]).post(f"{base}/resume/")
    assert resumed.status_code == 200 and resumed.json()["is_paused"] is False
    again = api(pub["admin"]).post(f"{base}/resume/")
    assert again.status_code == 409


# --- releasing a held post -----------------------------------------------------------------


def test_release_needs_the_handle_a_future_time_and_the_right_person(api, pub, held, mastodon):
    url = f"/api/posts/{held.pk}/release/"
    handle = pub["channel"].handle
    assert api(pub["author"]).post(url, {"confirm_handle": handle}).status_code == 403
    wrong = api(pub["approver2"]).post(url, {"confirm_handle": "@someone-else"})
    assert wrong.status_code == 400 and handle in str(wrong.json())
    past = timezone.now() - dt.timedelta(hours=1)
    late = api(pub["approver2"]).post(
        url, {"confirm_handle": handle, "scheduled_at": past.isoformat()}, format="json"
    )
    assert late.status_code == 400
    soon = timezone.now() + dt.timedelta(minutes=5)
    ok = api(pub["approver2"]).post(
        url, {"confirm_handle": handle.upper(), "scheduled_at": soon.isoformat()}, format="json"
    )
    assert ok.status_code == 200, ok.json()
    post = Post.objects.get(pk=held.pk)
    assert post.status == Status.APPROVED and post.held_reason == ""
    assert abs(post.scheduled_at - soon) < dt.timedelta(seconds=1)
    assert AuditEvent.objects.filter(action="post.reconfirm", object_id=str(post.pk)).exists()
    # Released for now: the next pass sends it.
    make_due([post.pk])
    assert [o.result for o in publishing.publish_due_inline()] == ["published"]
    assert len(mastodon.posts()) == 1


def test_release_is_refused_while_the_cause_remains(api, pub, held):
    publishing.channel_pause(channel=pub["channel"], actor=pub["admin"], reason="Still broken")
    response = api(pub["admin"]).post(
        f"/api/posts/{held.pk}/release/", {"confirm_handle": pub["channel"].handle}
    )
    assert response.status_code == 409
    assert "still paused" in response.json()["detail"]
    assert Post.objects.get(pk=held.pk).status == Status.HELD


def test_only_held_posts_can_be_released(api, pub, published):
    response = api(pub["admin"]).post(
        f"/api/posts/{published.pk}/release/", {"confirm_handle": pub["channel"].handle}
    )
    assert response.status_code == 409


# --- web pages -----------------------------------------------------------------------------


@pytest.fixture
def web(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_post_page_includes_the_delivery_panel(web, pub, published):
    page = web(pub["author"]).get(published.get_absolute_url())
    html = page.content.decode()
    assert 'data-testid="delivery-panel"' in html
    assert f"/b/{pub['brand'].slug}/posts/{published.pk}/delivery/" in html
    assert published.remote_url in html


def test_the_delivery_panel_shows_evidence_and_stops_polling_once_published(web, pub, published):
    panel = web(pub["author"]).get(
        f"/b/{pub['brand'].slug}/posts/{published.pk}/delivery/", HTTP_HX_REQUEST="true"
    )
    html = panel.content.decode()
    assert 'data-testid="evidence"' in html and 'data-testid="remote-link"' in html
    assert "every 3s" not in html
    assert "<html" not in html  # a partial for htmx
    full = web(pub["author"]).get(f"/b/{pub['brand'].slug}/posts/{published.pk}/delivery/")
    assert "<html" in full.content.decode()


def test_a_held_post_says_why_and_offers_the_release(web, pub, held):
    url = f"/b/{pub['brand'].slug}/posts/{held.pk}/delivery/"
    html = web(pub["approver1"]).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "fell due while publishing" in html and 'data-testid="release-form"' in html
    author_html = web(pub["author"]).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="release-form"' not in author_html
    release = f"/b/{pub['brand'].slug}/posts/{held.pk}/release/"
    wrong = web(pub["approver1"]).post(release, {"confirm_handle": "@nobody", "scheduled_at": ""})
    assert wrong.status_code == 400 and "Type the channel" in wrong.content.decode()
    ok = web(pub["approver1"]).post(
        release, {"confirm_handle": pub["channel"].handle, "scheduled_at": ""}
    )
    assert ok.status_code == 302
    assert Post.objects.get(pk=held.pk).status == Status.APPROVED


def test_a_reconnect_hold_links_to_the_channels_page(web, pub):
    post = approved_post(pub, "Bread with a revoked token.")
    make_due([post.pk])
    channel = pub["channel"]
    channel.set_credential({"access_token": "revoked-token-000000"})
    channel.save(update_fields=["credential_encrypted"])
    publishing.publish_due_inline()
    html = (
        web(pub["admin"])
        .get(f"/b/{pub['brand'].slug}/posts/{post.pk}/delivery/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert 'data-testid="reconnect-link"' in html
    assert f"/b/{pub['brand'].slug}/channels/" in html


def test_the_publishing_page_pauses_and_resumes_with_the_slug_typed(web, pub):
    page = f"/b/{pub['brand'].slug}/publishing/"
    admin = web(pub["admin"])
    assert 'data-testid="pause-form"' in admin.get(page).content.decode()
    response = admin.post(f"{page}pause/", {"reason": "Storm of replies"}, follow=True)
    html = response.content.decode()
    assert 'data-testid="paused-banner"' in html and "Storm of replies" in html
    wrong = admin.post(f"{page}resume/", {"confirm": "other"})
    assert wrong.status_code == 400 and pub["brand"].slug in wrong.content.decode()
    ok = admin.post(f"{page}resume/", {"confirm": pub["brand"].slug})
    assert ok.status_code == 302
    pub["brand"].refresh_from_db()
    assert not pub["brand"].is_paused


def test_a_paused_channel_shows_in_the_delivery_panel(web, pub):
    post = approved_post(pub, "Waiting bread.")
    admin = web(pub["admin"])
    page = f"/b/{pub['brand'].slug}/publishing/channels/{pub['channel'].pk}/pause/"
    admin.post(page, {"reason": "Account under review"})
    html = admin.get(post.get_absolute_url()).content.decode()
    assert 'data-testid="channel-paused"' in html and "Account under review" in html


def test_members_without_the_admin_role_cannot_pause(web, pub):
    response = web(pub["author"]).post(
        f"/b/{pub['brand'].slug}/publishing/pause/", {"reason": "no"}
    )
    assert response.status_code == 403
    other = User.objects.create_user(username="outsider", password="pw-for-tests-1")
    membership_set(brand=pub["brand"], user=other, roles=[Role.TRAINER], actor=pub["admin"])
    assert (
        "pause-form" not in web(other).get(f"/b/{pub['brand'].slug}/publishing/").content.decode()
    )


def test_resume_with_the_typed_slug_is_accepted_whatever_its_case(api, pub):
    slug = pub["brand"].slug
    api(pub["admin"]).post(f"/api/brands/{slug}/pause/", {"reason": "Crisis"})
    resumed = api(pub["admin"]).post(f"/api/brands/{slug}/resume/", {"confirm": slug.upper()})
    assert resumed.status_code == 200 and resumed.json()["is_paused"] is False
