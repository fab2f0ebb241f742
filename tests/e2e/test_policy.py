"""The policy "try it" page: type a banned word, see it highlighted where it is."""

from tests.e2e.conftest import sign_in


def test_banned_word_is_highlighted_as_you_type(demo, new_page):
    page = new_page()
    sign_in(page, "author")
    page.goto("/b/demo/policy/try/")
    page.get_by_label("Post text").press_sequentially("Our new blender is f.u.c.k.i.n.g great")
    mark = page.locator("[data-testid=highlighted] mark.finding-block")
    mark.first.wait_for()
    assert "f.u.c.k" in mark.first.inner_text()
    assert page.get_by_test_id("verdict").inner_text() == "Blocked"
    # Clean text passes, and the highlight goes away.
    page.get_by_label("Post text").fill("Our new blender is great for smoothies")
    page.get_by_test_id("verdict").filter(has_text="Passes").wait_for()
    assert page.locator("[data-testid=highlighted] mark").count() == 0


def test_admin_adds_a_rule_and_sees_a_new_version(demo, new_page):
    page = new_page()
    sign_in(page, "admin")
    page.goto("/b/demo/policy/rules/new/")
    page.get_by_label("Rule id").fill("no-competitors")
    page.get_by_label("Kind").select_option("banned_terms")
    page.get_by_label("Severity").select_option("block")
    page.get_by_label("Message").fill("Never name the competition.")
    page.get_by_label("Terms").fill("BlendCo")
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_url("**/b/demo/policy/")
    assert "no-competitors" in page.get_by_test_id("rules").inner_text()
    page.goto("/b/demo/policy/try/")
    page.get_by_label("Post text").fill("Better than BLENDCO")
    page.locator("[data-testid=findings]", has_text="no-competitors").wait_for()
