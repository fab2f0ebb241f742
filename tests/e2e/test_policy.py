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


def test_rule_editor_shows_the_fields_of_the_chosen_kind_with_errors_on_them(demo, new_page):
    page = new_page()
    sign_in(page, "admin")
    page.goto("/b/demo/policy/rules/new/")
    page.get_by_label("Kind").select_option("max_count")
    assert page.get_by_label("What to count").is_visible()
    assert page.get_by_label("At most").is_visible()
    assert not page.get_by_label("Terms").is_visible()
    assert not page.get_by_label("Brand name").is_visible()
    page.get_by_label("Kind").select_option("banned_terms")
    assert page.get_by_label("Terms").is_visible()
    assert not page.get_by_label("At most").is_visible()

    page.get_by_label("Rule id").fill("few-hashtags")
    page.get_by_label("Kind").select_option("max_count")
    page.get_by_label("Message").fill("Two hashtags at most.")
    page.get_by_label("What to count").select_option("hashtags")
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_load_state("domcontentloaded")
    # The reason is under the field it is about, not in a message at the top.
    error = page.locator("#div_id_max .invalid-feedback")
    assert "Enter the most a post may have" in error.inner_text()
    assert page.locator(".alert-danger").count() == 0
    assert page.get_by_label("At most").is_visible()  # still the max_count fields
    assert not page.get_by_label("Terms").is_visible()

    # The YAML beside the form follows what is typed.
    page.get_by_label("At most").fill("2")
    yaml_view = page.get_by_test_id("rule-yaml")
    yaml_view.filter(has_text="max: 2").wait_for()
    assert "kind: max_count" in yaml_view.inner_text()
    assert "terms" not in yaml_view.inner_text()
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_url("**/b/demo/policy/")
    assert "few-hashtags" in page.get_by_test_id("rules").inner_text()


def test_try_it_labels_stand_apart_from_their_selects(demo, new_page):
    page = new_page()
    sign_in(page, "author")
    page.goto("/b/demo/policy/try/")
    for name in ("Channel", "Category"):
        select = page.get_by_label(name, exact=True)
        assert select.evaluate("el => el.tagName") == "SELECT"
        assert "form-select" in select.get_attribute("class")
        label = page.locator(f"label[for={select.get_attribute('id')}]")
        assert label.inner_text().strip() == name
        # the label sits above its select, not run into it ("Channelany channel")
        assert (
            label.bounding_box()["y"] + label.bounding_box()["height"]
            <= (select.bounding_box()["y"])
        )


def test_policy_pages_do_not_scroll_sideways_on_a_phone(demo, new_page):
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "admin")
    for path in ("/b/demo/policy/try/", "/b/demo/policy/rules/new/", "/b/demo/policy/"):
        page.goto(path)
        if path.endswith("try/"):
            page.get_by_label("Post text").fill("A very long post " * 30 + "f.u.c.k")
            page.get_by_test_id("verdict").wait_for()
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, path
    page.goto("/b/demo/policy/")
    page.locator("a", has_text="Edit").first.click()
    page.get_by_test_id("rule-yaml").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
