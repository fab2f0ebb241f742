"""What the pages offer: menus per role, the Inbox count (one query), the pause on every page
of a paused brand, a disabled submit with its reason, the error pages and the favicon."""

from __future__ import annotations

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role
from planner.models import Post
from planner.publishing.services import brand_pause
from planner.review import selectors as review_selectors
from planner.review import services as review_services
from tests.planner.conftest import BANNED, soon


def page(client, user, path) -> str:
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def nav(html: str) -> str:
    """The main menu's HTML only (so buttons elsewhere on the page do not count)."""
    return html.split('aria-label="Main"', 1)[1].split("</nav>", 1)[0]


def calendar_url(brand) -> str:
    return reverse("calendar", kwargs={"slug": brand.slug})


@pytest.fixture
def two_in_review(team, make_post):
    posts = [make_post(f"Post number {n}", when=soon(n + 2)) for n in range(2)]
    return [review_services.post_submit(post_id=p.pk, actor=team["author"]) for p in posts]


# --- menus per role ---------------------------------------------------------------------


def test_the_menu_offers_compose_only_to_people_who_may_draft(client, team):
    url = calendar_url(team["brand"])
    assert 'data-testid="nav-compose"' in nav(page(client, team["author"], url))
    for who in ("trainer", "approver1"):
        html = page(client, team[who], url)
        assert 'data-testid="nav-compose"' not in nav(html), who
        assert 'data-testid="compose-button"' not in html, who
        assert reverse("post_compose", kwargs={"slug": team["brand"].slug}) not in html, who


def test_the_inbox_and_the_admin_pages_are_offered_only_to_who_may_use_them(client, team):
    url = calendar_url(team["brand"])
    trainer = nav(page(client, team["trainer"], url))
    assert 'data-testid="nav-inbox"' not in trainer
    assert 'data-testid="nav-approval-rules"' not in trainer
    assert 'data-testid="nav-brand-settings"' not in trainer
    approver = nav(page(client, team["approver1"], url))
    assert 'data-testid="nav-inbox"' in approver
    admin = nav(page(client, team["admin"], url))
    assert (
        'data-testid="nav-approval-rules"' in admin and 'data-testid="nav-brand-settings"' in admin
    )


@pytest.mark.parametrize("role", ["author", "approver1", "trainer", "admin"])
def test_every_policy_tab_a_person_is_offered_opens_for_them(client, team, role):
    """The policy pages' tabs: Import only for brand admins, and no tab is a 403."""
    html = page(client, team[role], reverse("policy_detail", args=[team["brand"].slug]))
    tabs = html.split('class="nav nav-tabs', 1)[1].split("</ul>", 1)[0]
    links = re.findall(r'href="([^"]+)"', tabs)
    assert len(links) >= 5
    for link in links:
        assert client.get(link).status_code == 200, (role, link)
    offered = any("/import/" in link for link in links)
    assert offered == (role == "admin")


def test_a_brand_without_channels_offers_connect_a_channel_instead_of_compose(
    client, make_user, make_brand
):
    boss = make_user("lonely-boss")
    brand = make_brand("empty", admin=boss)
    writer = make_user("lonely-writer")
    account_services.membership_set(brand=brand, user=writer, roles=[Role.AUTHOR], actor=boss)
    admin_html = page(client, boss, calendar_url(brand))
    assert 'data-testid="nav-connect-channel"' in nav(admin_html)
    assert 'data-testid="nav-compose"' not in nav(admin_html)
    assert 'data-testid="connect-channel"' in admin_html  # the calendar's own button
    writer_html = page(client, writer, calendar_url(brand))
    assert "No channels yet — ask a brand admin" in nav(writer_html)
    assert 'data-testid="nav-compose"' not in nav(writer_html)
    assert 'data-testid="nav-connect-channel"' not in nav(writer_html)


# --- the Inbox count ------------------------------------------------------------------------


def test_the_menu_counts_the_posts_awaiting_my_approval(client, team, two_in_review):
    html = page(client, team["approver1"], calendar_url(team["brand"]))
    count = re.search(r'data-testid="nav-inbox-count">(\d+)<', html)
    assert count and count.group(1) == "2"
    review_services.approval_grant(post_id=two_in_review[0].pk, actor=team["approver1"])
    html = page(client, team["approver1"], calendar_url(team["brand"]))
    assert re.search(r'data-testid="nav-inbox-count">(\d+)<', html).group(1) == "1"
    # The author of both posts is awaited on none of them: no count.
    assert 'data-testid="nav-inbox-count"' not in page(
        client, team["author"], calendar_url(team["brand"])
    )


def test_the_inbox_count_is_the_inbox_and_takes_one_query(
    team, two_in_review, make_post, django_assert_num_queries
):
    brand, approver = team["brand"], team["approver2"]
    make_post("Still a draft", when=soon(5))
    review_services.approval_grant(post_id=two_in_review[1].pk, actor=approver)
    expected = [item.post.pk for item in review_selectors.inbox(user=approver, brand=brand)]
    assert expected == [two_in_review[0].pk]
    review_selectors.inbox_count(user=approver, brand=brand)  # warm the content-type cache
    with django_assert_num_queries(1):
        assert review_selectors.inbox_count(user=approver, brand=brand) == 1


def test_the_inbox_count_leaves_out_channels_i_may_not_approve_on(team, two_in_review):
    brand, approver = team["brand"], team["approver1"]
    account_services.membership_set(
        brand=brand,
        user=approver,
        roles=[Role.APPROVER],
        channels=[team["second"]],
        actor=team["admin"],
    )
    assert (
        review_selectors.inbox_count(user=approver, brand=brand)
        == 0
        == len(review_selectors.inbox(user=approver, brand=brand))
    )


# --- a paused brand -----------------------------------------------------------------------


def test_a_paused_brand_shows_the_pause_with_reason_who_and_when_on_its_pages(client, team):
    brand = brand_pause(brand=team["brand"], actor=team["admin"], reason="Crisis on the news")
    slug = brand.slug
    for path in (
        calendar_url(brand),
        reverse("post_list", kwargs={"slug": slug}),
        reverse("channel_list", kwargs={"slug": slug}),
        reverse("publishing", kwargs={"slug": slug}),
        reverse("policy_detail", kwargs={"slug": slug}),
    ):
        html = page(client, team["author"], path)
        banner = html.split('data-testid="paused-banner"', 1)[1].split("</div>", 1)[0]
        assert "Crisis on the news" in banner, path
        assert "paused by boss" in banner, path
        assert f"{brand.paused_at.astimezone(brand.tz):%Y}" in banner, path
    for path in (
        reverse("channel_list", kwargs={"slug": slug}),
        reverse("publishing", kwargs={"slug": slug}),
    ):
        html = page(client, team["author"], path)
        states = re.findall(r'data-testid="channel-state">(\w+)<', html)
        assert states and set(states) == {"paused"}, (path, states)


def test_channels_of_a_running_brand_are_on(client, team):
    html = page(
        client, team["author"], reverse("channel_list", kwargs={"slug": team["brand"].slug})
    )
    assert set(re.findall(r'data-testid="channel-state">(\w+)<', html)) == {"on"}
    assert 'data-testid="paused-banner"' not in html


# --- submit with a block finding --------------------------------------------------------


def test_submit_is_disabled_with_the_reason_when_a_block_finding_is_present(
    client, team, make_post
):
    blocked = make_post(f"Please {BANNED} responsibly", when=soon(2))
    html = page(client, team["author"], blocked.get_absolute_url())
    form = html.split('data-testid="submit-form"', 1)[1].split("</form>", 1)[0]
    assert re.search(r"<button[^>]*disabled[^>]*>Submit for review", form)
    assert 'data-testid="submit-blocked"' in form and "blocking finding" in form
    clean = make_post("A perfectly fine post", when=soon(2))
    form = (
        page(client, team["author"], clean.get_absolute_url())
        .split('data-testid="submit-form"', 1)[1]
        .split("</form>", 1)[0]
    )
    assert "disabled" not in form


# --- wording ------------------------------------------------------------------------------


def test_plurals_are_words_not_brackets(client, team, two_in_review):
    html = page(client, team["approver1"], two_in_review[0].get_absolute_url())
    assert "2 more approvals needed" in html and "(s)" not in html
    review_services.approval_grant(post_id=two_in_review[0].pk, actor=team["approver1"])
    html = page(client, team["approver2"], two_in_review[0].get_absolute_url())
    assert "1 more approval needed" in html


def test_the_filter_toggle_says_how_many_filters_are_active(client, team):
    html = page(client, team["author"], calendar_url(team["brand"]) + "?status=draft&q=x")
    toggle = html.split('data-testid="filters-toggle"', 1)[1].split("</button>", 1)[0]
    assert "Filters (2 active)" in toggle
    html = page(client, team["author"], calendar_url(team["brand"]))
    toggle = html.split('data-testid="filters-toggle"', 1)[1].split("</button>", 1)[0]
    assert "active" not in toggle


# --- error pages and the favicon ----------------------------------------------------------


def test_a_missing_page_is_the_products_404_even_with_debug_on(client, team, settings):
    settings.DEBUG = True
    client.force_login(team["author"])
    for path in ("/no/such/page/", "/b/no-such-brand/calendar/"):
        response = client.get(path)
        assert response.status_code == 404, path
        html = response.content.decode()
        assert 'data-testid="error-page"' in html and "Page not found" in html, path
        assert 'aria-label="Main"' in html  # the product's layout, with its menus
        assert calendar_url(team["brand"]) in html  # a way back
        assert "URLconf" not in html


def test_the_append_slash_redirect_still_works_with_debug_on(client, team, settings):
    settings.DEBUG = True
    client.force_login(team["author"])
    response = client.get(calendar_url(team["brand"]).rstrip("/"))
    assert response.status_code == 301


def test_a_refusal_is_logged_once_in_one_line_and_a_server_error_keeps_its_traceback(
    client, team, caplog
):
    import logging
    import sys

    from config.errors import RefusalWithoutTraceback

    client.force_login(team["author"])
    with caplog.at_level("WARNING", logger="django.request"):
        response = client.get(reverse("policy_import", args=[team["brand"].slug]))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1 and records[0].exc_info is None
    assert "Forbidden" in records[0].getMessage()
    # Django's own handlers on "django" would print each record again (DEBUG on).
    assert logging.getLogger("django").handlers == []
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failure = logging.LogRecord("django.request", 40, "", 0, "Internal Server Error", (), None)
        failure.exc_info = sys.exc_info()
    failure.status_code = 500
    assert RefusalWithoutTraceback().filter(failure) and failure.exc_info is not None


def test_another_brands_page_is_404_in_the_product_layout(client, team, other):
    client.force_login(other["author"])
    response = client.get(calendar_url(team["brand"]))
    assert response.status_code == 404
    assert 'data-testid="error-page"' in response.content.decode()


def test_a_missing_page_under_a_brand_is_titled_with_that_brand(client, team, other):
    account_services.membership_set(
        brand=other["brand"], user=team["author"], roles=[Role.AUTHOR], actor=other["admin"]
    )
    client.force_login(team["author"])
    for brand in (team["brand"], other["brand"]):
        response = client.get(f"/b/{brand.slug}/no-such-page/")
        assert response.status_code == 404
        title = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)
        assert title.endswith(f"· {brand.name}"), title


def test_a_refused_page_is_the_products_403_with_the_reason(client, team):
    client.force_login(team["author"])
    response = client.get(reverse("brand_settings", kwargs={"slug": team["brand"].slug}))
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="error-page"' in html and "admin role" in html
    assert 'aria-label="Main"' in html


def test_the_500_page_renders_without_the_database():
    """No db fixture: any database access (a context processor, a user) would raise."""
    from config.views import server_error

    response = server_error(RequestFactory().get("/b/x/calendar/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html and 'href="/"' in html
    api = server_error(RequestFactory().get("/api/posts/1/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"


def test_the_favicon_is_linked_and_served_at_favicon_ico(client, team):
    html = page(client, team["author"], calendar_url(team["brand"]))
    assert 'rel="icon"' in html and "favicon.svg" in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_submit_is_disabled_with_the_reason_when_the_time_has_passed(client, team, make_post):
    post = make_post("A fine post", when=soon(2))
    Post.objects.filter(pk=post.pk).update(scheduled_at=soon(-2))  # the clock moved on
    html = page(client, team["author"], post.get_absolute_url())
    form = html.split('data-testid="submit-form"', 1)[1].split("</form>", 1)[0]
    assert re.search(r"<button[^>]*disabled[^>]*>Submit for review", form)
    assert "scheduled time has passed" in form


def test_a_refusal_names_the_status_in_the_same_words_as_the_badge(team, make_post):
    from config.errors import DomainError

    post = make_post("A fine post", when=soon(2))
    review_services.post_submit(post_id=post.pk, actor=team["author"])
    with pytest.raises(DomainError) as excinfo:
        review_services.post_submit(post_id=post.pk, actor=team["author"])
    assert "this post is in review." in excinfo.value.message
