"""The harness every UI capability adds its journeys to: sign in and see the demo brand."""

from tests.e2e.conftest import sign_in


def test_author_signs_in_and_sees_the_demo_brand_in_its_colour(demo, new_page):
    page = new_page()
    sign_in(page, "author")
    chip = page.get_by_test_id("current-brand")
    assert "Demo Kitchen Co." in chip.inner_text()
    colour = page.evaluate(
        "getComputedStyle(document.body).getPropertyValue('--brand-colour').trim()"
    )
    assert colour == "#c2185b"
    # The author of one brand sees nothing of another.
    assert page.goto("/b/acme/").status == 404


def test_admin_switches_brand(demo, new_page):
    page = new_page()
    sign_in(page, "admin")
    for slug, name in [("demo", "Demo Kitchen Co."), ("acme", "Acme Motors")]:
        page.get_by_test_id("current-brand").click()
        page.locator(".dropdown-item", has_text=name).click()
        page.wait_for_url(f"**/b/{slug}/calendar/")
        assert name in page.get_by_test_id("current-brand").inner_text()


def test_wrong_password_is_refused_with_a_message(demo, new_page):
    page = new_page()
    sign_in(page, "author", password="wrong")
    assert "enter a correct username and password" in page.content()
