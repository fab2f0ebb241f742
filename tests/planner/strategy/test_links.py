from planner.strategy.links import clean_domain, tag_links

RULES = {"domains": ["example.com"], "source": "mastodon", "campaign": "spring-sale"}


def test_own_links_get_the_utm_parameters():
    text = tag_links("Read https://example.com/blog/post now", **RULES)
    assert (
        "https://example.com/blog/post?utm_source=mastodon&utm_medium=social"
        "&utm_campaign=spring-sale now" in text
    )


def test_subdomains_are_ours_look_alikes_and_other_hosts_are_left_alone():
    text = (
        "https://shop.example.com/x https://example.com.evil.net/x "
        "https://notexample.com/x https://other.org/?a=1"
    )
    out = tag_links(text, **RULES)
    assert "https://shop.example.com/x?utm_source=mastodon" in out
    assert "https://example.com.evil.net/x " in out
    assert "https://notexample.com/x " in out
    assert out.endswith("https://other.org/?a=1")


def test_existing_query_kept_fragment_last_and_tagging_twice_is_the_same():
    once = tag_links("See https://example.com/p?id=7&utm_source=old#top.", **RULES)
    assert once == (
        "See https://example.com/p?id=7&utm_source=mastodon&utm_medium=social"
        "&utm_campaign=spring-sale#top."
    )
    assert tag_links(once, **RULES) == once


def test_no_campaign_means_no_utm_campaign_and_a_removed_campaign_is_removed():
    tagged = tag_links("https://example.com/", **RULES)
    untagged = tag_links(tagged, domains=["example.com"], source="mastodon")
    assert "utm_campaign" not in untagged
    assert "utm_source=mastodon" in untagged


def test_trailing_punctuation_stays_outside_the_link():
    out = tag_links("(https://example.com/a), then.", **RULES)
    assert out.startswith("(https://example.com/a?utm_source=mastodon")
    assert out.endswith("spring-sale), then.")


def test_domains_are_cleaned():
    assert clean_domain(" HTTPS://Www.Example.com/ ") == "example.com"
    assert clean_domain("not a domain") == ""
    assert clean_domain("javascript:alert(1)") == ""
