"""The account-separation guard as people meet it in the browser."""

import datetime as dt

from django.utils import timezone

from planner.posts import services
from planner.review import services as review_services
from tests.e2e.conftest import sign_in
from tests.fakes.mastodon import FakeMastodon


def test_approver_sees_who_the_post_will_go_out_as(demo, new_page):
    users = demo["users"]
    brand = demo["brands"][0]
    channel = brand.channels.get()
    post = services.post_create(
        brand=brand,
        actor=users["author"],
        channel=channel,
        text="Our new kettle boils in 90 seconds.",
        category="promotional",
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )
    review_services.post_submit(post_id=post.pk, actor=users["author"])
    page = new_page()
    sign_in(page, "approver1")
    page.goto("/b/demo/inbox/")
    chip = page.get_by_test_id("identity-chip").first
    assert "@demokitchen" in chip.inner_text()
    assert "Demo Kitchen Co." in chip.inner_text()
    page.goto(f"/b/demo/posts/{post.pk}/")
    assert "@demokitchen" in page.get_by_test_id("identity-chip").first.inner_text()
    page.get_by_role("button", name="Approve").first.wait_for()


def test_connecting_a_registered_personal_account_is_refused_with_the_reason(demo, new_page):
    with FakeMastodon(tokens={"personal-token-123456": "77:jo"}) as fake:
        host = fake.url.split("//")[1].split(":")[0]
        author = new_page()
        sign_in(author, "author")
        author.goto("/me/")
        author.get_by_label("Platform").select_option("mastodon")
        author.get_by_label("Handle").fill(f"@jo@{host}")
        author.get_by_role("button", name="Register my account").click()
        author.get_by_test_id("personal-accounts").filter(has_text="@jo@").wait_for()

        admin = new_page()
        sign_in(admin, "admin")
        admin.goto("/b/demo/channels/")
        admin.get_by_label("Platform").select_option("mastodon")
        admin.get_by_label("Server / URL").fill(fake.url)
        admin.get_by_label("Access token").fill("personal-token-123456")
        admin.get_by_role("button", name="Check with the platform and connect").click()
        alert = admin.locator(".alert-danger, .alert-block").filter(has_text="personal account")
        alert.first.wait_for()
        assert "author" in alert.first.inner_text()
        assert "@jo" not in admin.get_by_role("table").inner_text()
